/* Replay buffer: circular storage of transitions and uniform sampling. */
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/replay.h"

/* A slot whose owner left the buffer long ago (or never was). */
#define SLOT_FREE (-((long)1 << 62))

static int alloc_buffer(long capacity, int obs_dim, int act_dim, int streams,
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
  rb->streams = streams;
  rb->n_ends = streams > 0 ? capacity / 16 + streams : 0;
  const size_t NO = streams > 0 ? 0 : C * O, S = (size_t)rb->n_ends;
  const size_t RC = streams > 0 ? C : 0, P = (size_t)streams * O;
  /* clang-format off */
  const crl__buf bufs[] = {
      {(void **)&rb->obs,        CRL__BUF_REAL, C * O}, /* [capacity, obs_dim] */
      {(void **)&rb->actions,    CRL__BUF_REAL, C * A}, /* [capacity, act_dim] */
      {(void **)&rb->rewards,    CRL__BUF_REAL, C},     /* [capacity] */
      {(void **)&rb->next_obs,   CRL__BUF_REAL, NO},    /* [capacity, obs_dim] */
      {(void **)&rb->terminated, CRL__BUF_REAL, C},     /* [capacity] */
      {(void **)&rb->end_slot,   CRL__BUF_INT,  RC},    /* [capacity] */
      {(void **)&rb->slot_added, CRL__BUF_LONG, S},     /* [n_ends] */
      {(void **)&rb->ends,       CRL__BUF_REAL, S * O}, /* [n_ends, obs_dim] */
      {(void **)&rb->pending,    CRL__BUF_REAL, P},     /* [streams, obs_dim] */
  };
  /* clang-format on */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &rb->block, "replay");
  if (rc) {
    free(rb);
    return rc;
  }
  if (streams == 0)
    rb->end_slot = NULL, rb->slot_added = NULL, rb->ends = NULL,
    rb->pending = NULL;
  else
    rb->next_obs = NULL;
  crl_replay_clear(rb);
  *out = rb;
  return 0;
}

int crl_replay_alloc(long capacity, int obs_dim, int act_dim,
                     crl_replay **out) {
  return alloc_buffer(capacity, obs_dim, act_dim, 0, out);
}

int crl_replay_alloc_compact(long capacity, int obs_dim, int act_dim,
                             int streams, crl_replay **out) {
  if (streams < 1 || streams > capacity) {
    *out = NULL;
    return crl_fail(CRL_EINVAL,
                    "replay: a compact buffer needs 1 <= streams <= capacity "
                    "(got %d streams, capacity %ld)",
                    streams, capacity);
  }
  return alloc_buffer(capacity, obs_dim, act_dim, streams, out);
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
  rb->added = 0;
  rb->ends_pos = 0;
  for (long j = 0; j < rb->n_ends; j++)
    rb->slot_added[j] = SLOT_FREE;
}

/* Row k of a [*, dim] array. */
static crl_real *row(crl_real *a, long k, int dim) {
  return a + (size_t)k * (size_t)dim;
}

/* Compact buffers: the rows of the last add whose stream does not continue
 * from their next observation (an episode ended there) get it kept in a
 * slot, before this add's rows may overwrite anything. */
static int keep_ends(crl_replay *rb, const crl_real *obs) {
  const int N = rb->streams, O = rb->obs_dim;
  const size_t so = (size_t)O * sizeof(crl_real);
  if (rb->added < N)
    return 0; /* no earlier rows */
  for (int i = 0; i < N; i++) {
    const crl_real *next = rb->pending + (size_t)i * O;
    if (memcmp(next, obs + (size_t)i * O, so) == 0)
      continue; /* the same bytes: row k + N holds it */
    const long j = rb->ends_pos;
    /* its owner still in the buffer once this add's rows are in */
    if (rb->slot_added[j] >= rb->added + N - rb->capacity)
      return crl_fail(CRL_ENOMEM,
                      "replay: a compact buffer of %ld rows keeps the final "
                      "observations of %ld episodes, and more have ended in "
                      "it (episodes under ~16 steps on average); use the "
                      "plain buffer (optimize_memory_usage: false)",
                      rb->capacity, rb->n_ends);
    const long k = (rb->pos - N + i + rb->capacity) % rb->capacity;
    memcpy(rb->ends + (size_t)j * O, next, so);
    rb->end_slot[k] = (int)j;
    rb->slot_added[j] = rb->added - N + i;
    rb->ends_pos = j + 1 == rb->n_ends ? 0 : j + 1;
  }
  return 0;
}

