/* TRPO (Schulman et al. 2015) as SB3-contrib has it, with Spinning Up's
 * defaults: n_steps from each env copy with GAE(lambda), advantages
 * standardised over the batch, one natural-gradient step on the policy
 * (trpo_step.c: conjugate gradient on the exact Fisher-vector product,
 * step scaled to the KL radius target_kl, backtracking line search), then
 * n_critic_updates epochs of Adam on the value loss mean (V(s) - R)^2 in
 * shuffled minibatches, touching only the critic. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/rng.h"
#include "rl/pg_loss.h"
#include "trpo.h"

#define F(field) offsetof(trpo_spec, field)
static const crl_param_def trpo_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "1e-3", 0, 1, NULL,
     "the value function's Adam step size; lin_<v> decays it"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "2048", 1, 1e7, NULL,
     "steps from each env copy per update"},
    {"batch_size", CRL_PARAM_INT, F(batch_size), "128", 1, 1e7, NULL,
     "value-function minibatch size (the last of an epoch may be short; "
     "beyond n_steps * n_envs, one minibatch of the whole rollout)"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"gae_lambda", CRL_PARAM_REAL, F(gae_lambda), "0.95", 0, 1, NULL,
     "GAE lambda: 0 = one-step TD, 1 = Monte Carlo"},
    {"cg_max_steps", CRL_PARAM_INT, F(cg_max_steps), "10", 1, 10000, NULL,
     "conjugate-gradient iterations (Spinning Up 10, SB3-contrib 15)"},
    {"cg_damping", CRL_PARAM_REAL, F(cg_damping), "0.1", 0, 1e6, NULL,
     "solve (F + cg_damping I) x = g"},
    {"line_search_shrinking_factor", CRL_PARAM_REAL,
     F(line_search_shrinking_factor), "0.8", 0.01, 0.99, NULL,
     "backtracking factor of the step"},
    {"line_search_max_iter", CRL_PARAM_INT, F(line_search_max_iter), "10", 1,
     1000, NULL, "line-search points tried before giving up"},
    {"n_critic_updates", CRL_PARAM_INT, F(n_critic_updates), "10", 0, 100000,
     NULL, "passes of value-function minibatches per update"},
    {"normalize_advantage", CRL_PARAM_BOOL, F(normalize_advantage), "true", 0,
     1, NULL, "standardise the advantages of each rollout"},
    {"target_kl", CRL_PARAM_REAL, F(target_kl), "0.01", 1e-9, 10, NULL,
     "KL radius delta: mean KL(old || new) <= delta"},
    {"sub_sampling_factor", CRL_PARAM_INT, F(sub_sampling_factor), "1", 1, 1000,
     NULL, "policy step on every k-th sample only (faster)"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-5", 1e-12, 1, NULL,
     "Adam epsilon of the value function (SB3's policies use 1e-5)"},
    {"normalize", CRL_PARAM_BOOL, F(normalize), "false", 0, 1, NULL,
     "normalise observations with running mean/std (clip 10)"},
    {"normalize_reward", CRL_PARAM_BOOL, F(normalize_reward), "false", 0, 1,
     NULL,
     "scale rewards by the running std of the discounted return "
     "(VecNormalize's norm_reward)"},
    CRL_AC_POLICY_KWARGS(F, "actor and critic"),
    CRL_GRAD_SHARDS_PARAM(F),
    CRL_SDE_PARAMS(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

enum { CHUNK = 2048 }; /* most rows one policy forward takes */

static void trpo_destroy(void *self) {
  trpo *t = self;
  if (t == NULL)
    return;
  crl__onp_free(t->onp);
  crl_adam_free(t->vf_adam);
  crl__cg_free(t->cg);
  crl__ac_fisher_free(t->fisher);
  for (int k = 0; t->fishers && k < t->spec.grad_shards; k++)
    crl__ac_fisher_free(t->fishers[k]);
  free(t->fishers);
  crl__shards_free(&t->shards);
  if (t->batch_rng)
    gsl_rng_free(t->batch_rng);
  free(t->block);
  free(t);
}

