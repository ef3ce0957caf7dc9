/* The per-step updates of QAC, the advantage actor-critic and the
 * off-policy actor-critic (Zhao, Algorithms 10.1-10.3; see qac.c). */
#include <math.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "crl/error.h"
#include "qac.h"

/* ---- the behaviour policy (off_policy) ------------------------------- */

/* Density of the uniform distribution over the action Box at a (0 outside). */
static double uniform_density(const qac *p, const crl_real *a) {
  double d = 1.0;
  for (int j = 0; j < p->A; j++) {
    if (a[j] < p->box_low[j] || a[j] > p->box_high[j])
      return 0.0;
    d /= p->box_high[j] - p->box_low[j];
  }
  return d;
}

/* a ~ beta for discrete actions, rho = pi(a) / beta(a). */
static void behave_discrete(qac *p) {
  const int K = p->K;
  const double e =
      p->spec.behavior == BEH_MIXTURE ? p->spec.behavior_epsilon : 1.0;
  crl__pgp_probs(p->pol, p->dist, p->N, p->probs);
  for (int i = 0; i < p->N; i++) {
    const crl_real *pi = p->probs + (size_t)i * K;
    double u = gsl_rng_uniform(p->act_rng), c = 0.0;
    int a = K - 1;
    for (int k = 0; k < K - 1; k++) {
      c += (1.0 - e) * pi[k] + e / K;
      if (u < c) {
        a = k;
        break;
      }
    }
    p->act[i] = (crl_real)a;
    p->rho[i] = (crl_real)(pi[a] / ((1.0 - e) * pi[a] + e / K));
  }
}

/* a ~ beta for Box actions: uniform over the Box, or with probability
 * 1 - e a draw from pi; rho = pi(a) / ((1 - e) pi(a) + e U(a)). */
static void behave_box(qac *p) {
  const int N = p->N, A = p->A;
  const double e =
      p->spec.behavior == BEH_MIXTURE ? p->spec.behavior_epsilon : 1.0;
  crl__pgp_sample(p->pol, p->dist, N, 0, p->act_rng, p->act);
  for (int i = 0; i < N; i++)
    if (gsl_rng_uniform(p->act_rng) < e)
      for (int j = 0; j < A; j++)
        p->act[(size_t)i * A + j] =
            (crl_real)(p->box_low[j] + (p->box_high[j] - p->box_low[j]) *
                                           gsl_rng_uniform(p->act_rng));
  crl__pgp_log_prob(p->pol, p->dist, p->act, N, p->logp);
  for (int i = 0; i < N; i++) {
    double pi = exp((double)p->logp[i]);
    double beta =
        (1.0 - e) * pi + e * uniform_density(p, p->act + (size_t)i * A);
    p->rho[i] = (crl_real)(beta > 0.0 ? pi / beta : 0.0);
  }
}

/* a_t for every copy: from pi, or from beta with its importance ratio. */
static int choose_actions(qac *p) {
  int rc = crl__pgp_actor_forward(p->pol, p->obs, p->N, p->dist);
  if (rc)
    return rc;
  if (p->spec.mode != MODE_OFF)
    crl__pgp_sample(p->pol, p->dist, p->N, 0, p->act_rng, p->act);
  else if (p->pol->discrete)
    behave_discrete(p);
  else
    behave_box(p);
  return 0;
}

/* ---- one step ------------------------------------------------------------ */

/* After the env step: the state each copy bootstraps from (the final
 * observation when an episode ended) and gamma, or 0 when it terminated. */
static void bootstrap_rows(qac *p, crl_vec_env *venv) {
  const crl_real *next = crl_vec_env_obs(venv);
  const crl_real *fin = crl_vec_env_final_obs(venv);
  const int *term = crl_vec_env_terminated(venv);
  const int *trunc = crl_vec_env_truncated(venv);
  for (int i = 0; i < p->N; i++) {
    const crl_real *src = term[i] || trunc[i] ? fin : next;
    memcpy(p->next + (size_t)i * p->D, src + (size_t)i * p->D,
           (size_t)p->D * sizeof *src);
    p->live[i] = term[i] ? 0.0 : p->spec.gamma;
  }
}

/* QAC's critic: val = q(s, a), val2 = q(s', a') with a' ~ pi(s'); the TD
 * error goes to coef (critic), and the actor's weight is q(s, a). */
static int q_critic(qac *p, const double *rew, double *sq) {
  int rc = crl__pgp_actor_forward(p->pol, p->next, p->N, p->dist);
  if (rc)
    return rc;
  crl__pgp_sample(p->pol, p->dist, p->N, 0, p->act_rng, p->act2);
  rc = crl__qnet_forward(&p->q, p->next, p->act2, p->N, p->val2);
  if (rc == 0) /* last: the backward pass goes through q(s, a) */
    rc = crl__qnet_forward(&p->q, p->obs, p->act, p->N, p->val);
  if (rc)
    return rc;
  memset(p->q.grads, 0, p->q.n * sizeof *p->q.grads);
  for (int i = 0; i < p->N; i++) {
    double delta = rew[i] + p->live[i] * p->val2[i] - p->val[i];
    *sq += delta * delta;
    p->coef[i] = (crl_real)(-delta / p->N);    /* dL/dq: w moves along +delta */
    p->rho[i] = (crl_real)((double)p->val[i]); /* actor weight q(s, a) */
  }
  return crl__qnet_backward(&p->q, p->act, p->coef, p->N);
}

