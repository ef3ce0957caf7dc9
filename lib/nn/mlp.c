/* Multi-layer perceptron with manual backprop (and forward-mode JVP, in
 * mlp_jvp.c).
 *
 * Parameters live in one flat vector (owned or a view), layer l at
 * W_l [out_l, in_l] row-major then b_l [out_l]. A layer computes
 *   a_{l+1} [B, out] = f(a_l [B, in] W^T + b),
 * with a_0 = x. Activations are kept for backward and jvp (and
 * crl_mlp_jvp_cached runs on them without a forward); derivatives of
 * tanh and relu are taken from the layer's output (1 - y^2, y > 0), so
 * pre-activations need not be stored. All scratch is sized in
 * crl_mlp_alloc for spec.max_batch rows.
 *
 * The products go through lib/gemm.c (small-matrix kernels, AVX-512 / AVX2
 * chosen at run time); its header documents the summation order, hence
 * which results are bit-identical to which. The elementwise loops (bias,
 * activation, their derivatives) are plain C compiled for several ISAs
 * (CRL_CLONES); without FMA contraction, vectorising them does not change a
 * bit, so they give the same results on every ISA. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "crl/error.h"
#include "crl/mlp.h"
#include "nn/gemm.h"
#include "nn/mlp_impl.h"

/* ---- spec ---------------------------------------------------------------- */

static int act_valid(crl_activation a) {
  return a == CRL_ACT_IDENTITY || a == CRL_ACT_TANH || a == CRL_ACT_RELU;
}

static int spec_check(const crl_mlp_spec *s) {
  if (s == NULL)
    return crl_fail(CRL_EINVAL, "mlp: spec is NULL");
  if (s->n_layers < 1 || s->n_layers > CRL_MLP_MAX_LAYERS)
    return crl_fail(CRL_EINVAL,
                    "mlp: n_layers %d outside [1, %d] (too many hidden "
                    "layers, or NULL hidden sizes, in crl_mlp_spec_make?)",
                    s->n_layers, CRL_MLP_MAX_LAYERS);
  for (int l = 0; l <= s->n_layers; l++)
    if (s->sizes[l] < 1)
      return crl_fail(CRL_EINVAL, "mlp: sizes[%d] = %d, must be >= 1", l,
                      s->sizes[l]);
  if (!act_valid(s->hidden_activation) || !act_valid(s->output_activation))
    return crl_fail(CRL_EINVAL, "mlp: unknown activation (%d, %d)",
                    (int)s->hidden_activation, (int)s->output_activation);
  if (s->max_batch < 1)
    return crl_fail(CRL_EINVAL, "mlp: max_batch %d, must be >= 1",
                    s->max_batch);
  return 0;
}

crl_activation crl__mlp_layer_act(const crl_mlp_spec *s, int l) {
  return l == s->n_layers - 1 ? s->output_activation : s->hidden_activation;
}

crl_mlp_spec crl_mlp_spec_make(int in, int n_hidden, const int *hidden, int out,
                               crl_activation hidden_act,
                               crl_activation out_act, int max_batch) {
  crl_mlp_spec s;
  memset(&s, 0, sizeof s);
  s.hidden_activation = hidden_act;
  s.output_activation = out_act;
  s.max_batch = max_batch;
  /* An impossible request gives n_layers = 0, which crl_mlp_alloc rejects
   * with a message: this function has no error channel of its own. */
  if (n_hidden < 0 || n_hidden > CRL_MLP_MAX_LAYERS - 1 ||
      (n_hidden > 0 && hidden == NULL))
    return s;
  s.n_layers = n_hidden + 1;
  s.sizes[0] = in;
  for (int i = 0; i < n_hidden; i++)
    s.sizes[i + 1] = hidden[i];
  s.sizes[n_hidden + 1] = out;
  return s;
}

size_t crl_mlp_param_count(const crl_mlp_spec *spec) {
  if (spec_check(spec) != 0)
    return 0;
  size_t n = 0;
  for (int l = 0; l < spec->n_layers; l++)
    n += (size_t)spec->sizes[l + 1] * ((size_t)spec->sizes[l] + 1);
  return n;
}

/* ---- alloc / free -------------------------------------------------------- */

