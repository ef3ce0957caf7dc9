/* crl_env_check finds what it should on broken envs and nothing on the
 * built-in ones; plain-callback envs register, run in a vec env and pass. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"

static void test_builtin_envs_pass(void **state) {
  (void)state;
  char report[2048];
  for (int i = 0; i < crl_env_count(); i++) {
    const crl_env_type *t = crl_env_at(i);
    int rc = crl_env_check(t, 3000, 1, report, sizeof report);
    if (rc)
      fail_msg("%s: %s", t->name, report);
  }
}

/* A configurable broken env. */
typedef struct broken {
  int t;
  int flaw;
} broken;
enum {
  FLAW_OVERFLOW = 1,
  FLAW_NAN = 2,
  FLAW_UNSEEDED = 3,
  FLAW_INF_BOUND = 4,
  FLAW_NAN_BOUND = 5
};

static const double lo2[2] = {-1, -1}, hi2[2] = {1, 1}, nan_lo2[2] = {-1, NAN};
static const double inf_hi[1] = {INFINITY}, neg1[1] = {-1};
static int counter_of_resets; /* makes FLAW_UNSEEDED depend on history */

static int broken_init(void *self, crl_space *obs, crl_space *act) {
  broken *b = self;
  *obs = (crl_space){CRL_SPACE_BOX, 2, 0,
                     b->flaw == FLAW_NAN_BOUND ? nan_lo2 : lo2, hi2};
  if (b->flaw == FLAW_INF_BOUND)
    *act = (crl_space){CRL_SPACE_BOX, 1, 0, neg1, inf_hi};
  else
    *act = (crl_space){CRL_SPACE_BOX, 1, 0, neg1, hi2};
  return 0;
}
static int broken_reset(void *self, gsl_rng *rng) {
  broken *b = self;
  (void)rng;
  b->t = b->flaw == FLAW_UNSEEDED ? ++counter_of_resets : 0;
  return 0;
}
static int broken_step(void *self, const crl_real *a, double *r, int *term) {
  broken *b = self;
  (void)a;
  b->t++;
  *r = 1;
  *term = 0;
  return 0;
}
static void broken_observe(const void *self, crl_real *obs) {
  const broken *b = self;
  obs[0] = (crl_real)b->t;
  obs[1] = b->flaw == FLAW_NAN && b->t == 7 ? (crl_real)NAN : 0;
  if (b->flaw == FLAW_OVERFLOW)
    obs[2] = 1; /* one value too many */
}

static void expect_problem(int flaw, const char *needle) {
  broken tmpl = {0, flaw};
  crl_env_type t = {.name = "Broken",
                    .self_size = sizeof(broken),
                    .max_episode_steps = 20,
                    .init = broken_init,
                    .reset = broken_reset,
                    .step = broken_step,
                    .observe = broken_observe,
                    .self_template = &tmpl};
  char report[1024];
  assert_int_equal(crl_env_check(&t, 50, 0, report, sizeof report), CRL_EINVAL);
  if (strstr(report, needle) == NULL)
    fail_msg("expected '%s' in the report:\n%s", needle, report);
}

static void test_broken_envs_are_reported(void **state) {
  (void)state;
  expect_problem(FLAW_OVERFLOW, "wrote past the 2 observation values");
  expect_problem(FLAW_NAN, "step 6: observation[1] is not finite");
  expect_problem(FLAW_UNSEEDED, "same seed gave a different first observation");
  expect_problem(FLAW_INF_BOUND, "bound 0 is not finite");
  expect_problem(FLAW_NAN_BOUND, "observation space bound 1 is NaN");
  /* obs[0] counts the steps: 2 leaves the declared box [-1, 1] */
  expect_problem(0, "step 1: observation[0] = 2 is outside the declared box "
                    "[-1, 1]");
}

/* ---- callbacks: a 1-D point mass that must reach x = 1 ---- */
typedef struct point {
  double x;
  int instances_alive;
} point;
static point shared_counter;

static void *point_create(void *user) {
  ((point *)user)->instances_alive++;
  return calloc(1, sizeof(point));
}
static void point_destroy(void *inst) {
  shared_counter.instances_alive--;
  free(inst);
}
static int point_reset(void *inst, uint64_t seed, crl_real *obs) {
  point *p = inst;
  p->x = (double)(seed % 1000) / 1000.0 - 0.5; /* in [-0.5, 0.5) */
  obs[0] = (crl_real)p->x;
  return 0;
}
static int point_step(void *inst, const crl_real *a, crl_real *obs,
                      double *reward, int *terminated) {
  point *p = inst;
  if (isnan((double)a[0]))
    return crl_fail(CRL_EINVAL, "point: NaN action");
  p->x += 0.1 * (double)a[0];
  obs[0] = (crl_real)p->x;
  *reward = -fabs(1.0 - p->x);
  *terminated = p->x >= 1.0;
  return 0;
}

static const double plo[1] = {-10}, phi[1] = {10}, alo[1] = {-1}, ahi[1] = {1};