/* The v critic: delta = r + gamma v(s') - v(s), weighted by rho when off
 * policy; the actor's weight is rho * delta. */
static int v_critic(qac *p, const double *rew, double *sq) {
  int rc = crl__pgp_value_forward(p->pol, p->next, p->N, p->val2);
  if (rc == 0)
    rc = crl__pgp_value_forward(p->pol, p->obs, p->N, p->val);
  if (rc)
    return rc;
  for (int i = 0; i < p->N; i++) {
    double delta = rew[i] + p->live[i] * p->val2[i] - p->val[i];
    double w = p->spec.mode == MODE_OFF ? (double)p->rho[i] : 1.0;
    *sq += delta * delta;
    p->coef[i] = (crl_real)(-w * delta / p->N);
    p->rho[i] = (crl_real)(w * delta); /* actor weight */
  }
  return crl__pgp_value_backward(p->pol, p->coef, p->N);
}

/* theta <- theta + a_theta mean_i weight_i grad ln pi(a_i|s_i), weights in
 * rho; and the critic's step. */
static int apply_updates(qac *p, double lr) {
  int rc = crl__pgp_actor_forward(p->pol, p->obs, p->N, p->dist);
  if (rc)
    return rc;
  for (int i = 0; i < p->N; i++)
    p->coef[i] = (crl_real)(-(double)p->rho[i] / p->N);
  rc = crl__pgp_actor_backward(p->pol, p->dist, p->act, p->N, p->coef);
  if (rc)
    return rc;
  crl__pgp *pol = p->pol;
  int qmode = p->spec.mode == MODE_QAC;
  crl_real *cp = qmode ? p->q.params : pol->params + pol->n_pi;
  const crl_real *cg = qmode ? p->q.grads : pol->grads + pol->n_pi;
  size_t cn = qmode ? p->q.n : pol->n_params - pol->n_pi;
  const double clr = p->spec.critic_learning_rate;
  if (p->pi_adam) {
    crl_adam_step(p->pi_adam, pol->params, pol->grads, lr);
    crl_adam_step(p->c_adam, cp, cg, clr);
    return 0;
  }
  for (size_t j = 0; j < pol->n_pi; j++)
    pol->params[j] -= (crl_real)(lr * (double)pol->grads[j]);
  for (size_t j = 0; j < cn; j++)
    cp[j] -= (crl_real)(clr * (double)cg[j]);
  return 0;
}

static int qac_step(qac *p, crl_vec_env *venv, double lr, double *sq) {
  memcpy(p->obs, crl_vec_env_obs(venv), (size_t)p->N * p->D * sizeof *p->obs);
  int rc = choose_actions(p);
  if (rc)
    return rc;
  crl__pgp_env_actions(p->pol, p->act, p->N, p->env_act);
  rc = crl_vec_env_step(venv, p->env_act);
  if (rc)
    return rc;
  bootstrap_rows(p, venv);
  const double *rew = crl_vec_env_rewards(venv);
  crl__pgp_zero_grad(p->pol);
  rc = p->spec.mode == MODE_QAC ? q_critic(p, rew, sq) : v_critic(p, rew, sq);
  if (rc)
    return rc;
  if (!isfinite(*sq))
    return crl_fail(CRL_ENONFINITE,
                    "qac: the TD error is not finite (critic diverged; try "
                    "smaller step sizes)");
  return apply_updates(p, lr);
}

static int qac_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *st) {
  qac *p = self;
  if (crl_vec_env_n(venv) != p->N)
    return crl_fail(CRL_ESHAPE, "qac: built for %d env copies, got %d", p->N,
                    crl_vec_env_n(venv));
  const double lr =
      crl_schedule_value(&p->spec.learning_rate, progress_remaining);
  double sq = 0.0;
  for (int t = 0; t < p->spec.n_steps; t++) {
    int rc = qac_step(p, venv, lr, &sq);
    if (rc)
      return rc;
  }
  st->steps = (long)p->spec.n_steps * p->N;
  st->learning_rate = lr;
  st->value_loss = sq / st->steps; /* mean squared TD error */
  st->entropy = crl__pgp_entropy_mean(p->pol, p->dist, p->N);
  st->n_updates = p->spec.n_steps;
  return 0;
}

static int qac_act(void *self, const crl_real *obs, int B, int deterministic,
                   crl_real *action) {
  qac *p = self;
  for (int start = 0; start < B; start += p->N) {
    int b = B - start < p->N ? B - start : p->N;
    int rc =
        crl__pgp_actor_forward(p->pol, obs + (size_t)start * p->D, b, p->dist);
    if (rc)
      return rc;
    crl__pgp_sample(p->pol, p->dist, b, deterministic, p->act_rng,
                    action + (size_t)start * p->A);
  }
  return 0;
}

/* One iteration: n_steps on every copy. */
static long qac_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const qac_spec *)spec)->n_steps * n_envs;
}

const crl_algo_type crl__algo_qac = {
    .name = "qac",
    .doc = "Zhao's actor-critics: QAC, advantage AC, off-policy AC (per step)",
    .params = crl__qac_params,
    .spec_size = sizeof(qac_spec),
    .create = crl__qac_create,
    .iterate = qac_iterate,
    .act = qac_act,
    .destroy = crl__qac_destroy,
    .save = crl__qac_save,
    .load = crl__qac_load,
    .export_policy = crl__qac_export,
    .steps_per_iteration = qac_steps_per_iteration,
};
