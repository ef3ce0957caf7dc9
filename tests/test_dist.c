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
#include "dist_test.h"

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gauss_values), cmocka_unit_test(test_gauss_grads),
      cmocka_unit_test(test_gauss_fisher), cmocka_unit_test(test_gauss_sample),
      cmocka_unit_test(test_cat_values),   cmocka_unit_test(test_cat_grads),
      cmocka_unit_test(test_cat_fisher),   cmocka_unit_test(test_cat_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
