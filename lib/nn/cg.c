/* Conjugate gradient (see cg.h), as Spinning Up's and SB3-contrib's. */
#include <stdlib.h>

#include "crl/error.h"
#include "nn/cg.h"

struct crl__cg {
  size_t n;
  double *x, *r, *p; /* [n] iterate, residual, search direction */
  crl_real *pin;     /* [n] p rounded to crl_real for the product */
  crl_real *ap;      /* [n] A p */
};

int crl__cg_alloc(size_t n, crl__cg **out) {
  *out = NULL;
  crl__cg *cg = calloc(1, sizeof *cg);
  if (cg == NULL)
    return crl_fail(CRL_ENOMEM, "cg: out of memory");
  size_t m = n ? n : 1;
  cg->n = n;
  cg->x = malloc(m * sizeof *cg->x);
  cg->r = malloc(m * sizeof *cg->r);
  cg->p = malloc(m * sizeof *cg->p);
  cg->pin = malloc(m * sizeof *cg->pin);
  cg->ap = malloc(m * sizeof *cg->ap);
  if (!cg->x || !cg->r || !cg->p || !cg->pin || !cg->ap) {
    crl__cg_free(cg);
    return crl_fail(CRL_ENOMEM, "cg: out of memory for %zu unknowns", n);
  }
  *out = cg;
  return 0;
}

void crl__cg_free(crl__cg *cg) {
  if (cg == NULL)
    return;
  free(cg->x);
  free(cg->r);
  free(cg->p);
  free(cg->pin);
  free(cg->ap);
  free(cg);
}

static double dot(size_t n, const double *a, const double *b) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

int crl__cg_solve(crl__cg *cg, crl__matvec_fn matvec, void *ctx,
                  const crl_real *b, int max_iter, double residual_tol,
                  crl_real *x, int *iters) {
  const size_t n = cg->n;
  for (size_t i = 0; i < n; i++) {
    cg->x[i] = 0.0;
    cg->r[i] = cg->p[i] = (double)b[i];
  }
  double rr = dot(n, cg->r, cg->r);
  int k = 0;
  while (k < max_iter && rr > residual_tol) {
    for (size_t i = 0; i < n; i++)
      cg->pin[i] = (crl_real)cg->p[i];
    int rc = matvec(ctx, cg->pin, cg->ap);
    if (rc)
      return rc;
    k++;
    double pap = 0.0;
    for (size_t i = 0; i < n; i++)
      pap += cg->p[i] * (double)cg->ap[i];
    if (!(pap > 0.0))
      return crl_fail(CRL_ENONFINITE,
                      "cg: p^T A p = %g after %d products; the matrix is "
                      "not positive definite (or not finite)",
                      pap, k);
    const double alpha = rr / pap;
    for (size_t i = 0; i < n; i++) {
      cg->x[i] += alpha * cg->p[i];
      cg->r[i] -= alpha * (double)cg->ap[i];
    }
    const double rr_new = dot(n, cg->r, cg->r);
    const double beta = rr_new / rr;
    for (size_t i = 0; i < n; i++)
      cg->p[i] = cg->r[i] + beta * cg->p[i];
    rr = rr_new;
  }
  for (size_t i = 0; i < n; i++)
    x[i] = (crl_real)cg->x[i];
  if (iters)
    *iters = k;
  return 0;
}
