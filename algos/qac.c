/* The actor-critics of Zhao, "Mathematical Foundations of Reinforcement
 * Learning", chapter 10, updated at every step from one transition of each
 * env copy (n_envs = 1 is the book; more copies average their updates).
 *
 * mode: qac (Algorithm 10.1, QAC). a_t ~ pi(.|s_t), observe r, s'; draw
 *   a' ~ pi(.|s') for the target only (SARSA-style critic), then
 *     theta <- theta + a_theta grad ln pi(a_t|s_t) q(s_t, a_t, w)
 *     w     <- w + a_w [r + gamma q(s', a', w) - q(s_t, a_t, w)]
 *                      grad q(s_t, a_t, w)
 * mode: a2c (Algorithm 10.2, advantage actor-critic / TD actor-critic):
 *     delta = r + gamma v(s', w) - v(s_t, w)
 *     theta <- theta + a_theta delta grad ln pi(a_t|s_t)
 *     w     <- w + a_w delta grad v(s_t, w)
 * mode: off_policy (Algorithm 10.3): a_t ~ beta(.|s_t), rho = pi(a_t|s_t) /
 *   beta(a_t|s_t), and the a2c updates scaled by rho. beta is `behavior`:
 *   uniform over the actions (over the Box for continuous ones), or the
 *   mixture (1 - e) pi + e uniform (e = behavior_epsilon), which keeps
 *   rho <= 1 / (1 - e).
 * Every right-hand side uses the parameters before the step (w_t,
 * theta_t). A terminated episode has no future value; a time-limit cut
 * bootstraps from its final observation.
 *
 * Policy and v (lib/pg_policy.h): MLP actor-critic or linear softmax. q:
 * for discrete actions an MLP obs -> K values (or linear, q(s,a) = w_a .
 * x(s)); for continuous actions an MLP on [obs, action] -> 1. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/rng.h"
#include "qac.h"

#define F(field) offsetof(qac_spec, field)
const crl_param_def crl__qac_params[] = {
    {"mode", CRL_PARAM_ENUM, F(mode), "qac", 0, 0, "qac|a2c|off_policy",
     "Zhao Algorithm 10.1 (q critic), 10.2 (TD error), 10.3 (importance "
     "weighted)"},
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "1e-4", 0, 100,
     NULL, "actor step size alpha_theta; lin_<v> decays it"},
    {"critic_learning_rate", CRL_PARAM_REAL, F(critic_learning_rate), "1e-3", 0,
     100, NULL, "critic step size alpha_w"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"optimizer", CRL_PARAM_ENUM, F(optimizer), "sgd", 0, 0, "sgd|adam",
     "sgd (the book) or Adam, for actor and critic alike"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "100", 1, 1e7, NULL,
     "steps per copy per iteration (updates happen at every step; this is "
     "how often progress.csv gets a row)"},
    {"behavior", CRL_PARAM_ENUM, F(behavior), "uniform", 0, 0,
     "uniform|mixture",
     "off_policy: beta = uniform, or (1 - e) pi + e uniform"},
    {"behavior_epsilon", CRL_PARAM_REAL, F(behavior_epsilon), "0.5", 0, 1, NULL,
     "off_policy mixture: the uniform share e"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-8", 1e-12, 1, NULL,
     "Adam epsilon"},
    {"prob_floor", CRL_PARAM_REAL, F(prob_floor), "0", 0, 0.5, NULL,
     "discrete: lowest action probability (pg_policy.h defines it)"},
    {"policy_kwargs.linear", CRL_PARAM_BOOL, F(linear), "false", 0, 1, NULL,
     "linear softmax policy and linear critics (discrete actions)"},
    {"policy_kwargs.theta_init", CRL_PARAM_REAL_LIST, F(theta_init), "[]", -1e6,
     1e6, NULL, "linear: theta_0 as theta[a][d]; [] = zeros"},
    CRL_AC_POLICY_KWARGS(F, "the actor and the critic"),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F
/* ---- the q critic ------------------------------------------------------ */

