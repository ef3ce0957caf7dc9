/* Registering MuJoCo environments: crl_mujoco_register (settings plus C
 * callbacks), the project's models by name, and the handles accessor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"
#include "mujoco_internal.h"
#include "task.h"

/* A registered MuJoCo type and its template; lives as long as the process,
 * like every registration. */
typedef struct mj_type {
  crl_env_type type;
  char name[128];
  mj_env template_self;
} mj_type;

static int set_one(mj_env *t, const char *name, const char *key,
                   const char *value) {
  int rc = crl_params_set(crl__mujoco_params, t, key, value);
  if (rc) {
    char why[512]; /* crl_fail writes the buffer crl_last_error reads */
    snprintf(why, sizeof why, "%s", crl_last_error());
    crl_fail(rc, "env '%s': %s", name, why);
  }
  return rc;
}

/* Defaults, then the model, then the settings; the callbacks are copied
 * without the settings arrays (which need not outlive the call). */
static int fill_template(mj_env *t, const char *name,
                         const crl_mujoco_spec *spec) {
  int rc = crl_params_defaults(crl__mujoco_params, t);
  if (rc == 0 && spec->model != NULL)
    rc = set_one(t, name, "model", spec->model);
  for (int i = 0; rc == 0 && i < spec->n_settings; i++)
    rc = set_one(t, name, spec->keys[i], spec->values[i]);
  t->cb = *spec;
  t->cb.model = NULL;
  t->cb.n_settings = 0;
  t->cb.keys = NULL;
  t->cb.values = NULL;
  return rc;
}

static int check_spec(const char *name, const crl_mujoco_spec *spec) {
  if (name == NULL || name[0] == '\0' ||
      strlen(name) >= sizeof((mj_type *)0)->name)
    return crl_fail(CRL_EINVAL,
                    "crl_mujoco_register: missing or too long name");
  if (spec == NULL)
    return crl_fail(CRL_EINVAL, "crl_mujoco_register('%s'): no spec", name);
  if (spec->n_settings < 0 ||
      (spec->n_settings > 0 && (spec->keys == NULL || spec->values == NULL)))
    return crl_fail(CRL_EINVAL,
                    "crl_mujoco_register('%s'): settings need keys and values",
                    name);
  if ((spec->obs_extra > 0) != (spec->observe != NULL))
    return crl_fail(
        CRL_EINVAL,
        "crl_mujoco_register('%s'): obs_extra and observe go together", name);
  if (crl_env_find(name) != NULL)
    return crl_fail(CRL_EINVAL, "env '%s' is already registered", name);
  return 0;
}

/* Build, configure and register. With `lenient`, a model that cannot be
 * loaded now still registers (without state access); making the env then
 * fails with the loader's message. The project's models use it so that
 * `crl envs` lists them and the error names the missing file. */
static int register_type(const char *name, const crl_mujoco_spec *spec,
                         const char *doc, int lenient) {
  int rc = check_spec(name, spec);
  if (rc)
    return rc;
  mj_type *t = calloc(1, sizeof *t);
  if (t == NULL)
    return crl_fail(CRL_ENOMEM, "crl_mujoco_register: out of memory");
  snprintf(t->name, sizeof t->name, "%s", name);
  t->type = crl__env_mujoco;
  t->type.name = t->name;
  t->type.self_template = &t->template_self;
  /* The callbacks are the user's, sharing `user`: safe on several threads
   * only if they say so, which this spec cannot. */
  if (spec->reward != NULL || spec->reset != NULL || spec->observe != NULL)
    t->type.flags &= ~(unsigned)CRL_ENV_PARALLEL_STEP;
  rc = fill_template(&t->template_self, name, spec);
  if (rc == 0) {
    t->type.max_episode_steps = t->template_self.set.max_episode_steps;
    rc = crl__mj_configure(&t->type, &t->template_self);
    if (rc != 0 && lenient)
      rc = 0;
  }
  if (doc != NULL)
    t->type.doc = doc;
  if (rc == 0)
    rc = crl_env_register(&t->type);
  if (rc)
    free(t);
  return rc;
}

int crl_mujoco_register(const char *name, const crl_mujoco_spec *spec) {
  return register_type(name, spec, NULL, 0);
}

int crl_mujoco_handles(crl_env *env, const mjModel **model, mjData **data) {
  const crl_env_type *type = env ? crl_env_get_type(env) : NULL;
  if (crl__mj_is_task(type)) {
    mj_task_env *e = crl__env_self(env);
    if (model != NULL)
      *model = e->m;
    if (data != NULL)
      *data = e->d;
    return 0;
  }
  if (!crl__mj_is_mujoco(type))
    return crl_fail(CRL_EINVAL, "crl_mujoco_handles: not a MuJoCo env");
  mj_env *e = crl__env_self(env);
  if (model != NULL)
    *model = e->m;
  if (data != NULL)
    *data = e->d;
  return 0;
}

