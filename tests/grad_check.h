/* What the finite-difference tests share: the error measure of a gradient
 * against its finite differences. */
#ifndef CRL_TEST_GRAD_CHECK_H
#define CRL_TEST_GRAD_CHECK_H

#include <math.h>
#include <stddef.h>

/* max_i |a_i - n_i| / max(|a_i|, |n_i|, floor) with floor = 1e-2 max|n|:
 * the relative error of every component that matters; components far
 * below the vector's scale are judged against that scale, since there the
 * finite difference is mostly rounding. */
static inline double max_rel_err(const double *a, const double *n, size_t len) {
  double scale = 1e-30, worst = 0.0;
  for (size_t i = 0; i < len; i++)
    scale = fmax(scale, fabs(n[i]));
  for (size_t i = 0; i < len; i++) {
    double den = fmax(fmax(fabs(a[i]), fabs(n[i])), 1e-2 * scale);
    worst = fmax(worst, fabs(a[i] - n[i]) / den);
  }
  return worst;
}

#endif
