/* crl: algorithms as vtables.
 *
 * An algorithm declares its hyperparameters (crl_param_def table) and a spec
 * struct that the table fills. The training loop belongs to the caller (the
 * runner or user code): each crl_algo_iterate call collects experience from
 * a vec env and updates the networks once (PPO: n_steps per copy, then
 * n_epochs of minibatch updates) and reports what it did. */
#ifndef CRL_ALGO_H
#define CRL_ALGO_H

#include "crl/env.h"
#include "crl/group.h"
#include "crl/params.h"
#include "crl/policy.h"
#include "crl/state.h"
#include "crl/vec_env.h"

CRL_BEGIN_DECLS

/* The statistics one iteration reports, one row each:
 * X(name, diverged_if_infinite, doc). Each is a double field of
 * crl_algo_stats, NAN when the algorithm has no such value (crl_algo_iterate
 * sets them all to NAN before the algorithm runs). The crl program writes
 * them, in this order, as progress.csv columns that its `expect:` blocks may
 * name. diverged_if_infinite = 1 marks the losses: an infinite value means
 * that the training diverged (the program stops the run there). */
// clang-format off
#define CRL_ALGO_STATS(X)                                                      \
  X(learning_rate,      0, "value used this iteration")                        \
  X(policy_loss,        1, "loss of the policy (or actor) update")             \
  X(value_loss,         1, "loss of the value (or critic) update")             \
  X(entropy,            1, "entropy of the policy (an estimate for SAC)")      \
  X(approx_kl,          1, "KL divergence between the old and new policy")    \
  X(clip_fraction,      0, "share of PPO's ratios outside the clip range")     \
  X(explained_variance, 0, "1 - Var(returns - values) / Var(returns)")     \
  X(ent_coef,           0, "SAC's temperature alpha, mean over the updates")
// clang-format on

/* What one iteration reports. */
typedef struct crl_algo_stats {
  long steps; /* env steps taken in this iteration (all copies) */
#define CRL_ALGO_STATS_FIELD(name, diverged_if_infinite, doc) double name;
  CRL_ALGO_STATS(CRL_ALGO_STATS_FIELD)
#undef CRL_ALGO_STATS_FIELD
  int n_updates; /* gradient steps taken */
} crl_algo_stats;

typedef struct crl_algo_type {
  const char *name;
  const char *doc;
  const crl_param_def *params; /* NULL-terminated table */
  size_t spec_size;            /* bytes of the spec struct params fill */
  /* Build the algorithm for these spaces and n_envs copies. Checks that the
   * spec is consistent (e.g. batch_size divides n_steps * n_envs). */
  int (*create)(const void *spec, const crl_space *obs, const crl_space *act,
                int n_envs, uint64_t seed, void **self);
  /* Collect and update once; progress_remaining goes from 1 to 0. */
  int (*iterate)(void *self, crl_vec_env *venv, double progress_remaining,
                 crl_algo_stats *stats);
  /* actions [B, act_dim] for obs [B, obs_dim]; deterministic = mean/argmax. */
  int (*act)(void *self, const crl_real *obs, int B, int deterministic,
             crl_real *action);
  void (*destroy)(void *self);
  /* Optional: write / restore everything a resumed run needs (parameters,
   * optimiser moments, normaliser statistics, RNG streams, buffers), at an
   * iteration boundary, as sections named after the algorithm: declare
   * the state once as a table and call crl_state_save / crl_state_load
   * (crl/state.h). NULL: the algorithm cannot be checkpointed. */
  int (*save)(void *self, crl_ckpt_writer *w);
  int (*load)(void *self, const crl_ckpt_reader *r);
  /* Optional: the deterministic policy, for inference (crl/policy.h). */
  int (*export_policy)(void *self, int max_batch, crl_policy **out);
  /* Optional: the env steps (all copies together) that one iteration with
   * this spec takes on n_envs copies, known before it runs (PPO: n_steps *
   * n_envs). A training loop that schedules by the budget left can use it
   * for the first iteration, before one has run. NULL, or 0: the spec does
   * not fix it (whole episodes). */
  long (*steps_per_iteration)(const void *spec, int n_envs);
  /* Optional: be one process of a data-parallel run (crl/group.h). The
   * algorithm computes its share of each update and combines the shares
   * with g->sum, so that every process takes the same step; *own_envs
   * says how the caller steps the envs (see crl_algo_set_group). NULL:
   * the algorithm runs in one process only. */
  int (*set_group)(void *self, const crl_group *g, int *own_envs);
} crl_algo_type;

typedef struct crl_algo crl_algo;

/** Built-in and registered algorithms. */
CRL_API int crl_algo_register(const crl_algo_type *type);
CRL_API const crl_algo_type *crl_algo_find(const char *name);
CRL_API int crl_algo_count(void);
CRL_API const crl_algo_type *crl_algo_at(int i);

/** A spec filled with the defaults of type (free with crl_algo_spec_free). */
CRL_API int crl_algo_spec_alloc(const crl_algo_type *type, void **spec);
CRL_API void crl_algo_spec_free(void *spec);

/** Set one hyperparameter by name from text (see crl_params_set). */
CRL_API int crl_algo_spec_set(const crl_algo_type *type, void *spec,
                              const char *key, const char *value);

