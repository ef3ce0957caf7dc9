/* Gradients as ordered sums of parts (see shards.h). */
#include "rl/shards.h"

#include <stdlib.h>

#include "crl/error.h"

/* Add the part just computed into acc (the first part sets it). */
static void accumulate(crl__shards *s, const crl_real *grads, size_t P,
                       const double *stats, int n_stats, int first) {
  for (size_t j = 0; j < P; j++)
    s->acc[j] = first ? (double)grads[j] : s->acc[j] + grads[j];
  for (int k = 0; k < n_stats; k++)
    s->acc[P + (size_t)k] = first ? stats[k] : s->acc[P + (size_t)k] + stats[k];
}

int crl__shards_gradient(crl__shards *s, int M, crl_real *grads, size_t P,
                         double *stats, int n_stats, crl__part_fn fn,
                         void *ctx) {
  const int S = s->n;
  if (S == 1 && s->group == NULL)
    return fn(ctx, 0, M, M, stats);
  const size_t need = P + (size_t)n_stats;
  if (need > s->cap) { /* once: the sizes do not change */
    double *a = realloc(s->acc, need * sizeof *a);
    if (a == NULL)
      return crl_fail(CRL_ENOMEM, "%s: out of memory", s->name);
    s->acc = a;
    s->cap = need;
  }
  const int first = s->group ? s->group->rank : 0;
  const int last = s->group ? first + 1 : S;
  for (int k = first; k < last; k++) {
    int rc =
        fn(ctx, (int)((long)k * M / S), (int)((long)(k + 1) * M / S), M, stats);
    if (rc)
      return rc;
    accumulate(s, grads, P, stats, n_stats, k == first);
  }
  if (s->group) {
    int rc = crl__group_sum(s->group, s->acc, need, s->name);
    if (rc)
      return rc;
  }
  for (size_t j = 0; j < P; j++)
    grads[j] = (crl_real)s->acc[j];
  for (int k = 0; k < n_stats; k++)
    stats[k] = s->acc[P + (size_t)k];
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
  s->acc = NULL;
  s->cap = 0;
}
