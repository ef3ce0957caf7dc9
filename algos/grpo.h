/* Internal: GRPO's state, shared by grpo.c (spec, training, checkpoints)
 * and grpo_collect.c (groups of episodes and their advantages). */
#ifndef CRL_ALGOS_GRPO_H
#define CRL_ALGOS_GRPO_H

#include <gsl/gsl_rng.h>

#include "crl/algo.h"
#include "crl/optim.h"
#include "crl/vec_env.h"
#include "rl/actor_critic.h"
#include "rl/shards.h"

enum { GRPO_ADV_EPISODE = 0, GRPO_ADV_REWARD_TO_GO = 1 };

typedef struct grpo_spec {
  crl_schedule learning_rate;
  int group_size;
  int n_groups;
  int n_epochs;
  int batch_size;
  double gamma;
  int advantage; /* GRPO_ADV_* */
  int scale_by_std;
  crl_schedule clip_range;
  double kl_coef;
  double ent_coef;
  double max_grad_norm;
  double adam_eps;
  int buffer_size;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
  double tau;            /* PMD: strength of the log-ratio term */
  double length_penalty; /* PMD: weight of Kimi k1.5's length reward */
  int grad_shards;       /* GRPO: rl/shards.h (PMD: 0, one part) */
} grpo_spec;

/* Parameter rows GRPO and PMD share (F: the table's offsetof macro on
 * grpo_spec): the schedule and the groups first, ... */
// clang-format off
#define CRL_GRPO_GROUP_PARAMS(F)                                               \
  {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 1, NULL,  \
   "Adam step size; lin_<v> decays linearly from v to 0"},                     \
  {"group_size", CRL_PARAM_INT, F(group_size), "8", 2, 100000, NULL,           \
   "episodes per group, all from one initial state (TRL num_generations)"},    \
  {"n_groups", CRL_PARAM_INT, F(n_groups), "4", 1, 100000, NULL,               \
   "groups per iteration"}

/* ... and the optimiser, buffer and network last. */
#define CRL_GRPO_COMMON_PARAMS(F)                                              \
  {"max_grad_norm", CRL_PARAM_REAL, F(max_grad_norm), "0.5", 0, 1e9, NULL,     \
   "clip the gradient norm to this"},                                          \
  {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-5", 1e-12, 1, NULL,            \
   "Adam epsilon"},                                                            \
  {"buffer_size", CRL_PARAM_INT, F(buffer_size), "200000", 1, 1e8, NULL,       \
   "most steps one iteration may hold"},                                       \
  CRL_AC_POLICY_KWARGS(F, "the policy")
// clang-format on

/* One minibatch's numbers, for the stats. */
typedef struct grpo_mb {
  double policy_loss, kl, entropy, clip_fraction;
} grpo_mb;

typedef struct grpo {
  grpo_spec spec;
  const char *name; /* "grpo" or "pmd": messages, checkpoint sections */
  crl__ac *ac;      /* its critic is not used */
  crl_adam *adam;   /* over the policy's n_pi parameters */
  gsl_rng *act_rng, *batch_rng;
  uint64_t group_base; /* group k starts from seed derive(group_base, k) */
  int64_t groups_done; /* groups run so far (checkpointed; >= 0) */
  int obs_dim, act_dim, n_out, cap;
  size_t n_pi;
  crl__shards shards; /* the minibatch gradient's parts (grad_shards) */
  double clip;        /* the iteration's clip range */
  void *block;        /* the buffers below, one allocation */
  /* the iteration's episodes, [cap] rows, episode e = rows
   * [ep_start[e], ep_start[e + 1]), group k = episodes k G .. k G + G - 1 */
  int n;
  crl_real *obs;         /* [cap, obs_dim] */
  crl_real *act;         /* [cap, act_dim] as sampled */
  crl_real *logp_ref;    /* [cap] log pi_ref(a|s) */
  crl_real *dist_ref;    /* [cap, n_out] pi_ref's outputs */
  double *rewards;       /* [cap] */
  crl_real *adv;         /* [cap] */
  int *ep_start;         /* [n_groups * group_size + 1] */
  crl_real *log_std_ref; /* [act_dim] */
  crl_real *env_action;  /* [act_dim] */
  double *group_vals;    /* [group_size] */
  int *alive;            /* [group_size] */
  size_t *perm;          /* [cap] */
  /* minibatch scratch, [W] = [2 batch_size] rows (the networks' capacity) */
  crl_real *mb_obs;      /* [W, obs_dim] */
  crl_real *mb_act;      /* [W, act_dim] */
  crl_real *mb_adv;      /* [W] */
  crl_real *mb_logp_ref; /* [W] */
  crl_real *mb_dist_ref; /* [W, n_out] */
  crl_real *dist;        /* [W, n_out] */
  crl_real *logp;        /* [W] */
  crl_real *dlogp;       /* [W] */
  crl_real *scratch;     /* [W, n_out + 1] for the KL and its gradient */
  /* PMD's (algos/pmd.c) per-episode values, NULL for GRPO */
  void *pmd_block;  /* the four below */
  double *ep_ret;   /* [episodes] returns, with the length reward */
  double *ep_delta; /* [episodes] log pi_theta - log pi_old of the episode */
  double *ep_coef;  /* [episodes] dL / d log pi_theta of its rows */
  int *ep_of;       /* [cap] the episode of each row */
} grpo;

/* Built by grpo.c and shared with PMD (algos/pmd.c), which collects the
 * same groups and trains them otherwise. name must outlive the instance. */
int crl__grpo_create_named(const char *name, const grpo_spec *spec,
                           const crl_space *obs, const crl_space *act,
                           int n_envs, uint64_t seed, void **self);
void crl__grpo_destroy(void *self);
int crl__grpo_act(void *self, const crl_real *obs, int B, int deterministic,
                  crl_real *action);
int crl__grpo_save(void *self, crl_ckpt_writer *w);
int crl__grpo_load(void *self, const crl_ckpt_reader *r);
int crl__grpo_export(void *self, int max_batch, crl_policy **out);

/* Run the iteration's groups of episodes into the buffer (g->n rows). */
int grpo_collect(grpo *g, crl_vec_env *venv);

/* Fill g->adv from the rewards, group by group. */
void grpo_advantages(grpo *g);

#endif
