/* SAC (Haarnoja et al. 2018, with the learned temperature of the second
 * paper) as Stable-Baselines3 has it: a tanh-squashed Gaussian actor whose
 * network outputs mean and log-std (clamped to [log_std_min, log_std_max]),
 * n critics (twins) with Polyak-averaged targets; every gradient step
 * updates critics, actor and alpha (sac_update.c), targets move every
 * target_update_interval steps. Collection and replay are the shared
 * off-policy loop's (lib/rl/offpolicy.c). This file also builds TQC, which
 * is SAC with quantile critics (sac.h, tqc.c). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "algos/sac.h"
#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "io/policy_internal.h"

#define F(field) offsetof(crl__sac_config, field)
static const crl_param_def sac_params[] = {
    CRL_SAC_PARAMS(F),
    {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "2", 1,
     CRL_QCRITIC_MAX, NULL, "number of critics; targets use their minimum"},
    CRL_SAC_LOG_STD_PARAMS(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

void crl__sac_destroy(void *self) {
  crl__sac *s = self;
  if (s == NULL)
    return;
  crl__offpolicy_free(s->loop);
  crl_mlp_free(s->actor);
  crl__qcritic_free(s->critic);
  crl__qcritic_free(s->critic_target);
  crl_adam_free(s->actor_adam);
  crl_adam_free(s->critic_adam);
  crl_adam_free(s->alpha_adam);
  crl__sde_free(s->sde_act);
  crl__sde_free(s->sde_train);
  free(s->pi_block);
  if (s->noise_rng)
    gsl_rng_free(s->noise_rng);
  free(s->block);
  free(s);
}

/* A whole string as a finite number. */
static int parse_number(const char *text, double *out) {
  char *end = NULL;
  *out = strtod(text, &end);
  return end != text && *end == '\0' && isfinite(*out);
}

int crl__temperature_parse(const char *name, const char *ent_coef,
                           const char *target_entropy, int act_dim,
                           crl__temperature *t) {
  double v = 1.0;
  *t = (crl__temperature){0};
  if (strcmp(ent_coef, "auto") == 0 ||
      (strncmp(ent_coef, "auto_", 5) == 0 && parse_number(ent_coef + 5, &v) &&
       v > 0)) {
    t->learn = 1;
    t->log_alpha0 = log(v);
  } else if (parse_number(ent_coef, &v) && v >= 0) {
    t->alpha_fixed = v;
  } else {
    return crl_fail(CRL_EINVAL,
                    "%s: ent_coef '%s' must be auto, auto_<initial value > "
                    "0> (e.g. auto_0.1) or a number >= 0",
                    name, ent_coef);
  }
  if (strcmp(target_entropy, "auto") == 0)
    t->target_entropy = -(double)act_dim;
  else if (!parse_number(target_entropy, &t->target_entropy))
    return crl_fail(CRL_EINVAL,
                    "%s: target_entropy '%s' must be auto or a number", name,
                    target_entropy);
  return 0;
}

/* ent_coef and target_entropy, as SB3 reads them, and the log std clamps. */
static int parse_entropy_keys(crl__sac *s) {
  crl__temperature t;
  int rc = crl__temperature_parse(s->name, s->cfg.ent_coef,
                                  s->cfg.target_entropy, s->act_dim, &t);
  if (rc)
    return rc;
  s->learn_alpha = t.learn;
  s->log_alpha[0] = (crl_real)t.log_alpha0;
  s->alpha_fixed = t.alpha_fixed;
  s->target_entropy = t.target_entropy;
  if (!(s->cfg.log_std_min <= s->cfg.log_std_max))
    return crl_fail(CRL_EINVAL,
                    "%s: policy_kwargs.log_std_min %g exceeds log_std_max %g",
                    s->name, s->cfg.log_std_min, s->cfg.log_std_max);
  return 0;
}

/* The actor's MLP over one flat vector that gSDE's log_std continues, and
 * gSDE's two states: one matrix per env copy for collection, one per
 * gradient step for updates. */
