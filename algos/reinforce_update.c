/* REINFORCE's gradient steps (see reinforce.c): the batch form's policy
 * and value steps, each a sum of parts of the batch's rows (grad_shards),
 * and the textbook form's update after every step of the episode. */
#include <math.h>
#include <string.h>

#include "crl/error.h"
#include "reinforce.h"

/* ---- updates ------------------------------------------------------------ */

/* params[from, from + n) -= lr * grads (Adam or SGD). */
static void step_slice(reinforce *r, crl_adam *adam, size_t from, size_t n,
                       double lr) {
  crl_real *p = r->pol->params + from;
  const crl_real *g = r->pol->grads + from;
  if (adam != NULL) {
    crl_adam_step(adam, p, g, lr);
    return;
  }
  for (size_t i = 0; i < n; i++)
    p[i] -= (crl_real)(lr * (double)g[i]);
}

static void step_policy(reinforce *r, double lr) {
  step_slice(r, r->pi_adam, 0, r->pol->n_pi, lr);
}

static void step_value(reinforce *r, double lr) {
  step_slice(r, r->v_adam, r->pol->n_pi, r->pol->n_params - r->pol->n_pi, lr);
}

static int check_finite(const char *what, double x) {
  if (isfinite(x))
    return 0;
  return crl_fail(CRL_ENONFINITE, "reinforce: %s is not finite", what);
}

enum { PI_LOSS, PI_ENTROPY, PI_STATS };

/* Rows [a, b) of the n: their share of L = -mean_t A_t ln pi(a_t|s_t), of
 * the mean entropy and of grad L (the gradients zeroed first). */
static int policy_part(void *self, int a, int b, int n, double *stats) {
  reinforce *r = self;
  crl__pgp_zero_grad(r->pol);
  double loss = 0.0, ent = 0.0;
  for (int start = a; start < b; start += CHUNK) {
    int m = b - start < CHUNK ? b - start : CHUNK;
    const crl_real *act = r->actions + (size_t)start * r->act_dim;
    int rc = crl__pgp_actor_forward(r->pol, r->obs + (size_t)start * r->obs_dim,
                                    m, r->dist);
    if (rc)
      return rc;
    crl__pgp_log_prob(r->pol, r->dist, act, m, r->logp);
    for (int i = 0; i < m; i++) {
      loss -= (double)r->adv[start + i] * (double)r->logp[i];
      r->dlogp[i] = (crl_real)(-(double)r->adv[start + i] / n);
    }
    ent += crl__pgp_entropy_mean(r->pol, r->dist, m) * m;
    rc = crl__pgp_actor_backward(r->pol, r->dist, act, m, r->dlogp);
    if (rc)
      return rc;
  }
  stats[PI_LOSS] = loss / n;
  stats[PI_ENTROPY] = ent / n;
  return 0;
}

/* One gradient step on L, its parts summed in order (rl/shards.h). */
int reinforce_policy_update(reinforce *r, double lr, crl_algo_stats *st) {
  double s[PI_STATS];
  int rc = crl__shards_gradient(&r->shards, r->n, r->pol->grads, r->pol->n_pi,
                                s, PI_STATS, policy_part, r);
  if (rc)
    return rc;
  st->policy_loss = s[PI_LOSS];
  st->entropy = s[PI_ENTROPY];
  rc = check_finite("the policy loss", st->policy_loss);
  if (rc)
    return rc;
  step_policy(r, lr);
  return 0;
}

/* Rows [a, b) of the n: their share of mean_t (v(s_t) - G_t)^2 and of its
 * gradient (the gradients zeroed first). */
static int value_part(void *self, int a, int b, int n, double *stats) {
  reinforce *r = self;
  crl__pgp_zero_grad(r->pol);
  double loss = 0.0;
  for (int start = a; start < b; start += CHUNK) {
    int m = b - start < CHUNK ? b - start : CHUNK;
    int rc = crl__pgp_value_forward(r->pol, r->obs + (size_t)start * r->obs_dim,
                                    m, r->v);
    if (rc)
      return rc;
    for (int i = 0; i < m; i++) {
      double err = (double)r->v[i] - (double)r->ret[start + i];
      loss += err * err;
      r->dv[i] = (crl_real)(2.0 * err / n);
    }
    rc = crl__pgp_value_backward(r->pol, r->dv, m);
    if (rc)
      return rc;
  }
  stats[0] = loss / n;
  return 0;
}

/* One gradient step on the value loss; returns the loss before. */
int reinforce_value_step(reinforce *r, double *loss_out) {
  const size_t n_pi = r->pol->n_pi;
  int rc =
      crl__shards_gradient(&r->shards, r->n, r->pol->grads + n_pi,
                           r->pol->n_params - n_pi, loss_out, 1, value_part, r);
  if (rc == 0)
    rc = check_finite("the value loss", *loss_out);
  if (rc)
    return rc;
  step_value(r, r->spec.vf_learning_rate);
  return 0;
}

/* ---- the textbook form ------------------------------------------------- */

/* S&B's per-time-step update at row t with coefficient gamma^t. */
static int textbook_step(reinforce *r, int t, double discount, double lr,
                         double *sq_delta) {
  const crl_real *obs = r->obs + (size_t)t * r->obs_dim;
  const crl_real *act = r->actions + (size_t)t * r->act_dim;
  double delta = r->ret[t];
  int rc = 0;
  if (r->spec.baseline) {
    crl_real v, dv;
    rc = crl__pgp_value_forward(r->pol, obs, 1, &v);
    if (rc)
      return rc;
    delta -= (double)v;
    /* w <- w + alpha_w delta grad v: the loss gradient is -delta grad v. */
    crl__pgp_zero_grad(r->pol);
    dv = (crl_real)-delta;
    rc = crl__pgp_value_backward(r->pol, &dv, 1);
    if (rc)
      return rc;
    step_value(r, r->spec.vf_learning_rate);
  }
  *sq_delta += delta * delta;
  /* theta <- theta + alpha gamma^t delta grad ln pi(A_t|S_t). */
  crl__pgp_zero_grad(r->pol);
  rc = crl__pgp_actor_forward(r->pol, obs, 1, r->dist);
  if (rc)
    return rc;
  r->dlogp[0] = (crl_real)(-discount * delta);
  rc = crl__pgp_actor_backward(r->pol, r->dist, act, 1, r->dlogp);
  if (rc == 0)
    step_policy(r, lr);
  return rc;
}

int reinforce_textbook_steps(reinforce *r, double lr, double *sq) {
  double discount = 1.0;
  int rc = 0;
  for (int t = 0; t < r->n && rc == 0; t++) {
    rc = textbook_step(r, t, discount, lr, sq);
    discount *= r->spec.gamma;
  }
  return rc ? rc : check_finite("a parameter", (double)r->pol->params[0]);
}
