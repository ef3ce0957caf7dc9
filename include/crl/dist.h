/* crl: action distributions, batched, on plain row-major arrays.
 *
 * Diagonal Gaussian with a state-independent log-std vector (the policy
 * keeps log_std [D] inside its flat parameter vector) and categorical over
 * logits. Each exposes sample, log-prob, entropy, KL, and gradients of these
 * with respect to the distribution's parameters (mean and log_std, or
 * logits). Backward functions ADD into parameter gradients that are shared
 * across the batch (dlog_std) and WRITE per-sample ones (dmean, dlogits).
 * Discrete actions are indices stored as crl_real; an action that is not an
 * integer in [0, K) gives NaN (log-prob and its gradient row), so that the
 * caller's non-finite check stops training. No allocation. */
#ifndef CRL_DIST_H
#define CRL_DIST_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"

CRL_BEGIN_DECLS

/* ---- Diagonal Gaussian: mean [B, D], log_std [D] ---- */

/** out [B, D] = mean + exp(log_std) * N(0, 1). */
CRL_API void crl_gauss_sample(int B, int D, const crl_real *mean,
                              const crl_real *log_std, gsl_rng *rng,
                              crl_real *out);

/** logp [B] = log N(x | mean, diag(exp(2 log_std))). */
CRL_API void crl_gauss_log_prob(int B, int D, const crl_real *mean,
                                const crl_real *log_std, const crl_real *x,
                                crl_real *logp);

/** Given dL/dlogp [B]: write dmean [B, D] (may be NULL) and ADD to dlog_std [D]
 * (may be NULL). */
CRL_API void crl_gauss_log_prob_backward(int B, int D, const crl_real *mean,
                                         const crl_real *log_std,
                                         const crl_real *x,
                                         const crl_real *dlogp, crl_real *dmean,
                                         crl_real *dlog_std);

/** Entropy of one sample's distribution (the same for every row). */
CRL_API crl_real crl_gauss_entropy(int D, const crl_real *log_std);

/** ADD scale * d entropy / d log_std to dlog_std [D]. */
CRL_API void crl_gauss_entropy_backward(int D, crl_real scale,
                                        crl_real *dlog_std);

/** kl [B] = KL(p || q) with p = (mean_p, log_std_p), q = (mean_q, log_std_q).
 */
CRL_API void crl_gauss_kl(int B, int D, const crl_real *mean_p,
                          const crl_real *log_std_p, const crl_real *mean_q,
                          const crl_real *log_std_q, crl_real *kl);

/** Gradient of KL(p || q) with respect to q's parameters given dL/dkl [B]:
 *  write dmean_q [B, D] (may be NULL), ADD to dlog_std_q [D] (may be NULL). */
CRL_API void crl_gauss_kl_backward_q(int B, int D, const crl_real *mean_p,
                                     const crl_real *log_std_p,
                                     const crl_real *mean_q,
                                     const crl_real *log_std_q,
                                     const crl_real *dkl, crl_real *dmean_q,
                                     crl_real *dlog_std_q);

/** Fisher information of the Gaussian in (mean, log_std) coordinates is
 *  diagonal: 1/sigma^2 for each mean, 2 for each log_std. Writes
 *  fisher_mean [D] and fisher_log_std [D]. */
CRL_API void crl_gauss_fisher(int D, const crl_real *log_std,
                              crl_real *fisher_mean, crl_real *fisher_log_std);

/* ---- Categorical: logits [B, K] ---- */

/** out [B] = index drawn from softmax(logits row). */
CRL_API void crl_cat_sample(int B, int K, const crl_real *logits, gsl_rng *rng,
                            crl_real *out);

/** out [B] = argmax of each row (the deterministic action). */
CRL_API void crl_cat_mode(int B, int K, const crl_real *logits, crl_real *out);

/** logp [B] = log softmax(logits)[action]. */
CRL_API void crl_cat_log_prob(int B, int K, const crl_real *logits,
                              const crl_real *actions, crl_real *logp);

/** Given dL/dlogp [B]: WRITE dlogits [B, K]. */
CRL_API void crl_cat_log_prob_backward(int B, int K, const crl_real *logits,
                                       const crl_real *actions,
                                       const crl_real *dlogp,
                                       crl_real *dlogits);

/** ent [B] = entropy of each row's softmax. */
CRL_API void crl_cat_entropy(int B, int K, const crl_real *logits,
                             crl_real *ent);

