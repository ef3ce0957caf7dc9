/* The built-in algorithms, in the order `crl algos` lists them. */
#include "internal.h"

const crl_algo_type *const crl_builtin_algo_types[] = {NULL};
const int crl_builtin_algo_count = 0;