/** Create an algorithm instance. *out is NULL on failure. */
CRL_API int crl_algo_alloc(const crl_algo_type *type, const void *spec,
                           const crl_space *obs, const crl_space *act,
                           int n_envs, uint64_t seed, crl_algo **out);
CRL_API void crl_algo_free(crl_algo *algo);
CRL_API const crl_algo_type *crl_algo_get_type(const crl_algo *algo);

/* How the processes of a data-parallel group step the env copies (the
 * *own_envs of crl_algo_set_group). */
enum {
  CRL_ENVS_SHARED = 0,    /* one set of copies shared (crl_vec_env_share) */
  CRL_ENVS_OWN = 1,       /* each its own, seeded crl_group_seed(seed, rank) */
  CRL_ENVS_REPLICATED = 2 /* each the same copies, with the run's seed */
};

/** Make algo one process of the data-parallel group g (kept: it must
 *  outlive algo), before its first iteration; every process of the group
 *  builds the algorithm with the same spec and seed. *own_envs (may be
 *  NULL) tells the caller how to step the env copies:
 *   CRL_ENVS_SHARED  one set of copies shared by the group
 *      (crl_vec_env_share): PPO, A2C and TRPO, which then compute what one
 *      process stepping all copies computes, bit for bit;
 *   CRL_ENVS_OWN  each process its own copies, seeded with
 *      crl_group_seed(seed, rank): the off-policy algorithms, each process
 *      with its own replay buffer and exploration, the gradients averaged
 *      at every update (same number of processes and seed: same bits);
 *   CRL_ENVS_REPLICATED  each process the copies one process would have
 *      (the run's seed): GRPO and REINFORCE, whose episodes come one after
 *      the other from one copy; every process collects the same rows and
 *      computes its part of each update, bit for bit what one process
 *      computes.
 *  CRL_EUNSUPPORTED when the algorithm cannot (or not with this spec);
 *  NULL, or a group of size 1, runs alone. */
CRL_API int crl_algo_set_group(crl_algo *algo, const crl_group *g,
                               int *own_envs);
CRL_API int crl_algo_iterate(crl_algo *algo, crl_vec_env *venv,
                             double progress_remaining, crl_algo_stats *stats);
CRL_API int crl_algo_act(crl_algo *algo, const crl_real *obs, int B,
                         int deterministic, crl_real *action);

/** Save the algorithm and the vec env it trains on to a checkpoint file
 *  (atomically: a crash leaves the previous file intact), or restore both
 *  from one so that training continues exactly as if never interrupted.
 *  The algorithm must have been created with the same spec, spaces, n_envs
 *  and seed. CRL_EUNSUPPORTED when the algorithm or env cannot be
 *  checkpointed. */
CRL_API int crl_algo_checkpoint_save(crl_algo *algo, crl_vec_env *venv,
                                     const char *path);
CRL_API int crl_algo_checkpoint_load(crl_algo *algo, crl_vec_env *venv,
                                     const char *path);

/** The same into an open checkpoint (crl/state.h), so that a program can
 *  add sections of its own next to the algorithm's and the vec env's
 *  (crl_state_save_items with a prefix of its own, e.g. "runner") and
 *  write one file:
 *    crl_ckpt_writer_alloc(&w);
 *    crl_algo_checkpoint_write(algo, venv, w);
 *    crl_state_save_items(w, "runner", items, n);
 *    crl_ckpt_writer_write(w, path);
 *  and read it back with crl_ckpt_reader_open, crl_algo_checkpoint_read
 *  and crl_state_load_items. */
CRL_API int crl_algo_checkpoint_write(crl_algo *algo, crl_vec_env *venv,
                                      crl_ckpt_writer *w);
CRL_API int crl_algo_checkpoint_read(crl_algo *algo, crl_vec_env *venv,
                                     const crl_ckpt_reader *r);

/** The trained policy for inference (see crl/policy.h); rows up to
 *  max_batch per call. CRL_EUNSUPPORTED when the algorithm has none. */
CRL_API int crl_algo_export_policy(crl_algo *algo, int max_batch,
                                   crl_policy **out);

/** Deterministic evaluation: run `episodes` episodes of a fresh copy of the
 *  env (reset RNG seeded from crl_seed_derive(seed, CRL_STREAM_EVAL)) with
 *  crl_algo_act(..., deterministic = 1). Continuous actions are clipped to
 *  the action bounds. Writes the mean and std of the returns and the mean
 *  episode length (any pointer may be NULL). */
CRL_API int crl_evaluate(crl_algo *algo, const char *env_name, int episodes,
                         uint64_t seed, double *mean_return, double *std_return,
                         double *mean_length);

/** As crl_evaluate, with the actions chosen deterministically
 *  (deterministic = 1, crl_evaluate itself) or sampled from the policy
 *  (0), for policies that must stay stochastic (ShortCorridor-v0's best
 *  policy is). Sampling goes through crl_algo_act, so it draws from the
 *  algorithm's action stream. */
CRL_API int crl_evaluate_ex(crl_algo *algo, const char *env_name, int episodes,
                            uint64_t seed, int deterministic,
                            double *mean_return, double *std_return,
                            double *mean_length);

CRL_END_DECLS

#endif
