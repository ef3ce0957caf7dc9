/* Running mean/std of observations with the parallel merge of Chan et al. */
#include <math.h>
#include <stdlib.h>

#include "crl/error.h"
#include "crl/normalizer.h"

int crl_normalizer_alloc(int dim, double clip, crl_normalizer **out) {
  *out = NULL;
  if (dim < 1 || !(clip > 0.0))
    return crl_fail(CRL_EINVAL, "normalizer: need dim >= 1 and clip > 0");
  crl_normalizer *n = calloc(1, sizeof *n);
  if (n == NULL)
    return crl_fail(CRL_ENOMEM, "normalizer: out of memory");
  n->mean = calloc((size_t)dim, sizeof *n->mean);
  n->var = malloc((size_t)dim * sizeof *n->var);
  if (n->mean == NULL || n->var == NULL) {
    crl_normalizer_free(n);
    return crl_fail(CRL_ENOMEM, "normalizer: out of memory");
  }
  for (int i = 0; i < dim; i++)
    n->var[i] = 1.0;
  n->dim = dim;
  n->count = 1e-4; /* SB3's RunningMeanStd(epsilon=1e-4) */
  n->clip = clip;
  n->eps = 1e-8;
  *out = n;
  return 0;
}

void crl_normalizer_free(crl_normalizer *n) {
  if (n == NULL)
    return;
  free(n->mean);
  free(n->var);
  free(n);
}

void crl_normalizer_update(crl_normalizer *n, const crl_real *x, int B) {
  if (B < 1)
    return;
  const int D = n->dim;
  const double nb = (double)B;
  const double tot = n->count + nb;
  for (int j = 0; j < D; j++) {
    /* Batch mean and (population) variance of column j, two passes. */
    double bm = 0.0;
    for (int i = 0; i < B; i++)
      bm += (double)x[(size_t)i * D + j];
    bm /= nb;
    double bv = 0.0;
    for (int i = 0; i < B; i++) {
      double d = (double)x[(size_t)i * D + j] - bm;
      bv += d * d;
    }
    bv /= nb;
    double delta = bm - n->mean[j];
    double m2 =
        n->var[j] * n->count + bv * nb + delta * delta * n->count * nb / tot;
    n->mean[j] += delta * nb / tot;
    n->var[j] = m2 / tot;
  }
  n->count = tot;
}

void crl_normalizer_apply(const crl_normalizer *n, const crl_real *x, int B,
                          crl_real *out) {
  const int D = n->dim;
  for (int j = 0; j < D; j++) {
    double inv = 1.0 / sqrt(n->var[j] + n->eps);
    double m = n->mean[j];
    for (int i = 0; i < B; i++) {
      size_t k = (size_t)i * D + j;
      double z = ((double)x[k] - m) * inv;
      if (z > n->clip)
        z = n->clip;
      if (z < -n->clip)
        z = -n->clip;
      out[k] = (crl_real)z;
    }
  }
}

/* One format for checkpoints and policy files: the statistics and the
 * settings that apply them, so a policy file's normaliser is rebuilt from
 * it alone. */
int crl_normalizer_sections(void *obj, crl_state_io *io) {
  crl_normalizer *n = obj;
  const size_t D = (size_t)n->dim;
  const crl_state_item items[] = {
      CRL_STATE(F64, "mean", n->mean, D, CRL_STATE_FINITE),
      CRL_STATE(F64, "var", n->var, D, CRL_STATE_FINITE | CRL_STATE_NONNEG),
      CRL_STATE(F64, "count", &n->count, 1,
                CRL_STATE_FINITE | CRL_STATE_POSITIVE),
      CRL_STATE(F64, "clip", &n->clip, 1,
                CRL_STATE_FINITE | CRL_STATE_POSITIVE),
      /* > 0: with a zero variance, eps 0 makes 1 / sqrt(var + eps) inf. */
      CRL_STATE(F64, "eps", &n->eps, 1, CRL_STATE_FINITE | CRL_STATE_POSITIVE),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
