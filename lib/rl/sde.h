/* Internal: generalized state-dependent exploration (gSDE; Raffin et al.
 * 2021) as SB3's StateDependentNoiseDistribution, for unsquashed Gaussian
 * policies (PPO, A2C).
 *
 * The features phi [B, L] are the actor's last hidden activations (not
 * learned through: SB3's learn_features=False). The parameter log_std is
 * [L, A] (full_std) or [L] (one per feature, shared by the actions), and
 * std = exp(log_std), or expln(log_std) = exp below 0, log1p(x) + 1 above.
 * Each env copy explores with its own matrix E [L, A], E_ij ~ N(0,
 * std_ij^2), drawn again at each rollout's start and every sde_sample_freq
 * steps: a = mu + phi E. The density used for learning is per dimension
 * N(mu_j, v_j), v_j = sum_i phi_i^2 std_ij^2 + 1e-6. */
#ifndef CRL_SDE_H
#define CRL_SDE_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"

typedef struct crl__sde {
  int L, A;       /* features, action dimensions */
  int full_std;   /* log_std [L, A]; 0: [L] */
  int use_expln;  /* expln instead of exp */
  int max_batch;  /* rows of var */
  int rows;       /* exploration matrices (env copies) */
  double *std;    /* [L, A] std of the current log_std */
  double *var;    /* [max_batch, A] v of the last crl__sde_prepare */
  crl_real *mats; /* [rows, L, A] exploration matrices */
  void *block;
} crl__sde;

/* Values of log_std: L * A, or L without full_std. */
int crl__sde_n_log_std(int L, int A, int full_std);

int crl__sde_alloc(int L, int A, int full_std, int use_expln, int max_batch,
                   int rows, crl__sde **out);
void crl__sde_free(crl__sde *s);

/* std from log_std, then var [B, A] for features phi [B, L] (actor_critic.c
 * calls it once per actor forward; phi may be NULL with B = 0). */
void crl__sde_prepare(crl__sde *s, const crl_real *log_std, const crl_real *phi,
                      int B);

/* New exploration matrices (after crl__sde_prepare, which sets std). */
void crl__sde_resample(crl__sde *s, gsl_rng *rng);

/* actions [B, A] = mean + phi E of row i's copy (i mod rows). */
void crl__sde_sample(const crl__sde *s, const crl_real *mean,
                     const crl_real *phi, int B, crl_real *actions);

/* logp [B] of actions under N(mean, var) of the last prepare. */
void crl__sde_log_prob(const crl__sde *s, const crl_real *mean,
                       const crl_real *actions, int B, crl_real *logp);

/* Mean over the batch of the entropy of N(mean, var). */
double crl__sde_entropy_mean(const crl__sde *s, int B);

/* For L = sum_i dlogp[i] logp_i + dent_mean * mean_i entropy_i: WRITES
 * dmean [B, A] and ADDS dL/dlog_std to dlog_std (the features get no
 * gradient). */
void crl__sde_backward(const crl__sde *s, const crl_real *log_std,
                       const crl_real *mean, const crl_real *actions,
                       const crl_real *phi, int B, const crl_real *dlogp,
                       double dent_mean, crl_real *dmean, crl_real *dlog_std);

#endif
