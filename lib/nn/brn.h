/* Internal: an MLP with batch renormalisation (Ioffe 2017) before every
 * linear layer, as sb3-contrib's CrossQ builds its actor and critics:
 *
 *   h_0 = x;  y_l = BRN_l(h_l);  h_(l+1) = f_l(W_l y_l + b_l)
 *
 * with f_l the hidden activation, identity for the last layer. BRN_l
 * normalises each feature by a mean m and variance v and applies a
 * learned affine map:  y = scale (h - m) / sqrt(v + eps) + bias.
 *
 * In training mode (m, v) come from the batch, mu_B and the unbiased
 * sigma_B^2; after warmup_steps training forwards they are corrected
 * towards the running statistics by r = clamp(sqrt(sigma_B^2 + eps) /
 * sqrt(ra_var + eps), 1/3, 3) and d = clamp((mu_B - ra_mean) /
 * sqrt(ra_var + eps), -5, 5), taken as constants:
 *   m = mu_B - d sigma_B / r,  v = sigma_B^2 / r^2;
 * and every training forward moves ra_mean and ra_var towards mu_B and
 * sigma_B^2 by `momentum`. In evaluation mode (m, v) = (ra_mean, ra_var).
 * Backward goes through the batch statistics in training mode.
 *
 * Parameters, one flat vector: for each layer, scale [in_l], bias [in_l],
 * then W_l [out_l, in_l] and b_l [out_l] (crl_mlp's layout). The running
 * statistics and step counters are state (crl__brn_net_sections). */
#ifndef CRL_NN_BRN_H
#define CRL_NN_BRN_H

#include <gsl/gsl_rng.h>

#include "crl/mlp.h"
#include "crl/state.h"

typedef struct crl__brn_spec {
  int in, n_hidden, hidden[CRL_MLP_MAX_LAYERS - 1], out;
  crl_activation activation; /* of the hidden layers */
  int max_batch;             /* >= 2 for training forwards */
  double momentum;           /* 0.01 */
  double eps;                /* 0.001 */
  long warmup_steps;         /* 100000 */
} crl__brn_spec;

typedef struct crl__brn_layer {
  int F;                    /* features normalised (the linear's input) */
  crl_real *scale, *bias;   /* [F] views into params */
  crl_real *dscale, *dbias; /* [F] views into grads */
  double *ra_mean, *ra_var; /* [F] running statistics (state) */
  long steps;               /* training forwards so far (state) */
  /* the last forward, for backward: */
  double *mu, *var; /* [F] batch mean, unbiased variance (training) */
  double *m, *s;    /* [F] the mean used and sqrt(v + eps) */
  double *d_over_r; /* [F] d / r (0 during warmup) */
  double *r;        /* [F] r (1 during warmup) */
  crl_real *h;      /* [max_batch, F] the layer's input */
  crl_real *y;      /* [max_batch, F] its normalised output */
  crl_mlp *lin;     /* the linear layer (and activation) after it */
} crl__brn_layer;

typedef struct crl__brn_net {
  crl__brn_spec spec;
  int n_layers;
  crl__brn_layer layer[CRL_MLP_MAX_LAYERS];
  size_t n_params;
  crl_real *params, *grads; /* [n_params], owned or views */
  int last_B, last_train;   /* the last forward: rows, mode (-1: none) */
  int hold_renorm; /* 1: training forwards reuse the last r and d instead of
                      computing them (the function backward differentiates,
                      for finite-difference checks) */
  crl_real *dy;    /* [max_batch, widest] backward scratch */
  crl_real *dh;    /* [max_batch, widest] backward scratch */
  double *acc;     /* [4, widest] backward sums */
  void *block;
} crl__brn_net;

/* The parameter count of a spec. */
size_t crl__brn_param_count(const crl__brn_spec *spec);

/* params/grads: external storage of crl__brn_param_count values (both
 * NULL: owned). Scale 1, bias 0, ra_mean 0, ra_var 1, linear layers as
 * PyTorch initialises them (crl__brn_net_init). */
int crl__brn_net_alloc(const crl__brn_spec *spec, crl_real *params,
                       crl_real *grads, crl__brn_net **out);
void crl__brn_net_free(crl__brn_net *net);

/* PyTorch's default initialisation of the linear layers from rng; the
 * normalisation layers' parameters and statistics to their start. */
int crl__brn_net_init(crl__brn_net *net, gsl_rng *rng);

/* out [B, out] for x [B, in]; train: batch statistics (B >= 2), which
 * also move the running ones; else the running ones. */
int crl__brn_net_forward(crl__brn_net *net, const crl_real *x, int B, int train,
                         crl_real *out);

/* Backward through the last forward (same B): ADDS dL/dparams to grads
 * and, if dx is non-NULL, WRITES dL/dx [B, in]. */
int crl__brn_net_backward(crl__brn_net *net, const crl_real *dout, int B,
                          crl_real *dx);

/* The same with dL/dfeatures [B, width] (NULL: none) added where the
 * features (crl__brn_net_features) enter the last linear layer. */
int crl__brn_net_backward_features(crl__brn_net *net, const crl_real *dout,
                                   const crl_real *dfeat, int B, crl_real *dx);

/* The input of the last linear layer in the last forward ([B, width]). */
const crl_real *crl__brn_net_features(const crl__brn_net *net);

/* Running statistics and step counters as state: "l<k>.ra_mean",
 * "l<k>.ra_var", "l<k>.steps". */
int crl__brn_net_sections(void *net, crl_state_io *io);

/* The evaluation-mode network as a plain MLP: each normalisation folded
 * into the linear layer after it (W' = W diag(a), b' = b + W c with
 * a = scale / sqrt(ra_var + eps), c = bias - a ra_mean), keeping the
 * first `rows` outputs of the last layer. The same function up to
 * rounding. */
int crl__brn_net_fold(const crl__brn_net *net, int rows, int max_batch,
                      crl_mlp **out);

#endif
