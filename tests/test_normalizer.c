/* Running mean/std: the merged statistics equal those of all data at once,
 * whatever the batch split. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crl/crl.h"

enum { D = 3, N = 1000 };

static void fill(crl_real *x) {
  for (int i = 0; i < N; i++) {
    x[i * D + 0] = (crl_real)(5.0 + 2.0 * sin(0.37 * i));
    x[i * D + 1] = (crl_real)(-1.0 + 0.01 * cos(1.3 * i));
    x[i * D + 2] = (crl_real)(i % 7);
  }
}

static void reference(const crl_real *x, double *mean, double *var) {
  for (int j = 0; j < D; j++) {
    double m = 0, v = 0;
    for (int i = 0; i < N; i++)
      m += x[i * D + j];
    m /= N;
    for (int i = 0; i < N; i++)
      v += (x[i * D + j] - m) * (x[i * D + j] - m);
    mean[j] = m;
    var[j] = v / N;
  }
}

static void test_batches_merge_exactly(void **state) {
  (void)state;
  static crl_real x[N * D];
  fill(x);
  double mean[D], var[D];
  reference(x, mean, var);
  const int splits[][4] = {
      {1000, 0, 0, 0}, {1, 999, 0, 0}, {300, 300, 400, 0}, {7, 93, 500, 400}};
  for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
    crl_normalizer *n = NULL;
    assert_int_equal(crl_normalizer_alloc(D, 10.0, &n), 0);
    int at = 0;
    for (int k = 0; k < 4 && splits[s][k] > 0; k++) {
      crl_normalizer_update(n, x + at * D, splits[s][k]);
      at += splits[s][k];
    }
    assert_int_equal(at, N);
    /* The initial pseudo-count 1e-4 (at mean 0, var 1) perturbs the
     * statistics by about 1e-4 / N relative. */
    for (int j = 0; j < D; j++) {
      assert_true(fabs(n->mean[j] - mean[j]) < 1e-6 * (1 + fabs(mean[j])));
      assert_true(fabs(n->var[j] - var[j]) < 1e-6 * (1 + var[j]));
    }
    crl_normalizer_free(n);
  }
}

static void test_apply_whitens_and_clips(void **state) {
  (void)state;
  static crl_real x[N * D], z[N * D];
  fill(x);
  crl_normalizer *n = NULL;
  assert_int_equal(crl_normalizer_alloc(D, 3.0, &n), 0);
  crl_normalizer_update(n, x, N);
  crl_normalizer_apply(n, x, N, z);
  /* Columns 0 and 2 (column 1's tiny variance is dominated by the prior
   * pseudo-count, as in SB3). */
  for (int j = 0; j < 3; j += 2) {
    double m = 0, v = 0;
    for (int i = 0; i < N; i++)
      m += z[i * D + j];
    m /= N;
    for (int i = 0; i < N; i++)
      v += (z[i * D + j] - m) * (z[i * D + j] - m);
    assert_true(fabs(m) < 1e-4);
    assert_true(fabs(v / N - 1.0) < 1e-3);
  }
  crl_real far[D] = {1e6, -1e6, 0};
  crl_normalizer_apply(n, far, 1, far);
  assert_true(far[0] == 3 && far[1] == -3);
  crl_normalizer_free(n);
  crl_normalizer_free(NULL);
}

static void test_rejects_bad_arguments(void **state) {
  (void)state;
  crl_normalizer *n = NULL;
  assert_int_equal(crl_normalizer_alloc(0, 10.0, &n), CRL_EINVAL);
  assert_int_equal(crl_normalizer_alloc(3, 0.0, &n), CRL_EINVAL);
  assert_null(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batches_merge_exactly),
      cmocka_unit_test(test_apply_whitens_and_clips),
      cmocka_unit_test(test_rejects_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
