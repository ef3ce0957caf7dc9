/* Adam, gradient clipping and schedules against hand-computed references. */
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

static void test_adam_matches_reference(void **state) {
  (void)state;
  enum { N = 5 };
  crl_adam *adam = NULL;
  crl_adam_spec spec = crl_adam_spec_default();
  spec.eps = 1e-3; /* large, so that where eps enters matters */
  assert_int_equal(crl_adam_alloc(N, &spec, &adam), 0);
  crl_real x[N] = {0.5, -1.0, 2.0, 0.0, 3.0};
  double xr[N], m[N] = {0}, v[N] = {0};
  for (int i = 0; i < N; i++)
    xr[i] = x[i];
  for (int t = 1; t <= 20; t++) {
    crl_real g[N];
    double gd[N];
    for (int i = 0; i < N; i++) {
      gd[i] = g[i] = (crl_real)(sin(0.7 * t + i) * (i + 1));
    }
    crl_adam_step(adam, x, g, 0.01);
    /* PyTorch's placement of eps: m_hat / (sqrt(v)/sqrt(bc2) + eps). */
    for (int i = 0; i < N; i++) {
      m[i] = 0.9 * m[i] + 0.1 * gd[i];
      v[i] = 0.999 * v[i] + 0.001 * gd[i] * gd[i];
      double mh = m[i] / (1 - pow(0.9, t));
      double vh = v[i] / (1 - pow(0.999, t));
      xr[i] -= 0.01 * mh / (sqrt(vh) + 1e-3);
    }
  }
  for (int i = 0; i < N; i++)
    assert_true(fabs((double)x[i] - xr[i]) < TOL * 10);
  assert_int_equal(crl_adam_steps(adam), 20);
  crl_adam_free(adam);
  crl_adam_free(NULL);
}

static void test_adam_rejects_bad_spec(void **state) {
  (void)state;
  crl_adam *adam = (crl_adam *)1;
  crl_adam_spec spec = crl_adam_spec_default();
  spec.beta1 = 1.0;
  assert_int_equal(crl_adam_alloc(3, &spec, &adam), CRL_ERANGE);
  assert_null(adam);
  spec = crl_adam_spec_default();
  spec.eps = 0.0;
  assert_int_equal(crl_adam_alloc(3, &spec, &adam), CRL_ERANGE);
}

static void test_clip_grad_norm(void **state) {
  (void)state;
  crl_real g[4] = {3, 4, 0, 0}; /* norm 5 */
  double before = crl_clip_grad_norm(4, g, 1.0);
  assert_true(fabs(before - 5.0) < 1e-12);
  assert_true(fabs(crl_vec_norm(4, g) - 5.0 / (5.0 + 1e-6)) < TOL);
  assert_true(fabs((double)g[0] / (double)g[1] - 0.75) < TOL);
  crl_real h[2] = {0.3, 0.4}; /* norm 0.5: untouched */
  crl_clip_grad_norm(2, h, 1.0);
  assert_true(h[0] == (crl_real)0.3 && h[1] == (crl_real)0.4);
}

static void test_schedule(void **state) {
  (void)state;
  crl_schedule c = {.start = 0.2, .linear = 0};
  crl_schedule l = {.start = 1e-3, .linear = 1};
  assert_true(crl_schedule_value(&c, 0.3) == 0.2);
  assert_true(fabs(crl_schedule_value(&l, 1.0) - 1e-3) < 1e-18);
  assert_true(fabs(crl_schedule_value(&l, 0.25) - 2.5e-4) < 1e-18);
  assert_true(crl_schedule_value(&l, 0.0) == 0.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_adam_matches_reference),
      cmocka_unit_test(test_adam_rejects_bad_spec),
      cmocka_unit_test(test_clip_grad_norm),
      cmocka_unit_test(test_schedule),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
