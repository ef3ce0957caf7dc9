/* Internal helpers shared by library modules; not installed. */
#ifndef CRL_INTERNAL_H
#define CRL_INTERNAL_H

#include <stddef.h>

#include "crl/algo.h"
#include "crl/env.h"

/* Built-in environments (envs/registry.c). */
extern const crl_env_type *const crl_builtin_env_types[];
extern const int crl_builtin_env_count;
/* Registers the built-in configured types (envs/registry.c); called once,
 * on the registry's first use. */
void crl_envs_register_presets(void);

/* Built-in algorithms (algos/registry.c). */
extern const crl_algo_type *const crl_builtin_algo_types[];
extern const int crl_builtin_algo_count;

/* Env handle internals for checkpoints (lib/env.c). */
gsl_rng *crl_env_rng(crl_env *env);
void crl_env_set_elapsed_steps(crl_env *env, int steps);
/* The env's own state struct (for adapters such as envs/mujoco*.c). */
void *crl_env_self(crl_env *env);

/* Levenshtein distance, case-insensitive. */
int crl_edit_distance(const char *a, const char *b);

/* Of names[0..n-1], the one nearest to key, or NULL when none is within a
 * distance that makes a suggestion useful. */
const char *crl_nearest_name(const char *key, const char *const *names, int n);

/* Same, over a strided array of structs whose first member is const char *
 * (e.g. a crl_param_def table ended by a NULL name). */
const char *crl_nearest_name_strided(const char *key, const void *first,
                                     size_t stride);

#endif