/** Given dL/dent [B]: ADD to dlogits [B, K]. */
CRL_API void crl_cat_entropy_backward(int B, int K, const crl_real *logits,
                                      const crl_real *dent, crl_real *dlogits);

/** kl [B] = KL(softmax(logits_p) || softmax(logits_q)). */
CRL_API void crl_cat_kl(int B, int K, const crl_real *logits_p,
                        const crl_real *logits_q, crl_real *kl);

/** Given dL/dkl [B]: WRITE dlogits_q [B, K]. */
CRL_API void crl_cat_kl_backward_q(int B, int K, const crl_real *logits_p,
                                   const crl_real *logits_q,
                                   const crl_real *dkl, crl_real *dlogits_q);

/** Fisher-vector product in logit space for each row: out [B, K] =
 *  (diag(p) - p p^T) v, with p = softmax(logits). */
CRL_API void crl_cat_fisher_vp(int B, int K, const crl_real *logits,
                               const crl_real *v, crl_real *out);

/* ---- Tanh-squashed diagonal Gaussian (SAC): mean [B, D], log_std [B, D] ----
 *
 * a = tanh(u), u = mean + sigma * eps, eps ~ N(0, 1), sigma = exp(ls),
 * ls = clamp(log_std, log_std_min, log_std_max) (SB3: [-20, 2]); the clamp
 * passes gradient where min <= log_std <= max and none outside (as
 * torch.clamp). Per-sample log_std: the policy's network outputs it.
 *   log pi(a) = sum_d [log N(u_d | mean_d, sigma_d) - log(1 - tanh(u_d)^2)]
 * with the log-det-Jacobian in the softplus form
 *   log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2 u)),
 * which is exact and finite for every u (SB3 and CleanRL use
 * log(1 - a^2 + 1e-6), which is biased near |a| = 1 and loses the
 * gradient there in float). Actions are in [-1, 1]; the caller maps them
 * to the env's bounds. */

/** Given noise eps [B, D]: action [B, D] = tanh(u) and, if logp is
 *  non-NULL, logp [B] = log pi(action). */
CRL_API void crl_squashed_transform(int B, int D, const crl_real *mean,
                                    const crl_real *log_std, double log_std_min,
                                    double log_std_max, const crl_real *eps,
                                    crl_real *action, crl_real *logp);

/** Draw eps [B, D] ~ N(0, 1) (kept for the backward pass), then as
 *  crl_squashed_transform. */
CRL_API void crl_squashed_sample(int B, int D, const crl_real *mean,
                                 const crl_real *log_std, double log_std_min,
                                 double log_std_max, gsl_rng *rng,
                                 crl_real *eps, crl_real *action,
                                 crl_real *logp);

/** action [B, D] = tanh(mean): the deterministic action. */
CRL_API void crl_squashed_mode(int B, int D, const crl_real *mean,
                               crl_real *action);

/** Reparameterised gradient: for L(action, logp) with action and logp from
 *  crl_squashed_transform at this eps, given dL/daction [B, D] and dL/dlogp
 *  [B] (either may be NULL for zero), WRITE dmean [B, D] and dlog_std
 *  [B, D] (the total derivatives, through the sample). */
CRL_API void
crl_squashed_sample_backward(int B, int D, const crl_real *mean,
                             const crl_real *log_std, double log_std_min,
                             double log_std_max, const crl_real *eps,
                             const crl_real *daction, const crl_real *dlogp,
                             crl_real *dmean, crl_real *dlog_std);

/** logp [B] = log pi(tanh(u)) for pre-squash values u [B, D] (a stored
 *  sample; from an action a, u = atanh(a)). */
CRL_API void crl_squashed_log_prob(int B, int D, const crl_real *mean,
                                   const crl_real *log_std, double log_std_min,
                                   double log_std_max, const crl_real *u,
                                   crl_real *logp);

/** Score-function gradient of crl_squashed_log_prob at fixed u: given
 *  dL/dlogp [B], WRITE dmean [B, D] and dlog_std [B, D]. */
CRL_API void crl_squashed_log_prob_backward(
    int B, int D, const crl_real *mean, const crl_real *log_std,
    double log_std_min, double log_std_max, const crl_real *u,
    const crl_real *dlogp, crl_real *dmean, crl_real *dlog_std);

CRL_END_DECLS

#endif
