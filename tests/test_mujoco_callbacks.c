/* MuJoCo envs described from C (crl_mujoco_register): the callbacks see
 * current positions, end episodes and extend the observation; and state a
 * callback keeps in mjData's userdata is checkpointed with the env. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <mujoco/mujoco.h>

#include "mujoco_env_test.h"
#include "pg_test.h"

/* ---- the C callback API -------------------------------------------------- */

typedef struct counters {
  int rewards, resets;
} counters;

static double cb_reward(const mjModel *m, const mjData *d, const double *action,
                        int *terminated, void *user) {
  (void)m;
  counters *c = user;
  c->rewards++;
  if (d->time > 0.5)
    *terminated = 1;
  return -action[0] * action[0];
}

static int cb_reset(const mjModel *m, mjData *d, gsl_rng *rng, void *user) {
  (void)m;
  counters *c = user;
  c->resets++;
  d->qpos[0] = 0.5 * gsl_rng_uniform(rng);
  return 0;
}

static void cb_observe(const mjModel *m, const mjData *d, double *out,
                       void *user) {
  (void)user;
  int cart = mj_name2id(m, mjOBJ_BODY, "cart");
  out[0] = d->xpos[3 * cart];
  out[1] = d->time;
}

static void test_callbacks(void **state) {
  (void)state;
  counters c = {0, 0};
  const char *keys[] = {"obs_qvel", "alive_bonus"};
  const char *values[] = {"none", "1"};
  crl_mujoco_spec spec = {.model = model_path("inverted_pendulum.xml"),
                          .n_settings = 2,
                          .keys = keys,
                          .values = values,
                          .reward = cb_reward,
                          .reset = cb_reset,
                          .obs_extra = 2,
                          .observe = cb_observe,
                          .user = &c};
  assert_int_equal(crl_mujoco_register("mj_cb", &spec), 0);
  assert_int_equal(crl_mujoco_register("mj_cb", &spec), CRL_EINVAL);
  crl_env *env = make("mj_cb");
  assert_int_equal(crl_env_obs_space(env)->dim, 2 + 2);
  crl_real obs[4];
  double r;
  int term = 0, steps = 0;
  assert_int_equal(crl_env_reset(env, obs), 0);
  assert_int_equal(c.resets, 1);
  assert_true(obs[0] == obs[2]); /* qpos[0] is the cart's x */
  assert_true(obs[0] > 0.0f);
  while (!term) {
    step(env, 0.5f, obs, &r, &term);
    steps++;
    assert_true(r == 1.0 - 0.25);
  }
  assert_int_equal(c.rewards, steps);
  assert_true(obs[3] >= 0.5f); /* the callback ended it at d->time > 0.5 */
  /* The cart's x from the callback matches qpos: positions are current. */
  assert_true(obs[0] == obs[2]);
  crl_env_free(env);
}

/* A callback env whose episodes carry state of their own: the reset
 * callback draws a target into d->userdata, the reward reads it. Its
 * state is the env's (get_state/set_state include userdata), so a PPO run
 * on it checkpoints mid-episode and resumes bit for bit; with the target
 * forgotten on load, the resumed run would be rewarded otherwise. */
static int target_reset(const mjModel *m, mjData *d, gsl_rng *rng, void *user) {
  (void)m, (void)user;
  d->userdata[0] = gsl_ran_flat(rng, -0.5, 0.5);
  return 0;
}

static double target_reward(const mjModel *m, const mjData *d,
                            const double *action, int *terminated, void *user) {
  (void)m, (void)action, (void)terminated, (void)user;
  const double e = d->qpos[0] - d->userdata[0];
  return -e * e;
}

static void target_observe(const mjModel *m, const mjData *d, double *out,
                           void *user) {
  (void)m, (void)user;
  out[0] = d->userdata[0];
}

static void test_callback_state_resumes(void **state) {
  (void)state;
  char path[128];
  snprintf(path, sizeof path, "/tmp/crl_test_target_%d.xml", (int)getpid());
  write_file(path,
             "<mujoco><size nuserdata=\"1\"/><worldbody><body name=\"b\">"
             "<joint name=\"x\" type=\"slide\" axis=\"1 0 0\"/>"
             "<geom type=\"sphere\" size=\"0.1\" mass=\"1\"/></body>"
             "</worldbody><actuator><motor joint=\"x\" ctrllimited=\"true\" "
             "ctrlrange=\"-1 1\"/>"
             "</actuator></mujoco>");
  const char *keys[] = {"max_episode_steps", "frame_skip"};
  const char *values[] = {"150", "2"};
  crl_mujoco_spec spec = {.model = path,
                          .n_settings = 2,
                          .keys = keys,
                          .values = values,
                          .reward = target_reward,
                          .reset = target_reset,
                          .obs_extra = 1,
                          .observe = target_observe};
  if (crl_mujoco_register("mj_target", &spec) != 0)
    fail_msg("register: %s", crl_last_error());
  static const char *const kv[] = {"n_steps",  "64", "batch_size", "32",
                                   "n_epochs", "2",  NULL};
  pg_check_resume("ppo", "mj_target", 2, kv, NULL);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_callbacks),
      cmocka_unit_test(test_callback_state_resumes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