int crl_mlp_alloc(const crl_mlp_spec *spec, crl_real *params, crl_real *grads,
                  crl_mlp **out) {
  if (out == NULL)
    return crl_fail(CRL_EINVAL, "mlp_alloc: out is NULL");
  *out = NULL;
  int rc = spec_check(spec);
  if (rc != 0)
    return rc;
  if ((params == NULL) != (grads == NULL))
    return crl_fail(CRL_EINVAL, "mlp_alloc: params and grads must both be "
                                "external or both NULL");
  crl_mlp *net = calloc(1, sizeof *net);
  if (net == NULL)
    return crl_fail(CRL_ENOMEM, "mlp_alloc: out of memory");
  net->spec = *spec;
  const int L = spec->n_layers;
  const size_t mb = (size_t)spec->max_batch;

  size_t off = 0, n_act = 0;
  int max_width = 0;
  for (int l = 0; l < L; l++) {
    size_t in = (size_t)spec->sizes[l], o = (size_t)spec->sizes[l + 1];
    net->w_off[l] = off;
    off += o * in;
    net->b_off[l] = off;
    off += o;
  }
  net->n_params = off;
  for (int l = 0; l <= L; l++) {
    n_act += mb * (size_t)spec->sizes[l];
    if (spec->sizes[l] > max_width)
      max_width = spec->sizes[l];
  }
  size_t n_tmp = mb * (size_t)max_width;
  size_t n_work = 1; /* the largest scratch any product of a layer needs */
  for (int l = 0; l < L; l++) {
    const int in = spec->sizes[l], o = spec->sizes[l + 1];
    size_t fwd = crl_gemm_work_size(spec->max_batch, o, in);
    size_t dw = crl_gemm_work_size(o, in, spec->max_batch);
    n_work = fwd > n_work ? fwd : n_work;
    n_work = dw > n_work ? dw : n_work;
  }

  if (params == NULL) {
    net->owned = calloc(2 * net->n_params, sizeof(crl_real));
    if (net->owned == NULL) {
      size_t n = net->n_params;
      free(net);
      return crl_fail(CRL_ENOMEM, "mlp_alloc: out of memory for %zu params", n);
    }
    params = net->owned;
    grads = net->owned + net->n_params;
  }
  net->params = params;
  net->grads = grads;

  /* Zeroed so that nothing uninitialised is ever read, even by mistake. */
  net->scratch = calloc(n_act + 2 * n_tmp + n_work, sizeof(crl_real));
  if (net->scratch == NULL) {
    free(net->owned);
    free(net);
    return crl_fail(CRL_ENOMEM,
                    "mlp_alloc: out of memory for scratch "
                    "(max_batch %d)",
                    spec->max_batch);
  }
  crl_real *p = net->scratch;
  for (int l = 0; l <= L; l++) {
    net->act[l] = p;
    p += mb * (size_t)spec->sizes[l];
  }
  net->tmp[0] = p;
  net->tmp[1] = p + n_tmp;
  net->work = p + 2 * n_tmp;
  *out = net;
  return 0;
}

void crl_mlp_free(crl_mlp *net) {
  if (net == NULL)
    return;
  free(net->scratch);
  free(net->owned);
  free(net);
}

const crl_mlp_spec *crl_mlp_get_spec(const crl_mlp *net) {
  return net ? &net->spec : NULL;
}
crl_real *crl_mlp_params(crl_mlp *net) {
  return net ? net->params : NULL;
}
crl_real *crl_mlp_grads(crl_mlp *net) {
  return net ? net->grads : NULL;
}
size_t crl_mlp_n_params(const crl_mlp *net) {
  return net ? net->n_params : 0;
}

void crl_mlp_zero_grad(crl_mlp *net) {
  if (net != NULL)
    memset(net->grads, 0, net->n_params * sizeof(crl_real));
}

/* ---- layer kernels ------------------------------------------------------- */

/* tanh without a libm call, so that the activation loops vectorise: Cephes'
 * tanh (odd polynomial, or rational in double, for |x| < 0.625; otherwise
 * 1 - 2 / (exp(2|x|) + 1) with Cephes' exp, 2^n built from the bits of the
 * rounded exponent). Branch-free selects; NaN in, NaN out; +-0 kept. Worst
 * error over every float in [2^-126, 12], and over 16M doubles spread
 * log-uniformly: 1.4 ulp (glibc's tanhf: < 1 ulp), measured against libm's
 * tanh in double and tanhl respectively.
 *
 * The selects go through the bits (sel_r) rather than `?:`: from the
 * `?:` of the clamp GCC builds a branch (beyond the clamp the exp side
 * folds to the constant 1, so it moves that side under the test), and
 * with AVX2 or SSE it then cannot vectorise the loop back, since that
 * would execute the division of the side not taken. The bits select
 * exactly what `?:` selected (every float, and 2^28 doubles, compared),
 * and the AVX2 loop runs about 6 times faster, the SSE one 3 times;
 * AVX-512, which masks the division, is unchanged. */
