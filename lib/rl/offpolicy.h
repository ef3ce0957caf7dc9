/* Internal: the off-policy loop shared by DDPG, TD3 and SAC.
 *
 * The loop owns the replay buffer, the exploration noise, the random
 * warm-up and the step/store/sample cycle, as SB3's OffPolicyAlgorithm:
 *
 *   one cycle = train_freq steps of every env copy (train_freq_unit
 *     episode: steps until train_freq episodes, counted over all copies,
 *     have ended), each step
 *     action = uniform in [-1, 1]        while num_timesteps < learning_starts
 *            = ops.explore(obs)          afterwards (policy's [-1, 1] scale)
 *     action = clip(action + noise, -1, 1)   when noise_type is set
 *     env action = low + (action + 1) (high - low) / 2
 *     store (obs, action, reward, next obs, terminated) — next obs is the
 *       true final observation for copies whose episode ended, and
 *       `terminated` excludes time-limit truncation, so targets bootstrap
 *       through a time limit; the noise of those copies restarts
 *   then, once num_timesteps > learning_starts, gradient_steps updates
 *   (-1: as many as transitions collected in the cycle), each on a fresh
 *   uniform batch: ops.update(batch).
 *
 * With `normalize` / `normalize_reward` the loop is SB3's with VecNormalize:
 * the running observation statistics take every observation acted in
 * (warm-up included), the running discounted return every reward; the
 * replay buffer keeps raw observations and rewards, and each sampled batch
 * is normalised with the statistics of the moment it is drawn (obs and
 * next obs clipped to +-10, rewards divided by the return's std and
 * clipped to +-10). Actions are chosen, evaluated and exported on the
 * normalised observation (crl__offpolicy_input, obs_norm).
 *
 * One crl_algo_iterate call runs whole cycles until at least
 * `iteration_steps` transitions (all copies) were collected, so that the
 * runner's progress.csv gets one row per ~iteration_steps steps and the
 * algorithm's learning rate schedule is re-read that often.
 *
 * An algorithm embeds crl__offpolicy_spec in its spec struct, lists
 * CRL_OFFPOLICY_PARAMS in its parameter table, and implements the two
 * callbacks; its file then holds only its own networks and update. */
#ifndef CRL_OFFPOLICY_H
#define CRL_OFFPOLICY_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "crl/algo.h"
#include "crl/group.h"
#include "crl/noise.h"
#include "crl/normalizer.h"
#include "crl/replay.h"
#include "crl/state.h"

/* Stream of the noise drawn inside updates (TD3's target smoothing, SAC's
 * reparameterised samples), next to the ones in crl/rng.h. */
#define CRL_STREAM_UPDATE_NOISE 110

typedef struct crl__offpolicy_spec {
  int buffer_size;
  int learning_starts;
  int batch_size;
  double tau;
  double gamma;
  int train_freq;
  int gradient_steps; /* -1: train_freq * n_envs */
  int noise_type;     /* crl_noise_kind */
  double noise_std;
  double adam_eps;
  int iteration_steps;
  int normalize;             /* observations, with running mean/std */
  int normalize_reward;      /* rewards, by the running return's std */
  int optimize_memory_usage; /* compact replay (crl_replay_alloc_compact) */
  int train_freq_unit;       /* 0: steps, 1: episodes (SB3's TrainFreq) */
} crl__offpolicy_spec;

/* Parameter rows for a spec struct T whose crl__offpolicy_spec member is m.
 * Defaults are SB3's (noise_std has none there: 0.1 as RL Zoo uses). */
