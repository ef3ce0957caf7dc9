/* Any MJCF model as an environment (the "mujoco" env type).
 *
 * The settings (crl__mujoco_params) say which qpos / qvel / sensor values
 * form the observation, which actuators form the action, the reward terms,
 * the termination rules and the reset noise. Each instance loads the model
 * in init and allocates everything reset and step need there.
 *
 * One env step: clip the action to its space, scale it to each actuator's
 * ctrlrange, run frame_skip mj_steps, then mj_forward when anything reads
 * positions or sensors (after an RK4 step mjData's derived quantities
 * belong to the last intermediate stage, not to the new state). The reset
 * follows Gymnasium's MuJoCo envs: mj_resetData, then uniform noise on
 * qpos and qvel drawn in that order, then mj_forward.
 *
 * State (get_state / set_state): time, qpos, qvel, act, ctrl,
 * qacc_warmstart, mocap_pos, mocap_quat, userdata (envs/mujoco/state.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envs/envs.h"
#include "mujoco_internal.h"

#define F(x) offsetof(mj_env, set.x)

const crl_param_def crl__mujoco_params[] = {
    {"model", CRL_PARAM_STRING, F(model), "inverted_pendulum.xml", 0, 0, NULL,
     "MJCF file; a relative name is also looked up in $CRL_MUJOCO_MODELS and "
     "the project's models"},
    {"frame_skip", CRL_PARAM_INT, F(frame_skip), "1", 1, 10000, NULL,
     "physics steps (mj_step) per env step"},
    {"max_episode_steps", CRL_PARAM_INT, F(max_episode_steps), "1000", 0, 1e9,
     NULL, "TimeLimit: truncate after this many env steps (0: never)"},
    {"obs_qpos", CRL_PARAM_STRING, F(obs_qpos), "all", 0, 0, NULL,
     "qpos values observed: all, none, or a list of indices / joint names"},
    {"obs_qvel", CRL_PARAM_STRING, F(obs_qvel), "all", 0, 0, NULL,
     "qvel values observed: all, none, or a list of indices / joint names"},
    {"obs_sensors", CRL_PARAM_STRING, F(obs_sensors), "none", 0, 0, NULL,
     "sensors observed (all their values): all, none, or ids / names"},
    {"obs_distance", CRL_PARAM_BOOL, F(obs_distance), "false", 0, 1, NULL,
     "also observe the vector from distance_to to distance_from (3 values)"},
    {"actuators", CRL_PARAM_STRING, F(actuators), "all", 0, 0, NULL,
     "actuators driven by the action: all, or a list of ids / names"},
    {"normalize_actions", CRL_PARAM_BOOL, F(normalize_actions), "true", 0, 1,
     NULL,
     "act in [-1, 1], scaled to each ctrlrange (false: act in ctrlrange)"},
    {"alive_bonus", CRL_PARAM_REAL, F(alive_bonus), "0", -1e9, 1e9, NULL,
     "reward added every step"},
    {"forward_body", CRL_PARAM_STRING, F(forward_body), "", 0, 0, NULL,
     "body or site whose x velocity is rewarded (empty: none)"},
    {"forward_weight", CRL_PARAM_REAL, F(forward_weight), "1", -1e9, 1e9, NULL,
     "reward per m/s of forward_body along x"},
    {"ctrl_cost_weight", CRL_PARAM_REAL, F(ctrl_cost_weight), "0", 0, 1e9, NULL,
     "cost per sum of squared actuator controls (ctrl units)"},
    {"distance_from", CRL_PARAM_STRING, F(distance_from), "", 0, 0, NULL,
     "body or site whose distance to distance_to is a cost (empty: none)"},
    {"distance_to", CRL_PARAM_STRING, F(distance_to), "", 0, 0, NULL,
     "the other end of the distance cost"},
    {"distance_weight", CRL_PARAM_REAL, F(distance_weight), "1", 0, 1e9, NULL,
     "cost per metre between distance_from and distance_to"},
    {"terminate_qpos_index", CRL_PARAM_INT, F(terminate_qpos_index), "-1", -1,
     1e9, NULL,
     "qpos index that ends the episode outside its range (-1: none)"},
    {"terminate_qpos_range", CRL_PARAM_REAL_LIST, F(terminate_qpos_range), "[]",
     -1e9, 1e9, NULL, "[low, high] allowed for qpos[terminate_qpos_index]"},
    {"terminate_body", CRL_PARAM_STRING, F(terminate_body), "", 0, 0, NULL,
     "body or site whose height (z) ends the episode outside its range"},
    {"terminate_height_range", CRL_PARAM_REAL_LIST, F(terminate_height_range),
     "[]", -1e9, 1e9, NULL, "[low, high] allowed for terminate_body's z"},
    {"reset_qpos_noise", CRL_PARAM_REAL_LIST, F(reset_qpos_noise), "[0.01]", 0,
     1e9, NULL, "reset: qpos0 + U(-s, s); one s for all, or one per qpos"},
    {"reset_qvel_noise", CRL_PARAM_REAL_LIST, F(reset_qvel_noise), "[0.01]", 0,
     1e9, NULL, "reset: U(-s, s) velocities; one s for all, or one per qvel"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* ---- checking the settings against the model ----------------------------- */

