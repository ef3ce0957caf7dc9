/* Internal: an actor-critic policy shared by the on-policy algorithms.
 *
 * One flat parameter vector (and one flat gradient vector) holds, in order:
 *   actor MLP  obs_dim -> net_arch -> n_out   (Gaussian mean or logits)
 *   log_std    [act_dim]                      (Gaussian only)
 *   critic MLP obs_dim -> net_arch -> 1       (state value)
 * so that Adam, gradient clipping and checkpoints need one call each, and
 * the global gradient norm covers actor and critic together, as SB3. An
 * optional running normaliser whitens observations before both networks. */
#ifndef CRL_ACTOR_CRITIC_H
#define CRL_ACTOR_CRITIC_H

#include <gsl/gsl_rng.h>

#include "crl/env.h"
#include "crl/mlp.h"
#include "crl/normalizer.h"
#include "crl/params.h"
#include "rl/sde.h"

typedef struct crl__ac_spec {
  crl_int_list net_arch; /* hidden sizes, shared shape for actor and critic */
  int activation;        /* crl_activation */
  double log_std_init;   /* initial log std of the Gaussian */
  int ortho_init;        /* 1: orthogonal (SB3 gains), 0: PyTorch default */
  int normalize_obs;     /* running mean/std of observations */
  int max_batch;         /* largest batch any call uses */
  /* gSDE (rl/sde.h) instead of a state-independent log std, Box only */
  int use_sde;
  int sde_sample_freq; /* new exploration matrices every this many steps of
                          a rollout; <= 0: only at its start */
  int full_std;        /* log std per (feature, action); 0: per feature */
  int use_expln;
  int sde_rows; /* exploration matrices: the env copies */
} crl__ac_spec;

/* The declared-parameter rows of crl__ac_spec's network settings
 * (policy_kwargs.net_arch, .activation, .log_std_init, .ortho_init; SB3's
 * defaults), for an algorithm's table. F(field) is the caller's offsetof
 * macro, so its spec struct needs fields of these four names; `nets` ends
 * net_arch's description ("actor and critic"). */
/* clang-format off */
#define CRL_AC_POLICY_KWARGS(F, nets)                                         \
  {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, F(net_arch), "[64, 64]", 1,   \
   65536, NULL, "hidden layer sizes of " nets},                               \
  {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "tanh", 0, 0,    \
   "identity|tanh|relu", "hidden activation"},                                \
  {"policy_kwargs.log_std_init", CRL_PARAM_REAL, F(log_std_init), "0.0", -20,  \
   20, NULL, "initial log std of Gaussian actions"},                          \
  {"policy_kwargs.ortho_init", CRL_PARAM_BOOL, F(ortho_init), "true", 0, 1,    \
   NULL, "orthogonal init (SB3 gains); false = PyTorch default"}

/* clang-format on */

typedef struct crl__ac {
  crl_space obs_space, act_space; /* bounds point to the copies below */
  double *act_bounds; /* [2, act_dim] low then high, owned: the env that
                         described the space may be freed first */
  int obs_dim;
  int act_dim; /* values per action: Box dim, or 1 for Discrete */
  int n_out;   /* actor outputs: Box dim, or n for Discrete */
  int discrete;
  int max_batch;
  size_t n_params;
  void *block;        /* the buffers, one allocation */
  crl_real *params;   /* [n_params] flat */
  crl_real *grads;    /* [n_params] flat */
  crl_mlp *actor;     /* view into params[0 .. actor_n) */
  crl_real *log_std;  /* [act_dim] view, NULL when discrete; with gSDE
                         [features, act_dim] or [features] */
  crl_real *dlog_std; /* the same view into grads */
  crl__sde *sde;      /* gSDE's state, NULL without it */
  int sde_sample_freq;
  crl_mlp *critic;      /* view after log_std */
  crl_normalizer *norm; /* NULL unless normalize_obs */
  crl_real *dout;       /* [max_batch, n_out] scratch: dL/d(actor output) */
  crl_real *ent;        /* [max_batch] scratch */
  crl_real *dent;       /* [max_batch] scratch */
} crl__ac;

int crl__ac_alloc(const crl__ac_spec *spec, const crl_space *obs,
                  const crl_space *act, gsl_rng *init_rng, crl__ac **out);
void crl__ac_free(crl__ac *ac);

/* A worker copy of ac for computing a gradient part on another thread
 * (rl/shards.h): the same parameters (ac's, read only while it works),
 * its own gradient, activations and scratch for up to max_batch rows; no
 * normaliser (the rows it gets are normalised). Refused with gSDE.
 * Freed with crl__ac_free, before ac. */
int crl__ac_worker_alloc(const crl__ac *ac, int max_batch, crl__ac **out);

void crl__ac_zero_grad(crl__ac *ac);

/* out [B, obs_dim] = normalised obs; with update = 1 the statistics first
 * absorb the batch. Without a normaliser this is a copy. */
void crl__ac_normalize(crl__ac *ac, const crl_real *obs, int B, crl_real *out,
                       int update);

/* dist [B, n_out] = actor(obs_norm). Sampling, log-prob, entropy and the
 * actor's backward refer to the last of these calls (its rows). */
int crl__ac_actor_forward(crl__ac *ac, const crl_real *obs_norm, int B,
                          crl_real *dist);

/* values [B] = critic(obs_norm). */
int crl__ac_critic_forward(crl__ac *ac, const crl_real *obs_norm, int B,
                           crl_real *values);

/* actions [B, act_dim]: a sample, or the mean / argmax when deterministic. */
void crl__ac_sample(const crl__ac *ac, const crl_real *dist, int B,
                    int deterministic, gsl_rng *rng, crl_real *actions);

/* logp [B] of actions under dist. */
void crl__ac_log_prob(const crl__ac *ac, const crl_real *dist,
                      const crl_real *actions, int B, crl_real *logp);

/* The forward passes a policy-gradient loss needs for B rows: the actor's
 * outputs dist, the values, and logp of actions; the backward passes
 * then follow (same B). */
int crl__ac_forward_logp(crl__ac *ac, const crl_real *obs_norm,
                         const crl_real *actions, int B, crl_real *dist,
                         crl_real *values, crl_real *logp);

/* Mean entropy over the B rows of dist (B may exceed max_batch). */
double crl__ac_entropy_mean(crl__ac *ac, const crl_real *dist, int B);

/* Backward through the actor of the last crl__ac_actor_forward (same B) for
 * L = sum_i dlogp[i] * logp_i + dent_mean * mean_i entropy_i. ADDs to grads. */
int crl__ac_actor_backward(crl__ac *ac, const crl_real *dist,
                           const crl_real *actions, int B,
                           const crl_real *dlogp, double dent_mean);

/* Backward through the critic of the last crl__ac_critic_forward for
 * L = sum_i dv[i] * v_i. ADDs to grads. */
int crl__ac_critic_backward(crl__ac *ac, const crl_real *dv, int B);

/* gSDE: new exploration matrices (a no-op without gSDE). */
void crl__ac_sde_resample(crl__ac *ac, gsl_rng *rng);
/* Clip Box actions to the action bounds (the env receives these). */
void crl__ac_clip_actions(const crl__ac *ac, const crl_real *actions, int B,
                          crl_real *out);

#endif
