/* Distributions: values against direct formulas, every backward against
 * finite differences of the library's own values, Fisher
 * information against a finite-difference Hessian of KL at q = p, and
 * sampling statistics.
 *
 * Finite differences perturb crl_real inputs (five-point stencil, see
 * fd_grad). Tolerances: 1e-6 double, 3e-3 float (correct code measures
 * about 5e-9 and 4e-4; the float outputs' own rounding sets the floor).
 * Each of these deliberate breakages of lib/dist.c failed at least one test
 * in both builds, and was reverted: d logp / d log_std without its "- 1";
 * sigma instead of sigma^2 in d logp / d mean; the sign of d KL / d logits_q
 * flipped; "log p - H" for "log p + H" in the categorical entropy gradient;
 * the p p^T term dropped from the Fisher-vector product; the mean term
 * dropped from d KL / d log_std_q; Gaussian Fisher of log_std 1 instead of
 * 2; the entropy gradient doubled. */
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

static void fill_gauss(crl_real *v, size_t n, double sd, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)gsl_ran_gaussian(rng, sd);
}

static int close_rel(double a, double b, double tol) {
  return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* max_i |a_i - n_i| / max(|a_i|, |n_i|, 1e-2 max|n|) (see test_mlp.c). */
static double max_rel_err(const double *a, const double *n, size_t len) {
  double scale = 1e-30, worst = 0.0;
  for (size_t i = 0; i < len; i++)
    scale = fmax(scale, fabs(n[i]));
  for (size_t i = 0; i < len; i++) {
    double den = fmax(fmax(fabs(a[i]), fabs(n[i])), 1e-2 * scale);
    worst = fmax(worst, fabs(a[i] - n[i]) / den);
  }
  return worst;
}

/* Everything an objective reads: a and b are the distribution parameters
 * (mean/log_std or logits), c and d those of q for KL, x the samples or
 * actions, r the weights of the scalar loss, out scratch [B]. */
typedef struct ctx {
  crl_real a[B * K], b[B * K], c[B * K], d[B * K], x[B * K];
  crl_real r[B], out[B];
} ctx;

typedef double (*objective)(ctx *);

static double weighted(ctx *s) {
  double acc = 0.0;
  for (int i = 0; i < B; i++)
    acc += (double)s->r[i] * s->out[i];
  return acc;
}

static double obj_gauss_logp(ctx *s) {
  crl_gauss_log_prob(B, D, s->a, s->b, s->x, s->out);
  return weighted(s);
}
static double obj_gauss_entropy(ctx *s) {
  return (double)s->r[0] * crl_gauss_entropy(D, s->b);
}
static double obj_gauss_kl(ctx *s) {
  crl_gauss_kl(B, D, s->a, s->b, s->c, s->d, s->out);
  return weighted(s);
}
static double obj_cat_logp(ctx *s) {
  crl_cat_log_prob(B, K, s->a, s->x, s->out);
  return weighted(s);
}
static double obj_cat_entropy(ctx *s) {
  crl_cat_entropy(B, K, s->a, s->out);
  return weighted(s);
}
static double obj_cat_kl(ctx *s) {
  crl_cat_kl(B, K, s->a, s->c, s->out);
  return weighted(s);
}

/* num[i] = d f / d v[i] by the five-point stencil
 *   (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h,
 * whose O(h^4) truncation error allows a step large enough that the
 * rounding of float outputs (about 6e-8 relative) stays small. */
static void fd_grad(objective f, ctx *s, crl_real *v, size_t n, double *num) {
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
static void expect_grad(const char *what, objective f, ctx *s, crl_real *v,
                        size_t n, const crl_real *ana, const crl_real *base) {
  double a[B * K], num[B * K];
  for (size_t i = 0; i < n; i++)
    a[i] = (double)ana[i] - (base ? (double)base[i] : 0.0);
  fd_grad(f, s, v, n, num);
  double err = max_rel_err(a, num, n);
  if (err > GRAD_TOL)
    print_message("%s: rel err %.3g\n", what, err);
  assert_true(err <= GRAD_TOL);
}

static ctx *random_ctx(uint64_t seed) {
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

/* ---- Gaussian ------------------------------------------------------------ */

static void test_gauss_values(void **state) {
  (void)state;
  ctx *s = random_ctx(1);
  crl_real logp[B], kl[B];
  crl_gauss_log_prob(B, D, s->a, s->b, s->x, logp);
  for (int i = 0; i < B; i++) {
    double ref = 0.0; /* sum of 1-D log densities, from GSL */
    for (int j = 0; j < D; j++)
      ref += log(gsl_ran_gaussian_pdf((double)s->x[i * D + j] - s->a[i * D + j],
                                      exp((double)s->b[j])));
    assert_true(close_rel(logp[i], ref, VAL_TOL));
  }
  double h = 0.0;
  for (int j = 0; j < D; j++)
    h += 0.5 * log(2 * M_PI * M_E * exp(2.0 * s->b[j]));
  assert_true(close_rel(crl_gauss_entropy(D, s->b), h, VAL_TOL));

  crl_gauss_kl(B, D, s->a, s->b, s->c, s->d, kl);
  for (int i = 0; i < B; i++) {
    /* KL = cross-entropy(p, q) - H(p) */
    double ce = 0.0;
    for (int j = 0; j < D; j++) {
      double vq = exp(2.0 * s->d[j]), vp = exp(2.0 * s->b[j]);
      double m = (double)s->a[i * D + j] - s->c[i * D + j];
      ce += 0.5 * log(2 * M_PI * vq) + (vp + m * m) / (2 * vq);
    }
    assert_true(close_rel(kl[i], ce - h, VAL_TOL));
  }
  crl_gauss_kl(B, D, s->a, s->b, s->a, s->b, kl);
  for (int i = 0; i < B; i++)
    assert_true(kl[i] == 0);
  free(s);
}

static void test_gauss_grads(void **state) {
  (void)state;
  ctx *s = random_ctx(2);
  crl_real dmean[B * D], dls[D], dls0[D];
  for (int j = 0; j < D; j++)
    dls0[j] = dls[j] = (crl_real)(0.3 * j - 1); /* ADD: compare increment */
  for (int i = 0; i < B * D; i++)
    dmean[i] = 99; /* WRITE: overwritten */
  crl_gauss_log_prob_backward(B, D, s->a, s->b, s->x, s->r, dmean, dls);
  expect_grad("gauss logp / mean", obj_gauss_logp, s, s->a, B * D, dmean, NULL);
  expect_grad("gauss logp / log_std", obj_gauss_logp, s, s->b, D, dls, dls0);
  crl_gauss_log_prob_backward(B, D, s->a, s->b, s->x, s->r, NULL, NULL);

  memcpy(dls, dls0, sizeof dls);
  crl_gauss_entropy_backward(D, s->r[0], dls);
  expect_grad("gauss entropy", obj_gauss_entropy, s, s->b, D, dls, dls0);

  memcpy(dls, dls0, sizeof dls);
  crl_gauss_kl_backward_q(B, D, s->a, s->b, s->c, s->d, s->r, dmean, dls);
  expect_grad("gauss kl / mean_q", obj_gauss_kl, s, s->c, B * D, dmean, NULL);
  expect_grad("gauss kl / log_std_q", obj_gauss_kl, s, s->d, D, dls, dls0);
  free(s);
}

/* The Hessian of KL(p || q) in q's (mean, log_std) at q = p is the Fisher
 * information; take it as finite differences of the (checked) gradient. */
static void test_gauss_fisher(void **state) {
  (void)state;
  ctx *s = random_ctx(3);
  enum { P = 2 * D }; /* one row: mean_q [D] then log_std_q [D] */
  crl_real fm[D], fl[D], one = 1;
  crl_gauss_fisher(D, s->b, fm, fl);
  memcpy(s->c, s->a, D * sizeof *s->c); /* q = p */
  memcpy(s->d, s->b, D * sizeof *s->d);
  double H[P][P];
  for (int j = 0; j < P; j++) {
    crl_real *v = j < D ? &s->c[j] : &s->d[j - D];
    const crl_real v0 = *v;
    const double h = HESS_H * fmax(1.0, fabs((double)v0));
    crl_real gp[P] = {0}, gm[P] = {0};
    *v = (crl_real)(v0 + h);
    const double vp = *v;
    crl_gauss_kl_backward_q(1, D, s->a, s->b, s->c, s->d, &one, gp, gp + D);
    *v = (crl_real)(v0 - h);
    const double vm = *v;
    crl_gauss_kl_backward_q(1, D, s->a, s->b, s->c, s->d, &one, gm, gm + D);
    *v = v0;
    for (int i = 0; i < P; i++)
      H[i][j] = ((double)gp[i] - gm[i]) / (vp - vm);
  }
  double hmax = 0.0;
  for (int i = 0; i < P; i++)
    hmax = fmax(hmax, fabs(H[i][i]));
  for (int i = 0; i < P; i++)
    for (int j = 0; j < P; j++) {
      double f = i != j ? 0.0 : i < D ? fm[i] : fl[i - D];
      if (i < D)
        assert_true(close_rel(fm[i], exp(-2.0 * s->b[i]), VAL_TOL));
      assert_true(fabs(H[i][j] - f) <= GRAD_TOL * fmax(fabs(f), 1e-2 * hmax));
    }
  free(s);
}

static void test_gauss_sample(void **state) {
  (void)state;
  enum { N = 20000 };
  const crl_real mean[2] = {0.5, -1.0};
  const crl_real log_std[2] = {(crl_real)log(0.3), (crl_real)log(2.0)};
  crl_real *m = malloc(N * 2 * sizeof *m), *out = malloc(N * 2 * sizeof *m);
  for (int i = 0; i < N; i++)
    m[2 * i] = mean[0], m[2 * i + 1] = mean[1];
  gsl_rng *rng = crl_rng_alloc(4, CRL_STREAM_ACT);
  crl_gauss_sample(N, 2, m, log_std, rng, out);
  for (int j = 0; j < 2; j++) {
    double s1 = 0, s2 = 0, sd = exp((double)log_std[j]);
    for (int i = 0; i < N; i++)
      s1 += out[2 * i + j];
    s1 /= N;
    for (int i = 0; i < N; i++)
      s2 += (out[2 * i + j] - s1) * (out[2 * i + j] - s1);
    s2 = sqrt(s2 / (N - 1));
    assert_true(fabs(s1 - mean[j]) < 5 * sd / sqrt(N));
    assert_true(fabs(s2 - sd) < 5 * sd / sqrt(2.0 * N));
  }
  /* log-prob of a drawn sample matches the direct formula */
  crl_real lp;
  crl_gauss_log_prob(1, 2, m, log_std, out, &lp);
  double ref = 0;
  for (int j = 0; j < 2; j++) {
    double sd = exp((double)log_std[j]), z = (out[j] - mean[j]) / sd;
    ref += -0.5 * z * z - log(sd) - 0.5 * log(2 * M_PI);
  }
  assert_true(close_rel(lp, ref, VAL_TOL));
  gsl_rng_free(rng);
  free(m);
  free(out);
}

/* ---- Categorical --------------------------------------------------------- */

static void set_actions(ctx *s) {
  for (int i = 0; i < B; i++)
    s->x[i] = (crl_real)((2 * i + 1) % K);
}

static void test_cat_values(void **state) {
  (void)state;
  ctx *s = random_ctx(5);
  set_actions(s);
  crl_real lp[B], ent[B], kl[B];
  crl_cat_log_prob(B, K, s->a, s->x, lp);
  crl_cat_entropy(B, K, s->a, ent);
  crl_cat_kl(B, K, s->a, s->c, kl);
  for (int i = 0; i < B; i++) {
    const crl_real *l = s->a + i * K, *lq = s->c + i * K;
    double z = 0, zq = 0, h = 0, k = 0;
    for (int j = 0; j < K; j++)
      z += exp((double)l[j]), zq += exp((double)lq[j]);
    for (int j = 0; j < K; j++) {
      double p = exp((double)l[j]) / z, q = exp((double)lq[j]) / zq;
      h -= p * log(p);
      k += p * log(p / q);
    }
    assert_true(
        close_rel(lp[i], log(exp((double)l[(int)s->x[i]]) / z), VAL_TOL));
    assert_true(close_rel(ent[i], h, VAL_TOL));
    assert_true(close_rel(kl[i], k, VAL_TOL));
  }
  crl_cat_kl(B, K, s->a, s->a, kl);
  for (int i = 0; i < B; i++)
    assert_true(kl[i] == 0);

  /* stable for huge logits; uniform rows have entropy log K; impossible
   * categories (-inf) give no NaN; bad action indices give NaN */
  crl_real big[K] = {1000, 998, 990, 1000, -1000};
  crl_real act = 1;
  crl_cat_log_prob(1, K, big, &act, lp);
  double zb = 2 + exp(-2.0) + exp(-10.0);
  assert_true(close_rel(lp[0], -2.0 - log(zb), VAL_TOL));
  crl_real uni[K] = {3.7, 3.7, 3.7, 3.7, 3.7};
  crl_cat_entropy(1, K, uni, ent);
  assert_true(close_rel(ent[0], log((double)K), VAL_TOL));
  crl_real part[3] = {0.0, -INFINITY, 0.0}, g[3] = {0, 0, 0}, one = 1;
  crl_cat_entropy(1, 3, part, ent);
  assert_true(close_rel(ent[0], log(2.0), VAL_TOL));
  crl_cat_entropy_backward(1, 3, part, &one, g);
  assert_true(g[0] == 0 && g[1] == 0 && g[2] == 0); /* a maximum */
  crl_real bad[3] = {-1, (crl_real)K, 1.5};
  crl_cat_log_prob(3, K, s->a, bad, lp);
  for (int i = 0; i < 3; i++)
    assert_true(isnan(lp[i]));
  crl_real mode[B];
  crl_cat_mode(B, K, s->a, mode);
  for (int i = 0; i < B; i++)
    for (int j = 0; j < K; j++)
      assert_true(s->a[i * K + j] <= s->a[i * K + (int)mode[i]]);
  free(s);
}

static void test_cat_grads(void **state) {
  (void)state;
  ctx *s = random_ctx(6);
  set_actions(s);
  crl_real g[B * K], g0[B * K];
  for (int i = 0; i < B * K; i++) {
    g[i] = 99;                         /* WRITE: overwritten */
    g0[i] = (crl_real)(0.1 * i - 0.7); /* ADD: compare increment */
  }
  crl_cat_log_prob_backward(B, K, s->a, s->x, s->r, g);
  expect_grad("cat logp", obj_cat_logp, s, s->a, B * K, g, NULL);
  memcpy(g, g0, sizeof g);
  crl_cat_entropy_backward(B, K, s->a, s->r, g);
  expect_grad("cat entropy", obj_cat_entropy, s, s->a, B * K, g, g0);
  for (int i = 0; i < B * K; i++)
    g[i] = 99;
  crl_cat_kl_backward_q(B, K, s->a, s->c, s->r, g);
  expect_grad("cat kl / logits_q", obj_cat_kl, s, s->c, B * K, g, NULL);
  free(s);
}

/* Fisher-vector product against a finite-difference Hessian of KL(p || q)
 * in logits_q at q = p, and against diag(p) - p p^T written out. */
static void test_cat_fisher(void **state) {
  (void)state;
  ctx *s = random_ctx(7);
  memcpy(s->c, s->a, sizeof s->c);
  crl_real v[B * K], fv[B * K], ones[B] = {1, 1, 1};
  gsl_rng *rng = crl_rng_alloc(7, 2001);
  fill_gauss(v, B * K, 1.0, rng);
  gsl_rng_free(rng);
  crl_cat_fisher_vp(B, K, s->a, v, fv);
  for (int i = 0; i < B; i++) {
    double H[K][K], p[K], z = 0;
    for (int j = 0; j < K; j++) {
      crl_real *lq = &s->c[i * K + j];
      const crl_real v0 = *lq;
      const double h = HESS_H * fmax(1.0, fabs((double)v0));
      crl_real gp[B * K], gm[B * K];
      *lq = (crl_real)(v0 + h);
      const double vp = *lq;
      crl_cat_kl_backward_q(B, K, s->a, s->c, ones, gp);
      *lq = (crl_real)(v0 - h);
      const double vm = *lq;
      crl_cat_kl_backward_q(B, K, s->a, s->c, ones, gm);
      *lq = v0;
      for (int k = 0; k < K; k++)
        H[k][j] = ((double)gp[i * K + k] - gm[i * K + k]) / (vp - vm);
    }
    for (int j = 0; j < K; j++)
      z += exp((double)s->a[i * K + j]);
    for (int j = 0; j < K; j++)
      p[j] = exp((double)s->a[i * K + j]) / z;
    double hv[K], fvd[K], exact[K];
    for (int k = 0; k < K; k++) {
      hv[k] = exact[k] = 0;
      for (int j = 0; j < K; j++) {
        hv[k] += H[k][j] * v[i * K + j];
        exact[k] += ((k == j ? p[k] : 0.0) - p[k] * p[j]) * v[i * K + j];
      }
      fvd[k] = fv[i * K + k];
    }
    double err = max_rel_err(fvd, hv, K);
    if (err > GRAD_TOL)
      print_message("cat fisher row %d: rel err %.3g\n", i, err);
    assert_true(err <= GRAD_TOL);
    assert_true(max_rel_err(fvd, exact, K) <= VAL_TOL * 10);
  }
  free(s);
}

static void test_cat_sample(void **state) {
  (void)state;
  enum { N = 20000 };
  const crl_real l[K] = {0.0, 1.0, -0.5, 2.0, -3.0};
  crl_real *logits = malloc((size_t)N * K * sizeof *logits);
  crl_real *out = malloc(N * sizeof *out);
  for (int i = 0; i < N; i++)
    memcpy(logits + (size_t)i * K, l, sizeof l);
  gsl_rng *rng = crl_rng_alloc(8, CRL_STREAM_ACT);
  crl_cat_sample(N, K, logits, rng, out);
  double count[K] = {0}, z = 0, chi2 = 0;
  for (int i = 0; i < N; i++) {
    int a = (int)out[i];
    assert_true(a >= 0 && a < K && (crl_real)a == out[i]);
    count[a] += 1;
  }
  for (int j = 0; j < K; j++)
    z += exp((double)l[j]);
  for (int j = 0; j < K; j++) {
    double e = N * exp((double)l[j]) / z;
    chi2 += (count[j] - e) * (count[j] - e) / e;
  }
  /* 4 degrees of freedom: P(chi2 > 25) is about 5e-5 */
  if (chi2 >= 25)
    print_message("chi2 %.2f\n", chi2);
  assert_true(chi2 < 25);
  /* a -inf category is never drawn */
  const crl_real part[3] = {0.0, -INFINITY, 0.0};
  for (int i = 0; i < 1000; i++) {
    crl_real a;
    crl_cat_sample(1, 3, part, rng, &a);
    assert_true(a == 0 || a == 2);
  }
  gsl_rng_free(rng);
  free(logits);
  free(out);
}

/* ---- Tanh-squashed Gaussian ---------------------------------------------- */

/* A clamp range of the order of random_ctx's log-stds (sd 0.5). */
#define LS_MIN -1.0
#define LS_MAX 0.5

/* L = sum w . action + sum r . logp at fixed eps (x): mean a, log_std b,
 * action weights c. */
static double obj_squashed_sample(ctx *s) {
  crl_real act[B * K];
  crl_squashed_transform(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, act, s->out);
  double acc = weighted(s);
  for (int i = 0; i < B * D; i++)
    acc += (double)s->c[i] * act[i];
  return acc;
}

/* L = sum r . log pi(tanh(u)) at fixed u (x). */
static double obj_squashed_logp(ctx *s) {
  crl_squashed_log_prob(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, s->out);
  return weighted(s);
}

static void test_squashed_values(void **state) {
  (void)state;
  ctx *s = random_ctx(9);
  crl_real act[B * D], logp[B], logp_u[B], u[B * D];
  crl_squashed_transform(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, act, logp);
  for (int i = 0; i < B; i++) {
    double ref = 0.0;
    for (int j = 0; j < D; j++) {
      const int k = i * D + j;
      const double ls = fmin(fmax((double)s->b[k], LS_MIN), LS_MAX);
      const double uk = (double)s->a[k] + exp(ls) * s->x[k];
      u[k] = (crl_real)uk;
      assert_true(close_rel(act[k], tanh(uk), VAL_TOL));
      /* the naive form is fine for moderate u */
      ref += log(gsl_ran_gaussian_pdf(uk - s->a[k], exp(ls))) -
             log(1.0 - tanh(uk) * tanh(uk));
    }
    assert_true(close_rel(logp[i], ref, 100 * VAL_TOL));
  }
  /* log_prob at the stored pre-squash sample agrees with the transform */
  crl_squashed_log_prob(B, D, s->a, s->b, LS_MIN, LS_MAX, u, logp_u);
  for (int i = 0; i < B; i++)
    assert_true(close_rel(logp_u[i], logp[i], 1e3 * VAL_TOL));
  /* saturated: |u| = 40 gives a = +-1 exactly but a finite log-prob, with
   * log(1 - tanh^2 u) = 2 (log 2 - |u|) - ... to double precision */
  crl_real m2[2] = {40, -40}, ls2[2] = {-20, -20}, e2[2] = {0, 0}, a2[2], l2;
  crl_squashed_transform(1, 2, m2, ls2, -20, 2, e2, a2, &l2);
  assert_true(a2[0] == 1 && a2[1] == -1);
  double expect = 2 * (-0.5 * log(2 * M_PI) + 20) - 2 * 2 * (log(2.0) - 40);
  assert_true(isfinite(l2) && close_rel(l2, expect, VAL_TOL));
  crl_squashed_mode(1, 2, m2, a2);
  assert_true(a2[0] == 1 && a2[1] == -1);
  free(s);
}

/* The density of a = tanh(u) integrates to one: in u, p(a) da =
 * exp(log pi(tanh u)) (1 - tanh^2 u) du (a wrong Jacobian sign fails). */
static void test_squashed_density(void **state) {
  (void)state;
  const crl_real mean = (crl_real)0.7, log_std = (crl_real)-0.3;
  const int n = 20000;
  const double lo = -8, hi = 8, h = (hi - lo) / n;
  double total = 0.0;
  for (int i = 0; i <= n; i++) {
    crl_real u = (crl_real)(lo + i * h), lp;
    crl_squashed_log_prob(1, 1, &mean, &log_std, -20, 2, &u, &lp);
    double t = tanh((double)u);
    double w = (i == 0 || i == n) ? 0.5 : 1.0;
    total += w * exp((double)lp) * (1 - t * t) * h;
  }
  assert_true(fabs(total - 1.0) < 1e-4);
}

static void test_squashed_grads(void **state) {
  (void)state;
  ctx *s = random_ctx(10);
  /* Keep log-stds clear of the clamp's kinks, where finite differences
   * straddle two slopes. */
  for (int i = 0; i < B * D; i++)
    if (fabs(s->b[i] - LS_MAX) < 0.1 || fabs(s->b[i] - LS_MIN) < 0.1)
      s->b[i] = (crl_real)(0.5 * (LS_MIN + LS_MAX));
  s->b[1] = (crl_real)-2.5; /* below LS_MIN: no gradient through the clamp */
  s->b[6] = (crl_real)1.5;  /* above LS_MAX */
  crl_real dmean[B * D], dls[B * D];
  for (int i = 0; i < B * D; i++)
    dmean[i] = dls[i] = 99; /* WRITE: overwritten */
  crl_squashed_sample_backward(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, s->c,
                               s->r, dmean, dls);
  assert_true(dls[1] == 0 && dls[6] == 0);
  expect_grad("squashed sample / mean", obj_squashed_sample, s, s->a, B * D,
              dmean, NULL);
  expect_grad("squashed sample / log_std", obj_squashed_sample, s, s->b, B * D,
              dls, NULL);
  /* NULL dL/daction or dL/dlogp stand for zeros */
  crl_real zero[B * K] = {0}, dm2[B * D], dl2[B * D];
  crl_real dm3[B * D], dl3[B * D];
  crl_squashed_sample_backward(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, NULL,
                               s->r, dm2, dl2);
  crl_squashed_sample_backward(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, zero,
                               s->r, dm3, dl3);
  assert_memory_equal(dm2, dm3, sizeof dm2);
  assert_memory_equal(dl2, dl3, sizeof dl2);

  crl_squashed_log_prob_backward(B, D, s->a, s->b, LS_MIN, LS_MAX, s->x, s->r,
                                 dmean, dls);
  assert_true(dls[1] == 0 && dls[6] == 0);
  expect_grad("squashed logp / mean", obj_squashed_logp, s, s->a, B * D, dmean,
              NULL);
  expect_grad("squashed logp / log_std", obj_squashed_logp, s, s->b, B * D, dls,
              NULL);
  free(s);
}

static void test_squashed_sample(void **state) {
  (void)state;
  enum { N = 20000 };
  crl_real *m = malloc(N * sizeof *m), *ls = malloc(N * sizeof *m);
  crl_real *eps = malloc(N * sizeof *m), *a = malloc(N * sizeof *m);
  crl_real *lp = malloc(N * sizeof *m), *lp2 = malloc(N * sizeof *m);
  for (int i = 0; i < N; i++)
    m[i] = (crl_real)0.3, ls[i] = (crl_real)5.0; /* clamped to 0 */
  gsl_rng *rng = crl_rng_alloc(11, CRL_STREAM_ACT);
  crl_squashed_sample(N, 1, m, ls, -20, 0, rng, eps, a, lp);
  double s1 = 0, s2 = 0;
  for (int i = 0; i < N; i++) {
    assert_true(a[i] >= -1 && a[i] <= 1);
    s1 += eps[i];
    s2 += (double)eps[i] * eps[i];
  }
  /* eps ~ N(0, 1) and the logp returned is the transform's at that eps */
  assert_true(fabs(s1 / N) < 5 / sqrt(N));
  assert_true(fabs(s2 / N - 1) < 5 * sqrt(2.0 / N));
  crl_squashed_transform(N, 1, m, ls, -20, 0, eps, a, lp2);
  assert_memory_equal(lp, lp2, N * sizeof *lp);
  gsl_rng_free(rng);
  free(m), free(ls), free(eps), free(a), free(lp), free(lp2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gauss_values),
      cmocka_unit_test(test_gauss_grads),
      cmocka_unit_test(test_gauss_fisher),
      cmocka_unit_test(test_gauss_sample),
      cmocka_unit_test(test_cat_values),
      cmocka_unit_test(test_cat_grads),
      cmocka_unit_test(test_cat_fisher),
      cmocka_unit_test(test_cat_sample),
      cmocka_unit_test(test_squashed_values),
      cmocka_unit_test(test_squashed_density),
      cmocka_unit_test(test_squashed_grads),
      cmocka_unit_test(test_squashed_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