static int check_range(const char *setting, const crl_real_list *r) {
  if (r->n != 2 || !(r->v[0] <= r->v[1]))
    return crl_fail(CRL_EINVAL,
                    "mujoco setting %s: needs [low, high] with low <= high",
                    setting);
  return 0;
}

static int check_noise(const char *setting, const crl_real_list *s, int n,
                       const char *what) {
  if (s->n > 1 && s->n != n)
    return crl_fail(
        CRL_ESHAPE,
        "mujoco setting %s: give one value or %d (the model's %s), not %d",
        setting, n, what, s->n);
  return 0;
}

static int check_points(mj_env *e) {
  const mj_settings *s = &e->set;
  int rc = crl__mj_point(e->m, "forward_body", s->forward_body, &e->forward);
  rc = rc ? rc
          : crl__mj_point(e->m, "distance_from", s->distance_from,
                          &e->dist_from);
  rc =
      rc ? rc : crl__mj_point(e->m, "distance_to", s->distance_to, &e->dist_to);
  rc =
      rc ? rc
         : crl__mj_point(e->m, "terminate_body", s->terminate_body, &e->height);
  if (rc == 0 && (e->dist_from.id < 0) != (e->dist_to.id < 0))
    rc = crl_fail(CRL_EINVAL,
                  "mujoco: distance_from and distance_to go together");
  if (rc == 0 && s->obs_distance && e->dist_from.id < 0)
    rc = crl_fail(CRL_EINVAL,
                  "mujoco: obs_distance needs distance_from and distance_to");
  if (rc == 0 && e->height.id >= 0)
    rc = check_range("terminate_height_range", &s->terminate_height_range);
  return rc;
}

static int check_settings(mj_env *e) {
  const mj_settings *s = &e->set;
  int rc = 0;
  if (s->terminate_qpos_index >= e->m->nq)
    rc = crl_fail(
        CRL_ERANGE,
        "mujoco setting terminate_qpos_index: %d is past the model's %d qpos",
        s->terminate_qpos_index, e->m->nq);
  if (rc == 0 && s->terminate_qpos_index >= 0)
    rc = check_range("terminate_qpos_range", &s->terminate_qpos_range);
  rc = rc ? rc
          : check_noise("reset_qpos_noise", &s->reset_qpos_noise, e->m->nq,
                        "nq");
  rc = rc ? rc
          : check_noise("reset_qvel_noise", &s->reset_qvel_noise, e->m->nv,
                        "nv");
  if (rc == 0 && e->cb.obs_extra < 0)
    rc = crl_fail(CRL_EINVAL, "mujoco: obs_extra is negative");
  return rc ? rc : check_points(e);
}

/* ---- selections and arrays ----------------------------------------------- */

