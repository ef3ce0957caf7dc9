/* The built-in environments, in the order `crl envs` lists them. */
#include "envs.h"
#include "internal.h"
#ifdef CRL_HAVE_MUJOCO
#include "mujoco_internal.h"
#endif

const crl_env_type *const crl_builtin_env_types[] = {
    &crl_env_pendulum,
    &crl_env_cartpole,
    &crl_env_cartpole_continuous,
    &crl_env_mountain_car_continuous,
    &crl_env_acrobot,
    &crl_env_short_corridor,
#ifdef CRL_HAVE_MUJOCO
    &crl_env_mujoco, /* any MJCF model, configured by settings */
#endif
};
const int crl_builtin_env_count =
    (int)(sizeof crl_builtin_env_types / sizeof crl_builtin_env_types[0]);

/* Types configured from the ones above: the project's MuJoCo models
 * (MujocoInvertedPendulum-v0, MujocoReacher-v0). A model file that cannot
 * be found still registers; making the env reports it. */
void crl_envs_register_presets(void) {
#ifdef CRL_HAVE_MUJOCO
  (void)crl_mj_register_presets();
#endif
}
