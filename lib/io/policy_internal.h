/* Internal: building a crl_policy from an algorithm's parts. */
#ifndef CRL_POLICY_INTERNAL_H
#define CRL_POLICY_INTERNAL_H

#include "crl/mlp.h"
#include "crl/normalizer.h"
#include "crl/policy.h"

typedef enum crl__policy_output {
  CRL_POLICY_CLIP = 0,  /* Box: the network output clipped to the bounds */
  CRL_POLICY_TANH = 1,  /* Box: low + (tanh(y) + 1) / 2 * (high - low) */
  CRL_POLICY_ARGMAX = 2 /* Discrete: index of the largest output */
} crl__policy_output;

/* A policy that copies net's spec and parameters, norm's statistics (norm
 * may be NULL) and the action space's bounds. */
int crl__policy_from_parts(const crl_mlp *net, const crl_normalizer *norm,
                           const crl_space *act, crl__policy_output output,
                           int max_batch, crl_policy **out);

/* A tanh output that first clamps the network output to [-c, c] (SB3's
 * Hardtanh on a gSDE mean): tanh(clamp(y, -c, c)) scaled to the bounds.
 * c > 0 and finite; CRL_EINVAL otherwise or for another output. */
int crl__policy_set_tanh_clip(crl_policy *p, double c);

/* What a policy computes, for the exporters (lib/io/export_*.c): its
 * network, normaliser (NULL: none), action space and output transform. */
typedef struct crl__policy_view {
  const crl_mlp *net;
  const crl_normalizer *norm;
  const crl_space *act;
  crl__policy_output output;
  double tanh_clip; /* TANH: the clamp before tanh, 0 for none */
} crl__policy_view;
void crl__policy_view_of(const crl_policy *policy, crl__policy_view *view);

#endif
