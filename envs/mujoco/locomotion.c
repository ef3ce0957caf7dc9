/* Gymnasium's v5 locomotion tasks: Hopper, Walker2d, HalfCheetah, Swimmer
 * (planar), Ant, Humanoid and HumanoidStandup.
 *
 * They share one shape, written once here and told apart by a small table
 * (loco): the observation is qpos without the first one or two positions,
 * qvel (clipped to +-10 for Hopper and Walker2d), then blocks of mjData
 * for the 3-D bodies; the reward is forward_reward_weight * the x velocity
 * of some point + healthy_reward while healthy - the control cost - the
 * contact cost; the episode ends when unhealthy (if
 * terminate_when_unhealthy); the reset adds uniform noise to qpos and
 * uniform or normal noise to qvel. The healthy reward is 0 on an unhealthy
 * step, the terminating one included, as in every v5 file. */
#include <math.h>

#include "task.h"

/* Info slots, the union of what the tasks report. */
enum {
  X_POSITION,
  Y_POSITION,
  Z_DISTANCE,
  DISTANCE,
  X_VELOCITY,
  Y_VELOCITY,
  REWARD_FORWARD,
  REWARD_CTRL,
  REWARD_CONTACT,
  REWARD_SURVIVE,
  REWARD_LINUP,
  REWARD_QUADCTRL,
  REWARD_IMPACT,
  N_SLOTS
};
static const char *const slot_names[N_SLOTS] = {
    "x_position",           "y_position",   "z_distance_from_origin",
    "distance_from_origin", "x_velocity",   "y_velocity",
    "reward_forward",       "reward_ctrl",  "reward_contact",
    "reward_survive",       "reward_linup", "reward_quadctrl",
    "reward_impact"};

_Static_assert((int)N_SLOTS <= (int)MJ_TASK_INFO_MAX, "info slots");

/* Where the velocity is measured. */
typedef enum loco_point {
  AT_QPOS_X,      /* qpos[0] */
  AT_QPOS_XY,     /* qpos[0:2] */
  AT_BODY_XY,     /* xpos of main_body */
  AT_MASS_CENTER, /* the mass-weighted mean of xipos */
} loco_point;

/* The contact term. */
typedef enum loco_contact {
  NO_CONTACT,
  CLIPPED_FORCES, /* Ant: w * sum(clip(cfrc_ext, contact_force_range)^2) */
  CLIPPED_COST,   /* Humanoid: clip(w * sum(cfrc_ext^2), contact_cost_range) */
  IMPACT_COST,    /* HumanoidStandup: the same with impact_cost_* */
} loco_contact;

/* Observation blocks after qpos and qvel. */
enum { OBS_CINERT = 1, OBS_CVEL = 2, OBS_QFRC = 4, OBS_CFRC = 8 };

typedef struct loco {
  mj_task base;
  const char *root; /* leading joints: "xzy" slide x, slide z, hinge y;
                       "xyz" slide x, slide y, hinge z; "free" */
  int skip;         /* qpos values exclude_current_positions drops */
  double qvel_clip; /* 0: none */
  loco_point at;
  int z_index;     /* healthy_z_range on qpos[z_index]; -1: no health */
  int angle_index; /* healthy_angle_range on qpos[angle_index]; -1 */
  int state_range; /* Hopper: qpos[2:], qvel in healthy_state_range */
  int inclusive;   /* Ant: low <= z <= high and a finite state */
  loco_contact contact;
  int obs_blocks;     /* OBS_* the task may add (each behind its kwarg) */
  int qvel_normal;    /* reset qvel noise ~ N(0, s^2), else U(-s, s) */
  int ctrl_from_data; /* Humanoid's cost reads data.ctrl (the same values) */
} loco;

#define LOCO(e) ((const loco *)(e)->task)

/* ---- the model ----------------------------------------------------------- */