static int qnet_alloc(qnet *q, const crl__pgp *pol, const qac_spec *s, int N,
                      gsl_rng *rng) {
  q->linear = s->linear;
  q->discrete = pol->discrete;
  q->D = pol->obs_dim;
  q->A = pol->act_dim;
  q->in = q->discrete ? q->D : q->D + q->A;
  q->out = q->discrete ? pol->n_out : 1;
  const size_t rows = (size_t)N, in = (size_t)q->in, out = (size_t)q->out;
  const size_t W = q->linear ? out * in : 0;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&q->x,  CRL__BUF_REAL, rows * in},  /* [N, in] */
    {(void **)&q->y,  CRL__BUF_REAL, rows * out}, /* [N, out] */
    {(void **)&q->dy, CRL__BUF_REAL, rows * out}, /* [N, out] */
    {(void **)&q->w,  CRL__BUF_REAL, W},          /* [out, in] or [0] */
    {(void **)&q->dw, CRL__BUF_REAL, W},          /* [out, in] or [0] */
  };
  /* clang-format on */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &q->block, "qac");
  if (rc)
    return rc;
  if (q->linear) {
    q->n = W;
    q->params = q->w; /* w_0 = 0 */
    q->grads = q->dw;
    return 0;
  }
  crl_mlp_spec ms =
      crl_mlp_spec_make(q->in, s->net_arch.n, s->net_arch.v, q->out,
                        (crl_activation)s->activation, CRL_ACT_IDENTITY, N);
  rc = crl_mlp_alloc(&ms, NULL, NULL, &q->mlp);
  if (rc == 0)
    rc = crl_mlp_init(q->mlp,
                      s->ortho_init ? CRL_INIT_ORTHOGONAL : CRL_INIT_TORCH,
                      sqrt(2.0), 1.0, rng);
  if (rc == 0) {
    q->params = crl_mlp_params(q->mlp);
    q->grads = crl_mlp_grads(q->mlp);
    q->n = crl_mlp_n_params(q->mlp);
  }
  return rc;
}

static void qnet_free(qnet *q) {
  crl_mlp_free(q->mlp);
  free(q->block);
}

/* qv [N] = q(obs_i, act_i). */
int crl__qnet_forward(qnet *q, const crl_real *obs, const crl_real *act, int N,
                      crl_real *qv) {
  for (int i = 0; i < N; i++) {
    memcpy(q->x + (size_t)i * q->in, obs + (size_t)i * q->D,
           (size_t)q->D * sizeof *obs);
    if (!q->discrete)
      memcpy(q->x + (size_t)i * q->in + q->D, act + (size_t)i * q->A,
             (size_t)q->A * sizeof *act);
  }
  if (q->linear)
    crl__linear_forward(N, q->in, q->out, q->params, q->x, q->y);
  else {
    int rc = crl_mlp_forward(q->mlp, q->x, N, q->y);
    if (rc)
      return rc;
  }
  for (int i = 0; i < N; i++)
    qv[i] = q->y[(size_t)i * q->out + (q->discrete ? (int)act[i] : 0)];
  return 0;
}

/* Backward through the last forward for L = sum_i dq[i] q(s_i, a_i). */
int crl__qnet_backward(qnet *q, const crl_real *act, const crl_real *dq,
                       int N) {
  memset(q->dy, 0, (size_t)N * q->out * sizeof *q->dy);
  for (int i = 0; i < N; i++)
    q->dy[(size_t)i * q->out + (q->discrete ? (int)act[i] : 0)] = dq[i];
  if (q->linear) {
    crl__linear_backward(N, q->in, q->out, q->x, q->dy, q->grads);
    return 0;
  }
  return crl_mlp_backward(q->mlp, q->dy, N, NULL);
}

/* ---- create / destroy ---------------------------------------------------- */

void crl__qac_destroy(void *self) {
  qac *p = self;
  if (p == NULL)
    return;
  crl__pgp_free(p->pol);
  qnet_free(&p->q);
  crl_adam_free(p->pi_adam);
  crl_adam_free(p->c_adam);
  if (p->act_rng)
    gsl_rng_free(p->act_rng);
  free(p->block);
  free(p);
}