// clang-format off
#define CRL_OFFPOLICY_PARAMS(T, m)                                             \
  {"buffer_size", CRL_PARAM_INT, offsetof(T, m.buffer_size), "1000000",        \
   1, 1e9, NULL, "replay buffer capacity (transitions)"},                      \
  {"learning_starts", CRL_PARAM_INT, offsetof(T, m.learning_starts), "100",    \
   0, 1e9, NULL, "random uniform actions for this many steps; training "      \
                 "starts after it"},                                           \
  {"batch_size", CRL_PARAM_INT, offsetof(T, m.batch_size), "256",              \
   1, 1e6, NULL, "transitions per gradient step"},                             \
  {"tau", CRL_PARAM_REAL, offsetof(T, m.tau), "0.005",                         \
   0, 1, NULL, "Polyak coefficient of the target networks (1 = hard copy)"},   \
  {"gamma", CRL_PARAM_REAL, offsetof(T, m.gamma), "0.99",                      \
   0, 1, NULL, "discount factor"},                                             \
  {"train_freq", CRL_PARAM_INT, offsetof(T, m.train_freq), "1",                \
   1, 1e7, NULL, "steps of every env copy (or episodes, all copies) between "  \
                 "training phases"},                                           \
  {"train_freq_unit", CRL_PARAM_ENUM, offsetof(T, m.train_freq_unit), "step", \
   0, 0, "step|episode", "what train_freq counts"},                            \
  {"gradient_steps", CRL_PARAM_INT, offsetof(T, m.gradient_steps), "1",        \
   -1, 1e7, NULL, "gradient steps per training phase; -1 = as many as "        \
                  "transitions collected"},                                    \
  {"noise_type", CRL_PARAM_ENUM, offsetof(T, m.noise_type), "none",            \
   0, 0, CRL_NOISE_CHOICES, "exploration noise added to the actions"},         \
  {"noise_std", CRL_PARAM_REAL, offsetof(T, m.noise_std), "0.1",               \
   0, 1e3, NULL, "std of the exploration noise, in units of half the action "  \
                 "range"},                                                     \
  {"adam_eps", CRL_PARAM_REAL, offsetof(T, m.adam_eps), "1e-8",                \
   1e-12, 1, NULL, "Adam epsilon of every optimiser"},                         \
  {"iteration_steps", CRL_PARAM_INT, offsetof(T, m.iteration_steps), "1000",   \
   1, 1e9, NULL, "env steps per iteration (one progress.csv row), rounded "    \
                 "up to whole train_freq cycles"},                             \
  {"normalize", CRL_PARAM_BOOL, offsetof(T, m.normalize), "false",             \
   0, 0, NULL, "normalise observations with running mean/std (clip 10); the " \
               "replay buffer keeps them raw (SB3's VecNormalize)"},           \
  {"normalize_reward", CRL_PARAM_BOOL, offsetof(T, m.normalize_reward),        \
   "false", 0, 0, NULL, "scale sampled rewards by the running std of the "     \
                        "discounted return (VecNormalize's norm_reward)"},     \
  {"optimize_memory_usage", CRL_PARAM_BOOL,                                    \
   offsetof(T, m.optimize_memory_usage), "false", 0, 0, NULL,                  \
   "keep each observation once in the replay buffer (the same batches in "     \
   "about half the memory)"}
// clang-format on

/* What updates report; the loop averages it into crl_algo_stats. */
typedef struct crl__offpolicy_losses {
  double critic_loss, actor_loss, entropy;
  double ent_coef; /* the temperature each update used (SAC) */
  int n_critic, n_actor, n_entropy, n_ent_coef;
} crl__offpolicy_losses;

typedef struct crl__offpolicy_ops {
  /* action [B, act_dim] in [-1, 1] for obs [B, obs_dim], before noise. */
  int (*explore)(void *algo, const crl_real *obs, int B, crl_real *action);
  /* One gradient step on batch; adds what it measured to acc. */
  int (*update)(void *algo, const crl_replay_batch *batch,
                crl__offpolicy_losses *acc);
  /* Optional (NULL: none): called before step t = 0 .. train_freq - 1 of
   * every cycle, warm-up included (gSDE draws its exploration matrices). */
  void (*before_step)(void *algo, int t);
} crl__offpolicy_ops;

