/* The helper threads of one calling thread (see pool.h). */
#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"
#include "crl/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Waits spun before a helper sleeps: about 0.1-0.5 ms, longer than the
 * gaps between one training step's products, shorter than a scheduler
 * tick. */
#define SPIN_ROUNDS (1 << 14)

/* One round of a spin wait. Every YIELD_EVERY rounds (about 10 us) it
 * offers the core to another thread: with more threads than cores (runs
 * at once, each with its helpers) the thread being waited for may be the
 * one that is not running, and spinning through its time slice would
 * stall both. */
#define YIELD_EVERY 256
void crl__pool_spin(int r) {
  if (r % YIELD_EVERY == YIELD_EVERY - 1)
    sched_yield();
  else
    CPU_RELAX();
}

/* A new pool's word (below): generation 1, no tasks. */
#define INITIAL_WORD ((uint64_t)1 << 16)

typedef struct helper {
  crl__pool *pool;
  int index; /* its thread number, 1 .. n - 1 */
  crl_real *scratch;
  size_t scratch_cap;
  int skipped; /* its task of the current run is left to the caller */
} helper;

struct crl__pool {
  int n;
  pthread_t *threads; /* [n - 1] */
  helper *helpers;    /* [n - 1] */
  pthread_mutex_t mu;
  pthread_cond_t wake;
  int sleepers; /* helpers waiting on `wake` (under mu) */
  /* A run's generation and task count in one word, so that a helper never
   * pairs one run's count with another's generation: gen << 16 | n_tasks.
   * Generation 0 is the end of the pool. */
  _Atomic uint64_t word;
  _Atomic int pending; /* helpers' tasks of the current run not yet done */
  crl__pool_fn fn;     /* the current run's (read by its tasked helpers) */
  void *ctx;
  size_t scratch_size;
};

/* 1 while this thread runs a task of a pool run: a task's own products and
 * optimiser steps then stay on it, since the pool's helpers are busy with
 * the run (helpers have no current pool at all). */
static _Thread_local int in_task;

static uint64_t wait_for_run(crl__pool *p, uint64_t seen) {
  uint64_t w = atomic_load_explicit(&p->word, memory_order_acquire);
  for (int r = 0; w == seen && r < SPIN_ROUNDS; r++) {
    crl__pool_spin(r);
    w = atomic_load_explicit(&p->word, memory_order_acquire);
  }
  if (w != seen)
    return w;
  pthread_mutex_lock(&p->mu);
  p->sleepers++;
  while ((w = atomic_load_explicit(&p->word, memory_order_acquire)) == seen)
    pthread_cond_wait(&p->wake, &p->mu);
  p->sleepers--;
  pthread_mutex_unlock(&p->mu);
  return w;
}

static int grow_scratch(helper *h, size_t size) {
  if (size <= h->scratch_cap)
    return 0;
  crl_real *s = realloc(h->scratch, size * sizeof *s);
  if (s == NULL)
    return -1;
  h->scratch = s;
  h->scratch_cap = size;
  return 0;
}

static void *helper_main(void *arg) {
  helper *h = arg;
  crl__pool *p = h->pool;
  uint64_t seen = INITIAL_WORD; /* even if runs began before it did */
  for (;;) {
    const uint64_t w = wait_for_run(p, seen);
    seen = w;
    if (w >> 16 == 0)
      return NULL; /* the pool ends */
    if (h->index >= (int)(w & 0xffff))
      continue; /* no task for this thread in this run */
    h->skipped = grow_scratch(h, p->scratch_size) != 0;
    if (!h->skipped)
      p->fn(p->ctx, h->index, p->scratch_size ? h->scratch : NULL);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
}

int crl__pool_threads(const crl__pool *pool) {
  return pool != NULL ? pool->n : 1;
}

static void stop_helpers(crl__pool *p, int started) {
  pthread_mutex_lock(&p->mu);
  atomic_store_explicit(&p->word, 0, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < started; i++)
    pthread_join(p->threads[i], NULL);
}

crl__pool *crl__pool_alloc(int n) {
  if (n < 1 || n > CRL_THREADS_MAX)
    return NULL;
  crl__pool *p = calloc(1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->n = n;
  p->threads = calloc((size_t)n, sizeof *p->threads);
  p->helpers = calloc((size_t)n, sizeof *p->helpers);
  if (p->threads == NULL || p->helpers == NULL) {
    free(p->threads);
    free(p->helpers);
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->wake, NULL);
  atomic_init(&p->word, INITIAL_WORD);
  atomic_init(&p->pending, 0);
  /* Helpers start with every signal blocked (they inherit the mask), so
   * that signals reach the application's own threads only: a handler
   * that sets a flag for the training loop, say. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int started = 0;
  for (; started < n - 1; started++) {
    p->helpers[started] = (helper){.pool = p, .index = started + 1};
    if (pthread_create(&p->threads[started], NULL, helper_main,
                       &p->helpers[started]))
      break;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (started < n - 1) {
    p->n = started + 1; /* for crl__pool_free */
    crl__pool_free(p);
    return NULL;
  }
  return p;
}

void crl__pool_free(crl__pool *p) {
  if (p == NULL)
    return;
  stop_helpers(p, p->n - 1);
  for (int i = 0; i < p->n - 1; i++)
    free(p->helpers[i].scratch);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->mu);
  free(p->threads);
  free(p->helpers);
  free(p);
}

