/* Gymnasium's v5 MuJoCo tasks as envs: the reset noise distribution
 * (uniform or normal, per task), the time limit, keyword arguments and
 * their errors (each naming the key or the file), bit-for-bit determinism
 * and restored states that continue bit for bit. */
#include <unistd.h>

#include "mujoco_tasks.h"

/* ---- reset noise --------------------------------------------------------- */

typedef struct moments {
  double n, sum, sq, lo, hi, beyond; /* beyond: |x| > s */
} moments;

static void add(moments *a, double x, double s) {
  a->n++;
  a->sum += x;
  a->sq += x * x;
  a->lo = fmin(a->lo, x);
  a->hi = fmax(a->hi, x);
  a->beyond += fabs(x) > s;
}

/* U(-s, s): inside the bounds, reaching near both, mean 0, variance
 * s^2 / 3. N(0, s^2): variance s^2 and about 32 % beyond s. */
static void assert_noise(const moments *a, double s, int normal,
                         const char *what) {
  double mean = a->sum / a->n, var = a->sq / a->n - mean * mean;
  double want = normal ? s * s : s * s / 3;
  if (!(fabs(mean) < 5 * sqrt(want / a->n)))
    fail_msg("%s: mean %g", what, mean);
  if (!(fabs(var / want - 1) < 0.06))
    fail_msg("%s: variance %g, want %g", what, var, want);
  if (normal) {
    if (!(fabs(a->beyond / a->n - 0.3173) < 0.02))
      fail_msg("%s: %g beyond s", what, a->beyond / a->n);
  } else if (!(a->lo >= -s && a->hi <= s && a->lo < -0.99 * s &&
               a->hi > 0.99 * s)) {
    fail_msg("%s: range [%g, %g] for s = %g", what, a->lo, a->hi, s);
  }
}

static void check_noise(const char *name, double s, int qvel_normal) {
  task t;
  task_open(&t, name);
  crl_env_seed(t.env, 99);
  moments q = {0, 0, 0, INFINITY, -INFINITY, 0}, v = q;
  int n = 20000 / (t.m->nq + t.m->nv) + 200;
  for (int i = 0; i < n; i++) {
    if (crl_env_reset(t.env, t.obs) != 0)
      fail_msg("reset: %s", crl_last_error());
    /* The root quaternion of a free joint gets noise too, and then
     * mj_forward (MuJoCo 2.2) normalises it in qpos. */
    int free = t.m->jnt_type[0] == mjJNT_FREE;
    for (int j = 0; j < t.m->nq; j++)
      if (!free || j < 3 || j > 6)
        add(&q, t.d->qpos[j] - t.m->qpos0[j], s);
    if (free)
      assert_close(hypot(hypot(t.d->qpos[3], t.d->qpos[4]),
                         hypot(t.d->qpos[5], t.d->qpos[6])),
                   1.0, "quaternion norm");
    for (int j = 0; j < t.m->nv; j++)
      add(&v, t.d->qvel[j], s);
  }
  assert_noise(&q, s, 0, "qpos noise");
  assert_noise(&v, s, qvel_normal, "qvel noise");
  task_close(&t);
}

static void test_reset_noise(void **state) {
  (void)state;
  check_noise("Hopper-v5", 0.005, 0);
  check_noise("Walker2d-v5", 0.005, 0);
  check_noise("HalfCheetah-v5", 0.1, 1);
  check_noise("Swimmer-v5", 0.1, 0);
  check_noise("Ant-v5", 0.1, 1);
  check_noise("Humanoid-v5", 0.01, 0);
  check_noise("InvertedPendulum-v5", 0.01, 0);
  check_noise("InvertedDoublePendulum-v5", 0.1, 1);
  /* reset_noise_scale changes it; 0 gives the model's own pose. */
  const char *quiet = "Ant-v5{reset_noise_scale=0}";
  must_configure(quiet,
                 configure(quiet, "Ant-v5", "reset_noise_scale", "0", NULL));
  task t;
  task_open(&t, quiet);
  task_reset(&t, 1);
  assert_memory_equal(t.d->qpos, t.m->qpos0, (size_t)t.m->nq * sizeof(double));
  for (int j = 0; j < t.m->nv; j++)
    assert_true(t.d->qvel[j] == 0.0);
  task_close(&t);
  const char *loud = "Hopper-v5{reset_noise_scale=0.05}";
  must_configure(
      loud, configure(loud, "Hopper-v5", "reset_noise_scale", "0.05", NULL));
  check_noise(loud, 0.05, 0);
}

/* ---- time limit ---------------------------------------------------------- */

