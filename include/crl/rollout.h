/* crl: on-policy rollout storage with GAE(lambda).
 *
 * Holds n_steps transitions from each of n_envs copies, laid out [T, N, ...]
 * (time major). Terminated and truncated are treated differently: a
 * terminated episode has no future value; a truncated one (time limit)
 * bootstraps from V of its final observation, which the caller passes as
 * `final_values` (the reward then carries + gamma * V(final obs), as SB3). */
#ifndef CRL_ROLLOUT_H
#define CRL_ROLLOUT_H

#include "crl/common.h"

CRL_BEGIN_DECLS

typedef struct crl_rollout {
  int n_steps, n_envs, obs_dim, act_dim;
  int pos;             /* rows filled so far, 0..n_steps */
  crl_real *obs;       /* [T, N, obs_dim] observation the action was taken in */
  crl_real *actions;   /* [T, N, act_dim] action as sampled (unclipped) */
  crl_real *log_probs; /* [T, N] log pi(a|s) at collection */
  crl_real *values;    /* [T, N] V(s) at collection */
  double *rewards;     /* [T, N] reward (+ gamma V(final) on truncation) */
  unsigned char *dones; /* [T, N] 1 when the episode ended at this step */
  crl_real *advantages; /* [T, N] GAE(lambda) */
  crl_real *returns;    /* [T, N] advantages + values (value targets) */
  void *block;          /* the one allocation the arrays above live in */
} crl_rollout;

CRL_API int crl_rollout_alloc(int n_steps, int n_envs, int obs_dim, int act_dim,
                              crl_rollout **out);
CRL_API void crl_rollout_free(crl_rollout *r);

/** Forget what was stored (pos = 0). */
CRL_API void crl_rollout_clear(crl_rollout *r);

/** Append one time step for all N copies. obs [N, obs_dim], actions
 *  [N, act_dim], log_probs [N], values [N], rewards [N], terminated [N],
 *  truncated [N]; final_values [N] is V(final observation), read only where
 *  truncated and not terminated (may be NULL when no copy is truncated).
 *  values may be NULL: the caller then writes the step's row of `values`
 *  itself before crl_rollout_compute_gae (a critic pass over many steps
 *  at once).
 *  Fails with CRL_ESHAPE when full. */
CRL_API int crl_rollout_add(crl_rollout *r, const crl_real *obs,
                            const crl_real *actions, const crl_real *log_probs,
                            const crl_real *values, const double *rewards,
                            const int *terminated, const int *truncated,
                            const crl_real *final_values, double gamma);

/** Fill advantages and returns by GAE(lambda), bootstrapping the last row
 *  from last_values [N] = V(obs after the last step). Needs a full buffer. */
CRL_API int crl_rollout_compute_gae(crl_rollout *r, const crl_real *last_values,
                                    double gamma, double lambda);

CRL_END_DECLS

#endif
