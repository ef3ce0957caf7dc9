/* Internal: second-order pieces of the actor-critic policy (actor_critic.h)
 * that TRPO and GRPO need: the exact Fisher-vector product of the policy,
 * and the KL divergence to a reference policy with its gradient.
 *
 * The policy's parameters are the first n_pi = crl__ac_policy_size(ac)
 * values of the flat vector: the actor MLP, then log_std (Gaussian). With
 * u = (mean or logits, log_std) the distribution parameters of state s_i,
 * J_i = du/dtheta and M_i the Fisher matrix of the distribution in u
 *   Gaussian:    diag(1/sigma^2) on the means, 2 on each log_std
 *   categorical: diag(p) - p p^T on the logits,
 * With gSDE the variances v_ij depend on the state through the features
 * (which get no gradient) and on log_std [L, A] or [L]: the mean block's
 * metric is 1/v_ij row by row, log_std's goes through v (Fisher 1/(2 v^2)
 * in v), and the two blocks do not mix.
 * The Fisher matrix of the policy averaged over B states is
 *   F = (1/B) sum_i J_i^T M_i J_i,
 * which is also the Hessian of mean_i KL(pi_old(.|s_i) || pi_theta(.|s_i))
 * at theta = theta_old. F v is computed exactly, with no finite
 * differences: J v by the MLP's forward-mode JVP, M by the closed forms
 * above, J^T by its backward pass. */
#ifndef CRL_ACTOR_CRITIC_FVP_H
#define CRL_ACTOR_CRITIC_FVP_H

#include "rl/actor_critic.h"

/* n_pi: the actor MLP's parameters plus log_std (Gaussian; gSDE's [L, A]
 * or [L]). */
size_t crl__ac_policy_size(const crl__ac *ac);

/* The Fisher-vector product at a fixed set of states.
 *
 * F depends on the parameters and the states only, not on v, so the
 * products of one conjugate-gradient solve all run through the same
 * forward pass. The product keeps that pass: private views of the actor
 * (over the same parameters and gradients, one per chunk of rows, so
 * nothing else overwrites their activations) hold the activations of the
 * whole batch, and a product is then a tangent pass (crl_mlp_jvp_cached)
 * and a backward pass per chunk. The point is recognised by value: the
 * forward runs again whenever B, the bytes of obs or the bytes of the
 * actor's parameters differ from those of the kept pass, so the caller
 * needs no call to invalidate it and the result is bit for bit that of a
 * fresh forward. */
typedef struct crl__ac_fisher {
  crl__ac *ac;
  const crl_real *obs; /* [B, obs_dim] normalised states, set by the caller */
  int B;               /* rows of obs, 1 .. max_rows; set by the caller */
  double damping;      /* F v + damping v */
  /* the rest is private */
  int max_rows;       /* largest B, fixed at alloc */
  int rows;           /* rows of a chunk (the last may have fewer) */
  int n_chunks;       /* ceil(max_rows / rows) */
  void *block;        /* the buffers, one allocation */
  crl_mlp **chunk;    /* [n_chunks] views of the actor, chunk c holds the
                         activations of rows [c rows, (c + 1) rows) */
  int rows_at;        /* B of the kept pass, 0 when there is none */
  crl_real *obs_at;   /* [max_rows, obs_dim] the states of the kept pass */
  crl_real *theta_at; /* [n_actor] the actor's parameters at the kept pass */
  crl_real *dist;     /* [max_rows, n_out] actor outputs at the kept pass */
  crl_real *tangent;  /* [rows, n_out] J v of a chunk */
  crl_real *inv_var;  /* [2, act_dim] 1 / sigma^2, then log_std's Fisher
                         (Gaussian) */
  double *var;        /* gSDE: [max_rows, act_dim] the kept pass's variances */
  double *acc;        /* gSDE: [n_log_std] the log_std block of a product */
} crl__ac_fisher;

/* A product for batches of up to max_rows states (>= 1). *out is NULL on
 * failure. Memory: the actor's scratch (activations, deltas, the
 * products' workspace) for max_rows rows instead of its capacity. */
int crl__ac_fisher_alloc(crl__ac *ac, int max_rows, crl__ac_fisher **out);
void crl__ac_fisher_free(crl__ac_fisher *f);

/* out [n_pi] = F v [n_pi] + damping v at f->obs (f->B rows; CRL_ESHAPE
 * outside 1 .. max_rows), F taken at the parameters as they are now. A
 * crl__matvec_fn (cg.h) with ctx = f. Overwrites the actor MLP's part of
 * ac->grads (not the actor's activations). */
int crl__ac_fisher_vp(void *f, const crl_real *v, crl_real *out);

/* The actor's outputs at the product's point: makes the kept forward pass
 * that of f->obs (f->B rows; CRL_ESHAPE outside 1 .. max_rows) at the
 * current parameters, running it if needed, and points *dist at its
 * outputs [B, n_out] (valid until the next call on f). TRPO's step starts
 * here, so that the surrogate's gradient at theta_old and the products of
 * the solve that follows share one forward pass. */
int crl__ac_fisher_point(crl__ac_fisher *f, const crl_real **dist);

/* gSDE: the variances [B, act_dim] of the kept pass (valid after
 * crl__ac_fisher_point, until the next call on f); NULL without gSDE. */
const double *crl__ac_fisher_var(const crl__ac_fisher *f);

/* Backward through the kept pass at the product's point (made current
 * first, as crl__ac_fisher_point) for L = sum_i dlogp[i] logp_i, actions
 * [B, act_dim]: ADDs dL/dtheta to ac->grads, bit for bit what
 * crl__ac_actor_backward (no entropy term) gives after crl__ac_actor_forward
 * over the same rows in chunks of the actor's capacity. */
int crl__ac_fisher_logp_backward(crl__ac_fisher *f, const crl_real *actions,
                                 const crl_real *dlogp);

/* kl [B] = KL(ref || current) row by row: ref = (dist_ref [B, n_out],
 * log_std_ref [act_dim]; NULL when discrete), current = (dist, ac->log_std).
 * Returns the mean. Not for gSDE, whose variances are per row
 * (crl__sde_kl). */
double crl__ac_kl(const crl__ac *ac, const crl_real *dist_ref,
                  const crl_real *log_std_ref, const crl_real *dist, int B,
                  crl_real *kl);

/* Backward through the last crl__ac_actor_forward (same B, outputs dist) for
 *   L = sum_i dlogp[i] logp_i + dent_mean * mean_i entropy_i
 *       + dkl_mean * mean_i KL(ref_i || current_i),
 * ADDing dL/dtheta to grads in one pass of the MLP. dlogp may be NULL (no
 * log-prob term; actions are then unused). scratch: [B * (n_out + 1)]. */
int crl__ac_actor_backward_kl(crl__ac *ac, const crl_real *dist,
                              const crl_real *actions, int B,
                              const crl_real *dlogp, double dent_mean,
                              const crl_real *dist_ref,
                              const crl_real *log_std_ref, double dkl_mean,
                              crl_real *scratch);

#endif
