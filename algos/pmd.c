/* Policy mirror descent as Kimi k1.5 trains with it (Kimi Team 2025,
 * section 2.3.2), on control tasks: critic-free, on GRPO's groups of
 * episodes that start from the same state (grpo_collect.c). For episode
 * i of a group with return r_i (plus, with length_penalty c, Kimi's
 * length reward c * (0.5 - (len_i - min len) / (max len - min len)) over
 * the group), the loss is
 *   L = mean_i (r_i - mean_group r - tau * log(pi_theta(tau_i) /
 * pi_old(tau_i)))^2 where log pi(tau_i) sums the episode's per-step
 * log-probabilities and pi_old is the policy that collected the data: the
 * regression whose minimiser is the KL-regularised (strength tau)
 * mirror-descent step, with tau log Z estimated by the group's mean return.
 * Each iteration takes n_epochs full-batch Adam steps on L. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "algos/pmd.h"
#include "core/bufs.h"
#include "crl/error.h"

#define F(field) offsetof(grpo_spec, field)
static const crl_param_def pmd_params[] = {
    CRL_GRPO_GROUP_PARAMS(F),
    {"n_epochs", CRL_PARAM_INT, F(n_epochs), "4", 1, 1000, NULL,
     "full-batch gradient steps per iteration"},
    {"tau", CRL_PARAM_REAL, F(tau), "1.0", 1e-9, 1e9, NULL,
     "strength of the log-ratio (KL) term: larger is a smaller step"},
    {"length_penalty", CRL_PARAM_REAL, F(length_penalty), "0.0", -1e9, 1e9,
     NULL,
     "weight of Kimi k1.5's length reward (0.5 at the group's shortest "
     "episode, -0.5 at its longest); 0 = off"},
    CRL_GRPO_COMMON_PARAMS(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

/* Rows per network pass; the loss does not depend on it. */
enum { PMD_CHUNK = 256 };

static int pmd_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  grpo_spec s = *(const grpo_spec *)spec;
  s.batch_size = PMD_CHUNK / 2; /* the networks hold 2 batch_size rows */
  int rc = crl__grpo_create_named("pmd", &s, obs, act, n_envs, seed, self);
  if (rc == 0 && (rc = crl__pmd_alloc(*self)) != 0) {
    crl__grpo_destroy(*self);
    *self = NULL;
  }
  return rc;
}

int crl__pmd_alloc(grpo *g) {
  const size_t E = (size_t)g->spec.n_groups * g->spec.group_size;
  const crl__buf bufs[] = {
      {(void **)&g->ep_ret, CRL__BUF_DOUBLE, E},          /* [episodes] */
      {(void **)&g->ep_delta, CRL__BUF_DOUBLE, E},        /* [episodes] */
      {(void **)&g->ep_coef, CRL__BUF_DOUBLE, E},         /* [episodes] */
      {(void **)&g->ep_of, CRL__BUF_INT, (size_t)g->cap}, /* [cap] */
  };
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &g->pmd_block, "pmd");
}

/* ---- returns, with the optional length reward ---------------------------- */

static int episode_len(const grpo *g, int e) {
  return g->ep_start[e + 1] - g->ep_start[e];
}

void crl__pmd_returns(grpo *g, double *ret) {
  const int G = g->spec.group_size, E = g->spec.n_groups * G;
  for (int e = 0; e < E; e++) {
    ret[e] = 0.0;
    for (int t = g->ep_start[e]; t < g->ep_start[e + 1]; t++) {
      ret[e] += g->rewards[t];
      g->ep_of[t] = e;
    }
  }
  if (g->spec.length_penalty == 0.0)
    return;
  for (int k = 0; k < g->spec.n_groups; k++) {
    int lo = episode_len(g, k * G), hi = lo;
    for (int j = 1; j < G; j++) {
      int n = episode_len(g, k * G + j);
      lo = n < lo ? n : lo;
      hi = n > hi ? n : hi;
    }
    if (hi == lo) /* Kimi: no length reward when all lengths agree */
      continue;
    for (int j = 0; j < G; j++)
      ret[k * G + j] +=
          g->spec.length_penalty *
          (0.5 - (double)(episode_len(g, k * G + j) - lo) / (hi - lo));
  }
}

/* ---- the loss ------------------------------------------------------------ */

