/* Internal: PMD's pieces (algos/pmd.c), for its tests. */
#ifndef CRL_ALGOS_PMD_H
#define CRL_ALGOS_PMD_H

#include "algos/grpo.h"

/* PMD's per-episode buffers in g (ep_ret, ep_delta, ep_coef, ep_of). */
int crl__pmd_alloc(grpo *g);

/* ret [episodes]: each collected episode's return plus the length reward;
 * also g->ep_of, the episode of each row, which the loss needs. Call it
 * once per collection, before crl__pmd_loss. */
void crl__pmd_returns(grpo *g, double *ret);

/* The loss of the collected episodes under the current policy; with
 * with_grad its gradient is ADDED to the policy's gradients. rc receives 0
 * or the error of a network pass. */
double crl__pmd_loss(grpo *g, const double *ret, int with_grad, int *rc);

#endif
