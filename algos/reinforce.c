/* REINFORCE / vanilla policy gradient, in two forms.
 *
 * Batch (Spinning Up's VPG, the default): each iteration collects whole
 * episodes from one env copy until it holds at least n_steps steps, then
 * takes one gradient step on L = -mean_t A_t ln pi(a_t|s_t) and vf_iters
 * steps of the value loss mean_t (v(s_t) - G_t)^2. The advantage A_t is
 * the return G_t (no baseline), G_t - v(s_t) (baseline), or GAE(lambda)
 * (baseline and gae_lambda set); optionally standardised over the batch.
 * Adam or plain SGD, with separate step sizes for policy and value.
 *
 * Textbook (Sutton & Barto 2nd ed., section 13.3-13.4, `textbook: true`):
 * each iteration is one episode S_0, A_0, R_1, ..., S_T; then for
 * t = 0 .. T-1 in order, with G_t = sum_{k=t+1}^T gamma^{k-t-1} R_k,
 *   without baseline: theta <- theta + alpha gamma^t G_t grad ln pi(A_t|S_t)
 *   with baseline:    delta = G_t - v(S_t, w)
 *                     w     <- w + alpha_w delta grad v(S_t, w)
 *                     theta <- theta + alpha gamma^t delta grad ln pi(A_t|S_t)
 * (alpha = learning_rate, alpha_w = vf_learning_rate; each gradient taken
 * at the current parameters, so later steps of the episode see the earlier
 * updates, as in the pseudocode). A time-limit cut is treated as the end of
 * the episode (the book has no time limits).
 *
 * Policies (lib/pg_policy.h): the MLP actor-critic (Gaussian or
 * categorical), or the linear softmax h(s,a) = theta_a . x(s) with a linear
 * v(s) = w . x(s), an initial theta_0 from the file, and an optional floor
 * on the action probabilities. Whole episodes from one copy: n_envs must
 * be 1. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/algo.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "reinforce.h"
#include "rl/pg_loss.h"

#define F(field) offsetof(reinforce_spec, field)
static const crl_param_def reinforce_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 100,
     NULL, "policy step size (S&B alpha, alpha^theta); lin_<v> decays it"},
    {"vf_learning_rate", CRL_PARAM_REAL, F(vf_learning_rate), "1e-3", 0, 100,
     NULL, "state-value step size (S&B alpha^w)"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"baseline", CRL_PARAM_BOOL, F(baseline), "true", 0, 1, NULL,
     "learn a state value v(s) and subtract it from the return"},
    {"gae_lambda", CRL_PARAM_REAL_OPT, F(gae_lambda), "0.97", 0, 1, NULL,
     "GAE(lambda) advantages (needs baseline); null = G_t - v(s_t)"},
    {"normalize_advantage", CRL_PARAM_BOOL, F(normalize_advantage), "true", 0,
     1, NULL, "standardise advantages over each batch (batch mode)"},
    {"optimizer", CRL_PARAM_ENUM, F(optimizer), "adam", 0, 0, "sgd|adam",
     "sgd: theta -= lr * gradient; adam: torch.optim.Adam"},
    {"textbook", CRL_PARAM_BOOL, F(textbook), "false", 0, 1, NULL,
     "S&B per-time-step updates, one episode per iteration"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "4000", 1, 1e7, NULL,
     "batch mode: collect whole episodes until at least this many steps"},
    {"vf_iters", CRL_PARAM_INT, F(vf_iters), "80", 0, 100000, NULL,
     "batch mode: value-function steps per iteration"},
    {"buffer_size", CRL_PARAM_INT, F(buffer_size), "100000", 1, 1e8, NULL,
     "most steps one iteration may hold (n_steps + a longest episode)"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-8", 1e-12, 1, NULL,
     "Adam epsilon"},
    {"prob_floor", CRL_PARAM_REAL, F(prob_floor), "0", 0, 0.5, NULL,
     "discrete: lowest action probability (pg_policy.h defines it)"},
    {"policy_kwargs.linear", CRL_PARAM_BOOL, F(linear), "false", 0, 1, NULL,
     "linear softmax h(s,a) = theta_a . x(s), v(s) = w . x(s) (discrete)"},
    {"policy_kwargs.theta_init", CRL_PARAM_REAL_LIST, F(theta_init), "[]", -1e6,
     1e6, NULL, "linear: theta_0 as theta[a][d], action-major; [] = zeros"},
    CRL_AC_POLICY_KWARGS(F, "the MLP policy and value"),
    CRL_GRAD_SHARDS_PARAM(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

static void reinforce_destroy(void *self) {
  reinforce *r = self;
  if (r == NULL)
    return;
  crl__pgp_free(r->pol);
  crl__shards_free(&r->shards);
  crl_adam_free(r->pi_adam);
  crl_adam_free(r->v_adam);
  if (r->act_rng)
    gsl_rng_free(r->act_rng);
  free(r->block);
  free(r);
}

static int check_spec(const reinforce_spec *s, int n_envs) {
  if (n_envs != 1)
    return crl_fail(CRL_EINVAL,
                    "reinforce: learns from whole episodes of one env copy; "
                    "set n_envs: 1 (got %d)",
                    n_envs);
  if (!isnan(s->gae_lambda) && !s->baseline)
    return crl_fail(CRL_EINVAL, "reinforce: gae_lambda needs baseline: true "
                                "(or set gae_lambda: null)");
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "reinforce: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  return 0;
}

static int alloc_buffers(reinforce *r) {
  const size_t C = (size_t)r->cap, O = (size_t)r->obs_dim;
  const size_t A = (size_t)r->act_dim, K = (size_t)r->n_out;
  const size_t B = CHUNK;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&r->obs,        CRL__BUF_REAL,   C * O}, /* [cap, obs_dim] */
    {(void **)&r->actions,    CRL__BUF_REAL,   C * A}, /* [cap, act_dim] */
    {(void **)&r->rewards,    CRL__BUF_DOUBLE, C},     /* [cap] */
    {(void **)&r->boot,       CRL__BUF_DOUBLE, C},     /* [cap] */
    {(void **)&r->ends,       CRL__BUF_U8,     C},     /* [cap] */
    {(void **)&r->values,     CRL__BUF_REAL,   C},     /* [cap] */
    {(void **)&r->adv,        CRL__BUF_REAL,   C},     /* [cap] */
    {(void **)&r->ret,        CRL__BUF_REAL,   C},     /* [cap] */
    {(void **)&r->dist,       CRL__BUF_REAL,   B * K}, /* [CHUNK, n_out] */
    {(void **)&r->logp,       CRL__BUF_REAL,   B},     /* [CHUNK] */
    {(void **)&r->dlogp,      CRL__BUF_REAL,   B},     /* [CHUNK] */
    {(void **)&r->v,          CRL__BUF_REAL,   B},     /* [CHUNK] */
    {(void **)&r->dv,         CRL__BUF_REAL,   B},     /* [CHUNK] */
    {(void **)&r->env_action, CRL__BUF_REAL,   A},     /* [act_dim] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &r->block, "reinforce");
}

static crl__pgp_spec policy_spec(const reinforce_spec *s) {
  crl__pgp_spec ps = {.linear = s->linear,
                      .prob_floor = s->prob_floor,
                      .theta_init = s->theta_init};
  ps.ac = (crl__ac_spec){.net_arch = s->net_arch,
                         .activation = s->activation,
                         .log_std_init = s->log_std_init,
                         .ortho_init = s->ortho_init,
                         .normalize_obs = 0,
                         .max_batch = CHUNK};
  return ps;
}

static int alloc_optimizers(reinforce *r) {
  if (r->spec.optimizer != OPT_ADAM)
    return 0;
  crl_adam_spec a = crl_adam_spec_default();
  a.eps = r->spec.adam_eps;
  int rc = crl_adam_alloc(r->pol->n_pi, &a, &r->pi_adam);
  if (rc == 0)
    rc = crl_adam_alloc(r->pol->n_params - r->pol->n_pi, &a, &r->v_adam);
  return rc;
}

static int reinforce_create(const void *spec_, const crl_space *obs,
                            const crl_space *act, int n_envs, uint64_t seed,
                            void **self) {
  const reinforce_spec *spec = spec_;
  *self = NULL;
  int rc = check_spec(spec, n_envs);
  if (rc)
    return rc;
  reinforce *r = calloc(1, sizeof *r);
  if (r == NULL)
    return crl_fail(CRL_ENOMEM, "reinforce: out of memory");
  r->spec = *spec;
  r->shards = (crl__shards){.name = "reinforce", .n = spec->grad_shards};
  r->cap = spec->buffer_size;
  crl__pgp_spec ps = policy_spec(spec);
  gsl_rng *init_rng = crl_rng_alloc(seed, CRL_STREAM_INIT);
  r->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  if (init_rng == NULL || r->act_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "reinforce: out of memory");
  if (rc == 0)
    rc = crl__pgp_alloc(&ps, obs, act, init_rng, &r->pol);
  if (init_rng)
    gsl_rng_free(init_rng);
  if (rc == 0) {
    r->obs_dim = r->pol->obs_dim;
    r->act_dim = r->pol->act_dim;
    r->n_out = r->pol->n_out;
    rc = alloc_optimizers(r);
  }
  if (rc == 0)
    rc = alloc_buffers(r);
  if (rc) {
    reinforce_destroy(r);
    return rc;
  }
  *self = r;
  return 0;
}

/* ---- collecting episodes --------------------------------------------- */