static int count_selections(mj_env *e) {
  const mj_settings *s = &e->set;
  int rc = crl__mj_select(e->m, "obs_qpos", s->obs_qpos, MJ_SEL_QPOS, NULL,
                          &e->nobs_qpos);
  rc = rc ? rc
          : crl__mj_select(e->m, "obs_qvel", s->obs_qvel, MJ_SEL_QVEL, NULL,
                           &e->nobs_qvel);
  rc = rc ? rc
          : crl__mj_select(e->m, "obs_sensors", s->obs_sensors, MJ_SEL_SENSOR,
                           NULL, &e->nobs_sensor);
  rc = rc ? rc
          : crl__mj_select(e->m, "actuators", s->actuators, MJ_SEL_ACTUATOR,
                           NULL, &e->act_dim);
  if (rc)
    return rc;
  e->nobs_distance = s->obs_distance ? 3 : 0;
  e->obs_dim = e->nobs_qpos + e->nobs_qvel + e->nobs_sensor + e->nobs_distance +
               e->cb.obs_extra;
  if (e->obs_dim < 1)
    return crl_fail(CRL_EINVAL, "mujoco: the observation is empty (obs_qpos, "
                                "obs_qvel and obs_sensors select nothing)");
  if (e->act_dim < 1)
    return crl_fail(CRL_EINVAL, "mujoco: no actuators (the model has %d)",
                    e->m->nu);
  return 0;
}

/* Two blocks: the index lists, then every double array. */
static int alloc_arrays(mj_env *e) {
  size_t ints =
      (size_t)(e->nobs_qpos + e->nobs_qvel + e->nobs_sensor + e->act_dim);
  size_t reals = (size_t)(5 * e->act_dim + 2 * e->obs_dim + e->cb.obs_extra +
                          e->m->nq + e->m->nv);
  e->qpos_idx = calloc(ints, sizeof(int));
  e->ctrl_lo = calloc(reals, sizeof(double));
  if (e->qpos_idx == NULL || e->ctrl_lo == NULL)
    return crl_fail(CRL_ENOMEM, "mujoco: out of memory");
  e->qvel_idx = e->qpos_idx + e->nobs_qpos;
  e->sensor_idx = e->qvel_idx + e->nobs_qvel;
  e->act_idx = e->sensor_idx + e->nobs_sensor;
  e->ctrl_hi = e->ctrl_lo + e->act_dim;
  e->act_lo = e->ctrl_hi + e->act_dim;
  e->act_hi = e->act_lo + e->act_dim;
  e->action = e->act_hi + e->act_dim;
  e->obs_lo = e->action + e->act_dim;
  e->obs_hi = e->obs_lo + e->obs_dim;
  e->extra = e->obs_hi + e->obs_dim;
  e->qpos_noise = e->extra + e->cb.obs_extra;
  e->qvel_noise = e->qpos_noise + e->m->nq;
  return 0;
}

static void fill_noise(double *out, int n, const crl_real_list *s) {
  for (int i = 0; i < n; i++)
    out[i] = s->n == 0 ? 0.0 : s->v[s->n == 1 ? 0 : i];
}

/* Each actuator's ctrlrange gives its action bounds: [-1, 1] when
 * normalised, the range itself otherwise. */
static int fill_bounds(mj_env *e) {
  for (int j = 0; j < e->act_dim; j++) {
    int u = e->act_idx[j];
    if (!e->m->actuator_ctrllimited[u]) {
      const char *name = mj_id2name(e->m, mjOBJ_ACTUATOR, u);
      return crl_fail(CRL_EINVAL,
                      "mujoco: actuator %d (%s) has no ctrlrange; give it "
                      "ctrllimited=\"true\" ctrlrange=\"low high\"",
                      u, name ? name : "unnamed");
    }
    e->ctrl_lo[j] = e->m->actuator_ctrlrange[2 * u];
    e->ctrl_hi[j] = e->m->actuator_ctrlrange[2 * u + 1];
    e->act_lo[j] = e->set.normalize_actions ? -1.0 : e->ctrl_lo[j];
    e->act_hi[j] = e->set.normalize_actions ? 1.0 : e->ctrl_hi[j];
  }
  for (int i = 0; i < e->obs_dim; i++) {
    e->obs_lo[i] = -INFINITY;
    e->obs_hi[i] = INFINITY;
  }
  fill_noise(e->qpos_noise, e->m->nq, &e->set.reset_qpos_noise);
  fill_noise(e->qvel_noise, e->m->nv, &e->set.reset_qvel_noise);
  return 0;
}