/* logp [m] of rows [lo, lo + m) under the current policy. */
static int chunk_log_prob(grpo *g, int lo, int m) {
  const size_t O = (size_t)g->obs_dim, A = (size_t)g->act_dim;
  int rc = crl__ac_actor_forward(g->ac, g->obs + (size_t)lo * O, m, g->dist);
  if (rc == 0)
    crl__ac_log_prob(g->ac, g->dist, g->act + (size_t)lo * A, m, g->logp);
  return rc;
}

double crl__pmd_loss(grpo *g, const double *ret, int with_grad, int *rc_out) {
  const int G = g->spec.group_size, E = g->spec.n_groups * G, n = g->n;
  const double tau = g->spec.tau;
  int rc = 0;
  for (int e = 0; e < E; e++)
    g->ep_delta[e] = 0.0;
  /* pass 1: each episode's log-ratio log pi_theta - log pi_old */
  for (int lo = 0; lo < n && rc == 0; lo += PMD_CHUNK) {
    const int m = n - lo < PMD_CHUNK ? n - lo : PMD_CHUNK;
    rc = chunk_log_prob(g, lo, m);
    for (int i = 0; i < m && rc == 0; i++)
      g->ep_delta[g->ep_of[lo + i]] +=
          (double)g->logp[i] - (double)g->logp_ref[lo + i];
  }
  double loss = 0.0;
  for (int k = 0; k < g->spec.n_groups && rc == 0; k++) {
    double mean = 0.0;
    for (int j = 0; j < G; j++)
      mean += ret[k * G + j] / G;
    for (int j = 0; j < G; j++) {
      const int e = k * G + j;
      const double res = ret[e] - mean - tau * g->ep_delta[e];
      loss += res * res / E;
      g->ep_coef[e] = -2.0 * tau * res / E; /* dL / d log pi_theta(row) */
    }
  }
  /* pass 2: every row's log-prob gets its episode's coefficient */
  for (int lo = 0; lo < n && with_grad && rc == 0; lo += PMD_CHUNK) {
    const int m = n - lo < PMD_CHUNK ? n - lo : PMD_CHUNK;
    rc = chunk_log_prob(g, lo, m);
    for (int i = 0; i < m; i++)
      g->dlogp[i] = (crl_real)g->ep_coef[g->ep_of[lo + i]];
    if (rc == 0)
      rc = crl__ac_actor_backward(
          g->ac, g->dist, g->act + (size_t)lo * g->act_dim, m, g->dlogp, 0.0);
  }
  *rc_out = rc;
  return loss;
}

static int pmd_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *st) {
  grpo *g = self;
  if (crl_vec_env_n(venv) != 1)
    return crl_fail(CRL_ESHAPE, "pmd: needs one env copy, got %d",
                    crl_vec_env_n(venv));
  int rc = grpo_collect(g, venv);
  if (rc)
    return rc;
  crl__pmd_returns(g, g->ep_ret);
  const double lr =
      crl_schedule_value(&g->spec.learning_rate, progress_remaining);
  double first = NAN;
  for (int e = 0; e < g->spec.n_epochs && rc == 0; e++) {
    memset(g->ac->grads, 0, g->n_pi * sizeof *g->ac->grads);
    const double loss = crl__pmd_loss(g, g->ep_ret, 1, &rc);
    if (rc == 0 && !isfinite(loss))
      rc = crl_fail(CRL_ENONFINITE, "pmd: loss is not finite (%g)", loss);
    if (rc)
      break;
    first = e == 0 ? loss : first;
    crl_clip_grad_norm(g->n_pi, g->ac->grads, g->spec.max_grad_norm);
    crl_adam_step(g->adam, g->ac->params, g->ac->grads, lr);
  }
  st->steps = g->n;
  st->learning_rate = lr;
  st->n_updates = g->spec.n_epochs;
  st->policy_loss = first; /* before this iteration's steps */
  return rc;
}

const crl_algo_type crl__algo_pmd = {
    .name = "pmd",
    .doc = "Policy mirror descent as in Kimi k1.5: critic-free, squared "
           "regression of group-relative returns on the log-ratio",
    .params = pmd_params,
    .spec_size = sizeof(grpo_spec),
    .create = pmd_create,
    .iterate = pmd_iterate,
    .act = crl__grpo_act,
    .destroy = crl__grpo_destroy,
    .save = crl__grpo_save,
    .load = crl__grpo_load,
    .export_policy = crl__grpo_export,
};