static int alloc_actor(crl__sac *s, int n_envs) {
  const crl__sac_config *c = &s->cfg;
  const int sde = c->use_sde, A = s->act_dim;
  crl_mlp_spec as = crl_mlp_spec_make(
      s->obs_dim, c->net_arch.n, c->net_arch.v, sde ? A : 2 * A,
      (crl_activation)c->activation, CRL_ACT_IDENTITY, s->max_batch);
  const int L = c->net_arch.n > 0 ? c->net_arch.v[c->net_arch.n - 1]
                                  : s->obs_dim; /* gSDE's features */
  const size_t n_mlp = crl_mlp_param_count(&as);
  const size_t n_log_std =
      sde ? (size_t)crl__sde_n_log_std(L, A, c->full_std) : 0;
  s->n_pi = n_mlp + n_log_std;
  const crl__buf bufs[] = {
      {(void **)&s->pi_params, CRL__BUF_REAL, s->n_pi}, /* [n_pi] */
      {(void **)&s->pi_grads, CRL__BUF_REAL, s->n_pi},  /* [n_pi] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &s->pi_block, s->name);
  if (rc == 0)
    rc = crl_mlp_alloc(&as, s->pi_params, s->pi_grads, &s->actor);
  if (rc || !sde)
    return rc;
  s->sde_log_std = s->pi_params + n_mlp;
  s->sde_dlog_std = s->pi_grads + n_mlp;
  for (size_t k = 0; k < n_log_std; k++)
    s->sde_log_std[k] = (crl_real)c->log_std_init;
  rc = crl__sde_alloc(L, A, c->full_std, c->use_expln, s->max_batch, n_envs,
                      &s->sde_act);
  if (rc == 0)
    rc = crl__sde_alloc(L, A, c->full_std, c->use_expln, s->max_batch, 1,
                        &s->sde_train);
  return rc;
}

static int alloc_networks(crl__sac *s, int n_envs, uint64_t seed) {
  const crl__sac_config *c = &s->cfg;
  int rc = alloc_actor(s, n_envs);
  for (int k = 0; k < 2 && rc == 0; k++)
    rc = crl__qcritic_alloc_outputs(c->n_critics, s->obs_dim, s->act_dim,
                                    &c->net_arch, (crl_activation)c->activation,
                                    s->nq, s->max_batch,
                                    k == 0 ? &s->critic : &s->critic_target);
  if (rc)
    return rc;
  gsl_rng *init = crl_rng_alloc(seed, CRL_STREAM_INIT);
  if (init == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", s->name);
  /* PyTorch's default initialisation, as SB3's SAC policy. */
  rc = crl_mlp_init(s->actor, CRL_INIT_TORCH, 1.0, 1.0, init);
  if (rc == 0)
    rc = crl__qcritic_init(s->critic, init);
  gsl_rng_free(init);
  if (rc)
    return rc;
  crl_polyak_update(s->critic->n_params, s->critic_target->params,
                    s->critic->params, 1.0);
  crl_adam_spec adam = crl_adam_spec_default();
  adam.eps = c->off.adam_eps;
  rc = crl_adam_alloc(s->n_pi, &adam, &s->actor_adam);
  if (rc == 0)
    rc = crl_adam_alloc(s->critic->n_params, &adam, &s->critic_adam);
  if (rc == 0)
    rc = crl_adam_alloc(1, &adam, &s->alpha_adam);
  return rc;
}

static int alloc_scratch(crl__sac *s, uint64_t seed) {
  const size_t W = (size_t)s->max_batch, M = (size_t)s->cfg.off.batch_size;
  const size_t A = (size_t)s->act_dim, K = (size_t)s->cfg.n_critics;
  const size_t Q = (size_t)s->nq, Y = (size_t)s->n_keep;
  const crl__buf bufs[] = {
      {(void **)&s->out, CRL__BUF_REAL, W * 2 * A}, /* [max_batch, 2 A] */
      {(void **)&s->mean, CRL__BUF_REAL, W * A},    /* [max_batch, A] */
      {(void **)&s->log_std, CRL__BUF_REAL, W * A}, /* [max_batch, A] */
      {(void **)&s->eps, CRL__BUF_REAL, W * A},     /* [max_batch, A] */
      {(void **)&s->act, CRL__BUF_REAL, W * A},     /* [max_batch, A] */
      {(void **)&s->logp, CRL__BUF_REAL, W},        /* [max_batch] */
      {(void **)&s->q, CRL__BUF_REAL, K * M * Q},   /* [n_critics, batch, nq] */
      {(void **)&s->y, CRL__BUF_REAL, M * Y},       /* [batch, n_keep] */
      {(void **)&s->dq, CRL__BUF_REAL, K * M * Q},  /* [n_critics, batch, nq] */
      {(void **)&s->dact, CRL__BUF_REAL, M * A},    /* [batch, A] */
      {(void **)&s->dlogp, CRL__BUF_REAL, M},       /* [batch] */
      {(void **)&s->dmean, CRL__BUF_REAL, M * A},   /* [batch, A] */
      {(void **)&s->dlog_std, CRL__BUF_REAL, M * A}, /* [batch, A] */
      {(void **)&s->dout, CRL__BUF_REAL, M * 2 * A}, /* [batch, 2 A] */
      {(void **)&s->pooled, CRL__BUF_DOUBLE, K * Q}, /* [n_critics * nq] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &s->block, s->name);
  if (rc)
    return rc;
  s->noise_rng = crl_rng_alloc(seed, CRL_STREAM_UPDATE_NOISE);
  return s->noise_rng ? 0 : crl_fail(CRL_ENOMEM, "%s: out of memory", s->name);
}

static int sac_explore(void *self, const crl_real *obs, int B,
                       crl_real *action);
static void sac_before_step(void *self, int t);

/* TQC's quantile settings, checked against each other. */
static int quantile_shape(crl__sac *s) {
  const crl__sac_config *c = &s->cfg;
  s->nq = c->n_quantiles > 0 ? c->n_quantiles : 1;
  s->n_keep = c->n_quantiles > 0
                  ? (c->n_quantiles - c->top_quantiles) * c->n_critics
                  : 1;
  if (c->n_quantiles > 0 && c->top_quantiles >= c->n_quantiles)
    return crl_fail(CRL_EINVAL,
                    "%s: top_quantiles_to_drop_per_net %d must be below "
                    "policy_kwargs.n_quantiles %d",
                    s->name, c->top_quantiles, c->n_quantiles);
  return 0;
}

int crl__sac_create_named(const char *name, const crl__sac_config *cfg,
                          const crl_space *obs, const crl_space *act,
                          int n_envs, uint64_t seed, void **self) {
  *self = NULL;
  int rc = crl__offpolicy_check_spaces(name, obs, act);
  if (rc)
    return rc;
  crl__sac *s = calloc(1, sizeof *s);
  if (s == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  s->cfg = *cfg;
  s->name = name;
  s->obs_dim = obs->dim;
  s->act_dim = act->dim;
  s->max_batch =
      s->cfg.off.batch_size > n_envs ? s->cfg.off.batch_size : n_envs;
  const crl__offpolicy_ops ops = {sac_explore, crl__sac_update,
                                  cfg->use_sde ? sac_before_step : NULL};
  rc = parse_entropy_keys(s);
  if (rc == 0)
    rc = quantile_shape(s);
  if (rc == 0)
    rc = crl__offpolicy_alloc(&s->cfg.off, name, obs, act, n_envs, seed, &ops,
                              s, &s->loop);
  if (rc == 0)
    rc = alloc_networks(s, n_envs, seed);
  if (rc == 0)
    rc = alloc_scratch(s, seed);
  if (rc) {
    crl__sac_destroy(s);
    return rc;
  }
  *self = s;
  return 0;
}

static int sac_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  crl__sac_config cfg = *(const crl__sac_config *)spec;
  cfg.n_quantiles = 0; /* SAC's table has no quantile keys */
  return crl__sac_create_named("sac", &cfg, obs, act, n_envs, seed, self);
}

/* ---- acting -------------------------------------------------------------- */

static int sac_explore(void *self, const crl_real *obs, int B,
                       crl_real *action) {
  crl__sac *s = self;
  int rc = crl__sac_actor_forward(s, s->sde_act, obs, B);
  if (rc == 0)
    crl__sac_sample(s, s->sde_act, B, s->loop->act_rng, action, NULL);
  return rc;
}

/* gSDE: new exploration matrices when a cycle starts and every
 * sde_sample_freq steps (SB3's collect_rollouts). */
static void sac_before_step(void *self, int t) {
  crl__sac *s = self;
  if (crl__sde_draw_due(t, s->cfg.sde_sample_freq))
    crl__sde_redraw(s->sde_act, s->sde_log_std, s->loop->act_rng);
}

int crl__sac_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                     crl_algo_stats *stats) {
  crl__sac *s = self;
  s->lr = crl_schedule_value(&s->cfg.learning_rate, progress_remaining);
  stats->learning_rate = s->lr;
  return crl__offpolicy_iterate(s->loop, venv, stats);
}

/* tanh(mean) when deterministic, else a sample; in the env's bounds. */
int crl__sac_act(void *self, const crl_real *obs, int B, int deterministic,
                 crl_real *action) {
  crl__sac *s = self;
  for (int start = 0; start < B; start += s->max_batch) {
    const int b = B - start < s->max_batch ? B - start : s->max_batch;
    int rc = crl__sac_actor_forward(
        s, s->sde_act,
        crl__offpolicy_input(s->loop, obs + (size_t)start * s->obs_dim, b), b);
    if (rc)
      return rc;
    if (deterministic)
      crl_squashed_mode(b, s->act_dim, s->mean, s->act);
    else
      crl__sac_sample(s, s->sde_act, b, s->loop->act_rng, s->act, NULL);
    crl__offpolicy_unscale(s->loop, s->act, b,
                           action + (size_t)start * s->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

static int sac_sections(void *self, crl_state_io *io) {
  crl__sac *s = self;
  const size_t nc = s->critic->n_params;
  crl__sde *e = s->sde_act; /* NULL without gSDE: the items are skipped */
  const size_t ne = e ? (size_t)e->rows * e->L * e->A : 0;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "actor", s->pi_params, s->n_pi, 0),
      CRL_STATE(REAL, "sde_mats", e ? e->mats : NULL, ne, 0),
      CRL_STATE(F64, "sde_eps", e ? e->eps : NULL, ne, CRL_STATE_FINITE),
      CRL_STATE(REAL, "critic", s->critic->params, nc, 0),
      CRL_STATE(REAL, "critic_target", s->critic_target->params, nc, 0),
      CRL_STATE(REAL, "log_alpha", s->log_alpha, 1, 0),
      CRL_STATE_OBJ("actor_adam", crl_adam_sections, s->actor_adam),
      CRL_STATE_OBJ("critic_adam", crl_adam_sections, s->critic_adam),
      CRL_STATE_OBJ("alpha_adam", crl_adam_sections, s->alpha_adam),
      CRL_STATE(LONG, "n_updates", &s->n_updates, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("noise_rng", crl_rng_sections, s->noise_rng),
      CRL_STATE_OBJ("loop", crl__offpolicy_sections, s->loop),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__sac_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, ((crl__sac *)self)->name, sac_sections, self);
}

int crl__sac_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, ((crl__sac *)self)->name, sac_sections, self);
}

/* gSDE's deterministic policy tanh(clamp(mean, +-clip_mean)): the whole
 * actor, with the clamp in the policy's output. */
static int export_sde(crl__sac *s, const crl_space *act, int max_batch,
                      crl_policy **out) {
  int rc = crl__policy_from_parts(s->actor, s->loop->obs_norm, act,
                                  CRL_POLICY_TANH, max_batch, out);
  if (rc == 0 && s->cfg.clip_mean > 0)
    rc = crl__policy_set_tanh_clip(*out, s->cfg.clip_mean);
  if (rc) {
    crl_policy_free(*out);
    *out = NULL;
  }
  return rc;
}

/* The deterministic policy tanh(mean): a copy of the actor that keeps only
 * the mean rows of its last layer (W_L [2A, in] row-major, then b_L [2A]:
 * the first A rows of each), with the policy file's tanh-to-bounds output. */
int crl__sac_export(void *self, int max_batch, crl_policy **out) {
  crl__sac *s = self;
  const crl_space act = crl__offpolicy_act_space(s->loop);
  if (s->cfg.use_sde) /* the network's output is the mean already */
    return export_sde(s, &act, max_batch, out);
  const crl_mlp_spec *full = crl_mlp_get_spec(s->actor);
  crl_mlp_spec spec = *full;
  const int L = spec.n_layers, A = s->act_dim, in = spec.sizes[L - 1];
  spec.sizes[L] = A;
  spec.max_batch = 1;
  crl_mlp *mean = NULL;
  int rc = crl_mlp_alloc(&spec, NULL, NULL, &mean);
  if (rc)
    return rc;
  const crl_real *src = crl_mlp_params(s->actor);
  crl_real *dst = crl_mlp_params(mean);
  const size_t body = crl_mlp_n_params(s->actor) -
                      (size_t)2 * A * ((size_t)in + 1); /* layers before L */
  const size_t w = (size_t)A * in;
  memcpy(dst, src, body * sizeof *dst);
  memcpy(dst + body, src + body, w * sizeof *dst);             /* W rows */
  memcpy(dst + body + w, src + body + 2 * w, A * sizeof *dst); /* b */
  rc = crl__policy_from_parts(mean, s->loop->obs_norm, &act, CRL_POLICY_TANH,
                              max_batch, out);
  crl_mlp_free(mean);
  return rc;
}

/* Data parallel as DDP: every process its own envs, replay and streams,
 * the three gradients (critics, temperature, actor) averaged. */
int crl__sac_set_group(void *self, const crl_group *g, int *own_envs) {
  crl__sac *s = self;
  *own_envs = 1;
  int rc = crl__offpolicy_set_group(s->loop, g);
  return rc ? rc
            : crl__offpolicy_rank_rng(s->loop, &s->noise_rng,
                                      CRL_STREAM_UPDATE_NOISE);
}

long crl__sac_steps_per_iteration(const void *spec, int n_envs) {
  return crl__offpolicy_steps_per_iteration(
      &((const crl__sac_config *)spec)->off, n_envs);
}

const crl_algo_type crl__algo_sac = {
    .name = "sac",
    .doc = "Soft Actor-Critic with learned temperature (SB3 semantics)",
    .params = sac_params,
    .spec_size = sizeof(crl__sac_config),
    .create = sac_create,
    .iterate = crl__sac_iterate,
    .act = crl__sac_act,
    .destroy = crl__sac_destroy,
    .save = crl__sac_save,
    .load = crl__sac_load,
    .export_policy = crl__sac_export,
    .steps_per_iteration = crl__sac_steps_per_iteration,
    .set_group = crl__sac_set_group,
};
