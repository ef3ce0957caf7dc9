/* Gymnasium's v5 tasks with a fixed base: InvertedPendulum,
 * InvertedDoublePendulum, Reacher and Pusher. Their observations have a
 * fixed size in Gymnasium, so the model must have exactly the joints the
 * task indexes. None reads contact forces. */
#include <math.h>

#include "envs/envs.h"
#include "task.h"

/* Info slots. */
enum {
  REWARD_SURVIVE,
  DISTANCE_PENALTY,
  VELOCITY_PENALTY,
  REWARD_DIST,
  REWARD_CTRL,
  REWARD_NEAR,
  N_SLOTS
};
static const char *const slot_names[N_SLOTS] = {
    "reward_survive", "distance_penalty", "velocity_penalty",
    "reward_dist",    "reward_ctrl",      "reward_near"};

_Static_assert((int)N_SLOTS <= (int)MJ_TASK_INFO_MAX, "info slots");

static int need_sizes(mj_task_env *e, const char *path, int nq, int nv) {
  if (e->m->nq != nq || e->m->nv != nv)
    return crl__mj_fail_model(e, path,
                              "has nq %d and nv %d, the task needs %d and %d",
                              e->m->nq, e->m->nv, nq, nv);
  return 0;
}

static double norm3(const double *a, const double *b) {
  double x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
  return sqrt(x * x + y * y + z * z);
}

static void no_info(mj_task_env *e) {
  (void)e;
}

static void nothing_before(mj_task_env *e) {
  (void)e;
}

/* ---- InvertedPendulum-v5 ------------------------------------------------- */
/* obs qpos, qvel; reward 1 while |qpos[1]| <= 0.2 and the observation is
 * finite, 0 on the step that ends the episode. */

static int pendulum_check(mj_task_env *e, const char *path) {
  int rc = need_sizes(e, path, 2, 2);
  rc = rc ? rc : crl__mj_check_joint(e, path, 0, mjJNT_SLIDE, -1);
  rc = rc ? rc : crl__mj_check_joint(e, path, 1, mjJNT_HINGE, -1);
  return rc ? rc : 4;
}

static void uniform_reset(mj_task_env *e, gsl_rng *rng) {
  double s = e->kw.reset_noise_scale;
  crl__mj_noise(rng, e->d->qpos, e->m->qpos0, e->m->nq, s, 0);
  crl__mj_noise(rng, e->d->qvel, NULL, e->m->nv, s, 0);
}

static double pendulum_score(mj_task_env *e, const double *action,
                             int *terminated) {
  (void)action;
  const double *q = e->d->qpos, *v = e->d->qvel;
  int finite =
      isfinite(q[0]) && isfinite(q[1]) && isfinite(v[0]) && isfinite(v[1]);
  *terminated = !finite || fabs(q[1]) > 0.2;
  e->info[REWARD_SURVIVE] = *terminated ? 0.0 : 1.0;
  return e->info[REWARD_SURVIVE];
}

static void qpos_qvel_observe(const mj_task_env *e, crl_real *obs) {
  int k = 0;
  for (int i = 0; i < e->m->nq; i++)
    obs[k++] = (crl_real)e->d->qpos[i];
  for (int i = 0; i < e->m->nv; i++)
    obs[k++] = (crl_real)e->d->qvel[i];
}

/* ---- InvertedDoublePendulum-v5 ------------------------------------------- */
/* obs qpos[0], sin(qpos[1:]), cos(qpos[1:]), clip(qvel, +-10),
 * clip(qfrc_constraint[0], +-10); the episode ends when the tip (site 0) is
 * at z <= 1. */

static int double_check(mj_task_env *e, const char *path) {
  int rc = need_sizes(e, path, 3, 3);
  rc = rc ? rc : crl__mj_check_joint(e, path, 0, mjJNT_SLIDE, -1);
  if (rc == 0 && e->m->nsite < 1)
    rc = crl__mj_fail_model(e, path,
                            "has no site (the task reads site 0, "
                            "the pole's tip)");
  return rc ? rc : 9;
}

