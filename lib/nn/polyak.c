/* Polyak averaging of target networks on flat parameter vectors. */
#include "core/pool.h"
#include "crl/optim.h"

/* One averaging pass, split over the calling thread's helpers when the
 * vector is long (core/pool.h). */
typedef struct polyak_job {
  size_t n;
  crl_real *target;
  const crl_real *source;
  crl_real a, b;
  int parts;
} polyak_job;

static void polyak_part(void *ctx, int task, crl_real *scratch) {
  (void)scratch;
  const polyak_job *jb = ctx;
  size_t lo, hi;
  crl__pool_split(jb->n, jb->parts, task, 16, &lo, &hi);
  crl_real *restrict t = jb->target;
  const crl_real *restrict s = jb->source;
  for (size_t i = lo; i < hi; i++)
    t[i] = jb->a * t[i] + jb->b * s[i];
}

void crl_polyak_update(size_t n, crl_real *target, const crl_real *source,
                       double tau) {
  /* The same two roundings as SB3's target.mul_(1 - tau).add_(source,
   * alpha=tau) in the float build. */
  crl__pool *pool = crl__pool_current();
  polyak_job jb = {n,
                   target,
                   source,
                   (crl_real)(1.0 - tau),
                   (crl_real)tau,
                   crl__pool_vector_parts(pool, n)};
  crl__pool_run(pool, jb.parts, polyak_part, &jb, 0, NULL);
}
