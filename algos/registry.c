/* The built-in algorithms, in the order `crl algos` lists them. */
#include "internal.h"

extern const crl_algo_type crl_algo_ppo;
extern const crl_algo_type crl_algo_reinforce;
extern const crl_algo_type crl_algo_qac;
extern const crl_algo_type crl_algo_a2c;
extern const crl_algo_type crl_algo_trpo;
extern const crl_algo_type crl_algo_grpo;
extern const crl_algo_type crl_algo_ddpg;
extern const crl_algo_type crl_algo_td3;
extern const crl_algo_type crl_algo_sac;

const crl_algo_type *const crl_builtin_algo_types[] = {
    &crl_algo_ppo,  &crl_algo_reinforce, &crl_algo_qac,
    &crl_algo_a2c,  &crl_algo_trpo,      &crl_algo_grpo,
    &crl_algo_ddpg, &crl_algo_td3,       &crl_algo_sac,
};
const int crl_builtin_algo_count =
    (int)(sizeof crl_builtin_algo_types / sizeof crl_builtin_algo_types[0]);
