/* Internal: TD3's configuration and entry points, shared with DDPG.
 *
 * DDPG is TD3 with one critic, no target-policy smoothing and the actor
 * and targets updated at every step (SB3 implements it the same way), so
 * algos/ddpg.c declares its own keys and defaults and builds a TD3 with
 * those three settings fixed. */
#ifndef CRL_ALGOS_TD3_H
#define CRL_ALGOS_TD3_H

#include "crl/algo.h"
#include "rl/offpolicy.h"

typedef struct crl__td3_config {
  crl__offpolicy_spec off;
  crl_schedule learning_rate;
  int policy_delay;           /* actor and target updates every this many */
  double target_policy_noise; /* std of the target smoothing noise; 0 = off */
  double target_noise_clip;
  crl_int_list net_arch;
  int activation; /* crl_activation, hidden layers */
  int n_critics;
} crl__td3_config;

/* name is used in messages ("td3", "ddpg"); it must outlive the instance. */
int crl__td3_create_named(const char *name, const crl__td3_config *cfg,
                          const crl_space *obs, const crl_space *act,
                          int n_envs, uint64_t seed, void **self);
int crl__td3_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                     crl_algo_stats *stats);
int crl__td3_act(void *self, const crl_real *obs, int B, int deterministic,
                 crl_real *action);
void crl__td3_destroy(void *self);
int crl__td3_save(void *self, crl_ckpt_writer *w);
int crl__td3_load(void *self, const crl_ckpt_reader *r);
int crl__td3_export(void *self, int max_batch, crl_policy **out);
/* crl_algo_type.set_group of TD3 and DDPG: each process its own envs and
 * replay, both gradients averaged. */
int crl__td3_set_group(void *self, const crl_group *g, int *own_envs);

#endif
