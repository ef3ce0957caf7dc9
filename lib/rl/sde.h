/* Internal: generalized state-dependent exploration (gSDE; Raffin et al.
 * 2021) as SB3's StateDependentNoiseDistribution: unsquashed for PPO, A2C
 * (crl__sde_sample, _log_prob, _backward), tanh-squashed and
 * reparameterised for SAC and TQC (crl__sde_squashed_*).
 *
 * The features phi [B, L] are the actor's last hidden activations (not
 * learned through: SB3's learn_features=False). The parameter log_std is
 * [L, A] (full_std) or [L] (one per feature, shared by the actions), and
 * std = exp(log_std), or expln(log_std) = exp below 0, log1p(x) + 1 above.
 * Each env copy explores with its own matrix E [L, A], E_ij ~ N(0,
 * std_ij^2), drawn again when a collection starts (a rollout, or an
 * off-policy train_freq cycle) and every sde_sample_freq steps:
 * a = mu + phi E. The density used for learning is per dimension
 * N(mu_j, v_j), v_j = sum_i phi_i^2 std_ij^2 + 1e-6. SAC squashes,
 * a = tanh(u) with u = mu + phi E, and its updates draw one matrix per
 * gradient step for the whole batch; log pi(a) is that of u minus
 * sum_j log(1 - tanh^2 u_j), and gradients reach log_std both through the
 * density and through E = std * eps (the reparameterisation). */
#ifndef CRL_SDE_H
#define CRL_SDE_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/params.h"

/* gSDE's rows (SB3's defaults). F(field) gives a field's offset; the spec
 * needs fields use_sde, sde_sample_freq, full_std and use_expln. */
// clang-format off
#define CRL_SDE_PARAMS(F)                                                     \
  {"use_sde", CRL_PARAM_BOOL, F(use_sde), "false", 0, 1, NULL,                \
   "generalized state-dependent exploration (gSDE) instead of a "             \
   "state-independent std"},                                                  \
  {"sde_sample_freq", CRL_PARAM_INT, F(sde_sample_freq), "-1", -1, 1e7, NULL, \
   "gSDE: new exploration matrices every this many steps (-1: only when a "   \
   "collection starts: a rollout, or a train_freq cycle)"},                   \
  {"policy_kwargs.full_std", CRL_PARAM_BOOL, F(full_std), "true", 0, 1, NULL, \
   "gSDE: a std per feature and action (false: per feature)"},                \
  {"policy_kwargs.use_expln", CRL_PARAM_BOOL, F(use_expln), "false", 0, 1,    \
   NULL, "gSDE: expln instead of exp for the std"}
// clang-format on

typedef struct crl__sde {
  int L, A;        /* features, action dimensions */
  int full_std;    /* log_std [L, A]; 0: [L] */
  int use_expln;   /* expln instead of exp */
  int max_batch;   /* rows of var */
  int rows;        /* exploration matrices (env copies) */
  double *std;     /* [L, A] std of the current log_std */
  double *dstd;    /* [L, A] d std / d log_std there */
  double *var;     /* [max_batch, A] v of the last crl__sde_prepare */
  crl_real *mats;  /* [rows, L, A] exploration matrices E = std * eps */
  double *eps;     /* [rows, L, A] their standard normal draws */
  double *dn, *dv; /* [max_batch, A] the squashed backward's scratch */
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

/* var [B, A] for features phi [B, L] with the std of the last prepare (for
 * callers that keep the variances of more rows than max_batch). */
void crl__sde_var(const crl__sde *s, const crl_real *phi, int B, double *var);

/* New exploration matrices (after crl__sde_prepare, which sets std). */
void crl__sde_resample(crl__sde *s, gsl_rng *rng);

/* SB3's rule for collection: new matrices at step t = 0 of a collection
 * (a rollout, a train_freq cycle) and every sample_freq steps (> 0). */
int crl__sde_draw_due(int t, int sample_freq);

/* New matrices for the current log_std (prepare's std, then resample). */
void crl__sde_redraw(crl__sde *s, const crl_real *log_std, gsl_rng *rng);

/* actions [B, A] = mean + phi E of row i's copy (i mod rows). */
void crl__sde_sample(const crl__sde *s, const crl_real *mean,
                     const crl_real *phi, int B, crl_real *actions);

/* logp [B] of actions under N(mean, var) of the last prepare. */
void crl__sde_log_prob(const crl__sde *s, const crl_real *mean,
                       const crl_real *actions, int B, crl_real *logp);

/* The same under given variances var [B, A]. */
void crl__sde_log_prob_var(const crl__sde *s, const double *var,
                           const crl_real *mean, const crl_real *actions, int B,
                           crl_real *logp);

/* Mean over the batch of the entropy of N(mean, var). */
double crl__sde_entropy_mean(const crl__sde *s, int B);

/* For L = sum_i dlogp[i] logp_i + dent_mean * mean_i entropy_i: WRITES
 * dmean [B, A] and ADDS dL/dlog_std to dlog_std (the features get no
 * gradient). */
void crl__sde_backward(const crl__sde *s, const crl_real *log_std,
                       const crl_real *mean, const crl_real *actions,
                       const crl_real *phi, int B, const crl_real *dlogp,
                       double dent_mean, crl_real *dmean, crl_real *dlog_std);

/* crl__sde_backward under given variances var [B, A] (of these phi). */
void crl__sde_backward_var(const crl__sde *s, const double *var,
                           const crl_real *log_std, const crl_real *mean,
                           const crl_real *actions, const crl_real *phi, int B,
                           const crl_real *dlogp, double dent_mean,
                           crl_real *dmean, crl_real *dlog_std);

/* kl [B] = KL(N(mean_ref, var_ref) || N(mean, var)) summed over the A
 * dimensions of each row (all [B, A]); returns the mean over rows. */
double crl__sde_kl(int A, int B, const crl_real *mean_ref,
                   const double *var_ref, const crl_real *mean,
                   const double *var, crl_real *kl);

/* TRPO's Fisher-vector product, log_std block: ADDS to acc [n_log_std]
 * scale * J^T M J w over rows phi [B, L] with variances var [B, A], where
 * J = dv/dlog_std and M = 1 / (2 v^2) (the Fisher of N(mean, v) in v; the
 * mean block and the cross terms are the caller's and zero), with the std
 * of the last prepare. */
void crl__sde_fisher_log_std(const crl__sde *s, const crl_real *phi,
                             const double *var, int B, double scale,
                             const crl_real *w, double *acc);

/* SAC's squashed sample: u = mean + phi E (row b's matrix b mod rows),
 * action [B, A] = tanh(u) and, when logp is non-NULL, logp [B] = log N(u;
 * mean, var) - sum_j log(1 - tanh^2 u_j) with the var of the last prepare
 * on these phi. */
void crl__sde_squashed_sample(const crl__sde *s, const crl_real *mean,
                              const crl_real *phi, int B, crl_real *action,
                              crl_real *logp);

/* Its reparameterised gradient: for L(action, logp) given dL/daction [B, A]
 * and dL/dlogp [B], WRITES dmean [B, A], ADDS dL/dlog_std to dlog_std and,
 * if dphi is non-NULL, WRITES dL/dphi [B, L] (for features that are
 * learned through: sb3-contrib's CrossQ, learn_features=True), with eps,
 * phi, std and var as in the last prepare and sample. */
void crl__sde_squashed_backward(crl__sde *s, const crl_real *phi,
                                const crl_real *action, int B,
                                const crl_real *daction, const crl_real *dlogp,
                                crl_real *dmean, crl_real *dlog_std,
                                crl_real *dphi);

#endif