#if CRL_REAL_IS_DOUBLE
/* c ? a : b, by masking the bits. */
static inline double sel_r(int c, double a, double b) {
  int64_t ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  const int64_t m = -(int64_t)(c != 0);
  const int64_t r = (ia & m) | (ib & ~m);
  double f;
  memcpy(&f, &r, sizeof f);
  return f;
}

static inline double tanh_r(double x) {
  const double ax = fabs(x), s = x * x;
  const double num =
      (-9.64399179425052238628e-1 * s - 9.92877231001918586564e1) * s -
      1.61468768441708447952e3;
  const double den =
      ((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s +
      4.84406305325125486048e3;
  const double small = sel_r(ax < 0x1p-27, x, x + x * s * (num / den));
  /* tanh rounds to 1 beyond 19.1; the clamp keeps 2^n finite */
  const double y = 2.0 * sel_r(ax < 20.0, ax, 20.0);
  const double magic = 6755399441055744.0; /* 1.5 * 2^52: rounds to int */
  const double t = y * 1.4426950408889634073599 + magic;
  const double n = t - magic;
  const double r =
      (y - n * 6.93145751953125e-1) - n * 1.42860682030941723212e-6;
  const double rr = r * r;
  const double px =
      r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr +
           9.99999999999999999910e-1);
  const double qx =
      ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr +
       2.27265548208155028766e-1) *
          rr +
      2.00000000000000000009e0;
  const double er = 1.0 + 2.0 * (px / (qx - px)); /* exp(r) */
  int64_t tb, mb;
  memcpy(&tb, &t, sizeof tb);
  memcpy(&mb, &magic, sizeof mb);
  const int64_t bits = (int64_t)((uint64_t)(tb - mb + 1023) << 52);
  double scale; /* 2^n */
  memcpy(&scale, &bits, sizeof scale);
  double big = 1.0 - 2.0 / (er * scale + 1.0);
  big = sel_r(x < 0, -big, big);
  const double res = sel_r(ax < 0.625, small, big);
  return sel_r(x != x, x, res);
}
#else
/* c ? a : b, by masking the bits. */
static inline float sel_r(int c, float a, float b) {
  int32_t ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  const int32_t m = -(int32_t)(c != 0);
  const int32_t r = (ia & m) | (ib & ~m);
  float f;
  memcpy(&f, &r, sizeof f);
  return f;
}

static inline float tanh_r(float x) {
  const float ax = fabsf(x), z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = sel_r(ax < 0x1p-12f, x, p * z * x + x);
  /* tanhf rounds to 1 beyond 9.01; the clamp keeps 2^n finite */
  const float y = 2.0f * sel_r(ax < 10.0f, ax, 10.0f);
  const float magic = 12582912.0f; /* 1.5 * 2^23: rounds to int */
  const float t = y * 1.44269504088896341f + magic;
  const float n = t - magic;
  const float r = (y - n * 0.693359375f) - n * -2.12194440e-4f;
  float q = 1.9875691500e-4f; /* exp(r) = 1 + r + r^2 q(r) */
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  q = q * (r * r) + r + 1.0f;
  int32_t tb, mb;
  memcpy(&tb, &t, sizeof tb);
  memcpy(&mb, &magic, sizeof mb);
  const int32_t bits = (int32_t)((uint32_t)(tb - mb + 127) << 23);
  float scale; /* 2^n */
  memcpy(&scale, &bits, sizeof scale);
  float big = 1.0f - 2.0f / (q * scale + 1.0f);
  big = sel_r(x < 0, -big, big);
  const float res = sel_r(ax < 0.625f, small, big);
  return sel_r(x != x, x, res);
}
#endif

/* z [count] = tanh(z) in place. */
CRL_CLONES static void tanh_inplace(crl_real *restrict z, size_t count) {
  for (size_t i = 0; i < count; i++)
    z[i] = tanh_r(z[i]);
}

void crl__mlp_tanh(crl_real *restrict z, size_t count) {
  tanh_inplace(z, count);
}

