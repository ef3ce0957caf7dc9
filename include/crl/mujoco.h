/* crl: MuJoCo models as environments (built with -Dmujoco=enabled; then
 * crl/config.h defines CRL_HAVE_MUJOCO and crl.h includes this header).
 *
 * Any MJCF file becomes an environment. The env type "mujoco" declares its
 * settings as a parameter table (`crl envs`, docs/mujoco.md): the model
 * file, the frame skip, which qpos / qvel / sensor values form the
 * observation, which actuators form the action (the policy acts in
 * [-1, 1], scaled to each actuator's ctrlrange), built-in reward and
 * termination terms, reset noise and the TimeLimit. A YAML experiment
 * names them under env_kwargs, which the runner passes to
 * crl_env_register_configured(name, "mujoco", ...); from C, the same keys
 * go to crl_mujoco_register, which also takes callbacks for what the
 * built-in terms cannot say. The project's own models are registered as
 * MujocoInvertedPendulum-v0 and MujocoReacher-v0.
 *
 * Errors. MuJoCo reports errors and warnings through process-global hooks
 * (mju_user_error, mju_user_warning) whose default prints and exits. The
 * first MuJoCo env crl creates installs handlers of its own, once per
 * process: inside crl's calls into MuJoCo an error becomes a CRL_E* code
 * with MuJoCo's message (crl_last_error), and a warning is kept quiet. A
 * program that calls MuJoCo itself should install its own handlers before
 * creating a crl MuJoCo env: outside crl's calls, crl's handlers pass
 * errors and warnings on to the handlers that were installed before them
 * (with none installed, they are dropped rather than printed, and MuJoCo
 * carries on after an error). */
#ifndef CRL_MUJOCO_H
#define CRL_MUJOCO_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/env.h"

CRL_BEGIN_DECLS

/* MuJoCo's own types; include <mujoco/mujoco.h> to use them. Declared here
 * so that crl.h does not need MuJoCo's headers. */
struct mjModel_;
struct mjData_;

/* A MuJoCo environment described from C. Callbacks are optional (NULL);
 * every copy of the env (vec envs, evaluation) calls them with the same
 * `user`, one copy at a time, so keep per-episode state in mjData (e.g.
 * d->userdata, sized by the model's nuserdata) rather than in `user`:
 * userdata is part of the env's state (get_state/set_state), so a run on
 * such an env is checkpointed and resumed bit for bit with no state slots
 * of its own. */
typedef struct crl_mujoco_spec {
  const char *model;       /* MJCF file: the `model` setting (may be NULL
                              when the settings name it) */
  int n_settings;          /* more settings, as text, exactly as in YAML */
  const char *const *keys; /* e.g. "frame_skip", "obs_qvel" */
  const char *const *values;
  /* Added to the built-in reward terms after each step (after frame_skip
   * physics steps and mj_forward, so positions and sensors are current).
   * action: the action as applied, clipped to the action space (act_dim
   * values). May set *terminated = 1 to end the episode. */
  double (*reward)(const struct mjModel_ *m, const struct mjData_ *d,
                   const double *action, int *terminated, void *user);
  /* Called at reset after the built-in reset noise and before mj_forward,
   * e.g. to place a target. Draw randomness only from rng, so that a seed
   * reproduces the episode. Return 0 or a negative CRL_E* code. */
  int (*reset)(const struct mjModel_ *m, struct mjData_ *d, gsl_rng *rng,
               void *user);
  /* obs_extra more observation values, written after the built-in ones
   * (positions and sensors are current when it is called). */
  int obs_extra;
  void (*observe)(const struct mjModel_ *m, const struct mjData_ *d,
                  double *out, void *user);
  void *user;
} crl_mujoco_spec;

/** Register a MuJoCo environment under `name` (the spec is copied; `user`
 *  and the callbacks must stay valid). The model is loaded once here to
 *  check the settings and size the observation, action and state: a
 *  missing file fails with CRL_EIO, an MJCF error with CRL_EFORMAT and
 *  MuJoCo's message, an unknown setting with CRL_ENOTFOUND, a setting that
 *  does not fit the model (an index past nq, an unknown body, ...) with
 *  CRL_EINVAL or CRL_ERANGE. Afterwards crl_env_make(name), vec envs and
 *  YAML `env: name` use it. */
CRL_API int crl_mujoco_register(const char *name, const crl_mujoco_spec *spec);

/** The model and data behind a MuJoCo env instance, e.g. to render it or
 *  read contacts (do not change the model; changing the data is the same
 *  as set_state). CRL_EINVAL when env is not a MuJoCo env. */
CRL_API int crl_mujoco_handles(crl_env *env, const struct mjModel_ **model,
                               struct mjData_ **data);

/* ---- Gymnasium's tasks ----------------------------------------------------
 * Hopper-v5, Walker2d-v5, HalfCheetah-v5, Swimmer-v5, Ant-v5, Humanoid-v5,
 * HumanoidStandup-v5, InvertedPendulum-v5, InvertedDoublePendulum-v5,
 * Reacher-v5 and Pusher-v5 are built-in envs with Gymnasium's observation,
 * reward, termination, reset and keyword arguments (docs/mujoco.md). What
 * Gymnasium returns as the info dict of the last reset or step is read
 * here: item i of crl_mujoco_info_count(env), in Gymnasium's order
 * ("x_velocity", "reward_ctrl", ...), or one value by name (CRL_ENOTFOUND
 * when the last reset or step did not report it). Other envs: CRL_EINVAL. */
CRL_API int crl_mujoco_info_count(crl_env *env);
CRL_API int crl_mujoco_info(crl_env *env, int i, const char **name,
                            double *value);
CRL_API int crl_mujoco_info_get(crl_env *env, const char *name, double *value);

CRL_END_DECLS

#endif
