/* Internal: second-order pieces of the actor-critic policy (actor_critic.h)
 * that TRPO and GRPO need: the exact Fisher-vector product of the policy,
 * and the KL divergence to a reference policy with its gradient.
 *
 * The policy's parameters are the first n_pi = crl_ac_policy_size(ac)
 * values of the flat vector: the actor MLP, then log_std (Gaussian). With
 * u = (mean or logits, log_std) the distribution parameters of state s_i,
 * J_i = du/dtheta and M_i the Fisher matrix of the distribution in u
 *   Gaussian:    diag(1/sigma^2) on the means, 2 on each log_std
 *   categorical: diag(p) - p p^T on the logits,
 * the Fisher matrix of the policy averaged over B states is
 *   F = (1/B) sum_i J_i^T M_i J_i,
 * which is also the Hessian of mean_i KL(pi_old(.|s_i) || pi_theta(.|s_i))
 * at theta = theta_old. F v is computed exactly, with no finite
 * differences: J v by the MLP's forward-mode JVP, M by the closed forms
 * above, J^T by its backward pass. */
#ifndef CRL_ACTOR_CRITIC_FVP_H
#define CRL_ACTOR_CRITIC_FVP_H

#include "actor_critic.h"

/* n_pi: the actor MLP's parameters plus log_std (Gaussian). */
size_t crl_ac_policy_size(const crl_ac *ac);

/* The Fisher-vector product at a fixed set of states. */
typedef struct crl_ac_fisher {
  crl_ac *ac;
  const crl_real *obs; /* [B, obs_dim] normalised states, set by the caller */
  int B;
  double damping;      /* F v + damping v */
  crl_real *tangent;   /* [max_batch, n_out] J v of a chunk */
  crl_real *dist;      /* [max_batch, n_out] actor outputs of a chunk */
  crl_real *inv_var;   /* [act_dim] 1 / sigma^2 (Gaussian) */
} crl_ac_fisher;

int crl_ac_fisher_alloc(crl_ac *ac, crl_ac_fisher **out);
void crl_ac_fisher_free(crl_ac_fisher *f);

/* out [n_pi] = F v [n_pi] + damping v at f->obs (f->B rows, in chunks of
 * the networks' capacity). A crl_matvec_fn (cg.h) with ctx = f. Overwrites
 * the policy part of ac->grads and the actor's activations. */
int crl_ac_fisher_vp(void *f, const crl_real *v, crl_real *out);

/* kl [B] = KL(ref || current) row by row: ref = (dist_ref [B, n_out],
 * log_std_ref [act_dim]; NULL when discrete), current = (dist, ac->log_std).
 * Returns the mean. */
double crl_ac_kl(const crl_ac *ac, const crl_real *dist_ref,
                 const crl_real *log_std_ref, const crl_real *dist, int B,
                 crl_real *kl);

/* Backward through the last crl_ac_actor_forward (same B, outputs dist) for
 *   L = sum_i dlogp[i] logp_i + dent_mean * mean_i entropy_i
 *       + dkl_mean * mean_i KL(ref_i || current_i),
 * ADDing dL/dtheta to grads in one pass of the MLP. dlogp may be NULL (no
 * log-prob term; actions are then unused). scratch: [B * (n_out + 1)]. */
int crl_ac_actor_backward_kl(crl_ac *ac, const crl_real *dist,
                             const crl_real *actions, int B,
                             const crl_real *dlogp, double dent_mean,
                             const crl_real *dist_ref,
                             const crl_real *log_std_ref, double dkl_mean,
                             crl_real *scratch);

#endif
