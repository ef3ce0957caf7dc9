/* Internal: the policy-gradient pieces that several algorithms compute the
 * same way, written once.
 *
 * The clipped surrogate (Schulman et al. 2017), PPO's and GRPO's policy
 * term, over M rows with ratio r_i = exp(logp_i - old_logp_i):
 *   L = -(1/M) sum_i min(r_i A_i, clip(r_i, 1 - eps, 1 + eps) A_i)
 * Its gradient in logp_i is -r_i A_i / M where the unclipped term is the
 * smaller (or equal) one, and 0 where the clipped one is strictly smaller
 * (the ratio is then outside the range on the side that A favours, and the
 * clipped term does not move with it).
 *
 * Standardisation, (x - mean) / (std + 1e-8) with the statistics taken in
 * double, in the variants the algorithms follow: torch's unbiased std
 * (ddof 1: SB3's PPO, A2C, TRPO; GRPO), numpy's (ddof 0: Spinning Up's VPG),
 * or only the centring (scale 0: Dr. GRPO). */
#ifndef CRL_RL_PG_LOSS_H
#define CRL_RL_PG_LOSS_H

#include <stddef.h>

#include "crl/common.h"

typedef struct crl__pg_clip_result {
  double loss;          /* L above */
  double approx_kl;     /* mean_i (r_i - 1) - ln r_i, SB3's KL estimate */
  double clip_fraction; /* share of rows with |r_i - 1| > eps */
} crl__pg_clip_result;

/* L, its statistics, and dlogp [B] = dL/dlogp_i (1/M folded in), for
 * logp, old_logp, adv [B] and eps = clip, with every mean over M rows: M =
 * B for a whole batch, the batch's M for a part of it (rl/shards.h), whose
 * results then add up to the batch's. */
void crl__pg_clipped_surrogate(int B, int M, const crl_real *logp,
                               const crl_real *old_logp, const crl_real *adv,
                               double clip, crl_real *dlogp,
                               crl__pg_clip_result *out);

/* x [n] <- (x - mean) / (std + 1e-8), std = sqrt(sum (x - mean)^2 /
 * (n - ddof)); with scale = 0, x <- x - mean. Nothing for n < 2 (what a
 * single value should become is the caller's choice). */
void crl__pg_standardize(crl_real *x, size_t n, int ddof, int scale);

/* The same for values kept in double. */
void crl__pg_standardize_f64(double *x, size_t n, int ddof, int scale);

#endif