static void double_reset(mj_task_env *e, gsl_rng *rng) {
  double s = e->kw.reset_noise_scale;
  crl__mj_noise(rng, e->d->qpos, e->m->qpos0, e->m->nq, s, 0);
  crl__mj_noise(rng, e->d->qvel, NULL, e->m->nv, s, 1);
}

static double double_score(mj_task_env *e, const double *action,
                           int *terminated) {
  (void)action;
  const double *tip = e->d->site_xpos, *v = e->d->qvel;
  double x = tip[0], y = tip[2];
  *terminated = y <= 1;
  double dist = 0.01 * crl__envs_sq(x) + crl__envs_sq(y - 2);
  double vel = 1e-3 * crl__envs_sq(v[1]) + 5e-3 * crl__envs_sq(v[2]);
  double alive = e->kw.healthy_reward * (*terminated ? 0 : 1);
  e->info[REWARD_SURVIVE] = alive;
  e->info[DISTANCE_PENALTY] = -dist;
  e->info[VELOCITY_PENALTY] = -vel;
  return alive - dist - vel;
}

static double clip10(double x) {
  return x < -10 ? -10 : (x > 10 ? 10 : x);
}

static void double_observe(const mj_task_env *e, crl_real *obs) {
  const double *q = e->d->qpos, *v = e->d->qvel;
  int k = 0;
  obs[k++] = (crl_real)q[0];
  for (int i = 1; i < 3; i++)
    obs[k++] = (crl_real)sin(q[i]);
  for (int i = 1; i < 3; i++)
    obs[k++] = (crl_real)cos(q[i]);
  for (int i = 0; i < 3; i++)
    obs[k++] = (crl_real)clip10(v[i]);
  obs[k++] = (crl_real)clip10(e->d->qfrc_constraint[0]);
}

/* ---- Reacher-v5 ---------------------------------------------------------- */
/* obs cos, sin of the two arm angles, the target's x, y (qpos[2:]), the
 * arm's qvel, fingertip - target in x, y; reward -|fingertip - target| *
 * reward_dist_weight - sum(a^2) * reward_control_weight. */

static int reacher_check(mj_task_env *e, const char *path) {
  int rc = need_sizes(e, path, 4, 4);
  if (rc)
    return rc;
  e->ids[0] = crl__mj_body(e, path, NULL, "fingertip");
  e->ids[1] = e->ids[0] < 0 ? e->ids[0] : crl__mj_body(e, path, NULL, "target");
  return e->ids[1] < 0 ? e->ids[1] : 10;
}

/* Gymnasium: arm noise U(-0.1, 0.1) on all of qpos (the target's two are
 * then replaced), a target drawn from the disc of radius 0.2 by rejection,
 * qvel U(-0.005, 0.005) with the target's zeroed. */
static void reacher_reset(mj_task_env *e, gsl_rng *rng) {
  double *q = e->d->qpos, *v = e->d->qvel, goal[2];
  crl__mj_noise(rng, q, e->m->qpos0, 4, 0.1, 0);
  do {
    crl__mj_noise(rng, goal, NULL, 2, 0.2, 0);
  } while (!(sqrt(goal[0] * goal[0] + goal[1] * goal[1]) < 0.2));
  q[2] = goal[0];
  q[3] = goal[1];
  crl__mj_noise(rng, v, NULL, 4, 0.005, 0);
  v[2] = v[3] = 0.0;
}

static double reacher_score(mj_task_env *e, const double *action,
                            int *terminated) {
  const double *xpos = e->d->xpos;
  double dist = -norm3(xpos + 3 * e->ids[0], xpos + 3 * e->ids[1]) *
                e->kw.reward_dist_weight;
  double ctrl =
      -crl__mj_ctrl_cost(1.0, action, e->m->nu) * e->kw.reward_control_weight;
  *terminated = 0;
  e->info[REWARD_DIST] = dist;
  e->info[REWARD_CTRL] = ctrl;
  return dist + ctrl;
}

