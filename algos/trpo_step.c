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

/* grad_shards > 1 (or a group): the batch's sums are sums of parts. */
static int sharded(const trpo *t) {
  return t->shards.n > 1 || t->shards.group != NULL;
}

/* The part whose rows are [a, b) (the shards name parts by their rows). */
static crl__ac_fisher *fisher_of(const trpo *t, int a, int b) {
  if (!sharded(t))
    return t->fisher;
  const long S = t->shards.n, M = t->M;
  for (long k = 0; k < S; k++)
    if (k * M / S == a && (k + 1) * M / S == b)
      return t->fishers[k];
  return NULL;
}

/* dist rows [a, a + m) = actor(obs) at the current parameters, in chunks;
 * with gSDE also their var [m, act_dim], which each chunk's forward
 * prepares (gSDE's actions have act_dim = n_out values). */
static int batch_forward(trpo *t, int a, int m) {
  crl__ac *ac = t->onp->ac;
  const int K = ac->n_out, O = ac->obs_dim;
  for (int s = a; s < a + m; s += cap_of(t)) {
    int b = a + m - s < cap_of(t) ? a + m - s : cap_of(t);
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

/* logp of rows [a, a + m) of the batch's actions under dist (and var
 * [M, act_dim], with gSDE). */
static void log_prob(trpo *t, int a, int m, const double *var) {
  crl__ac *ac = t->onp->ac;
  const size_t A = (size_t)ac->act_dim, K = (size_t)ac->n_out;
  if (ac->sde)
    crl__sde_log_prob_var(ac->sde, var + a * A, t->dist + a * K, t->act + a * A,
                          m, t->logp + a);
  else
    crl__ac_log_prob(ac, t->dist + a * K, t->act + a * A, m, t->logp + a);
}

double trpo_sde_entropy(const double *var, int m, int act_dim) {
  const double c = 0.5 + 0.5 * log(2.0 * M_PI);
  double h = 0.0;
  for (size_t k = 0; k < (size_t)m * act_dim; k++)
    h += c + 0.5 * log(var[k]);
  return h / m;
}

/* Rows [a, b)'s share of L = mean_i A_i exp(logp_i - old_logp_i). */
static double surrogate(trpo *t, int a, int b) {
  log_prob(t, a, b - a, t->var);
  double s = 0.0;
  for (int i = a; i < b; i++)
    s += (double)t->adv[i] * exp((double)t->logp[i] - (double)t->old_logp[i]);
  return s / t->M;
}

enum { STEP_SURROGATE, STEP_ENTROPY, STEP_STATS };

/* Rows [a, b) of M: their share of g = grad L (into the policy's part of
 * ac->grads, zeroed first) and of L, through the forward pass that the
 * Fisher-vector products of the step then reuse (crl__ac_fisher_point);
 * also leaves their dist at these parameters. Sharded, a categorical
 * policy's entropy there is summed too (a part sees only its rows). */
static int surrogate_part(void *self, int a, int b, int M, double *stats) {
  trpo *t = self;
  crl__ac *ac = t->onp->ac;
  const size_t O = (size_t)ac->obs_dim, A = (size_t)ac->act_dim;
  const size_t K = (size_t)ac->n_out;
  const int m = b - a;
  memset(ac->grads, 0, t->n_pi * sizeof *ac->grads);
  stats[STEP_SURROGATE] = stats[STEP_ENTROPY] = 0.0;
  if (m == 0)
    return 0; /* more parts than rows */
  crl__ac_fisher *f = fisher_of(t, a, b);
  const crl_real *dist = NULL;
  f->obs = t->obs + a * O;
  f->B = m;
  int rc = crl__ac_fisher_point(f, &dist);
  if (rc)
    return rc;
  memcpy(t->dist + a * K, dist, (size_t)m * K * sizeof *t->dist);
  if (ac->sde)
    memcpy(t->var + a * A, crl__ac_fisher_var(f),
           (size_t)m * A * sizeof *t->var);
  log_prob(t, a, m, t->var);
  double s = 0.0;
  for (int i = a; i < b; i++) {
    double ratio = exp((double)t->logp[i] - (double)t->old_logp[i]);
    s += (double)t->adv[i] * ratio;
    /* dL/dlogp_i = A_i ratio_i / M */
    t->dlogp[i] = (crl_real)((double)t->adv[i] * ratio / M);
  }
  rc = crl__ac_fisher_logp_backward(f, t->act + a * A, t->dlogp + a);
  if (rc)
    return rc;
  stats[STEP_SURROGATE] = s / M;
  if (sharded(t) && ac->sde)
    stats[STEP_ENTROPY] =
        trpo_sde_entropy(t->var + a * A, m, ac->act_dim) * ((double)m / M);
  else if (sharded(t) && ac->discrete)
    stats[STEP_ENTROPY] =
        crl__ac_entropy_mean(ac, t->dist + a * K, m) * ((double)m / M);
  return 0;
}

/* g = grad L at the current parameters and *L = L, in parts. */
static int surrogate_gradient(trpo *t, double *L) {
  crl__ac *ac = t->onp->ac;
  double stats[STEP_STATS];
  int rc = crl__shards_gradient(&t->shards, t->M, ac->grads, t->n_pi, stats,
                                STEP_STATS, surrogate_part, t);
  if (rc)
    return rc;
  memcpy(t->g, ac->grads, t->n_pi * sizeof *t->g);
  *L = stats[STEP_SURROGATE];
  t->entropy_old = stats[STEP_ENTROPY];
  return 0;
}

/* Rows [a, b)'s share of F v (no damping) into t->fvp_out: the product
 * over the part's states, scaled by its share of the rows. */
static int fvp_part(void *self, int a, int b, int M, double *stats) {
  trpo *t = self;
  (void)stats;
  const int m = b - a;
  if (m == 0) {
    memset(t->fvp_out, 0, t->n_pi * sizeof *t->fvp_out);
    return 0;
  }
  crl__ac_fisher *f = fisher_of(t, a, b);
  f->obs = t->obs + (size_t)a * t->onp->ac->obs_dim;
  f->B = m;
  f->damping = 0.0;
  int rc = crl__ac_fisher_vp(f, t->fvp_v, t->fvp_out);
  const double share = (double)m / M;
  for (size_t j = 0; rc == 0 && j < t->n_pi; j++)
    t->fvp_out[j] = (crl_real)((double)t->fvp_out[j] * share);
  return rc;
}

/* out = (F + damping I) v over the whole batch as the ordered sum of the
 * parts' products (a crl__matvec_fn with ctx = t). */
static int sharded_fvp(void *self, const crl_real *v, crl_real *out) {
  trpo *t = self;
  double none = 0.0;
  t->fvp_v = v;
  t->fvp_out = out;
  int rc = crl__shards_gradient(&t->shards, t->M, out, t->n_pi, &none, 0,
                                fvp_part, t);
  for (size_t j = 0; rc == 0 && j < t->n_pi; j++)
    out[j] = (crl_real)((double)out[j] + t->spec.cg_damping * (double)v[j]);
  return rc;
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

enum { TRY_SURROGATE, TRY_KL, TRY_STATS };

/* Rows [a, b)'s share of the surrogate and of the mean KL(old || new) at
 * the parameters as they are now. */
static int try_part(void *self, int a, int b, int M, double *stats) {
  trpo *t = self;
  crl__ac *ac = t->onp->ac;
  const size_t K = (size_t)ac->n_out;
  const int m = b - a;
  stats[TRY_SURROGATE] = stats[TRY_KL] = 0.0;
  if (m == 0)
    return 0;
  int rc = batch_forward(t, a, m);
  if (rc)
    return rc;
  stats[TRY_SURROGATE] = surrogate(t, a, b);
  const size_t A = (size_t)ac->act_dim;
  double kl = ac->sde ? crl__sde_kl(ac->act_dim, m, t->dist_old + a * K,
                                    t->var_old + a * A, t->dist + a * K,
                                    t->var + a * A, t->kl + a)
                      : crl__ac_kl(ac, t->dist_old + a * K, t->log_std_old,
                                   t->dist + a * K, m, t->kl + a);
  stats[TRY_KL] = sharded(t) ? kl * ((double)m / M) : kl;
  return 0;
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
    double at[TRY_STATS];
    int rc = crl__shards_gradient(&t->shards, t->M, ac->grads, 0, at, TRY_STATS,
                                  try_part, t);
    if (rc)
      return rc;
    const double L = at[TRY_SURROGATE], kl = at[TRY_KL];
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
  /* One kept forward pass for the whole batch, or one per part. */
  crl__matvec_fn product = sharded(t) ? sharded_fvp : crl__ac_fisher_vp;
  void *ctx = sharded(t) ? (void *)t : (void *)t->fisher;
  if (!sharded(t))
    t->fisher->damping = t->spec.cg_damping;
  rc = crl__cg_solve(t->cg, product, ctx, t->g, t->spec.cg_max_steps, 1e-10,
                     t->x, &res->cg_iters);
  if (rc == 0)
    rc = product(ctx, t->x, t->fx);
  if (rc)
    return rc;
  double xfx = dot(t->n_pi, t->x, t->fx);
  /* g = 0 (e.g. all advantages equal) leaves x = 0: nothing to step. */
  if (!(xfx > 0.0) || !isfinite(xfx))
    return 0;
  return trpo_line_search(t, sqrt(2.0 * t->spec.target_kl / xfx), L_old, res);
}
