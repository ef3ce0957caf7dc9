/* crl: a vector of N copies of one environment with auto-reset.
 *
 * After crl_vec_env_step, obs() holds the observation each copy continues
 * from: when a copy's episode ended (terminated or truncated) it has already
 * been reset, and final_obs() holds the last observation of the finished
 * episode, which GAE needs to bootstrap a truncated one. Copy i's reset RNG
 * is seeded from crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_ENV), i),
 * so one seed fixes everything and no copy shares another stream's seed. */
#ifndef CRL_VEC_ENV_H
#define CRL_VEC_ENV_H

#include "crl/env.h"
#include "crl/group.h"

CRL_BEGIN_DECLS

typedef struct crl_vec_env crl_vec_env;

/** N copies of the named env. *out is NULL on failure. */
CRL_API int crl_vec_env_make(const char *name, int n, uint64_t seed,
                             crl_vec_env **out);

/** N copies of a type (need not be registered). */
CRL_API int crl_vec_env_alloc(const crl_env_type *type, int n, uint64_t seed,
                              crl_vec_env **out);

CRL_API void crl_vec_env_free(crl_vec_env *venv);

CRL_API int crl_vec_env_n(const crl_vec_env *venv);
CRL_API const crl_space *crl_vec_env_obs_space(const crl_vec_env *venv);
CRL_API const crl_space *crl_vec_env_act_space(const crl_vec_env *venv);
CRL_API crl_env *crl_vec_env_get(crl_vec_env *venv, int i);

/** Reset every copy. */
CRL_API int crl_vec_env_reset(crl_vec_env *venv);

/** Step every copy with actions [N, act_dim]. */
CRL_API int crl_vec_env_step(crl_vec_env *venv, const crl_real *actions);

CRL_API const crl_real *
crl_vec_env_obs(const crl_vec_env *venv); /* [N, obs_dim] */
CRL_API const crl_real *crl_vec_env_final_obs(
    const crl_vec_env *venv); /* [N, obs_dim], valid where done */
CRL_API const double *crl_vec_env_rewards(const crl_vec_env *venv); /* [N] */
CRL_API const int *crl_vec_env_terminated(const crl_vec_env *venv); /* [N] */
CRL_API const int *crl_vec_env_truncated(const crl_vec_env *venv);  /* [N] */

/** A hook for every training episode that ends, e.g. to write a
 *  per-episode log (the crl program's monitor.csv): fn(ctx, copy, return,
 *  length) is called from crl_vec_env_step right after copy `copy`'s
 *  episode ended (terminated or truncated) and before it is reset, so that
 *  episodes come in the order they end and, within one step, in copy
 *  order. The return is the undiscounted sum of the env's own rewards (before
 *  any reward scaling an algorithm does), the length its steps. Episodes
 *  cut off by crl_vec_env_reset are not reported (nor counted by
 *  crl_vec_env_episodes). fn must not call back into the vec env; it is not
 *  part of the vec env's checkpoint state. fn = NULL removes the hook. */
typedef void (*crl_vec_env_episode_fn)(void *ctx, int copy,
                                       double episode_return, long length);
CRL_API void crl_vec_env_on_episode(crl_vec_env *venv,
                                    crl_vec_env_episode_fn fn, void *ctx);

/** Share the copies among the processes of a data-parallel run: this
 *  process steps (and resets) only its block, copies [rank * n / size,
 *  (rank + 1) * n / size), and g->gather brings every other block's
 *  outcome (observation, final observation, reward, end flags) from the
 *  process that stepped it. The episode bookkeeping (returns, counts, the
 *  episode hook) then runs over all n copies in copy order, so that every
 *  process holds what one process stepping all n copies would hold, bit
 *  for bit. size must divide n (CRL_EINVAL otherwise); g is kept (it must
 *  outlive the vec env) and NULL, or a group of size 1, shares nothing. */
CRL_API int crl_vec_env_share(crl_vec_env *venv, const crl_group *g);
/** Episodes finished so far and env steps taken (all copies). */
CRL_API long crl_vec_env_episodes(const crl_vec_env *venv);
CRL_API long crl_vec_env_steps(const crl_vec_env *venv);

/** Mean return and length of the last (up to) 100 finished episodes; NAN
 *  when none has finished. */
CRL_API double crl_vec_env_recent_return(const crl_vec_env *venv);
CRL_API double crl_vec_env_recent_length(const crl_vec_env *venv);

/** Mean return of the last k finished episodes (at most the 100 kept);
 *  NAN when k < 1 or none has finished. With k = the episodes that ended
 *  during one training iteration it is that iteration's return. */
CRL_API double crl_vec_env_last_returns(const crl_vec_env *venv, long k);

CRL_END_DECLS

#endif
