/* A2C (Mnih et al. 2016, synchronous), as Stable-Baselines3 has it: n_steps
 * from each of n_envs copies, GAE(lambda) advantages (lambda = 1: n-step
 * returns), then ONE gradient step on
 *   L = -mean(A log pi(a|s)) - ent_coef mean(entropy)
 *       + vf_coef mean((V(s) - R)^2)
 * over the whole rollout, with the global gradient norm clipped to
 * max_grad_norm, by RMSprop (torch's, alpha 0.99, eps rms_prop_eps) or
 * Adam. The collector, GAE with time-limit bootstrapping, checkpoints and
 * export are shared with PPO and TRPO (rl/onpolicy.h). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "rl/onpolicy.h"
#include "rl/pg_loss.h"
#include "rl/shards.h"

typedef struct a2c_spec {
  crl_schedule learning_rate;
  int n_steps;
  double gamma;
  double gae_lambda;
  double ent_coef;
  double vf_coef;
  double max_grad_norm;
  int use_rms_prop;
  double rms_prop_eps;
  double adam_eps;
  int normalize_advantage;
  int normalize;
  int normalize_reward;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
  int use_sde, sde_sample_freq, full_std, use_expln; /* gSDE */
  int grad_shards;
} a2c_spec;

#define F(field) offsetof(a2c_spec, field)
static const crl_param_def a2c_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "7e-4", 0, 1, NULL,
     "optimiser step size; lin_<v> decays linearly from v to 0"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "5", 1, 1e7, NULL,
     "steps from each env copy per update"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"gae_lambda", CRL_PARAM_REAL, F(gae_lambda), "1.0", 0, 1, NULL,
     "GAE lambda; 1 = n-step returns (SB3's default for A2C)"},
    {"ent_coef", CRL_PARAM_REAL, F(ent_coef), "0.0", 0, 1e3, NULL,
     "entropy bonus coefficient"},
    {"vf_coef", CRL_PARAM_REAL, F(vf_coef), "0.5", 0, 1e3, NULL,
     "value loss coefficient"},
    {"max_grad_norm", CRL_PARAM_REAL, F(max_grad_norm), "0.5", 0, 1e9, NULL,
     "clip the global gradient norm to this"},
    {"use_rms_prop", CRL_PARAM_BOOL, F(use_rms_prop), "true", 0, 1, NULL,
     "RMSprop (alpha 0.99) as SB3; false = Adam"},
    {"rms_prop_eps", CRL_PARAM_REAL, F(rms_prop_eps), "1e-5", 1e-12, 1, NULL,
     "RMSprop epsilon"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-5", 1e-12, 1, NULL,
     "Adam epsilon (SB3's policies use 1e-5)"},
    {"normalize_advantage", CRL_PARAM_BOOL, F(normalize_advantage), "false", 0,
     1, NULL, "standardise the advantages of each rollout"},
    {"normalize", CRL_PARAM_BOOL, F(normalize), "false", 0, 1, NULL,
     "normalise observations with running mean/std (clip 10)"},
    {"normalize_reward", CRL_PARAM_BOOL, F(normalize_reward), "false", 0, 1,
     NULL,
     "scale rewards by the running std of the discounted return "
     "(VecNormalize's norm_reward; the zoo's normalize sets both)"},
    CRL_AC_POLICY_KWARGS(F, "actor and critic"),
    CRL_SDE_PARAMS(F),
    CRL_GRAD_SHARDS_PARAM(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

typedef struct a2c {
  a2c_spec spec;
  crl__onp *onp;
  crl_rmsprop *rms; /* one of rms and adam */
  crl_adam *adam;
  void *block;        /* the buffers below, one allocation */
  crl_real *dist;     /* [T*N, n_out] */
  crl_real *logp;     /* [T*N] */
  crl_real *values;   /* [T*N] */
  crl_real *adv;      /* [T*N] */
  crl_real *dlogp;    /* [T*N] */
  crl_real *dv;       /* [T*N] */
  crl__shards shards; /* the gradient's parts (grad_shards) */
} a2c;

static void a2c_destroy(void *self) {
  a2c *p = self;
  if (p == NULL)
    return;
  crl__onp_free(p->onp);
  crl_rmsprop_free(p->rms);
  crl_adam_free(p->adam);
  crl__shards_free(&p->shards);
  free(p->block);
  free(p);
}

static int alloc_optimizer(a2c *p) {
  size_t n = p->onp->ac->n_params;
  if (p->spec.use_rms_prop) {
    crl_rmsprop_spec r = {.alpha = 0.99, .eps = p->spec.rms_prop_eps};
    return crl_rmsprop_alloc(n, &r, &p->rms);
  }
  crl_adam_spec a = crl_adam_spec_default();
  a.eps = p->spec.adam_eps;
  return crl_adam_alloc(n, &a, &p->adam);
}

/* The update's batch is the whole rollout, M = n_steps * n_envs rows. */
static int alloc_batch(a2c *p, size_t M) {
  const size_t K = (size_t)p->onp->n_out;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&p->dist,   CRL__BUF_REAL, M * K}, /* [T*N, n_out] */
    {(void **)&p->logp,   CRL__BUF_REAL, M},     /* [T*N] */
    {(void **)&p->values, CRL__BUF_REAL, M},     /* [T*N] */
    {(void **)&p->adv,    CRL__BUF_REAL, M},     /* [T*N] */
    {(void **)&p->dlogp,  CRL__BUF_REAL, M},     /* [T*N] */
    {(void **)&p->dv,     CRL__BUF_REAL, M},     /* [T*N] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "a2c");
}

static int a2c_create(const void *spec_, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  const a2c_spec *spec = spec_;
  *self = NULL;
  if (spec->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "a2c: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  long M = (long)spec->n_steps * n_envs;
  if (M > 1000000)
    return crl_fail(CRL_EINVAL,
                    "a2c: n_steps * n_envs = %ld; one update takes the whole "
                    "rollout, keep it at most 1e6",
                    M);
  a2c *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "a2c: out of memory");
  p->spec = *spec;
  p->shards = (crl__shards){.name = "a2c", .n = spec->grad_shards};
  crl__ac_spec as = {.net_arch = spec->net_arch,
                     .activation = spec->activation,
                     .log_std_init = spec->log_std_init,
                     .ortho_init = spec->ortho_init,
                     .use_sde = spec->use_sde,
                     .sde_sample_freq = spec->sde_sample_freq,
                     .full_std = spec->full_std,
                     .use_expln = spec->use_expln,
                     .sde_rows = n_envs,
                     .normalize_obs = spec->normalize,
                     .max_batch = (int)M};
  int rc = crl__onp_alloc("a2c", &as, obs, act, n_envs, spec->n_steps,
                          spec->normalize_reward, seed, &p->onp);
  if (rc == 0)
    rc = alloc_optimizer(p);
  if (rc == 0)
    rc = alloc_batch(p, (size_t)M);
  if (rc) {
    a2c_destroy(p);
    return rc;
  }
  *self = p;
  return 0;
}

enum { A2C_POLICY, A2C_VALUE, A2C_ENTROPY, A2C_STATS };

/* The gradient (in ac->grads, zeroed first) and statistics of rollout
 * rows [a, b) of M, every mean over M (rl/shards.h): dlogp and dv are the
 * rows' share of the losses' gradient. */
static int part_gradient(void *self, int a, int b, int M, double *stats) {
  a2c *p = self;
  crl__onp *o = p->onp;
  crl__ac *ac = o->ac;
  const crl_rollout *ro = o->ro;
  const int m = b - a;
  const size_t O = (size_t)o->obs_dim, A = (size_t)o->act_dim;
  crl__ac_zero_grad(ac);
  stats[A2C_POLICY] = stats[A2C_VALUE] = stats[A2C_ENTROPY] = 0.0;
  if (m == 0)
    return 0; /* more parts than rows */
  const crl_real *obs = ro->obs + (size_t)a * O;
  const crl_real *act = ro->actions + (size_t)a * A;
  int rc = crl__ac_forward_logp(ac, obs, act, m, p->dist, p->values, p->logp);
  if (rc)
    return rc;
  double pl = 0.0, vl = 0.0;
  for (int i = 0; i < m; i++) {
    double adv = p->adv[a + i];
    pl -= adv * (double)p->logp[i];
    p->dlogp[i] = (crl_real)(-adv / M);
    double err = (double)p->values[i] - (double)ro->returns[a + i];
    vl += err * err;
    p->dv[i] = (crl_real)(p->spec.vf_coef * 2.0 * err / M);
  }
  const double scale = (double)m / M;
  stats[A2C_POLICY] = pl / M;
  stats[A2C_VALUE] = vl / M;
  stats[A2C_ENTROPY] = crl__ac_entropy_mean(ac, p->dist, m) * scale;
  rc = crl__ac_actor_backward(ac, p->dist, act, m, p->dlogp,
                              -p->spec.ent_coef * scale);
  return rc ? rc : crl__ac_critic_backward(ac, p->dv, m);
}

static int update(a2c *p, double lr, crl_algo_stats *st) {
  crl__onp *o = p->onp;
  crl__ac *ac = o->ac;
  const int M = o->n_steps * o->n_envs;
  memcpy(p->adv, o->ro->advantages, (size_t)M * sizeof *p->adv);
  if (p->spec.normalize_advantage)
    crl__pg_standardize(p->adv, (size_t)M, 1, 1);
  double s[A2C_STATS];
  int rc = crl__shards_gradient(&p->shards, M, ac->grads, ac->n_params, s,
                                A2C_STATS, part_gradient, p);
  if (rc)
    return rc;
  st->policy_loss = s[A2C_POLICY];
  st->value_loss = s[A2C_VALUE];
  st->entropy = s[A2C_ENTROPY];
  double total = st->policy_loss - p->spec.ent_coef * st->entropy +
                 p->spec.vf_coef * st->value_loss;
  rc = crl__onp_check_finite(o, "the loss", total);
  if (rc)
    return rc;
  crl_clip_grad_norm(ac->n_params, ac->grads, p->spec.max_grad_norm);
  if (p->rms)
    crl_rmsprop_step(p->rms, ac->params, ac->grads, lr);
  else
    crl_adam_step(p->adam, ac->params, ac->grads, lr);
  return 0;
}

static int a2c_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *st) {
  a2c *p = self;
  int rc = crl__onp_check_venv(p->onp, venv);
  if (rc == 0)
    rc = crl__onp_collect(p->onp, venv, p->spec.gamma, p->spec.gae_lambda);
  if (rc)
    return rc;
  const double lr =
      crl_schedule_value(&p->spec.learning_rate, progress_remaining);
  rc = update(p, lr, st);
  st->steps = (long)p->onp->n_steps * p->onp->n_envs;
  st->learning_rate = lr;
  st->n_updates = 1;
  st->explained_variance = crl__onp_explained_variance(p->onp->ro);
  return rc;
}