static void test_callback_env(void **state) {
  (void)state;
  crl_env_callbacks cb = {.name = "Point-test",
                          .doc = "a point mass",
                          .obs_space = {CRL_SPACE_BOX, 1, 0, plo, phi},
                          .act_space = {CRL_SPACE_BOX, 1, 0, alo, ahi},
                          .max_episode_steps = 50,
                          .user = &shared_counter,
                          .create = point_create,
                          .destroy = point_destroy,
                          .reset = point_reset,
                          .step = point_step};
  assert_int_equal(crl_env_register_callbacks(&cb), 0);
  assert_int_equal(crl_env_register_callbacks(&cb), CRL_EINVAL); /* taken */
  char report[512];
  assert_int_equal(
      crl_env_check(crl_env_find("Point-test"), 500, 3, report, sizeof report),
      0);
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Point-test", 3, 9, &v), 0);
  assert_int_equal(shared_counter.instances_alive, 3); /* one per copy */
  assert_int_equal(crl_vec_env_reset(v), 0);
  const crl_real *o = crl_vec_env_obs(v);
  assert_true(o[0] != o[1] && o[1] != o[2]); /* copies seeded apart */
  crl_real a[3] = {1, 1, 1};
  for (int k = 0; k < 30; k++)
    assert_int_equal(crl_vec_env_step(v, a), 0);
  assert_true(crl_vec_env_episodes(v) >= 3); /* each reached x = 1 */
  a[1] = (crl_real)NAN;
  assert_int_equal(crl_vec_env_step(v, a), CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "NaN action"));
  crl_vec_env_free(v);
  assert_int_equal(shared_counter.instances_alive, 0);
}

/* ---- a hostile user env: silent failures and non-finite outputs ---- */
typedef struct hostile {
  int steps;
} hostile;
static int hostile_mode; /* 0: NaN observation, 1: Inf reward, 2: silent EIO */

static void *hostile_create(void *user) {
  (void)user;
  return calloc(1, sizeof(hostile));
}
static void hostile_destroy(void *inst) {
  free(inst);
}
static int hostile_reset(void *inst, uint64_t seed, crl_real *obs) {
  (void)seed;
  ((hostile *)inst)->steps = 0;
  obs[0] = 0;
  return 0;
}
static int hostile_step(void *inst, const crl_real *a, crl_real *obs,
                        double *reward, int *terminated) {
  (void)a;
  hostile *h = inst;
  h->steps++;
  obs[0] = hostile_mode == 0 && h->steps == 3 ? (crl_real)NAN : 0;
  *reward = hostile_mode == 1 && h->steps == 3 ? INFINITY : 0.0;
  *terminated = 0;
  return hostile_mode == 2 && h->steps == 3 ? CRL_EIO : 0; /* no crl_fail */
}

static void test_hostile_env(void **state) {
  (void)state;
  crl_env_callbacks cb = {.name = "Hostile-test",
                          .doc = "fails in the ways users' envs do",
                          .obs_space = {CRL_SPACE_BOX, 1, 0, plo, phi},
                          .act_space = {CRL_SPACE_BOX, 1, 0, alo, ahi},
                          .max_episode_steps = 50,
                          .create = hostile_create,
                          .destroy = hostile_destroy,
                          .reset = hostile_reset,
                          .step = hostile_step};
  assert_int_equal(crl_env_register_callbacks(&cb), 0);
  const char *want[] = {
      ("(copy 0) returned a non-finite observation from step at vec-env "
       "step 2 (obs[0] = nan)"),
      "(copy 0) returned a non-finite reward at vec-env step 2 (inf)",
      "step failed with CRL_EIO"};
  const int codes[] = {CRL_ENONFINITE, CRL_ENONFINITE, CRL_EIO};
  for (hostile_mode = 0; hostile_mode < 3; hostile_mode++) {
    crl_vec_env *v = NULL;
    assert_int_equal(crl_vec_env_make("Hostile-test", 1, 0, &v), 0);
    crl_real a[1] = {0};
    assert_int_equal(crl_vec_env_reset(v), 0);
    assert_int_equal(crl_vec_env_step(v, a), 0);
    assert_int_equal(crl_vec_env_step(v, a), 0);
    /* an earlier, unrelated failure must not lend its message */
    crl_env *none = NULL;
    assert_int_not_equal(crl_env_make("NoSuchEnv-v0", &none), 0);
    assert_int_equal(crl_vec_env_step(v, a), codes[hostile_mode]);
    if (strstr(crl_last_error(), want[hostile_mode]) == NULL ||
        strstr(crl_last_error(), "Hostile-test") == NULL)
      fail_msg("mode %d: '%s'", hostile_mode, crl_last_error());
    assert_null(strstr(crl_last_error(), "NoSuchEnv"));
    crl_vec_env_free(v);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_builtin_envs_pass),
      cmocka_unit_test(test_broken_envs_are_reported),
      cmocka_unit_test(test_callback_env),
      cmocka_unit_test(test_hostile_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
