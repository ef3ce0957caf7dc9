/* Built-in environments' contract apart from their trajectories (those are
 * test_envs.c): Gymnasium's reset distributions, stepping before reset,
 * action validation, CartPoleContinuous's force and the registry. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/env.h"
#include "crl/error.h"

/* Gymnasium's reset distribution: each state component ~ U[lo, hi). */
typedef struct reset_range {
  const char *env;
  double lo[4], hi[4];
  int f32; /* Acrobot: the state is rounded to float32 (may reach +-0.1f) */
} reset_range;

static const reset_range reset_ranges[] = {
    {"Pendulum-v1", {-M_PI, -1.0}, {M_PI, 1.0}, 0},
    {"CartPole-v1", {-0.05, -0.05, -0.05, -0.05}, {0.05, 0.05, 0.05, 0.05}, 0},
    {"CartPoleContinuous-v1",
     {-0.05, -0.05, -0.05, -0.05},
     {0.05, 0.05, 0.05, 0.05},
     0},
    {"MountainCarContinuous-v0", {-0.6, 0.0}, {-0.4, 0.0}, 0},
    {"Acrobot-v1", {-0.1, -0.1, -0.1, -0.1}, {0.1, 0.1, 0.1, 0.1}, 1},
};

static void test_reset_ranges(void **state) {
  (void)state;
  enum { SEEDS = 2000 };
  for (size_t k = 0; k < sizeof reset_ranges / sizeof reset_ranges[0]; k++) {
    const reset_range *rr = &reset_ranges[k];
    crl_env *env = NULL;
    assert_int_equal(crl_env_make(rr->env, &env), 0);
    int ns = crl_env_get_type(env)->state_dim;
    int nobs = crl_env_obs_space(env)->dim;
    double lo_seen[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    double hi_seen[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    crl_real first[8], obs[8], again[8];
    for (int seed = 0; seed < SEEDS; seed++) {
      crl_env_seed(env, (uint64_t)seed);
      assert_int_equal(crl_env_reset(env, obs), 0);
      assert_int_equal(crl_env_elapsed_steps(env), 0);
      double st[4];
      assert_int_equal(crl_env_get_state(env, st), 0);
      for (int i = 0; i < ns; i++) {
        double lo = rr->lo[i], hi = rr->hi[i];
        int ok = rr->f32 ? st[i] >= (double)(float)lo &&
                               st[i] <= (double)(float)hi &&
                               st[i] == (double)(float)st[i]
                         : st[i] >= lo && (lo == hi ? st[i] == hi : st[i] < hi);
        if (!ok)
          fail_msg("%s seed %d: reset state[%d] = %.17g outside [%g, %g)",
                   rr->env, seed, i, st[i], lo, hi);
        if (st[i] < lo_seen[i])
          lo_seen[i] = st[i];
        if (st[i] > hi_seen[i])
          hi_seen[i] = st[i];
      }
      /* The reset observation is the observation of the reset state. */
      assert_int_equal(crl_env_observe(env, again), 0);
      assert_memory_equal(obs, again, (size_t)nobs * sizeof(crl_real));
      if (seed == 0)
        memcpy(first, obs, sizeof first);
      else if (memcmp(first, obs, (size_t)nobs * sizeof(crl_real)) == 0)
        fail_msg("%s: seeds 0 and %d give the same initial observation",
                 rr->env, seed);
    }
    /* Over 2000 draws the samples must cover the range, not just sit in it. */
    for (int i = 0; i < ns; i++) {
      double span = rr->hi[i] - rr->lo[i];
      assert_true(lo_seen[i] <= rr->lo[i] + 0.01 * span);
      assert_true(hi_seen[i] >= rr->hi[i] - 0.01 * span);
    }
    /* Same seed, same initial observation; a reset without re-seeding
     * continues the stream. */
    crl_env_seed(env, 0);
    assert_int_equal(crl_env_reset(env, obs), 0);
    assert_memory_equal(obs, first, (size_t)nobs * sizeof(crl_real));
    assert_int_equal(crl_env_reset(env, obs), 0);
    assert_memory_not_equal(obs, first, (size_t)nobs * sizeof(crl_real));
    crl_env_free(env);
  }
}

static void test_step_before_reset(void **state) {
  (void)state;
  for (int k = 0; k < 5; k++) {
    crl_env *env = NULL;
    assert_int_equal(crl_env_make(crl_env_at(k)->name, &env), 0);
    crl_real a = 0, obs[8];
    double r;
    int term, trunc;
    assert_int_equal(crl_env_step(env, &a, obs, &r, &term, &trunc), CRL_ESTATE);
    crl_env_free(env);
  }
}

/* A rejected action fails with CRL_EINVAL and changes nothing. */
static void expect_rejected(const char *name, crl_real a) {
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(name, &env), 0);
  crl_env_seed(env, 7);
  assert_int_equal(crl_env_reset(env, NULL), 0);
  double before[4], after[4];
  assert_int_equal(crl_env_get_state(env, before), 0);
  crl_clear_error();
  crl_real obs[8];
  double r;
  int term, trunc;
  int rc = crl_env_step(env, &a, obs, &r, &term, &trunc);
  if (rc != CRL_EINVAL)
    fail_msg("%s: action %g gave %s, expected CRL_EINVAL", name, (double)a,
             crl_errname(rc));
  assert_non_null(strstr(crl_last_error(), name));
  assert_non_null(strstr(crl_last_error(), "action"));
  assert_int_equal(crl_env_elapsed_steps(env), 0);
  assert_int_equal(crl_env_get_state(env, after), 0);
  assert_memory_equal(
      before, after, (size_t)crl_env_get_type(env)->state_dim * sizeof(double));
  crl_env_free(env);
}

static void expect_accepted(const char *name, crl_real a) {
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(name, &env), 0);
  assert_int_equal(crl_env_reset(env, NULL), 0);
  crl_real obs[8];
  double r;
  int term, trunc;
  int rc = crl_env_step(env, &a, obs, &r, &term, &trunc);
  if (rc != 0)
    fail_msg("%s: action %g rejected: %s", name, (double)a, crl_last_error());
  crl_env_free(env);
}