static int check_root(mj_task_env *e, const char *path) {
  const loco *t = LOCO(e);
  if (t->root[0] == 'f')
    return crl__mj_check_joint(e, path, 0, mjJNT_FREE, -1);
  int second = t->root[1] == 'z' ? 2 : 1, third = t->root[2] == 'y' ? 1 : 2;
  int rc = crl__mj_check_joint(e, path, 0, mjJNT_SLIDE, 0);
  rc = rc ? rc : crl__mj_check_joint(e, path, 1, mjJNT_SLIDE, second);
  return rc ? rc : crl__mj_check_joint(e, path, 2, mjJNT_HINGE, third);
}

static int check_ranges(mj_task_env *e) {
  const loco *t = LOCO(e);
  const mj_task_kwargs *k = &e->kw;
  int rc = 0;
  if (t->z_index >= 0)
    rc = crl__mj_check_range(e, "healthy_z_range", &k->healthy_z_range);
  if (rc == 0 && t->angle_index >= 0)
    rc = crl__mj_check_range(e, "healthy_angle_range", &k->healthy_angle_range);
  if (rc == 0 && t->state_range)
    rc = crl__mj_check_range(e, "healthy_state_range", &k->healthy_state_range);
  if (rc == 0 && t->contact == CLIPPED_FORCES)
    rc = crl__mj_check_range(e, "contact_force_range", &k->contact_force_range);
  if (rc == 0 && t->contact == CLIPPED_COST)
    rc = crl__mj_check_range(e, "contact_cost_range", &k->contact_cost_range);
  if (rc == 0 && t->contact == IMPACT_COST)
    rc = crl__mj_check_range(e, "impact_cost_range", &k->impact_cost_range);
  return rc;
}

/* Which blocks this instance observes, from the include_* settings. */
static int blocks(const mj_task_env *e) {
  const mj_task_kwargs *k = &e->kw;
  int b = LOCO(e)->obs_blocks;
  return (k->include_cinert_in_observation ? b & OBS_CINERT : 0) |
         (k->include_cvel_in_observation ? b & OBS_CVEL : 0) |
         (k->include_qfrc_actuator_in_observation ? b & OBS_QFRC : 0) |
         (k->include_cfrc_ext_in_observation ? b & OBS_CFRC : 0);
}

static int loco_check(mj_task_env *e, const char *path) {
  const loco *t = LOCO(e);
  const mjModel *m = e->m;
  int rc = check_root(e, path);
  rc = rc ? rc : check_ranges(e);
  if (rc)
    return rc;
  if (t->at == AT_BODY_XY) {
    int b = crl__mj_body(e, path, "main_body", e->kw.main_body);
    if (b < 0)
      return b;
    e->ids[0] = b;
  }
  int skip = e->kw.exclude_current_positions_from_observation ? t->skip : 0;
  int nb = m->nbody - 1, b = blocks(e);
  return m->nq - skip + m->nv + (b & OBS_CINERT ? 10 * nb : 0) +
         (b & OBS_CVEL ? 6 * nb : 0) + (b & OBS_QFRC ? m->nv - 6 : 0) +
         (b & OBS_CFRC ? 6 * nb : 0);
}

/* ---- reset --------------------------------------------------------------- */

static void loco_reset(mj_task_env *e, gsl_rng *rng) {
  const mjModel *m = e->m;
  double s = e->kw.reset_noise_scale;
  crl__mj_noise(rng, e->d->qpos, m->qpos0, m->nq, s, 0);
  crl__mj_noise(rng, e->d->qvel, NULL, m->nv, s, LOCO(e)->qvel_normal);
}

static void position_info(mj_task_env *e) {
  const double *q = e->d->qpos;
  e->info[X_POSITION] = q[0];
  e->info[Y_POSITION] = q[1];
  e->info[Z_DISTANCE] = q[1] - e->m->qpos0[1];
  e->info[DISTANCE] = sqrt(q[0] * q[0] + q[1] * q[1]);
}

static void standup_info(mj_task_env *e) {
  position_info(e);
  e->info[Z_DISTANCE] = e->d->qpos[2] - e->m->qpos0[2];
}

/* ---- step ---------------------------------------------------------------- */

