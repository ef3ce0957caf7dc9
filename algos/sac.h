/* Internal: SAC's configuration, state and entry points, shared with TQC.
 *
 * TQC (Kuznetsov et al. 2020) is SAC whose critics each output n_quantiles
 * quantiles of the return instead of its mean: the targets pool the target
 * critics' quantiles, drop the top top_quantiles_to_drop_per_net of each
 * critic, and the critics descend the quantile Huber loss; the actor
 * maximises the mean of every critic's quantiles. The actor, temperature,
 * replay and export are SAC's, so algos/tqc.c declares its keys and builds
 * this with n_quantiles > 0 (sac.c: creation, acting, files; sac_update.c:
 * the gradient steps of both). */
#ifndef CRL_ALGOS_SAC_H
#define CRL_ALGOS_SAC_H

#include <gsl/gsl_rng.h>

#include "crl/algo.h"
#include "crl/optim.h"
#include "rl/offpolicy.h"
#include "rl/qcritic.h"
#include "rl/sde.h"

typedef struct crl__sac_config {
  crl__offpolicy_spec off;
  crl_schedule learning_rate;
  char ent_coef[CRL_STRING_MAX];       /* auto, auto_<init>, or a number */
  char target_entropy[CRL_STRING_MAX]; /* auto (-dim A) or a number */
  int target_update_interval;
  crl_int_list net_arch;
  int activation;
  int n_critics;
  double log_std_min, log_std_max;
  int n_quantiles;   /* 0: SAC's scalar critics; TQC's quantiles per critic */
  int top_quantiles; /* TQC: top quantiles dropped per critic */
  /* gSDE (rl/sde.h): the actor outputs the mean only, clamped to
   * +-clip_mean (none when 0), and a parameter log_std [L, A] or [L] */
  int use_sde, sde_sample_freq, full_std, use_expln;
  double log_std_init, clip_mean;
} crl__sac_config;

/* Parameter rows common to SAC and TQC, for a table of crl__sac_config. */
// clang-format off
#define CRL_SAC_PARAMS(F)                                                      \
  {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 1, NULL,  \
   "Adam step size of actor, critics and temperature; lin_<v> decays it"},     \
  CRL_OFFPOLICY_PARAMS(crl__sac_config, off),                                  \
  {"ent_coef", CRL_PARAM_STRING, F(ent_coef), "auto", 0, 0, NULL,              \
   "temperature alpha: auto (learned from 1), auto_<init> (learned from "      \
   "init) or a fixed number >= 0"},                                            \
  {"target_entropy", CRL_PARAM_STRING, F(target_entropy), "auto", 0, 0, NULL,  \
   "entropy the learned alpha aims at: auto (-action dim) or a number"},       \
  {"target_update_interval", CRL_PARAM_INT, F(target_update_interval), "1", 1, \
   1e6, NULL, "move the target critics every this many gradient steps"},       \
  {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, F(net_arch), "[256, 256]", 1, \
   65536, NULL, "hidden layer sizes of actor and critics"},                    \
  {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "relu", 0, 0,    \
   "identity|tanh|relu", "hidden activation"},                                 \
  CRL_SAC_SDE_PARAMS(F)

/* gSDE's rows of SAC-like actors (SAC, TQC, CrossQ); fields use_sde,
 * sde_sample_freq, full_std, use_expln, log_std_init and clip_mean. */
#define CRL_SAC_SDE_PARAMS(F)                                                  \
  CRL_SDE_PARAMS(F),                                                           \
  {"policy_kwargs.log_std_init", CRL_PARAM_REAL, F(log_std_init), "-3", -20,   \
   20, NULL, "gSDE: initial value of every log_std parameter"},                \
  {"policy_kwargs.clip_mean", CRL_PARAM_REAL, F(clip_mean), "2", 0, 100, NULL, \
   "gSDE: the mean is clamped to +-clip_mean before tanh (0: no clamp)"}

/* ... and, after the table's n_critics row, the actor's log std clamps. */
#define CRL_SAC_LOG_STD_PARAMS(F)                                              \
  {"policy_kwargs.log_std_min", CRL_PARAM_REAL, F(log_std_min), "-20", -100,   \
   100, NULL, "lower clamp of the actor's log std"},                           \
  {"policy_kwargs.log_std_max", CRL_PARAM_REAL, F(log_std_max), "2", -100,     \
   100, NULL, "upper clamp of the actor's log std"}
// clang-format on