int crl_replay_add(crl_replay *rb, int B, const crl_real *obs,
                   const crl_real *actions, const double *rewards,
                   const crl_real *next_obs, const int *terminated) {
  if (B < 0 || B > rb->capacity)
    return crl_fail(CRL_ESHAPE, "replay_add: %d rows for capacity %ld", B,
                    rb->capacity);
  if (rb->streams > 0 && B != rb->streams)
    return crl_fail(CRL_ESHAPE,
                    "replay_add: a compact buffer takes %d rows (one per "
                    "stream) at a time, got %d",
                    rb->streams, B);
  if (rb->streams > 0) {
    int rc = keep_ends(rb, obs);
    if (rc)
      return rc;
    memcpy(rb->pending, next_obs, (size_t)B * rb->obs_dim * sizeof(crl_real));
  }
  const size_t so = (size_t)rb->obs_dim * sizeof(crl_real);
  const size_t sa = (size_t)rb->act_dim * sizeof(crl_real);
  for (int i = 0; i < B; i++) {
    const long k = rb->pos;
    memcpy(row(rb->obs, k, rb->obs_dim), obs + (size_t)i * rb->obs_dim, so);
    memcpy(row(rb->actions, k, rb->act_dim), actions + (size_t)i * rb->act_dim,
           sa);
    if (rb->next_obs != NULL)
      memcpy(row(rb->next_obs, k, rb->obs_dim),
             next_obs + (size_t)i * rb->obs_dim, so);
    else
      rb->end_slot[k] = -1;
    rb->rewards[k] = (crl_real)rewards[i];
    rb->terminated[k] = terminated[i] ? 1 : 0;
    rb->pos = k + 1 == rb->capacity ? 0 : k + 1;
    rb->added++;
    if (rb->size < rb->capacity)
      rb->size++;
  }
  return 0;
}

/* Row k's next observation in a compact buffer (see crl/replay.h). */
static const crl_real *compact_next(const crl_replay *rb, long k) {
  if (rb->end_slot[k] >= 0)
    return rb->ends + (size_t)rb->end_slot[k] * rb->obs_dim;
  const long d = (rb->pos - k + rb->capacity) % rb->capacity; /* 1 = newest */
  if (d >= 1 && d <= rb->streams)
    return rb->pending + (size_t)(rb->streams - d) * rb->obs_dim;
  return rb->obs + (size_t)((k + rb->streams) % rb->capacity) * rb->obs_dim;
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
           rb->next_obs ? row(rb->next_obs, k, rb->obs_dim)
                        : compact_next(rb, k),
           so);
    b->rewards[i] = rb->rewards[k];
    b->terminated[i] = rb->terminated[k];
  }
  return 0;
}

/* ---- checkpoints --------------------------------------------------------- */

/* A compact buffer's own state; loading checks that the slots are ones the
 * buffer has. */
static int compact_sections(crl_replay *rb, crl_state_io *io) {
  const size_t S = (size_t)rb->n_ends, O = (size_t)rb->obs_dim;
  const crl_state_item items[] = {
      CRL_STATE(INT, "streams", &rb->streams, 1, CRL_STATE_MATCH),
      CRL_STATE(LONG, "added", &rb->added, 1, CRL_STATE_NONNEG),
      CRL_STATE_RANGED(LONG, "ends_pos", &rb->ends_pos, 1, 0, rb->n_ends - 1),
      CRL_STATE_ROWS(INT, "end_slot", rb->end_slot, 1, &rb->size, 0),
      CRL_STATE(LONG, "slot_added", rb->slot_added, S, 0),
      CRL_STATE(REAL, "ends", rb->ends, S * O, 0),
      CRL_STATE(REAL, "pending", rb->pending, (size_t)rb->streams * O, 0),
  };
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  for (long k = 0; rc == 0 && crl_state_loading(io) && k < rb->size; k++)
    if (rb->end_slot[k] < -1 || rb->end_slot[k] >= rb->n_ends)
      rc = crl_fail(CRL_EFORMAT,
                    "checkpoint: replay row %ld names final observation %d "
                    "of %ld",
                    k, rb->end_slot[k], rb->n_ends);
  return rc;
}

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
  if (rc == 0 && rb->streams > 0)
    rc = compact_sections(rb, io);
  /* Until it wraps, the buffer writes its next row after the filled ones. */
  if (rc == 0 && crl_state_loading(io) && rb->size < rb->capacity &&
      rb->pos != rb->size)
    rc = crl_fail(CRL_EFORMAT,
                  "checkpoint: replay position %ld with %ld of %ld rows "
                  "filled (it must equal the size until the buffer wraps)",
                  rb->pos, rb->size, rb->capacity);
  return rc;
}
