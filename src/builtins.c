/* The composition root: the one file that names the built-in environments
 * and algorithms, in the order `crl envs` and `crl algos` list them. The
 * registries in lib/ know only the crl__builtins table defined here. */
#include "core/builtins.h"
#include "algos/algos.h"
#include "envs/envs.h"
#ifdef CRL_HAVE_MUJOCO
#include "envs/mujoco/mujoco_internal.h"
#endif

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const crl_env_type *const env_types[] = {
    &crl__env_pendulum,
    &crl__env_cartpole,
    &crl__env_cartpole_continuous,
    &crl__env_mountain_car_continuous,
    &crl__env_acrobot,
    &crl__env_short_corridor,
#ifdef CRL_HAVE_MUJOCO
    &crl__env_mujoco, /* any MJCF model, configured by settings */
    /* Gymnasium's v5 MuJoCo tasks */
    &crl__env_inverted_pendulum_v5,
    &crl__env_inverted_double_pendulum_v5,
    &crl__env_reacher_v5,
    &crl__env_pusher_v5,
    &crl__env_swimmer_v5,
    &crl__env_hopper_v5,
    &crl__env_walker2d_v5,
    &crl__env_half_cheetah_v5,
    &crl__env_ant_v5,
    &crl__env_humanoid_v5,
    &crl__env_humanoid_standup_v5,
#endif
};

static const crl_algo_type *const algo_types[] = {
    &crl__algo_ppo,  &crl__algo_reinforce, &crl__algo_qac,    &crl__algo_a2c,
    &crl__algo_trpo, &crl__algo_grpo,      &crl__algo_ddpg,   &crl__algo_td3,
    &crl__algo_sac,  &crl__algo_tqc,       &crl__algo_crossq, &crl__algo_pmd,
};

/* Types configured from the ones above: the project's MuJoCo models
 * (MujocoInvertedPendulum-v0, MujocoReacher-v0). A model file that cannot
 * be found still registers; making the env reports it. */
static void register_presets(void) {
#ifdef CRL_HAVE_MUJOCO
  (void)crl__mj_register_presets();
#endif
}

const crl__builtin_set crl__builtins = {
    .env_types = env_types,
    .n_env_types = COUNT(env_types),
    .algo_types = algo_types,
    .n_algo_types = COUNT(algo_types),
    .register_presets = register_presets,
};
