/* Internal: a network's forward pass on weights that no longer change (an
 * inference policy's), with each W stored transposed once.
 *
 * crl_mlp_forward's products (crl__gemm_nt) either transpose W on every
 * call or, for a few rows, read it as dot products whose sums end in
 * reductions across vector lanes. Held as W^T, the same sums run with the
 * vectors along the layer's outputs (crl__gemm_nt_bt): the bits of
 * crl_mlp_forward, in about half the time of a batch-1 call
 * (docs/benchmarks.md, "Batch-1 inference"). */
#ifndef CRL_NN_MLP_FROZEN_H
#define CRL_NN_MLP_FROZEN_H

#include "crl/mlp.h"

typedef struct crl__mlp_frozen crl__mlp_frozen;

/* The transposed copies and scratch for net, for up to its max_batch rows.
 * net stays the caller's and must outlive the result; its parameters are
 * read by crl__mlp_frozen_sync, not here. */
int crl__mlp_frozen_alloc(const crl_mlp *net, crl__mlp_frozen **out);
void crl__mlp_frozen_free(crl__mlp_frozen *f);

/* Copy net's current parameters in (W^T, biases): after they are set and
 * after every change. */
void crl__mlp_frozen_sync(crl__mlp_frozen *f);

/* y [B, out] = net(x [B, in]), bit for bit crl_mlp_forward's, on the
 * parameters of the last sync. Products that crl_mlp_forward gives to
 * CBLAS go there as in crl_mlp_forward. CRL_ESHAPE for B outside
 * [1, max_batch]. */
int crl__mlp_frozen_forward(crl__mlp_frozen *f, const crl_real *x, int B,
                            crl_real *y);

#endif