static int fill_selections(mj_env *e) {
  const mj_settings *s = &e->set;
  int n;
  int rc = crl__mj_select(e->m, "obs_qpos", s->obs_qpos, MJ_SEL_QPOS,
                          e->qpos_idx, &n);
  rc = rc ? rc
          : crl__mj_select(e->m, "obs_qvel", s->obs_qvel, MJ_SEL_QVEL,
                           e->qvel_idx, &n);
  rc = rc ? rc
          : crl__mj_select(e->m, "obs_sensors", s->obs_sensors, MJ_SEL_SENSOR,
                           e->sensor_idx, &n);
  rc = rc ? rc
          : crl__mj_select(e->m, "actuators", s->actuators, MJ_SEL_ACTUATOR,
                           e->act_idx, &n);
  return rc ? rc : fill_bounds(e);
}

/* ---- the vtable ---------------------------------------------------------- */

/* On failure the caller (the env handle, or crl__mj_configure) calls fini,
 * which releases whatever was made. */
static int mujoco_init(void *self, crl_space *obs, crl_space *act) {
  mj_env *e = self;
  char path[4096];
  int rc = crl__mj_resolve_model(e->set.model, path, sizeof path);
  rc = rc ? rc : crl__mj_load(path, &e->m);
  rc = rc ? rc : check_settings(e);
  rc = rc ? rc : count_selections(e);
  rc = rc ? rc : alloc_arrays(e);
  rc = rc ? rc : fill_selections(e);
  rc = rc ? rc : crl__mj_make_data(e->m, &e->d);
  if (rc)
    return rc;
  e->dt = e->m->opt.timestep * e->set.frame_skip;
  e->state_dim = crl__mj_state_size(e->m);
  *obs = (crl_space){CRL_SPACE_BOX, e->obs_dim, 0, e->obs_lo, e->obs_hi};
  *act = (crl_space){CRL_SPACE_BOX, e->act_dim, 0, e->act_lo, e->act_hi};
  return 0;
}

static void mujoco_fini(void *self) {
  mj_env *e = self;
  if (e->d != NULL)
    mj_deleteData(e->d);
  if (e->m != NULL)
    mj_deleteModel(e->m);
  free(e->qpos_idx);
  free(e->ctrl_lo);
  e->d = NULL;
  e->m = NULL;
  e->qpos_idx = NULL;
  e->ctrl_lo = NULL;
}

/* Does anything read positions, sensors or callbacks after a step? */
static int needs_forward(const mj_env *e) {
  return e->nobs_sensor > 0 || e->forward.id >= 0 || e->dist_from.id >= 0 ||
         e->height.id >= 0 || e->cb.reward != NULL || e->cb.observe != NULL;
}

static void mark_broken(mj_env *e) {
  e->broken = 1;
  snprintf(e->why, sizeof e->why, "%s", crl_last_error());
}

static int mujoco_reset(void *self, gsl_rng *rng) {
  mj_env *e = self;
  mjModel *m = e->m;
  mjData *d = e->d;
  mj_resetData(m, d);
  /* Gymnasium: init_qpos + uniform(low=-s, high=s, size=nq), then qvel. */
  for (int i = 0; i < m->nq; i++)
    d->qpos[i] += -e->qpos_noise[i] +
                  (e->qpos_noise[i] - -e->qpos_noise[i]) * gsl_rng_uniform(rng);
  for (int i = 0; i < m->nv; i++)
    d->qvel[i] += -e->qvel_noise[i] +
                  (e->qvel_noise[i] - -e->qvel_noise[i]) * gsl_rng_uniform(rng);
  int rc = e->cb.reset ? e->cb.reset(m, d, rng, e->cb.user) : 0;
  rc = rc ? rc : crl__mj_forward(m, d);
  if (rc) {
    mark_broken(e);
    return rc;
  }
  e->broken = 0;
  return 0;
}

