/* Multi-layer perceptron with manual backprop and forward-mode JVP.
 *
 * Parameters live in one flat vector (owned or a view), layer l at
 * W_l [out_l, in_l] row-major then b_l [out_l]. A layer computes
 *   a_{l+1} [B, out] = f(a_l [B, in] W^T + b),
 * with a_0 = x. Activations are kept for backward and jvp; derivatives of
 * tanh and relu are taken from the layer's output (1 - y^2, y > 0), so
 * pre-activations need not be stored. All scratch is sized in
 * crl_mlp_alloc for spec.max_batch rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* blas.h before any GSL header, so that OpenBLAS's own prototypes are the
 * ones in use when the build has it (see blas.h). */
#include "blas.h"

#include <gsl/gsl_randist.h>

#include "crl/error.h"
#include "crl/mlp.h"

#if CRL_REAL_IS_DOUBLE
#define REAL_TANH tanh
#else
#define REAL_TANH tanhf
#endif

struct crl_mlp {
  crl_mlp_spec spec;
  size_t n_params;
  crl_real *params; /* [n_params], owned or external */
  crl_real *grads;  /* [n_params], owned or external */
  crl_real *owned;  /* [2 * n_params] params then grads, or NULL (views) */
  size_t w_off[CRL_MLP_MAX_LAYERS]; /* W_l = params + w_off[l], [out_l, in_l] */
  size_t b_off[CRL_MLP_MAX_LAYERS]; /* b_l = params + b_off[l], [out_l] */
  /* act[0] [max_batch, sizes[0]]: copy of the input (the caller may reuse
   * x before backward); act[l] [max_batch, sizes[l]]: output of layer l-1
   * after its activation. */
  crl_real *act[CRL_MLP_MAX_LAYERS + 1];
  /* tmp[i] [max_batch, max width]: ping-pong buffers for backward deltas
   * (dL/dz of one layer, dL/da of the one below) and jvp tangents. */
  crl_real *tmp[2];
  crl_real *scratch; /* the single block behind act[] and tmp[] */
  int last_batch;    /* B of the last forward/jvp, 0 before the first */
};

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

static crl_activation layer_act(const crl_mlp_spec *s, int l) {
  return l == s->n_layers - 1 ? s->output_activation : s->hidden_activation;
}

crl_mlp_spec crl_mlp_spec_make(int in, int n_hidden, const int *hidden,
                               int out, crl_activation hidden_act,
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

  if (params == NULL) {
    net->owned = calloc(2 * net->n_params, sizeof(crl_real));
    if (net->owned == NULL) {
      size_t n = net->n_params;
      free(net);
      return crl_fail(CRL_ENOMEM, "mlp_alloc: out of memory for %zu params",
                      n);
    }
    params = net->owned;
    grads = net->owned + net->n_params;
  }
  net->params = params;
  net->grads = grads;

  /* Zeroed so that nothing uninitialised is ever read, even by mistake. */
  net->scratch = calloc(n_act + 2 * n_tmp, sizeof(crl_real));
  if (net->scratch == NULL) {
    free(net->owned);
    free(net);
    return crl_fail(CRL_ENOMEM, "mlp_alloc: out of memory for scratch "
                                "(max_batch %d)", spec->max_batch);
  }
  crl_real *p = net->scratch;
  for (int l = 0; l <= L; l++) {
    net->act[l] = p;
    p += mb * (size_t)spec->sizes[l];
  }
  net->tmp[0] = p;
  net->tmp[1] = p + n_tmp;
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
crl_real *crl_mlp_params(crl_mlp *net) { return net ? net->params : NULL; }
crl_real *crl_mlp_grads(crl_mlp *net) { return net ? net->grads : NULL; }
size_t crl_mlp_n_params(const crl_mlp *net) { return net ? net->n_params : 0; }

void crl_mlp_zero_grad(crl_mlp *net) {
  if (net != NULL)
    memset(net->grads, 0, net->n_params * sizeof(crl_real));
}

/* ---- init ---------------------------------------------------------------- */

/* W [rows, cols] = gain * Q, drawn like torch.nn.init.orthogonal_: the thin
 * QR factor Q of an [m, n] Gaussian matrix (m = max, n = min of rows and
 * cols), signs fixed so that R has a positive diagonal, transposed when
 * rows < cols. Gram-Schmidt yields exactly that factor (its R diagonal is
 * a norm, so positive), sign correction included; running it twice per
 * column keeps Q orthogonal to rounding. q [n, m] is double scratch, one
 * column of the Gaussian matrix per row. */
static int orthogonal_fill(crl_real *W, int rows, int cols, double gain,
                           gsl_rng *rng, double *q) {
  const int m = rows > cols ? rows : cols;
  const int n = rows > cols ? cols : rows;
  for (int j = 0; j < n; j++) {
    double *qj = q + (size_t)j * m;
    double rel = 0.0, norm2 = 0.0;
    /* A Gaussian column in the span of the previous ones has probability
     * zero; redraw a few times rather than divide by ~0. */
    for (int attempt = 0; attempt < 8 && rel <= 1e-6; attempt++) {
      double norm2_drawn = 0.0;
      for (int i = 0; i < m; i++) {
        qj[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        norm2_drawn += qj[i] * qj[i];
      }
      for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < j; k++) {
          const double *qk = q + (size_t)k * m;
          double r = 0.0;
          for (int i = 0; i < m; i++)
            r += qk[i] * qj[i];
          for (int i = 0; i < m; i++)
            qj[i] -= r * qk[i];
        }
      norm2 = 0.0;
      for (int i = 0; i < m; i++)
        norm2 += qj[i] * qj[i];
      rel = norm2_drawn > 0 ? sqrt(norm2 / norm2_drawn) : 0.0;
    }
    if (rel <= 1e-6)
      return crl_fail(CRL_ERANGE, "mlp_init: orthogonalisation failed");
    const double inv = 1.0 / sqrt(norm2);
    for (int i = 0; i < m; i++)
      qj[i] *= inv;
  }
  if (rows >= cols) { /* orthonormal columns: W[i][j] = q_j[i] */
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++)
        W[(size_t)i * cols + j] = (crl_real)(gain * q[(size_t)j * m + i]);
  } else { /* orthonormal rows: W[i][j] = q_i[j] */
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++)
        W[(size_t)i * cols + j] = (crl_real)(gain * q[(size_t)i * m + j]);
  }
  return 0;
}

