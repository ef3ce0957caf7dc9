/* Gymnasium's v5 locomotion tasks (Hopper, Walker2d, HalfCheetah, Swimmer,
 * Ant, Humanoid, HumanoidStandup): spaces and sizes, the observation read
 * back from mjData element by element, every reward term and info value
 * recomputed from mjData, termination at the edges of each healthy range,
 * the reset noise distribution, the time limit, keyword arguments and
 * their errors, and bit-for-bit determinism. The fixed-base tasks are in
 * test_mujoco_fixed_base.c. */
#include "mujoco_tasks.h"

/* ---- sizes --------------------------------------------------------------- */

typedef struct sizes {
  const char *name;
  int obs, act, frame_skip, steps;
  double bound; /* ctrlrange: [-bound, bound] */
  int extra;    /* values of mjData beyond the adapter's state */
} sizes;

static void test_sizes(void **state) {
  (void)state;
  /* extra: Ant xpos + cfrc_ext (14 bodies x 9), Humanoid xipos, cinert,
   * cvel, cfrc_ext (14 x 25) + qfrc_actuator (23), Standup without xipos,
   * InvertedDoublePendulum site_xpos (3) + qfrc_constraint (3), Reacher
   * and Pusher xpos. */
  static const sizes all[] = {
      {"Hopper-v5", 11, 3, 4, 1000, 1, 0},
      {"Walker2d-v5", 17, 6, 4, 1000, 1, 0},
      {"HalfCheetah-v5", 17, 6, 5, 1000, 1, 0},
      {"Swimmer-v5", 8, 2, 4, 1000, 1, 0},
      {"Ant-v5", 105, 8, 5, 1000, 1, 14 * 9},
      {"Humanoid-v5", 348, 17, 5, 1000, 0.4, 14 * 25 + 23},
      {"HumanoidStandup-v5", 348, 17, 5, 1000, 0.4, 14 * 22 + 23},
      {"InvertedPendulum-v5", 4, 1, 2, 1000, 3, 0},
      {"InvertedDoublePendulum-v5", 9, 1, 5, 1000, 1, 6},
      {"Reacher-v5", 10, 2, 2, 50, 1, 5 * 3},
      {"Pusher-v5", 23, 7, 5, 100, 2, 13 * 3},
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    const sizes *s = &all[i];
    task t;
    task_open(&t, s->name);
    const crl_env_type *type = crl_env_get_type(t.env);
    assert_int_equal(t.obs_dim, s->obs);
    assert_int_equal(t.act_dim, s->act);
    assert_int_equal(t.m->nu, s->act);
    assert_int_equal(type->max_episode_steps, s->steps);
    assert_int_equal(type->state_dim,
                     1 + t.m->nq + 2 * t.m->nv + t.m->na + t.m->nu + s->extra);
    const crl_space *a = crl_env_act_space(t.env);
    for (int j = 0; j < s->act; j++) {
      assert_true(a->low[j] == t.m->actuator_ctrlrange[2 * j]);
      assert_true(a->high[j] == t.m->actuator_ctrlrange[2 * j + 1]);
      assert_true(a->high[j] == s->bound && a->low[j] == -s->bound);
    }
    /* One env step is frame_skip physics steps. */
    task_reset(&t, 1);
    assert_true(t.d->time == 0.0);
    memset(t.act, 0, sizeof t.act);
    task_step(&t, NULL, NULL);
    assert_close(t.d->time, s->frame_skip * t.m->opt.timestep, s->name);
    task_close(&t);
  }
}

/* ---- Hopper and Walker2d ------------------------------------------------- */

static int planar_healthy(const task *t, int hopper) {
  const double *q = t->d->qpos, *v = t->d->qvel;
  if (hopper) {
    for (int i = 2; i < t->m->nq; i++)
      if (!(-100 < q[i] && q[i] < 100))
        return 0;
    for (int i = 0; i < t->m->nv; i++)
      if (!(-100 < v[i] && v[i] < 100))
        return 0;
    return 0.7 < q[1] && -0.2 < q[2] && q[2] < 0.2;
  }
  return 0.8 < q[1] && q[1] < 2.0 && -1 < q[2] && q[2] < 1;
}