/* d [count] *= f'(z), with f' expressed through the output y = f(z)
 * [count]: tanh' = 1 - y^2, relu' = [y > 0] (0 at the kink, like torch). */
CRL_CLONES static void act_grad(crl_real *restrict d,
                                const crl_real *restrict y, size_t count,
                                crl_activation act) {
  switch (act) {
  case CRL_ACT_TANH:
    for (size_t i = 0; i < count; i++)
      d[i] *= 1 - y[i] * y[i];
    break;
  case CRL_ACT_RELU:
    for (size_t i = 0; i < count; i++)
      d[i] = y[i] > 0 ? d[i] : 0;
    break;
  default:
    break;
  }
}

/* db [n] += the column sums of d [B, n]: each db[j] one sequential sum
 * over the rows, starting from db[j] (the order that fixes the bits).
 * Blocks of columns keep their sums in registers through all the rows
 * (four vectors, so that four chains of adds overlap), instead of loading
 * and storing db once a row, which made the row-by-row loop wait on
 * store-to-load forwarding: a chain of a load, an add and a store per row.
 * Columns left over go by one vector, then one at a time. */
enum { COL_VEC = 64 / (int)sizeof(crl_real) }; /* one AVX-512 vector */
#define COL_SUMS_BLOCK(width)                                                  \
  for (; j0 + (width) <= n; j0 += (width)) {                                   \
    crl_real acc[width];                                                       \
    for (int j = 0; j < (width); j++)                                          \
      acc[j] = db[j0 + j];                                                     \
    for (int r = 0; r < B; r++) {                                              \
      const crl_real *restrict row = d + (size_t)r * n + j0; /* [width] */     \
      for (int j = 0; j < (width); j++)                                        \
        acc[j] += row[j];                                                      \
    }                                                                          \
    for (int j = 0; j < (width); j++)                                          \
      db[j0 + j] = acc[j];                                                     \
  }
CRL_CLONES static void col_sums(crl_real *restrict db,
                                const crl_real *restrict d, int B, int n) {
  int j0 = 0;
  COL_SUMS_BLOCK(4 * COL_VEC)
  COL_SUMS_BLOCK(COL_VEC)
  COL_SUMS_BLOCK(1)
}
#undef COL_SUMS_BLOCK

/* z [B, n] = b [n] in every row. By blocks of columns of a fixed width,
 * like col_sums: a row-by-row loop of variable width compiles to a memcpy
 * call per row, whose overhead exceeds the copy at these widths (one call
 * per sample for a 1-wide output layer). */
#define FILL_ROWS_BLOCK(width)                                                 \
  for (; j0 + (width) <= n; j0 += (width)) {                                   \
    crl_real v[width];                                                         \
    for (int j = 0; j < (width); j++)                                          \
      v[j] = b[j0 + j];                                                        \
    for (int r = 0; r < B; r++)                                                \
      for (int j = 0; j < (width); j++)                                        \
        z[(size_t)r * n + j0 + j] = v[j];                                      \
  }
CRL_CLONES static void fill_rows(crl_real *restrict z,
                                 const crl_real *restrict b, int B, int n) {
  int j0 = 0;
  FILL_ROWS_BLOCK(4 * COL_VEC)
  FILL_ROWS_BLOCK(COL_VEC)
  FILL_ROWS_BLOCK(1)
}
#undef FILL_ROWS_BLOCK

/* The entry mlp_jvp.c calls: a clone set is not called across files
 * (clang names its versions in the defining file only). */
void crl__mlp_fill_rows(crl_real *restrict z, const crl_real *restrict b, int B,
                        int n) {
  fill_rows(z, b, B, n);
}

/* act[l+1] [B, out] = f(act[l] [B, in] W^T + b). The bias, and ReLU,
 * are applied by the product's epilogue; tanh by a pass after it. */
void crl__mlp_layer_forward(crl_mlp *net, int l, int B) {
  const int in = net->spec.sizes[l], o = net->spec.sizes[l + 1];
  const crl_activation act = crl__mlp_layer_act(&net->spec, l);
  const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
  const crl__gemm_post post = {act == CRL_ACT_RELU ? CRL_POST_BIAS_RELU
                                                   : CRL_POST_BIAS,
                               net->params + net->b_off[l], 0}; /* b [o] */
  crl_real *z = net->act[l + 1];                                /* [B, o] */
  crl__gemm_nt(B, o, in, net->act[l], in, W, in, z, o, 0, &post, net->work);
  if (act == CRL_ACT_TANH)
    tanh_inplace(z, (size_t)B * o);
}

