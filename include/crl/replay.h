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
 * restores the buffer exactly in a checkpoint.
 *
 * A compact buffer (crl_replay_alloc_compact, SB3's optimize_memory_usage)
 * keeps each observation once. Every add then brings one row per stream
 * (env copy, in the same order), so the next observation of row k is the
 * observation of row k + streams. Where it is not (the episode ended at k,
 * and the stream's next row starts from a reset), the add that brings that
 * row sees its observation differ from the next observation given before
 * and keeps the latter aside; the newest rows' next observations are the
 * last ones given. So a compact buffer samples the same batches, bit for
 * bit, as a plain one fed the same transitions, in about half the memory
 * for large observations, with no flag from the caller. */
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
  /* compact buffers only (next_obs is NULL): */
  int streams;       /* rows of every add (0: a plain buffer) */
  long n_ends;       /* slots for the final observations of episodes */
  long ends_pos;     /* next slot written */
  long added;        /* rows added since the start (or the last clear) */
  int *end_slot;     /* [capacity] the row's slot in ends, or -1 */
  long *slot_added;  /* [n_ends] `added` of the row that owns a slot */
  crl_real *ends;    /* [n_ends, obs_dim] final observations */
  crl_real *pending; /* [streams, obs_dim] the newest rows' next obs */
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

/** A compact buffer (see above) for adds of `streams` rows each (1 <=
 *  streams <= capacity). Final observations of episodes are kept in
 *  capacity / 16 + streams slots: an add fails (CRL_ENOMEM, with a message)
 *  when episodes that short would need more, i.e. when the rows in the
 *  buffer average under about 16 steps per episode. */
CRL_API int crl_replay_alloc_compact(long capacity, int obs_dim, int act_dim,
                                     int streams, crl_replay **out);

/** Forget the contents (size = pos = 0). */
CRL_API void crl_replay_clear(crl_replay *rb);

/** Append B transitions: obs [B, obs_dim], actions [B, act_dim], rewards
 *  [B], next_obs [B, obs_dim], terminated [B] (nonzero = terminal).
 *  Fails with CRL_ESHAPE when B exceeds the capacity (a compact buffer:
 *  unless B is its streams). */
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
 *  rows of "obs", "actions", "rewards", "next_obs", "terminated" (compact:
 *  instead of "next_obs", "added", "ends_pos", "end_slot", "slot_added",
 *  "ends" and "pending"). Loading
 *  checks size and position against this buffer's capacity (position =
 *  size until it has wrapped), that every value is finite and every
 *  terminated flag 0 or 1. */
CRL_API int crl_replay_sections(void *replay, crl_state_io *io);

CRL_END_DECLS

#endif
