/* Network initialisation: PyTorch's nn.Linear default, or orthogonal
 * weights with zero biases (SB3). Works on the public view of a network:
 * its spec and the flat parameter vector, layer after layer W [out, in]
 * row-major then b [out] (lib/mlp.c documents the layout). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "crl/error.h"
#include "crl/mlp.h"

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
  const crl_mlp_spec *s = crl_mlp_get_spec(net);
  const int L = s->n_layers;
  crl_real *p = crl_mlp_params(net); /* layer l: W [o, in], then b [o] */
  if (init == CRL_INIT_TORCH) {
    /* kaiming_uniform_(a = sqrt(5)) gives bound sqrt(6 / ((1 + 5) in)) =
     * 1 / sqrt(in) for the weights; torch uses the same bound for biases. */
    for (int l = 0; l < L; l++) {
      const int in = s->sizes[l], o = s->sizes[l + 1];
      const double bound = 1.0 / sqrt((double)in);
      crl_real *W = p;                  /* [o, in] */
      crl_real *b = p + (size_t)o * in; /* [o] */
      for (size_t i = 0; i < (size_t)o * in; i++)
        W[i] = (crl_real)(bound * (2.0 * gsl_rng_uniform(rng) - 1.0));
      for (int i = 0; i < o; i++)
        b[i] = (crl_real)(bound * (2.0 * gsl_rng_uniform(rng) - 1.0));
      p += (size_t)o * in + o;
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
    rc = orthogonal_fill(p, o, in, l == L - 1 ? output_gain : hidden_gain, rng,
                         q);
    memset(p + (size_t)o * in, 0, (size_t)o * sizeof(crl_real));
    p += (size_t)o * in + o;
  }
  free(q);
  return rc;
}