/* Act in the current observation, step, store the row. *done at the end. */
static int collect_step(reinforce *r, crl_vec_env *venv, int *done) {
  if (r->n >= r->cap)
    return crl_fail(CRL_ESHAPE,
                    "reinforce: the episodes of one iteration exceed "
                    "buffer_size = %d steps; raise buffer_size",
                    r->cap);
  const int t = r->n, O = r->obs_dim, A = r->act_dim;
  crl_real *obs = r->obs + (size_t)t * O, *action = r->actions + (size_t)t * A;
  memcpy(obs, crl_vec_env_obs(venv), (size_t)O * sizeof *obs);
  int rc = crl__pgp_actor_forward(r->pol, obs, 1, r->dist);
  if (rc)
    return rc;
  crl__pgp_sample(r->pol, r->dist, 1, 0, r->act_rng, action);
  crl__pgp_env_actions(r->pol, action, 1, r->env_action);
  rc = crl_vec_env_step(venv, r->env_action);
  if (rc)
    return rc;
  int term = crl_vec_env_terminated(venv)[0];
  int trunc = crl_vec_env_truncated(venv)[0];
  r->rewards[t] = crl_vec_env_rewards(venv)[0];
  r->ends[t] = (unsigned char)(term || trunc);
  r->boot[t] = 0.0;
  r->n++;
  *done = term || trunc;
  /* A time-limit cut bootstraps from v(final obs) when there is a value
   * (batch mode only: the textbook form follows the book, which has no
   * time limits). */
  if (trunc && !term && r->spec.baseline && !r->spec.textbook) {
    crl_real v;
    rc = crl__pgp_value_forward(r->pol, crl_vec_env_final_obs(venv), 1, &v);
    r->boot[t] = (double)v;
  }
  return rc;
}

