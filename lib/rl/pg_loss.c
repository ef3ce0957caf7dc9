/* The shared policy-gradient pieces (see pg_loss.h). */
#include "rl/pg_loss.h"

#include <math.h>

void crl__pg_clipped_surrogate(int B, int M, const crl_real *logp,
                               const crl_real *old_logp, const crl_real *adv,
                               double clip, crl_real *dlogp,
                               crl__pg_clip_result *out) {
  double loss = 0.0, kl = 0.0, clipped = 0.0;
  for (int i = 0; i < B; i++) {
    double log_ratio = (double)logp[i] - (double)old_logp[i];
    double ratio = exp(log_ratio);
    double a = adv[i];
    double rc = ratio < 1.0 - clip ? 1.0 - clip
                                   : (ratio > 1.0 + clip ? 1.0 + clip : ratio);
    double unclipped = ratio * a, clipped_obj = rc * a;
    /* Where the clipped objective is strictly smaller the ratio is outside
     * the range and the term is flat; otherwise d(-ratio A)/dlogp =
     * -ratio A. */
    int use_unclipped = unclipped <= clipped_obj;
    loss -= use_unclipped ? unclipped : clipped_obj;
    dlogp[i] = (crl_real)(use_unclipped ? -unclipped / M : 0.0);
    kl += (ratio - 1.0) - log_ratio;
    clipped += fabs(ratio - 1.0) > clip;
  }
  out->loss = loss / M;
  out->approx_kl = kl / M;
  out->clip_fraction = clipped / M;
}

/* One body for both element types (GSL's templates do the same with
 * macros): every element is read as a double, so the arithmetic is the
 * same whatever the storage. */
#define STANDARDIZE_BODY(T, x, n, ddof, scale)                                 \
  do {                                                                         \
    if ((n) < 2)                                                               \
      return;                                                                  \
    double mean = 0.0, var = 0.0;                                              \
    for (size_t i = 0; i < (n); i++)                                           \
      mean += (double)(x)[i];                                                  \
    mean /= (double)(n);                                                       \
    double div = 1.0;                                                          \
    if (scale) {                                                               \
      for (size_t i = 0; i < (n); i++)                                         \
        var += ((double)(x)[i] - mean) * ((double)(x)[i] - mean);              \
      div = sqrt(var / (double)((n) - (size_t)(ddof))) + 1e-8;                 \
    }                                                                          \
    for (size_t i = 0; i < (n); i++)                                           \
      (x)[i] = (T)(((double)(x)[i] - mean) / div);                             \
  } while (0)

void crl__pg_standardize(crl_real *x, size_t n, int ddof, int scale) {
  STANDARDIZE_BODY(crl_real, x, n, ddof, scale);
}

void crl__pg_standardize_f64(double *x, size_t n, int ddof, int scale) {
  STANDARDIZE_BODY(double, x, n, ddof, scale);
}