typedef struct crl__sac {
  crl__sac_config cfg;
  const char *name; /* "sac" or "tqc": messages and checkpoint sections */
  crl__offpolicy *loop;
  crl_mlp *actor;      /* obs -> net_arch -> [mean | log_std], 2 act_dim; with
                          gSDE obs -> net_arch -> mean, act_dim */
  size_t n_pi;         /* the actor's parameters: MLP, then gSDE's log_std */
  crl_real *pi_params; /* [n_pi] */
  crl_real *pi_grads;  /* [n_pi] */
  crl_real *sde_log_std, *sde_dlog_std; /* views at pi_* + the MLP's */
  crl__sde *sde_act;   /* gSDE: one matrix per env copy, for collection */
  crl__sde *sde_train; /* gSDE: one matrix per gradient step */
  const crl_real *phi; /* [B, L] gSDE's features of the last actor forward */
  void *pi_block;      /* pi_params, pi_grads */
  crl__qcritic *critic, *critic_target;
  crl_adam *actor_adam, *critic_adam, *alpha_adam;
  gsl_rng *noise_rng; /* reparameterisation noise inside updates */
  int learn_alpha;
  double alpha_fixed; /* when not learned */
  double target_entropy;
  crl_real log_alpha[1], dlog_alpha[1];
  double lr;
  long n_updates;
  int obs_dim, act_dim, max_batch;
  int nq;             /* outputs per critic: 1, or TQC's n_quantiles */
  int n_keep;         /* target values per row: 1, or the quantiles TQC keeps */
  crl_real *out;      /* [max_batch, 2 act_dim] actor outputs */
  crl_real *mean;     /* [max_batch, act_dim] */
  crl_real *log_std;  /* [max_batch, act_dim] unclamped */
  crl_real *eps;      /* [max_batch, act_dim] sampling noise */
  crl_real *act;      /* [max_batch, act_dim] squashed actions */
  crl_real *logp;     /* [max_batch] */
  crl_real *q;        /* [n_critics, batch, nq] */
  crl_real *y;        /* [batch, n_keep] TD targets */
  crl_real *dq;       /* [n_critics, batch, nq] */
  crl_real *dact;     /* [batch, act_dim] */
  crl_real *dlogp;    /* [batch] */
  crl_real *dmean;    /* [batch, act_dim] */
  crl_real *dlog_std; /* [batch, act_dim] */
  crl_real *dout;     /* [batch, 2 act_dim] */
  double *pooled;     /* [n_critics * nq] a row's target quantiles */
  void *block;        /* out ... pooled */
} crl__sac;

/* SB3's temperature keys: ent_coef auto, auto_<v> (learned from log v) or a
 * number (fixed); target_entropy auto (-act_dim) or a number. SAC, TQC and
 * CrossQ read them alike. */
typedef struct crl__temperature {
  int learn;
  double log_alpha0;  /* learned: the start of log alpha */
  double alpha_fixed; /* not learned */
  double target_entropy;
} crl__temperature;
int crl__temperature_parse(const char *name, const char *ent_coef,
                           const char *target_entropy, int act_dim,
                           crl__temperature *t);

/* name ("sac", "tqc") must outlive the instance. */
int crl__sac_create_named(const char *name, const crl__sac_config *cfg,
                          const crl_space *obs, const crl_space *act,
                          int n_envs, uint64_t seed, void **self);
int crl__sac_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                     crl_algo_stats *stats);
int crl__sac_act(void *self, const crl_real *obs, int B, int deterministic,
                 crl_real *action);
void crl__sac_destroy(void *self);
int crl__sac_save(void *self, crl_ckpt_writer *w);
int crl__sac_load(void *self, const crl_ckpt_reader *r);
int crl__sac_export(void *self, int max_batch, crl_policy **out);
long crl__sac_steps_per_iteration(const void *spec, int n_envs);
/* crl_algo_type.set_group of SAC and TQC. */
int crl__sac_set_group(void *self, const crl_group *g, int *own_envs);

/* ---- sac_update.c -------------------------------------------------------- */

/* The actor's outputs out [B, 2A] as mean [B, A] and log_std [B, A]; with
 * gSDE (sde) out [B, A] is the mean, clamped to +-clip_mean (0: none) as
 * SB3's Hardtanh. SAC, TQC and CrossQ read their actors so. */
void crl__sac_split_outputs(int sde, double clip_mean, int B, int A,
                            const crl_real *out, crl_real *mean,
                            crl_real *log_std);

/* Back through crl__sac_split_outputs: dout [B, 2A] = [dmean | dlog_std],
 * or with gSDE dout [B, A] = dmean where the clamp passes it (strictly
 * inside, as torch's Hardtanh) and 0 elsewhere. */
void crl__sac_join_grads(int sde, double clip_mean, int B, int A,
                         const crl_real *out, const crl_real *dmean,
                         const crl_real *dlog_std, crl_real *dout);

/* Actor on obs [B, obs_dim]: its output rows split into mean and log_std;
 * with gSDE the clamped mean, the features phi and sde's variances. */
int crl__sac_actor_forward(crl__sac *s, crl__sde *sde, const crl_real *obs,
                           int B);

/* act [B, act_dim] (and logp [B] if non-NULL) sampled from the actor's
 * last forward, with gSDE's sde or with eps drawn from rng. */
void crl__sac_sample(crl__sac *s, crl__sde *sde, int B, gsl_rng *rng,
                     crl_real *act, crl_real *logp);

/* One gradient step of critics, actor and temperature on batch b (the
 * off-policy loop's update callback). */
int crl__sac_update(void *self, const crl_replay_batch *b,
                    crl__offpolicy_losses *acc);

#endif
