/* Gymnasium's v5 fixed-base tasks (InvertedPendulum, InvertedDoublePendulum,
 * Reacher, Pusher): the observation read back from mjData, the reward
 * terms and info recomputed, termination, the reset distributions (the
 * Reacher's target disc, the Pusher's object placement) and the time
 * limits. */
#include "mujoco_tasks.h"

static double dist3(const double *a, const double *b) {
  double x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
  return sqrt(x * x + y * y + z * z);
}

static void test_inverted_pendulum(void **state) {
  (void)state;
  static const char *const names[] = {"reward_survive"};
  task t;
  task_open(&t, "InvertedPendulum-v5");
  uint64_t s = 2;
  task_reset(&t, 4);
  assert_int_equal(crl_mujoco_info_count(t.env), 0); /* reset info is {} */
  int ended = 0, k = 0;
  for (; k < 1000 && !ended; k++) {
    task_action(&t, &s, 1.0);
    int term;
    double r = task_step(&t, &term, NULL);
    const double *q = t.d->qpos, *v = t.d->qvel;
    assert_obs(&t, 0, q[0], "qpos", 0);
    assert_obs(&t, 1, q[1], "qpos", 1);
    assert_obs(&t, 2, v[0], "qvel", 0);
    assert_obs(&t, 3, v[1], "qvel", 1);
    int out = fabs(q[1]) > 0.2;
    assert_int_equal(term, out);
    /* v5: no reward on the step that ends the episode. */
    assert_true(r == (out ? 0.0 : 1.0));
    assert_info_names(&t, names, 1);
    assert_true(info(&t, "reward_survive") == r);
    ended = term;
  }
  assert_true(ended && k > 1);
  task_close(&t);
}

static void test_inverted_double_pendulum(void **state) {
  (void)state;
  static const char *const names[] = {"reward_survive", "distance_penalty",
                                      "velocity_penalty"};
  task t;
  task_open(&t, "InvertedDoublePendulum-v5");
  uint64_t s = 5;
  task_reset(&t, 6);
  int ended = 0;
  for (int k = 0; k < 1000 && !ended; k++) {
    task_action(&t, &s, 1.0);
    int term;
    double r = task_step(&t, &term, NULL);
    const double *q = t.d->qpos, *v = t.d->qvel;
    assert_obs(&t, 0, q[0], "qpos", 0);
    assert_obs(&t, 1, sin(q[1]), "sin qpos", 1);
    assert_obs(&t, 2, sin(q[2]), "sin qpos", 2);
    assert_obs(&t, 3, cos(q[1]), "cos qpos", 1);
    assert_obs(&t, 4, cos(q[2]), "cos qpos", 2);
    for (int i = 0; i < 3; i++)
      assert_obs(&t, 5 + i, clipd(v[i], -10, 10), "qvel", i);
    double fc = t.d->qfrc_constraint[0];
    assert_obs(&t, 8, clipd(fc, -10, 10), "qfrc_constraint", 0);
    const double *tip = t.d->site_xpos; /* site 0 */
    int down = tip[2] <= 1;
    assert_int_equal(term, down);
    double dist = 0.01 * tip[0] * tip[0] + (tip[2] - 2) * (tip[2] - 2);
    double vel = 1e-3 * v[1] * v[1] + 5e-3 * v[2] * v[2];
    assert_close(r, (down ? 0 : 10) - dist - vel, "reward");
    assert_info_names(&t, names, 3);
    assert_close(info(&t, "distance_penalty"), -dist, "distance_penalty");
    assert_close(info(&t, "velocity_penalty"), -vel, "velocity_penalty");
    assert_true(info(&t, "reward_survive") == (down ? 0 : 10));
    ended = term;
  }
  assert_true(ended);
  task_close(&t);
}

static void test_reacher(void **state) {
  (void)state;
  static const char *const names[] = {"reward_dist", "reward_ctrl"};
  task t;
  task_open(&t, "Reacher-v5");
  int tip = mj_name2id(t.m, mjOBJ_BODY, "fingertip");
  int target = mj_name2id(t.m, mjOBJ_BODY, "target");
  uint64_t s = 8;
  task_reset(&t, 1);
  for (int k = 1; k <= 50; k++) {
    task_action(&t, &s, 1.0);
    int term, trunc;
    double r = task_step(&t, &term, &trunc);
    const double *q = t.d->qpos, *v = t.d->qvel, *x = t.d->xpos;
    assert_obs(&t, 0, cos(q[0]), "cos", 0);
    assert_obs(&t, 1, cos(q[1]), "cos", 1);
    assert_obs(&t, 2, sin(q[0]), "sin", 0);
    assert_obs(&t, 3, sin(q[1]), "sin", 1);
    assert_obs(&t, 4, q[2], "qpos", 2);
    assert_obs(&t, 5, q[3], "qpos", 3);
    assert_obs(&t, 6, v[0], "qvel", 0);
    assert_obs(&t, 7, v[1], "qvel", 1);
    assert_obs(&t, 8, x[3 * tip] - x[3 * target], "tip - target", 0);
    assert_obs(&t, 9, x[3 * tip + 1] - x[3 * target + 1], "tip - target", 1);
    double dist = -dist3(x + 3 * tip, x + 3 * target);
    double ctrl = -sum_sq(t.act, t.act_dim);
    assert_close(r, dist + ctrl, "reward");
    assert_info_names(&t, names, 2);
    assert_close(info(&t, "reward_dist"), dist, "reward_dist");
    assert_close(info(&t, "reward_ctrl"), ctrl, "reward_ctrl");
    assert_int_equal(term, 0);
    assert_int_equal(trunc, k == 50);
  }
  task_close(&t);
}