static void check_planar(const char *name, int hopper) {
  static const char *const step_info[] = {
      "x_position",  "z_distance_from_origin", "x_velocity", "reward_forward",
      "reward_ctrl", "reward_survive"};
  static const char *const reset_info[] = {"x_position",
                                           "z_distance_from_origin"};
  task t;
  task_open(&t, name);
  uint64_t s = 7;
  task_reset(&t, 11);
  assert_info_names(&t, reset_info, 2);
  assert_true(info(&t, "x_position") == t.d->qpos[0]);
  int ended = 0;
  double dt = t.m->opt.timestep * 4;
  for (int k = 0; k < 300 && !ended; k++) {
    task_action(&t, &s, 1.2); /* also outside the bounds: not clipped */
    double x0 = t.d->qpos[0];
    int term;
    double r = task_step(&t, &term, NULL);
    const double *q = t.d->qpos, *v = t.d->qvel;
    for (int i = 1; i < t.m->nq; i++)
      assert_obs(&t, i - 1, q[i], "qpos", i);
    for (int i = 0; i < t.m->nv; i++) {
      assert_obs(&t, t.m->nq - 1 + i, clipd(v[i], -10, 10), "qvel", i);
    }
    double vx = (q[0] - x0) / dt;
    int healthy = planar_healthy(&t, hopper);
    double ctrl = 0.001 * sum_sq(t.act, t.act_dim);
    assert_close(r, vx + (healthy ? 1.0 : 0.0) - ctrl, "reward");
    assert_int_equal(term, !healthy);
    assert_info_names(&t, step_info, 6);
    assert_true(info(&t, "x_position") == q[0]);
    assert_true(info(&t, "z_distance_from_origin") == q[1] - 1.25);
    assert_close(info(&t, "x_velocity"), vx, "x_velocity");
    assert_close(info(&t, "reward_forward"), vx, "reward_forward");
    assert_close(info(&t, "reward_ctrl"), -ctrl, "reward_ctrl");
    assert_true(info(&t, "reward_survive") == (healthy ? 1.0 : 0.0));
    ended = term;
  }
  assert_true(ended); /* random actions fall over within 300 steps */
  task_close(&t);
}

static void test_hopper(void **state) {
  (void)state;
  check_planar("Hopper-v5", 1);
}

static void test_walker2d(void **state) {
  (void)state;
  check_planar("Walker2d-v5", 0);
}

/* ---- HalfCheetah and Swimmer --------------------------------------------- */

static void check_runner(const char *name, int skip, double ctrl_w) {
  task t;
  task_open(&t, name);
  uint64_t s = 3;
  task_reset(&t, 5);
  double dt = t.m->opt.timestep * (skip == 1 ? 5 : 4);
  for (int k = 0; k < 200; k++) {
    task_action(&t, &s, 1.0);
    double x0 = t.d->qpos[0], y0 = t.d->qpos[1];
    int term;
    double r = task_step(&t, &term, NULL);
    const double *q = t.d->qpos, *v = t.d->qvel;
    for (int i = skip; i < t.m->nq; i++)
      assert_obs(&t, i - skip, q[i], "qpos", i);
    for (int i = 0; i < t.m->nv; i++)
      assert_obs(&t, t.m->nq - skip + i, v[i], "qvel", i);
    double vx = (q[0] - x0) / dt, vy = (q[1] - y0) / dt;
    double ctrl = ctrl_w * sum_sq(t.act, t.act_dim);
    assert_close(r, vx - ctrl, "reward");
    assert_int_equal(term, 0);
    assert_close(info(&t, "x_velocity"), vx, "x_velocity");
    assert_close(info(&t, "reward_ctrl"), -ctrl, "reward_ctrl");
    if (skip == 2) {
      static const char *const names[] = {
          "x_position", "y_position",     "distance_from_origin", "x_velocity",
          "y_velocity", "reward_forward", "reward_ctrl"};
      assert_info_names(&t, names, 7);
      assert_close(info(&t, "y_velocity"), vy, "y_velocity");
      assert_close(info(&t, "distance_from_origin"), hypot(q[0], q[1]),
                   "distance_from_origin");
    } else {
      static const char *const names[] = {"x_position", "x_velocity",
                                          "reward_forward", "reward_ctrl"};
      assert_info_names(&t, names, 4);
    }
  }
  task_close(&t);
}

static void test_half_cheetah(void **state) {
  (void)state;
  check_runner("HalfCheetah-v5", 1, 0.1);
}