static int alloc_scratch(qac *p) {
  const size_t N = (size_t)p->N, D = (size_t)p->D, A = (size_t)p->A;
  const size_t K = (size_t)p->pol->n_out;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&p->box_low,  CRL__BUF_DOUBLE, A},     /* [A] */
    {(void **)&p->box_high, CRL__BUF_DOUBLE, A},     /* [A] */
    {(void **)&p->obs,      CRL__BUF_REAL,   N * D}, /* [N, D] */
    {(void **)&p->next,     CRL__BUF_REAL,   N * D}, /* [N, D] */
    {(void **)&p->dist,     CRL__BUF_REAL,   N * K}, /* [N, n_out] */
    {(void **)&p->act,      CRL__BUF_REAL,   N * A}, /* [N, A] */
    {(void **)&p->act2,     CRL__BUF_REAL,   N * A}, /* [N, A] */
    {(void **)&p->env_act,  CRL__BUF_REAL,   N * A}, /* [N, A] */
    {(void **)&p->logp,     CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&p->coef,     CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&p->val,      CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&p->val2,     CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&p->rho,      CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&p->probs,    CRL__BUF_REAL,   N * K}, /* [N, n_out] */
    {(void **)&p->live,     CRL__BUF_DOUBLE, N},     /* [N] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "qac");
}

/* Uniform behaviour over a Box needs finite bounds. */
static int copy_bounds(qac *p, const crl_space *act) {
  if (act->kind == CRL_SPACE_DISCRETE)
    return 0;
  for (int j = 0; j < p->A; j++) {
    p->box_low[j] = act->low[j];
    p->box_high[j] = act->high[j];
    if (p->spec.mode == MODE_OFF &&
        !(isfinite(act->low[j]) && isfinite(act->high[j]) &&
          act->high[j] > act->low[j]))
      return crl_fail(CRL_EUNSUPPORTED,
                      "qac: a uniform behaviour policy needs finite action "
                      "bounds (dimension %d is [%g, %g])",
                      j, act->low[j], act->high[j]);
  }
  return 0;
}

/* Parameters the critic's optimiser steps: q's, or the state value's. */
static size_t critic_size(const qac *p) {
  return p->spec.mode == MODE_QAC ? p->q.n : p->pol->n_params - p->pol->n_pi;
}

static int alloc_optimizers(qac *p) {
  if (p->spec.optimizer != OPT_ADAM)
    return 0;
  crl_adam_spec a = crl_adam_spec_default();
  a.eps = p->spec.adam_eps;
  int rc = crl_adam_alloc(p->pol->n_pi, &a, &p->pi_adam);
  if (rc == 0)
    rc = crl_adam_alloc(critic_size(p), &a, &p->c_adam);
  return rc;
}

int crl__qac_create(const void *spec_, const crl_space *obs,
                    const crl_space *act, int n_envs, uint64_t seed,
                    void **self) {
  const qac_spec *s = spec_;
  *self = NULL;
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "qac: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  qac *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "qac: out of memory");
  p->spec = *s;
  p->N = n_envs;
  crl__pgp_spec ps = {.linear = s->linear,
                      .prob_floor = s->prob_floor,
                      .theta_init = s->theta_init};
  ps.ac = (crl__ac_spec){.net_arch = s->net_arch,
                         .activation = s->activation,
                         .log_std_init = s->log_std_init,
                         .ortho_init = s->ortho_init,
                         .max_batch = n_envs};
  int rc = 0;
  gsl_rng *init_rng = crl_rng_alloc(seed, CRL_STREAM_INIT);
  p->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  if (init_rng == NULL || p->act_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "qac: out of memory");
  if (rc == 0)
    rc = crl__pgp_alloc(&ps, obs, act, init_rng, &p->pol);
  if (rc == 0) {
    p->D = p->pol->obs_dim;
    p->A = p->pol->act_dim;
    p->K = p->pol->discrete ? p->pol->n_out : 0;
    rc = alloc_scratch(p);
  }
  if (rc == 0)
    rc = copy_bounds(p, act);
  if (rc == 0 && s->mode == MODE_QAC)
    rc = qnet_alloc(&p->q, p->pol, s, n_envs, init_rng);
  if (rc == 0)
    rc = alloc_optimizers(p);
  if (init_rng)
    gsl_rng_free(init_rng);
  if (rc) {
    crl__qac_destroy(p);
    return rc;
  }
  *self = p;
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

/* Everything a step reads besides the env copies: the policy and value
 * (pg_policy), the q critic (mode qac), the Adam states, the action stream. */
static int qac_sections(void *self, crl_state_io *io) {
  qac *p = self;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("policy", crl__pgp_sections, p->pol),
      CRL_STATE(REAL, "q", p->spec.mode == MODE_QAC ? p->q.params : NULL,
                p->q.n, 0),
      CRL_STATE_OBJ("pi_adam", crl_adam_sections, p->pi_adam),
      CRL_STATE_OBJ("c_adam", crl_adam_sections, p->c_adam),
      CRL_STATE_OBJ("act_rng", crl_rng_sections, p->act_rng),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__qac_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "qac", qac_sections, self);
}

int crl__qac_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "qac", qac_sections, self);
}

int crl__qac_export(void *self, int max_batch, crl_policy **out) {
  return crl__pgp_export(((qac *)self)->pol, max_batch, out);
}