/* Arm angles qpos0 + U(-0.1, 0.1), target uniform on the disc of radius
 * 0.2 (E[r^2] = 0.02), arm velocities U(-0.005, 0.005), target still. */
static void test_reacher_reset(void **state) {
  (void)state;
  task t;
  task_open(&t, "Reacher-v5");
  crl_env_seed(t.env, 17);
  const int n = 3000;
  double r2 = 0, rmax = 0, amax = 0, vmax = 0;
  for (int i = 0; i < n; i++) {
    if (crl_env_reset(t.env, t.obs) != 0)
      fail_msg("reset: %s", crl_last_error());
    const double *q = t.d->qpos, *v = t.d->qvel;
    double r = hypot(q[2], q[3]);
    assert_true(r < 0.2);
    r2 += r * r / n;
    rmax = fmax(rmax, r);
    amax = fmax(amax, fmax(fabs(q[0]), fabs(q[1])));
    vmax = fmax(vmax, fmax(fabs(v[0]), fabs(v[1])));
    assert_true(v[2] == 0.0 && v[3] == 0.0);
  }
  assert_true(fabs(r2 - 0.02) < 0.001);
  assert_true(rmax > 0.195 && amax <= 0.1 && amax > 0.099);
  assert_true(vmax <= 0.005 && vmax > 0.00499);
  task_close(&t);
}

static void test_pusher(void **state) {
  (void)state;
  static const char *const names[] = {"reward_dist", "reward_ctrl",
                                      "reward_near"};
  task t;
  task_open(&t, "Pusher-v5");
  int ids[3] = {mj_name2id(t.m, mjOBJ_BODY, "tips_arm"),
                mj_name2id(t.m, mjOBJ_BODY, "object"),
                mj_name2id(t.m, mjOBJ_BODY, "goal")};
  uint64_t s = 12;
  task_reset(&t, 3);
  for (int k = 1; k <= 100; k++) {
    task_action(&t, &s, 1.0);
    int term, trunc;
    double r = task_step(&t, &term, &trunc);
    const double *x = t.d->xpos;
    int o = 0;
    for (int i = 0; i < 7; i++)
      assert_obs(&t, o++, t.d->qpos[i], "qpos", i);
    for (int i = 0; i < 7; i++)
      assert_obs(&t, o++, t.d->qvel[i], "qvel", i);
    for (int b = 0; b < 3; b++)
      for (int i = 0; i < 3; i++)
        assert_obs(&t, o++, x[3 * ids[b] + i], "xpos", b);
    double near = -dist3(x + 3 * ids[1], x + 3 * ids[0]) * 0.5;
    double dist = -dist3(x + 3 * ids[1], x + 3 * ids[2]);
    double ctrl = -sum_sq(t.act, t.act_dim) * 0.1;
    assert_close(r, dist + ctrl + near, "reward");
    assert_info_names(&t, names, 3);
    assert_close(info(&t, "reward_near"), near, "reward_near");
    assert_close(info(&t, "reward_dist"), dist, "reward_dist");
    assert_int_equal(term, 0);
    assert_int_equal(trunc, k == 100);
  }
  task_close(&t);
}

/* The arm at qpos0, the object in [-0.3, 0] x [-0.2, 0.2] more than 0.17
 * from the goal at 0, velocities U(-0.005, 0.005) but the last four 0. */
static void test_pusher_reset(void **state) {
  (void)state;
  task t;
  task_open(&t, "Pusher-v5");
  crl_env_seed(t.env, 5);
  double lo0 = 1, hi0 = -1, lo1 = 1, hi1 = -1, vmax = 0;
  for (int i = 0; i < 2000; i++) {
    if (crl_env_reset(t.env, t.obs) != 0)
      fail_msg("reset: %s", crl_last_error());
    const double *q = t.d->qpos, *v = t.d->qvel;
    for (int j = 0; j < 7; j++)
      assert_true(q[j] == t.m->qpos0[j]);
    assert_true(hypot(q[7], q[8]) > 0.17);
    assert_true(q[9] == 0.0 && q[10] == 0.0);
    lo0 = fmin(lo0, q[7]);
    hi0 = fmax(hi0, q[7]);
    lo1 = fmin(lo1, q[8]);
    hi1 = fmax(hi1, q[8]);
    for (int j = 0; j < 7; j++)
      vmax = fmax(vmax, fabs(v[j]));
    for (int j = 7; j < 11; j++)
      assert_true(v[j] == 0.0);
  }
  assert_true(lo0 >= -0.3 && lo0 < -0.29 && hi0 <= 0 && hi0 > -0.01);
  assert_true(lo1 >= -0.2 && lo1 < -0.19 && hi1 <= 0.2 && hi1 > 0.19);
  assert_true(vmax <= 0.005 && vmax > 0.00499);
  task_close(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inverted_pendulum),
      cmocka_unit_test(test_inverted_double_pendulum),
      cmocka_unit_test(test_reacher),
      cmocka_unit_test(test_reacher_reset),
      cmocka_unit_test(test_pusher),
      cmocka_unit_test(test_pusher_reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