static void test_swimmer(void **state) {
  (void)state;
  check_runner("Swimmer-v5", 2, 1e-4);
}

/* ---- Ant ----------------------------------------------------------------- */

/* cfrc_ext is what mj_rnePostConstraint makes of the data (checked on a
 * copy), so the env's contact forces are the current ones. */
static void assert_cfrc_current(const task *t) {
  mjData *copy = mj_makeData(t->m);
  mj_copyData(copy, t->m, t->d);
  mj_rnePostConstraint(t->m, copy);
  assert_memory_equal(copy->cfrc_ext, t->d->cfrc_ext,
                      6 * t->m->nbody * sizeof(double));
  mj_deleteData(copy);
}

static void test_ant(void **state) {
  (void)state;
  static const char *const names[] = {
      "x_position",  "y_position",     "distance_from_origin",
      "x_velocity",  "y_velocity",     "reward_forward",
      "reward_ctrl", "reward_contact", "reward_survive"};
  task t;
  task_open(&t, "Ant-v5");
  uint64_t s = 9;
  task_reset(&t, 2);
  double dt = 5 * t.m->opt.timestep;
  int nb = t.m->nbody, contact_seen = 0, clipped_seen = 0, ended = 0;
  for (int k = 0; k < 400 && !ended; k++) {
    task_action(&t, &s, 1.0);
    double x0 = t.d->xpos[3], y0 = t.d->xpos[4]; /* body 1, the torso */
    int term;
    double r = task_step(&t, &term, NULL);
    assert_cfrc_current(&t);
    const double *q = t.d->qpos, *v = t.d->qvel, *f = t.d->cfrc_ext;
    int o = 0;
    for (int i = 2; i < t.m->nq; i++)
      assert_obs(&t, o++, q[i], "qpos", i);
    for (int i = 0; i < t.m->nv; i++)
      assert_obs(&t, o++, v[i], "qvel", i);
    for (int i = 6; i < 6 * nb; i++) {
      assert_obs(&t, o++, clipd(f[i], -1, 1), "cfrc_ext", i);
      clipped_seen |= fabs(f[i]) > 1;
    }
    assert_int_equal(o, 105);
    double sq = 0;
    for (int i = 0; i < 6 * nb; i++) {
      sq += clipd(f[i], -1, 1) * clipd(f[i], -1, 1);
      contact_seen |= f[i] != 0;
    }
    double vx = (t.d->xpos[3] - x0) / dt, vy = (t.d->xpos[4] - y0) / dt;
    int finite = 1;
    for (int i = 0; i < t.m->nq; i++)
      finite &= isfinite(q[i]);
    int healthy = finite && 0.2 <= q[2] && q[2] <= 1.0;
    double ctrl = 0.5 * sum_sq(t.act, t.act_dim), contact = 5e-4 * sq;
    assert_close(r, vx + (healthy ? 1 : 0) - (ctrl + contact), "reward");
    assert_int_equal(term, !healthy);
    assert_info_names(&t, names, 9);
    assert_close(info(&t, "x_velocity"), vx, "x_velocity");
    assert_close(info(&t, "y_velocity"), vy, "y_velocity");
    assert_close(info(&t, "reward_contact"), -contact, "reward_contact");
    assert_close(info(&t, "reward_ctrl"), -ctrl, "reward_ctrl");
    assert_true(info(&t, "x_position") == q[0]);
    ended = term;
  }
  assert_true(contact_seen && clipped_seen);
  task_close(&t);
}

/* ---- Humanoid and HumanoidStandup ---------------------------------------- */

static void mass_center(const task *t, double *xy) {
  double mx = 0, my = 0, mass = 0;
  for (int b = 0; b < t->m->nbody; b++) {
    mx += t->m->body_mass[b] * t->d->xipos[3 * b];
    my += t->m->body_mass[b] * t->d->xipos[3 * b + 1];
    mass += t->m->body_mass[b];
  }
  xy[0] = mx / mass;
  xy[1] = my / mass;
}

