/* Callback envs' state: get_state/set_state slots round-trip the user's
 * numbers and the last observation (so a copy set from another continues
 * identically), incomplete slots are refused, and an env without them is
 * checkpointed without its state: the checkpoint loads (the policy is in
 * it) but the env must be reset before it steps again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/internal.h"
#include "crl/crl.h"

/* A walker on a line with its own random numbers: x += a + noise, where
 * the noise comes from the walker's generator (part of its state). */
typedef struct walker {
  double x;
  uint64_t s;
} walker;

static double noise(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) * 0x1.0p-53 - 0.5;
}

static void *walker_create(void *user) {
  (void)user;
  return calloc(1, sizeof(walker));
}

static int walker_reset(void *inst, uint64_t seed, crl_real *obs) {
  walker *w = inst;
  w->s = seed;
  w->x = noise(&w->s);
  obs[0] = (crl_real)w->x;
  return 0;
}

static int walker_step(void *inst, const crl_real *a, crl_real *obs,
                       double *reward, int *terminated) {
  walker *w = inst;
  w->x += (double)a[0] + noise(&w->s);
  obs[0] = (crl_real)w->x;
  *reward = -w->x * w->x;
  *terminated = 0;
  return 0;
}

/* The 64-bit generator as two exact 32-bit halves. */
static void walker_get(const void *inst, double *state) {
  const walker *w = inst;
  state[0] = w->x;
  state[1] = (double)(w->s >> 32);
  state[2] = (double)(w->s & 0xffffffffULL);
}

static void walker_set(void *inst, const double *state) {
  walker *w = inst;
  w->x = state[0];
  w->s = ((uint64_t)state[1] << 32) | (uint64_t)state[2];
}

static const double lo[1] = {-100}, hi[1] = {100};
static const double alo[1] = {-1}, ahi[1] = {1};

static crl_env_callbacks walker_env(const char *name, int with_state) {
  crl_env_callbacks cb = {.name = name,
                          .obs_space = {CRL_SPACE_BOX, 1, 0, lo, hi},
                          .act_space = {CRL_SPACE_BOX, 1, 0, alo, ahi},
                          .max_episode_steps = 50,
                          .create = walker_create,
                          .destroy = free,
                          .reset = walker_reset,
                          .step = walker_step};
  if (with_state) {
    cb.state_dim = 3;
    cb.get_state = walker_get;
    cb.set_state = walker_set;
  }
  return cb;
}

static void test_state_slots_round_trip(void **state) {
  (void)state;
  crl_env_callbacks cb = walker_env("StateWalker-v0", 1);
  assert_int_equal(crl_env_register_callbacks(&cb), 0);
  const crl_env_type *t = crl_env_find("StateWalker-v0");
  assert_non_null(t);
  assert_int_equal(t->state_dim, 3 + 1); /* the user's 3 and the obs */
  crl_env *a = NULL, *b = NULL;
  assert_int_equal(crl_env_make("StateWalker-v0", &a), 0);
  assert_int_equal(crl_env_make("StateWalker-v0", &b), 0);
  crl_env_seed(a, 7);
  crl_real oa[1], ob[1], act[1] = {(crl_real)0.25};
  double ra, rb, s[4];
  int ta, tb, ua, ub;
  assert_int_equal(crl_env_reset(a, oa), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(crl_env_step(a, act, oa, &ra, &ta, &ua), 0);
  assert_int_equal(crl_env_get_state(a, s), 0);
  assert_true(s[3] == (double)oa[0]);
  /* b was never reset: set_state alone makes it a's twin. */
  assert_int_equal(crl_env_set_state(b, s), 0);
  assert_int_equal(crl_env_observe(b, ob), 0);
  assert_memory_equal(oa, ob, sizeof oa);
  for (int i = 0; i < 10; i++) {
    act[0] = (crl_real)(0.1 * i - 0.5);
    assert_int_equal(crl_env_step(a, act, oa, &ra, &ta, &ua), 0);
    assert_int_equal(crl_env_step(b, act, ob, &rb, &tb, &ub), 0);
    assert_memory_equal(oa, ob, sizeof oa);
    assert_memory_equal(&ra, &rb, sizeof ra);
  }
  char report[2048];
  assert_int_equal(crl_env_check(t, 500, 3, report, sizeof report), 0);
  crl_env_free(a);
  crl_env_free(b);
}

static void test_incomplete_slots_refused(void **state) {
  (void)state;
  crl_env_callbacks cb = walker_env("HalfWalker-v0", 1);
  cb.set_state = NULL;
  assert_int_equal(crl_env_register_callbacks(&cb), CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "get_state and set_state go"));
  cb = walker_env("HalfWalker-v0", 1);
  cb.state_dim = 0;
  assert_int_equal(crl_env_register_callbacks(&cb), CRL_EINVAL);
  assert_null(crl_env_find("HalfWalker-v0"));
}

/* PPO on an env without state: saved, loaded into a fresh run, whose env
 * then refuses to step until it is reset. */
static void test_stateless_checkpoint(void **state) {
  (void)state;
  crl_env_callbacks cb = walker_env("PlainWalker-v0", 0);
  assert_int_equal(crl_env_register_callbacks(&cb), 0);
  const crl_algo_type *ppo = crl_algo_find("ppo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(ppo, &spec), 0);
  assert_int_equal(crl_algo_spec_set(ppo, spec, "n_steps", "32"), 0);
  assert_int_equal(crl_algo_spec_set(ppo, spec, "batch_size", "32"), 0);
  crl_vec_env *v1 = NULL, *v2 = NULL;
  crl_algo *a1 = NULL, *a2 = NULL;
  assert_int_equal(crl_vec_env_make("PlainWalker-v0", 2, 1, &v1), 0);
  assert_int_equal(crl_vec_env_make("PlainWalker-v0", 2, 1, &v2), 0);
  assert_int_equal(crl_algo_alloc(ppo, spec, crl_vec_env_obs_space(v1),
                                  crl_vec_env_act_space(v1), 2, 1, &a1),
                   0);
  assert_int_equal(crl_algo_alloc(ppo, spec, crl_vec_env_obs_space(v2),
                                  crl_vec_env_act_space(v2), 2, 1, &a2),
                   0);
  assert_int_equal(crl_vec_env_reset(v1), 0);
  crl_algo_stats st;
  assert_int_equal(crl_algo_iterate(a1, v1, 1.0, &st), 0);
  char path[64];
  snprintf(path, sizeof path, "test_env_state_%d.ckpt", (int)getpid());
  assert_int_equal(crl_algo_checkpoint_save(a1, v1, path), 0);
  assert_int_equal(crl_vec_env_reset(v2), 0);
  assert_int_equal(crl_algo_checkpoint_load(a2, v2, path), 0);
  remove(path);
  crl_real actions[2] = {0, 0};
  assert_int_equal(crl_vec_env_step(v2, actions), CRL_ESTATE);
  assert_int_equal(crl_vec_env_reset(v2), 0);
  assert_int_equal(crl_vec_env_step(v2, actions), 0);
  crl_algo_free(a1);
  crl_algo_free(a2);
  crl_vec_env_free(v1);
  crl_vec_env_free(v2);
  crl_algo_spec_free(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_state_slots_round_trip),
      cmocka_unit_test(test_incomplete_slots_refused),
      cmocka_unit_test(test_stateless_checkpoint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
