/* Internal: conjugate gradient for symmetric positive-definite systems
 * A x = b given only products y = A x (TRPO's natural-gradient step, where
 * A is the damped Fisher matrix of the policy). */
#ifndef CRL_CG_H
#define CRL_CG_H

#include <stddef.h>

#include "crl/common.h"

/* y [n] = A x [n]; returns 0 or a negative CRL_E* code. */
typedef int (*crl__matvec_fn)(void *ctx, const crl_real *x, crl_real *y);

typedef struct crl__cg crl__cg;

/* Workspace for systems of n unknowns. *out is NULL on failure. */
int crl__cg_alloc(size_t n, crl__cg **out);
void crl__cg_free(crl__cg *cg);

/* x [n] ~ A^-1 b [n], from x = 0, in at most max_iter products; stops
 * early once |r|^2 <= residual_tol (SB3-contrib's 1e-10 criterion). The
 * iterates are kept in double, the products are taken in crl_real. Writes
 * the products taken to *iters (may be NULL). No allocation. */
int crl__cg_solve(crl__cg *cg, crl__matvec_fn matvec, void *ctx,
                  const crl_real *b, int max_iter, double residual_tol,
                  crl_real *x, int *iters);

#endif