static int alloc_buffers(trpo *t) {
  const crl__ac *ac = t->onp->ac;
  const size_t M = (size_t)t->M, O = (size_t)ac->obs_dim;
  const size_t A = (size_t)ac->act_dim, K = (size_t)ac->n_out;
  const size_t TN = (size_t)t->onp->n_steps * t->onp->n_envs;
  const size_t P = t->n_pi;
  const size_t V = ac->sde ? M * A : 0;
  /* a batch_size beyond the rollout is one minibatch of all of it (SB3) */
  const size_t B =
      (size_t)t->spec.batch_size < TN ? (size_t)t->spec.batch_size : TN;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&t->obs,         CRL__BUF_REAL, M * O}, /* [M, obs_dim] */
    {(void **)&t->act,         CRL__BUF_REAL, M * A}, /* [M, act_dim] */
    {(void **)&t->adv,         CRL__BUF_REAL, M},     /* [M] */
    {(void **)&t->old_logp,    CRL__BUF_REAL, M},     /* [M] */
    {(void **)&t->dist_old,    CRL__BUF_REAL, M * K}, /* [M, n_out] */
    {(void **)&t->log_std_old, CRL__BUF_REAL, A},     /* [act_dim] */
    {(void **)&t->dist,        CRL__BUF_REAL, M * K}, /* [M, n_out] */
    {(void **)&t->logp,        CRL__BUF_REAL, M},     /* [M] */
    {(void **)&t->dlogp,       CRL__BUF_REAL, M},     /* [M] */
    {(void **)&t->kl,          CRL__BUF_REAL, M},     /* [M] */
    {(void **)&t->var_old,     CRL__BUF_DOUBLE, V},   /* [M, act_dim] */
    {(void **)&t->var,         CRL__BUF_DOUBLE, V},   /* [M, act_dim] */
    {(void **)&t->g,           CRL__BUF_REAL, P},     /* [n_pi] */
    {(void **)&t->x,           CRL__BUF_REAL, P},     /* [n_pi] */
    {(void **)&t->fx,          CRL__BUF_REAL, P},     /* [n_pi] */
    {(void **)&t->theta_old,   CRL__BUF_REAL, P},     /* [n_pi] */
    {(void **)&t->perm,        CRL__BUF_SIZE, TN},    /* [T * N] */
    {(void **)&t->mb_obs,      CRL__BUF_REAL, B * O}, /* [batch, obs_dim] */
    {(void **)&t->mb_ret,      CRL__BUF_REAL, B},     /* [batch] */
    {(void **)&t->v,           CRL__BUF_REAL, B},     /* [batch] */
    {(void **)&t->dv,          CRL__BUF_REAL, B},     /* [batch] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &t->block, "trpo");
}

static int check_spec(const trpo_spec *s, int n_envs) {
  long total = (long)s->n_steps * n_envs;
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "trpo: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  if (total < 2)
    return crl_fail(CRL_EINVAL, "trpo: n_steps * n_envs must be >= 2");
  if (total > 10000000)
    return crl_fail(CRL_EINVAL, "trpo: n_steps * n_envs = %ld is too large",
                    total);
  return 0;
}

/* The Fisher-vector products: one for the whole batch, or one for each
 * part of it (grad_shards), each keeping its part's forward pass. */
static int alloc_fishers(trpo *t) {
  crl__ac *ac = t->onp->ac;
  const long S = t->spec.grad_shards, M = t->M;
  t->shards = (crl__shards){.name = "trpo", .n = (int)S};
  if (S == 1)
    return crl__ac_fisher_alloc(ac, t->M, &t->fisher);
  t->fishers = calloc((size_t)S, sizeof *t->fishers);
  if (t->fishers == NULL)
    return crl_fail(CRL_ENOMEM, "trpo: out of memory");
  for (long k = 0; k < S; k++) {
    int rows = (int)((k + 1) * M / S - k * M / S);
    int rc = rows > 0 ? crl__ac_fisher_alloc(ac, rows, &t->fishers[k]) : 0;
    if (rc)
      return rc;
  }
  return 0;
}

static int alloc_parts(trpo *t, const crl_space *obs, const crl_space *act,
                       int n_envs, uint64_t seed) {
  const trpo_spec *s = &t->spec;
  int total = s->n_steps * n_envs;
  t->M = (total + s->sub_sampling_factor - 1) / s->sub_sampling_factor;
  int cap = t->M < CHUNK ? t->M : CHUNK;
  cap = cap > s->batch_size ? cap
                            : (s->batch_size < total ? s->batch_size : total);
  crl__ac_spec as = {.net_arch = s->net_arch,
                     .activation = s->activation,
                     .log_std_init = s->log_std_init,
                     .ortho_init = s->ortho_init,
                     .use_sde = s->use_sde,
                     .sde_sample_freq = s->sde_sample_freq,
                     .full_std = s->full_std,
                     .use_expln = s->use_expln,
                     .sde_rows = n_envs,
                     .normalize_obs = s->normalize,
                     .max_batch = cap > n_envs ? cap : n_envs};
  int rc = crl__onp_alloc("trpo", &as, obs, act, n_envs, s->n_steps,
                          s->normalize_reward, seed, &t->onp);
  if (rc)
    return rc;
  crl__ac *ac = t->onp->ac;
  t->n_pi = crl__ac_policy_size(ac);
  crl_adam_spec a = crl_adam_spec_default();
  a.eps = s->adam_eps;
  rc = crl_adam_alloc(ac->n_params - t->n_pi, &a, &t->vf_adam);
  if (rc == 0)
    rc = crl__cg_alloc(t->n_pi, &t->cg);
  if (rc == 0)
    rc = alloc_fishers(t);
  t->batch_rng = crl_rng_alloc(seed, CRL_STREAM_BATCH);
  if (rc == 0 && t->batch_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "trpo: out of memory");
  return rc ? rc : alloc_buffers(t);
}

