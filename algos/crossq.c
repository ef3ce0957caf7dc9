/* CrossQ (Bhatt et al., ICLR 2024) as sb3-contrib has it: SAC without
 * target networks, whose actor and critics put batch renormalisation
 * before every linear layer (lib/nn/brn.h). One gradient step on a batch
 * of M transitions:
 *
 *   a' ~ pi(.|s')                     the actor in evaluation mode
 *   Q_k([s; s'], [a; a'])             each critic once, in training mode,
 *                                     on the 2M rows together, so that its
 *                                     batch statistics are those of the
 *                                     mixture of both distributions
 *   y = r + gamma (1 - terminated) (min_k Q_k(s', a') - alpha log pi(a'|s'))
 *   critics descend 0.5 sum_k mean (Q_k(s, a) - y)^2, y held constant
 *     (the gradient also reaches the s' rows through the statistics)
 *   every policy_delay-th step: a ~ pi(.|s) with the actor in training
 *     mode; alpha as SAC; the actor descends mean(alpha log pi(a|s) -
 *     min_k Q_k(s, a)) through the critics in evaluation mode.
 *
 * Collection, evaluation and the exported policy use the actor in
 * evaluation mode (its running statistics); the export folds them into
 * the linear layers. Adam has beta1 0.5 (adam_beta1) for actor and
 * critics, as sb3-contrib sets it, and PyTorch's 0.9 for alpha. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "algos/crossq.h"
#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "io/policy_internal.h"
#include "nn/brn.h"

#define F(field) offsetof(crossq_config, field)
// clang-format off
static const crl_param_def crossq_params[] = {
  {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "1e-3", 0, 1, NULL,
   "Adam step size of actor, critics and temperature; lin_<v> decays it"},
  CRL_OFFPOLICY_PARAMS(crossq_config, off),
  {"ent_coef", CRL_PARAM_STRING, F(ent_coef), "auto", 0, 0, NULL,
   "temperature alpha: auto (learned from 1), auto_<init> or a number >= 0"},
  {"target_entropy", CRL_PARAM_STRING, F(target_entropy), "auto", 0, 0, NULL,
   "entropy the learned alpha aims at: auto (-action dim) or a number"},
  {"policy_delay", CRL_PARAM_INT, F(policy_delay), "3", 1, 1e6, NULL,
   "update the actor (and alpha) every this many critic steps"},
  {"policy_kwargs.net_arch.pi", CRL_PARAM_INT_LIST, F(net_arch_pi),
   "[256, 256]", 1, 65536, NULL, "hidden layer sizes of the actor"},
  {"policy_kwargs.net_arch.qf", CRL_PARAM_INT_LIST, F(net_arch_qf),
   "[1024, 1024]", 1, 65536, NULL, "hidden layer sizes of each critic"},
  {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "relu", 0, 0,
   "identity|tanh|relu", "hidden activation"},
  {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "2", 1,
   CRL_QCRITIC_MAX, NULL, "number of critics; targets use their minimum"},
  CRL_SAC_LOG_STD_PARAMS(F),
  {"policy_kwargs.batch_norm_momentum", CRL_PARAM_REAL, F(bn_momentum),
   "0.01", 0, 1, NULL, "rate at which the running statistics follow the "
                       "batches'"},
  {"policy_kwargs.batch_norm_eps", CRL_PARAM_REAL, F(bn_eps), "0.001", 1e-12,
   1, NULL, "added to the variances under the square root"},
  {"policy_kwargs.renorm_warmup_steps", CRL_PARAM_INT, F(renorm_warmup_steps),
   "100000", 0, 1e9, NULL, "training forwards of plain batch normalisation "
                           "before the renormalisation by r and d"},  {"adam_beta1", CRL_PARAM_REAL, F(adam_beta1), "0.5", 0, 0.999999, NULL,
   "Adam's beta1 for actor and critics (sb3-contrib's 0.5)"},
  CRL_SAC_SDE_PARAMS(F),
  {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
// clang-format on
#undef F

static void crossq_destroy(void *self) {
  crossq *c = self;
  if (c == NULL)
    return;
  crl__offpolicy_free(c->loop);
  crl__brn_net_free(c->actor);
  for (int k = 0; k < CRL_QCRITIC_MAX; k++)
    crl__brn_net_free(c->critic[k]);
  crl_adam_free(c->actor_adam);
  crl_adam_free(c->critic_adam);
  crl_adam_free(c->alpha_adam);
  crl__sde_free(c->sde_act);
  crl__sde_free(c->sde_train);
  if (c->noise_rng)
    gsl_rng_free(c->noise_rng);
  free(c->block);
  free(c);
}

static crl__brn_spec net_spec(const crossq *c, int in, const crl_int_list *h,
                              int out, int max_batch) {
  crl__brn_spec s = {.in = in,
                     .n_hidden = h->n,
                     .out = out,
                     .activation = (crl_activation)c->cfg.activation,
                     .max_batch = max_batch,
                     .momentum = c->cfg.bn_momentum,
                     .eps = c->cfg.bn_eps,
                     .warmup_steps = c->cfg.renorm_warmup_steps};
  for (int l = 0; l < h->n; l++)
    s.hidden[l] = h->v[l];
  return s;
}

static int check_config(const crossq_config *cfg) {
  if (cfg->net_arch_pi.n > CRL_MLP_MAX_LAYERS - 1 ||
      cfg->net_arch_qf.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "crossq: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  if (cfg->off.tau != 0.005)
    return crl_fail(CRL_EINVAL,
                    "crossq: tau %g does not apply: CrossQ has no target "
                    "networks",
                    cfg->off.tau);
  if (cfg->off.batch_size < 2)
    return crl_fail(CRL_EINVAL,
                    "crossq: batch_size %d, batch statistics need >= 2",
                    cfg->off.batch_size);
  if (!(cfg->log_std_min <= cfg->log_std_max))
    return crl_fail(CRL_EINVAL,
                    "crossq: policy_kwargs.log_std_min %g exceeds "
                    "log_std_max %g",
                    cfg->log_std_min, cfg->log_std_max);
  return 0;
}

/* gSDE's features: the input of the actor's last linear layer. */
static int sde_features(const crossq *c) {
  const crl_int_list *h = &c->cfg.net_arch_pi;
  return h->n > 0 ? h->v[h->n - 1] : c->obs_dim;
}