static int collect_episode(reinforce *r, crl_vec_env *venv) {
  int done = 0, rc = 0;
  while (rc == 0 && !done)
    rc = collect_step(r, venv, &done);
  return rc;
}

/* ---- returns and advantages ------------------------------------------ */

static int compute_values(reinforce *r) {
  for (int start = 0; start < r->n; start += CHUNK) {
    int b = r->n - start < CHUNK ? r->n - start : CHUNK;
    int rc = crl__pgp_value_forward(r->pol, r->obs + (size_t)start * r->obs_dim,
                                    b, r->values + start);
    if (rc)
      return rc;
  }
  return 0;
}

/* G_t backwards over each episode, from the bootstrap value after its last
 * row (0 when it terminated). */
static void compute_returns(reinforce *r) {
  double G = 0.0;
  for (int t = r->n - 1; t >= 0; t--) {
    if (r->ends[t])
      G = r->boot[t];
    G = r->rewards[t] + r->spec.gamma * G;
    r->ret[t] = (crl_real)G;
  }
}

/* A_t = G_t (no baseline), G_t - v(s_t), or GAE(lambda) over the
 * one-step TD errors r + gamma v(s') - v(s). */
static void compute_advantages(reinforce *r) {
  const double g = r->spec.gamma, lam = r->spec.gae_lambda;
  if (!r->spec.baseline || isnan(lam)) {
    for (int t = 0; t < r->n; t++)
      r->adv[t] = r->spec.baseline ? r->ret[t] - r->values[t] : r->ret[t];
    return;
  }
  double gae = 0.0, next_v = 0.0;
  for (int t = r->n - 1; t >= 0; t--) {
    if (r->ends[t]) {
      next_v = r->boot[t];
      gae = 0.0;
    }
    double v = r->values[t];
    double delta = r->rewards[t] + g * next_v - v;
    gae = delta + g * lam * gae;
    r->adv[t] = (crl_real)gae;
    next_v = v;
  }
}

/* Over the batch, with numpy's std as Spinning Up. */
static void normalize_advantages(reinforce *r) {
  if (r->spec.normalize_advantage)
    crl__pg_standardize(r->adv, (size_t)r->n, 0, 1);
}

