/* Gymnasium's v5 MuJoCo tasks (Hopper-v5, Ant-v5, ...) on top of the MuJoCo
 * adapter's loading, stepping and state code. Internal (not installed).
 *
 * One env vtable (task.c) serves every task; a task is a table entry
 * (mj_task) with a few small functions: check the model and size the
 * observation, place the initial state, read the positions the reward
 * differentiates, score a step, write the observation. The settings are
 * Gymnasium's keyword arguments with Gymnasium's names, one struct for all
 * tasks (mj_task_kwargs); each task's parameter table lists the ones it
 * takes, with its defaults.
 *
 * A step follows Gymnasium's MujocoEnv.do_simulation: ctrl = the action
 * (unclipped: MuJoCo clamps it to ctrlrange itself), frame_skip mj_steps,
 * then mj_rnePostConstraint when the task reads cfrc_ext. There is no
 * mj_forward after the step, so positions (xpos, site_xpos, xipos) are as
 * mj_step leaves them, exactly what Gymnasium reads. */
#ifndef CRL_ENVS_MUJOCO_TASK_H
#define CRL_ENVS_MUJOCO_TASK_H

#include <gsl/gsl_rng.h>
#include <mujoco/mujoco.h>

#include "crl/env.h"
#include "crl/params.h"

enum { MJ_TASK_INFO_MAX = 16, MJ_TASK_IDS = 4 };

/* Gymnasium's keyword arguments, the union over the tasks. */
typedef struct mj_task_kwargs {
  char xml_file[CRL_STRING_MAX];
  int frame_skip;
  int max_episode_steps;
  double forward_reward_weight;
  double ctrl_cost_weight;
  double contact_cost_weight;
  double healthy_reward;
  int terminate_when_unhealthy;
  crl_real_list healthy_z_range;     /* [low, high] */
  crl_real_list healthy_angle_range; /* [low, high] */
  crl_real_list healthy_state_range; /* [low, high] */
  crl_real_list contact_force_range; /* [low, high]: Ant clips cfrc_ext */
  crl_real_list contact_cost_range;  /* [low, high]: Humanoid clips the cost */
  double reset_noise_scale;
  int exclude_current_positions_from_observation;
  int include_cinert_in_observation;
  int include_cvel_in_observation;
  int include_qfrc_actuator_in_observation;
  int include_cfrc_ext_in_observation;
  char main_body[CRL_STRING_MAX]; /* Ant: a body id or name */
  double reward_dist_weight;
  double reward_control_weight;
  double reward_near_weight;
  double uph_cost_weight;
  double impact_cost_weight;
  crl_real_list impact_cost_range; /* [low, high] */
} mj_task_kwargs;

struct mj_task;

/* What a task reads of mjData beyond the state: mj_step leaves these from
 * its last substep, and nothing recomputes them from qpos and qvel alone,
 * so the task's state carries them (after the adapter's state) and a
 * restored env observes and differences exactly what the original did. */
enum {
  MJ_X_XPOS = 1,             /* [nbody, 3] */
  MJ_X_XIPOS = 2,            /* [nbody, 3] */
  MJ_X_SITE = 4,             /* [nsite, 3] site_xpos */
  MJ_X_CINERT = 8,           /* [nbody, 10] */
  MJ_X_CVEL = 16,            /* [nbody, 6] */
  MJ_X_QFRC_ACTUATOR = 32,   /* [nv] */
  MJ_X_CFRC_EXT = 64,        /* [nbody, 6] */
  MJ_X_QFRC_CONSTRAINT = 128 /* [nv] */
};

typedef struct mj_task_env {
  /* ---- settings: defaults, then env_kwargs (before init) ---------------- */
  mj_task_kwargs kw;
  int declared_state_dim; /* configured type's state_dim; 0: the task's */

  /* ---- made by init, released by fini ----------------------------------- */
  const struct mj_task *task;
  mjModel *m;
  mjData *d;
  void *block;    /* the buffers below, one allocation */
  double *act_lo; /* [nu] the actuators' ctrlrange */
  double *act_hi; /* [nu] */
  double *obs_lo; /* [obs_dim] -inf */
  double *obs_hi; /* [obs_dim] +inf */
  double *action; /* [nu] scratch: the action as doubles */
  int obs_dim;
  double dt;                     /* timestep * frame_skip */
  int ids[MJ_TASK_IDS];          /* bodies / sites the task reads */
  double before[2];              /* the positions before the step (x, y) */
  double info[MJ_TASK_INFO_MAX]; /* info values by slot */
  const signed char *keys;       /* slots the last reset or step reports */
  int n_keys;
  int broken; /* a MuJoCo error left mjData unusable until reset */
  char why[256];
} mj_task_env;

/* A task. The functions see the model and data through e. Info values
 * live in e->info at fixed slots (the task family's `names`); a reset and
 * a step each report the slots their key list names, in Gymnasium's
 * order. */