static void test_time_limit(void **state) {
  (void)state;
  task t;
  task_open(&t, "HalfCheetah-v5"); /* never terminates */
  task_reset(&t, 0);
  uint64_t s = 1;
  for (int k = 1; k <= 1000; k++) {
    task_action(&t, &s, 1.0);
    int term, trunc;
    task_step(&t, &term, &trunc);
    assert_int_equal(term, 0);
    assert_int_equal(trunc, k == 1000);
  }
  task_close(&t);
  const char *name = "HalfCheetah-v5{max_episode_steps=7}";
  must_configure(
      name, configure(name, "HalfCheetah-v5", "max_episode_steps", "7", NULL));
  assert_int_equal(crl_env_find(name)->max_episode_steps, 7);
  task_open(&t, name);
  task_reset(&t, 0);
  for (int k = 1; k <= 7; k++) {
    int trunc;
    task_step(&t, NULL, &trunc);
    assert_int_equal(trunc, k == 7);
  }
  task_close(&t);
}

/* ---- keyword arguments --------------------------------------------------- */

static void test_kwargs(void **state) {
  (void)state;
  char b[32];
  /* exclude_current_positions_from_observation: false puts x (and y)
   * first. */
  const char *all = "Hopper-v5{exclude=false}";
  must_configure(all, configure(all, "Hopper-v5",
                                "exclude_current_positions_from_observation",
                                "false", NULL));
  task t;
  task_open(&t, all);
  assert_int_equal(t.obs_dim, 12);
  task_reset(&t, 2);
  assert_obs(&t, 0, t.d->qpos[0], "qpos", 0);
  assert_obs(&t, 6, t.d->qvel[0], "qvel", 0);
  task_close(&t);
  const char *ant = "Ant-v5{no cfrc, all qpos}";
  must_configure(ant, configure(ant, "Ant-v5",
                                "include_cfrc_ext_in_observation", "false",
                                "exclude_current_positions_from_observation",
                                "false", NULL));
  task_open(&t, ant);
  assert_int_equal(t.obs_dim, 29);
  task_close(&t);
  const char *hum = "Humanoid-v5{only qpos qvel}";
  must_configure(hum,
                 configure(hum, "Humanoid-v5", "include_cinert_in_observation",
                           "false", "include_cvel_in_observation", "false",
                           "include_qfrc_actuator_in_observation", "false",
                           "include_cfrc_ext_in_observation", "false", NULL));
  task_open(&t, hum);
  assert_int_equal(t.obs_dim, 45);
  task_close(&t);
  /* frame_skip and the weights. */
  const char *fast = "Hopper-v5{frame_skip=2, weights}";
  must_configure(fast,
                 configure(fast, "Hopper-v5", "frame_skip", "2",
                           "forward_reward_weight", "3", "ctrl_cost_weight",
                           "0.5", "healthy_reward", "2", NULL));
  task_open(&t, fast);
  task_reset(&t, 1);
  uint64_t s = 3;
  task_action(&t, &s, 1.0);
  double x0 = t.d->qpos[0];
  double r = task_step(&t, NULL, NULL);
  double dt = 2 * t.m->opt.timestep;
  assert_close(t.d->time, dt, "time");
  assert_close(
      r, 3 * (t.d->qpos[0] - x0) / dt + 2 - 0.5 * sum_sq(t.act, t.act_dim),
      "reward");
  task_close(&t);
  /* main_body by name is the default body 1; healthy_z_range takes inf
   * as YAML writes it. */
  const char *named = "Ant-v5{main_body=torso}";
  must_configure(named, configure(named, "Ant-v5", "main_body", "torso",
                                  "healthy_z_range", "[0.2, .inf]", NULL));
  task a, n2;
  task_open(&a, "Ant-v5");
  task_open(&n2, named);
  task_reset(&a, 4);
  task_reset(&n2, 4);
  s = 2;
  for (int k = 0; k < 20; k++) {
    task_action(&a, &s, 1.0);
    memcpy(n2.act, a.act, sizeof a.act);
    assert_true(task_step(&a, NULL, NULL) == task_step(&n2, NULL, NULL));
  }
  task_close(&a);
  task_close(&n2);
  char value[64];
  snprintf(value, sizeof value, "[%s, inf]", num(b, 0.5));
  must_configure("Hopper-v5{z=[0.5, inf]}",
                 configure("Hopper-v5{z=[0.5, inf]}", "Hopper-v5",
                           "healthy_z_range", value, NULL));
}

/* ---- errors -------------------------------------------------------------- */

static void expect_error(const char *name, int rc, int code,
                         const char *needle1, const char *needle2) {
  if (rc != code)
    fail_msg("%s: code %d, want %d (%s)", name, rc, code, crl_last_error());
  const char *msg = crl_last_error();
  if (strstr(msg, needle1) == NULL || (needle2 && !strstr(msg, needle2)))
    fail_msg("%s: message '%s' lacks '%s' / '%s'", name, msg, needle1,
             needle2 ? needle2 : "");
  assert_null(crl_env_find(name));
}

