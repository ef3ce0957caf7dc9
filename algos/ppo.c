/* PPO (Schulman et al. 2017), clipped surrogate, as Stable-Baselines3 has it:
 * GAE(lambda) over n_steps from each env copy, n_epochs of shuffled
 * minibatches, per-minibatch advantage normalisation, optional value
 * clipping, entropy bonus, global gradient-norm clipping, and an early stop
 * of the epochs once the approximate KL exceeds 1.5 * target_kl. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "crl/algo.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "crl/rollout.h"
#include "io/policy_internal.h"
#include "io/state_io.h"
#include "onpolicy.h"
#include "rl/actor_critic.h"

typedef struct ppo_spec {
  crl_schedule learning_rate;
  int n_steps;
  int batch_size;
  int n_epochs;
  double gamma;
  double gae_lambda;
  crl_schedule clip_range;
  double clip_range_vf; /* NAN: no value clipping */
  int normalize_advantage;
  double ent_coef;
  double vf_coef;
  double max_grad_norm;
  double target_kl; /* NAN: no early stop */
  double adam_eps;
  int normalize;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
} ppo_spec;

#define F(field) offsetof(ppo_spec, field)
static const crl_param_def ppo_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 1, NULL,
     "Adam step size; lin_<v> decays linearly from v to 0"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "2048", 1, 1e7, NULL,
     "steps collected from each env copy per iteration"},
    {"batch_size", CRL_PARAM_INT, F(batch_size), "64", 1, 1e7, NULL,
     "minibatch size; must divide n_steps * n_envs"},
    {"n_epochs", CRL_PARAM_INT, F(n_epochs), "10", 1, 1000, NULL,
     "passes over the rollout per iteration"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"gae_lambda", CRL_PARAM_REAL, F(gae_lambda), "0.95", 0, 1, NULL,
     "GAE lambda: 0 = one-step TD, 1 = Monte Carlo"},
    {"clip_range", CRL_PARAM_SCHEDULE, F(clip_range), "0.2", 0, 10, NULL,
     "ratio clipping epsilon; lin_<v> decays it"},
    {"clip_range_vf", CRL_PARAM_REAL_OPT, F(clip_range_vf), "null", 0, 1e6,
     NULL, "clip value predictions to old value +- this; null = off"},
    {"normalize_advantage", CRL_PARAM_BOOL, F(normalize_advantage), "true", 0,
     1, NULL, "standardise advantages within each minibatch"},
    {"ent_coef", CRL_PARAM_REAL, F(ent_coef), "0.0", 0, 1e3, NULL,
     "entropy bonus coefficient"},
    {"vf_coef", CRL_PARAM_REAL, F(vf_coef), "0.5", 0, 1e3, NULL,
     "value loss coefficient"},
    {"max_grad_norm", CRL_PARAM_REAL, F(max_grad_norm), "0.5", 0, 1e9, NULL,
     "clip the global gradient norm to this"},
    {"target_kl", CRL_PARAM_REAL_OPT, F(target_kl), "null", 0, 1e3, NULL,
     "stop the epochs when approx KL > 1.5 * target_kl; null = off"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-5", 1e-12, 1, NULL,
     "Adam epsilon (SB3 uses 1e-5 for PPO)"},
    {"normalize", CRL_PARAM_BOOL, F(normalize), "false", 0, 1, NULL,
     "normalise observations with running mean/std (clip 10)"},
    CRL_AC_POLICY_KWARGS(F, "actor and critic"),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

typedef struct ppo {
  ppo_spec spec;
  crl__ac *ac;
  crl_adam *adam;
  crl_rollout *ro;
  gsl_rng *act_rng;   /* action sampling */
  gsl_rng *batch_rng; /* minibatch shuffling */
  int n_envs, obs_dim, act_dim, n_out;
  /* collection scratch */
  crl_real *obs_norm;     /* [N, obs_dim] */
  crl_real *dist;         /* [max(N, batch), n_out] actor outputs */
  crl_real *actions;      /* [N, act_dim] sampled */
  crl_real *env_actions;  /* [N, act_dim] clipped to the bounds */
  crl_real *logp;         /* [max(N, batch)] */
  crl_real *values;       /* [max(N, batch)] */
  crl_real *final_values; /* [N] V(final obs) for truncated copies */
  crl_real *final_norm;   /* [N, obs_dim] normalised final observations */
  /* minibatch scratch */
  size_t *perm;         /* [T * N] */
  crl_real *mb_obs;     /* [batch, obs_dim] */
  crl_real *mb_act;     /* [batch, act_dim] */
  crl_real *mb_adv;     /* [batch] */
  crl_real *mb_ret;     /* [batch] */
  crl_real *mb_oldlogp; /* [batch] */
  crl_real *mb_oldv;    /* [batch] */
  crl_real *dlogp;      /* [batch] */
  crl_real *dv;         /* [batch] */
} ppo;

