/* MuJoCo adapter internals shared by envs/mujoco*.c (not installed).
 *
 * One instance = one mjModel + one mjData, loaded in init. Everything the
 * hot path needs (index lists, bounds, scratch) is allocated there too, so
 * reset and step do not allocate. */
#ifndef CRL_ENVS_MUJOCO_INTERNAL_H
#define CRL_ENVS_MUJOCO_INTERNAL_H

#include <mujoco/mujoco.h>

#include "crl/mujoco.h"
#include "crl/params.h"

/* The declared settings (the "mujoco" type's parameter table points into
 * these fields). */
typedef struct mj_settings {
  char model[CRL_STRING_MAX];
  int frame_skip;
  int max_episode_steps;
  char obs_qpos[CRL_STRING_MAX];
  char obs_qvel[CRL_STRING_MAX];
  char obs_sensors[CRL_STRING_MAX];
  int obs_distance;
  char actuators[CRL_STRING_MAX];
  int normalize_actions;
  double alive_bonus;
  char forward_body[CRL_STRING_MAX];
  double forward_weight;
  double ctrl_cost_weight;
  char distance_from[CRL_STRING_MAX];
  char distance_to[CRL_STRING_MAX];
  double distance_weight;
  int terminate_qpos_index;
  crl_real_list terminate_qpos_range;
  char terminate_body[CRL_STRING_MAX];
  crl_real_list terminate_height_range;
  crl_real_list reset_qpos_noise;
  crl_real_list reset_qvel_noise;
} mj_settings;

/* A point in the world: a body's frame origin (xpos) or a site (site_xpos). */
typedef struct mj_point {
  int id; /* -1: unused */
  int is_site;
} mj_point;

typedef struct mj_env {
  /* ---- copied from the type's template into every instance --------------- */
  mj_settings set;
  crl_mujoco_spec cb; /* callbacks (keys/values are not kept) */
  char doc[192];      /* the configured type's doc line lives here */

  /* ---- made by init, released by fini ------------------------------------ */
  mjModel *m;
  mjData *d;
  int nobs_qpos, nobs_qvel, nobs_sensor, nobs_distance, act_dim, obs_dim,
      state_dim;
  int *qpos_idx, *qvel_idx, *sensor_idx, *act_idx; /* selections */
  double *ctrl_lo, *ctrl_hi; /* [act_dim] each selected actuator's range */
  double *act_lo, *act_hi;   /* [act_dim] action space bounds */
  double *obs_lo, *obs_hi;   /* [obs_dim] (-inf, inf) */
  double *action;            /* [act_dim] scratch: the clipped action */
  double *extra;             /* [cb.obs_extra] scratch for cb.observe */
  double *qpos_noise, *qvel_noise; /* [nq], [nv] reset noise half-widths */
  mj_point forward, dist_from, dist_to, height;
  double dt;  /* seconds per env step: timestep * frame_skip */
  int broken; /* a MuJoCo error left mjData unusable until reset */
  char why[256];
} mj_env;

/* envs/mujoco.c */
extern const crl_env_type crl__env_mujoco;
extern const crl_param_def crl__mujoco_params[];
int crl__mj_is_mujoco(const crl_env_type *type);
/* Fill a configured type's model-dependent fields from its template. */
int crl__mj_configure(crl_env_type *type, void *self_template);

/* envs/mujoco_guard.c: calls into MuJoCo with its errors turned into
 * CRL_E* codes and its warnings kept quiet. */
void crl__mj_install_handlers(void);
int crl__mj_load(const char *path, mjModel **out);
int crl__mj_make_data(const mjModel *m, mjData **out);
int crl__mj_step(const mjModel *m, mjData *d, int n);
int crl__mj_forward(const mjModel *m, mjData *d);

/* envs/mujoco_select.c */
typedef enum mj_sel_kind {
  MJ_SEL_QPOS,    /* qpos indices; names are joints */
  MJ_SEL_QVEL,    /* qvel indices; names are joints */
  MJ_SEL_SENSOR,  /* sensordata indices; names and numbers are sensors */
  MJ_SEL_ACTUATOR /* actuator ids; names or numbers */
} mj_sel_kind;
/* Parse "all", "none", or a list ("[0, 1]", "hinge slider") of indices
 * and names into out (NULL: only count). *n receives the count. */
int crl__mj_select(const mjModel *m, const char *setting, const char *text,
                   mj_sel_kind kind, int *out, int *n);
/* A body or site by name ("" = unused). */
int crl__mj_point(const mjModel *m, const char *setting, const char *name,
                  mj_point *out);
/* Find the model file: as given, then in $CRL_MUJOCO_MODELS, the source
 * tree's experiments/mujoco/models and the installed models directory. */
int crl__mj_resolve_model(const char *model, char *path, size_t size);

/* envs/mujoco/state.c: the state as doubles (state_size of them); put
 * starts from mj_resetData and leaves mj_forward to the caller. */
int crl__mj_state_size(const mjModel *m);
void crl__mj_state_get(const mjModel *m, const mjData *d, double *state);
void crl__mj_state_put(const mjModel *m, mjData *d, const double *state);
/* The same without mj_resetData. */
void crl__mj_state_copy_in(const mjModel *m, mjData *d, const double *state);
/* How many times MuJoCo found the simulation unstable and reset it. */
int crl__mj_unstable_count(const mjData *d);
/* envs/mujoco/guard.c: mj_rnePostConstraint (cacc, cfrc_int, cfrc_ext). */
int crl__mj_rne_post(const mjModel *m, mjData *d);

/* envs/mujoco_register.c: registers the project's models by name. */
int crl__mj_register_presets(void);

/* Gymnasium's v5 tasks under Gymnasium's ids (envs/mujoco/task.h):
 * locomotion.c and fixed_base.c. */
extern const crl_env_type crl__env_hopper_v5;
extern const crl_env_type crl__env_walker2d_v5;
extern const crl_env_type crl__env_half_cheetah_v5;
extern const crl_env_type crl__env_swimmer_v5;
extern const crl_env_type crl__env_ant_v5;
extern const crl_env_type crl__env_humanoid_v5;
extern const crl_env_type crl__env_humanoid_standup_v5;
extern const crl_env_type crl__env_inverted_pendulum_v5;
extern const crl_env_type crl__env_inverted_double_pendulum_v5;
extern const crl_env_type crl__env_reacher_v5;
extern const crl_env_type crl__env_pusher_v5;

#endif
