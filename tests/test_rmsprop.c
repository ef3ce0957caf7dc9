/* RMSprop against a hand-computed reference (torch.optim.RMSprop's
 * update), and its spec checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crl/crl.h"

#if CRL_REAL_IS_DOUBLE
#define TOL 1e-12
#else
#define TOL 1e-5
#endif

/* Two steps by hand, alpha 0.9, eps 0.1, lr 0.5, from p = 1, g = 2 then
 * g = -1:
 *   v1 = 0.1 * 4 = 0.4                  p1 = 1 - 0.5 * 2 / (sqrt(0.4) + 0.1)
 *   v2 = 0.9 * 0.4 + 0.1 * 1 = 0.46     p2 = p1 + 0.5 / (sqrt(0.46) + 0.1) */
static void test_two_steps_by_hand(void **state) {
  (void)state;
  crl_rmsprop_spec spec = {.alpha = 0.9, .eps = 0.1};
  crl_rmsprop *opt = NULL;
  assert_int_equal(crl_rmsprop_alloc(1, &spec, &opt), 0);
  crl_real p = 1, g = 2;
  crl_rmsprop_step(opt, &p, &g, 0.5);
  double p1 = 1.0 - 1.0 / (sqrt(0.4) + 0.1);
  assert_true(fabs((double)p - p1) < TOL);
  assert_true(fabs((double)crl_rmsprop_v(opt)[0] - 0.4) < TOL);
  g = -1;
  crl_rmsprop_step(opt, &p, &g, 0.5);
  double p2 = p1 + 0.5 / (sqrt(0.46) + 0.1);
  assert_true(fabs((double)p - p2) < TOL);
  assert_true(fabs((double)crl_rmsprop_v(opt)[0] - 0.46) < TOL);
  crl_rmsprop_free(opt);
}

/* Twenty steps on five parameters against the same recurrence in double,
 * with SB3 A2C's settings (alpha 0.99, eps 1e-5). */
static void test_matches_reference(void **state) {
  (void)state;
  enum { N = 5 };
  crl_rmsprop_spec spec = crl_rmsprop_spec_default();
  assert_true(spec.alpha == 0.99 && spec.eps == 1e-8);
  spec.eps = 1e-5;
  crl_rmsprop *opt = NULL;
  assert_int_equal(crl_rmsprop_alloc(N, &spec, &opt), 0);
  crl_real x[N] = {0.5, -1.0, 2.0, 0.0, 3.0};
  double xr[N], v[N] = {0};
  for (int i = 0; i < N; i++)
    xr[i] = x[i];
  for (int t = 1; t <= 20; t++) {
    crl_real g[N];
    for (int i = 0; i < N; i++)
      g[i] = (crl_real)(sin(0.7 * t + i) * (i + 1));
    crl_rmsprop_step(opt, x, g, 7e-4);
    for (int i = 0; i < N; i++) {
      double gd = (double)g[i];
      v[i] = 0.99 * v[i] + 0.01 * gd * gd;
      xr[i] -= 7e-4 * gd / (sqrt(v[i]) + 1e-5);
    }
  }
  for (int i = 0; i < N; i++)
    assert_true(fabs((double)x[i] - xr[i]) < TOL * 10);
  crl_rmsprop_free(opt);
  crl_rmsprop_free(NULL);
}

static void test_rejects_bad_spec(void **state) {
  (void)state;
  crl_rmsprop *opt = (crl_rmsprop *)1;
  crl_rmsprop_spec spec = {.alpha = 1.0, .eps = 1e-8};
  assert_int_equal(crl_rmsprop_alloc(3, &spec, &opt), CRL_ERANGE);
  assert_null(opt);
  spec = (crl_rmsprop_spec){.alpha = 0.99, .eps = 0.0};
  assert_int_equal(crl_rmsprop_alloc(3, &spec, &opt), CRL_ERANGE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_steps_by_hand),
      cmocka_unit_test(test_matches_reference),
      cmocka_unit_test(test_rejects_bad_spec),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
