/* The built-in environments, in the order `crl envs` lists them. */
#include "internal.h"

const crl_env_type *const crl_builtin_env_types[] = {NULL};
const int crl_builtin_env_count = 0;