static void ppo_destroy(void *self) {
  ppo *p = self;
  if (p == NULL)
    return;
  crl__ac_free(p->ac);
  crl_adam_free(p->adam);
  crl_rollout_free(p->ro);
  if (p->act_rng)
    gsl_rng_free(p->act_rng);
  if (p->batch_rng)
    gsl_rng_free(p->batch_rng);
  free(p->obs_norm);
  free(p->dist);
  free(p->actions);
  free(p->env_actions);
  free(p->logp);
  free(p->values);
  free(p->final_values);
  free(p->final_norm);
  free(p->perm);
  free(p->mb_obs);
  free(p->mb_act);
  free(p->mb_adv);
  free(p->mb_ret);
  free(p->mb_oldlogp);
  free(p->mb_oldv);
  free(p->dlogp);
  free(p->dv);
  free(p);
}

static int check_spec(const ppo_spec *s, int n_envs) {
  long total = (long)s->n_steps * n_envs;
  if (s->batch_size > total)
    return crl_fail(CRL_EINVAL,
                    "ppo: batch_size %d exceeds n_steps * n_envs = %ld",
                    s->batch_size, total);
  if (total % s->batch_size != 0)
    return crl_fail(CRL_EINVAL,
                    "ppo: batch_size %d must divide n_steps * n_envs = %ld",
                    s->batch_size, total);
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "ppo: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  return 0;
}

/* calloc that never asks for zero bytes. */
static void *zalloc(size_t count, size_t size) {
  return calloc(count > 0 ? count : 1, size);
}

static int alloc_scratch(ppo *p) {
  size_t N = (size_t)p->n_envs, M = (size_t)p->spec.batch_size;
  size_t W = N > M ? N : M;
  size_t T = (size_t)p->spec.n_steps;
  size_t O = (size_t)p->obs_dim, A = (size_t)p->act_dim;
  const size_t r = sizeof(crl_real);
  p->obs_norm = zalloc(N * O, r);
  p->dist = zalloc(W * (size_t)p->n_out, r);
  p->actions = zalloc(N * A, r);
  p->env_actions = zalloc(N * A, r);
  p->logp = zalloc(W, r);
  p->values = zalloc(W, r);
  p->final_values = zalloc(N, r);
  p->final_norm = zalloc(N * O, r);
  p->perm = zalloc(T * N, sizeof *p->perm);
  p->mb_obs = zalloc(M * O, r);
  p->mb_act = zalloc(M * A, r);
  p->mb_adv = zalloc(M, r);
  p->mb_ret = zalloc(M, r);
  p->mb_oldlogp = zalloc(M, r);
  p->mb_oldv = zalloc(M, r);
  p->dlogp = zalloc(M, r);
  p->dv = zalloc(M, r);
  int ok = p->obs_norm && p->dist && p->actions && p->env_actions && p->logp &&
           p->values && p->final_values && p->final_norm && p->perm &&
           p->mb_obs && p->mb_act && p->mb_adv && p->mb_ret && p->mb_oldlogp &&
           p->mb_oldv && p->dlogp && p->dv;
  return ok ? 0 : crl_fail(CRL_ENOMEM, "ppo: out of memory");
}

static int ppo_create(const void *spec_, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  const ppo_spec *spec = spec_;
  *self = NULL;
  int rc = check_spec(spec, n_envs);
  if (rc)
    return rc;
  ppo *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "ppo: out of memory");
  p->spec = *spec;
  p->n_envs = n_envs;
  crl__ac_spec as = {.net_arch = spec->net_arch,
                     .activation = spec->activation,
                     .log_std_init = spec->log_std_init,
                     .ortho_init = spec->ortho_init,
                     .normalize_obs = spec->normalize,
                     .max_batch =
                         n_envs > spec->batch_size ? n_envs : spec->batch_size};
  gsl_rng *init_rng = crl_rng_alloc(seed, CRL_STREAM_INIT);
  p->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  p->batch_rng = crl_rng_alloc(seed, CRL_STREAM_BATCH);
  if (init_rng == NULL || p->act_rng == NULL || p->batch_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "ppo: out of memory");
  if (rc == 0)
    rc = crl__ac_alloc(&as, obs, act, init_rng, &p->ac);
  if (init_rng)
    gsl_rng_free(init_rng);
  if (rc == 0) {
    p->obs_dim = p->ac->obs_dim;
    p->act_dim = p->ac->act_dim;
    p->n_out = p->ac->n_out;
    crl_adam_spec adam = crl_adam_spec_default();
    adam.eps = spec->adam_eps;
    rc = crl_adam_alloc(p->ac->n_params, &adam, &p->adam);
  }
  if (rc == 0)
    rc = crl_rollout_alloc(spec->n_steps, n_envs, p->obs_dim, p->act_dim,
                           &p->ro);
  if (rc == 0)
    rc = alloc_scratch(p);
  if (rc) {
    ppo_destroy(p);
    return rc;
  }
  *self = p;
  return 0;
}

