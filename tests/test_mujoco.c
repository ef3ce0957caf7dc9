/* MuJoCo environments (built with -Dmujoco=enabled): loading, spaces,
 * frame skip, action scaling, termination, seeding, exact state round
 * trips, errors as values, and PPO learning the inverted pendulum (the C
 * callback API: test_mujoco_callbacks.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <mujoco/mujoco.h>

#include "crl/crl.h"
#include "mujoco_env_test.h"

#define PENDULUM "MujocoInvertedPendulum-v0"
#define REACHER "MujocoReacher-v0"

static void test_spaces(void **state) {
  (void)state;
  crl_env *env = make(PENDULUM);
  const crl_env_type *t = crl_env_get_type(env);
  assert_int_equal(crl_env_obs_space(env)->dim, 4); /* qpos 2 + qvel 2 */
  const crl_space *a = crl_env_act_space(env);
  assert_int_equal(a->kind, CRL_SPACE_BOX);
  assert_int_equal(a->dim, 1);
  assert_true(a->low[0] == -1.0 && a->high[0] == 1.0);
  assert_int_equal(t->max_episode_steps, 1000);
  assert_int_equal(t->state_dim, 1 + 2 + 2 + 1 + 2); /* t, q, v, ctrl, warm */
  crl_env_free(env);

  env = make(REACHER);
  t = crl_env_get_type(env);
  assert_int_equal(crl_env_obs_space(env)->dim, 4 + 2 + 3);
  assert_int_equal(crl_env_act_space(env)->dim, 2);
  assert_int_equal(t->max_episode_steps, 50);
  assert_int_equal(t->state_dim, 1 + 4 + 4 + 2 + 4);
  crl_env_free(env);
}

/* Sensors and the distance vector are observed after mj_forward, so they
 * describe the state the step reached. */
static void test_sensor_observation(void **state) {
  (void)state;
  const char *k[2] = {"obs_sensors", "obs_distance"}, *v[2] = {"all", "false"};
  assert_int_equal(crl_env_register_configured("mj_sensors", REACHER, 2, k, v),
                   0);
  crl_env *env = make("mj_sensors"), *dist = make(REACHER);
  const mjModel *m;
  mjData *d, *dd;
  assert_int_equal(crl_mujoco_handles(env, &m, &d), 0);
  assert_int_equal(crl_mujoco_handles(dist, NULL, &dd), 0);
  int tip = mj_name2id(m, mjOBJ_SITE, "fingertip");
  int tip_body = mj_name2id(m, mjOBJ_BODY, "fingertip");
  int target = mj_name2id(m, mjOBJ_BODY, "target");
  crl_real o[9], od[9];
  double r;
  int term;
  assert_int_equal(crl_env_reset(env, o), 0);
  assert_int_equal(crl_env_reset(dist, od), 0);
  for (int t = 0; t < 5; t++) {
    step(env, 0.7f, o, &r, &term);
    step(dist, 0.7f, od, &r, &term);
    for (int i = 0; i < 3; i++) {
      assert_true(o[6 + i] == (crl_real)d->site_xpos[3 * tip + i]);
      assert_true(od[6 + i] == (crl_real)(dd->xpos[3 * tip_body + i] -
                                          dd->xpos[3 * target + i]));
    }
  }
  crl_env_free(env);
  crl_env_free(dist);
}

/* Time advances by frame_skip * timestep, and one step with frame_skip 2
 * is two steps with frame_skip 1, bit for bit. */