static void test_kwarg_errors(void **state) {
  (void)state;
  expect_error("e1",
               configure("e1", "Hopper-v5", "reset_noise_scale", "-1", NULL),
               CRL_ERANGE, "reset_noise_scale", NULL);
  expect_error(
      "e2", configure("e2", "Hopper-v5", "healthy_z_range", "[1, 0.5]", NULL),
      CRL_ERANGE, "healthy_z_range", "Hopper-v5");
  expect_error(
      "e3", configure("e3", "Walker2d-v5", "healthy_angle_range", "[1]", NULL),
      CRL_ERANGE, "healthy_angle_range", NULL);
  expect_error("e4",
               configure("e4", "Hopper-v5", "healthy_z_rang", "[1, 2]", NULL),
               CRL_ENOTFOUND, "healthy_z_range", NULL);
  expect_error("e5", configure("e5", "Ant-v5", "main_body", "nosuchbody", NULL),
               CRL_ENOTFOUND, "main_body", "nosuchbody");
  expect_error("e6", configure("e6", "Ant-v5", "main_body", "99", NULL),
               CRL_ERANGE, "main_body", "ant.xml");
  expect_error(
      "e7", configure("e7", "Ant-v5", "contact_force_range", "[2, -2]", NULL),
      CRL_ERANGE, "contact_force_range", NULL);
  expect_error("e8", configure("e8", "Hopper-v5", "frame_skip", "0", NULL),
               CRL_ERANGE, "frame_skip", NULL);
  /* inf only where the range is open: reset_noise_scale is a number. */
  expect_error("e9",
               configure("e9", "Hopper-v5", "reset_noise_scale", "inf", NULL),
               CRL_EFORMAT, "reset_noise_scale", NULL);
  expect_error(
      "e10",
      configure("e10", "Hopper-v5", "healthy_z_range", "[0.7, infinity]", NULL),
      CRL_EFORMAT, "healthy_z_range", NULL);
}

/* A model that does not load, or whose joints or actuators do not fit. */
static void test_model_errors(void **state) {
  (void)state;
  expect_error(
      "m1", configure("m1", "Hopper-v5", "xml_file", "no_such_model.xml", NULL),
      CRL_EIO, "no_such_model.xml", "xml_file");
  expect_error("m2",
               configure("m2", "Hopper-v5", "xml_file", "swimmer.xml", NULL),
               CRL_EINVAL, "swimmer.xml", "joint 1 (slider2)");
  expect_error("m3",
               configure("m3", "Reacher-v5", "xml_file", "hopper.xml", NULL),
               CRL_EINVAL, "hopper.xml", "nq 6");
  expect_error("m4", configure("m4", "Ant-v5", "xml_file", "hopper.xml", NULL),
               CRL_EINVAL, "hopper.xml", "free joint");
  expect_error("m5",
               configure("m5", "Pusher-v5", "xml_file", "reacher_v5.xml", NULL),
               CRL_EINVAL, "reacher_v5.xml", "nq 4");
  char dir[] = "/tmp/crl_task_model_XXXXXX", path[64];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/loose.xml", dir);
  FILE *f = fopen(path, "w");
  fputs("<mujoco><worldbody><body><joint name='x' type='slide' axis='1 0 0'/>"
        "<joint name='y' type='slide' axis='0 1 0'/>"
        "<joint name='r' type='hinge' axis='0 0 1'/>"
        "<geom type='sphere' size='0.1'/></body></worldbody>"
        "<actuator><motor name='loose' joint='r'/></actuator></mujoco>",
        f);
  fclose(f);
  expect_error("m6", configure("m6", "Swimmer-v5", "xml_file", path, NULL),
               CRL_EINVAL, path, "actuator 0 (loose) has no ctrlrange");
  f = fopen(path, "w");
  fputs("<mujoco><worldbody><body>", f);
  fclose(f);
  expect_error("m7", configure("m7", "Swimmer-v5", "xml_file", path, NULL),
               CRL_EFORMAT, path, "xml_file");
  unlink(path);
  rmdir(dir);
  /* Another model that fits is sized from itself: Hopper on the walker. */
  must_configure("Hopper-v5{walker}",
                 configure("Hopper-v5{walker}", "Hopper-v5", "xml_file",
                           "walker2d.xml", NULL));
  task t;
  task_open(&t, "Hopper-v5{walker}");
  assert_int_equal(t.obs_dim, 17);
  assert_int_equal(crl_env_get_type(t.env)->state_dim, 34);
  task_close(&t);
  /* Stepping with a NaN action is refused and changes nothing. */
  task_open(&t, "Hopper-v5");
  task_reset(&t, 0);
  double q = t.d->qpos[0];
  t.act[1] = NAN;
  double r;
  int term, trunc;
  assert_int_equal(crl_env_step(t.env, t.act, t.obs, &r, &term, &trunc),
                   CRL_EINVAL);
  assert_true(t.d->qpos[0] == q);
  task_close(&t);
}