static int batch_iterate(reinforce *r, crl_vec_env *venv, double lr,
                         crl_algo_stats *st) {
  int rc = 0;
  while (rc == 0 && r->n < r->spec.n_steps)
    rc = collect_episode(r, venv);
  if (rc == 0 && r->spec.baseline)
    rc = compute_values(r);
  if (rc)
    return rc;
  compute_returns(r);
  compute_advantages(r);
  normalize_advantages(r);
  rc = reinforce_policy_update(r, lr, st);
  st->n_updates = 1;
  for (int k = 0; rc == 0 && r->spec.baseline && k < r->spec.vf_iters; k++) {
    double loss = NAN;
    rc = reinforce_value_step(r, &loss);
    if (k == 0)
      st->value_loss = loss; /* before this iteration's value fitting */
    st->n_updates++;
  }
  return rc;
}

static int textbook_iterate(reinforce *r, crl_vec_env *venv, double lr,
                            crl_algo_stats *st) {
  int rc = collect_episode(r, venv);
  if (rc)
    return rc;
  compute_returns(r); /* boot is 0: no bootstrap in the textbook form */
  double sq = 0.0;
  rc = reinforce_textbook_steps(r, lr, &sq);
  st->n_updates = r->n;
  if (r->spec.baseline)
    st->value_loss = sq / r->n;
  return rc;
}

static int reinforce_iterate(void *self, crl_vec_env *venv,
                             double progress_remaining, crl_algo_stats *st) {
  reinforce *r = self;
  if (crl_vec_env_n(venv) != 1)
    return crl_fail(CRL_ESHAPE, "reinforce: needs one env copy, got %d",
                    crl_vec_env_n(venv));
  const double lr =
      crl_schedule_value(&r->spec.learning_rate, progress_remaining);
  r->n = 0;
  int rc = r->spec.textbook ? textbook_iterate(r, venv, lr, st)
                            : batch_iterate(r, venv, lr, st);
  st->steps = r->n;
  st->learning_rate = lr;
  return rc;
}

static int reinforce_act(void *self, const crl_real *obs, int B,
                         int deterministic, crl_real *action) {
  reinforce *r = self;
  for (int start = 0; start < B; start += CHUNK) {
    int b = B - start < CHUNK ? B - start : CHUNK;
    int rc = crl__pgp_actor_forward(r->pol, obs + (size_t)start * r->obs_dim, b,
                                    r->dist);
    if (rc)
      return rc;
    crl__pgp_sample(r->pol, r->dist, b, deterministic, r->act_rng,
                    action + (size_t)start * r->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

/* An iteration ends with its last episode, so between iterations the state
 * is the policy and value, the Adam states and the action stream. */
static int reinforce_sections(void *self, crl_state_io *io) {
  reinforce *r = self;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("policy", crl__pgp_sections, r->pol),
      CRL_STATE_OBJ("pi_adam", crl_adam_sections, r->pi_adam),
      CRL_STATE_OBJ("v_adam", crl_adam_sections, r->v_adam),
      CRL_STATE_OBJ("act_rng", crl_rng_sections, r->act_rng),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int reinforce_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "reinforce", reinforce_sections, self);
}

static int reinforce_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "reinforce", reinforce_sections, self);
}

static int reinforce_export(void *self, int max_batch, crl_policy **out) {
  return crl__pgp_export(((reinforce *)self)->pol, max_batch, out);
}

/* Batch mode collects whole episodes until at least n_steps (on its one
 * copy): the least an iteration takes. Textbook mode's one episode has no
 * size known in advance; the same value stands for it. */
static long reinforce_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const reinforce_spec *)spec)->n_steps * n_envs;
}

/* Data parallel (the batch form): the episodes come one after the other
 * from one env copy, so every process steps the same copy (replicated:
 * the same rows everywhere) and computes part `rank` of each gradient. */
static int reinforce_set_group(void *self, const crl_group *g, int *own_envs) {
  reinforce *r = self;
  if (g != NULL && g->size > 1 && r->spec.textbook)
    return crl_fail(CRL_EUNSUPPORTED,
                    "reinforce: the textbook form updates after every step "
                    "of an episode; it cannot run data parallel");
  *own_envs = CRL_ENVS_REPLICATED;
  return crl__shards_set_group(&r->shards, g);
}

const crl_algo_type crl__algo_reinforce = {
    .name = "reinforce",
    .doc = "REINFORCE / VPG: Monte-Carlo policy gradient, batch (Spinning Up) "
           "or S&B per-step",
    .params = reinforce_params,
    .spec_size = sizeof(reinforce_spec),
    .create = reinforce_create,
    .iterate = reinforce_iterate,
    .act = reinforce_act,
    .destroy = reinforce_destroy,
    .save = reinforce_save,
    .load = reinforce_load,
    .export_policy = reinforce_export,
    .steps_per_iteration = reinforce_steps_per_iteration,
    .set_group = reinforce_set_group,
};