/* Check the whole action before touching ctrl: a rejected action changes
 * nothing. */
static int apply_action(mj_env *e, const crl_real *action) {
  for (int j = 0; j < e->act_dim; j++)
    if (isnan(action[j]))
      return crl_fail(CRL_EINVAL, "mujoco env: action[%d] is NaN", j);
  for (int j = 0; j < e->act_dim; j++) {
    double a = (double)action[j];
    a = a < e->act_lo[j] ? e->act_lo[j] : (a > e->act_hi[j] ? e->act_hi[j] : a);
    e->action[j] = a;
    double lo = e->ctrl_lo[j], hi = e->ctrl_hi[j];
    e->d->ctrl[e->act_idx[j]] =
        e->set.normalize_actions ? lo + 0.5 * (a + 1.0) * (hi - lo) : a;
  }
  return 0;
}

static const double *point_pos(const mj_env *e, const mj_point *p) {
  return p->is_site ? e->d->site_xpos + 3 * p->id : e->d->xpos + 3 * p->id;
}

static double builtin_reward(const mj_env *e, double x_before) {
  const mj_settings *s = &e->set;
  double r = s->alive_bonus;
  if (e->forward.id >= 0)
    r += s->forward_weight * (point_pos(e, &e->forward)[0] - x_before) / e->dt;
  if (s->ctrl_cost_weight != 0.0) {
    double sq = 0.0;
    for (int j = 0; j < e->act_dim; j++)
      sq += e->d->ctrl[e->act_idx[j]] * e->d->ctrl[e->act_idx[j]];
    r -= s->ctrl_cost_weight * sq;
  }
  if (e->dist_from.id >= 0) {
    const double *a = point_pos(e, &e->dist_from),
                 *b = point_pos(e, &e->dist_to);
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    r -= s->distance_weight * sqrt(dx * dx + dy * dy + dz * dz);
  }
  return r;
}

static int outside(double x, const crl_real_list *range) {
  return x < range->v[0] || x > range->v[1];
}

/* Gymnasium's InvertedPendulum: `not np.isfinite(ob).all() or |qpos[1]| >
 * 0.2`, generalised to a qpos index and a body height. */
static int should_terminate(const mj_env *e) {
  const mjData *d = e->d;
  for (int i = 0; i < e->m->nq; i++)
    if (!isfinite(d->qpos[i]))
      return 1;
  for (int i = 0; i < e->m->nv; i++)
    if (!isfinite(d->qvel[i]))
      return 1;
  int q = e->set.terminate_qpos_index;
  if (q >= 0 && outside(d->qpos[q], &e->set.terminate_qpos_range))
    return 1;
  if (e->height.id >= 0 &&
      outside(point_pos(e, &e->height)[2], &e->set.terminate_height_range))
    return 1;
  return 0;
}

static int mujoco_step(void *self, const crl_real *action, double *reward,
                       int *terminated) {
  mj_env *e = self;
  if (e->broken)
    return crl_fail(CRL_ESTATE,
                    "mujoco env: reset after the earlier failure (%s)", e->why);
  int rc = apply_action(e, action);
  if (rc)
    return rc;
  double x_before = e->forward.id >= 0 ? point_pos(e, &e->forward)[0] : 0.0;
  int unstable = crl__mj_unstable_count(e->d);
  rc = crl__mj_step(e->m, e->d, e->set.frame_skip);
  if (rc == 0 && needs_forward(e))
    rc = crl__mj_forward(e->m, e->d);
  if (rc) {
    mark_broken(e);
    return rc;
  }
  *terminated = 0;
  if (crl__mj_unstable_count(e->d) != unstable) {
    /* The simulation blew up and MuJoCo restarted it: end the episode. */
    *reward = 0.0;
    *terminated = 1;
    return 0;
  }
  *reward = builtin_reward(e, x_before);
  *terminated = should_terminate(e);
  if (e->cb.reward != NULL)
    *reward += e->cb.reward(e->m, e->d, e->action, terminated, e->cb.user);
  return 0;
}

