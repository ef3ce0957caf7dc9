/* crl: replay buffer for off-policy algorithms.
 *
 * A circular store of transitions (obs, action, reward, next obs,
 * terminated) with a capacity fixed at alloc. Adding past the capacity
 * overwrites the oldest rows. Sampling draws rows uniformly with
 * replacement from the filled ones (as SB3) into a preallocated batch.
 * Nothing is allocated after crl_replay_alloc / crl_replay_batch_alloc.
 *
 * `terminated` is 1 only for a true end of the episode: an episode cut by
 * a time limit stores 0 and its true final observation as next obs, so
 * that the target bootstraps through it. crl_replay_sections saves and
 * restores the buffer exactly in a checkpoint. */
#ifndef CRL_REPLAY_H
#define CRL_REPLAY_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/state.h"

CRL_BEGIN_DECLS

typedef struct crl_replay {
  long capacity; /* rows */
  int obs_dim, act_dim;
  long size;     /* rows filled, 0..capacity */
  long pos;      /* next row written, 0..capacity-1 */
  crl_real *obs; /* [capacity, obs_dim] observation the action was taken in */
  crl_real *actions;  /* [capacity, act_dim] action as the algorithm sees it */
  crl_real *rewards;  /* [capacity] */
  crl_real *next_obs; /* [capacity, obs_dim] next (or true final) observation */
  crl_real *terminated; /* [capacity] 1.0 at a true terminal state, else 0.0 */
  void *block;          /* the arrays' one allocation */
} crl_replay;

/* A sampled batch: n rows, the same layout as the buffer. */
typedef struct crl_replay_batch {
  int n, obs_dim, act_dim;
  crl_real *obs;        /* [n, obs_dim] */
  crl_real *actions;    /* [n, act_dim] */
  crl_real *rewards;    /* [n] */
  crl_real *next_obs;   /* [n, obs_dim] */
  crl_real *terminated; /* [n] */
  void *block;          /* the arrays' one allocation */
} crl_replay_batch;

/** A buffer of `capacity` rows (>= 1). *out is NULL on failure. */
CRL_API int crl_replay_alloc(long capacity, int obs_dim, int act_dim,
                             crl_replay **out);
CRL_API void crl_replay_free(crl_replay *rb);

/** Forget the contents (size = pos = 0). */
CRL_API void crl_replay_clear(crl_replay *rb);

/** Append B transitions: obs [B, obs_dim], actions [B, act_dim], rewards
 *  [B], next_obs [B, obs_dim], terminated [B] (nonzero = terminal).
 *  Fails with CRL_ESHAPE when B exceeds the capacity. */
CRL_API int crl_replay_add(crl_replay *rb, int B, const crl_real *obs,
                           const crl_real *actions, const double *rewards,
                           const crl_real *next_obs, const int *terminated);

/** A batch of n rows (n >= 1) for a buffer of these dims. */
CRL_API int crl_replay_batch_alloc(int n, int obs_dim, int act_dim,
                                   crl_replay_batch **out);
CRL_API void crl_replay_batch_free(crl_replay_batch *batch);

/** Fill batch with batch->n rows drawn uniformly, with replacement, from
 *  the filled rows. Fails with CRL_ESTATE when the buffer is empty and
 *  CRL_ESHAPE when the dims differ. */
CRL_API int crl_replay_sample(const crl_replay *rb, gsl_rng *rng,
                              crl_replay_batch *batch);

/** The buffer in a checkpoint (crl/state.h): "size", "pos" and the filled
 *  rows of "obs", "actions", "rewards", "next_obs", "terminated". Loading
 *  checks size and position against this buffer's capacity (position =
 *  size until it has wrapped), that every value is finite and every
 *  terminated flag 0 or 1. */
CRL_API int crl_replay_sections(void *replay, crl_state_io *io);

CRL_END_DECLS

#endif
