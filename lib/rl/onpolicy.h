/* Internal: the on-policy collector that PPO, A2C and TRPO share, which is
 * SB3's OnPolicyAlgorithm.collect_rollouts: an actor-critic policy, n_steps
 * of experience from each of n_envs copies in a rollout buffer with
 * GAE(lambda) (time-limit cuts bootstrap from the value of the final
 * observation), optional reward scaling, acting, checkpoints of the policy
 * and export. GRPO collects whole episodes instead, but its every step is
 * this collector's crl__onp_sample.
 *
 * Reward scaling is SB3 VecNormalize's norm_reward (which RL Zoo's
 * `normalize: true` turns on together with the observations): each copy
 * keeps a discounted running return R = gamma R + r (zeroed when its
 * episode ends), a running variance of R over all copies, and the stored
 * reward is clip(r / sqrt(var + 1e-8), -10, 10). Values and advantages are
 * then in that scale; the env's own returns (training and evaluation) are
 * not touched. */
#ifndef CRL_RL_ONPOLICY_H
#define CRL_RL_ONPOLICY_H

#include <gsl/gsl_rng.h>

#include "crl/algo.h"
#include "crl/rollout.h"
#include "crl/state.h"
#include "crl/vec_env.h"
#include "rl/actor_critic.h"

/* Where crl__onp_sample writes its B rows. */
typedef struct crl__onp_rows {
  crl_real *obs_norm;    /* [B, obs_dim] the observations the networks saw */
  crl_real *dist;        /* [B, n_out] the actor's outputs */
  crl_real *values;      /* [B] V(obs_norm); NULL: no critic pass */
  crl_real *actions;     /* [B, act_dim] as sampled (what is learned from) */
  crl_real *logp;        /* [B] log pi(actions | obs) */
  crl_real *env_actions; /* [B, act_dim] clipped to the bounds (to the env) */
} crl__onp_rows;

typedef struct crl__onp {
  const char *name; /* for messages and checkpoint sections */
  crl__ac *ac;
  crl_mlp *value_critic; /* a second view of ac's critic, [N] rows, for
                            the rollout's values (crl__onp_collect) */
  crl_rollout *ro;
  gsl_rng *act_rng; /* action sampling */
  int n_envs, n_steps, obs_dim, act_dim, n_out;
  crl_normalizer *ret_norm; /* running variance of ret; NULL: no scaling */
  void *block;              /* the buffers below, one allocation */
  crl__onp_rows rows;       /* [N] rows of the step being collected (no
                               values: they come apart from the steps) */
  crl_real *last_values;    /* [N] V(obs after the last step), for GAE */
  crl_real *final_values;   /* [N] V(final obs) of truncated copies */
  crl_real *final_norm;     /* [N, obs_dim] */
  double *ret;              /* [N] discounted running return of each copy */
  double *scaled;           /* [N] the rewards as stored */
  crl_real *ret_real;       /* [N] ret as crl_real, for the normaliser */
} crl__onp;

/* The policy of spec (whose max_batch must be >= n_envs) and a rollout of
 * n_steps x n_envs; the generators are seeded from seed; scale_rewards
 * turns on the reward scaling above. */
int crl__onp_alloc(const char *name, const crl__ac_spec *spec,
                   const crl_space *obs, const crl_space *act, int n_envs,
                   int n_steps, int scale_rewards, uint64_t seed,
                   crl__onp **out);
void crl__onp_free(crl__onp *o);

/* Fails with CRL_ESHAPE unless venv has the n_envs copies o was built for. */
int crl__onp_check_venv(const crl__onp *o, crl_vec_env *venv);

/* Fill the rollout with n_steps from every copy and compute GAE. The
 * values V(s_t) are computed apart from the steps, step by step at the
 * shape a step has (N rows, so with the bits a pass inside the step
 * gives), on a second thread when the calling thread has one: alongside
 * the steps, or after them in two halves when the env copies' steps are
 * themselves tasks on the threads. */
int crl__onp_collect(crl__onp *o, crl_vec_env *venv, double gamma,
                     double lambda);

/* The policy's half of one collection step for obs [B, obs_dim]: the
 * normaliser (if any) absorbs obs, then rows gets the normalised
 * observations, the actor's outputs, the values (unless rows->values is
 * NULL), actions sampled from rng, their log-probabilities and the clipped
 * actions, in that order. */
int crl__onp_sample(crl__ac *ac, const crl_real *obs, int B, gsl_rng *rng,
                    const crl__onp_rows *rows);

/* crl_algo_type.act for this policy. */
int crl__onp_act(crl__onp *o, const crl_real *obs, int B, int deterministic,
                 crl_real *action);

/* 1 - Var(returns - values) / Var(returns) over the rollout; NAN when the
 * returns are constant. */
double crl__onp_explained_variance(const crl_rollout *ro);

/* 0 when x is finite, else CRL_ENONFINITE naming what. */
int crl__onp_check_finite(const crl__onp *o, const char *what, double x);

/* The collector's state, to be walked at its owner's level (sections
 * "params", "norm", "act_rng", and "ret_norm", "ret" with reward scaling,
 * under the owner's prefix "<name>"): the owner's sections function calls
 * it with its own io. Loading checks that every value is finite. */
int crl__onp_sections(void *obj, crl_state_io *io);

/* The deterministic policy (mean clipped to the bounds, or argmax). */
int crl__onp_export(crl__onp *o, int max_batch, crl_policy **out);

#endif
