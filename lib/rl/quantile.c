/* TQC's target truncation and quantile Huber loss (see quantile.h). */
#include "rl/quantile.h"

#include <math.h>
#include <stdlib.h>

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void crl__quantile_truncate(int B, int n_critics, int n_q, int n_keep,
                            const crl_real *z, double *scratch, crl_real *out) {
  const int pooled = n_critics * n_q;
  for (int i = 0; i < B; i++) {
    for (int k = 0; k < n_critics; k++)
      for (int q = 0; q < n_q; q++)
        scratch[k * n_q + q] = z[((size_t)k * B + i) * n_q + q];
    /* equal values are interchangeable, so any sort gives the same row */
    qsort(scratch, (size_t)pooled, sizeof *scratch, compare_double);
    for (int j = 0; j < n_keep; j++)
      out[(size_t)i * n_keep + j] = (crl_real)scratch[j];
  }
}

double crl__quantile_huber(int B, int n_q, int n_t, const crl_real *z,
                           const crl_real *y, double scale, crl_real *dz) {
  double loss = 0.0;
  for (int i = 0; i < B; i++)
    for (int q = 0; q < n_q; q++) {
      const double tau = (q + 0.5) / n_q, zq = z[(size_t)i * n_q + q];
      double g = 0.0;
      for (int j = 0; j < n_t; j++) {
        const double d = (double)y[(size_t)i * n_t + j] - zq;
        const double ad = fabs(d);
        const double w = fabs(tau - (d < 0.0 ? 1.0 : 0.0));
        loss += w * (ad > 1.0 ? ad - 0.5 : 0.5 * d * d);
        /* d/dz of huber(y - z) is -huber'(d): -d inside, -sign(d) beyond */
        g -= w * (ad > 1.0 ? (d > 0.0 ? 1.0 : -1.0) : d);
      }
      dz[(size_t)i * n_q + q] = (crl_real)(scale * g);
    }
  return scale * loss;
}