static int alloc_buffers(crossq *c) {
  const size_t R = (size_t)c->rows, M = (size_t)c->M, A = (size_t)c->act_dim;
  const size_t I = (size_t)c->obs_dim + A, K = (size_t)c->cfg.n_critics;
  const size_t P = c->n_pi, D = c->cfg.use_sde ? M * sde_features(c) : 0;
  /* clang-format off */
  const crl__buf bufs[] = {    {(void **)&c->pi_params, CRL__BUF_REAL, P},                  /* [n_pi] */
    {(void **)&c->pi_grads,  CRL__BUF_REAL, P},                  /* [n_pi] */
    {(void **)&c->critic_params, CRL__BUF_REAL, c->n_critic_params},
    {(void **)&c->critic_grads,  CRL__BUF_REAL, c->n_critic_params},
    {(void **)&c->out,      CRL__BUF_REAL, R * 2 * A}, /* [rows, 2A] */
    {(void **)&c->mean,     CRL__BUF_REAL, R * A},     /* [rows, A] */
    {(void **)&c->log_std,  CRL__BUF_REAL, R * A},     /* [rows, A] */
    {(void **)&c->eps,      CRL__BUF_REAL, R * A},     /* [rows, A] */
    {(void **)&c->act,      CRL__BUF_REAL, R * A},     /* [rows, A] */
    {(void **)&c->logp,     CRL__BUF_REAL, R},         /* [rows] */
    {(void **)&c->qin,      CRL__BUF_REAL, 2 * M * I}, /* [2M, obs + A] */
    {(void **)&c->q,        CRL__BUF_REAL, K * 2 * M}, /* [n, 2M] */
    {(void **)&c->dq,       CRL__BUF_REAL, 2 * M},     /* [2M] */
    {(void **)&c->dqin,     CRL__BUF_REAL, M * I},     /* [M, obs + A] */
    {(void **)&c->dact,     CRL__BUF_REAL, M * A},     /* [M, A] */
    {(void **)&c->dlogp,    CRL__BUF_REAL, M},         /* [M] */
    {(void **)&c->dmean,    CRL__BUF_REAL, M * A},     /* [M, A] */
    {(void **)&c->dlog_std, CRL__BUF_REAL, M * A},     /* [M, A] */    {(void **)&c->dout,     CRL__BUF_REAL, M * 2 * A}, /* [M, 2A] */
    {(void **)&c->dphi,     CRL__BUF_REAL, D},         /* [M, L] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &c->block, "crossq");
}

/* Actor, critics over one flat vector, their initialisation (PyTorch's
 * default, as sb3-contrib) and the optimisers. */
static int alloc_networks(crossq *c, uint64_t seed) {
  const crossq_config *g = &c->cfg;
  const int A = c->act_dim, I = c->obs_dim + A;
  const crl__brn_spec as =
      net_spec(c, c->obs_dim, &g->net_arch_pi, g->use_sde ? A : 2 * A, c->rows);
  const crl__brn_spec qs = net_spec(c, I, &g->net_arch_qf, 1, 2 * c->M);
  const size_t per = crl__brn_param_count(&qs),
               n_net = crl__brn_param_count(&as);
  const int L = sde_features(c);
  const size_t n_log_std =
      g->use_sde ? (size_t)crl__sde_n_log_std(L, A, g->full_std) : 0;
  c->n_pi = n_net + n_log_std;
  c->n_critic_params = per * (size_t)g->n_critics;
  int rc = alloc_buffers(c);
  if (rc == 0)
    rc = crl__brn_net_alloc(&as, c->pi_params, c->pi_grads, &c->actor);
  if (rc == 0 && g->use_sde) {
    c->sde_log_std = c->pi_params + n_net;
    c->sde_dlog_std = c->pi_grads + n_net;
    rc = crl__sde_alloc(L, A, g->full_std, g->use_expln, c->rows, c->n_envs,
                        &c->sde_act);
    if (rc == 0)
      rc = crl__sde_alloc(L, A, g->full_std, g->use_expln, c->rows, 1,
                          &c->sde_train);
  }
  for (int k = 0; rc == 0 && k < g->n_critics; k++)
    rc = crl__brn_net_alloc(&qs, c->critic_params + (size_t)k * per,
                            c->critic_grads + (size_t)k * per, &c->critic[k]);
  if (rc)
    return rc;
  gsl_rng *init = crl_rng_alloc(seed, CRL_STREAM_INIT);
  if (init == NULL)
    return crl_fail(CRL_ENOMEM, "crossq: out of memory");
  rc = crl__brn_net_init(c->actor, init);
  for (int k = 0; rc == 0 && k < g->n_critics; k++)
    rc = crl__brn_net_init(c->critic[k], init);
  gsl_rng_free(init);
  if (rc)
    return rc;
  for (size_t k = 0; k < n_log_std; k++)
    c->sde_log_std[k] = (crl_real)g->log_std_init;
  crl_adam_spec adam = crl_adam_spec_default();
  adam.eps = g->off.adam_eps;
  crl_adam_spec nets = adam;
  nets.beta1 = g->adam_beta1;
  rc = crl_adam_alloc(c->n_pi, &nets, &c->actor_adam);
  if (rc == 0)
    rc = crl_adam_alloc(c->n_critic_params, &nets, &c->critic_adam);
  if (rc == 0)
    rc = crl_adam_alloc(1, &adam, &c->alpha_adam);
  c->noise_rng = crl_rng_alloc(seed, CRL_STREAM_UPDATE_NOISE);
  if (rc == 0 && c->noise_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "crossq: out of memory");
  return rc;
}

/* ---- acting -------------------------------------------------------------- */

static int crossq_explore(void *self, const crl_real *obs, int B,
                          crl_real *action) {
  crossq *c = self;
  int rc = crl__crossq_actor_forward(c, c->sde_act, obs, B, 0);
  if (rc == 0)
    crl__crossq_sample(c, c->sde_act, B, c->loop->act_rng, action, NULL);
  return rc;
}

/* gSDE: new exploration matrices when a cycle starts and every
 * sde_sample_freq steps, as SAC's. */
static void crossq_before_step(void *self, int t) {
  crossq *c = self;
  if (crl__sde_draw_due(t, c->cfg.sde_sample_freq))
    crl__sde_redraw(c->sde_act, c->sde_log_std, c->loop->act_rng);
}

static int crossq_act(void *self, const crl_real *obs, int B, int deterministic,
                      crl_real *action) {
  crossq *c = self;
  for (int start = 0; start < B; start += c->rows) {
    const int b = B - start < c->rows ? B - start : c->rows;
    int rc = crl__crossq_actor_forward(
        c, c->sde_act,
        crl__offpolicy_input(c->loop, obs + (size_t)start * c->obs_dim, b), b,
        0);
    if (rc)
      return rc;
    if (deterministic)
      crl_squashed_mode(b, c->act_dim, c->mean, c->act);
    else
      crl__crossq_sample(c, c->sde_act, b, c->loop->act_rng, c->act, NULL);
    crl__offpolicy_unscale(c->loop, c->act, b,
                           action + (size_t)start * c->act_dim);
  }
  return 0;
}

/* ---- the type ------------------------------------------------------------ */

static int crossq_create(const void *spec, const crl_space *obs,
                         const crl_space *act, int n_envs, uint64_t seed,
                         void **self) {
  *self = NULL;
  int rc = crl__offpolicy_check_spaces("crossq", obs, act);
  if (rc == 0)
    rc = check_config(spec);
  if (rc)
    return rc;
  crossq *c = calloc(1, sizeof *c);
  if (c == NULL)
    return crl_fail(CRL_ENOMEM, "crossq: out of memory");
  c->cfg = *(const crossq_config *)spec;
  c->obs_dim = obs->dim;
  c->act_dim = act->dim;
  c->M = c->cfg.off.batch_size;
  c->rows = c->M > n_envs ? c->M : n_envs;
  c->n_envs = n_envs;
  rc = crl__temperature_parse("crossq", c->cfg.ent_coef, c->cfg.target_entropy,
                              c->act_dim, &c->temp);
  c->log_alpha[0] = (crl_real)c->temp.log_alpha0;
  const crl__offpolicy_ops ops = {crossq_explore, crl__crossq_update,
                                  c->cfg.use_sde ? crossq_before_step : NULL};
  if (rc == 0)
    rc = crl__offpolicy_alloc(&c->cfg.off, "crossq", obs, act, n_envs, seed,
                              &ops, c, &c->loop);
  if (rc == 0)
    rc = alloc_networks(c, seed);
  if (rc) {
    crossq_destroy(c);
    return rc;
  }
  *self = c;
  return 0;
}

static int crossq_iterate(void *self, crl_vec_env *venv,
                          double progress_remaining, crl_algo_stats *stats) {
  crossq *c = self;
  c->lr = crl_schedule_value(&c->cfg.learning_rate, progress_remaining);
  stats->learning_rate = c->lr;
  return crl__offpolicy_iterate(c->loop, venv, stats);
}

static int crossq_sections(void *self, crl_state_io *io) {
  crossq *c = self;
  void *critics[CRL_QCRITIC_MAX];
  for (int k = 0; k < c->cfg.n_critics; k++)
    critics[k] = c->critic[k];
  const size_t n = (size_t)c->cfg.n_critics;
  crl__sde *e = c->sde_act; /* NULL without gSDE: the items are skipped */
  const size_t ne = e ? (size_t)e->rows * e->L * e->A : 0;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "actor", c->pi_params, c->n_pi, 0),
      CRL_STATE(REAL, "sde_mats", e ? e->mats : NULL, ne, 0),
      CRL_STATE(F64, "sde_eps", e ? e->eps : NULL, ne, CRL_STATE_FINITE),
      CRL_STATE(REAL, "critic", c->critic_params, c->n_critic_params, 0),
      CRL_STATE_OBJ("actor_bn", crl__brn_net_sections, c->actor),
      CRL_STATE_OBJS("critic_bn", crl__brn_net_sections, critics, n),
      CRL_STATE(REAL, "log_alpha", c->log_alpha, 1, 0),
      CRL_STATE_OBJ("actor_adam", crl_adam_sections, c->actor_adam),
      CRL_STATE_OBJ("critic_adam", crl_adam_sections, c->critic_adam),
      CRL_STATE_OBJ("alpha_adam", crl_adam_sections, c->alpha_adam),
      CRL_STATE(LONG, "n_updates", &c->n_updates, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("noise_rng", crl_rng_sections, c->noise_rng),
      CRL_STATE_OBJ("loop", crl__offpolicy_sections, c->loop),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int crossq_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "crossq", crossq_sections, self);
}

static int crossq_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "crossq", crossq_sections, self);
}

