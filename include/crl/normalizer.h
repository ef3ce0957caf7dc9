/* crl: running mean / std of observations (SB3's VecNormalize for obs).
 *
 * Batches are merged with the parallel (Chan et al.) update, so the result
 * does not depend on how samples are split into batches beyond rounding.
 * Normalised values are clipped to [-clip, clip]. Statistics are double. */
#ifndef CRL_NORMALIZER_H
#define CRL_NORMALIZER_H

#include "crl/common.h"
#include "crl/state.h"

CRL_BEGIN_DECLS

typedef struct crl_normalizer {
  int dim;
  double count; /* starts at eps (1e-4) as SB3 */
  double *mean; /* [dim] */
  double *var;  /* [dim] */
  double clip;  /* 10 */
  double eps;   /* 1e-8, added to var under the sqrt */
} crl_normalizer;

CRL_API int crl_normalizer_alloc(int dim, double clip, crl_normalizer **out);
CRL_API void crl_normalizer_free(crl_normalizer *n);

/** Merge a batch x [B, dim] into the statistics. */
CRL_API void crl_normalizer_update(crl_normalizer *n, const crl_real *x, int B);

/** out [B, dim] = clip((x - mean) / sqrt(var + eps)); out may equal x. */
CRL_API void crl_normalizer_apply(const crl_normalizer *n, const crl_real *x,
                                  int B, crl_real *out);

/** The normaliser in a checkpoint or a policy file (crl/state.h): "mean",
 *  "var" (dim values each), "count", "clip" and "eps"; loading checks that
 *  they are finite, var >= 0, count and clip > 0, eps >= 0. */
CRL_API int crl_normalizer_sections(void *norm, crl_state_io *io);

CRL_END_DECLS

#endif
