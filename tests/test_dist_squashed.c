/* The tanh-squashed Gaussian (SAC's actions): values against direct
 * formulas, the density against a numerical one, every backward against
 * finite differences, sampling statistics; as test_dist.c for the
 * Gaussian and categorical distributions. */
#include "dist_test.h"

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
      cmocka_unit_test(test_squashed_values),
      cmocka_unit_test(test_squashed_density),
      cmocka_unit_test(test_squashed_grads),
      cmocka_unit_test(test_squashed_sample),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