static void test_frame_skip(void **state) {
  (void)state;
  configure1("mj_fs1", PENDULUM, "frame_skip", "1");
  crl_env *one = make("mj_fs1"), *two = make(PENDULUM);
  const mjModel *m;
  assert_int_equal(crl_mujoco_handles(two, &m, NULL), 0);
  double dt = m->opt.timestep, t = 0.0;
  crl_real o1[4], o2[4];
  double r, s1[8], s2[8];
  int term;
  crl_env_seed(one, 3);
  crl_env_seed(two, 3);
  assert_int_equal(crl_env_reset(one, o1), 0);
  assert_int_equal(crl_env_reset(two, o2), 0);
  for (int k = 0; k < 5; k++) {
    step(one, 0.3f, o1, &r, &term);
    step(one, 0.3f, o1, &r, &term);
    step(two, 0.3f, o2, &r, &term);
    t += dt;
    t += dt;
  }
  assert_int_equal(crl_env_get_state(one, s1), 0);
  assert_int_equal(crl_env_get_state(two, s2), 0);
  assert_true(s2[0] == t);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_memory_equal(o1, o2, sizeof o1);
  crl_env_free(one);
  crl_env_free(two);
}

static void test_action_scaling(void **state) {
  (void)state;
  crl_env *env = make(PENDULUM);
  mjData *d;
  assert_int_equal(crl_mujoco_handles(env, NULL, &d), 0);
  crl_real obs[4];
  double r;
  int term;
  assert_int_equal(crl_env_reset(env, obs), 0);
  step(env, 0.5f, obs, &r, &term);
  assert_true(d->ctrl[0] == 1.5); /* [-1, 1] -> ctrlrange [-3, 3] */
  step(env, 7.0f, obs, &r, &term);
  assert_true(d->ctrl[0] == 3.0); /* clipped */
  step(env, -1.0f, obs, &r, &term);
  assert_true(d->ctrl[0] == -3.0);
  crl_real nan = (crl_real)NAN;
  int trunc;
  assert_int_equal(crl_env_step(env, &nan, obs, &r, &term, &trunc), CRL_EINVAL);
  assert_true(d->ctrl[0] == -3.0); /* unchanged */

  configure1("mj_raw", PENDULUM, "normalize_actions", "false");
  crl_env *raw = make("mj_raw");
  assert_true(crl_env_act_space(raw)->low[0] == -3.0);
  assert_true(crl_env_act_space(raw)->high[0] == 3.0);
  assert_int_equal(crl_mujoco_handles(raw, NULL, &d), 0);
  assert_int_equal(crl_env_reset(raw, obs), 0);
  step(raw, 2.0f, obs, &r, &term);
  assert_true(d->ctrl[0] == 2.0);
  crl_env_free(raw);
  crl_env_free(env);
}

/* Reward 1 every step, the terminating one included; the episode ends when
 * the pole leaves [-0.2, 0.2] rad. */
static void test_termination(void **state) {
  (void)state;
  crl_env *env = make(PENDULUM);
  crl_real obs[4];
  double s[8], r;
  int term;
  assert_int_equal(crl_env_reset(env, obs), 0);
  assert_int_equal(crl_env_get_state(env, s), 0);
  s[2] = 0.19; /* qpos[1], just inside */
  assert_int_equal(crl_env_set_state(env, s), 0);
  step(env, 0.0f, obs, &r, &term);
  assert_true(r == 1.0);
  assert_int_equal(term, 0);
  int steps = 1;
  while (!term && steps < 100) {
    step(env, 0.0f, obs, &r, &term);
    steps++;
  }
  assert_int_equal(term, 1);
  assert_true(r == 1.0);
  assert_true(fabs((double)obs[1]) > 0.2);
  crl_env_free(env);

  /* A body height range: the fingertip sits at z = 0.01. */
  const char *k[2] = {"terminate_body", "terminate_height_range"};
  const char *v[2] = {"fingertip", "[0, 0.005]"};
  assert_int_equal(crl_env_register_configured("mj_low", REACHER, 2, k, v), 0);
  env = make("mj_low");
  crl_real o[9];
  assert_int_equal(crl_env_reset(env, o), 0);
  step(env, 0.0f, o, &r, &term);
  assert_int_equal(term, 1);
  crl_env_free(env);
  /* ...and the range is required with the body. */
  assert_int_equal(crl_env_register_configured("mj_low2", REACHER, 1, k, v),
                   CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "terminate_height_range"));
}

