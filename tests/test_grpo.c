/* GRPO: the episodes of a group start in one state and different groups in
 * different ones; group-standardised advantages; learning on CartPole-v1;
 * resume and export; spec validation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "algos/grpo.h"
#include "crl/crl.h"
#include "io/checkpoint.h"
#include "pg_test.h"

/* After one iteration, each episode's first observation is the same within
 * its group, differs between groups, and differs from the next iteration's
 * groups. */
static void test_groups_share_start_states(void **state) {
  (void)state;
  static const char *const kv[] = {"group_size", "4",  "n_groups", "3",
                                   "batch_size", "64", NULL};
  pg_run r = pg_start("grpo", "CartPole-v1", 1, 2, kv);
  grpo *g = crl__algo_self(r.algo);
  crl_real first[2][3][4];
  for (int it = 0; it < 2; it++) {
    pg_iterate(&r, 1);
    for (int k = 0; k < 3; k++) {
      const crl_real *s0 = g->obs + (size_t)g->ep_start[k * 4] * 4;
      memcpy(first[it][k], s0, sizeof first[it][k]);
      for (int m = 1; m < 4; m++)
        assert_memory_equal(g->obs + (size_t)g->ep_start[k * 4 + m] * 4, s0,
                            4 * sizeof(crl_real));
      /* the episodes themselves differ (sampled actions) */
    }
    assert_memory_not_equal(first[it][0], first[it][1], sizeof first[0][0]);
    assert_memory_not_equal(first[it][1], first[it][2], sizeof first[0][0]);
  }
  assert_memory_not_equal(first[0][0], first[1][0], sizeof first[0][0]);
  /* Episode returns in the vec env's statistics: 12 a iteration. */
  assert_int_equal(crl_vec_env_episodes(r.venv), 24);
  pg_free(&r);
}

/* Advantages: episode mode gives every step of an episode its standardised
 * return (zero mean, unit unbiased std over the group); reward_to_go mode
 * standardises at each step over the episodes still running. */
static void test_advantages(void **state) {
  (void)state;
  static const char *const kv[] = {"group_size", "3",  "n_groups", "1",
                                   "batch_size", "16", NULL};
  pg_run r = pg_start("grpo", "CartPole-v1", 1, 0, kv);
  grpo *g = crl__algo_self(r.algo);
  /* Three episodes of lengths 2, 3, 1 with rewards 1. */
  g->n = 6;
  int starts[4] = {0, 2, 5, 6};
  memcpy(g->ep_start, starts, sizeof starts);
  for (int t = 0; t < 6; t++)
    g->rewards[t] = 1.0;
  grpo_advantages(g);
  /* returns 2, 3, 1: mean 2, std 1 -> 0, 1, -1 */
  const double want[6] = {0, 0, 1, 1, 1, -1};
  for (int t = 0; t < 6; t++)
    assert_true(fabs((double)g->adv[t] - want[t]) < 1e-6);
  g->spec.advantage = GRPO_ADV_REWARD_TO_GO;
  g->spec.gamma = 1.0;
  grpo_advantages(g);
  /* step 0: G = 2, 3, 1 -> 0, 1, -1; step 1: G = 1, 2 (mean 1.5, std
   * 0.7071) -> -0.7071, 0.7071; step 2: only episode 2 runs -> 0 */
  const double rtg[6] = {0, -M_SQRT1_2, 1, M_SQRT1_2, 0, -1};
  for (int t = 0; t < 6; t++)
    assert_true(fabs((double)g->adv[t] - rtg[t]) < 1e-6);
  g->spec.scale_by_std = 0;
  grpo_advantages(g);
  const double centred[6] = {0, -0.5, 1, 0.5, 0, -1};
  for (int t = 0; t < 6; t++)
    assert_true(fabs((double)g->adv[t] - centred[t]) < 1e-6);
  pg_free(&r);
}

static void test_cartpole_learns(void **state) {
  (void)state;
  /* experiments/cartpole/grpo.yaml: seeds 0-4 evaluate at 500 at 100k. */
  static const char *const kv[] = {"group_size",    "8",    "n_groups",   "4",
                                   "n_epochs",      "4",    "batch_size", "256",
                                   "learning_rate", "3e-3", NULL};
  double mean = pg_train_eval("grpo", "CartPole-v1", 1, 0, 100000, kv);
  assert_true(mean >= 475.0);
}

static void test_checkpoint_resume_and_export(void **state) {
  (void)state;
  static const char *const kv[] = {
      "group_size", "2",        "n_groups", "1",         "batch_size",
      "64",         "n_epochs", "2",        "advantage", "reward_to_go",
      NULL};
  static const char *const other[] = {
      "group_size", "2", "n_groups", "1", "policy_kwargs.net_arch",
      "[8]",        NULL};
  pg_check_resume_and_export("grpo", 1, kv, other);
}

static void test_spec_validation(void **state) {
  (void)state;
  const crl_algo_type *t = crl_algo_find("grpo");
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "group_size", "1"), CRL_ERANGE);
  assert_int_equal(crl_algo_spec_set(t, spec, "advantage", "steps"),
                   CRL_EFORMAT);
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("CartPole-v1", &env), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 2, 0, &algo),
                   CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "n_envs: 1"));
  /* A buffer too small for one iteration's episodes is an error. */
  assert_int_equal(crl_algo_spec_set(t, spec, "buffer_size", "50"), 0);
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 1, 0, &algo),
                   0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("CartPole-v1", 1, 0, &venv), 0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  assert_int_equal(crl_algo_iterate(algo, venv, 1.0, NULL), CRL_ESHAPE);
  assert_non_null(strstr(crl_last_error(), "buffer_size"));
  crl_vec_env_free(venv);
  crl_algo_free(algo);
  crl_env_free(env);
  crl_algo_spec_free(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_validation),
      cmocka_unit_test(test_groups_share_start_states),
      cmocka_unit_test(test_advantages),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_cartpole_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