static int a2c_act(void *self, const crl_real *obs, int B, int deterministic,
                   crl_real *action) {
  a2c *p = self;
  return crl__onp_act(p->onp, obs, B, deterministic, action);
}

/* ---- checkpoints and export ---------------------------------------------- */

/* The collector's sections at a2c's level (a2c.params, a2c.norm.*, ...),
 * then the one optimiser the spec chose. */
static int a2c_sections(void *self, crl_state_io *io) {
  a2c *p = self;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("rmsprop", crl_rmsprop_sections, p->rms),
      CRL_STATE_OBJ("adam", crl_adam_sections, p->adam),
  };
  int rc = crl__onp_sections(p->onp, io);
  return rc ? rc : crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int a2c_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "a2c", a2c_sections, self);
}

static int a2c_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "a2c", a2c_sections, self);
}

static int a2c_export(void *self, int max_batch, crl_policy **out) {
  a2c *p = self;
  return crl__onp_export(p->onp, max_batch, out);
}

/* One iteration: n_steps on every copy. */
static long a2c_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const a2c_spec *)spec)->n_steps * n_envs;
}

/* Data parallel: the shared env copies, part `rank` of every gradient. */
static int a2c_set_group(void *self, const crl_group *g, int *own_envs) {
  a2c *p = self;
  *own_envs = 0;
  return crl__shards_set_group(&p->shards, g);
}

const crl_algo_type crl__algo_a2c = {
    .name = "a2c",
    .doc = "Advantage Actor-Critic, synchronous n-step (SB3 semantics)",
    .params = a2c_params,
    .spec_size = sizeof(a2c_spec),
    .create = a2c_create,
    .iterate = a2c_iterate,
    .act = a2c_act,
    .destroy = a2c_destroy,
    .save = a2c_save,
    .load = a2c_load,
    .export_policy = a2c_export,
    .steps_per_iteration = a2c_steps_per_iteration,
    .set_group = a2c_set_group,
};
