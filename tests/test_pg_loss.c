/* The shared policy-gradient pieces (rl/pg_loss.h): the clipped
 * surrogate's gradient against central finite differences in both regions
 * of the clip and for both signs of the advantage, its statistics against
 * their definitions, and the standardisation variants against values
 * worked by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "rl/pg_loss.h"

enum { M = 8 };
static const double EPS = 0.2; /* the clip range */

/* Rows chosen so that every case of min(r A, clip(r) A) occurs, each ratio
 * far (> 0.1 in log) from the clip's edges ln 0.8 = -0.223, ln 1.2 = 0.182:
 *   inside the range              A > 0 and A < 0: unclipped, gradient
 *   above 1 + eps, A > 0          clipped term smaller: flat
 *   above 1 + eps, A < 0          unclipped smaller: gradient
 *   below 1 - eps, A > 0          unclipped smaller: gradient
 *   below 1 - eps, A < 0          clipped term smaller: flat
 * The last two rows sit exactly at ratio 1. */
static const double LOG_RATIO[M] = {0.05, -0.1, 0.4, 0.4, -0.5, -0.5, 0, 0};
static const double ADV[M] = {1.3, -0.7, 0.9, -0.9, 0.6, -0.6, 2.0, -0.4};
static const int FLAT[M] = {0, 0, 1, 0, 0, 1, 0, 0};

typedef struct rows {
  crl_real logp[M], old_logp[M], adv[M], dlogp[M];
} rows;

static rows make_rows(void) {
  rows r;
  for (int i = 0; i < M; i++) {
    r.old_logp[i] = (crl_real)(-1.0 - 0.1 * i);
    r.logp[i] = (crl_real)((double)r.old_logp[i] + LOG_RATIO[i]);
    r.adv[i] = (crl_real)ADV[i];
  }
  return r;
}

static double loss_at(rows *r) {
  crl__pg_clip_result res;
  crl__pg_clipped_surrogate(M, M, r->logp, r->old_logp, r->adv, EPS, r->dlogp,
                            &res);
  return res.loss;
}

static void test_clipped_surrogate_gradient(void **state) {
  (void)state;
  rows r = make_rows();
  crl__pg_clip_result res;
  crl__pg_clipped_surrogate(M, M, r.logp, r.old_logp, r.adv, EPS, r.dlogp,
                            &res);
  crl_real grad[M];
  for (int i = 0; i < M; i++)
    grad[i] = r.dlogp[i];
  for (int i = 0; i < M; i++) {
    /* The loss is piecewise exp(logp) * const, so a central difference is
     * accurate to h^2 / 6; the step is the one the stored type can take. */
    const crl_real x = r.logp[i];
    rows p = r;
    p.logp[i] = (crl_real)((double)x + 1e-3);
    const double up = loss_at(&p);
    p.logp[i] = (crl_real)((double)x - 1e-3);
    const double down = loss_at(&p);
    const double h2 = (double)(crl_real)((double)x + 1e-3) -
                      (double)(crl_real)((double)x - 1e-3);
    const double fd = (up - down) / h2;
    if (FLAT[i]) {
      assert_true(grad[i] == 0);
      assert_true(fabs(fd) < 1e-12);
    } else {
      /* dL/dlogp_i = -r_i A_i / M, nonzero here. */
      const double ratio = exp((double)r.logp[i] - (double)r.old_logp[i]);
      const double want = -ratio * (double)r.adv[i] / M;
      assert_true(fabs(want) > 0.01);
      assert_true(fabs((double)grad[i] - want) < 1e-6 * fabs(want));
      assert_true(fabs(fd - want) < 1e-5 * fabs(want));
    }
  }
}

/* The loss, the KL estimate and the clip fraction by their definitions. */
static void test_clipped_surrogate_statistics(void **state) {
  (void)state;
  rows r = make_rows();
  crl__pg_clip_result res;
  crl__pg_clipped_surrogate(M, M, r.logp, r.old_logp, r.adv, EPS, r.dlogp,
                            &res);
  double loss = 0, kl = 0;
  int outside = 0;
  for (int i = 0; i < M; i++) {
    const double lr = (double)r.logp[i] - (double)r.old_logp[i];
    const double ratio = exp(lr), A = (double)r.adv[i];
    const double clipped = fmin(fmax(ratio, 1 - EPS), 1 + EPS);
    loss -= fmin(ratio * A, clipped * A);
    kl += ratio - 1 - lr;
    outside += fabs(ratio - 1) > EPS;
  }
  assert_int_equal(outside, 4);
  assert_true(fabs(res.loss - loss / M) < 1e-12);
  assert_true(fabs(res.approx_kl - kl / M) < 1e-12);
  assert_true(res.approx_kl > 0); /* r - 1 - ln r >= 0, > 0 off r = 1 */
  assert_true(res.clip_fraction == 4.0 / M);
  /* At ratio 1 every row is the plain policy gradient -A / M. */
  crl_real same[2] = {-1, -2}, adv[2] = {3, -1}, d[2];
  crl__pg_clipped_surrogate(2, 2, same, same, adv, EPS, d, &res);
  assert_true(fabs(res.loss - (-(3.0 - 1.0) / 2)) < 1e-12);
  assert_true(res.approx_kl == 0 && res.clip_fraction == 0);
  assert_true(d[0] == (crl_real)(-3.0 / 2) && d[1] == (crl_real)(1.0 / 2));
}

/* [1, 2, 3, 4]: mean 2.5, sum of squares 5; torch's std sqrt(5/3), numpy's
 * sqrt(5/4). */
static void test_standardize_variants(void **state) {
  (void)state;
  const double x[4] = {1, 2, 3, 4};
  const double sd[2] = {sqrt(5.0 / 4.0), sqrt(5.0 / 3.0)}; /* by ddof */
  for (int ddof = 0; ddof <= 1; ddof++) {
    crl_real a[4];
    double b[4];
    for (int i = 0; i < 4; i++) {
      a[i] = (crl_real)x[i];
      b[i] = x[i];
    }
    crl__pg_standardize(a, 4, ddof, 1);
    crl__pg_standardize_f64(b, 4, ddof, 1);
    for (int i = 0; i < 4; i++) {
      const double want = (x[i] - 2.5) / (sd[ddof] + 1e-8);
      assert_true(fabs(b[i] - want) < 1e-15);
      assert_true(a[i] == (crl_real)want); /* the same arithmetic */
    }
  }
  /* scale 0: only centred, exactly. */
  double c[4] = {1, 2, 3, 4};
  crl__pg_standardize_f64(c, 4, 1, 0);
  assert_true(c[0] == -1.5 && c[1] == -0.5 && c[2] == 0.5 && c[3] == 1.5);
  /* Fewer than two values are left alone. */
  crl_real one = 7;
  crl__pg_standardize(&one, 1, 1, 1);
  crl__pg_standardize(NULL, 0, 1, 1);
  assert_true(one == 7);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clipped_surrogate_gradient),
      cmocka_unit_test(test_clipped_surrogate_statistics),
      cmocka_unit_test(test_standardize_variants),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