static void test_same_seed_same_reset(void **state) {
  (void)state;
  crl_env *a = make(REACHER), *b = make(REACHER);
  crl_real x[9], y[9];
  crl_env_seed(a, 42);
  crl_env_seed(b, 42);
  assert_int_equal(crl_env_reset(a, x), 0);
  assert_int_equal(crl_env_reset(b, y), 0);
  assert_memory_equal(x, y, sizeof x);
  assert_int_equal(crl_env_reset(a, x), 0); /* the stream continues */
  assert_memory_not_equal(x, y, sizeof x);
  crl_env_seed(b, 43);
  assert_int_equal(crl_env_reset(b, y), 0);
  assert_memory_not_equal(x, y, sizeof x);
  crl_env_free(a);
  crl_env_free(b);
}

/* A restored env continues bit for bit, also when the hinge limit is
 * active (the constraint solver warm-starts from qacc_warmstart). */
static void test_state_round_trip(void **state) {
  (void)state;
  crl_env *a = make(PENDULUM), *b = make(PENDULUM);
  crl_real oa[4], ob[4];
  double s[8], ra, rb;
  int ta, tb;
  crl_env_seed(a, 1);
  assert_int_equal(crl_env_reset(a, oa), 0);
  for (int k = 0; k < 60; k++) /* past termination: the pole hits its limit */
    step(a, 0.8f, oa, &ra, &ta);
  assert_true(fabs((double)oa[1]) > 1.0);
  assert_int_equal(crl_env_reset(b, ob), 0);
  assert_int_equal(crl_env_get_state(a, s), 0);
  assert_int_equal(crl_env_set_state(b, s), 0);
  assert_int_equal(crl_env_observe(b, ob), 0);
  assert_memory_equal(oa, ob, sizeof oa);
  for (int k = 0; k < 100; k++) {
    crl_real u = (crl_real)sin(0.3 * k);
    step(a, u, oa, &ra, &ta);
    step(b, u, ob, &rb, &tb);
    assert_memory_equal(oa, ob, sizeof oa);
    assert_true(ra == rb && ta == tb);
  }
  double sa[8], sb[8];
  crl_env_get_state(a, sa);
  crl_env_get_state(b, sb);
  assert_memory_equal(sa, sb, sizeof sa);
  crl_env_free(a);
  crl_env_free(b);
}

/* With contacts (the ant on the floor) too: set_state must leave
 * qacc_warmstart and the root quaternion as saved, not as mj_forward
 * rewrites them, or the restored env drifts in the last bits. */
static void test_state_round_trip_contacts(void **state) {
  (void)state;
  configure1("MujocoAnt-test", "mujoco", "model", model_path("ant.xml"));
  crl_env *a = make("MujocoAnt-test"), *b = make("MujocoAnt-test");
  int n = crl_env_get_type(a)->state_dim;
  double *s = malloc((size_t)n * sizeof *s);
  crl_real oa[29], ob[29], act[8];
  double ra, rb;
  int ta, tb, tr;
  crl_env_seed(a, 1);
  assert_int_equal(crl_env_reset(a, oa), 0);
  for (int k = 0; k < 40; k++) {
    for (int j = 0; j < 8; j++)
      act[j] = (crl_real)sin(0.7 * k + j);
    assert_int_equal(crl_env_step(a, act, oa, &ra, &ta, &tr), 0);
  }
  assert_int_equal(crl_env_get_state(a, s), 0);
  assert_int_equal(crl_env_reset(b, ob), 0);
  assert_int_equal(crl_env_set_state(b, s), 0);
  for (int k = 0; k < 40; k++) {
    for (int j = 0; j < 8; j++)
      act[j] = (crl_real)cos(0.3 * k + j);
    assert_int_equal(crl_env_step(a, act, oa, &ra, &ta, &tr), 0);
    assert_int_equal(crl_env_step(b, act, ob, &rb, &tb, &tr), 0);
    assert_memory_equal(oa, ob, sizeof oa);
  }
  /* The observation is float: compare the double state as well. */
  double *sb = malloc((size_t)n * sizeof *sb);
  crl_env_get_state(a, s);
  crl_env_get_state(b, sb);
  assert_memory_equal(s, sb, (size_t)n * sizeof *s);
  free(sb);
  free(s);
  crl_env_free(a);
  crl_env_free(b);
}

