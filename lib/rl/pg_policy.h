/* Internal: the policy and state-value function of the policy-gradient
 * methods that update from their own samples one step or one episode at a
 * time (REINFORCE/VPG, QAC and the book's actor-critics).
 *
 * Two backends behind one set of calls:
 *   - mlp: the MLP actor-critic of lib/actor_critic.c (Gaussian or
 *     categorical head, state-value critic);
 *   - linear (discrete actions only): Sutton & Barto's linear softmax over
 *     the observation features x(s) [D],
 *         h(s, a) = theta_a . x(s),   theta [K, D] row-major, no bias,
 *     which is the book's theta . x(s, a) with x(s, a) = e_a (x) x(s) (the
 *     one-hot of the action times the features), and a linear state value
 *     v(s) = w . x(s), w [D].
 * The flat parameter vector is [policy | value]: params[0, n_pi) are the
 * policy's (actor and log-std), params[n_pi, n_params) the value's, so each
 * part gets its own step size with one optimiser call.
 *
 * Probability floor (categorical only, both backends): with floor e in
 * [0, 1/K), pi = floor_e(softmax(h)), where floor_e raises every
 * probability below e to e and scales the others down proportionally so
 * that they sum to 1 (repeated while that pushes another one below e; for
 * K = 2 it is simply: min(p) < e -> (e, 1 - e)). The gradient used is the
 * softmax score evaluated at the floored probabilities,
 *     d ln pi(a|s) / d h_b := [a = b] - pi_b,
 * exactly the gradient of ln pi where no probability is at the floor (and
 * then pi = softmax(h)). At the floor it is a surrogate (the true gradient
 * of a clipped probability is 0, which would stop learning there): the same
 * rule as the book authors' short-corridor code. floor = 0 is the plain
 * softmax, with exact gradients everywhere. */
#ifndef CRL_PG_POLICY_H
#define CRL_PG_POLICY_H

#include <gsl/gsl_rng.h>

#include "crl/params.h"
#include "crl/policy.h"
#include "crl/state.h"
#include "rl/actor_critic.h"

typedef struct crl__pgp_spec {
  int linear;               /* 1: linear softmax backend (discrete only) */
  crl__ac_spec ac;          /* mlp backend; ac.max_batch is the capacity */
  double prob_floor;        /* categorical floor e in [0, 1/K); 0 = off */
  crl_real_list theta_init; /* linear: K*D values of theta_0, or none = 0 */
} crl__pgp_spec;

typedef struct crl__pgp {
  int linear, discrete;
  int obs_dim;
  int act_dim; /* values per action: Box dim, or 1 */
  int n_out;   /* actor outputs: logits K or Gaussian mean */
  int max_batch;
  double floor;
  size_t n_params, n_pi;    /* policy = [0, n_pi), value = [n_pi, n_params) */
  crl_real *params, *grads; /* the backend's flat vectors */
  crl__ac *ac;              /* mlp backend, else NULL */
  void *block;              /* the buffers below, one allocation */
  crl_real *own_params;     /* linear: [K*D + D]; mlp: [0] */
  crl_real *own_grads;      /* linear: [K*D + D]; mlp: [0] */
  crl_real *x_pi;           /* linear: [max_batch, D] input of the last
                               actor forward; mlp: [0] */
  crl_real *x_v;            /* linear: [max_batch, D] the same of the value */
  crl_real *probs;          /* [max_batch, K] scratch */
  crl_real *dout;           /* [max_batch, n_out] scratch */
} crl__pgp;

int crl__pgp_alloc(const crl__pgp_spec *spec, const crl_space *obs,
                   const crl_space *act, gsl_rng *init_rng, crl__pgp **out);
void crl__pgp_free(crl__pgp *p);
void crl__pgp_zero_grad(crl__pgp *p);

/* dist [B, n_out] = logits h or Gaussian mean, at obs [B, obs_dim]. */
int crl__pgp_actor_forward(crl__pgp *p, const crl_real *obs, int B,
                           crl_real *dist);

/* probs [B, K] = pi(.|s) of each row (floored softmax). Discrete only. */
void crl__pgp_probs(const crl__pgp *p, const crl_real *dist, int B,
                    crl_real *probs);

/* actions [B, act_dim]: a sample, or argmax / mean when deterministic. */
void crl__pgp_sample(crl__pgp *p, const crl_real *dist, int B,
                     int deterministic, gsl_rng *rng, crl_real *actions);

/* logp [B] = ln pi(action | s) for each row. */
void crl__pgp_log_prob(crl__pgp *p, const crl_real *dist,
                       const crl_real *actions, int B, crl_real *logp);

/* Mean entropy of the rows' action distributions. */
double crl__pgp_entropy_mean(crl__pgp *p, const crl_real *dist, int B);

/* Backward through the last actor forward (same B) for
 * L = sum_i dlogp[i] * ln pi(a_i|s_i): ADDs dL/dtheta to grads (with the
 * floor's surrogate score, see above). */
int crl__pgp_actor_backward(crl__pgp *p, const crl_real *dist,
                            const crl_real *actions, int B,
                            const crl_real *dlogp);

/* values [B] = v(obs); backward for L = sum_i dv[i] v_i through the last
 * value forward, ADDing to grads. */
int crl__pgp_value_forward(crl__pgp *p, const crl_real *obs, int B,
                           crl_real *values);
int crl__pgp_value_backward(crl__pgp *p, const crl_real *dv, int B);

/* Clip Box actions to the bounds (a copy for discrete ones). */
void crl__pgp_env_actions(const crl__pgp *p, const crl_real *actions, int B,
                          crl_real *out);

/* ---- checkpoints and export ---- */

/* The parameters (and the normaliser's statistics, if any) as sections
 * "params", "norm" under the owner's item name; loading checks the count
 * and that every value is finite. */
int crl__pgp_sections(void *pgp, crl_state_io *io);

/* The deterministic policy (argmax, or the clipped Gaussian mean) as a
 * policy file's contents. */
int crl__pgp_export(const crl__pgp *p, int max_batch, crl_policy **out);

/* ---- the floor, one row at a time (also used by the tests) ---- */

/* probs [K] = floor_e(softmax(logits [K])). */
void crl__floor_softmax(int K, const crl_real *logits, double floor,
                        crl_real *probs);

/* dlogits [K] = coef * ([a = b] - probs_b): the score of action a. */
void crl__floor_score(int K, const crl_real *probs, int a, crl_real coef,
                      crl_real *dlogits);

/* ---- linear maps y = W x without bias (also used by QAC's critic) ---- */

/* y [B, out] = x [B, in] W^T, W [out, in] row-major. */
void crl__linear_forward(int B, int in, int out, const crl_real *W,
                         const crl_real *x, crl_real *y);

/* dW [out, in] += dy^T x. */
void crl__linear_backward(int B, int in, int out, const crl_real *x,
                          const crl_real *dy, crl_real *dW);

#endif
