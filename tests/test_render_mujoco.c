/* crl render's MuJoCo drawings (tools/plot/render_mujoco.c): the view each
 * task gets, and every shape of a frame recomputed here from an
 * independent forward kinematics of the env's state. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mujoco/mujoco.h>

#include "crl/crl.h"
#include "plot/render_mujoco.h"

static crl_env *make(const char *name) {
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(name, &env), 0);
  crl_env_seed(env, 3);
  crl_real obs[512];
  assert_int_equal(crl_env_reset(env, obs), 0);
  return env;
}

/* n steps of a fixed action pattern, so the model has moved. */
static void move(crl_env *env, int n) {
  const crl_space *as = crl_env_act_space(env);
  crl_real a[64], obs[512];
  double r;
  int term, trunc;
  for (int t = 0; t < n; t++) {
    for (int k = 0; k < as->dim; k++)
      a[k] = (crl_real)(0.8 * sin(0.3 * t + k));
    assert_int_equal(crl_env_step(env, a, obs, &r, &term, &trunc), 0);
    if (term || trunc)
      break;
  }
}

static void test_each_task_gets_its_view(void **state) {
  (void)state;
  static const struct {
    const char *env;
    cli_mjview_kind kind;
  } cases[] = {
      {"Hopper-v5", CLI_MJVIEW_SIDE},
      {"Walker2d-v5", CLI_MJVIEW_SIDE},
      {"HalfCheetah-v5", CLI_MJVIEW_SIDE},
      {"InvertedPendulum-v5", CLI_MJVIEW_SIDE},
      {"InvertedDoublePendulum-v5", CLI_MJVIEW_SIDE},
      {"Swimmer-v5", CLI_MJVIEW_TOP},
      {"Reacher-v5", CLI_MJVIEW_TOP},
      {"Ant-v5", CLI_MJVIEW_OBLIQUE},
      {"Humanoid-v5", CLI_MJVIEW_OBLIQUE},
      {"Pusher-v5", CLI_MJVIEW_OBLIQUE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    crl_env *env = make(cases[i].env);
    cli_mjview *v = cli_mjview_alloc(env);
    assert_non_null(v);
    if (cli_mjview_get_kind(v) != cases[i].kind)
      fail_msg("%s: view %d, expected %d", cases[i].env,
               (int)cli_mjview_get_kind(v), (int)cases[i].kind);
    double w[4];
    int width, height;
    cli_mjview_window(v, w, &width, &height);
    assert_true(w[0] < w[1] && w[2] < w[3]);
    assert_true(width >= 160 && width <= 480 && height >= 160 && height <= 480);
    cli_frame f;
    f.n = 0;
    assert_int_equal(cli_mjview_draw(v, env, &f), 0);
    assert_true(f.n > 0);
    cli_mjview_free(v);
    crl_env_free(env);
  }
  /* Not a MuJoCo env: no view. */
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("Pendulum-v1", &env), 0);
  assert_null(cli_mjview_alloc(env));
  crl_env_free(env);
}

/* Hopper from the side: x right, z up, the picture shifted by how far the
 * torso has travelled since qpos0. Every capsule is one line from
 * pos - h axis to pos + h axis of its diameter, painted far to near (by y),
 * after the floor's ticks. */
static void test_hopper_frame_matches_kinematics(void **state) {
  (void)state;
  crl_env *env = make("Hopper-v5");
  cli_mjview *v = cli_mjview_alloc(env);
  assert_non_null(v);
  move(env, 40);
  const mjModel *m = NULL;
  mjData *d = NULL;
  assert_int_equal(crl_mujoco_handles(env, &m, &d), 0);
  /* Independent kinematics of the env's state, and of qpos0. */
  mjData *k = mj_makeData(m), *k0 = mj_makeData(m);
  memcpy(k->qpos, d->qpos, sizeof(mjtNum) * (size_t)m->nq);
  mj_kinematics(m, k);
  mj_kinematics(m, k0);
  int torso = mj_name2id(m, mjOBJ_BODY, "torso");
  assert_true(torso > 0);
  double shift = k->xpos[3 * torso] - k0->xpos[3 * torso];
  assert_true(fabs(shift) > 1e-3); /* it moved */

  cli_frame f;
  f.n = 0;
  assert_int_equal(cli_mjview_draw(v, env, &f), 0);
  double w[4];
  int width, height;
  cli_mjview_window(v, w, &width, &height);
  double scale = width / (w[1] - w[0]);
  /* The capsules, in the order the frame must hold them. */
  int caps[32], n_caps = 0;
  for (int g = 0; g < m->ngeom; g++)
    if (m->geom_type[g] == mjGEOM_CAPSULE)
      caps[n_caps++] = g;
  for (int i = 1; i < n_caps; i++)
    for (int j = i; j > 0 && k->geom_xpos[3 * caps[j - 1] + 1] <
                                 k->geom_xpos[3 * caps[j] + 1];
         j--) {
      int t = caps[j];
      caps[j] = caps[j - 1];
      caps[j - 1] = t;
    }
  assert_true(n_caps >= 4);
  assert_true(f.n > n_caps);
  int first = f.n - n_caps; /* the floor's ticks come first */
  for (int i = 0; i < first; i++)
    assert_int_equal(f.s[i].kind, CLI_SHAPE_LINE);
  for (int i = 0; i < n_caps; i++) {
    int g = caps[i];
    const cli_shape *s = &f.s[first + i];
    const double *c = k->geom_xpos + 3 * g, *R = k->geom_xmat + 9 * g;
    double h = m->geom_size[3 * g + 1];
    assert_int_equal(s->kind, CLI_SHAPE_LINE);
    assert_true(fabs(s->x1 - (c[0] - R[2] * h - shift)) < 1e-12);
    assert_true(fabs(s->y1 - (c[2] - R[8] * h)) < 1e-12);
    assert_true(fabs(s->x2 - (c[0] + R[2] * h - shift)) < 1e-12);
    assert_true(fabs(s->y2 - (c[2] + R[8] * h)) < 1e-12);
    assert_true(fabs(s->width - 2.0 * m->geom_size[3 * g] * scale) < 1e-9);
  }
  mj_deleteData(k);
  mj_deleteData(k0);
  cli_mjview_free(v);
  crl_env_free(env);
}

/* Drawing reads the env and never changes it: the same episode with and
 * without a frame per step gives the same observations, bit for bit. */
static void test_drawing_leaves_the_episode_alone(void **state) {
  (void)state;
  crl_env *a = make("Ant-v5"), *b = make("Ant-v5");
  cli_mjview *v = cli_mjview_alloc(b);
  assert_non_null(v);
  crl_real a_act[8], oa[128], ob[128];
  double ra, rb;
  int ta, tra, tb, trb;
  for (int t = 0; t < 30; t++) {
    for (int i = 0; i < 8; i++)
      a_act[i] = (crl_real)(0.7 * cos(0.2 * t + i));
    cli_frame f;
    f.n = 0;
    assert_int_equal(cli_mjview_draw(v, b, &f), 0);
    assert_int_equal(crl_env_step(a, a_act, oa, &ra, &ta, &tra), 0);
    assert_int_equal(crl_env_step(b, a_act, ob, &rb, &tb, &trb), 0);
    assert_memory_equal(oa, ob, 105 * sizeof(crl_real));
    assert_memory_equal(&ra, &rb, sizeof ra);
  }
  cli_mjview_free(v);
  crl_env_free(a);
  crl_env_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_task_gets_its_view),
      cmocka_unit_test(test_hopper_frame_matches_kinematics),
      cmocka_unit_test(test_drawing_leaves_the_episode_alone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