static void mujoco_observe(const void *self, crl_real *obs) {
  const mj_env *e = self;
  const mjData *d = e->d;
  int k = 0;
  for (int i = 0; i < e->nobs_qpos; i++)
    obs[k++] = (crl_real)d->qpos[e->qpos_idx[i]];
  for (int i = 0; i < e->nobs_qvel; i++)
    obs[k++] = (crl_real)d->qvel[e->qvel_idx[i]];
  for (int i = 0; i < e->nobs_sensor; i++)
    obs[k++] = (crl_real)d->sensordata[e->sensor_idx[i]];
  if (e->nobs_distance > 0) {
    const double *a = point_pos(e, &e->dist_from),
                 *b = point_pos(e, &e->dist_to);
    for (int i = 0; i < 3; i++)
      obs[k++] = (crl_real)(a[i] - b[i]);
  }
  if (e->cb.observe != NULL) {
    e->cb.observe(e->m, d, e->extra, e->cb.user);
    for (int i = 0; i < e->cb.obs_extra; i++)
      obs[k++] = (crl_real)e->extra[i];
  }
}

static void mujoco_get_state(const void *self, double *state) {
  const mj_env *e = self;
  crl__mj_state_get(e->m, e->d, state);
}

/* From a clean mjData, then mj_forward so that sensors and positions
 * match. mj_forward rewrites qacc_warmstart (where the next step's solver
 * starts) and normalises quaternions in qpos, so the state goes back as it
 * was saved: without that a restored env with contacts drifts from the
 * original in the last bits. */
static void mujoco_set_state(void *self, const double *state) {
  mj_env *e = self;
  crl__mj_state_put(e->m, e->d, state);
  e->broken = 0;
  if (crl__mj_forward(e->m, e->d) != 0)
    mark_broken(e);
  else
    crl__mj_state_copy_in(e->m, e->d, state);
}

int crl__mj_is_mujoco(const crl_env_type *type) {
  return type != NULL && type->init == mujoco_init;
}

/* A configured type: load the model once (with the template's settings)
 * to check them and learn the sizes the type must declare. */
int crl__mj_configure(crl_env_type *type, void *self_template) {
  mj_env *t = self_template;
  mj_env *probe = malloc(sizeof *probe);
  if (probe == NULL)
    return crl_fail(CRL_ENOMEM, "mujoco: out of memory");
  memcpy(probe, t, sizeof *probe);
  crl_space obs, act;
  int rc = mujoco_init(probe, &obs, &act);
  if (rc == 0) {
    type->state_dim = probe->state_dim;
    type->get_state = mujoco_get_state;
    type->set_state = mujoco_set_state;
    type->max_episode_steps = t->set.max_episode_steps;
    snprintf(t->doc, sizeof t->doc, "MuJoCo %.100s: Box(%d) obs, %d actions",
             t->set.model, probe->obs_dim, probe->act_dim);
    type->doc = t->doc;
  }
  mujoco_fini(probe);
  free(probe);
  return rc;
}

/** "mujoco": any MJCF model; configure it with crl_env_register_configured
 *  (YAML env_kwargs) or crl_mujoco_register. Bare, it is the project's
 *  inverted pendulum with no reward terms. The bare type declares no state
 *  (its size depends on the model): configured types do. */
const crl_env_type crl__env_mujoco = {
    .name = "mujoco",
    .doc = "any MJCF model (settings: docs/mujoco.md); configure it with "
           "env_kwargs",
    .self_size = sizeof(mj_env),
    .max_episode_steps = 1000,
    .state_dim = 0,
    .init = mujoco_init,
    .reset = mujoco_reset,
    .step = mujoco_step,
    .observe = mujoco_observe,
    .get_state = NULL,
    .set_state = NULL,
    .fini = mujoco_fini,
    .params = crl__mujoco_params,
    .configure = crl__mj_configure,
    /* an instance owns its mjData; the model is only read */
    .flags = CRL_ENV_PARALLEL_STEP,
};
