/* A network's forward pass on frozen, transposed weights (mlp_frozen.h). */
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "nn/gemm.h"
#include "nn/mlp_frozen.h"
#include "nn/mlp_impl.h"

struct crl__mlp_frozen {
  const crl_mlp *net;                 /* the network: spec and W */
  crl_real *wt[CRL_MLP_MAX_LAYERS];   /* W_l^T [in_l, out_l] */
  crl_real *bias[CRL_MLP_MAX_LAYERS]; /* b_l [out_l] */
  crl_real *h[2]; /* [max_batch, widest hidden layer]: layer outputs */
  void *block;
};

int crl__mlp_frozen_alloc(const crl_mlp *net, crl__mlp_frozen **out) {
  *out = NULL;
  crl__mlp_frozen *f = calloc(1, sizeof *f);
  if (f == NULL)
    return crl_fail(CRL_ENOMEM, "mlp: out of memory");
  f->net = net;
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  size_t wide = 1;
  for (int l = 1; l < L; l++)
    if ((size_t)s->sizes[l] > wide)
      wide = (size_t)s->sizes[l];
  crl__buf bufs[2 * CRL_MLP_MAX_LAYERS + 2];
  int n = 0;
  for (int l = 0; l < L; l++) {
    const size_t in = (size_t)s->sizes[l], o = (size_t)s->sizes[l + 1];
    bufs[n++] = (crl__buf){(void **)&f->wt[l], CRL__BUF_REAL, in * o};
    bufs[n++] = (crl__buf){(void **)&f->bias[l], CRL__BUF_REAL, o};
  }
  for (int i = 0; i < 2; i++)
    bufs[n++] = (crl__buf){(void **)&f->h[i], CRL__BUF_REAL,
                           (size_t)s->max_batch * wide};
  int rc = crl__bufs_alloc(bufs, n, &f->block, "mlp");
  if (rc) {
    free(f);
    return rc;
  }
  *out = f;
  return 0;
}

void crl__mlp_frozen_free(crl__mlp_frozen *f) {
  if (f == NULL)
    return;
  free(f->block);
  free(f);
}

void crl__mlp_frozen_sync(crl__mlp_frozen *f) {
  const crl_mlp *net = f->net;
  for (int l = 0; l < net->spec.n_layers; l++) {
    const int in = net->spec.sizes[l], o = net->spec.sizes[l + 1];
    const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
    for (int j = 0; j < o; j++)
      for (int t = 0; t < in; t++)
        f->wt[l][(size_t)t * o + j] = W[(size_t)j * in + t];
    memcpy(f->bias[l], net->params + net->b_off[l], (size_t)o * sizeof *W);
  }
}

int crl__mlp_frozen_forward(crl__mlp_frozen *f, const crl_real *x, int B,
                            crl_real *y) {
  const crl_mlp *net = f->net;
  int rc = crl__mlp_check_batch(net, B, "mlp_forward");
  if (rc != 0)
    return rc;
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  const crl_real *in_rows = x; /* [B, sizes[l]] */
  for (int l = 0; l < L; l++) {
    const int in = s->sizes[l], o = s->sizes[l + 1];
    const crl_activation act = crl__mlp_layer_act(s, l);
    crl_real *z = l == L - 1 ? y : f->h[l % 2]; /* [B, o] */
    const crl__gemm_post post = {act == CRL_ACT_RELU ? CRL_POST_BIAS_RELU
                                                     : CRL_POST_BIAS,
                                 f->bias[l], 0};
    const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
    crl__gemm_nt_bt(B, o, in, in_rows, in, W, in, f->wt[l], o, z, o, 0, &post);
    if (act == CRL_ACT_TANH)
      crl__mlp_tanh(z, (size_t)B * o);
    in_rows = z;
  }
  return 0;
}
