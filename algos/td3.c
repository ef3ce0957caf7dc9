/* TD3 (Fujimoto et al. 2018) as Stable-Baselines3 has it: a deterministic
 * tanh actor, n critics Q_k(s, a) (twins by default) trained towards
 *   y = r + gamma (1 - terminated) min_k Q'_k(s', clip(mu'(s') + eps, -1, 1)),
 *   eps = clip(N(0, target_policy_noise^2), -target_noise_clip, +clip),
 * with the sum over critics of their mean squared errors; every
 * policy_delay-th gradient step the actor ascends Q_1(s, mu(s)) and the
 * target networks move by Polyak averaging. Actions live in [-1, 1] and
 * are mapped to the env's bounds; collection, noise and the replay buffer
 * are the shared off-policy loop's (lib/offpolicy.c). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "io/policy_internal.h"
#include "rl/qcritic.h"
#include "td3.h"

#define F(field) offsetof(crl__td3_config, field)
static const crl_param_def td3_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "1e-3", 0, 1, NULL,
     "Adam step size of actor and critics; lin_<v> decays it to 0"},
    CRL_OFFPOLICY_PARAMS(crl__td3_config, off),
    {"policy_delay", CRL_PARAM_INT, F(policy_delay), "2", 1, 1e6, NULL,
     "update the actor and the targets every this many critic updates"},
    {"target_policy_noise", CRL_PARAM_REAL, F(target_policy_noise), "0.2", 0,
     1e3, NULL, "std of the noise added to target actions (smoothing)"},
    {"target_noise_clip", CRL_PARAM_REAL, F(target_noise_clip), "0.5", 0, 1e3,
     NULL, "clip the target smoothing noise to +- this"},
    {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, F(net_arch), "[400, 300]", 1,
     65536, NULL, "hidden layer sizes of actor and critics"},
    {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "relu", 0, 0,
     "identity|tanh|relu", "hidden activation"},
    {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "2", 1,
     CRL_QCRITIC_MAX, NULL, "number of critics; targets use their minimum"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

typedef struct td3 {
  crl__td3_config cfg;
  const char *name;
  crl__offpolicy *loop;
  crl_mlp *actor, *actor_target; /* obs -> net_arch -> act_dim, tanh */
  crl__qcritic *critic, *critic_target;
  crl_adam *actor_adam, *critic_adam;
  gsl_rng *noise_rng; /* target smoothing noise */
  double lr;          /* this iteration's learning rate */
  long n_updates;     /* critic updates so far */
  int obs_dim, act_dim, max_batch;
  crl_real *act;      /* [max_batch, act_dim] actor outputs */
  crl_real *next_act; /* [batch, act_dim] smoothed target actions */
  crl_real *q;        /* [n_critics, batch] critic outputs */
  crl_real *y;        /* [batch] TD targets */
  crl_real *dq;       /* [batch] dL/dQ */
  crl_real *dact;     /* [batch, act_dim] dL/d(actor output) */
  void *block;        /* act ... dact */
} td3;

void crl__td3_destroy(void *self) {
  td3 *t = self;
  if (t == NULL)
    return;
  crl__offpolicy_free(t->loop);
  crl_mlp_free(t->actor);
  crl_mlp_free(t->actor_target);
  crl__qcritic_free(t->critic);
  crl__qcritic_free(t->critic_target);
  crl_adam_free(t->actor_adam);
  crl_adam_free(t->critic_adam);
  if (t->noise_rng)
    gsl_rng_free(t->noise_rng);
  free(t->block);
  free(t);
}

