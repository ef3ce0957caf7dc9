/* Internal: the distributional pieces of TQC (Kuznetsov et al. 2020, as
 * sb3-contrib's): the truncated mixture of the target critics' quantiles
 * and the quantile Huber loss with its gradient. */
#ifndef CRL_QUANTILE_H
#define CRL_QUANTILE_H

#include "crl/common.h"

/* For each row i of B: the n_critics * n_q target quantiles
 * z [n_critics, B, n_q] of the row pooled, sorted ascending, and the
 * smallest n_keep kept: out [B, n_keep]. scratch holds n_critics * n_q
 * doubles. */
void crl__quantile_truncate(int B, int n_critics, int n_q, int n_keep,
                            const crl_real *z, double *scratch, crl_real *out);

/* The quantile Huber loss (kappa 1) of one critic's quantiles z [B, n_q]
 * (quantile q at level tau_q = (q + 0.5) / n_q) against the targets
 * y [B, n_t]:
 *   scale * sum_i,q,j |tau_q - 1{y_ij < z_iq}| huber(y_ij - z_iq),
 * huber(d) = d^2 / 2 for |d| <= 1, |d| - 1/2 beyond. Returns it and
 * writes dz [B, n_q], its gradient with respect to z. */
double crl__quantile_huber(int B, int n_q, int n_t, const crl_real *z,
                           const crl_real *y, double scale, crl_real *dz);

#endif
