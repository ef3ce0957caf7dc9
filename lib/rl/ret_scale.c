/* VecNormalize's reward scaling (see ret_scale.h). */
#include "rl/ret_scale.h"

#include <math.h>

void crl__ret_advance(double gamma, int N, const double *rew, double *ret,
                      crl_real *ret_real) {
  for (int i = 0; i < N; i++) {
    ret[i] = gamma * ret[i] + rew[i];
    ret_real[i] = (crl_real)ret[i];
  }
}

void crl__ret_end_episodes(int N, const int *term, const int *trunc,
                           double *ret) {
  for (int i = 0; i < N; i++)
    if (term[i] || trunc[i])
      ret[i] = 0.0;
}

void crl__ret_track(crl_normalizer *norm, double gamma, int N,
                    const double *rew, const int *term, const int *trunc,
                    double *ret, crl_real *ret_real) {
  crl__ret_advance(gamma, N, rew, ret, ret_real);
  crl_normalizer_update(norm, ret_real, N);
  crl__ret_end_episodes(N, term, trunc, ret);
}

double crl__ret_std(const crl_normalizer *norm) {
  return sqrt(norm->var[0] + 1e-8);
}

double crl__ret_scaled(double r, double std) {
  double x = r / std;
  return x < -10.0 ? -10.0 : (x > 10.0 ? 10.0 : x);
}