static void mass_center(const mjModel *m, const mjData *d, double *xy) {
  double num[2] = {0.0, 0.0}, mass = 0.0;
  for (int b = 0; b < m->nbody; b++) {
    num[0] += m->body_mass[b] * d->xipos[3 * b];
    num[1] += m->body_mass[b] * d->xipos[3 * b + 1];
    mass += m->body_mass[b];
  }
  xy[0] = num[0] / mass;
  xy[1] = num[1] / mass;
}

static void where(const mj_task_env *e, double *xy) {
  const mjData *d = e->d;
  switch (LOCO(e)->at) {
  case AT_QPOS_X:
    xy[0] = d->qpos[0];
    xy[1] = 0.0;
    return;
  case AT_QPOS_XY:
    xy[0] = d->qpos[0];
    xy[1] = d->qpos[1];
    return;
  case AT_BODY_XY:
    xy[0] = d->xpos[3 * e->ids[0]];
    xy[1] = d->xpos[3 * e->ids[0] + 1];
    return;
  case AT_MASS_CENTER:
    mass_center(e->m, d, xy);
    return;
  }
}

static void loco_before(mj_task_env *e) {
  where(e, e->before);
}

static int is_healthy(const mj_task_env *e) {
  const loco *t = LOCO(e);
  const mjModel *m = e->m;
  const mjData *d = e->d;
  const mj_task_kwargs *k = &e->kw;
  if (t->inclusive)
    for (int i = 0; i < m->nq + m->nv; i++)
      if (!isfinite(i < m->nq ? d->qpos[i] : d->qvel[i - m->nq]))
        return 0;
  if (t->state_range) /* state_vector()[2:] */
    for (int i = 2; i < m->nq + m->nv; i++)
      if (!crl__mj_in_range(i < m->nq ? d->qpos[i] : d->qvel[i - m->nq],
                            &k->healthy_state_range, 0))
        return 0;
  if (!crl__mj_in_range(d->qpos[t->z_index], &k->healthy_z_range, t->inclusive))
    return 0;
  return t->angle_index < 0 ||
         crl__mj_in_range(d->qpos[t->angle_index], &k->healthy_angle_range, 0);
}

