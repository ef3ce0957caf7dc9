/* Internal: a gradient as the ordered sum of parts (grad_shards), which
 * is what lets a data-parallel group compute one run.
 *
 * An update's gradient is a mean over M rows. With grad_shards = S it is
 * computed as S parts, part s over rows [s M / S, (s + 1) M / S) with
 * every mean still taken over M, converted to double and added in part
 * order; alone, one process computes all S parts, and in a group of S
 * processes (crl/group.h) process s computes part s and the group's sum
 * adds them in rank order: the same additions, so the same bits. The
 * update's statistics (losses, KL, ...) travel with the gradient, in the
 * same sum. With S = 1 and no group the part is the whole batch and
 * nothing is converted: the bits of the plain update. */
#ifndef CRL_RL_SHARDS_H
#define CRL_RL_SHARDS_H

#include <stddef.h>

#include "crl/common.h"
#include "crl/group.h"

/* The parameter row of an algorithm whose spec struct has an int
 * grad_shards field (F is its offsetof macro). */
// clang-format off
#define CRL_GRAD_SHARDS_PARAM(F)                                               \
  {"grad_shards", CRL_PARAM_INT, F(grad_shards), "1", 1, 4096, NULL,           \
   "each gradient is the sum, in order, of this many parts of (nearly) "       \
   "equal rows; data parallel over K processes needs K, and the same file "    \
   "in one process then gives the same bits; PPO computes the parts on "    \
   "the run's threads"}
// clang-format on

/* Computes the gradient of rows [a, b) of M into the algorithm's gradient
 * buffer (zeroing it first) and its statistics into stats[0..n_stats),
 * each the part's share of the mean over M. 0 or an error code. */
typedef int (*crl__part_fn)(void *ctx, int a, int b, int M, double *stats);

typedef struct crl__shards {
  const char *name; /* the algorithm, for messages */
  int n;            /* grad_shards */
  const crl_group *group;
  double *acc; /* [cap] the parts' sum: gradient, then statistics */
  size_t cap;
  double *task_stats; /* [task_cap] the statistics of one round of tasks */
  size_t task_cap;
} crl__shards;

/* grads [P] and stats [n_stats] of the whole batch of M rows from its
 * parts (fn, ctx). 0, or an error code (CRL_ENOMEM, CRL_EIO when the group
 * fails, or fn's). */
int crl__shards_gradient(crl__shards *s, int M, crl_real *grads, size_t P,
                         double *stats, int n_stats, crl__part_fn fn,
                         void *ctx);

/* As crl__part_fn, on worker `worker`'s buffers: the gradient goes into
 * worker_grads[worker] (crl__shards_gradient_on). */
typedef int (*crl__part_on_fn)(void *ctx, int worker, int a, int b, int M,
                               double *stats);

/* crl__shards_gradient with the parts computed n_workers at a time on the
 * calling thread's pool (core/pool.h): part k of a round on worker k mod
 * n_workers, whose gradient buffer is worker_grads[...] (worker 0's is
 * grads, the algorithm's own); the caller then adds the round's parts in
 * part order. The same additions as crl__shards_gradient, so the same bits
 * for any n_workers (1 <= n_workers <= the pool's threads). */
int crl__shards_gradient_on(crl__shards *s, int M, crl_real *grads, size_t P,
                            double *stats, int n_stats, int n_workers,
                            crl_real *const *worker_grads, crl__part_on_fn fn,
                            void *ctx);

/* Compute as part g->rank of a group of g->size (which must be n).
 * CRL_EUNSUPPORTED with a message naming grad_shards otherwise. */
int crl__shards_set_group(crl__shards *s, const crl_group *g);

void crl__shards_free(crl__shards *s);

/* v [n] becomes its sum over the group, in rank order (g->sum), or
 * CRL_EIO with a message naming the algorithm: the one transport of the
 * parts here and of the off-policy algorithms' averaged gradients. */
int crl__group_sum(const crl_group *g, double *v, size_t n, const char *name);

#endif
