/* Internal helpers shared by library modules; not installed. */
#ifndef CRL_INTERNAL_H
#define CRL_INTERNAL_H

#include <stddef.h>

#include "crl/algo.h"
#include "crl/env.h"

/* Env handle internals for checkpoints (lib/env.c). */
gsl_rng *crl__env_rng(crl_env *env);
void crl__env_set_elapsed_steps(crl_env *env, int steps);
/* The env's own state struct (for adapters such as envs/mujoco*.c). */
void *crl__env_self(crl_env *env);

/* Levenshtein distance, case-insensitive. */
int crl__edit_distance(const char *a, const char *b);

/* crl_nearest_name (crl/params.h) over a strided array of structs whose first
 * member is const char * (e.g. a crl_param_def table ended by a NULL name). */
const char *crl__nearest_name_strided(const char *key, const void *first,
                                      size_t stride);

#endif