/* ---- determinism and state ----------------------------------------------- */

typedef struct trace {
  crl_real obs[60][512];
  double reward[60];
} trace;

static void run(task *t, uint64_t seed, int steps, trace *out) {
  task_reset(t, seed);
  uint64_t s = seed + 1;
  for (int k = 0; k < steps; k++) {
    task_action(t, &s, 1.0);
    out->reward[k] = task_step(t, NULL, NULL);
    memcpy(out->obs[k], t->obs, sizeof t->obs);
  }
}

static void test_same_seed_same_bits(void **state) {
  (void)state;
  static const char *const names[] = {"Ant-v5", "Humanoid-v5", "Pusher-v5",
                                      "Reacher-v5", "Hopper-v5"};
  static trace a, b;
  for (int i = 0; i < 5; i++) {
    task t1, t2;
    task_open(&t1, names[i]);
    task_open(&t2, names[i]);
    run(&t1, 21, 60, &a);
    run(&t2, 21, 60, &b);
    assert_memory_equal(&a, &b, sizeof a);
    run(&t2, 22, 60, &b);
    assert_memory_not_equal(a.obs[0], b.obs[0], sizeof a.obs[0]);
    task_close(&t1);
    task_close(&t2);
  }
}

/* A state taken mid-episode and restored later (in another instance)
 * continues bit for bit: observations, rewards, info. */
static void test_state_continues(void **state) {
  (void)state;
  static const char *const names[] = {
      "Ant-v5",    "Humanoid-v5", "InvertedDoublePendulum-v5",
      "Pusher-v5", "Reacher-v5",  "Walker2d-v5"};
  for (int i = 0; i < 6; i++) {
    task t, u;
    task_open(&t, names[i]);
    task_open(&u, names[i]);
    int n = crl_env_get_type(t.env)->state_dim;
    double *saved = malloc((size_t)n * sizeof *saved);
    task_reset(&t, 31);
    uint64_t s = 5;
    for (int k = 0; k < 15; k++) {
      task_action(&t, &s, 1.0);
      task_step(&t, NULL, NULL);
    }
    assert_int_equal(crl_env_get_state(t.env, saved), 0);
    uint64_t s_saved = s;
    static trace a, b;
    for (int k = 0; k < 20; k++) {
      task_action(&t, &s, 1.0);
      a.reward[k] = task_step(&t, NULL, NULL);
      memcpy(a.obs[k], t.obs, sizeof t.obs);
      a.obs[k][511] = (crl_real)info(&t, names[i][0] == 'I' ? "reward_survive"
                                                            : "reward_ctrl");
    }
    task_reset(&u, 1); /* another episode first */
    assert_int_equal(crl_env_set_state(u.env, saved), 0);
    s = s_saved;
    for (int k = 0; k < 20; k++) {
      task_action(&u, &s, 1.0);
      b.reward[k] = task_step(&u, NULL, NULL);
      memcpy(b.obs[k], u.obs, sizeof u.obs);
      b.obs[k][511] = (crl_real)info(&u, names[i][0] == 'I' ? "reward_survive"
                                                            : "reward_ctrl");
    }
    assert_memory_equal(a.reward, b.reward, 20 * sizeof(double));
    assert_memory_equal(a.obs, b.obs, 20 * sizeof a.obs[0]);
    free(saved);
    task_close(&t);
    task_close(&u);
  }
}

/* Every task passes the library's own env check. */
static void test_env_check(void **state) {
  (void)state;
  static const char *const names[] = {"Hopper-v5",
                                      "Walker2d-v5",
                                      "HalfCheetah-v5",
                                      "Swimmer-v5",
                                      "Ant-v5",
                                      "Humanoid-v5",
                                      "HumanoidStandup-v5",
                                      "InvertedPendulum-v5",
                                      "InvertedDoublePendulum-v5",
                                      "Reacher-v5",
                                      "Pusher-v5"};
  char report[2048];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (crl_env_check(crl_env_find(names[i]), 2000, 0, report, sizeof report) !=
        0)
      fail_msg("%s: %s", names[i], report);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reset_noise),
      cmocka_unit_test(test_time_limit),
      cmocka_unit_test(test_kwargs),
      cmocka_unit_test(test_kwarg_errors),
      cmocka_unit_test(test_model_errors),
      cmocka_unit_test(test_same_seed_same_bits),
      cmocka_unit_test(test_state_continues),
      cmocka_unit_test(test_env_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
