/* Internal helpers shared by library modules; not installed. */
#ifndef CRL_INTERNAL_H
#define CRL_INTERNAL_H

#include <stddef.h>

#include "crl/algo.h"
#include "crl/env.h"
#include "crl/state.h"

/* One env handle in a checkpoint (lib/env/env.c): "name" (must match),
 * "state" (get_state's vector, no NaN), "elapsed" (the TimeLimit counter)
 * and "rng" (the reset generator). CRL_EUNSUPPORTED for an env without
 * get_state/set_state. */
int crl__env_sections(void *env, crl_state_io *io);

/* A vec env in a checkpoint (lib/env/vec_env.c): "env" and "n" (must
 * match), the current and final observations, rewards, flags, running
 * episode returns and lengths, the recent-episode statistics, and every
 * copy as "env<i>". */
int crl__vec_env_sections(void *venv, crl_state_io *io);

/* 1 when crl_vec_env_step runs the copies' steps as tasks on the calling
 * thread's pool (CRL_ENV_PARALLEL_STEP and helpers to run them). */
int crl__vec_env_steps_on_threads(const crl_vec_env *venv);

/* The env's own state struct (for adapters such as envs/mujoco*.c). */
void *crl__env_self(crl_env *env);

/* Levenshtein distance, case-insensitive. */
int crl__edit_distance(const char *a, const char *b);

/* crl_nearest_name (crl/params.h) over a strided array of structs whose first
 * member is const char * (e.g. a crl_param_def table ended by a NULL name). */
const char *crl__nearest_name_strided(const char *key, const void *first,
                                      size_t stride);

/* CRL_ENOTFOUND for a key of no row of defs, naming the nearest
 * (lib/core/params.c; params_format.c's too). */
int crl__params_fail_unknown_key(const crl_param_def *defs, const char *key);

/* log(1 - tanh^2 u) = 2 (log 2 - u - softplus(-2u)), exact and finite for
 * every u: the squashing correction of SAC's log-probabilities (lib/nn/
 * dist.c, and gSDE's in lib/rl/sde.c). */
double crl__log_dtanh(double u);

#endif
