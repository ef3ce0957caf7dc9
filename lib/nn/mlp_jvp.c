/* Forward-mode JVP of the multi-layer perceptron (crl_mlp_jvp,
 * crl_mlp_jvp_cached): the tangent of each layer's output, layer by layer,
 * through the products of mlp.c's layout (nn/mlp_impl.h). */
#include <string.h>

#include "crl/error.h"
#include "crl/mlp.h"
#include "nn/gemm.h"
#include "nn/mlp_impl.h"

/* The epilogue that multiplies a product by f'(z) of layer l, through the
 * layer's output y = act[l + 1] [B, o]: the arithmetic of act_grad, fused
 * into the product that completes the tangent. */
static crl__gemm_post dact_post(const crl_mlp *net, int l) {
  const crl_activation a = crl__mlp_layer_act(&net->spec, l);
  const crl__gemm_post post = {a == CRL_ACT_TANH   ? CRL_POST_DTANH
                               : a == CRL_ACT_RELU ? CRL_POST_DRELU
                                                   : CRL_POST_NONE,
                               net->act[l + 1], net->spec.sizes[l + 1]};
  return post;
}

/* The tangent of layer l, given t [B, in] (the tangent of its input, NULL
 * for zero) and act[l], act[l + 1] of the current point:
 *   dz [B, o] = (t W^T + act[l] dW^T + db) * f'(z).
 * Returns dz, or NULL when both parts are zero (no product run). */
static crl_real *layer_tangent(crl_mlp *net, int l, int B,
                               const crl_real *v_params, const crl_real *t,
                               crl_real *dz) {
  const int in = net->spec.sizes[l], o = net->spec.sizes[l + 1];
  const crl_real *W = net->params + net->w_off[l]; /* [o, in] */
  const crl__gemm_post post = dact_post(net, l);
  if (v_params != NULL) {
    const crl_real *dW = v_params + net->w_off[l]; /* [o, in] */
    const crl_real *db = v_params + net->b_off[l]; /* [o] */
    crl__mlp_fill_rows(dz, db, B, o);
    /* the derivative goes on whichever product comes last */
    crl__gemm_nt(B, o, in, net->act[l], in, dW, in, dz, o, 1,
                 t == NULL ? &post : NULL, net->work);
  }
  if (t != NULL)
    crl__gemm_nt(B, o, in, t, in, W, in, dz, o, v_params != NULL, &post,
                 net->work);
  return v_params != NULL || t != NULL ? dz : NULL;
}

/* The JVP of crl_mlp_jvp and crl_mlp_jvp_cached: layer by layer, the
 * forward first when with_forward (the tangent of a layer needs its
 * output), else through the activations already there. Arguments checked
 * by the callers. */
static void jvp_pass(crl_mlp *net, int B, const crl_real *v_params,
                     const crl_real *v_x, crl_real *dy, int with_forward) {
  const crl_mlp_spec *s = &net->spec;
  const int L = s->n_layers;
  /* t [B, in_l]: tangent of layer l's input; NULL stands for zero, so a
   * missing direction costs no gemm. The tangents ping-pong between tmp[0]
   * and tmp[1] and the last one lands in dy. */
  const crl_real *t = v_x;
  for (int l = 0; l < L; l++) {
    if (with_forward)
      crl__mlp_layer_forward(net, l, B);
    crl_real *dz =
        l == L - 1 ? dy : (t == net->tmp[0] ? net->tmp[1] : net->tmp[0]);
    t = layer_tangent(net, l, B, v_params, t, dz);
  }
  if (t == NULL)
    memset(dy, 0, (size_t)B * s->sizes[L] * sizeof(crl_real));
}

int crl_mlp_jvp(crl_mlp *net, const crl_real *x, int B,
                const crl_real *v_params, const crl_real *v_x, crl_real *y,
                crl_real *dy) {
  if (net == NULL || x == NULL || dy == NULL)
    return crl_fail(CRL_EINVAL, "mlp_jvp: NULL argument");
  int rc = crl__mlp_check_batch(net, B, "mlp_jvp");
  if (rc != 0)
    return rc;
  const crl_mlp_spec *s = &net->spec;
  memcpy(net->act[0], x, (size_t)B * s->sizes[0] * sizeof(crl_real));
  jvp_pass(net, B, v_params, v_x, dy, 1);
  if (y != NULL)
    memcpy(y, net->act[s->n_layers],
           (size_t)B * s->sizes[s->n_layers] * sizeof(crl_real));
  net->last_batch = B;
  return 0;
}

int crl_mlp_jvp_cached(crl_mlp *net, int B, const crl_real *v_params,
                       const crl_real *v_x, crl_real *dy) {
  if (net == NULL || dy == NULL)
    return crl_fail(CRL_EINVAL, "mlp_jvp_cached: NULL argument");
  int rc = crl__mlp_check_batch(net, B, "mlp_jvp_cached");
  if (rc != 0)
    return rc;
  if (net->last_batch == 0)
    return crl_fail(CRL_ESTATE, "mlp_jvp_cached: no forward call before");
  if (B != net->last_batch)
    return crl_fail(CRL_ESHAPE, "mlp_jvp_cached: batch %d, last forward had %d",
                    B, net->last_batch);
  jvp_pass(net, B, v_params, v_x, dy, 0);
  return 0;
}