static double clip(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

static double contact_cost(const mj_task_env *e) {
  const loco *t = LOCO(e);
  const mj_task_kwargs *k = &e->kw;
  const double *f = e->d->cfrc_ext;
  int n = 6 * e->m->nbody;
  double sq = 0.0;
  if (t->contact == CLIPPED_FORCES) {
    for (int i = 0; i < n; i++) {
      double c =
          clip(f[i], k->contact_force_range.v[0], k->contact_force_range.v[1]);
      sq += c * c;
    }
    return k->contact_cost_weight * sq;
  }
  const crl_real_list *r = t->contact == CLIPPED_COST ? &k->contact_cost_range
                                                      : &k->impact_cost_range;
  double w = t->contact == CLIPPED_COST ? k->contact_cost_weight
                                        : k->impact_cost_weight;
  for (int i = 0; i < n; i++)
    sq += f[i] * f[i];
  return clip(w * sq, r->v[0], r->v[1]);
}

static double loco_score(mj_task_env *e, const double *action,
                         int *terminated) {
  const loco *t = LOCO(e);
  const mj_task_kwargs *k = &e->kw;
  double xy[2] = {0.0, 0.0};
  where(e, xy);
  double vx = (xy[0] - e->before[0]) / e->dt;
  double vy = (xy[1] - e->before[1]) / e->dt;
  double forward = k->forward_reward_weight * vx;
  int healthy = t->z_index < 0 || is_healthy(e);
  double survive = t->z_index < 0 ? 0.0 : (healthy ? k->healthy_reward : 0.0);
  double ctrl = crl__mj_ctrl_cost(
      k->ctrl_cost_weight, t->ctrl_from_data ? e->d->ctrl : action, e->m->nu);
  double contact = t->contact == NO_CONTACT ? 0.0 : contact_cost(e);
  *terminated = !healthy && k->terminate_when_unhealthy;
  position_info(e);
  e->info[X_VELOCITY] = vx;
  e->info[Y_VELOCITY] = vy;
  e->info[REWARD_FORWARD] = forward;
  e->info[REWARD_CTRL] = -ctrl;
  e->info[REWARD_CONTACT] = -contact;
  e->info[REWARD_SURVIVE] = survive;
  return (forward + survive) - (ctrl + contact);
}

/* HumanoidStandup: uph_cost_weight * z / timestep - ctrl - impact + 1. */
static double standup_score(mj_task_env *e, const double *action,
                            int *terminated) {
  (void)action;
  const mj_task_kwargs *k = &e->kw;
  double uph = k->uph_cost_weight * (e->d->qpos[2] - 0) / e->m->opt.timestep;
  double ctrl = crl__mj_ctrl_cost(k->ctrl_cost_weight, e->d->ctrl, e->m->nu);
  double impact = contact_cost(e);
  *terminated = 0;
  standup_info(e);
  e->info[REWARD_LINUP] = uph;
  e->info[REWARD_QUADCTRL] = -ctrl;
  e->info[REWARD_IMPACT] = -impact;
  return uph - ctrl - impact + 1;
}

/* ---- observation --------------------------------------------------------- */

static void put(crl_real *obs, int *k, const double *v, int n) {
  for (int i = 0; i < n; i++)
    obs[(*k)++] = (crl_real)v[i];
}

static void loco_observe(const mj_task_env *e, crl_real *obs) {
  const loco *t = LOCO(e);
  const mjModel *m = e->m;
  const mjData *d = e->d;
  int skip = e->kw.exclude_current_positions_from_observation ? t->skip : 0;
  int k = 0, nb = m->nbody - 1, b = blocks(e);
  put(obs, &k, d->qpos + skip, m->nq - skip);
  for (int i = 0; i < m->nv; i++)
    obs[k++] = (crl_real)(t->qvel_clip > 0.0
                              ? clip(d->qvel[i], -t->qvel_clip, t->qvel_clip)
                              : d->qvel[i]);
  if (b & OBS_CINERT)
    put(obs, &k, d->cinert + 10, 10 * nb);
  if (b & OBS_CVEL)
    put(obs, &k, d->cvel + 6, 6 * nb);
  if (b & OBS_QFRC)
    put(obs, &k, d->qfrc_actuator + 6, m->nv - 6);
  if ((b & OBS_CFRC) && t->contact == CLIPPED_FORCES) {
    const crl_real_list *r = &e->kw.contact_force_range;
    for (int i = 6; i < 6 * m->nbody; i++)
      obs[k++] = (crl_real)clip(d->cfrc_ext[i], r->v[0], r->v[1]);
  } else if (b & OBS_CFRC) {
    put(obs, &k, d->cfrc_ext + 6, 6 * nb);
  }
}

/* ---- the settings -------------------------------------------------------- */

#define REAL(key, def, lo, hi, doc)                                            \
  { #key, CRL_PARAM_REAL, MJ_KW(key), def, lo, hi, NULL, doc }
#define BOOL(key, def, doc)                                                    \
  { #key, CRL_PARAM_BOOL, MJ_KW(key), def, 0, 1, NULL, doc }
#define RANGE(key, def, doc)                                                   \
  { #key, CRL_PARAM_REAL_LIST, MJ_KW(key), def, -INFINITY, INFINITY, NULL, doc }
#define FORWARD(def)                                                           \
  REAL(forward_reward_weight, def, -1e6, 1e6, "reward per m/s forward")
#define CTRL(def)                                                              \
  REAL(ctrl_cost_weight, def, 0, 1e6, "cost per sum of squared actions")
#define HEALTHY(def)                                                           \
  REAL(healthy_reward, def, -1e6, 1e6, "reward per step while healthy"),       \
      BOOL(terminate_when_unhealthy, "true", "end the episode when unhealthy")
#define NOISE(def)                                                             \
  REAL(reset_noise_scale, def, 0, 1e3, "reset noise scale on qpos and qvel")
#define EXCLUDE                                                                \
  BOOL(exclude_current_positions_from_observation, "true",                     \
       "leave the root's x (and y) out of the observation")
#define END                                                                    \
  { NULL, 0, 0, NULL, 0, 0, NULL, NULL }

// clang-format off
static const crl_param_def hopper_params[] = {
    MJ_TASK_COMMON_PARAMS("hopper.xml", "4", "1000"),
    FORWARD("1"), CTRL("0.001"), HEALTHY("1"),
    RANGE(healthy_state_range, "[-100, 100]", "healthy: every qpos[2:], qvel strictly inside"),
    RANGE(healthy_z_range, "[0.7, inf]", "healthy: torso height qpos[1] strictly inside"),
    RANGE(healthy_angle_range, "[-0.2, 0.2]", "healthy: torso angle qpos[2] strictly inside"),
    NOISE("0.005"), EXCLUDE, END};

static const crl_param_def walker_params[] = {
    MJ_TASK_COMMON_PARAMS("walker2d.xml", "4", "1000"),
    FORWARD("1"), CTRL("0.001"), HEALTHY("1"),
    RANGE(healthy_z_range, "[0.8, 2]", "healthy: torso height qpos[1] strictly inside"),
    RANGE(healthy_angle_range, "[-1, 1]", "healthy: torso angle qpos[2] strictly inside"),
    NOISE("0.005"), EXCLUDE, END};

static const crl_param_def cheetah_params[] = {
    MJ_TASK_COMMON_PARAMS("half_cheetah.xml", "5", "1000"),
    FORWARD("1"), CTRL("0.1"), NOISE("0.1"), EXCLUDE, END};

static const crl_param_def swimmer_params[] = {
    MJ_TASK_COMMON_PARAMS("swimmer.xml", "4", "1000"),
    FORWARD("1"), CTRL("0.0001"), NOISE("0.1"), EXCLUDE, END};

static const crl_param_def ant_params[] = {
    MJ_TASK_COMMON_PARAMS("ant.xml", "5", "1000"),
    FORWARD("1"), CTRL("0.5"),
    REAL(contact_cost_weight, "0.0005", 0, 1e6, "cost per sum of squared clipped contact forces"),
    HEALTHY("1"),
    {"main_body", CRL_PARAM_STRING, MJ_KW(main_body), "1", 0, 0, NULL,
     "body (id or name) whose x velocity is rewarded"},
    RANGE(healthy_z_range, "[0.2, 1]", "healthy: torso height qpos[2] inside (bounds included)"),
    RANGE(contact_force_range, "[-1, 1]", "cfrc_ext is clipped to this"),
    NOISE("0.1"), EXCLUDE,
    BOOL(include_cfrc_ext_in_observation, "true", "observe the clipped cfrc_ext of every body but the world"),
    END};

#define HUMANOID_OBS                                                           \
  BOOL(include_cinert_in_observation, "true", "observe cinert[1:]"),           \
  BOOL(include_cvel_in_observation, "true", "observe cvel[1:]"),               \
  BOOL(include_qfrc_actuator_in_observation, "true", "observe qfrc_actuator[6:]"), \
  BOOL(include_cfrc_ext_in_observation, "true", "observe cfrc_ext[1:]")

static const crl_param_def humanoid_params[] = {
    MJ_TASK_COMMON_PARAMS("humanoid.xml", "5", "1000"),
    FORWARD("1.25"), CTRL("0.1"),
    REAL(contact_cost_weight, "5e-7", 0, 1e6, "cost per sum of squared cfrc_ext"),
    RANGE(contact_cost_range, "[-inf, 10]", "the contact cost is clipped to this"),
    HEALTHY("5"),
    RANGE(healthy_z_range, "[1, 2]", "healthy: torso height qpos[2] strictly inside"),
    NOISE("0.01"), EXCLUDE, HUMANOID_OBS, END};

static const crl_param_def standup_params[] = {
    MJ_TASK_COMMON_PARAMS("humanoidstandup.xml", "5", "1000"),
    REAL(uph_cost_weight, "1", -1e6, 1e6, "reward per m of torso height per timestep"),
    CTRL("0.1"),
    REAL(impact_cost_weight, "5e-7", 0, 1e6, "cost per sum of squared cfrc_ext"),
    RANGE(impact_cost_range, "[-inf, 10]", "the impact cost is clipped to this"),
    NOISE("0.01"), EXCLUDE, HUMANOID_OBS, END};

/* Info in Gymnasium's order (tendon_length and tendon_velocity, arrays,
 * are left out: crl_mujoco_handles gives ten_length and ten_velocity). */
static const signed char planar_step[] = {X_POSITION, Z_DISTANCE, X_VELOCITY,
    REWARD_FORWARD, REWARD_CTRL, REWARD_SURVIVE};
static const signed char planar_reset[] = {X_POSITION, Z_DISTANCE};
static const signed char cheetah_step[] = {X_POSITION, X_VELOCITY,
    REWARD_FORWARD, REWARD_CTRL};
static const signed char cheetah_reset[] = {X_POSITION};
static const signed char swimmer_step[] = {X_POSITION, Y_POSITION, DISTANCE,
    X_VELOCITY, Y_VELOCITY, REWARD_FORWARD, REWARD_CTRL};
static const signed char xy_reset[] = {X_POSITION, Y_POSITION, DISTANCE};
static const signed char ant_step[] = {X_POSITION, Y_POSITION, DISTANCE,
    X_VELOCITY, Y_VELOCITY, REWARD_FORWARD, REWARD_CTRL, REWARD_CONTACT,
    REWARD_SURVIVE};
static const signed char humanoid_step[] = {X_POSITION, Y_POSITION, DISTANCE,
    X_VELOCITY, Y_VELOCITY, REWARD_SURVIVE, REWARD_FORWARD, REWARD_CTRL,
    REWARD_CONTACT};
static const signed char standup_step[] = {X_POSITION, Y_POSITION, Z_DISTANCE,
    REWARD_LINUP, REWARD_QUADCTRL, REWARD_IMPACT};
static const signed char standup_reset[] = {X_POSITION, Y_POSITION, Z_DISTANCE};
// clang-format on

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BASE(id, states, rne, extra_, score_, steps_, resets_)                 \
  {                                                                            \
    .name = id, .state_dim = states, .needs_rne = rne, .extra = extra_,        \
    .check = loco_check, .reset = loco_reset, .reset_info = position_info,     \
    .before = loco_before, .score = score_, .observe = loco_observe,           \
    .names = slot_names, .step_keys = steps_, .n_step_keys = N(steps_),        \
    .reset_keys = resets_, .n_reset_keys = N(resets_)                          \
  }

/* What each reads of mjData beyond qpos and qvel; state_dim = 1 + nq +
 * 2 nv + nu (no act, mocap or userdata) + those arrays. */
#define ANT_X (MJ_X_XPOS | MJ_X_CFRC_EXT)
#define HUMANOID_X                                                             \
  (MJ_X_XIPOS | MJ_X_CINERT | MJ_X_CVEL | MJ_X_QFRC_ACTUATOR | MJ_X_CFRC_EXT)
#define STANDUP_X (MJ_X_CINERT | MJ_X_CVEL | MJ_X_QFRC_ACTUATOR | MJ_X_CFRC_EXT)
static const loco hopper = {
    .base = BASE("Hopper-v5", 22, 0, 0, loco_score, planar_step, planar_reset),
    .root = "xzy",
    .skip = 1,
    .qvel_clip = 10,
    .at = AT_QPOS_X,
    .z_index = 1,
    .angle_index = 2,
    .state_range = 1};
static const loco walker = {.base = BASE("Walker2d-v5", 34, 0, 0, loco_score,
                                         planar_step, planar_reset),
                            .root = "xzy",
                            .skip = 1,
                            .qvel_clip = 10,
                            .at = AT_QPOS_X,
                            .z_index = 1,
                            .angle_index = 2};
static const loco cheetah = {.base =
                                 BASE("HalfCheetah-v5", 34, 0, 0, loco_score,
                                      cheetah_step, cheetah_reset),
                             .root = "xzy",
                             .skip = 1,
                             .at = AT_QPOS_X,
                             .z_index = -1,
                             .angle_index = -1,
                             .qvel_normal = 1};
static const loco swimmer = {
    .base = BASE("Swimmer-v5", 18, 0, 0, loco_score, swimmer_step, xy_reset),
    .root = "xyz",
    .skip = 2,
    .at = AT_QPOS_XY,
    .z_index = -1,
    .angle_index = -1};
static const loco ant = {
    .base = BASE("Ant-v5", 178, 1, ANT_X, loco_score, ant_step, xy_reset),
    .root = "free",
    .skip = 2,
    .at = AT_BODY_XY,
    .z_index = 2,
    .angle_index = -1,
    .inclusive = 1,
    .contact = CLIPPED_FORCES,
    .obs_blocks = OBS_CFRC,
    .qvel_normal = 1};
static const loco humanoid = {.base = BASE("Humanoid-v5", 461, 1, HUMANOID_X,
                                           loco_score, humanoid_step, xy_reset),
                              .root = "free",
                              .skip = 2,
                              .at = AT_MASS_CENTER,
                              .z_index = 2,
                              .angle_index = -1,
                              .contact = CLIPPED_COST,
                              .obs_blocks =
                                  OBS_CINERT | OBS_CVEL | OBS_QFRC | OBS_CFRC,
                              .ctrl_from_data = 1};
static const loco standup = {.base = {.name = "HumanoidStandup-v5",
                                      .state_dim = 419,
                                      .needs_rne = 1,
                                      .extra = STANDUP_X,
                                      .check = loco_check,
                                      .reset = loco_reset,
                                      .reset_info = standup_info,
                                      .before = loco_before,
                                      .score = standup_score,
                                      .observe = loco_observe,
                                      .names = slot_names,
                                      .step_keys = standup_step,
                                      .n_step_keys = N(standup_step),
                                      .reset_keys = standup_reset,
                                      .n_reset_keys = N(standup_reset)},
                             .root = "free",
                             .skip = 2,
                             .at = AT_QPOS_XY,
                             .z_index = -1,
                             .angle_index = -1,
                             .contact = IMPACT_COST,
                             .obs_blocks =
                                 OBS_CINERT | OBS_CVEL | OBS_QFRC | OBS_CFRC};

MJ_TASK_TYPE(crl__env_hopper_v5, hopper.base, "Hopper-v5", hopper_params,
             "Gymnasium Hopper-v5 (MuJoCo): 11 obs, 3 actions, 1000 steps", 22,
             1000);
MJ_TASK_TYPE(crl__env_walker2d_v5, walker.base, "Walker2d-v5", walker_params,
             "Gymnasium Walker2d-v5 (MuJoCo): 17 obs, 6 actions, 1000 steps",
             34, 1000);
MJ_TASK_TYPE(crl__env_half_cheetah_v5, cheetah.base, "HalfCheetah-v5",
             cheetah_params,
             "Gymnasium HalfCheetah-v5 (MuJoCo): 17 obs, 6 actions, 1000 steps",
             34, 1000);
MJ_TASK_TYPE(crl__env_swimmer_v5, swimmer.base, "Swimmer-v5", swimmer_params,
             "Gymnasium Swimmer-v5 (MuJoCo): 8 obs, 2 actions, 1000 steps", 18,
             1000);
MJ_TASK_TYPE(crl__env_ant_v5, ant.base, "Ant-v5", ant_params,
             "Gymnasium Ant-v5 (MuJoCo): 105 obs, 8 actions, 1000 steps", 178,
             1000);
MJ_TASK_TYPE(crl__env_humanoid_v5, humanoid.base, "Humanoid-v5",
             humanoid_params,
             "Gymnasium Humanoid-v5 (MuJoCo): 348 obs, 17 actions, 1000 steps",
             461, 1000);
MJ_TASK_TYPE(crl__env_humanoid_standup_v5, standup.base, "HumanoidStandup-v5",
             standup_params,
             "Gymnasium HumanoidStandup-v5 (MuJoCo): 348 obs, 17 actions, "
             "1000 steps",
             419, 1000);