int crl_mlp_init(crl_mlp *net, crl_init init, double hidden_gain,
                 double output_gain, gsl_rng *rng) {
  if (net == NULL || rng == NULL)
    return crl_fail(CRL_EINVAL, "mlp_init: net or rng is NULL");
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  if (init == CRL_INIT_TORCH) {
    /* kaiming_uniform_(a = sqrt(5)) gives bound sqrt(6 / ((1 + 5) in)) =
     * 1 / sqrt(in) for the weights; torch uses the same bound for biases. */
    for (int l = 0; l < L; l++) {
      const int in = s->sizes[l], o = s->sizes[l + 1];
      const double bound = 1.0 / sqrt((double)in);
      crl_real *W = net->params + net->w_off[l]; /* [o, in] */
      crl_real *b = net->params + net->b_off[l]; /* [o] */
      for (size_t i = 0; i < (size_t)o * in; i++)
        W[i] = (crl_real)(bound * (2.0 * gsl_rng_uniform(rng) - 1.0));
      for (int i = 0; i < o; i++)
        b[i] = (crl_real)(bound * (2.0 * gsl_rng_uniform(rng) - 1.0));
    }
    return 0;
  }
  if (init != CRL_INIT_ORTHOGONAL)
    return crl_fail(CRL_EINVAL, "mlp_init: unknown init %d", (int)init);
  if (!isfinite(hidden_gain) || !isfinite(output_gain))
    return crl_fail(CRL_EINVAL, "mlp_init: gains must be finite (%g, %g)",
                    hidden_gain, output_gain);
  size_t q_len = 0;
  for (int l = 0; l < L; l++) {
    size_t len = (size_t)s->sizes[l] * (size_t)s->sizes[l + 1];
    if (len > q_len)
      q_len = len;
  }
  double *q = malloc(q_len * sizeof *q); /* init is not a hot path */
  if (q == NULL)
    return crl_fail(CRL_ENOMEM, "mlp_init: out of memory");
  int rc = 0;
  for (int l = 0; l < L && rc == 0; l++) {
    const int in = s->sizes[l], o = s->sizes[l + 1];
    rc = orthogonal_fill(net->params + net->w_off[l], o, in,
                         l == L - 1 ? output_gain : hidden_gain, rng, q);
    memset(net->params + net->b_off[l], 0, (size_t)o * sizeof(crl_real));
  }
  free(q);
  return rc;
}

/* ---- layer kernels -------------------------------------------------------- */

/* z [B, n] = f(z + b) in place, b [n] broadcast over rows. */
static void bias_act(crl_real *z, const crl_real *b, int B, int n,
                     crl_activation act) {
  for (int r = 0; r < B; r++) {
    crl_real *row = z + (size_t)r * n;
    switch (act) {
    case CRL_ACT_TANH:
      for (int j = 0; j < n; j++)
        row[j] = REAL_TANH(row[j] + b[j]);
      break;
    case CRL_ACT_RELU:
      for (int j = 0; j < n; j++) {
        crl_real v = row[j] + b[j];
        row[j] = v > 0 ? v : 0;
      }
      break;
    default:
      for (int j = 0; j < n; j++)
        row[j] += b[j];
      break;
    }
  }
}

/* d [count] *= f'(z), with f' expressed through the output y = f(z)
 * [count]: tanh' = 1 - y^2, relu' = [y > 0] (0 at the kink, like torch). */
