/* Internal: what mlp.c and mlp_jvp.c share, the network's layout and the
 * layer steps both passes run. */
#ifndef CRL_NN_MLP_IMPL_H
#define CRL_NN_MLP_IMPL_H

#include "crl/mlp.h"

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
  crl_real *work;    /* [n_work] gemm scratch (a transposed W or dW) */
  crl_real *scratch; /* the single block behind act[], tmp[] and work */
  int last_batch;    /* B of the last forward/jvp, 0 before the first */
};

/* The activation after layer l (the output layer's or the hidden one). */
crl_activation crl__mlp_layer_act(const crl_mlp_spec *s, int l);

/* act[l+1] [B, out] = f(act[l] [B, in] W^T + b). */
void crl__mlp_layer_forward(crl_mlp *net, int l, int B);

/* z [count] = tanh(z) in place: the activation's own arithmetic (the
 * entry for other files; a clone set is called in its defining file only). */
void crl__mlp_tanh(crl_real *restrict z, size_t count);

/* CRL_ESHAPE (naming fn) unless 1 <= B <= max_batch. */
int crl__mlp_check_batch(const crl_mlp *net, int B, const char *fn);

/* z [B, n] = b [n] in every row. */
void crl__mlp_fill_rows(crl_real *restrict z, const crl_real *restrict b, int B,
                        int n);

#endif