static void test_invalid_actions(void **state) {
  (void)state;
  const crl_real bad[] = {2, (crl_real)0.5, -1, NAN, INFINITY, (crl_real)1e30};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_rejected("CartPole-v1", bad[i]);
  const crl_real bad3[] = {3, (crl_real)1.5, -1, NAN, -INFINITY};
  for (size_t i = 0; i < sizeof bad3 / sizeof bad3[0]; i++)
    expect_rejected("Acrobot-v1", bad3[i]);
  expect_accepted("CartPole-v1", 0);
  expect_accepted("CartPole-v1", 1);
  expect_accepted("CartPole-v1", (crl_real)-0.0);
  expect_accepted("Acrobot-v1", 2);
  /* Box envs: NaN is rejected; out-of-range and infinite values clip. */
  const char *box[] = {"Pendulum-v1", "CartPoleContinuous-v1",
                       "MountainCarContinuous-v0"};
  for (int i = 0; i < 3; i++) {
    expect_rejected(box[i], NAN);
    expect_accepted(box[i], 5);
    expect_accepted(box[i], -INFINITY);
  }
}

/* CartPoleContinuous: 0 is no force; beyond +-1 clips to +-1. */
static void test_cartpole_continuous_force(void **state) {
  (void)state;
  const double s0[4] = {0.01, -0.02, 0.03, 0.04};
  crl_env *cont = NULL, *disc = NULL;
  assert_int_equal(crl_env_make("CartPoleContinuous-v1", &cont), 0);
  assert_int_equal(crl_env_make("CartPole-v1", &disc), 0);
  double sc[4], sd[4];
  crl_real obs[4];
  double r;
  int term, trunc;
  const crl_real pairs[][2] = {{(crl_real)7.5, 1}, {-3, 0}, {1, 1}, {-1, 0}};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(crl_env_reset(cont, NULL), 0);
    assert_int_equal(crl_env_reset(disc, NULL), 0);
    assert_int_equal(crl_env_set_state(cont, s0), 0);
    assert_int_equal(crl_env_set_state(disc, s0), 0);
    assert_int_equal(crl_env_step(cont, &pairs[i][0], obs, &r, &term, &trunc),
                     0);
    assert_int_equal(crl_env_step(disc, &pairs[i][1], obs, &r, &term, &trunc),
                     0);
    crl_env_get_state(cont, sc);
    crl_env_get_state(disc, sd);
    assert_memory_equal(sc, sd, sizeof sc);
  }
  /* Zero force: the cart accelerates only through the pole's reaction. */
  crl_real zero = 0;
  assert_int_equal(crl_env_set_state(cont, s0), 0);
  assert_int_equal(crl_env_step(cont, &zero, obs, &r, &term, &trunc), 0);
  crl_env_get_state(cont, sc);
  assert_true(sc[0] == 0.01 + 0.02 * -0.02); /* explicit Euler */
  assert_true(fabs(sc[1] - -0.02) < 1e-3);
  crl_env_free(cont);
  crl_env_free(disc);
}

static void test_registry(void **state) {
  (void)state;
  static const char *const names[] = {"Pendulum-v1", "CartPole-v1",
                                      "CartPoleContinuous-v1",
                                      "MountainCarContinuous-v0", "Acrobot-v1"};
  static const int limits[] = {200, 500, 500, 999, 500};
  static const int obs_dims[] = {3, 4, 4, 2, 6};
  static const int act_n[] = {0, 2, 0, 0, 3}; /* 0: Box of dim 1 */
  assert_true(crl_env_count() >= 5);
  for (int i = 0; i < 5; i++) {
    const crl_env_type *t = crl_env_at(i);
    assert_non_null(t);
    assert_string_equal(t->name, names[i]);
    assert_ptr_equal(crl_env_find(names[i]), t);
    assert_int_equal(t->max_episode_steps, limits[i]);
    assert_non_null(t->doc);
    crl_env *env = NULL;
    assert_int_equal(crl_env_make(names[i], &env), 0);
    assert_int_equal(crl_env_obs_space(env)->kind, CRL_SPACE_BOX);
    assert_int_equal(crl_env_obs_space(env)->dim, obs_dims[i]);
    const crl_space *as = crl_env_act_space(env);
    assert_int_equal(as->kind, act_n[i] ? CRL_SPACE_DISCRETE : CRL_SPACE_BOX);
    assert_int_equal(as->dim, 1);
    assert_int_equal(as->n, act_n[i]);
    crl_env_free(env);
  }
  crl_env *env = (crl_env *)1;
  assert_int_equal(crl_env_make("Pendulum-v2", &env), CRL_ENOTFOUND);
  assert_null(env);
  assert_non_null(strstr(crl_last_error(), "Pendulum-v2"));
  assert_non_null(strstr(crl_last_error(), "did you mean 'Pendulum-v1'"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reset_ranges),
      cmocka_unit_test(test_step_before_reset),
      cmocka_unit_test(test_invalid_actions),
      cmocka_unit_test(test_cartpole_continuous_force),
      cmocka_unit_test(test_registry),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
