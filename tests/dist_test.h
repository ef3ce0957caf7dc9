/* What the distribution tests share (test_dist.c, test_dist_squashed.c):
 * tolerances, the objectives' context, and gradients checked against a
 * five-point finite-difference stencil. See test_dist.c's head for how the
 * tolerances were set. */
#ifndef CRL_TEST_DIST_H
#define CRL_TEST_DIST_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/crl.h"
#include "grad_check.h"

#if CRL_REAL_IS_DOUBLE
#define FD_H 1e-4     /* five-point stencil step; see fd_grad */
#define HESS_H 1e-6   /* central step for Hessians from gradients */
#define GRAD_TOL 1e-6 /* max relative error of a gradient */
#define VAL_TOL 1e-12 /* values against formulas, relative */
#else
#define FD_H 1e-2
#define HESS_H 1e-3
#define GRAD_TOL 3e-3
#define VAL_TOL 1e-6
#endif

enum { B = 3, D = 4, K = 5 };

static inline void fill_gauss(crl_real *v, size_t n, double sd, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)gsl_ran_gaussian(rng, sd);
}

static inline int close_rel(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Everything an objective reads: a and b are the distribution parameters
 * (mean/log_std or logits), c and d those of q for KL, x the samples or
 * actions, r the weights of the scalar loss, out scratch [B]. */
typedef struct ctx {
  crl_real a[B * K], b[B * K], c[B * K], d[B * K], x[B * K];
  crl_real r[B], out[B];
} ctx;

typedef double (*objective)(ctx *);

static inline double weighted(ctx *s) {
  double acc = 0.0;
  for (int i = 0; i < B; i++)
    acc += (double)s->r[i] * s->out[i];
  return acc;
}

/* num[i] = d f / d v[i] by the five-point stencil
 *   (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h,
 * whose O(h^4) truncation error allows a step large enough that the
 * rounding of float outputs (about 6e-8 relative) stays small. */
static inline void fd_grad(objective f, ctx *s, crl_real *v, size_t n,
                           double *num) {
  static const double off[4] = {-2, -1, 1, 2}, w[4] = {1, -8, 8, -1};
  for (size_t i = 0; i < n; i++) {
    const crl_real v0 = v[i];
    const double h = FD_H * fmax(1.0, fabs((double)v0));
    double acc = 0.0;
    for (int k = 0; k < 4; k++) {
      v[i] = (crl_real)(v0 + off[k] * h);
      acc += w[k] * f(s);
    }
    v[i] = v0;
    num[i] = acc / (12 * h);
  }
}

/* Analytic a[n] (minus base[n] when base is non-NULL, for ADD semantics)
 * against finite differences of f along v. */
static inline void expect_grad(const char *what, objective f, ctx *s,
                               crl_real *v, size_t n, const crl_real *ana,
                               const crl_real *base) {
  double a[B * K], num[B * K];
  for (size_t i = 0; i < n; i++)
    a[i] = (double)ana[i] - (base ? (double)base[i] : 0.0);
  fd_grad(f, s, v, n, num);
  double err = max_rel_err(a, num, n);
  if (err > GRAD_TOL)
    print_message("%s: rel err %.3g\n", what, err);
  assert_true(err <= GRAD_TOL);
}

static inline ctx *random_ctx(uint64_t seed) {
  ctx *s = calloc(1, sizeof *s);
  gsl_rng *rng = crl_rng_alloc(seed, 2000);
  fill_gauss(s->a, B * K, 1.0, rng);
  fill_gauss(s->b, B * K, 0.5, rng);
  fill_gauss(s->c, B * K, 1.0, rng);
  fill_gauss(s->d, B * K, 0.5, rng);
  fill_gauss(s->x, B * K, 1.0, rng);
  fill_gauss(s->r, B, 1.0, rng);
  gsl_rng_free(rng);
  return s;
}

#endif
