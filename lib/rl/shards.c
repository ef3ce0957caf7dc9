/* Gradients as ordered sums of parts (see shards.h). */
#include "rl/shards.h"

#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "crl/error.h"
#include "crl/kernels.h"
#include "nn/gemm.h" /* CRL_CLONES */

/* Add the part just computed into acc (the first part sets it). */
CRL_CLONES static void accumulate(crl__shards *s, const crl_real *grads,
                                  size_t P, const double *stats, int n_stats,
                                  int first) {
  double *restrict acc = s->acc;
  /* two loops, not one with a choice inside, so that each vectorises */
  if (first)
    for (size_t j = 0; j < P; j++)
      acc[j] = (double)grads[j];
  else
    for (size_t j = 0; j < P; j++)
      acc[j] += grads[j];
  for (int k = 0; k < n_stats; k++)
    acc[P + (size_t)k] = first ? stats[k] : acc[P + (size_t)k] + stats[k];
}

/* grads and stats from the parts' sum. */
CRL_CLONES static void take_sum(const crl__shards *s, crl_real *grads, size_t P,
                                double *stats, int n_stats) {
  for (size_t j = 0; j < P; j++)
    grads[j] = (crl_real)s->acc[j];
  for (int k = 0; k < n_stats; k++)
    stats[k] = s->acc[P + (size_t)k];
}

static int reserve(double **buf, size_t *cap, size_t need, const char *name) {
  if (need <= *cap) /* once: the sizes do not change */
    return 0;
  double *a = realloc(*buf, need * sizeof *a);
  if (a == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  *buf = a;
  *cap = need;
  return 0;
}

int crl__shards_gradient(crl__shards *s, int M, crl_real *grads, size_t P,
                         double *stats, int n_stats, crl__part_fn fn,
                         void *ctx) {
  const int S = s->n;
  if (S == 1 && s->group == NULL)
    return fn(ctx, 0, M, M, stats);
  const size_t need = P + (size_t)n_stats;
  int rc = reserve(&s->acc, &s->cap, need, s->name);
  const int first = s->group ? s->group->rank : 0;
  const int last = s->group ? first + 1 : S;
  for (int k = first; rc == 0 && k < last; k++) {
    rc =
        fn(ctx, (int)((long)k * M / S), (int)((long)(k + 1) * M / S), M, stats);
    if (rc == 0)
      accumulate(s, grads, P, stats, n_stats, k == first);
  }
  if (rc == 0 && s->group)
    rc = crl__group_sum(s->group, s->acc, need, s->name);
  if (rc == 0)
    take_sum(s, grads, P, stats, n_stats);
  return rc;
}

/* crl__shards_gradient_on's parts all on worker 0, as crl__part_fn. */
typedef struct on_worker0 {
  crl__part_on_fn fn;
  void *ctx;
} on_worker0;

static int part_on_worker0(void *c, int a, int b, int M, double *stats) {
  const on_worker0 *w = c;
  return w->fn(w->ctx, 0, a, b, M, stats);
}

/* crl__shards_gradient_on's round of parts first .. first + n - 1 as
 * crl__pool_each's tasks, part first + t on worker t. */
typedef struct parts_round {
  crl__part_on_fn fn;
  void *ctx;
  int first, M, S, n_stats;
  double *stats; /* [n_tasks, n_stats] */
} parts_round;

static int round_task(void *c, int t) {
  const parts_round *r = c;
  const long k = r->first + t;
  return r->fn(r->ctx, t, (int)(k * r->M / r->S), (int)((k + 1) * r->M / r->S),
               r->M, r->stats + (size_t)t * (size_t)r->n_stats);
}

int crl__shards_gradient_on(crl__shards *s, int M, crl_real *grads, size_t P,
                            double *stats, int n_stats, int n_workers,
                            crl_real *const *worker_grads, crl__part_on_fn fn,
                            void *ctx) {
  crl__pool *pool = crl__pool_current();
  const int S = s->n;
  if (n_workers > crl__pool_threads(pool))
    n_workers = crl__pool_threads(pool);
  if (n_workers > S)
    n_workers = S;
  if (S == 1 || s->group != NULL || n_workers <= 1) {
    on_worker0 w0 = {fn, ctx};
    return crl__shards_gradient(s, M, grads, P, stats, n_stats, part_on_worker0,
                                &w0);
  }
  const size_t need = P + (size_t)n_stats;
  int rc = reserve(&s->acc, &s->cap, need, s->name);
  if (rc == 0)
    rc = reserve(&s->task_stats, &s->task_cap,
                 (size_t)n_workers * (size_t)n_stats + 1, s->name);
  if (rc)
    return rc;
  parts_round r = {fn, ctx, 0, M, S, n_stats, s->task_stats};
  for (r.first = 0; r.first < S; r.first += n_workers) {
    const int n_tasks = S - r.first < n_workers ? S - r.first : n_workers;
    rc = crl__pool_each(n_tasks, round_task, &r);
    if (rc)
      return rc;
    for (int t = 0; t < n_tasks; t++)
      accumulate(s, worker_grads[t], P, r.stats + (size_t)t * n_stats, n_stats,
                 r.first + t == 0);
  }
  take_sum(s, grads, P, stats, n_stats);
  return 0;
}

int crl__group_sum(const crl_group *g, double *v, size_t n, const char *name) {
  if (g->sum(g->ctx, v, n) != 0)
    return crl_fail(CRL_EIO,
                    "%s: process %d could not sum the gradient with the "
                    "others",
                    name, g->rank);
  return 0;
}

int crl__shards_set_group(crl__shards *s, const crl_group *g) {
  if (g == NULL || g->size <= 1) {
    s->group = NULL;
    return 0;
  }
  if (s->n != g->size)
    return crl_fail(CRL_EUNSUPPORTED,
                    "%s: data parallel over %d processes needs grad_shards: "
                    "%d (it is %d): each process computes one part of every "
                    "gradient, and the parts are what fixes the bits (one "
                    "process with grad_shards: %d computes the same)",
                    s->name, g->size, g->size, s->n, g->size);
  s->group = g;
  return 0;
}

void crl__shards_free(crl__shards *s) {
  free(s->acc);
  free(s->task_stats);
  s->acc = s->task_stats = NULL;
  s->cap = s->task_cap = 0;
}
