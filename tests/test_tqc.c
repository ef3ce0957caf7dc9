/* TQC: the quantile Huber loss against an independent computation and its
 * gradient against finite differences, the truncated target mixture
 * against a naive one, its settings, and learning Pendulum-v1 in the small
 * configuration the other off-policy learners use (determinism, resume
 * and export are in test_offpolicy.c with DDPG, TD3 and SAC). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/rng.h"
#include "offpolicy_algo.h"
#include "offpolicy_learn.h"
#include "rl/quantile.h"

enum { B = 3, NQ = 5, NT = 7, NC = 3 };

/* rho_tau(u) = |tau - 1{u < 0}| huber(u), u = target - quantile, written
 * from the paper's definition rather than from quantile.c. */
static double rho(double tau, double u) {
  const double huber = fabs(u) <= 1.0 ? 0.5 * u * u : fabs(u) - 0.5;
  return (u < 0.0 ? 1.0 - tau : tau) * huber;
}

static double reference_loss(const crl_real *z, const crl_real *y,
                             double scale) {
  double sum = 0.0;
  for (int i = 0; i < B; i++)
    for (int q = 0; q < NQ; q++)
      for (int j = 0; j < NT; j++)
        sum += rho((2.0 * q + 1.0) / (2.0 * NQ),
                   (double)y[i * NT + j] - (double)z[i * NQ + q]);
  return scale * sum;
}

static void test_quantile_huber(void **state) {
  (void)state;
  gsl_rng *rng = crl_rng_alloc(3, 0);
  crl_real z[B * NQ], y[B * NT], dz[B * NQ], scratch[B * NQ];
  /* spread over [-3, 3] so that both branches of huber are taken */
  for (int i = 0; i < B * NQ; i++)
    z[i] = (crl_real)gsl_ran_flat(rng, -3, 3);
  for (int i = 0; i < B * NT; i++)
    y[i] = (crl_real)gsl_ran_flat(rng, -3, 3);
  const double scale = 1.0 / (B * NQ * NT);
  const double loss = crl__quantile_huber(B, NQ, NT, z, y, scale, dz);
  assert_true(fabs(loss - reference_loss(z, y, scale)) <= 1e-12);
  /* central differences in double on the reference (the loss is piecewise
   * quadratic, so a small step away from the kinks is exact to rounding) */
  for (int k = 0; k < B * NQ; k++) {
    const double h = 1e-3;
    memcpy(scratch, z, sizeof z);
    scratch[k] = (crl_real)(z[k] + h);
    double up = reference_loss(scratch, y, scale);
    scratch[k] = (crl_real)(z[k] - h);
    double down = reference_loss(scratch, y, scale);
    double num = (up - down) /
                 ((double)(crl_real)(z[k] + h) - (double)(crl_real)(z[k] - h));
    if (fabs(num - dz[k]) > 1e-4 * fmax(1.0, fabs(num)))
      fail_msg("dz[%d] = %g, finite differences %g", k, (double)dz[k], num);
  }
  gsl_rng_free(rng);
}

static int compare_real(const void *a, const void *b) {
  const crl_real x = *(const crl_real *)a, y = *(const crl_real *)b;
  return (x > y) - (x < y);
}

static void test_truncation(void **state) {
  (void)state;
  gsl_rng *rng = crl_rng_alloc(4, 0);
  crl_real z[NC * B * NQ], out[B * NC * NQ];
  double scratch[NC * NQ];
  for (int i = 0; i < NC * B * NQ; i++)
    z[i] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  z[4] = z[B * NQ + 1]; /* a tie between critics */
  const int keep = (NQ - 2) * NC;
  crl__quantile_truncate(B, NC, NQ, keep, z, scratch, out);
  for (int i = 0; i < B; i++) {
    crl_real row[NC * NQ];
    for (int k = 0; k < NC; k++)
      memcpy(row + k * NQ, z + ((size_t)k * B + i) * NQ, NQ * sizeof *row);
    qsort(row, NC * NQ, sizeof *row, compare_real);
    assert_memory_equal(out + (size_t)i * keep, row, keep * sizeof *row);
  }
  gsl_rng_free(rng);
}

static int make_tqc(const char *const *kv, crl_algo **out) {
  return make("tqc", "Pendulum-v1", kv, 0, out);
}

static void test_settings(void **state) {
  (void)state;
  static const char *const too_many[] = {"policy_kwargs.n_quantiles", "5",
                                         "top_quantiles_to_drop_per_net", "5",
                                         NULL};
  crl_algo *a = NULL;
  assert_int_equal(make_tqc(too_many, &a), CRL_EINVAL);
  assert_null(a);
  assert_non_null(strstr(crl_last_error(),
                         "tqc: top_quantiles_to_drop_per_net 5 must be below "
                         "policy_kwargs.n_quantiles 5"));
  static const char *const none_dropped[] = {"policy_kwargs.n_quantiles",
                                             "5",
                                             "top_quantiles_to_drop_per_net",
                                             "0",
                                             "policy_kwargs.net_arch",
                                             "[8]",
                                             NULL};
  assert_int_equal(make_tqc(none_dropped, &a), 0);
  crl_algo_free(a);
  /* SAC has no quantile keys; TQC's defaults are sb3-contrib's */
  void *spec = NULL;
  const crl_algo_type *sac = crl_algo_find("sac");
  assert_int_equal(crl_algo_spec_alloc(sac, &spec), 0);
  assert_int_equal(
      crl_algo_spec_set(sac, spec, "policy_kwargs.n_quantiles", "25"),
      CRL_ENOTFOUND);
  crl_algo_spec_free(spec);
  const crl_algo_type *t = crl_algo_find("tqc");
  assert_string_equal(
      crl_params_find(t->params, "policy_kwargs.n_quantiles")->default_text,
      "25");
  assert_string_equal(
      crl_params_find(t->params, "top_quantiles_to_drop_per_net")->default_text,
      "2");
}

static void test_pendulum_learns(void **state) {
  (void)state;
  static const char *const kv[] = {SMALL_PENDULUM_KEYS,
                                   "ent_coef",
                                   "auto_0.5",
                                   "target_entropy",
                                   "-1",
                                   "policy_kwargs.n_quantiles",
                                   "10",
                                   NULL};
  assert_true(train_best_eval("tqc", kv, 0, 7000, 4000) >= -400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantile_huber),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_settings),
      cmocka_unit_test(test_pendulum_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