static int configure_model(const char *name, const char *path) {
  const char *k[1] = {"model"}, *v[1] = {path};
  return crl_env_register_configured(name, "mujoco", 1, k, v);
}

/* Bad files and settings are errors with MuJoCo's message: nothing is
 * printed, nothing aborts. */
static void test_errors(void **state) {
  (void)state;
  assert_int_equal(configure_model("mj_missing", "no/such/model.xml"), CRL_EIO);
  assert_non_null(strstr(crl_last_error(), "no/such/model.xml"));

  char bad[] = "/tmp/crl_mj_bad_XXXXXX";
  int fd = mkstemp(bad);
  assert_true(fd >= 0);
  close(fd);
  write_file(bad, "<mujoco><worldbody><body><joint type=\"hinge\"/>"
                  "</worldbody></mujoco>");
  assert_int_equal(configure_model("mj_bad", bad), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "MuJoCo could not load"));
  assert_non_null(strstr(crl_last_error(), "XML"));
  assert_null(crl_env_find("mj_bad"));
  unlink(bad);

  const char *k[2] = {"obs_qpos", "actuators"};
  const char *v[2] = {"[5]", "all"};
  assert_int_equal(crl_env_register_configured("mj_r", PENDULUM, 1, k, v),
                   CRL_ERANGE);
  v[0] = "[slider, elbow]";
  assert_int_equal(crl_env_register_configured("mj_r", PENDULUM, 1, k, v),
                   CRL_ENOTFOUND);
  assert_non_null(strstr(crl_last_error(), "elbow"));
  k[0] = "frame_skp";
  assert_int_equal(crl_env_register_configured("mj_r", PENDULUM, 1, k, v),
                   CRL_ENOTFOUND);
  assert_non_null(strstr(crl_last_error(), "frame_skip"));
  k[0] = "reset_qpos_noise";
  v[0] = "[0.1, 0.2, 0.3]";
  assert_int_equal(crl_env_register_configured("mj_r", PENDULUM, 1, k, v),
                   CRL_ESHAPE);
  assert_null(crl_env_find("mj_r"));
}

/* A runtime error: MuJoCo runs out of stack once the box lands (t ~ 0.2
 * s); its error hook brings it back as CRL_EEXTERNAL, the env refuses to
 * step until reset, and a reset recovers. */
static void test_runtime_error(void **state) {
  (void)state;
  char path[] = "/tmp/crl_mj_tiny_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, "<mujoco><size nstack=\"150\"/><worldbody>"
                   "<geom type=\"plane\" size=\"1 1 1\"/>"
                   "<body pos=\"0 0 0.3\"><freejoint/>"
                   "<geom type=\"box\" size=\"0.1 0.1 0.1\"/></body>"
                   "<body pos=\"2 0 1\"><joint name=\"j\" type=\"hinge\"/>"
                   "<geom size=\"0.1\"/></body></worldbody><actuator>"
                   "<motor joint=\"j\" ctrllimited=\"true\" "
                   "ctrlrange=\"-1 1\"/></actuator></mujoco>");
  assert_int_equal(configure_model("mj_tiny", path), 0);
  crl_env *env = make("mj_tiny");
  crl_real obs[32], a = 0;
  double r;
  int term, trunc, rc = 0, k;
  assert_int_equal(crl_env_reset(env, obs), 0);
  for (k = 0; k < 500 && rc == 0; k++)
    rc = crl_env_step(env, &a, obs, &r, &term, &trunc);
  assert_int_equal(rc, CRL_EEXTERNAL);
  assert_non_null(strstr(crl_last_error(), "Stack overflow"));
  assert_true(k > 10);
  assert_int_equal(crl_env_step(env, &a, obs, &r, &term, &trunc), CRL_ESTATE);
  assert_int_equal(crl_env_reset(env, obs), 0);
  assert_int_equal(crl_env_step(env, &a, obs, &r, &term, &trunc), 0);
  crl_env_free(env);
  unlink(path);
}

