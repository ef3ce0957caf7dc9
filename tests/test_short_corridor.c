/* ShortCorridor-v0 (S&B Example 13.1): every transition, the constant
 * observation, the time limit, and v*(S0) = -(6 + 4 sqrt 2) reached by
 * p(right) = 2 - sqrt 2, both by solving the Bellman equations of the
 * fixed stochastic policy and by simulation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>
#include <gsl/gsl_linalg.h>

#include "crl/crl.h"

#define NAME "ShortCorridor-v0"

static crl_env *make(void) {
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(NAME, &env), 0);
  return env;
}

/* Put the env in state s, take action a; check where it lands. */
static void check_transition(crl_env *env, int s, int a, int want,
                             int want_terminated) {
  crl_real obs[1];
  assert_int_equal(crl_env_reset(env, obs), 0);
  double state = s;
  assert_int_equal(crl_env_set_state(env, &state), 0);
  crl_real action = (crl_real)a;
  double reward = 0;
  int term = -1, trunc = -1;
  assert_int_equal(crl_env_step(env, &action, obs, &reward, &term, &trunc), 0);
  assert_int_equal(crl_env_get_state(env, &state), 0);
  assert_int_equal((int)state, want);
  assert_true(reward == -1.0);
  assert_int_equal(term, want_terminated);
  assert_int_equal(trunc, 0);
  assert_true(obs[0] == 1);
}

static void test_transitions(void **unused) {
  (void)unused;
  crl_env *env = make();
  const int L = 0, R = 1, G = 3;
  check_transition(env, 0, L, 0, 0); /* left in S0 stays put */
  check_transition(env, 0, R, 1, 0);
  check_transition(env, 1, L, 2, 0); /* switched: left goes right */
  check_transition(env, 1, R, 0, 0); /* switched: right goes left */
  check_transition(env, 2, L, 1, 0);
  check_transition(env, 2, R, G, 1);
  crl_env_free(env);
}

static void test_spaces_and_observation(void **unused) {
  (void)unused;
  crl_env *env = make();
  const crl_space *o = crl_env_obs_space(env), *a = crl_env_act_space(env);
  assert_int_equal(o->kind, CRL_SPACE_BOX);
  assert_int_equal(o->dim, 1);
  assert_int_equal(a->kind, CRL_SPACE_DISCRETE);
  assert_int_equal(a->n, 2);
  /* The same observation in every state, including after reset. */
  crl_real first[1], obs[1];
  assert_int_equal(crl_env_reset(env, first), 0);
  double state;
  assert_int_equal(crl_env_get_state(env, &state), 0);
  assert_true(state == 0.0); /* every episode starts in S0 */
  for (int s = 0; s <= 3; s++) {
    double x = s;
    assert_int_equal(crl_env_set_state(env, &x), 0);
    assert_int_equal(crl_env_observe(env, obs), 0);
    assert_memory_equal(obs, first, sizeof obs);
  }
  /* Invalid actions are errors, not silently truncated. */
  crl_real bad = (crl_real)0.5;
  double r;
  int term, trunc;
  assert_int_equal(crl_env_reset(env, obs), 0);
  assert_int_equal(crl_env_step(env, &bad, obs, &r, &term, &trunc), CRL_EINVAL);
  crl_env_free(env);
}

static void test_time_limit(void **unused) {
  (void)unused;
  crl_env *env = make();
  crl_real obs[1], left = 0;
  double r;
  int term = 0, trunc = 0, steps = 0;
  assert_int_equal(crl_env_reset(env, obs), 0);
  while (!term && !trunc) {
    assert_int_equal(crl_env_step(env, &left, obs, &r, &term, &trunc), 0);
    steps++;
  }
  assert_int_equal(term, 0);
  assert_int_equal(steps, 1000);
  crl_env_free(env);
}

/* v_p(S0) of the policy P(right) = p: the Bellman equations
 *   v = -1 + P v (P over non-terminal states) solved with GSL. */
static double value_s0(double p) {
  double m[9] = {0}, b[3] = {-1, -1, -1};
  /* (I - P) v = -1 */
  const double P[3][3] = {{1 - p, p, 0}, {p, 0, 1 - p}, {0, 1 - p, 0}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      m[3 * i + j] = (i == j) - P[i][j];
  gsl_matrix_view A = gsl_matrix_view_array(m, 3, 3);
  gsl_vector_view bv = gsl_vector_view_array(b, 3);
  gsl_vector *v = gsl_vector_alloc(3);
  gsl_permutation *perm = gsl_permutation_alloc(3);
  int sign;
  gsl_linalg_LU_decomp(&A.matrix, perm, &sign);
  gsl_linalg_LU_solve(&A.matrix, perm, &bv.vector, v);
  double v0 = gsl_vector_get(v, 0);
  gsl_vector_free(v);
  gsl_permutation_free(perm);
  return v0;
}

static void test_optimal_value_exact(void **unused) {
  (void)unused;
  const double p_star = 2 - sqrt(2.0), v_star = -(6 + 4 * sqrt(2.0));
  assert_true(fabs(value_s0(p_star) - v_star) < 1e-9);
  /* Closed form, and p* is the maximum over a fine grid. */
  for (double p = 0.01; p < 1.0; p += 0.01) {
    double closed = -2 * (2 - p) / (p * (1 - p));
    assert_true(fabs(value_s0(p) - closed) < 1e-9 * fabs(closed));
    assert_true(value_s0(p) <= v_star + 1e-12);
  }
  /* P(right) = 0.05, Figure 13.1's start: about -82. */
  assert_true(fabs(value_s0(0.05) + 82.105) < 1e-3);
}

static void test_optimal_value_simulated(void **unused) {
  (void)unused;
  const double p_star = 2 - sqrt(2.0), v_star = -(6 + 4 * sqrt(2.0));
  crl_env *env = make();
  gsl_rng *rng = crl_rng_alloc(7, 1000);
  const int episodes = 200000;
  double sum = 0, sq = 0;
  for (int e = 0; e < episodes; e++) {
    crl_real obs[1];
    assert_int_equal(crl_env_reset(env, obs), 0);
    double ret = 0, r;
    int term = 0, trunc = 0;
    while (!term && !trunc) {
      crl_real a = gsl_rng_uniform(rng) < p_star ? 1 : 0;
      assert_int_equal(crl_env_step(env, &a, obs, &r, &term, &trunc), 0);
      ret += r;
    }
    sum += ret;
    sq += ret * ret;
  }
  double mean = sum / episodes;
  double se = sqrt((sq / episodes - mean * mean) / episodes);
  printf("# simulated v(S0) at p*: %.3f +- %.3f (exact %.3f)\n", mean, se,
         v_star);
  assert_true(fabs(mean - v_star) < 4 * se);
  gsl_rng_free(rng);
  crl_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transitions),
      cmocka_unit_test(test_spaces_and_observation),
      cmocka_unit_test(test_time_limit),
      cmocka_unit_test(test_optimal_value_exact),
      cmocka_unit_test(test_optimal_value_simulated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
