/* Internal: REINFORCE's state, shared by reinforce.c (spec, collection,
 * returns, checkpoints) and reinforce_update.c (the gradient steps of the
 * batch and textbook forms). */
#ifndef CRL_ALGOS_REINFORCE_H
#define CRL_ALGOS_REINFORCE_H

#include "crl/algo.h"
#include "crl/optim.h"
#include "rl/pg_policy.h"
#include "rl/shards.h"

enum { OPT_SGD = 0, OPT_ADAM = 1 };
enum { CHUNK = 256 }; /* rows per batched forward/backward */

typedef struct reinforce_spec {
  crl_schedule learning_rate;
  double vf_learning_rate;
  double gamma;
  int baseline;
  double gae_lambda; /* NAN: Monte-Carlo advantages */
  int normalize_advantage;
  int optimizer;
  int textbook;
  int n_steps;
  int vf_iters;
  int buffer_size;
  double adam_eps;
  double prob_floor;
  int linear;
  crl_real_list theta_init;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
  int grad_shards; /* rl/shards.h */
} reinforce_spec;

typedef struct reinforce {
  reinforce_spec spec;
  crl__pgp *pol;
  crl__shards shards;         /* the batch gradients' parts (grad_shards) */
  crl_adam *pi_adam, *v_adam; /* NULL with sgd */
  gsl_rng *act_rng;
  int obs_dim, act_dim, n_out, cap;
  void *block; /* the buffers below, one allocation */
  /* the episodes of one iteration, [cap] rows */
  int n;               /* rows filled */
  crl_real *obs;       /* [cap, obs_dim] */
  crl_real *actions;   /* [cap, act_dim] as sampled (unclipped) */
  double *rewards;     /* [cap] */
  double *boot;        /* [cap] value after the last row of an episode */
  unsigned char *ends; /* [cap] 1 on the last row of an episode */
  crl_real *values;    /* [cap] v(s_t) */
  crl_real *adv;       /* [cap] advantages */
  crl_real *ret;       /* [cap] returns G_t (value targets) */
  /* per-chunk scratch */
  crl_real *dist;       /* [CHUNK, n_out] */
  crl_real *logp;       /* [CHUNK] */
  crl_real *dlogp;      /* [CHUNK] */
  crl_real *v;          /* [CHUNK] */
  crl_real *dv;         /* [CHUNK] */
  crl_real *env_action; /* [act_dim] */
} reinforce;

/* The batch form's steps (reinforce_update.c): one gradient step on
 * L = -mean_t A_t ln pi(a_t|s_t) (policy_loss and entropy into st), and
 * one on the value loss (*loss: before it), each the ordered sum of its
 * parts (rl/shards.h). */
int reinforce_policy_update(reinforce *r, double lr, crl_algo_stats *st);
int reinforce_value_step(reinforce *r, double *loss);

/* The textbook form's per-step updates over the episode in r (returns
 * computed); *sq the sum of the squared deltas. */
int reinforce_textbook_steps(reinforce *r, double lr, double *sq);

#endif