static int trpo_create(const void *spec_, const crl_space *obs,
                       const crl_space *act, int n_envs, uint64_t seed,
                       void **self) {
  const trpo_spec *spec = spec_;
  *self = NULL;
  int rc = check_spec(spec, n_envs);
  if (rc)
    return rc;
  trpo *t = calloc(1, sizeof *t);
  if (t == NULL)
    return crl_fail(CRL_ENOMEM, "trpo: out of memory");
  t->spec = *spec;
  rc = alloc_parts(t, obs, act, n_envs, seed);
  if (rc) {
    trpo_destroy(t);
    return rc;
  }
  *self = t;
  return 0;
}

/* The policy step's batch: every sub_sampling_factor-th row of the
 * rollout, advantages standardised over it. */
static void gather_batch(trpo *t) {
  const crl_rollout *ro = t->onp->ro;
  const size_t O = (size_t)ro->obs_dim, A = (size_t)ro->act_dim;
  const size_t k = (size_t)t->spec.sub_sampling_factor;
  for (size_t i = 0; i < (size_t)t->M; i++) {
    size_t j = i * k;
    memcpy(t->obs + i * O, ro->obs + j * O, O * sizeof *t->obs);
    memcpy(t->act + i * A, ro->actions + j * A, A * sizeof *t->act);
    t->adv[i] = ro->advantages[j];
    t->old_logp[i] = ro->log_probs[j];
  }
  if (t->spec.normalize_advantage)
    crl__pg_standardize(t->adv, (size_t)t->M, 1, 1);
}

/* Rows [a, b) of a minibatch of n: their share of mean (V(s) - R)^2 and
 * of its gradient, into the critic's slice of ac->grads (zeroed first). */
static int critic_part(void *self, int a, int b, int n, double *stats) {
  trpo *t = self;
  crl__ac *ac = t->onp->ac;
  const size_t O = (size_t)ac->obs_dim;
  const int m = b - a;
  /* Only the critic's slice: the policy moved by the trust-region step. */
  memset(ac->grads + t->n_pi, 0, (ac->n_params - t->n_pi) * sizeof *ac->grads);
  stats[0] = 0.0;
  if (m == 0)
    return 0;
  int rc = crl__ac_critic_forward(ac, t->mb_obs + a * O, m, t->v + a);
  if (rc)
    return rc;
  double l = 0.0;
  for (int i = a; i < b; i++) {
    double err = (double)t->v[i] - (double)t->mb_ret[i];
    l += err * err;
    t->dv[i] = (crl_real)(2.0 * err / n);
  }
  stats[0] = l / n;
  return crl__ac_critic_backward(ac, t->dv + a, m);
}

/* One Adam step on mean (V(s) - R)^2 over minibatch idx [n]. */
static int critic_minibatch(trpo *t, const size_t *idx, int n, double lr,
                            double *loss) {
  crl__ac *ac = t->onp->ac;
  const crl_rollout *ro = t->onp->ro;
  const size_t O = (size_t)ro->obs_dim;
  for (int i = 0; i < n; i++) {
    memcpy(t->mb_obs + (size_t)i * O, ro->obs + idx[i] * O,
           O * sizeof *t->mb_obs);
    t->mb_ret[i] = ro->returns[idx[i]];
  }
  int rc =
      crl__shards_gradient(&t->shards, n, ac->grads + t->n_pi,
                           ac->n_params - t->n_pi, loss, 1, critic_part, t);
  if (rc == 0)
    rc = crl__onp_check_finite(t->onp, "the value loss", *loss);
  if (rc == 0)
    crl_adam_step(t->vf_adam, ac->params + t->n_pi, ac->grads + t->n_pi, lr);
  return rc;
}

/* perm [n] shuffled as gsl_ran_shuffle(rng, perm, n, sizeof *perm) does
 * it, draw for draw and swap for swap (Fisher-Yates from the end, j =
 * gsl_rng_uniform_int(rng, i + 1)), so the same permutations, but
 * swapping whole size_t values where GSL's generic swap moves bytes one at
 * a time: that byte loop was half of the shuffle's time, and the shuffle
 * 2 % of a Pendulum run (25 epochs of 2048 indices an update). */
static void shuffle_indices(gsl_rng *rng, size_t *perm, size_t n) {
  for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--) {
    const size_t j = gsl_rng_uniform_int(rng, i + 1);
    const size_t tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
}