typedef struct mj_task {
  const char *name; /* Gymnasium's id */
  int state_dim;    /* the default model's crl__mj_task_state_size */
  int needs_rne;    /* call mj_rnePostConstraint after the step */
  int extra;        /* MJ_X_* the task reads */
  /* Check the model against the task (the error names the file) and the
   * settings against the model; return the observation size, or a
   * negative CRL_E* code. */
  int (*check)(mj_task_env *e, const char *path);
  /* After mj_resetData: set qpos and qvel from rng (mj_forward follows),
   * then, after it, the reset's info. */
  void (*reset)(mj_task_env *e, gsl_rng *rng);
  void (*reset_info)(mj_task_env *e);
  /* Before the physics steps: keep what the reward differentiates. */
  void (*before)(mj_task_env *e);
  /* After them: the reward and terminated; fills the step's info. */
  double (*score)(mj_task_env *e, const double *action, int *terminated);
  void (*observe)(const mj_task_env *e, crl_real *obs);
  const char *const *names;     /* [slots] info names of the task's family */
  const signed char *step_keys; /* slots a step reports, in order */
  int n_step_keys;
  const signed char *reset_keys; /* slots a reset reports */
  int n_reset_keys;
} mj_task;

/* ---- task.c: the shared vtable ------------------------------------------ */
/* A task's env type is MJ_TASK_TYPE(symbol, task, name, params, doc,
 * state_dim, max_episode_steps), with the task's own name and state_dim
 * repeated as constants (a test checks that they agree). */
int crl__mj_task_init(void *self, const mj_task *task, crl_space *obs,
                      crl_space *act);
int crl__mj_task_reset(void *self, gsl_rng *rng);
int crl__mj_task_step(void *self, const crl_real *action, double *reward,
                      int *terminated);
void crl__mj_task_observe(const void *self, crl_real *obs);
void crl__mj_task_get_state(const void *self, double *state);
void crl__mj_task_set_state(void *self, const double *state);
void crl__mj_task_fini(void *self);
int crl__mj_task_configure(crl_env_type *type, void *self_template);
int crl__mj_is_task(const crl_env_type *type);
/* The adapter's state size plus the task's MJ_X_* arrays. */
int crl__mj_task_state_size(const mjModel *m, int extra);

#define MJ_TASK_TYPE(sym, task_, name_, params_, doc_, state_dim_, steps_)     \
  static int sym##_init(void *self, crl_space *obs, crl_space *act) {          \
    return crl__mj_task_init(self, &(task_), obs, act);                        \
  }                                                                            \
  const crl_env_type sym = {.name = name_,                                     \
                            .doc = doc_,                                       \
                            .self_size = sizeof(mj_task_env),                  \
                            .max_episode_steps = steps_,                       \
                            .state_dim = state_dim_,                           \
                            .init = sym##_init,                                \
                            .reset = crl__mj_task_reset,                       \
                            .step = crl__mj_task_step,                         \
                            .observe = crl__mj_task_observe,                   \
                            .get_state = crl__mj_task_get_state,               \
                            .set_state = crl__mj_task_set_state,               \
                            .fini = crl__mj_task_fini,                         \
                            .params = params_,                                 \
                            .configure = crl__mj_task_configure,               \
                            .flags = CRL_ENV_PARALLEL_STEP}

/* ---- task.c: what the tasks share ---------------------------------------- */

/* The rows every task has (xml_file, frame_skip, max_episode_steps), with
 * the task's defaults. */
#define MJ_KW(field) offsetof(mj_task_env, kw.field)
#define MJ_TASK_COMMON_PARAMS(xml, skip, steps)                                \
  {"xml_file",                                                                 \
   CRL_PARAM_STRING,                                                           \
   MJ_KW(xml_file),                                                            \
   xml,                                                                        \
   0,                                                                          \
   0,                                                                          \
   NULL,                                                                       \
   "MJCF file; a relative name is also looked up in $CRL_MUJOCO_MODELS and "   \
   "the project's models"},                                                    \
      {"frame_skip", CRL_PARAM_INT, MJ_KW(frame_skip),      skip, 1,           \
       10000,        NULL,          "mj_steps per env step"},                  \
  {                                                                            \
    "max_episode_steps", CRL_PARAM_INT, MJ_KW(max_episode_steps), steps, 0,    \
        1e9, NULL, "TimeLimit: truncate after this many steps (0: never)"      \
  }

/* ctrl_cost_weight * sum(a^2) over n values. */
double crl__mj_ctrl_cost(double weight, const double *a, int n);
/* lo < x < hi, or lo <= x <= hi when inclusive. */
int crl__mj_in_range(double x, const crl_real_list *range, int inclusive);
/* base[i] + U(-s, s), or + s * N(0, 1) when normal, for i < n. */
void crl__mj_noise(gsl_rng *rng, double *out, const double *base, int n,
                   double s, int normal);
/* Check a [low, high] setting (low <= high). */
int crl__mj_check_range(const mj_task_env *e, const char *key,
                        const crl_real_list *r);
/* The model has exactly / at least so many of something: the error names
 * the task, the file and xml_file. */
int crl__mj_fail_model(const mj_task_env *e, const char *path, const char *fmt,
                       ...);
/* Joint j is of the given type (mjJNT_SLIDE, ...) and, for slides and
 * hinges, along axis (0 x, 1 y, 2 z; -1 any). */
int crl__mj_check_joint(const mj_task_env *e, const char *path, int j, int type,
                        int axis);
/* A body by name or number: its id, or a negative CRL_E* code naming the
 * file and the setting (key, or xml_file for a body the task names). */
int crl__mj_body(const mj_task_env *e, const char *path, const char *key,
                 const char *name);

#endif
