/* Internal: CrossQ's configuration and state, shared by crossq.c
 * (creation, acting, files) and crossq_update.c (the gradient step); see
 * crossq.c for the algorithm. */
#ifndef CRL_ALGOS_CROSSQ_H
#define CRL_ALGOS_CROSSQ_H

#include "algos/sac.h"
#include "nn/brn.h"

typedef struct crossq_config {
  crl__offpolicy_spec off;
  crl_schedule learning_rate;
  char ent_coef[CRL_STRING_MAX];
  char target_entropy[CRL_STRING_MAX];
  int policy_delay;
  crl_int_list net_arch_pi, net_arch_qf;
  int activation;
  int n_critics;
  double log_std_min, log_std_max;
  double bn_momentum, bn_eps;
  int renorm_warmup_steps;
  double adam_beta1;
  /* gSDE, as SAC's, but with features that are learned through */
  int use_sde, sde_sample_freq, full_std, use_expln;
  double log_std_init, clip_mean;
} crossq_config;

typedef struct crossq {
  crossq_config cfg;
  crl__offpolicy *loop;
  crl__brn_net *actor; /* obs -> [mean | log_std]; with gSDE obs -> mean */
  size_t n_pi;         /* the actor's parameters, then gSDE's log_std */
  crl_real *pi_params, *pi_grads;         /* [n_pi] */
  crl_real *sde_log_std, *sde_dlog_std;   /* views at pi_* + the network's */
  crl__sde *sde_act, *sde_train;          /* as SAC's (algos/sac.h) */
  const crl_real *phi;                    /* [B, L] the last forward's */
  crl__brn_net *critic[CRL_QCRITIC_MAX];  /* [obs, act] -> Q */
  size_t n_critic_params;                 /* all critics */
  crl_real *critic_params, *critic_grads; /* [n_critic_params] */
  crl_adam *actor_adam, *critic_adam, *alpha_adam;
  gsl_rng *noise_rng; /* samples inside updates */
  crl__temperature temp;
  crl_real log_alpha[1], dlog_alpha[1];
  double lr;
  long n_updates;
  int obs_dim, act_dim, M, rows; /* rows: max(M, n_envs) actor batch */
  int n_envs;
  crl_real *out;      /* [rows, 2A] actor outputs */
  crl_real *mean;     /* [rows, A] */
  crl_real *log_std;  /* [rows, A] */
  crl_real *eps;      /* [rows, A] */
  crl_real *act;      /* [rows, A] squashed actions */
  crl_real *logp;     /* [rows] */
  crl_real *qin;      /* [2M, obs + A] critic inputs */
  crl_real *q;        /* [n_critics, 2M] */
  crl_real *dq;       /* [2M] */
  crl_real *dqin;     /* [M, obs + A] */
  crl_real *dact;     /* [M, A] */
  crl_real *dlogp;    /* [M] */
  crl_real *dmean;    /* [M, A] */
  crl_real *dlog_std; /* [M, A] */
  crl_real *dout;     /* [M, 2A] */
  crl_real *dphi;     /* gSDE: [M, L] */
  void *block;        /* critic_params ... dphi */
} crossq;

/* Actor on obs [B, obs_dim] (train: batch statistics): mean, log_std;
 * with gSDE the mean clamped to +-clip_mean, the features and sde's
 * variances. */
int crl__crossq_actor_forward(crossq *c, crl__sde *sde, const crl_real *obs,
                              int B, int train);

/* act [B, act_dim] (and logp [B] if non-NULL) sampled from the actor's
 * last forward, with gSDE's sde or with noise drawn from rng. */
void crl__crossq_sample(crossq *c, crl__sde *sde, int B, gsl_rng *rng,
                        crl_real *act, crl_real *logp);

/* One gradient step (the off-policy loop's update callback). */
int crl__crossq_update(void *self, const crl_replay_batch *b,
                       crl__offpolicy_losses *acc);

#endif