/* V(final observation) for copies whose episode was cut by the time limit. */
static int final_values(ppo *p, crl_vec_env *venv) {
  const int *term = crl_vec_env_terminated(venv);
  const int *trunc = crl_vec_env_truncated(venv);
  int any = 0;
  for (int i = 0; i < p->n_envs; i++)
    any |= trunc[i] && !term[i];
  if (!any)
    return 0;
  crl__ac_normalize(p->ac, crl_vec_env_final_obs(venv), p->n_envs,
                    p->final_norm, 0);
  return crl__ac_critic_forward(p->ac, p->final_norm, p->n_envs,
                                p->final_values);
}

/* One step of every copy: act, store, and bootstrap truncated episodes. */
static int collect_step(ppo *p, crl_vec_env *venv) {
  const int N = p->n_envs;
  crl__ac_normalize(p->ac, crl_vec_env_obs(venv), N, p->obs_norm, 1);
  int rc = crl__ac_actor_forward(p->ac, p->obs_norm, N, p->dist);
  if (rc == 0)
    rc = crl__ac_critic_forward(p->ac, p->obs_norm, N, p->values);
  if (rc)
    return rc;
  crl__ac_sample(p->ac, p->dist, N, 0, p->act_rng, p->actions);
  crl__ac_log_prob(p->ac, p->dist, p->actions, N, p->logp);
  crl__ac_clip_actions(p->ac, p->actions, N, p->env_actions);
  /* obs_norm keeps the observations the actions were chosen in. */
  rc = crl_vec_env_step(venv, p->env_actions);
  if (rc == 0)
    rc = final_values(p, venv);
  if (rc)
    return rc;
  return crl_rollout_add(
      p->ro, p->obs_norm, p->actions, p->logp, p->values,
      crl_vec_env_rewards(venv), crl_vec_env_terminated(venv),
      crl_vec_env_truncated(venv), p->final_values, p->spec.gamma);
}

static int collect(ppo *p, crl_vec_env *venv) {
  crl_rollout_clear(p->ro);
  for (int t = 0; t < p->spec.n_steps; t++) {
    int rc = collect_step(p, venv);
    if (rc)
      return rc;
  }
  crl__ac_normalize(p->ac, crl_vec_env_obs(venv), p->n_envs, p->obs_norm, 0);
  int rc = crl__ac_critic_forward(p->ac, p->obs_norm, p->n_envs, p->values);
  if (rc)
    return rc;
  return crl_rollout_compute_gae(p->ro, p->values, p->spec.gamma,
                                 p->spec.gae_lambda);
}

static void gather_minibatch(ppo *p, const size_t *idx, int M) {
  const crl_rollout *ro = p->ro;
  const size_t O = (size_t)p->obs_dim, A = (size_t)p->act_dim;
  for (int i = 0; i < M; i++) {
    size_t k = idx[i];
    /* rows of a few values: plain loops beat a memcpy call per row */
    for (size_t d = 0; d < O; d++)
      p->mb_obs[(size_t)i * O + d] = ro->obs[k * O + d];
    for (size_t d = 0; d < A; d++)
      p->mb_act[(size_t)i * A + d] = ro->actions[k * A + d];
    p->mb_adv[i] = ro->advantages[k];
    p->mb_ret[i] = ro->returns[k];
    p->mb_oldlogp[i] = ro->log_probs[k];
    p->mb_oldv[i] = ro->values[k];
  }
  if (p->spec.normalize_advantage)
    crl__onp_standardize(p->mb_adv, (size_t)M);
}

typedef struct mb_result {
  double policy_loss, value_loss, entropy, approx_kl, clip_fraction;
} mb_result;

