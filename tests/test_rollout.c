/* GAE against a direct computation, and the terminated/truncated rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "crl/crl.h"

#if CRL_REAL_IS_DOUBLE
#define TOL 1e-12
#else
#define TOL 1e-4
#endif

enum { T = 6, N = 2 };

/* Fill a rollout where copy 0 terminates at t = 2 and copy 1 is truncated
 * at t = 3; rewards r = t + 1 + 10 i, values v = 0.5 t - i. */
static void fill(crl_rollout *ro, double gamma, const crl_real *final_v) {
  for (int t = 0; t < T; t++) {
    crl_real obs[N] = {(crl_real)t, (crl_real)t}, act[N] = {0, 1};
    crl_real logp[N] = {-1, -2};
    crl_real v[N] = {(crl_real)(0.5 * t), (crl_real)(0.5 * t - 1)};
    double r[N] = {t + 1.0, t + 11.0};
    int term[N] = {t == 2, 0}, trunc[N] = {0, t == 3};
    assert_int_equal(
        crl_rollout_add(ro, obs, act, logp, v, r, term, trunc, final_v, gamma),
        0);
  }
}

/* Advantage by its definition: sum_l (gamma lambda)^l delta_{t+l}, stopping
 * at the end of an episode, where delta uses 0 after termination and the
 * final value after truncation. */
static double direct_adv(int i, int t, double gamma, double lam,
                         const double *last, double final_v) {
  int end = i == 0 ? 2 : 3;
  double adv = 0, w = 1;
  for (int s = t; s < T; s++) {
    double v = i == 0 ? 0.5 * s : 0.5 * s - 1;
    double r = i == 0 ? s + 1.0 : s + 11.0;
    double next;
    if (s == end)
      next = i == 0 ? 0.0 : final_v; /* terminated vs truncated */
    else if (s == T - 1)
      next = last[i];
    else
      next = i == 0 ? 0.5 * (s + 1) : 0.5 * (s + 1) - 1;
    adv += w * (r + gamma * next - v);
    if (s == end)
      break;
    w *= gamma * lam;
  }
  return adv;
}

static void test_gae_matches_definition(void **state) {
  (void)state;
  const double gamma = 0.9, lam = 0.8;
  crl_rollout *ro = NULL;
  assert_int_equal(crl_rollout_alloc(T, N, 1, 1, &ro), 0);
  crl_real final_v[N] = {123.0, 7.5}; /* copy 0's is never read */
  fill(ro, gamma, final_v);
  crl_real last[N] = {4.0, -3.0};
  double lastd[N] = {4.0, -3.0};
  assert_int_equal(crl_rollout_compute_gae(ro, last, gamma, lam), 0);
  for (int t = 0; t < T; t++)
    for (int i = 0; i < N; i++) {
      /* After the episode ends, a new one starts at t = end + 1. */
      double want;
      int end = i == 0 ? 2 : 3;
      if (t <= end)
        want = direct_adv(i, t, gamma, lam, lastd, 7.5);
      else {
        want = 0;
        double w = 1;
        for (int s = t; s < T; s++) {
          double v = i == 0 ? 0.5 * s : 0.5 * s - 1;
          double r = i == 0 ? s + 1.0 : s + 11.0;
          double next = s == T - 1
                            ? lastd[i]
                            : (i == 0 ? 0.5 * (s + 1) : 0.5 * (s + 1) - 1);
          want += w * (r + gamma * next - v);
          w *= gamma * lam;
        }
      }
      size_t k = (size_t)t * N + i;
      assert_true(fabs((double)ro->advantages[k] - want) <
                  TOL * (1 + fabs(want)));
      assert_true(
          fabs((double)ro->returns[k] - (want + (double)ro->values[k])) <
          TOL * (1 + fabs(want)));
    }
  crl_rollout_free(ro);
}

static void test_truncation_needs_final_values(void **state) {
  (void)state;
  crl_rollout *ro = NULL;
  assert_int_equal(crl_rollout_alloc(2, 1, 1, 1, &ro), 0);
  crl_real o = 0, a = 0, lp = 0, v = 0;
  double r = 1;
  int term = 0, trunc = 1;
  assert_int_equal(
      crl_rollout_add(ro, &o, &a, &lp, &v, &r, &term, &trunc, NULL, 0.9),
      CRL_EINVAL);
  /* Terminated and truncated together: no bootstrap, no final value needed. */
  term = 1;
  assert_int_equal(
      crl_rollout_add(ro, &o, &a, &lp, &v, &r, &term, &trunc, NULL, 0.9), 0);
  assert_true(ro->rewards[0] == 1.0);
  crl_rollout_free(ro);
}

static void test_capacity_and_state_errors(void **state) {
  (void)state;
  crl_rollout *ro = NULL;
  assert_int_equal(crl_rollout_alloc(0, 1, 1, 1, &ro), CRL_EINVAL);
  assert_int_equal(crl_rollout_alloc(1, 1, 1, 1, &ro), 0);
  crl_real o = 0, a = 0, lp = 0, v = 0;
  double r = 1;
  int term = 0, trunc = 0;
  assert_int_equal(crl_rollout_compute_gae(ro, &v, 0.9, 0.9), CRL_ESTATE);
  assert_int_equal(
      crl_rollout_add(ro, &o, &a, &lp, &v, &r, &term, &trunc, NULL, 0.9), 0);
  assert_int_equal(
      crl_rollout_add(ro, &o, &a, &lp, &v, &r, &term, &trunc, NULL, 0.9),
      CRL_ESHAPE);
  crl_rollout_clear(ro);
  assert_int_equal(ro->pos, 0);
  crl_rollout_free(ro);
  crl_rollout_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gae_matches_definition),
      cmocka_unit_test(test_truncation_needs_final_values),
      cmocka_unit_test(test_capacity_and_state_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