int crl__pool_vector_parts(const crl__pool *pool, size_t n) {
  return n >= CRL__POOL_MIN_VECTOR ? crl__pool_threads(pool) : 1;
}

void crl__pool_run(crl__pool *p, int n_tasks, crl__pool_fn fn, void *ctx,
                   size_t scratch_size, crl_real *caller_scratch) {
  if (n_tasks > crl__pool_threads(p))
    n_tasks = crl__pool_threads(p);
  if (n_tasks <= 1) {
    if (n_tasks == 1)
      fn(ctx, 0, caller_scratch);
    return;
  }
  const int was_in_task = in_task;
  in_task = 1;
  p->fn = fn;
  p->ctx = ctx;
  p->scratch_size = scratch_size;
  atomic_store_explicit(&p->pending, n_tasks - 1, memory_order_relaxed);
  uint64_t gen =
      (atomic_load_explicit(&p->word, memory_order_relaxed) >> 16) + 1;
  if ((gen & ((UINT64_C(1) << 48) - 1)) == 0)
    gen = 1; /* never 0, the end */
  atomic_store_explicit(&p->word, gen << 16 | (uint64_t)n_tasks,
                        memory_order_release);
  pthread_mutex_lock(&p->mu);
  if (p->sleepers > 0)
    pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mu);
  fn(ctx, 0, caller_scratch);
  for (int r = 0; atomic_load_explicit(&p->pending, memory_order_acquire) > 0;
       r++)
    crl__pool_spin(r);
  for (int t = 1; t < n_tasks; t++)
    if (p->helpers[t - 1].skipped) /* its scratch could not grow */
      fn(ctx, t, caller_scratch);
  in_task = was_in_task;
}

void crl__pool_split(size_t n, int n_tasks, int task, size_t align, size_t *lo,
                     size_t *hi) {
  size_t units = (n + align - 1) / align; /* blocks of align items */
  size_t a = units * (size_t)task / (size_t)n_tasks;
  size_t b = units * (size_t)(task + 1) / (size_t)n_tasks;
  *lo = a * align < n ? a * align : n;
  *hi = b * align < n ? b * align : n;
}

/* ---- tasks that can fail ------------------------------------------------- */

typedef struct each_round {
  crl__task_fn fn;
  void *ctx;
  int first; /* the round's first task */
  int rc[CRL_THREADS_MAX];
  /* a failed task's message, copied off the thread that ran it (messages
   * are per thread) */
  char *msg[CRL_THREADS_MAX];
} each_round;

static void each_task(void *c, int t, crl_real *scratch) {
  (void)scratch;
  each_round *r = c;
  r->rc[t] = r->fn(r->ctx, r->first + t);
  r->msg[t] = r->rc[t] ? strdup(crl_last_error()) : NULL;
}

/* The first failure of a round of n tasks, raised on the calling thread;
 * frees the copies. */
static int round_result(each_round *r, int n) {
  int rc = 0;
  for (int t = 0; t < n; t++) {
    if (r->rc[t] && rc == 0)
      rc = r->msg[t] ? crl_fail(r->rc[t], "%s", r->msg[t]) : r->rc[t];
    free(r->msg[t]);
  }
  return rc;
}

int crl__pool_each(int n_tasks, crl__task_fn fn, void *ctx) {
  crl__pool *pool = crl__pool_current();
  const int width = crl__pool_threads(pool);
  /* not zeroed (a few KB, once per call): every task sets its rc and msg */
  each_round r;
  r.fn = fn;
  r.ctx = ctx;
  int rc = 0;
  for (r.first = 0; rc == 0 && r.first < n_tasks; r.first += width) {
    const int n = n_tasks - r.first < width ? n_tasks - r.first : width;
    crl__pool_run(pool, n, each_task, &r, 0, NULL);
    rc = round_result(&r, n);
  }
  return rc;
}

/* ---- the calling thread's pool (crl/kernels.h) -------------------------- */

static _Thread_local crl__pool *current;

crl__pool *crl__pool_current(void) {
  return in_task ? NULL : current;
}

int crl_threads_set(int n) {
  if (n < 1 || n > CRL_THREADS_MAX)
    return CRL_EINVAL;
  if (crl__pool_threads(current) == n)
    return CRL_OK;
  crl__pool_free(current);
  current = NULL;
  if (n == 1)
    return CRL_OK;
  current = crl__pool_alloc(n);
  return current != NULL ? CRL_OK : CRL_ENOMEM;
}

int crl_threads_get(void) {
  return crl__pool_threads(current);
}