/* Actor, critics, their targets (copies) and optimisers. */
static int alloc_networks(td3 *t, uint64_t seed) {
  const crl__td3_config *c = &t->cfg;
  crl_mlp_spec as = crl_mlp_spec_make(t->obs_dim, c->net_arch.n, c->net_arch.v,
                                      t->act_dim, (crl_activation)c->activation,
                                      CRL_ACT_TANH, t->max_batch);
  int rc = crl_mlp_alloc(&as, NULL, NULL, &t->actor);
  if (rc == 0)
    rc = crl_mlp_alloc(&as, NULL, NULL, &t->actor_target);
  if (rc == 0)
    rc = crl__qcritic_alloc(c->n_critics, t->obs_dim, t->act_dim, &c->net_arch,
                            (crl_activation)c->activation, t->max_batch,
                            &t->critic);
  if (rc == 0)
    rc = crl__qcritic_alloc(c->n_critics, t->obs_dim, t->act_dim, &c->net_arch,
                            (crl_activation)c->activation, t->max_batch,
                            &t->critic_target);
  if (rc)
    return rc;
  gsl_rng *init = crl_rng_alloc(seed, CRL_STREAM_INIT);
  if (init == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", t->name);
  /* SB3's off-policy policies keep PyTorch's default initialisation. */
  rc = crl_mlp_init(t->actor, CRL_INIT_TORCH, 1.0, 1.0, init);
  if (rc == 0)
    rc = crl__qcritic_init(t->critic, init);
  gsl_rng_free(init);
  if (rc)
    return rc;
  crl_polyak_update(crl_mlp_n_params(t->actor), crl_mlp_params(t->actor_target),
                    crl_mlp_params(t->actor), 1.0);
  crl_polyak_update(t->critic->n_params, t->critic_target->params,
                    t->critic->params, 1.0);
  crl_adam_spec adam = crl_adam_spec_default();
  adam.eps = c->off.adam_eps;
  rc = crl_adam_alloc(crl_mlp_n_params(t->actor), &adam, &t->actor_adam);
  if (rc == 0)
    rc = crl_adam_alloc(t->critic->n_params, &adam, &t->critic_adam);
  return rc;
}

static int alloc_scratch(td3 *t, uint64_t seed) {
  const size_t W = (size_t)t->max_batch, M = (size_t)t->cfg.off.batch_size;
  const size_t A = (size_t)t->act_dim, K = (size_t)t->cfg.n_critics;
  const crl__buf bufs[] = {
      {(void **)&t->act, CRL__BUF_REAL, W * A},      /* [max_batch, act_dim] */
      {(void **)&t->next_act, CRL__BUF_REAL, M * A}, /* [batch, act_dim] */
      {(void **)&t->q, CRL__BUF_REAL, K * M},        /* [n_critics, batch] */
      {(void **)&t->y, CRL__BUF_REAL, M},            /* [batch] */
      {(void **)&t->dq, CRL__BUF_REAL, M},           /* [batch] */
      {(void **)&t->dact, CRL__BUF_REAL, M * A},     /* [batch, act_dim] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &t->block, t->name);
  if (rc)
    return rc;
  t->noise_rng = crl_rng_alloc(seed, CRL_STREAM_UPDATE_NOISE);
  return t->noise_rng ? 0 : crl_fail(CRL_ENOMEM, "%s: out of memory", t->name);
}

static int td3_explore(void *self, const crl_real *obs, int B,
                       crl_real *action);
static int td3_update(void *self, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc);

int crl__td3_create_named(const char *name, const crl__td3_config *cfg,
                          const crl_space *obs, const crl_space *act,
                          int n_envs, uint64_t seed, void **self) {
  *self = NULL;
  int rc = crl__offpolicy_check_spaces(name, obs, act);
  if (rc)
    return rc;
  td3 *t = calloc(1, sizeof *t);
  if (t == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  t->cfg = *cfg;
  t->name = name;
  t->obs_dim = obs->dim;
  t->act_dim = act->dim;
  t->max_batch = cfg->off.batch_size > n_envs ? cfg->off.batch_size : n_envs;
  const crl__offpolicy_ops ops = {td3_explore, td3_update, NULL};
  rc = crl__offpolicy_alloc(&cfg->off, name, obs, act, n_envs, seed, &ops, t,
                            &t->loop);
  if (rc == 0)
    rc = alloc_networks(t, seed);
  if (rc == 0)
    rc = alloc_scratch(t, seed);
  if (rc) {
    crl__td3_destroy(t);
    return rc;
  }
  *self = t;
  return 0;
}

static int td3_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  return crl__td3_create_named("td3", spec, obs, act, n_envs, seed, self);
}

/* ---- update ------------------------------------------------------------- */

/* x clipped to [-c, c]. */
static double clip_abs(double x, double c) {
  return x < -c ? -c : (x > c ? c : x);
}

/* y [M] = r + gamma (1 - terminated) min_k Q'_k(s', smoothed mu'(s')). */
static int compute_targets(td3 *t, const crl_replay_batch *b) {
  const int M = b->n, A = t->act_dim;
  int rc = crl_mlp_forward(t->actor_target, b->next_obs, M, t->next_act);
  if (rc)
    return rc;
  const double sd = t->cfg.target_policy_noise, c = t->cfg.target_noise_clip;
  if (sd > 0)
    for (size_t i = 0; i < (size_t)M * A; i++) {
      double e = clip_abs(gsl_ran_gaussian_ziggurat(t->noise_rng, sd), c);
      t->next_act[i] = (crl_real)clip_abs((double)t->next_act[i] + e, 1.0);
    }
  rc = crl__qcritic_set_input(t->critic_target, b->next_obs, t->next_act, M);
  if (rc == 0)
    rc = crl__qcritic_forward_all(t->critic_target, t->q);
  if (rc)
    return rc;
  for (int i = 0; i < M; i++) {
    double qmin = t->q[i];
    for (int k = 1; k < t->cfg.n_critics; k++)
      qmin = fmin(qmin, t->q[(size_t)k * M + i]);
    t->y[i] = (crl_real)(b->rewards[i] +
                         t->cfg.off.gamma * (1.0 - b->terminated[i]) * qmin);
  }
  return 0;
}

/* Critic k's mean (Q_k(s, a) - y)^2 (crl__qcritic_loss_fn). */
static double squared_error(void *ctx, int k, const crl_real *q, int M,
                            crl_real *dq) {
  (void)k;
  const crl_real *y = ctx; /* [M] */
  double loss = 0.0;
  for (int i = 0; i < M; i++) {
    const double e = (double)q[i] - y[i];
    loss += e * e / M;
    dq[i] = (crl_real)(2.0 * e / M);
  }
  return loss;
}

/* Sum over critics of mean (Q_k(s, a) - y)^2, and one Adam step; the
 * critics run on the pool's threads and their losses add in critic order. */
static int critic_step(td3 *t, const crl_replay_batch *b,
                       crl__offpolicy_losses *acc) {
  int rc = crl__qcritic_set_input(t->critic, b->obs, b->actions, b->n);
  if (rc)
    return rc;
  crl__qcritic_zero_grad(t->critic);
  double losses[CRL_QCRITIC_MAX], loss = 0.0;
  rc = crl__qcritic_train_all(t->critic, t->q, squared_error, t->y, losses);
  if (rc)
    return rc;
  for (int k = 0; k < t->cfg.n_critics; k++)
    loss += losses[k];
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "%s: critic loss is not finite (%g)",
                    t->name, loss);
  rc = crl__offpolicy_average(t->loop, t->critic->grads, t->critic->n_params);
  if (rc)
    return rc;
  crl_adam_step(t->critic_adam, t->critic->params, t->critic->grads, t->lr);
  acc->critic_loss += loss;
  acc->n_critic++;
  return 0;
}

/* Ascend Q_1(s, mu(s)): dL/da = -dQ_1/da / M through the critic's input
 * gradient, then back through the actor. */
static int actor_step(td3 *t, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc) {
  const int M = b->n, A = t->act_dim;
  int rc = crl_mlp_forward(t->actor, b->obs, M, t->act);
  if (rc == 0)
    rc = crl__qcritic_set_input(t->critic, b->obs, t->act, M);
  if (rc == 0)
    rc = crl__qcritic_forward(t->critic, 0, t->q);
  if (rc)
    return rc;
  double loss = 0.0;
  for (int i = 0; i < M; i++) {
    loss -= (double)t->q[i] / M;
    t->dq[i] = (crl_real)(-1.0 / M);
  }
  memset(t->dact, 0, (size_t)M * A * sizeof *t->dact);
  rc = crl__qcritic_action_grad(t->critic, 0, t->dq, t->dact);
  if (rc)
    return rc;
  crl_mlp_zero_grad(t->actor);
  rc = crl_mlp_backward(t->actor, t->dact, M, NULL);
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "%s: actor loss is not finite (%g)",
                    t->name, loss);
  rc = crl__offpolicy_average(t->loop, crl_mlp_grads(t->actor),
                              crl_mlp_n_params(t->actor));
  if (rc)
    return rc;
  crl_adam_step(t->actor_adam, crl_mlp_params(t->actor),
                crl_mlp_grads(t->actor), t->lr);
  acc->actor_loss += loss;
  acc->n_actor++;
  return 0;
}

static void update_targets(td3 *t) {
  const double tau = t->cfg.off.tau;
  crl_polyak_update(t->critic->n_params, t->critic_target->params,
                    t->critic->params, tau);
  crl_polyak_update(crl_mlp_n_params(t->actor), crl_mlp_params(t->actor_target),
                    crl_mlp_params(t->actor), tau);
}

static int td3_update(void *self, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc) {
  td3 *t = self;
  t->n_updates++;
  int rc = compute_targets(t, b);
  if (rc == 0)
    rc = critic_step(t, b, acc);
  if (rc || t->n_updates % t->cfg.policy_delay != 0)
    return rc;
  rc = actor_step(t, b, acc);
  if (rc == 0)
    update_targets(t);
  return rc;
}

/* ---- acting ------------------------------------------------------------- */

/* The deterministic actor; the loop adds the exploration noise. */
static int td3_explore(void *self, const crl_real *obs, int B,
                       crl_real *action) {
  td3 *t = self;
  return crl_mlp_forward(t->actor, obs, B, action);
}

int crl__td3_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                     crl_algo_stats *stats) {
  td3 *t = self;
  t->lr = crl_schedule_value(&t->cfg.learning_rate, progress_remaining);
  stats->learning_rate = t->lr;
  return crl__offpolicy_iterate(t->loop, venv, stats);
}

