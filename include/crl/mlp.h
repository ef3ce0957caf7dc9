/* crl: multi-layer perceptrons with manual backprop.
 *
 * One flat parameter vector and one flat gradient vector per network; layers
 * are views into them. Layout of layer l (in_l -> out_l), one after another:
 *   W_l [out_l, in_l] row-major, then b_l [out_l].
 * Batches are row-major: x [B, in], y [B, out]. Every buffer that forward,
 * backward and jvp need is sized at alloc time for `max_batch` rows; calls
 * with a larger batch fail with CRL_ESHAPE. No allocation after alloc. */
#ifndef CRL_MLP_H
#define CRL_MLP_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"

CRL_BEGIN_DECLS

typedef enum crl_activation {
  CRL_ACT_IDENTITY = 0,
  CRL_ACT_TANH = 1,
  CRL_ACT_RELU = 2
} crl_activation;

typedef enum crl_init {
  CRL_INIT_ORTHOGONAL =
      0, /* orthogonal weights scaled by a gain, zero biases (SB3) */
  CRL_INIT_TORCH = 1 /* PyTorch nn.Linear default: U(-1/sqrt(in), 1/sqrt(in)) */
} crl_init;

#define CRL_MLP_MAX_LAYERS 16

typedef struct crl_mlp_spec {
  int n_layers; /* number of linear layers, >= 1 */
  int sizes[CRL_MLP_MAX_LAYERS +
            1]; /* sizes[0] = input, sizes[n_layers] = output */
  crl_activation hidden_activation; /* after every layer but the last */
  crl_activation output_activation; /* after the last layer */
  int max_batch;                    /* largest B any call may use */
} crl_mlp_spec;

typedef struct crl_mlp crl_mlp;

/** A spec for in -> hidden[0] -> ... -> out with the given activations.
 *  When n_hidden is negative or above CRL_MLP_MAX_LAYERS - 1 (or hidden is
 *  NULL with n_hidden > 0) the spec has n_layers = 0, which crl_mlp_alloc
 *  rejects with CRL_EINVAL and a message. */
CRL_API crl_mlp_spec crl_mlp_spec_make(int in, int n_hidden, const int *hidden,
                                       int out, crl_activation hidden_act,
                                       crl_activation out_act, int max_batch);

/** Number of parameters (weights and biases) a spec needs; 0 for an
 *  invalid spec. */
CRL_API size_t crl_mlp_param_count(const crl_mlp_spec *spec);

/** Allocate a network. If params and grads are non-NULL they are external
 *  storage of crl_mlp_param_count(spec) values each (views into a larger
 *  flat vector, e.g. a policy's); otherwise the network owns its own.
 *  Owned parameters and gradients start at zero; external storage is left
 *  as it is. Call crl_mlp_init to initialise. *out is NULL on failure. */
CRL_API int crl_mlp_alloc(const crl_mlp_spec *spec, crl_real *params,
                          crl_real *grads, crl_mlp **out);

/** Free; crl_mlp_free(NULL) does nothing. */
CRL_API void crl_mlp_free(crl_mlp *net);

CRL_API const crl_mlp_spec *crl_mlp_get_spec(const crl_mlp *net);
CRL_API crl_real *crl_mlp_params(crl_mlp *net);
CRL_API crl_real *crl_mlp_grads(crl_mlp *net);
CRL_API size_t crl_mlp_n_params(const crl_mlp *net);

/** Initialise parameters. For CRL_INIT_ORTHOGONAL, hidden layers get gain
 *  `hidden_gain` (SB3: sqrt(2)) and the last layer `output_gain` (SB3: 0.01
 *  for a policy head, 1 for a value head); biases are zero. For
 *  CRL_INIT_TORCH the gains are ignored. */
CRL_API int crl_mlp_init(crl_mlp *net, crl_init init, double hidden_gain,
                         double output_gain, gsl_rng *rng);

/** Set all gradients to zero. */
CRL_API void crl_mlp_zero_grad(crl_mlp *net);

/** y [B, out] = net(x [B, in]). Keeps the activations for backward/jvp. */
CRL_API int crl_mlp_forward(crl_mlp *net, const crl_real *x, int B,
                            crl_real *y);

/** The rows [B, sizes[layer]] that layer `layer` (0 .. n_layers - 1) took
 *  as input in the last forward (layer 0: a copy of x; layer n_layers - 1:
 *  the last hidden activations, which gSDE uses as its features); valid
 *  until the next call on net. NULL before any forward or for a layer out
 *  of range. */
CRL_API const crl_real *crl_mlp_layer_input(const crl_mlp *net, int layer);

/** Backward through the last forward (or jvp) call, which must have had
 *  the same B (CRL_ESHAPE otherwise, CRL_ESTATE before any): given dL/dy
 *  [B, out], ADD dL/dθ to the gradient vector and, if dx is non-NULL, WRITE
 *  dL/dx [B, in] (needed for dQ/da). Uses the parameters as they are now,
 *  so call it before changing them. */
CRL_API int crl_mlp_backward(crl_mlp *net, const crl_real *dy, int B,
                             crl_real *dx);

/** As crl_mlp_backward, but only WRITES dL/dx [B, in] (dx must be
 *  non-NULL) and leaves the gradient vector alone: for a loss that
 *  differentiates through a network it does not train (an actor's loss
 *  through the critic). */
CRL_API int crl_mlp_backward_input(crl_mlp *net, const crl_real *dy, int B,
                                   crl_real *dx);

/** Forward-mode Jacobian-vector product at x [B, in]: writes y = net(x)
 *  (if y non-NULL) and dy [B, out] = J_θ v_params + J_x v_x, where v_params
 *  has n_params values (or NULL for zero) and v_x is [B, in] (or NULL). Also
 *  leaves the activations as forward does. */
CRL_API int crl_mlp_jvp(crl_mlp *net, const crl_real *x, int B,
                        const crl_real *v_params, const crl_real *v_x,
                        crl_real *y, crl_real *dy);

/** crl_mlp_jvp at the point of the last forward (or jvp) call, through the
 *  activations that call kept instead of recomputing them: dy [B, out] =
 *  J_θ v_params + J_x v_x at that call's input, bit for bit the dy that
 *  crl_mlp_jvp(net, x, B, v_params, v_x, NULL, dy) would give with the same
 *  x. For many products at one point (TRPO's conjugate gradient) it saves
 *  the forward pass: a fifth of a JVP-and-backward's multiply-adds and all
 *  of its activation functions. B must be that call's batch (CRL_ESHAPE
 *  otherwise, CRL_ESTATE before any call), and the parameters must be
 *  those of that call: the weights are read as they are now, the
 *  activations as they were then, and nothing can tell a change apart.
 *  The activations stay as they are, so crl_mlp_backward may follow. */
CRL_API int crl_mlp_jvp_cached(crl_mlp *net, int B, const crl_real *v_params,
                               const crl_real *v_x, crl_real *dy);

CRL_END_DECLS

#endif
