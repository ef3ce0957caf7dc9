/* Internal: one clipped Adam step of a parameter vector made of groups
 * (an actor's parameters, then a critic's), each group's part of the step
 * on the thread that computed its gradient.
 *
 * A network's gradient is hottest in the cache of the core whose thread
 * wrote it. When an algorithm computes the gradients of its groups as
 * crl__pool_each tasks (task g on thread g), the norm's sums of squares
 * and the scale-and-update of group g done there too cost a fraction of
 * what one thread pulling every group across costs (PPO: an Adam step and
 * a norm took 15 us of a 64-row minibatch's 50 on the caller). Every
 * element's arithmetic is that of crl_clip_grad_norm and crl_adam_step;
 * only the norm's sum is taken group by group (the groups' sums of squares
 * added in group order), so its last bits may differ from crl_vec_norm's
 * over the whole vector. */
#ifndef CRL_NN_OPTIM_GROUPS_H
#define CRL_NN_OPTIM_GROUPS_H

#include <stddef.h>

#include "crl/optim.h"

enum { CRL__MAX_GROUPS = 4 };

/* Sum of squares of g [n] in double, in crl_vec_norm's order (whose root
 * it is). */
double crl__sumsq(size_t n, const crl_real *g);

/* The groups [bounds[k], bounds[k + 1]) of a vector, k < n_groups <=
 * CRL__MAX_GROUPS, bounds[0] = 0 and bounds[n_groups] its length. */
typedef struct crl__groups {
  int n;
  size_t bounds[CRL__MAX_GROUPS + 1];
} crl__groups;

/* Clip the gradient to norm max_norm (the norm being sqrt of the sum of
 * sumsq[k], k in group order; crl_clip_grad_norm's factor) and take one
 * Adam step with rate lr, group k as task k of crl__pool_each. Returns the
 * norm before clipping. */
double crl__adam_clip_groups(crl_adam *adam, const crl__groups *groups,
                             const double *sumsq, crl_real *params,
                             crl_real *grads, double max_norm, double lr);

#endif
