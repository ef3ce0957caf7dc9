/* Internal: a set of n action-value networks Q_k(obs, act) (TD3/SAC twins,
 * or DDPG's single critic), as SB3's ContinuousCritic; or n networks of
 * n_out quantiles each (TQC).
 *
 * Every Q_k is an MLP concat(obs, act) [obs_dim + act_dim] -> hidden ->
 * n_out (1 but for TQC),
 * all in one flat parameter and one flat gradient vector, so that one Adam
 * and one Polyak update cover them. The concatenated input is built once
 * per batch (crl__qcritic_set_input) and shared by the n networks; backward
 * can also return dQ/dact (the input gradient's action columns), which the
 * deterministic and squashed actors need.
 *
 * The _all functions run the n networks at once on the calling thread's
 * pool (core/pool.h), network k as task k: each network's arithmetic is
 * what it is alone, and what they share is summed in network order
 * afterwards, so the bits do not depend on the number of threads. */
#ifndef CRL_QCRITIC_H
#define CRL_QCRITIC_H

#include <gsl/gsl_rng.h>

#include "crl/mlp.h"
#include "crl/params.h"

#define CRL_QCRITIC_MAX 8

typedef struct crl__qcritic {
  int n, n_out, obs_dim, act_dim, in_dim, max_batch;
  size_t n_params;             /* all n networks */
  crl_real *params;            /* [n_params] network k at k * n_params / n */
  crl_real *grads;             /* [n_params] */
  crl_mlp *q[CRL_QCRITIC_MAX]; /* views into params / grads */
  crl_real *x;                 /* [max_batch, in_dim] concat(obs, act) */
  crl_real *dx; /* [n, max_batch, in_dim] input gradients, one per network */
  crl_real *dq; /* [n, max_batch, n_out] output gradients of train_all */
  int batch;    /* rows of x set by the last set_input, 0 before */
  void *block;  /* params, grads, x, dx */
} crl__qcritic;

/* n networks obs_dim + act_dim -> hidden -> 1 with hidden activation act,
 * for batches of at most max_batch rows. Parameters start at zero. */
int crl__qcritic_alloc(int n, int obs_dim, int act_dim,
                       const crl_int_list *hidden, crl_activation act,
                       int max_batch, crl__qcritic **out);
/* The same with n_out outputs per network (TQC's quantiles). */
int crl__qcritic_alloc_outputs(int n, int obs_dim, int act_dim,
                               const crl_int_list *hidden, crl_activation act,
                               int n_out, int max_batch, crl__qcritic **out);
void crl__qcritic_free(crl__qcritic *qc);

/* PyTorch's nn.Linear default initialisation, network after network. */
int crl__qcritic_init(crl__qcritic *qc, gsl_rng *rng);

void crl__qcritic_zero_grad(crl__qcritic *qc);

/* x [B, in_dim] = concat(obs [B, obs_dim], act [B, act_dim]). */
int crl__qcritic_set_input(crl__qcritic *qc, const crl_real *obs,
                           const crl_real *act, int B);

/* q [B, n_out] = Q_k(x) for the input of the last set_input. */
int crl__qcritic_forward(crl__qcritic *qc, int k, crl_real *q);

/* Backward through Q_k's last forward for L = sum_i dq[i] . Q_k(x_i)
 * (dq [B, n_out]): ADDs
 * dL/dθ_k to grads and, if dact is non-NULL, ADDs dL/dact [B, act_dim]. */
int crl__qcritic_backward(crl__qcritic *qc, int k, const crl_real *dq,
                          crl_real *dact);

/* The same for dact only (must be non-NULL): θ_k's gradients untouched. */
int crl__qcritic_action_grad(crl__qcritic *qc, int k, const crl_real *dq,
                             crl_real *dact);

/* q [n, B, n_out] = every Q_k(x), for the input of the last set_input. */
int crl__qcritic_forward_all(crl__qcritic *qc, crl_real *q);

/* A network's loss on its outputs q [B, n_out]: returns L_k and sets
 * dq [B, n_out] = dL_k/dq. It runs on the pool's threads, one call per
 * network at once, so it may only read what it shares with the others. */
typedef double (*crl__qcritic_loss_fn)(void *ctx, int k, const crl_real *q,
                                       int B, crl_real *dq);

/* For every k: q_k = Q_k(x) into q [n, B, n_out], loss[k] = fn(ctx, k, q_k,
 * B, dq_k), and dL_k/dθ_k ADDED to grads. */
int crl__qcritic_train_all(crl__qcritic *qc, crl_real *q,
                           crl__qcritic_loss_fn fn, void *ctx, double *loss);

/* dact [B, act_dim] += d/dact sum_k dq[k] . Q_k(x) (each dq[k] [B, n_out]),
 * over the k whose dq[k] is not NULL, added in network order; θ's
 * gradients untouched. */
int crl__qcritic_action_grad_all(crl__qcritic *qc, const crl_real *const *dq,
                                 crl_real *dact);

/* Multiply-adds of one forward pass of one network on one row. */
size_t crl__qcritic_macs_per_row(const crl__qcritic *qc);

#endif
