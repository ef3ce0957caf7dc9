/* Adam and gradient-norm clipping on flat vectors. */
#include <math.h>
#include <stdlib.h>

#include "crl/error.h"
#include "crl/optim.h"

struct crl_adam {
  size_t n;
  crl_adam_spec spec;
  long t;      /* steps taken */
  crl_real *m; /* [n] first moment */
  crl_real *v; /* [n] second moment */
};

crl_adam_spec crl_adam_spec_default(void) {
  crl_adam_spec s = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  return s;
}

int crl_adam_alloc(size_t n, const crl_adam_spec *spec, crl_adam **out) {
  *out = NULL;
  crl_adam_spec s = spec ? *spec : crl_adam_spec_default();
  if (!(s.beta1 >= 0.0 && s.beta1 < 1.0) || !(s.beta2 >= 0.0 && s.beta2 < 1.0) ||
      !(s.eps > 0.0))
    return crl_fail(CRL_ERANGE,
                    "adam: need 0 <= beta1, beta2 < 1 and eps > 0 "
                    "(got %g, %g, %g)",
                    s.beta1, s.beta2, s.eps);
  crl_adam *a = calloc(1, sizeof *a);
  if (a == NULL)
    return crl_fail(CRL_ENOMEM, "adam: out of memory");
  a->m = calloc(n ? n : 1, sizeof *a->m);
  a->v = calloc(n ? n : 1, sizeof *a->v);
  if (a->m == NULL || a->v == NULL) {
    crl_adam_free(a);
    return crl_fail(CRL_ENOMEM, "adam: out of memory for %zu parameters", n);
  }
  a->n = n;
  a->spec = s;
  *out = a;
  return 0;
}

void crl_adam_free(crl_adam *adam) {
  if (adam == NULL)
    return;
  free(adam->m);
  free(adam->v);
  free(adam);
}

void crl_adam_step(crl_adam *adam, crl_real *params, const crl_real *grads,
                   double lr) {
  adam->t++;
  const double b1 = adam->spec.beta1, b2 = adam->spec.beta2;
  /* PyTorch's form: step = lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps) */
  const double bc1 = 1.0 - pow(b1, (double)adam->t);
  const double bc2_sqrt = sqrt(1.0 - pow(b2, (double)adam->t));
  const crl_real step = (crl_real)(lr / bc1);
  const crl_real inv_bc2 = (crl_real)(1.0 / bc2_sqrt);
  const crl_real eps = (crl_real)adam->spec.eps;
  const crl_real cb1 = (crl_real)b1, cb2 = (crl_real)b2;
  crl_real *m = adam->m, *v = adam->v;
  for (size_t i = 0; i < adam->n; i++) {
    crl_real g = grads[i];
    m[i] = cb1 * m[i] + (1 - cb1) * g;
    v[i] = cb2 * v[i] + (1 - cb2) * g * g;
    params[i] -= step * m[i] / (sqrt(v[i]) * inv_bc2 + eps);
  }
}

long crl_adam_steps(const crl_adam *adam) { return adam->t; }
crl_real *crl_adam_m(crl_adam *adam) { return adam->m; }
crl_real *crl_adam_v(crl_adam *adam) { return adam->v; }

double crl_vec_norm(size_t n, const crl_real *g) {
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (double)g[i] * (double)g[i];
  return sqrt(s);
}

double crl_clip_grad_norm(size_t n, crl_real *g, double max_norm) {
  double norm = crl_vec_norm(n, g);
  double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    crl_real c = (crl_real)coef;
    for (size_t i = 0; i < n; i++)
      g[i] *= c;
  }
  return norm;
}

void crl_adam_set_steps(crl_adam *adam, long steps) { adam->t = steps; }