/* n_critic_updates epochs of shuffled minibatches (the last may be short,
 * as SB3's). Returns the mean loss over them. */
static int fit_critic(trpo *t, double lr, double *mean_loss, int *steps) {
  const size_t total = (size_t)t->onp->n_steps * t->onp->n_envs;
  const size_t bs = (size_t)t->spec.batch_size;
  double sum = 0.0;
  int n = 0;
  for (int e = 0; e < t->spec.n_critic_updates; e++) {
    for (size_t k = 0; k < total; k++)
      t->perm[k] = k;
    shuffle_indices(t->batch_rng, t->perm, total);
    for (size_t s = 0; s < total; s += bs) {
      int m = (int)(total - s < bs ? total - s : bs);
      double loss = 0.0;
      int rc = critic_minibatch(t, t->perm + s, m, lr, &loss);
      if (rc)
        return rc;
      sum += loss;
      n++;
    }
  }
  *mean_loss = n > 0 ? sum / n : NAN;
  *steps = n;
  return 0;
}

static int trpo_iterate(void *self, crl_vec_env *venv,
                        double progress_remaining, crl_algo_stats *st) {
  trpo *t = self;
  int rc = crl__onp_check_venv(t->onp, venv);
  if (rc == 0)
    rc = crl__onp_collect(t->onp, venv, t->spec.gamma, t->spec.gae_lambda);
  if (rc)
    return rc;
  gather_batch(t);
  trpo_step_result res;
  rc = trpo_policy_step(t, &res);
  if (rc)
    return rc;
  const double lr =
      crl_schedule_value(&t->spec.learning_rate, progress_remaining);
  int vf_steps = 0;
  rc = fit_critic(t, lr, &st->value_loss, &vf_steps);
  st->steps = (long)t->onp->n_steps * t->onp->n_envs;
  st->learning_rate = lr;
  st->policy_loss = -res.surrogate;
  st->approx_kl = res.kl; /* 0 when the line search rejected every point */
  /* A part sees its rows only: sharded, a categorical policy's entropy is
   * the sum of the parts' (a Gaussian's does not depend on the state). */
  const crl__ac *ac = t->onp->ac;
  if (t->shards.n > 1 && (ac->discrete || ac->sde))
    st->entropy = t->entropy_old;           /* at theta_old */
  else if (ac->sde && t->M > ac->max_batch) /* sde->var holds a chunk */
    st->entropy = trpo_sde_entropy(t->var, t->M, ac->act_dim);
  else
    st->entropy = crl__ac_entropy_mean(t->onp->ac, t->dist_old, t->M);
  st->n_updates = res.accepted + vf_steps;
  st->explained_variance = crl__onp_explained_variance(t->onp->ro);
  return rc;
}

static int trpo_act(void *self, const crl_real *obs, int B, int deterministic,
                    crl_real *action) {
  trpo *t = self;
  return crl__onp_act(t->onp, obs, B, deterministic, action);
}

/* ---- checkpoints and export ---------------------------------------------- */

/* The collector's sections at trpo's level (trpo.params, ...), then the
 * value function's Adam and the minibatch stream. */
static int trpo_sections(void *self, crl_state_io *io) {
  trpo *t = self;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("vf_adam", crl_adam_sections, t->vf_adam),
      CRL_STATE_OBJ("batch_rng", crl_rng_sections, t->batch_rng),
  };
  int rc = crl__onp_sections(t->onp, io);
  return rc ? rc : crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int trpo_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "trpo", trpo_sections, self);
}

static int trpo_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "trpo", trpo_sections, self);
}

static int trpo_export(void *self, int max_batch, crl_policy **out) {
  trpo *t = self;
  return crl__onp_export(t->onp, max_batch, out);
}

/* One iteration: n_steps on every copy. */
static long trpo_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const trpo_spec *)spec)->n_steps * n_envs;
}

/* Data parallel: the shared env copies, part `rank` of every sum over the
 * batch (rl/shards.h). */
static int trpo_set_group(void *self, const crl_group *g, int *own_envs) {
  trpo *t = self;
  *own_envs = 0;
  return crl__shards_set_group(&t->shards, g);
}

const crl_algo_type crl__algo_trpo = {
    .name = "trpo",
    .doc = "Trust Region Policy Optimization: natural gradient by CG on the "
           "exact Fisher, KL line search",
    .params = trpo_params,
    .spec_size = sizeof(trpo_spec),
    .create = trpo_create,
    .iterate = trpo_iterate,
    .act = trpo_act,
    .destroy = trpo_destroy,
    .save = trpo_save,
    .load = trpo_load,
    .export_policy = trpo_export,
    .steps_per_iteration = trpo_steps_per_iteration,
    .set_group = trpo_set_group,
};