typedef struct crl__offpolicy {
  crl__offpolicy_spec spec;
  crl__offpolicy_ops ops;
  void *algo;
  const char *name; /* for messages */
  int n_envs, obs_dim, act_dim;
  double *act_low, *act_high; /* [act_dim] each, copies of the bounds */
  crl_replay *replay;
  crl_replay_batch *batch;
  crl_noise *noise;
  gsl_rng *act_rng;   /* warm-up actions, exploration noise, policy samples */
  gsl_rng *batch_rng; /* replay sampling */
  long num_timesteps; /* transitions collected, all copies */
  crl_real *obs;      /* [N, obs_dim] observation the action is taken in */
  crl_real *actions;  /* [N, act_dim] in [-1, 1] */
  crl_real *env_actions; /* [N, act_dim] in the env's bounds */
  crl_real *noise_buf;   /* [N, act_dim] */
  crl_real *next_obs;    /* [N, obs_dim] */
  /* VecNormalize (NULL / unused without normalize, normalize_reward) */
  crl_normalizer *obs_norm; /* running observation statistics */
  crl_normalizer *ret_norm; /* running discounted return, 1 dim */
  double *ret;              /* [N] discounted return of each copy */
  crl_real *ret_real;       /* [N] the same, for the normaliser */
  int in_rows;              /* max(n_envs, batch_size) */
  /* Data parallel (crl__offpolicy_set_group): gradients averaged over the
   * group at every step; NULL alone. */
  const crl_group *group;
  uint64_t seed; /* the run's seed: rank streams derive from it */
  double *avg;   /* [avg_n] the gradient being averaged */
  size_t avg_n;
  /* [K N max(obs_dim, 1)] every process's rows of one step, gathered in
   * rank order for the running normalisers, which then see the same rows
   * (and hold the same statistics) in every process */
  crl_real *merge;
  crl_real *obs_in; /* [in_rows, obs_dim] normalised inputs */
  void *block;      /* act_low ... obs_in */
} crl__offpolicy;

/* CRL_EUNSUPPORTED unless both spaces are bounded Boxes. */
int crl__offpolicy_check_spaces(const char *name, const crl_space *obs,
                                const crl_space *act);

/* CRL_EINVAL with a message when the shared keys are inconsistent. */
int crl__offpolicy_check_spec(const char *name, const crl__offpolicy_spec *s);

int crl__offpolicy_alloc(const crl__offpolicy_spec *spec, const char *name,
                         const crl_space *obs, const crl_space *act, int n_envs,
                         uint64_t seed, const crl__offpolicy_ops *ops,
                         void *algo, crl__offpolicy **out);
void crl__offpolicy_free(crl__offpolicy *op);

/* Collect and train for one iteration (see above); fills stats except
 * learning_rate. */
int crl__offpolicy_iterate(crl__offpolicy *op, crl_vec_env *venv,
                           crl_algo_stats *stats);

/* The loop's state in a checkpoint (crl/state.h): "num_timesteps", the
 * replay buffer's filled rows ("replay.*"), the noise processes
 * ("noise.*"), both random streams ("act_rng.*", "batch_rng.*") and, when
 * normalising, "obs_norm.*", "ret_norm.*" and "ret". */
int crl__offpolicy_sections(void *loop, crl_state_io *io);

/* The policy's input for obs [B, obs_dim] (B <= max(n_envs, batch_size)):
 * obs itself, or its normalised copy (statistics unchanged). */
const crl_real *crl__offpolicy_input(crl__offpolicy *op, const crl_real *obs,
                                     int B);

/* The action space as the loop keeps it (Box, bounds pointing into op). */
crl_space crl__offpolicy_act_space(const crl__offpolicy *op);

/* out [B, act_dim] = env-scale actions for scaled [B, act_dim] in [-1, 1]. */
void crl__offpolicy_unscale(const crl__offpolicy *op, const crl_real *scaled,
                            int B, crl_real *out);

/* The steps one iteration takes on n_envs copies: whole train_freq cycles
 * (train_freq * n_envs steps each) until at least iteration_steps; 0 (not
 * known ahead) when train_freq counts episodes. */
long crl__offpolicy_steps_per_iteration(const crl__offpolicy_spec *s,
                                        int n_envs);

/* Be one process of the data-parallel group g: this process keeps its own
 * replay buffer and env copies, explores with streams of its own
 * (crl_group_seed(seed, rank): rank 0's are the single process's), and
 * crl__offpolicy_average makes every gradient the group's mean. Refused
 * (CRL_EUNSUPPORTED) where the processes would drift apart: running
 * normalisers (each would see other observations) and train_freq in
 * episodes (each would take other numbers of gradient steps). */
int crl__offpolicy_set_group(crl__offpolicy *o, const crl_group *g);

/* After crl__offpolicy_set_group: *rng (an algorithm's own stream, such
 * as the noise inside updates) restarts as this rank's stream `stream`. */
int crl__offpolicy_rank_rng(const crl__offpolicy *o, gsl_rng **rng,
                            uint64_t stream);

/* grads [n] become their mean over the group (the sum in rank order over
 * the size): the same bits on every process. Nothing alone. 0, or
 * CRL_EIO / CRL_ENOMEM. */
int crl__offpolicy_average(crl__offpolicy *o, crl_real *grads, size_t n);

#endif