/* tanh(mean) of the actor in evaluation mode, its normalisations folded
 * into the linear layers. */
static int crossq_export(void *self, int max_batch, crl_policy **out) {
  crossq *c = self;
  crl_mlp *mean = NULL;
  int rc = crl__brn_net_fold(c->actor, c->act_dim, 1, &mean);
  if (rc)
    return rc;
  const crl_space act = crl__offpolicy_act_space(c->loop);
  rc = crl__policy_from_parts(mean, c->loop->obs_norm, &act, CRL_POLICY_TANH,
                              max_batch, out);
  crl_mlp_free(mean);
  if (rc == 0 && c->cfg.use_sde && c->cfg.clip_mean > 0 &&
      (rc = crl__policy_set_tanh_clip(*out, c->cfg.clip_mean)) != 0) {
    crl_policy_free(*out);
    *out = NULL;
  }
  return rc;
}

static long crossq_steps_per_iteration(const void *spec, int n_envs) {
  return crl__offpolicy_steps_per_iteration(&((const crossq_config *)spec)->off,
                                            n_envs);
}

const crl_algo_type crl__algo_crossq = {
    .name = "crossq",
    .doc = "CrossQ: SAC with batch renormalisation and no target networks "
           "(sb3-contrib semantics)",
    .params = crossq_params,
    .spec_size = sizeof(crossq_config),
    .create = crossq_create,
    .iterate = crossq_iterate,
    .act = crossq_act,
    .destroy = crossq_destroy,
    .save = crossq_save,
    .load = crossq_load,
    .export_policy = crossq_export,
    .steps_per_iteration = crossq_steps_per_iteration,
};