static void reacher_observe(const mj_task_env *e, crl_real *obs) {
  const double *q = e->d->qpos, *v = e->d->qvel;
  const double *tip = e->d->xpos + 3 * e->ids[0],
               *target = e->d->xpos + 3 * e->ids[1];
  int k = 0;
  for (int i = 0; i < 2; i++)
    obs[k++] = (crl_real)cos(q[i]);
  for (int i = 0; i < 2; i++)
    obs[k++] = (crl_real)sin(q[i]);
  obs[k++] = (crl_real)q[2];
  obs[k++] = (crl_real)q[3];
  obs[k++] = (crl_real)v[0];
  obs[k++] = (crl_real)v[1];
  obs[k++] = (crl_real)(tip[0] - target[0]);
  obs[k++] = (crl_real)(tip[1] - target[1]);
}

/* ---- Pusher-v5 ----------------------------------------------------------- */
/* obs the arm's qpos[:7] and qvel[:7], then the positions of tips_arm,
 * object and goal; reward -|object - tip| * near - |object - goal| * dist -
 * sum(a^2) * control. */

static int pusher_check(mj_task_env *e, const char *path) {
  static const char *const bodies[3] = {"tips_arm", "object", "goal"};
  int rc = need_sizes(e, path, 11, 11);
  for (int i = 0; rc == 0 && i < 3; i++) {
    e->ids[i] = crl__mj_body(e, path, NULL, bodies[i]);
    rc = e->ids[i] < 0 ? e->ids[i] : 0;
  }
  return rc ? rc : 23;
}

/* Gymnasium: qpos = init_qpos; the object at (U(-0.3, 0), U(-0.2, 0.2))
 * (two draws, redrawn until it is more than 0.17 from the goal at the
 * origin) in qpos[-4:-2], the goal in qpos[-2:]; qvel U(-0.005, 0.005)
 * with the last four zeroed. */
static void pusher_reset(mj_task_env *e, gsl_rng *rng) {
  double *q = e->d->qpos, *v = e->d->qvel, c[2];
  do {
    c[0] = -0.3 + (0 - -0.3) * gsl_rng_uniform(rng);
    c[1] = -0.2 + (0.2 - -0.2) * gsl_rng_uniform(rng);
  } while (!(sqrt(c[0] * c[0] + c[1] * c[1]) > 0.17));
  q[7] = c[0];
  q[8] = c[1];
  q[9] = q[10] = 0.0;
  crl__mj_noise(rng, v, NULL, 11, 0.005, 0);
  v[7] = v[8] = v[9] = v[10] = 0.0;
}

static double pusher_score(mj_task_env *e, const double *action,
                           int *terminated) {
  const double *xpos = e->d->xpos;
  const double *tip = xpos + 3 * e->ids[0], *object = xpos + 3 * e->ids[1],
               *goal = xpos + 3 * e->ids[2];
  const mj_task_kwargs *k = &e->kw;
  double near = -norm3(object, tip) * k->reward_near_weight;
  double dist = -norm3(object, goal) * k->reward_dist_weight;
  double ctrl =
      -crl__mj_ctrl_cost(1.0, action, e->m->nu) * k->reward_control_weight;
  *terminated = 0;
  e->info[REWARD_DIST] = dist;
  e->info[REWARD_CTRL] = ctrl;
  e->info[REWARD_NEAR] = near;
  return dist + ctrl + near;
}

static void pusher_observe(const mj_task_env *e, crl_real *obs) {
  int k = 0;
  for (int i = 0; i < 7; i++)
    obs[k++] = (crl_real)e->d->qpos[i];
  for (int i = 0; i < 7; i++)
    obs[k++] = (crl_real)e->d->qvel[i];
  for (int b = 0; b < 3; b++)
    for (int i = 0; i < 3; i++)
      obs[k++] = (crl_real)e->d->xpos[3 * e->ids[b] + i];
}

/* ---- the tables ---------------------------------------------------------- */

