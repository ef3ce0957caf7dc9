/* The built-in algorithms, in the order `crl algos` lists them. */
#include "internal.h"

extern const crl_algo_type crl_algo_ppo;

const crl_algo_type *const crl_builtin_algo_types[] = {&crl_algo_ppo};
const int crl_builtin_algo_count = 1;
