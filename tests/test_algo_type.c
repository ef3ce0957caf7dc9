/* What every built-in algorithm's vtable declares beyond its parameters:
 * the steps of one iteration (steps_per_iteration) must agree with the
 * parameters that fix them (n_steps on every copy; off-policy,
 * iteration_steps in whole train_freq cycles), and crl_algo_iterate
 * starts every statistic of CRL_ALGO_STATS at NAN. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"

/* An integer parameter of spec by name, or -1 when it has none. */
static long int_param(const crl_algo_type *t, const void *spec,
                      const char *key) {
  char buf[64];
  if (crl_params_format(t->params, spec, key, buf, sizeof buf) != 0)
    return -1;
  return atol(buf);
}

/* The steps its parameters fix, or 0 when they fix none. */
static long expected_steps(const crl_algo_type *t, const void *spec,
                           int n_envs) {
  long want = int_param(t, spec, "iteration_steps");
  if (want >= 0) {
    long round = int_param(t, spec, "train_freq") * n_envs;
    return (want + round - 1) / round * round;
  }
  long n_steps = int_param(t, spec, "n_steps");
  return n_steps >= 0 ? n_steps * n_envs : 0;
}

static void check(const crl_algo_type *t, const char *key, const char *value,
                  int n_envs) {
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  if (key && crl_params_find(t->params, key))
    assert_int_equal(crl_algo_spec_set(t, spec, key, value), 0);
  long want = expected_steps(t, spec, n_envs);
  long got = t->steps_per_iteration ? t->steps_per_iteration(spec, n_envs) : 0;
  if (got != want)
    fail_msg("%s (%s=%s, n_envs %d): steps_per_iteration %ld, expected %ld",
             t->name, key ? key : "-", value ? value : "-", n_envs, got, want);
  crl_algo_spec_free(spec);
}

static void test_steps_per_iteration(void **state) {
  (void)state;
  assert_true(crl_algo_count() >= 9);
  for (int i = 0; i < crl_algo_count(); i++) {
    const crl_algo_type *t = crl_algo_at(i);
    for (int n_envs = 1; n_envs <= 5; n_envs += 2) {
      check(t, NULL, NULL, n_envs);
      check(t, "n_steps", "37", n_envs);
      check(t, "iteration_steps", "1001", n_envs);
      check(t, "train_freq", "7", n_envs);
    }
  }
  /* The off-policy rounding, by hand: 1000 steps in cycles of 3 x 7. */
  const crl_algo_type *td3 = crl_algo_find("td3");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(td3, &spec), 0);
  assert_int_equal(crl_algo_spec_set(td3, spec, "train_freq", "7"), 0);
  assert_int_equal(td3->steps_per_iteration(spec, 3), 1008);
  crl_algo_spec_free(spec);
  /* PPO: n_steps (2048 by default) on every copy. */
  const crl_algo_type *ppo = crl_algo_find("ppo");
  assert_int_equal(crl_algo_spec_alloc(ppo, &spec), 0);
  assert_int_equal(ppo->steps_per_iteration(spec, 4), 8192);
  crl_algo_spec_free(spec);
}

/* An iterate that sets nothing: what the caller sees is the library's
 * initialisation. */
static int quiet_create(const void *spec, const crl_space *obs,
                        const crl_space *act, int n_envs, uint64_t seed,
                        void **self) {
  (void)spec, (void)obs, (void)act, (void)n_envs, (void)seed;
  *self = malloc(1);
  return *self ? 0 : CRL_ENOMEM;
}
static int quiet_iterate(void *self, crl_vec_env *venv, double remaining,
                         crl_algo_stats *stats) {
  (void)self, (void)venv, (void)remaining;
  stats->steps = 1;
  return 0;
}
static int quiet_act(void *self, const crl_real *obs, int B, int det,
                     crl_real *action) {
  (void)self, (void)obs, (void)det;
  memset(action, 0, (size_t)B * sizeof *action);
  return 0;
}
static const crl_param_def quiet_params[] = {
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
static const crl_algo_type quiet_type = {.name = "quiet-test",
                                         .doc = "sets no statistic",
                                         .params = quiet_params,
                                         .spec_size = 1,
                                         .create = quiet_create,
                                         .iterate = quiet_iterate,
                                         .act = quiet_act,
                                         .destroy = free};

static void test_stats_start_at_nan(void **state) {
  (void)state;
  crl_vec_env *venv = NULL;
  crl_algo *algo = NULL;
  void *spec = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 0, &venv), 0);
  assert_int_equal(crl_algo_spec_alloc(&quiet_type, &spec), 0);
  assert_int_equal(crl_algo_alloc(&quiet_type, spec,
                                  crl_vec_env_obs_space(venv),
                                  crl_vec_env_act_space(venv), 1, 0, &algo),
                   0);
  crl_algo_stats s;
  memset(&s, 0, sizeof s);
  assert_int_equal(crl_algo_iterate(algo, venv, 0.5, &s), 0);
  assert_int_equal(s.steps, 1);
  assert_int_equal(s.n_updates, 0);
  int n = 0;
#define CHECK_NAN(name, diverged_if_infinite, doc)                             \
  assert_true(isnan(s.name));                                                  \
  n++;
  CRL_ALGO_STATS(CHECK_NAN)
#undef CHECK_NAN
  assert_int_equal(n, 8);
  crl_algo_free(algo);
  crl_algo_spec_free(spec);
  crl_vec_env_free(venv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_steps_per_iteration),
      cmocka_unit_test(test_stats_start_at_nan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