/* ---- the tasks' info ----------------------------------------------------- */

static mj_task_env *task_of(crl_env *env, const char *who) {
  if (env == NULL || !crl__mj_is_task(crl_env_get_type(env))) {
    crl_fail(CRL_EINVAL, "%s: not a Gymnasium MuJoCo task env", who);
    return NULL;
  }
  return crl__env_self(env);
}

int crl_mujoco_info_count(crl_env *env) {
  mj_task_env *e = task_of(env, "crl_mujoco_info_count");
  return e == NULL ? CRL_EINVAL : e->n_keys;
}

int crl_mujoco_info(crl_env *env, int i, const char **name, double *value) {
  mj_task_env *e = task_of(env, "crl_mujoco_info");
  if (e == NULL)
    return CRL_EINVAL;
  if (i < 0 || i >= e->n_keys)
    return crl_fail(CRL_ERANGE, "crl_mujoco_info: item %d of %d", i, e->n_keys);
  if (name != NULL)
    *name = e->task->names[e->keys[i]];
  if (value != NULL)
    *value = e->info[e->keys[i]];
  return 0;
}

int crl_mujoco_info_get(crl_env *env, const char *name, double *value) {
  mj_task_env *e = task_of(env, "crl_mujoco_info_get");
  if (e == NULL)
    return CRL_EINVAL;
  for (int i = 0; name != NULL && i < e->n_keys; i++)
    if (strcmp(e->task->names[e->keys[i]], name) == 0) {
      *value = e->info[e->keys[i]];
      return 0;
    }
  return crl_fail(CRL_ENOTFOUND, "env '%s' reports no info '%s' here",
                  e->task->name, name ? name : "(null)");
}

/* ---- the project's models ------------------------------------------------ */

/* Gymnasium's InvertedPendulum-v4: obs = qpos (2) + qvel (2), reward 1 per
 * step, terminated when |qpos[1]| > 0.2 (or the state is not finite),
 * frame_skip 2, reset noise U(-0.01, 0.01) on qpos and qvel, 1000 steps.
 * The action is in [-1, 1], scaled to the motor's [-3, 3]. */
// clang-format off
static const char *const pendulum_settings[] = {
    "frame_skip", "2",
    "max_episode_steps", "1000",
    "alive_bonus", "1",
    "terminate_qpos_index", "1",
    "terminate_qpos_range", "[-0.2, 0.2]",
    "reset_qpos_noise", "[0.01]",
    "reset_qvel_noise", "[0.01]",
};
// clang-format on

// clang-format off
/* After Gymnasium's Reacher-v4: reward -|fingertip - target| - sum(ctrl^2),
 * frame_skip 2, 50 steps, arm noise U(-0.1, 0.1) on angles and
 * U(-0.005, 0.005) on velocities. Differences: the target is drawn from
 * the square |x|, |y| <= 0.14 (inside the arm's 0.21 m reach; Gymnasium
 * draws from the disc of radius 0.2, which examples/mujoco_reacher.c does
 * with a reset callback), and the observation is qpos (2 angles, target
 * x, y), the arm's qvel and the fingertip-to-target vector. */
static const char *const reacher_settings[] = {
    "frame_skip", "2",
    "max_episode_steps", "50",
    "obs_qpos", "all",
    "obs_qvel", "[shoulder, elbow]",
    "obs_distance", "true",
    "distance_from", "fingertip",
    "distance_to", "target",
    "distance_weight", "1",
    "ctrl_cost_weight", "1",
    "reset_qpos_noise", "[0.1, 0.1, 0.14, 0.14]",
    "reset_qvel_noise", "[0.005, 0.005, 0, 0]",
};
// clang-format on

#define N_PAIRS(a) ((int)(sizeof(a) / sizeof(a)[0] / 2))

static int register_preset(const char *name, const char *model,
                           const char *const *kv, int n, const char *doc) {
  const char *keys[32], *values[32];
  for (int i = 0; i < n && i < 32; i++) {
    keys[i] = kv[2 * i];
    values[i] = kv[2 * i + 1];
  }
  crl_mujoco_spec spec = {.model = model,
                          .n_settings = n < 32 ? n : 32,
                          .keys = keys,
                          .values = values};
  return register_type(name, &spec, doc, 1);
}

int crl__mj_register_presets(void) {
  int rc = register_preset("MujocoInvertedPendulum-v0", "inverted_pendulum.xml",
                           pendulum_settings, N_PAIRS(pendulum_settings),
                           "MuJoCo cart-pole (InvertedPendulum-v4 task); 1 per "
                           "step, ends past 0.2 rad; 1000 steps");
  int rc2 = register_preset(
      "MujocoReacher-v0", "reacher.xml", reacher_settings,
      N_PAIRS(reacher_settings),
      "MuJoCo two-link arm reaching a target (after Reacher-v4); 50 steps");
  return rc ? rc : rc2;
}