/* Clipped-surrogate policy term: fills dlogp with dL/dlogp_i. */
static void policy_term(ppo *p, int M, double clip, mb_result *r) {
  double loss = 0.0, kl = 0.0, clipped = 0.0;
  for (int i = 0; i < M; i++) {
    double log_ratio = (double)p->logp[i] - (double)p->mb_oldlogp[i];
    double ratio = exp(log_ratio);
    double adv = p->mb_adv[i];
    double rc = ratio < 1.0 - clip ? 1.0 - clip
                                   : (ratio > 1.0 + clip ? 1.0 + clip : ratio);
    double unclipped = ratio * adv, clipped_obj = rc * adv;
    /* L_i = -min(unclipped, clipped). Where the clipped objective is
     * strictly smaller, the ratio is outside the range and its gradient is
     * zero; otherwise d(-ratio * adv)/dlogp = -ratio * adv. */
    int use_unclipped = unclipped <= clipped_obj;
    loss += -(use_unclipped ? unclipped : clipped_obj);
    p->dlogp[i] = (crl_real)(use_unclipped ? -unclipped / M : 0.0);
    kl += (ratio - 1.0) - log_ratio;
    clipped += fabs(ratio - 1.0) > clip;
  }
  r->policy_loss = loss / M;
  r->approx_kl = kl / M;
  r->clip_fraction = clipped / M;
}

/* Value term (0.5 * vf_coef * MSE scaled as SB3: vf_coef * MSE). */
static void value_term(ppo *p, int M, mb_result *r) {
  const double c = p->spec.clip_range_vf;
  double loss = 0.0;
  for (int i = 0; i < M; i++) {
    double v = p->values[i], old = p->mb_oldv[i];
    double pred = v, slope = 1.0;
    if (!isnan(c)) {
      double d = v - old;
      if (d > c) {
        pred = old + c;
        slope = 0.0;
      } else if (d < -c) {
        pred = old - c;
        slope = 0.0;
      }
    }
    double err = pred - (double)p->mb_ret[i];
    loss += err * err;
    p->dv[i] = (crl_real)(p->spec.vf_coef * 2.0 * err * slope / M);
  }
  r->value_loss = loss / M;
}

/* Loss, gradients and one Adam step on minibatch idx. Returns 1 in *stop
 * when the KL early stop triggers (SB3 checks before stepping). */
static int train_minibatch(ppo *p, const size_t *idx, int M, double clip,
                           double lr, mb_result *r, int *stop) {
  gather_minibatch(p, idx, M);
  crl__ac *ac = p->ac;
  int rc = crl__ac_actor_forward(ac, p->mb_obs, M, p->dist);
  if (rc == 0)
    rc = crl__ac_critic_forward(ac, p->mb_obs, M, p->values);
  if (rc)
    return rc;
  crl__ac_log_prob(ac, p->dist, p->mb_act, M, p->logp);
  policy_term(p, M, clip, r);
  value_term(p, M, r);
  r->entropy = crl__ac_entropy_mean(ac, p->dist, M);
  if (!isnan(p->spec.target_kl) && r->approx_kl > 1.5 * p->spec.target_kl) {
    *stop = 1;
    return 0;
  }
  double total = r->policy_loss - p->spec.ent_coef * r->entropy +
                 p->spec.vf_coef * r->value_loss;
  if (!isfinite(total))
    return crl_fail(CRL_ENONFINITE,
                    "ppo: loss is not finite (policy %g, value %g, entropy %g)",
                    r->policy_loss, r->value_loss, r->entropy);
  crl__ac_zero_grad(ac);
  rc = crl__ac_actor_backward(ac, p->dist, p->mb_act, M, p->dlogp,
                              -p->spec.ent_coef);
  if (rc == 0)
    rc = crl__ac_critic_backward(ac, p->dv, M);
  if (rc)
    return rc;
  crl_clip_grad_norm(ac->n_params, ac->grads, p->spec.max_grad_norm);
  crl_adam_step(p->adam, ac->params, ac->grads, lr);
  return 0;
}

