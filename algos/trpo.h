/* Internal: TRPO's state, shared by trpo.c (spec, collection, critic,
 * checkpoints) and trpo_step.c (the natural-gradient step). */
#ifndef CRL_ALGOS_TRPO_H
#define CRL_ALGOS_TRPO_H

#include "crl/optim.h"
#include "nn/cg.h"
#include "rl/actor_critic_fvp.h"
#include "rl/onpolicy.h"
#include "rl/shards.h"

typedef struct trpo_spec {
  crl_schedule learning_rate; /* the critic's Adam */
  int n_steps;
  int batch_size; /* critic minibatch */
  double gamma;
  double gae_lambda;
  int cg_max_steps;
  double cg_damping;
  double line_search_shrinking_factor;
  int line_search_max_iter;
  int n_critic_updates;
  int normalize_advantage;
  double target_kl;
  int sub_sampling_factor;
  double adam_eps;
  int normalize;
  int normalize_reward;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
  int use_sde, sde_sample_freq, full_std, use_expln; /* gSDE */
  int grad_shards;                                   /* rl/shards.h */
} trpo_spec;

/* What one policy step did, for the stats. */
typedef struct trpo_step_result {
  double surrogate; /* objective after the step (before when rejected) */
  double kl;        /* mean KL(old || new); 0 when rejected */
  int accepted;     /* 1: a line-search point met both conditions */
  int backtracks;   /* points tried */
  int cg_iters;
} trpo_step_result;

typedef struct trpo {
  trpo_spec spec;
  crl__onp *onp;
  crl_adam *vf_adam; /* over the critic's slice of the flat vector */
  crl__cg *cg;
  crl__ac_fisher *fisher; /* the whole batch's (grad_shards 1); else NULL */
  /* grad_shards S > 1: every sum over the batch (the surrogate's gradient,
   * each Fisher-vector product, the line search's surrogate and KL, the
   * critic's minibatch gradients) is the ordered sum of S parts of rows,
   * and part k's products keep their own forward pass in fishers[k]. */
  crl__shards shards;
  crl__ac_fisher **fishers; /* [S] NULL for an empty part (M < S) */
  const crl_real *fvp_v;    /* the product being summed: F fvp_v ... */
  crl_real *fvp_out;        /* ... into fvp_out */
  double entropy_old; /* sharded, categorical: mean entropy at theta_old */
  gsl_rng *batch_rng; /* critic minibatch shuffling */
  size_t n_pi;        /* policy parameters: actor MLP + log_std */
  int M;              /* rows of the policy step (after sub-sampling) */
  void *block;        /* the buffers below, one allocation */
  /* the policy step's batch, [M] rows */
  crl_real *obs;         /* [M, obs_dim] */
  crl_real *act;         /* [M, act_dim] */
  crl_real *adv;         /* [M] */
  crl_real *old_logp;    /* [M] */
  crl_real *dist_old;    /* [M, n_out] pi_old's outputs */
  crl_real *log_std_old; /* [act_dim] */
  crl_real *dist;        /* [M, n_out] */
  crl_real *logp;        /* [M] */
  crl_real *dlogp;       /* [M] */
  crl_real *kl;          /* [M] */
  double *var_old;       /* gSDE: [M, act_dim] pi_old's variances */
  double *var;           /* gSDE: [M, act_dim] the variances of dist */
  /* vectors of the step, [n_pi] */
  crl_real *g;         /* [n_pi] gradient of the surrogate */
  crl_real *x;         /* [n_pi] step direction */
  crl_real *fx;        /* [n_pi] (F + damping I) x */
  crl_real *theta_old; /* [n_pi] */
  /* critic minibatches */
  size_t *perm;     /* [T * N] */
  crl_real *mb_obs; /* [batch_size, obs_dim] */
  crl_real *mb_ret; /* [batch_size] */
  crl_real *v;      /* [batch_size] */
  crl_real *dv;     /* [batch_size] */
} trpo;

/* The natural-gradient step on the policy from the batch in t (obs, act,
 * adv, old_logp filled): CG on the damped Fisher, scaling to the KL
 * radius, backtracking line search. */
int trpo_policy_step(trpo *t, trpo_step_result *res);

/* Its parts (also called by the tests). begin: g = grad of the surrogate,
 * *L_old = its value, and theta_old, dist_old, log_std_old saved. line
 * search: try theta_old + 0.8^k beta x (x as set in t->x); accept the
 * first point with KL <= target_kl and a surrogate above L_old, else
 * restore theta_old exactly. */
int trpo_begin_step(trpo *t, double *L_old);

/* gSDE: the mean over m rows of the Gaussian entropy with variances var
 * [m, act_dim], summed in row order as crl__sde_entropy_mean sums. */
double trpo_sde_entropy(const double *var, int m, int act_dim);
int trpo_line_search(trpo *t, double beta, double L_old, trpo_step_result *res);

#endif
