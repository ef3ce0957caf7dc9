/* Internal: the helper threads of one calling thread (crl_threads_set in
 * crl/kernels.h), which split its large products and optimiser steps.
 *
 * A pool of n threads is the caller plus n - 1 helpers. crl__pool_run
 * hands task t of n_tasks (n_tasks <= n) to thread t, runs task 0 itself
 * and returns when every task is done. The split of a job into tasks is
 * the caller's, and each task writes only its own part of the result, so
 * results never depend on which thread ran what, nor on n.
 *
 * Helpers wait for work spinning for a short while (a training step's
 * products follow each other within microseconds), then asleep on a
 * condition variable, so an idle pool costs no CPU. */
#ifndef CRL_CORE_POOL_H
#define CRL_CORE_POOL_H

#include <stddef.h>

#include "crl/common.h"

typedef struct crl__pool crl__pool;

/* Runs task `task` (0 <= task < n_tasks) with the scratch of the thread
 * that runs it (crl__pool_run's; a helper's is NULL when no scratch was
 * asked for). */
typedef void (*crl__pool_fn)(void *ctx, int task, crl_real *scratch);

/* A pool of n >= 1 threads (n - 1 helpers started); NULL if out of memory
 * or the threads cannot be started. */
crl__pool *crl__pool_alloc(int n);
void crl__pool_free(crl__pool *pool);

int crl__pool_threads(const crl__pool *pool);

/* The calling thread's pool (crl_threads_set), or NULL for one thread;
 * NULL also inside a task of a run (tasks do not split further). */
crl__pool *crl__pool_current(void);

/* Runs fn(ctx, t, scratch_t) for t in [0, n_tasks) with n_tasks <= the
 * pool's threads, task 0 on the calling thread with caller_scratch. Every
 * helper's scratch holds scratch_size values; if a helper's cannot be
 * grown, the caller runs that task itself after the others, with
 * caller_scratch. Returns when all are done. A NULL pool (one thread)
 * runs task 0 on the caller, and so does n_tasks 1. */
void crl__pool_run(crl__pool *pool, int n_tasks, crl__pool_fn fn, void *ctx,
                   size_t scratch_size, crl_real *caller_scratch);

/* A task that can fail: 0 or a negative CRL_E* code with its message set
 * (crl_fail) on the thread that ran it. */
typedef int (*crl__task_fn)(void *ctx, int task);

/* Runs fn(ctx, t) for every t in [0, n_tasks) on the calling thread's pool
 * (crl__pool_current; all on the caller when there is none), in rounds of
 * as many tasks as it has threads, task t on thread t % threads. Tasks
 * must write disjoint results, so that which thread ran one does not
 * matter. Returns 0, or the code of the first failed task in task order
 * with its message, on the calling thread; no round starts after one with
 * a failure. */
int crl__pool_each(int n_tasks, crl__task_fn fn, void *ctx);

/* Round r (0, 1, ...) of a wait that spins on a flag another thread sets:
 * a pause, and now and then the core given up to another thread (which
 * the one being waited for may be). */
void crl__pool_spin(int round);

/* The parts an elementwise pass over a vector of n values is split into:
 * the pool's threads from CRL__POOL_MIN_VECTOR values up, else 1 (a
 * shorter pass costs about what waking a helper does). */
#define CRL__POOL_MIN_VECTOR ((size_t)1 << 15)
int crl__pool_vector_parts(const crl__pool *pool, size_t n);

/* [*lo, *hi): part `task` of n items in n_tasks parts, each a multiple of
 * `align` items but the last. */
void crl__pool_split(size_t n, int n_tasks, int task, size_t align, size_t *lo,
                     size_t *hi);

#endif
