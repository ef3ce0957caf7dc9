/* RMSprop on flat vectors, as torch.optim.RMSprop (see crl/optim.h). */
#include <math.h>
#include <stdlib.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/optim.h"

#if CRL_REAL_IS_DOUBLE
#define REAL_SQRT sqrt
#else
#define REAL_SQRT sqrtf
#endif

struct crl_rmsprop {
  size_t n;
  crl_rmsprop_spec spec;
  crl_real *v; /* [n] running average of the squared gradient */
  void *block; /* v */
};

crl_rmsprop_spec crl_rmsprop_spec_default(void) {
  crl_rmsprop_spec s = {.alpha = 0.99, .eps = 1e-8};
  return s;
}

int crl_rmsprop_alloc(size_t n, const crl_rmsprop_spec *spec,
                      crl_rmsprop **out) {
  *out = NULL;
  crl_rmsprop_spec s = spec ? *spec : crl_rmsprop_spec_default();
  if (!(s.alpha >= 0.0 && s.alpha < 1.0) || !(s.eps > 0.0))
    return crl_fail(CRL_ERANGE,
                    "rmsprop: need 0 <= alpha < 1 and eps > 0 (got %g, %g)",
                    s.alpha, s.eps);
  crl_rmsprop *o = calloc(1, sizeof *o);
  if (o == NULL)
    return crl_fail(CRL_ENOMEM, "rmsprop: out of memory");
  const crl__buf bufs[] = {{(void **)&o->v, CRL__BUF_REAL, n}}; /* [n] */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &o->block, "rmsprop");
  if (rc) {
    free(o);
    return rc;
  }
  o->n = n;
  o->spec = s;
  *out = o;
  return 0;
}

void crl_rmsprop_free(crl_rmsprop *opt) {
  if (opt == NULL)
    return;
  free(opt->block);
  free(opt);
}

void crl_rmsprop_step(crl_rmsprop *opt, crl_real *params, const crl_real *grads,
                      double lr) {
  const crl_real a = (crl_real)opt->spec.alpha;
  const crl_real c = (crl_real)(1.0 - opt->spec.alpha);
  const crl_real eps = (crl_real)opt->spec.eps, step = (crl_real)lr;
  crl_real *v = opt->v;
  /* PyTorch's order of operations: v = a v + c g g; p -= lr g / (sqrt v + eps).
   */
  for (size_t i = 0; i < opt->n; i++) {
    const crl_real g = grads[i];
    v[i] = a * v[i] + c * g * g;
    params[i] -= step * g / (REAL_SQRT(v[i]) + eps);
  }
}

crl_real *crl_rmsprop_v(crl_rmsprop *opt) {
  return opt->v;
}

int crl_rmsprop_sections(void *obj, crl_state_io *io) {
  crl_rmsprop *o = obj;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "v", o->v, o->n, CRL_STATE_NONNEG),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