/* A state MuJoCo rejects (|qvel| > 1e10) makes it restart the simulation;
 * the env ends the episode with reward 0, quietly. */
static void test_instability_terminates(void **state) {
  (void)state;
  crl_env *env = make(PENDULUM);
  crl_real obs[4];
  double s[8], r;
  int term;
  assert_int_equal(crl_env_reset(env, obs), 0);
  crl_env_get_state(env, s);
  s[3] = 1e11; /* qvel[0] */
  assert_int_equal(crl_env_set_state(env, s), 0);
  step(env, 0.0f, obs, &r, &term);
  assert_int_equal(term, 1);
  assert_true(r == 0.0);
  for (int i = 0; i < 4; i++)
    assert_true(isfinite((double)obs[i]));
  assert_int_equal(crl_env_reset(env, obs), 0);
  step(env, 0.0f, obs, &r, &term);
  assert_true(r == 1.0);
  crl_env_free(env);
}

static void test_env_check(void **state) {
  (void)state;
  char report[2048];
  const char *names[] = {PENDULUM, REACHER, "mujoco"};
  for (int i = 0; i < 3; i++) {
    int rc =
        crl_env_check(crl_env_find(names[i]), 3000, 1, report, sizeof report);
    if (rc)
      fail_msg("%s: %s", names[i], report);
  }
}

/* ---- learning ------------------------------------------------------------ */

/* experiments/mujoco/ppo_inverted_pendulum.yaml's settings. */
static const char *const ppo_settings[] = {
    "n_steps",    "256",  "batch_size",    "64",
    "n_epochs",   "10",   "gamma",         "0.98",
    "gae_lambda", "0.95", "learning_rate", "lin_3e-3",
    "clip_range", "0.2",  "ent_coef",      "0.0",
    NULL};

static void test_ppo_learns_inverted_pendulum(void **state) {
  (void)state;
  const long budget = 40000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; ppo_settings[i] != NULL; i += 2)
    assert_int_equal(
        crl_algo_spec_set(t, spec, ppo_settings[i], ppo_settings[i + 1]), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make(PENDULUM, 4, 0, &venv), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                                  crl_vec_env_act_space(venv), 4, 0, &algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  for (long done = 0; done < budget;) {
    crl_algo_stats st;
    if (crl_algo_iterate(algo, venv, 1.0 - (double)done / budget, &st))
      fail_msg("iterate: %s", crl_last_error());
    done += st.steps;
  }
  double mean = 0, sd = 0;
  assert_int_equal(crl_evaluate(algo, PENDULUM, 10, 100, &mean, &sd, NULL), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  printf("# %s PPO %ld steps, seed 0: eval %.1f +- %.1f in %.1f s\n", PENDULUM,
         budget, mean, sd,
         (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec));
  assert_true(mean >= 950.0);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
}

/* MuJoCo's default handlers would have written MUJOCO_LOG.TXT. */
static void test_nothing_logged(void **state) {
  (void)state;
  assert_int_equal(access("MUJOCO_LOG.TXT", F_OK), -1);
}

int main(void) {
  remove("MUJOCO_LOG.TXT");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spaces),
      cmocka_unit_test(test_sensor_observation),
      cmocka_unit_test(test_frame_skip),
      cmocka_unit_test(test_action_scaling),
      cmocka_unit_test(test_termination),
      cmocka_unit_test(test_same_seed_same_reset),
      cmocka_unit_test(test_state_round_trip),
      cmocka_unit_test(test_state_round_trip_contacts),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_runtime_error),
      cmocka_unit_test(test_instability_terminates),
      cmocka_unit_test(test_env_check),
      cmocka_unit_test(test_ppo_learns_inverted_pendulum),
      cmocka_unit_test(test_nothing_logged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
