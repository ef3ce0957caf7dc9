/* Polyak averaging of target networks on flat parameter vectors. */
#include "crl/optim.h"

void crl_polyak_update(size_t n, crl_real *target, const crl_real *source,
                       double tau) {
  /* The same two roundings as SB3's target.mul_(1 - tau).add_(source,
   * alpha=tau) in the float build. */
  const crl_real a = (crl_real)(1.0 - tau), b = (crl_real)tau;
  for (size_t i = 0; i < n; i++)
    target[i] = a * target[i] + b * source[i];
}