/* The actor's action in the env's bounds; without noise whether or not
 * deterministic is set, as SB3's predict. */
int crl__td3_act(void *self, const crl_real *obs, int B, int deterministic,
                 crl_real *action) {
  (void)deterministic;
  td3 *t = self;
  for (int start = 0; start < B; start += t->max_batch) {
    const int b = B - start < t->max_batch ? B - start : t->max_batch;
    const crl_real *in =
        crl__offpolicy_input(t->loop, obs + (size_t)start * t->obs_dim, b);
    int rc = crl_mlp_forward(t->actor, in, b, t->act);
    if (rc)
      return rc;
    crl__offpolicy_unscale(t->loop, t->act, b,
                           action + (size_t)start * t->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

/* Sections "<algorithm name>.<item>" ("td3.actor", "ddpg.actor"). */
static int td3_sections(void *self, crl_state_io *io) {
  td3 *t = self;
  const size_t na = crl_mlp_n_params(t->actor), nc = t->critic->n_params;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "actor", crl_mlp_params(t->actor), na, 0),
      CRL_STATE(REAL, "actor_target", crl_mlp_params(t->actor_target), na, 0),
      CRL_STATE(REAL, "critic", t->critic->params, nc, 0),
      CRL_STATE(REAL, "critic_target", t->critic_target->params, nc, 0),
      CRL_STATE_OBJ("actor_adam", crl_adam_sections, t->actor_adam),
      CRL_STATE_OBJ("critic_adam", crl_adam_sections, t->critic_adam),
      CRL_STATE(LONG, "n_updates", &t->n_updates, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("noise_rng", crl_rng_sections, t->noise_rng),
      CRL_STATE_OBJ("loop", crl__offpolicy_sections, t->loop),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__td3_save(void *self, crl_ckpt_writer *w) {
  td3 *t = self;
  return crl_state_save(w, t->name, td3_sections, t);
}

int crl__td3_load(void *self, const crl_ckpt_reader *r) {
  td3 *t = self;
  return crl_state_load(r, t->name, td3_sections, t);
}

/* The actor without its tanh (a view of the same parameters), with the
 * policy file's tanh-to-bounds output doing the rest. */
int crl__td3_export(void *self, int max_batch, crl_policy **out) {
  td3 *t = self;
  crl_mlp_spec spec = *crl_mlp_get_spec(t->actor);
  spec.output_activation = CRL_ACT_IDENTITY;
  spec.max_batch = 1;
  crl_mlp *pre = NULL;
  int rc = crl_mlp_alloc(&spec, crl_mlp_params(t->actor),
                         crl_mlp_grads(t->actor), &pre);
  const crl_space act = crl__offpolicy_act_space(t->loop);
  if (rc == 0)
    rc = crl__policy_from_parts(pre, t->loop->obs_norm, &act, CRL_POLICY_TANH,
                                max_batch, out);
  crl_mlp_free(pre);
  return rc;
}

int crl__td3_set_group(void *self, const crl_group *g, int *own_envs) {
  td3 *t = self;
  *own_envs = 1;
  int rc = crl__offpolicy_set_group(t->loop, g);
  return rc ? rc
            : crl__offpolicy_rank_rng(t->loop, &t->noise_rng,
                                      CRL_STREAM_UPDATE_NOISE);
}

static long td3_steps_per_iteration(const void *spec, int n_envs) {
  return crl__offpolicy_steps_per_iteration(
      &((const crl__td3_config *)spec)->off, n_envs);
}

const crl_algo_type crl__algo_td3 = {
    .name = "td3",
    .doc = "Twin Delayed DDPG: twin critics, target smoothing, delayed "
           "actor (SB3 semantics)",
    .params = td3_params,
    .spec_size = sizeof(crl__td3_config),
    .create = td3_create,
    .iterate = crl__td3_iterate,
    .act = crl__td3_act,
    .destroy = crl__td3_destroy,
    .save = crl__td3_save,
    .load = crl__td3_load,
    .export_policy = crl__td3_export,
    .steps_per_iteration = td3_steps_per_iteration,
    .set_group = crl__td3_set_group,
};
