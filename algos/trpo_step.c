/* TRPO's policy step (Schulman et al. 2015; Spinning Up's and SB3-contrib's
 * form). With L(theta) = mean_i A_i pi_theta(a_i|s_i) / pi_old(a_i|s_i)
 * the surrogate and F the Fisher matrix of pi_old over the batch's states:
 *   g = grad L at theta_old
 *   x ~ (F + damping I)^-1 g     (conjugate gradient, exact F v products)
 *   beta = sqrt(2 delta / x^T (F + damping I) x)   (the KL radius delta)
 *   theta = theta_old + 0.8^k beta x, k = 0, 1, ... line_search_max_iter-1
 * taking the first k whose mean KL(pi_old || pi_theta) <= delta and whose
 * surrogate exceeds L(theta_old); if none does, theta stays theta_old. */
#include <math.h>
#include <string.h>

#include "trpo.h"

static int cap_of(const trpo *t) {
  return t->onp->ac->max_batch;
}

/* dist [M, n_out] = actor(obs) at the current parameters, in chunks; with
 * gSDE also var [M, act_dim], which each chunk's forward prepares. */
static int batch_forward(trpo *t) {
  crl__ac *ac = t->onp->ac;
  const int K = ac->n_out, O = ac->obs_dim;
  for (int s = 0; s < t->M; s += cap_of(t)) {
    int b = t->M - s < cap_of(t) ? t->M - s : cap_of(t);
    int rc = crl__ac_actor_forward(ac, t->obs + (size_t)s * O, b,
                                   t->dist + (size_t)s * K);
    if (rc)
      return rc;
    if (ac->sde)
      memcpy(t->var + (size_t)s * K, ac->sde->var,
             (size_t)b * K * sizeof *t->var);
  }
  return 0;
}

/* logp [M] of the batch's actions under dist (and var, with gSDE). */
static void log_prob(trpo *t, const double *var) {
  crl__ac *ac = t->onp->ac;
  if (ac->sde)
    crl__sde_log_prob_var(ac->sde, var, t->dist, t->act, t->M, t->logp);
  else
    crl__ac_log_prob(ac, t->dist, t->act, t->M, t->logp);
}

/* L = mean_i A_i exp(logp_i - old_logp_i) for the outputs in dist. */
static double surrogate(trpo *t) {
  log_prob(t, t->var);
  double s = 0.0;
  for (int i = 0; i < t->M; i++)
    s += (double)t->adv[i] * exp((double)t->logp[i] - (double)t->old_logp[i]);
  return s / t->M;
}

/* g = grad L at the current parameters, through the forward pass that the
 * Fisher-vector products of the step then reuse (crl__ac_fisher_point);
 * also leaves dist at these parameters. */
static int surrogate_gradient(trpo *t, double *L) {
  crl__ac *ac = t->onp->ac;
  const crl_real *dist = NULL;
  t->fisher->obs = t->obs;
  t->fisher->B = t->M;
  int rc = crl__ac_fisher_point(t->fisher, &dist);
  if (rc)
    return rc;
  memcpy(t->dist, dist, (size_t)t->M * ac->n_out * sizeof *t->dist);
  if (ac->sde)
    memcpy(t->var, crl__ac_fisher_var(t->fisher),
           (size_t)t->M * ac->act_dim * sizeof *t->var);
  log_prob(t, t->var);
  double s = 0.0;
  for (int i = 0; i < t->M; i++) {
    double ratio = exp((double)t->logp[i] - (double)t->old_logp[i]);
    s += (double)t->adv[i] * ratio;
    /* dL/dlogp_i = A_i ratio_i / M */
    t->dlogp[i] = (crl_real)((double)t->adv[i] * ratio / t->M);
  }
  memset(ac->grads, 0, t->n_pi * sizeof *ac->grads);
  rc = crl__ac_fisher_logp_backward(t->fisher, t->act, t->dlogp);
  if (rc)
    return rc;
  memcpy(t->g, ac->grads, t->n_pi * sizeof *t->g);
  *L = s / t->M;
  return 0;
}

static double dot(size_t n, const crl_real *a, const crl_real *b) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (double)a[i] * (double)b[i];
  return s;
}

/* params[0, n_pi) = theta_old + c x. */
static void set_policy(trpo *t, double c) {
  crl_real *p = t->onp->ac->params;
  for (size_t k = 0; k < t->n_pi; k++)
    p[k] = (crl_real)((double)t->theta_old[k] + c * (double)t->x[k]);
}

int trpo_line_search(trpo *t, double beta, double L_old,
                     trpo_step_result *res) {
  crl__ac *ac = t->onp->ac;
  const double delta = t->spec.target_kl;
  res->accepted = 0;
  res->kl = 0.0;
  res->surrogate = L_old;
  double coef = 1.0;
  for (int k = 0; k < t->spec.line_search_max_iter; k++) {
    set_policy(t, coef * beta);
    int rc = batch_forward(t);
    if (rc)
      return rc;
    double L = surrogate(t);
    double kl = ac->sde ? crl__sde_kl(ac->act_dim, t->M, t->dist_old,
                                      t->var_old, t->dist, t->var, t->kl)
                        : crl__ac_kl(ac, t->dist_old, t->log_std_old, t->dist,
                                     t->M, t->kl);
    res->backtracks = k + 1;
    if (isfinite(L) && isfinite(kl) && kl <= delta && L > L_old) {
      res->accepted = 1;
      res->surrogate = L;
      res->kl = kl;
      return 0;
    }
    coef *= t->spec.line_search_shrinking_factor;
  }
  set_policy(t, 0.0); /* rejected: back to theta_old */
  return 0;
}

int trpo_begin_step(trpo *t, double *L_old) {
  crl__ac *ac = t->onp->ac;
  int rc = surrogate_gradient(t, L_old);
  if (rc == 0)
    rc = crl__onp_check_finite(t->onp, "the surrogate objective", *L_old);
  if (rc)
    return rc;
  memcpy(t->dist_old, t->dist, (size_t)t->M * ac->n_out * sizeof *t->dist);
  if (ac->sde)
    memcpy(t->var_old, t->var, (size_t)t->M * ac->act_dim * sizeof *t->var);
  else if (!ac->discrete)
    memcpy(t->log_std_old, ac->log_std,
           (size_t)ac->act_dim * sizeof *ac->log_std);
  memcpy(t->theta_old, ac->params, t->n_pi * sizeof *t->theta_old);
  return 0;
}

int trpo_policy_step(trpo *t, trpo_step_result *res) {
  *res = (trpo_step_result){0};
  double L_old = 0.0;
  int rc = trpo_begin_step(t, &L_old);
  if (rc)
    return rc;
  res->surrogate = L_old;
  t->fisher->damping = t->spec.cg_damping;
  rc = crl__cg_solve(t->cg, crl__ac_fisher_vp, t->fisher, t->g,
                     t->spec.cg_max_steps, 1e-10, t->x, &res->cg_iters);
  if (rc == 0)
    rc = crl__ac_fisher_vp(t->fisher, t->x, t->fx);
  if (rc)
    return rc;
  double xfx = dot(t->n_pi, t->x, t->fx);
  /* g = 0 (e.g. all advantages equal) leaves x = 0: nothing to step. */
  if (!(xfx > 0.0) || !isfinite(xfx))
    return 0;
  return trpo_line_search(t, sqrt(2.0 * t->spec.target_kl / xfx), L_old, res);
}