static void assert_humanoid_obs(const task *t) {
  const mjModel *m = t->m;
  const mjData *d = t->d;
  int o = 0, nb = m->nbody;
  for (int i = 2; i < m->nq; i++)
    assert_obs(t, o++, d->qpos[i], "qpos", i);
  for (int i = 0; i < m->nv; i++)
    assert_obs(t, o++, d->qvel[i], "qvel", i);
  for (int i = 10; i < 10 * nb; i++)
    assert_obs(t, o++, d->cinert[i], "cinert", i);
  for (int i = 6; i < 6 * nb; i++)
    assert_obs(t, o++, d->cvel[i], "cvel", i);
  for (int i = 6; i < m->nv; i++)
    assert_obs(t, o++, d->qfrc_actuator[i], "qfrc_actuator", i);
  for (int i = 6; i < 6 * nb; i++)
    assert_obs(t, o++, d->cfrc_ext[i], "cfrc_ext", i);
  assert_int_equal(o, 348);
}

static double cfrc_sq(const task *t) {
  double sq = 0;
  for (int i = 0; i < 6 * t->m->nbody; i++)
    sq += t->d->cfrc_ext[i] * t->d->cfrc_ext[i];
  return sq;
}

static void test_humanoid(void **state) {
  (void)state;
  task t;
  task_open(&t, "Humanoid-v5");
  uint64_t s = 4;
  task_reset(&t, 8);
  double dt = 5 * t.m->opt.timestep;
  int ended = 0, contact_seen = 0;
  for (int k = 0; k < 300 && !ended; k++) {
    task_action(&t, &s, 1.0);
    double c0[2], c1[2];
    mass_center(&t, c0);
    int term;
    double r = task_step(&t, &term, NULL);
    assert_cfrc_current(&t);
    assert_humanoid_obs(&t);
    mass_center(&t, c1);
    double vx = (c1[0] - c0[0]) / dt, vy = (c1[1] - c0[1]) / dt;
    double z = t.d->qpos[2];
    int healthy = 1.0 < z && z < 2.0;
    double ctrl = 0.1 * sum_sq(t.act, t.act_dim);
    double contact = clipd(5e-7 * cfrc_sq(&t), -INFINITY, 10);
    contact_seen |= contact > 0;
    assert_close(r, 1.25 * vx + (healthy ? 5 : 0) - (ctrl + contact), "reward");
    assert_int_equal(term, !healthy);
    assert_close(info(&t, "x_velocity"), vx, "x_velocity");
    assert_close(info(&t, "y_velocity"), vy, "y_velocity");
    assert_close(info(&t, "reward_contact"), -contact, "reward_contact");
    ended = term;
  }
  assert_true(ended && contact_seen);
  task_close(&t);
}

static void test_humanoid_standup(void **state) {
  (void)state;
  static const char *const names[] = {
      "x_position",   "y_position",      "z_distance_from_origin",
      "reward_linup", "reward_quadctrl", "reward_impact"};
  task t;
  task_open(&t, "HumanoidStandup-v5");
  uint64_t s = 6;
  task_reset(&t, 1);
  for (int k = 0; k < 100; k++) {
    task_action(&t, &s, 1.0);
    int term;
    double r = task_step(&t, &term, NULL);
    assert_humanoid_obs(&t);
    double uph = t.d->qpos[2] / t.m->opt.timestep;
    double ctrl = 0.1 * sum_sq(t.act, t.act_dim);
    double impact = clipd(5e-7 * cfrc_sq(&t), -INFINITY, 10);
    assert_close(r, uph - ctrl - impact + 1, "reward");
    assert_int_equal(term, 0);
    assert_info_names(&t, names, 6);
    assert_close(info(&t, "reward_impact"), -impact, "reward_impact");
    assert_true(info(&t, "z_distance_from_origin") ==
                t.d->qpos[2] - t.m->qpos0[2]);
  }
  task_close(&t);
}

/* ---- the edges of the healthy ranges ------------------------------------- */

/* The state after one step of zero action from seed 3; configured copies
 * of the task follow the same trajectory (settings do not change the
 * physics). */
static void first_step(const char *name, double *qpos, double *qvel) {
  task t;
  task_open(&t, name);
  task_reset(&t, 3);
  memset(t.act, 0, sizeof t.act);
  task_step(&t, NULL, NULL);
  memcpy(qpos, t.d->qpos, (size_t)t.m->nq * sizeof(double));
  memcpy(qvel, t.d->qvel, (size_t)t.m->nv * sizeof(double));
  task_close(&t);
}

