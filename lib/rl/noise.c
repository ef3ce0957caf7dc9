/* Exploration noise (Gaussian, Ornstein-Uhlenbeck) and uniform warm-up
 * actions. The OU state is kept in double: it is a running sum over the
 * whole episode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/noise.h"

/* SB3's OrnsteinUhlenbeckActionNoise defaults. */
#define OU_THETA 0.15
#define OU_DT 1e-2

struct crl_noise {
  crl_noise_kind kind;
  int n, dim;
  double sigma;
  double *state; /* [n, dim] OU state x, 0 at every reset */
  void *block;   /* state */
};

int crl_noise_alloc(crl_noise_kind kind, int n, int dim, double sigma,
                    crl_noise **out) {
  *out = NULL;
  if (kind != CRL_NOISE_NONE && kind != CRL_NOISE_NORMAL &&
      kind != CRL_NOISE_OU)
    return crl_fail(CRL_EINVAL, "noise: unknown kind %d", (int)kind);
  if (n < 1 || dim < 1 || !(sigma >= 0.0) || !isfinite(sigma))
    return crl_fail(CRL_EINVAL,
                    "noise: need n >= 1, dim >= 1 and a finite sigma >= 0 "
                    "(got %d, %d, %g)",
                    n, dim, sigma);
  crl_noise *z = calloc(1, sizeof *z);
  if (z == NULL)
    return crl_fail(CRL_ENOMEM, "noise: out of memory");
  z->kind = kind;
  z->n = n;
  z->dim = dim;
  z->sigma = sigma;
  const crl__buf bufs[] = {
      {(void **)&z->state, CRL__BUF_DOUBLE,
       (size_t)n * (size_t)dim}, /* [n, dim] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &z->block, "noise");
  if (rc) {
    free(z);
    return rc;
  }
  *out = z;
  return 0;
}

void crl_noise_free(crl_noise *z) {
  if (z == NULL)
    return;
  free(z->block);
  free(z);
}

void crl_noise_sample(crl_noise *z, gsl_rng *rng, crl_real *out) {
  const size_t count = (size_t)z->n * (size_t)z->dim;
  switch (z->kind) {
  case CRL_NOISE_NORMAL:
    for (size_t i = 0; i < count; i++)
      out[i] = (crl_real)gsl_ran_gaussian_ziggurat(rng, z->sigma);
    break;
  case CRL_NOISE_OU: {
    const double step_sd = z->sigma * sqrt(OU_DT);
    for (size_t i = 0; i < count; i++) {
      double x = z->state[i];
      /* mu = 0: x + theta (0 - x) dt + sigma sqrt(dt) N(0, 1) */
      x += -OU_THETA * x * OU_DT + gsl_ran_gaussian_ziggurat(rng, step_sd);
      z->state[i] = x;
      out[i] = (crl_real)x;
    }
    break;
  }
  default:
    memset(out, 0, count * sizeof *out);
    break;
  }
}

void crl_noise_reset(crl_noise *z, int i) {
  if (i < 0 || i >= z->n)
    return;
  memset(z->state + (size_t)i * z->dim, 0, (size_t)z->dim * sizeof *z->state);
}

double *crl_noise_state(crl_noise *z, size_t *count) {
  *count = (size_t)z->n * (size_t)z->dim;
  return z->state;
}

int crl_noise_sections(void *obj, crl_state_io *io) {
  crl_noise *z = obj;
  const crl_state_item items[] = {
      CRL_STATE(F64, "state", z->state, (size_t)z->n * (size_t)z->dim,
                CRL_STATE_FINITE),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

void crl_noise_add_clip(int B, int dim, const crl_real *noise,
                        crl_real *actions) {
  const size_t count = (size_t)B * (size_t)dim;
  for (size_t i = 0; i < count; i++) {
    crl_real a = actions[i] + noise[i];
    actions[i] = a < -1 ? -1 : (a > 1 ? 1 : a);
  }
}

void crl_uniform_actions(int B, int dim, gsl_rng *rng, crl_real *out) {
  const size_t count = (size_t)B * (size_t)dim;
  for (size_t i = 0; i < count; i++)
    out[i] = (crl_real)(2.0 * gsl_rng_uniform(rng) - 1.0);
}