int crl__mlp_check_batch(const crl_mlp *net, int B, const char *fn) {
  if (B < 1 || B > net->spec.max_batch)
    return crl_fail(CRL_ESHAPE, "%s: batch %d outside [1, %d] (max_batch)", fn,
                    B, net->spec.max_batch);
  return 0;
}

/* ---- forward / backward ------------------------------------------------- */

int crl_mlp_forward(crl_mlp *net, const crl_real *x, int B, crl_real *y) {
  if (net == NULL || x == NULL || y == NULL)
    return crl_fail(CRL_EINVAL, "mlp_forward: NULL argument");
  int rc = crl__mlp_check_batch(net, B, "mlp_forward");
  if (rc != 0)
    return rc;
  const int L = net->spec.n_layers;
  memcpy(net->act[0], x, (size_t)B * net->spec.sizes[0] * sizeof(crl_real));
  for (int l = 0; l < L; l++)
    crl__mlp_layer_forward(net, l, B);
  memcpy(y, net->act[L], (size_t)B * net->spec.sizes[L] * sizeof(crl_real));
  net->last_batch = B;
  return 0;
}

const crl_real *crl_mlp_layer_input(const crl_mlp *net, int layer) {
  if (net == NULL || net->last_batch == 0 || layer < 0 ||
      layer >= net->spec.n_layers)
    return NULL;
  return net->act[layer];
}

/* Backward through the last forward: dx as crl_mlp_backward; parameter
 * gradients accumulated only when with_params (an input gradient alone
 * skips a third of the multiply-adds). */
static int backward(crl_mlp *net, const crl_real *dy, int B, crl_real *dx,
                    int with_params) {
  if (net == NULL || dy == NULL)
    return crl_fail(CRL_EINVAL, "mlp_backward: NULL argument");
  int rc = crl__mlp_check_batch(net, B, "mlp_backward");
  if (rc != 0)
    return rc;
  if (net->last_batch == 0)
    return crl_fail(CRL_ESTATE, "mlp_backward: no forward call before");
  if (B != net->last_batch)
    return crl_fail(CRL_ESHAPE, "mlp_backward: batch %d, last forward had %d",
                    B, net->last_batch);
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  /* d [B, out_l] = dL/dz_l, the gradient before layer l's activation */
  crl_real *d = net->tmp[0];
  memcpy(d, dy, (size_t)B * s->sizes[L] * sizeof(crl_real));
  act_grad(d, net->act[L], (size_t)B * s->sizes[L], s->output_activation);
  for (int l = L - 1; l >= 0; l--) {
    const int in = s->sizes[l], o = s->sizes[l + 1];
    const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
    crl_real *dW = net->grads + net->w_off[l];       /* [o, in] */
    crl_real *db = net->grads + net->b_off[l];       /* [o] */
    if (with_params) {
      /* dW [o, in] += d^T [o, B] act[l] [B, in] */
      crl__gemm_tn(o, in, B, d, o, net->act[l], in, dW, in, net->work);
      /* db [o] += sum over rows of d */
      col_sums(db, d, B, o);
    }
    if (l == 0 && dx == NULL)
      break;
    /* da [B, in] = d [B, o] W [o, in]: into dx for the input layer; below
     * a hidden layer, times f' there (the product's epilogue) */
    crl_real *da = l == 0 ? dx : (d == net->tmp[0] ? net->tmp[1] : net->tmp[0]);
    const crl__gemm_post post = {
        l == 0                                 ? CRL_POST_NONE
        : s->hidden_activation == CRL_ACT_RELU ? CRL_POST_DRELU
        : s->hidden_activation == CRL_ACT_TANH ? CRL_POST_DTANH
                                               : CRL_POST_NONE,
        net->act[l], in}; /* y [B, in] */
    crl__gemm_nn(B, in, o, d, o, W, in, da, in, 0, &post);
    d = da;
  }
  return 0;
}

int crl_mlp_backward(crl_mlp *net, const crl_real *dy, int B, crl_real *dx) {
  return backward(net, dy, B, dx, 1);
}

int crl_mlp_backward_input(crl_mlp *net, const crl_real *dy, int B,
                           crl_real *dx) {
  if (dx == NULL)
    return crl_fail(CRL_EINVAL, "mlp_backward_input: dx is NULL");
  return backward(net, dy, B, dx, 0);
}