#define REAL(key, def, lo, hi, doc)                                            \
  { #key, CRL_PARAM_REAL, MJ_KW(key), def, lo, hi, NULL, doc }
#define NOISE(def)                                                             \
  REAL(reset_noise_scale, def, 0, 1e3, "reset noise scale on qpos and qvel")
#define END                                                                    \
  { NULL, 0, 0, NULL, 0, 0, NULL, NULL }

// clang-format off
static const crl_param_def pendulum_params[] = {
    MJ_TASK_COMMON_PARAMS("inverted_pendulum.xml", "2", "1000"),
    NOISE("0.01"), END};
static const crl_param_def double_params[] = {
    MJ_TASK_COMMON_PARAMS("inverted_double_pendulum.xml", "5", "1000"),
    REAL(healthy_reward, "10", -1e6, 1e6, "reward per step while the tip is above z = 1"),
    NOISE("0.1"), END};
static const crl_param_def reacher_params[] = {
    MJ_TASK_COMMON_PARAMS("reacher_v5.xml", "2", "50"),
    REAL(reward_dist_weight, "1", 0, 1e6, "cost per m from fingertip to target"),
    REAL(reward_control_weight, "1", 0, 1e6, "cost per sum of squared actions"),
    END};
static const crl_param_def pusher_params[] = {
    MJ_TASK_COMMON_PARAMS("pusher.xml", "5", "100"),
    REAL(reward_near_weight, "0.5", 0, 1e6, "cost per m from the arm's tip to the object"),
    REAL(reward_dist_weight, "1", 0, 1e6, "cost per m from the object to the goal"),
    REAL(reward_control_weight, "0.1", 0, 1e6, "cost per sum of squared actions"),
    END};

static const signed char pendulum_step[] = {REWARD_SURVIVE};
static const signed char double_step[] = {REWARD_SURVIVE, DISTANCE_PENALTY,
                                          VELOCITY_PENALTY};
static const signed char reacher_step[] = {REWARD_DIST, REWARD_CTRL};
static const signed char pusher_step[] = {REWARD_DIST, REWARD_CTRL, REWARD_NEAR};
// clang-format on

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define TASK(id, states, extra_, check_, reset_, score_, observe_, steps_)     \
  {                                                                            \
    .name = id, .state_dim = states, .extra = extra_, .check = check_,         \
    .reset = reset_, .reset_info = no_info, .before = nothing_before,          \
    .score = score_, .observe = observe_, .names = slot_names,                 \
    .step_keys = steps_, .n_step_keys = N(steps_)                              \
  }

/* state_dim = 1 + nq + 2 nv + nu + what the task reads of mjData beyond
 * qpos and qvel (task.h). */
static const mj_task pendulum =
    TASK("InvertedPendulum-v5", 8, 0, pendulum_check, uniform_reset,
         pendulum_score, qpos_qvel_observe, pendulum_step);
static const mj_task double_pendulum =
    TASK("InvertedDoublePendulum-v5", 17, MJ_X_SITE | MJ_X_QFRC_CONSTRAINT,
         double_check, double_reset, double_score, double_observe, double_step);
static const mj_task reacher =
    TASK("Reacher-v5", 30, MJ_X_XPOS, reacher_check, reacher_reset,
         reacher_score, reacher_observe, reacher_step);
static const mj_task pusher =
    TASK("Pusher-v5", 80, MJ_X_XPOS, pusher_check, pusher_reset, pusher_score,
         pusher_observe, pusher_step);

MJ_TASK_TYPE(crl__env_inverted_pendulum_v5, pendulum, "InvertedPendulum-v5",
             pendulum_params,
             "Gymnasium InvertedPendulum-v5 (MuJoCo): 4 obs, 1 action, 1000 "
             "steps",
             8, 1000);
MJ_TASK_TYPE(crl__env_inverted_double_pendulum_v5, double_pendulum,
             "InvertedDoublePendulum-v5", double_params,
             "Gymnasium InvertedDoublePendulum-v5 (MuJoCo): 9 obs, 1 action, "
             "1000 steps",
             17, 1000);
MJ_TASK_TYPE(crl__env_reacher_v5, reacher, "Reacher-v5", reacher_params,
             "Gymnasium Reacher-v5 (MuJoCo): 10 obs, 2 actions, 50 steps", 30,
             50);
MJ_TASK_TYPE(crl__env_pusher_v5, pusher, "Pusher-v5", pusher_params,
             "Gymnasium Pusher-v5 (MuJoCo): 23 obs, 7 actions, 100 steps", 80,
             100);