/* Terminated after that step with one setting changed? */
static int ends_with(const char *base, const char *key, double lo, double hi,
                     double *survive) {
  char name[256], value[128], a[32], b[32];
  snprintf(value, sizeof value, "[%s, %s]", num(a, lo), num(b, hi));
  snprintf(name, sizeof name, "%s{%s=%s}", base, key, value);
  must_configure(name, configure(name, base, key, value, NULL));
  task t;
  task_open(&t, name);
  task_reset(&t, 3);
  memset(t.act, 0, sizeof t.act);
  int term;
  task_step(&t, &term, NULL);
  *survive = info(&t, "reward_survive");
  task_close(&t);
  return term;
}

/* Strict bounds: the value itself is outside, the next double inside. */
static void strict_edges(const char *base, const char *key, double x,
                         double far_lo, double far_hi) {
  double r;
  assert_true(ends_with(base, key, x, far_hi, &r) && r == 0.0);
  assert_false(ends_with(base, key, nextafter(x, -INFINITY), far_hi, &r));
  assert_true(r > 0);
  assert_true(ends_with(base, key, far_lo, x, &r));
  assert_false(ends_with(base, key, far_lo, nextafter(x, INFINITY), &r));
}

static void test_healthy_edges(void **state) {
  (void)state;
  double q[32], v[32];
  first_step("Hopper-v5", q, v);
  strict_edges("Hopper-v5", "healthy_z_range", q[1], 0.1, INFINITY);
  strict_edges("Hopper-v5", "healthy_angle_range", q[2], -1, 1);
  /* healthy_state_range covers qpos[2:] and qvel: bound it by the largest
   * of them. */
  double top = q[2];
  for (int i = 2; i < 6; i++)
    top = fmax(top, q[i]);
  for (int i = 0; i < 6; i++)
    top = fmax(top, v[i]);
  double r;
  assert_true(ends_with("Hopper-v5", "healthy_state_range", -100, top, &r));
  assert_false(ends_with("Hopper-v5", "healthy_state_range", -100,
                         nextafter(top, INFINITY), &r));

  first_step("Walker2d-v5", q, v);
  strict_edges("Walker2d-v5", "healthy_z_range", q[1], 0.1, 3);
  strict_edges("Walker2d-v5", "healthy_angle_range", q[2], -2, 2);

  first_step("Humanoid-v5", q, v);
  strict_edges("Humanoid-v5", "healthy_z_range", q[2], 0.1, 3);

  /* Ant's bounds are inclusive. */
  first_step("Ant-v5", q, v);
  assert_false(ends_with("Ant-v5", "healthy_z_range", q[2], 1, &r));
  assert_true(r == 1.0);
  assert_true(
      ends_with("Ant-v5", "healthy_z_range", nextafter(q[2], INFINITY), 1, &r));
  assert_false(ends_with("Ant-v5", "healthy_z_range", 0.2, q[2], &r));
  assert_true(ends_with("Ant-v5", "healthy_z_range", 0.2,
                        nextafter(q[2], -INFINITY), &r));
}

/* terminate_when_unhealthy: false keeps going, with no healthy reward. */
static void test_no_termination(void **state) {
  (void)state;
  const char *name = "Hopper-v5{terminate_when_unhealthy=false,z=[2,3]}";
  must_configure(name, configure(name, "Hopper-v5", "terminate_when_unhealthy",
                                 "false", "healthy_z_range", "[2, 3]", NULL));
  task t;
  task_open(&t, name);
  task_reset(&t, 0);
  uint64_t s = 1;
  for (int k = 0; k < 50; k++) {
    task_action(&t, &s, 1.0);
    int term;
    double r = task_step(&t, &term, NULL);
    assert_int_equal(term, 0);
    assert_true(info(&t, "reward_survive") == 0.0);
    assert_close(r, info(&t, "reward_forward") + info(&t, "reward_ctrl"),
                 "reward");
  }
  task_close(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_hopper),
      cmocka_unit_test(test_walker2d),
      cmocka_unit_test(test_half_cheetah),
      cmocka_unit_test(test_swimmer),
      cmocka_unit_test(test_ant),
      cmocka_unit_test(test_humanoid),
      cmocka_unit_test(test_humanoid_standup),
      cmocka_unit_test(test_healthy_edges),
      cmocka_unit_test(test_no_termination),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
