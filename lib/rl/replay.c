/* Replay buffer: circular storage of transitions and uniform sampling. */
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/replay.h"

int crl_replay_alloc(long capacity, int obs_dim, int act_dim,
                     crl_replay **out) {
  *out = NULL;
  if (capacity < 1 || obs_dim < 1 || act_dim < 1)
    return crl_fail(CRL_EINVAL,
                    "replay: capacity %ld, obs_dim %d and act_dim %d must be "
                    ">= 1",
                    capacity, obs_dim, act_dim);
  crl_replay *rb = calloc(1, sizeof *rb);
  if (rb == NULL)
    return crl_fail(CRL_ENOMEM, "replay: out of memory");
  const size_t C = (size_t)capacity, O = (size_t)obs_dim, A = (size_t)act_dim;
  rb->capacity = capacity;
  rb->obs_dim = obs_dim;
  rb->act_dim = act_dim;
  const crl__buf bufs[] = {
      {(void **)&rb->obs, CRL__BUF_REAL, C * O},      /* [capacity, obs_dim] */
      {(void **)&rb->actions, CRL__BUF_REAL, C * A},  /* [capacity, act_dim] */
      {(void **)&rb->rewards, CRL__BUF_REAL, C},      /* [capacity] */
      {(void **)&rb->next_obs, CRL__BUF_REAL, C * O}, /* [capacity, obs_dim] */
      {(void **)&rb->terminated, CRL__BUF_REAL, C},   /* [capacity] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &rb->block, "replay");
  if (rc) {
    free(rb);
    return rc;
  }
  *out = rb;
  return 0;
}

void crl_replay_free(crl_replay *rb) {
  if (rb == NULL)
    return;
  free(rb->block);
  free(rb);
}

void crl_replay_clear(crl_replay *rb) {
  rb->size = 0;
  rb->pos = 0;
}

/* Row k of a [*, dim] array. */
static crl_real *row(crl_real *a, long k, int dim) {
  return a + (size_t)k * (size_t)dim;
}

int crl_replay_add(crl_replay *rb, int B, const crl_real *obs,
                   const crl_real *actions, const double *rewards,
                   const crl_real *next_obs, const int *terminated) {
  if (B < 0 || B > rb->capacity)
    return crl_fail(CRL_ESHAPE, "replay_add: %d rows for capacity %ld", B,
                    rb->capacity);
  const size_t so = (size_t)rb->obs_dim * sizeof(crl_real);
  const size_t sa = (size_t)rb->act_dim * sizeof(crl_real);
  for (int i = 0; i < B; i++) {
    const long k = rb->pos;
    memcpy(row(rb->obs, k, rb->obs_dim), obs + (size_t)i * rb->obs_dim, so);
    memcpy(row(rb->actions, k, rb->act_dim), actions + (size_t)i * rb->act_dim,
           sa);
    memcpy(row(rb->next_obs, k, rb->obs_dim),
           next_obs + (size_t)i * rb->obs_dim, so);
    rb->rewards[k] = (crl_real)rewards[i];
    rb->terminated[k] = terminated[i] ? 1 : 0;
    rb->pos = k + 1 == rb->capacity ? 0 : k + 1;
    if (rb->size < rb->capacity)
      rb->size++;
  }
  return 0;
}

int crl_replay_batch_alloc(int n, int obs_dim, int act_dim,
                           crl_replay_batch **out) {
  *out = NULL;
  if (n < 1 || obs_dim < 1 || act_dim < 1)
    return crl_fail(CRL_EINVAL,
                    "replay_batch: n %d, obs_dim %d and act_dim %d must be "
                    ">= 1",
                    n, obs_dim, act_dim);
  crl_replay_batch *b = calloc(1, sizeof *b);
  if (b == NULL)
    return crl_fail(CRL_ENOMEM, "replay_batch: out of memory");
  const size_t N = (size_t)n, O = (size_t)obs_dim, A = (size_t)act_dim;
  b->n = n;
  b->obs_dim = obs_dim;
  b->act_dim = act_dim;
  const crl__buf bufs[] = {
      {(void **)&b->obs, CRL__BUF_REAL, N * O},      /* [n, obs_dim] */
      {(void **)&b->actions, CRL__BUF_REAL, N * A},  /* [n, act_dim] */
      {(void **)&b->rewards, CRL__BUF_REAL, N},      /* [n] */
      {(void **)&b->next_obs, CRL__BUF_REAL, N * O}, /* [n, obs_dim] */
      {(void **)&b->terminated, CRL__BUF_REAL, N},   /* [n] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &b->block, "replay_batch");
  if (rc) {
    free(b);
    return rc;
  }
  *out = b;
  return 0;
}

void crl_replay_batch_free(crl_replay_batch *b) {
  if (b == NULL)
    return;
  free(b->block);
  free(b);
}

int crl_replay_sample(const crl_replay *rb, gsl_rng *rng, crl_replay_batch *b) {
  if (rb->size < 1)
    return crl_fail(CRL_ESTATE, "replay_sample: the buffer is empty");
  if (b->obs_dim != rb->obs_dim || b->act_dim != rb->act_dim)
    return crl_fail(CRL_ESHAPE,
                    "replay_sample: batch dims (%d, %d), buffer (%d, %d)",
                    b->obs_dim, b->act_dim, rb->obs_dim, rb->act_dim);
  const size_t so = (size_t)rb->obs_dim * sizeof(crl_real);
  const size_t sa = (size_t)rb->act_dim * sizeof(crl_real);
  for (int i = 0; i < b->n; i++) {
    /* gsl_rng_uniform_int needs n - 1 <= the generator's range (MT19937:
     * 2^32 - 1); a buffer beyond 4e9 rows does not fit in memory anyway. */
    const long k = (long)gsl_rng_uniform_int(rng, (unsigned long)rb->size);
    memcpy(b->obs + (size_t)i * rb->obs_dim, row(rb->obs, k, rb->obs_dim), so);
    memcpy(b->actions + (size_t)i * rb->act_dim,
           row(rb->actions, k, rb->act_dim), sa);
    memcpy(b->next_obs + (size_t)i * rb->obs_dim,
           row(rb->next_obs, k, rb->obs_dim), so);
    b->rewards[i] = rb->rewards[k];
    b->terminated[i] = rb->terminated[k];
  }
  return 0;
}

/* ---- checkpoints --------------------------------------------------------- */

/* The filled rows only: size is loaded (and checked against the capacity)
 * before the arrays, whose lengths it gives. */
int crl_replay_sections(void *obj, crl_state_io *io) {
  crl_replay *rb = obj;
  const long *rows = &rb->size;
  const int O = rb->obs_dim, A = rb->act_dim;
  const crl_state_item items[] = {
      CRL_STATE_RANGED(LONG, "size", &rb->size, 1, 0, rb->capacity),
      CRL_STATE_RANGED(LONG, "pos", &rb->pos, 1, 0, rb->capacity - 1),
      CRL_STATE_ROWS(REAL, "obs", rb->obs, O, rows, 0),
      CRL_STATE_ROWS(REAL, "actions", rb->actions, A, rows, 0),
      CRL_STATE_ROWS(REAL, "rewards", rb->rewards, 1, rows, 0),
      CRL_STATE_ROWS(REAL, "next_obs", rb->next_obs, O, rows, 0),
      CRL_STATE_ROWS(REAL, "terminated", rb->terminated, 1, rows,
                     CRL_STATE_BOOL),
  };
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  /* Until it wraps, the buffer writes its next row after the filled ones. */
  if (rc == 0 && crl_state_loading(io) && rb->size < rb->capacity &&
      rb->pos != rb->size)
    rc = crl_fail(CRL_EFORMAT,
                  "checkpoint: replay position %ld with %ld of %ld rows "
                  "filled (it must equal the size until the buffer wraps)",
                  rb->pos, rb->size, rb->capacity);
  return rc;
}