static void act_grad(crl_real *d, const crl_real *y, size_t count,
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

/* act[l+1] [B, out] = f(act[l] [B, in] W^T + b). */
static void layer_forward(crl_mlp *net, int l, int B) {
  const int in = net->spec.sizes[l], o = net->spec.sizes[l + 1];
  const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
  const crl_real *b = net->params + net->b_off[l]; /* [o] */
  const crl_real *a = net->act[l];                 /* [B, in] */
  crl_real *z = net->act[l + 1];                   /* [B, o] */
  if (B == 1) /* batch-1 inference: gemv avoids gemm's setup cost */
    CRL_GEMV(CblasRowMajor, CblasNoTrans, o, in, 1, W, in, a, 1, 0, z, 1);
  else
    CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, B, o, in, 1, a, in, W,
             in, 0, z, o);
  bias_act(z, b, B, o, layer_act(&net->spec, l));
}

static int check_batch(const crl_mlp *net, int B, const char *fn) {
  if (B < 1 || B > net->spec.max_batch)
    return crl_fail(CRL_ESHAPE, "%s: batch %d outside [1, %d] (max_batch)",
                    fn, B, net->spec.max_batch);
  return 0;
}

/* ---- forward / backward / jvp --------------------------------------------- */

int crl_mlp_forward(crl_mlp *net, const crl_real *x, int B, crl_real *y) {
  if (net == NULL || x == NULL || y == NULL)
    return crl_fail(CRL_EINVAL, "mlp_forward: NULL argument");
  int rc = check_batch(net, B, "mlp_forward");
  if (rc != 0)
    return rc;
  const int L = net->spec.n_layers;
  memcpy(net->act[0], x, (size_t)B * net->spec.sizes[0] * sizeof(crl_real));
  for (int l = 0; l < L; l++)
    layer_forward(net, l, B);
  memcpy(y, net->act[L], (size_t)B * net->spec.sizes[L] * sizeof(crl_real));
  net->last_batch = B;
  return 0;
}

int crl_mlp_backward(crl_mlp *net, const crl_real *dy, int B, crl_real *dx) {
  if (net == NULL || dy == NULL)
    return crl_fail(CRL_EINVAL, "mlp_backward: NULL argument");
  int rc = check_batch(net, B, "mlp_backward");
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
    /* dW [o, in] += d^T [o, B] act[l] [B, in] */
    CRL_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, o, in, B, 1, d, o,
             net->act[l], in, 1, dW, in);
    /* db [o] += sum over rows of d */
    for (int r = 0; r < B; r++) {
      const crl_real *row = d + (size_t)r * o;
      for (int j = 0; j < o; j++)
        db[j] += row[j];
    }
    if (l == 0 && dx == NULL)
      break;
    /* da [B, in] = d [B, o] W [o, in]: into dx for the input layer */
    crl_real *da = l == 0 ? dx : (d == net->tmp[0] ? net->tmp[1] : net->tmp[0]);
    CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, in, o, 1, d, o, W,
             in, 0, da, in);
    if (l > 0)
      act_grad(da, net->act[l], (size_t)B * in, s->hidden_activation);
    d = da;
  }
  return 0;
}

int crl_mlp_jvp(crl_mlp *net, const crl_real *x, int B,
                const crl_real *v_params, const crl_real *v_x, crl_real *y,
                crl_real *dy) {
  if (net == NULL || x == NULL || dy == NULL)
    return crl_fail(CRL_EINVAL, "mlp_jvp: NULL argument");
  int rc = check_batch(net, B, "mlp_jvp");
  if (rc != 0)
    return rc;
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  memcpy(net->act[0], x, (size_t)B * s->sizes[0] * sizeof(crl_real));
  /* t [B, in_l]: tangent of layer l's input; NULL stands for zero, so a
   * missing direction costs no gemm. */
  const crl_real *t = v_x;
  for (int l = 0; l < L; l++) {
    const int in = s->sizes[l], o = s->sizes[l + 1];
    const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
    layer_forward(net, l, B);
    /* dz [B, o] = t W^T + act[l] dW^T + db, then * f'(z) */
    crl_real *dz = l == L - 1 ? dy
                   : (t == net->tmp[0] ? net->tmp[1] : net->tmp[0]);
    int have = 0;
    if (v_params != NULL) {
      const crl_real *dW = v_params + net->w_off[l]; /* [o, in] */
      const crl_real *db = v_params + net->b_off[l]; /* [o] */
      for (int r = 0; r < B; r++)
        memcpy(dz + (size_t)r * o, db, (size_t)o * sizeof(crl_real));
      CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, B, o, in, 1,
               net->act[l], in, dW, in, 1, dz, o);
      have = 1;
    }
    if (t != NULL) {
      CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, B, o, in, 1, t, in, W,
               in, have ? 1 : 0, dz, o);
      have = 1;
    }
    if (have) {
      act_grad(dz, net->act[l + 1], (size_t)B * o, layer_act(s, l));
      t = dz;
    } else {
      t = NULL;
    }
  }
  if (t == NULL)
    memset(dy, 0, (size_t)B * s->sizes[L] * sizeof(crl_real));
  if (y != NULL)
    memcpy(y, net->act[L], (size_t)B * s->sizes[L] * sizeof(crl_real));
  net->last_batch = B;
  return 0;
}