static int ppo_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *stats) {
  ppo *p = self;
  if (crl_vec_env_n(venv) != p->n_envs)
    return crl_fail(CRL_ESHAPE, "ppo: built for %d env copies, got %d",
                    p->n_envs, crl_vec_env_n(venv));
  int rc = collect(p, venv);
  if (rc)
    return rc;
  const double lr =
      crl_schedule_value(&p->spec.learning_rate, progress_remaining);
  const double clip =
      crl_schedule_value(&p->spec.clip_range, progress_remaining);
  const size_t total = (size_t)p->spec.n_steps * p->n_envs;
  const int M = p->spec.batch_size;
  mb_result sum = {0}, r = {0};
  int n_mb = 0, stop = 0;
  for (int e = 0; e < p->spec.n_epochs && !stop; e++) {
    for (size_t k = 0; k < total; k++)
      p->perm[k] = k;
    gsl_ran_shuffle(p->batch_rng, p->perm, total, sizeof *p->perm);
    for (size_t start = 0; start < total && !stop; start += (size_t)M) {
      rc = train_minibatch(p, p->perm + start, M, clip, lr, &r, &stop);
      if (rc)
        return rc;
      if (stop)
        break;
      sum.policy_loss += r.policy_loss;
      sum.value_loss += r.value_loss;
      sum.entropy += r.entropy;
      sum.approx_kl += r.approx_kl;
      sum.clip_fraction += r.clip_fraction;
      n_mb++;
    }
  }
  stats->steps = (long)total;
  stats->learning_rate = lr;
  stats->n_updates = n_mb;
  if (n_mb > 0) {
    stats->policy_loss = sum.policy_loss / n_mb;
    stats->value_loss = sum.value_loss / n_mb;
    stats->entropy = sum.entropy / n_mb;
    stats->approx_kl = sum.approx_kl / n_mb;
    stats->clip_fraction = sum.clip_fraction / n_mb;
  }
  stats->explained_variance = crl__onp_explained_variance(p->ro);
  return 0;
}

static int ppo_act(void *self, const crl_real *obs, int B, int deterministic,
                   crl_real *action) {
  ppo *p = self;
  /* Work in chunks that fit the networks' capacity. */
  const int cap = p->ac->max_batch < p->n_envs ? p->ac->max_batch : p->n_envs;
  for (int start = 0; start < B; start += cap) {
    int b = B - start < cap ? B - start : cap;
    crl__ac_normalize(p->ac, obs + (size_t)start * p->obs_dim, b, p->obs_norm,
                      0);
    int rc = crl__ac_actor_forward(p->ac, p->obs_norm, b, p->dist);
    if (rc)
      return rc;
    crl__ac_sample(p->ac, p->dist, b, deterministic, p->act_rng,
                   action + (size_t)start * p->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

static int ppo_save(void *self, crl_ckpt_writer *w) {
  ppo *p = self;
  int rc = crl__ckpt_put_real(w, "ppo.params", p->ac->n_params, p->ac->params);
  rc = rc ? rc : crl__adam_save(p->adam, p->ac->n_params, w, "ppo.adam");
  if (rc == 0 && p->ac->norm != NULL)
    rc = crl__normalizer_save(p->ac->norm, w, "ppo.norm");
  rc = rc ? rc : crl__rng_save(p->act_rng, w, "ppo.act_rng");
  return rc ? rc : crl__rng_save(p->batch_rng, w, "ppo.batch_rng");
}

static int ppo_load(void *self, const crl_ckpt_reader *r) {
  ppo *p = self;
  crl__ac *ac = p->ac;
  int rc = crl__ckpt_get_real_finite(r, "ppo.params", ac->n_params, ac->params);
  rc = rc ? rc : crl__adam_load(p->adam, ac->n_params, r, "ppo.adam");
  if (rc == 0 && ac->norm != NULL)
    rc = crl__normalizer_load(ac->norm, r, "ppo.norm");
  rc = rc ? rc : crl__rng_load(p->act_rng, r, "ppo.act_rng");
  return rc ? rc : crl__rng_load(p->batch_rng, r, "ppo.batch_rng");
}

static int ppo_export(void *self, int max_batch, crl_policy **out) {
  ppo *p = self;
  return crl__policy_from_parts(
      p->ac->actor, p->ac->norm, &p->ac->act_space,
      p->ac->discrete ? CRL_POLICY_ARGMAX : CRL_POLICY_CLIP, max_batch, out);
}

/* One iteration: n_steps on every copy. */
static long ppo_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const ppo_spec *)spec)->n_steps * n_envs;
}

const crl_algo_type crl__algo_ppo = {
    .name = "ppo",
    .doc = "Proximal Policy Optimization, clipped surrogate (SB3 semantics)",
    .params = ppo_params,
    .spec_size = sizeof(ppo_spec),
    .create = ppo_create,
    .iterate = ppo_iterate,
    .act = ppo_act,
    .destroy = ppo_destroy,
    .save = ppo_save,
    .load = ppo_load,
    .export_policy = ppo_export,
    .steps_per_iteration = ppo_steps_per_iteration,
};
