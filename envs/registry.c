/* The built-in environments, in the order `crl envs` lists them. */
#include "envs.h"
#include "internal.h"

const crl_env_type *const crl_builtin_env_types[] = {
    &crl_env_pendulum,
    &crl_env_cartpole,
    &crl_env_cartpole_continuous,
    &crl_env_mountain_car_continuous,
    &crl_env_acrobot,
};
const int crl_builtin_env_count =
    (int)(sizeof crl_builtin_env_types / sizeof crl_builtin_env_types[0]);
