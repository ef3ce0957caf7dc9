/* Data parallel runs (crl/group.h) without MPI: K threads of one process
 * play the K processes, with a group whose sum adds in rank order and
 * whose gather copies the blocks, as the crl program's MPI group does.
 *   - a shared vec env holds, on every thread, what one vec env stepping
 *     all copies holds: observations, rewards, end flags, episode counts
 *     and returns, bit for bit;
 *   - PPO and A2C over K threads with grad_shards K compute, bit for bit,
 *     what one PPO (A2C) with grad_shards K computes alone (every iteration's
 *     statistics and the policy's actions), with observation and reward
 *     normalisation, value clipping and an entropy bonus on;
 *   - grad_shards only splits the sum: 3 parts learn what 1 part learns
 *     up to rounding, and a part whose share of the mean is wrong fails
 *     this;
 *   - SAC and TD3 over K threads (each its own envs, replay and
 *     exploration, the gradients averaged) hold the same parameters on
 *     every thread, and run again give the same bits;
 *   - a group that does not fit is refused with a message. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"

#define MAX_THREADS 4

/* ---- a group of threads -------------------------------------------------- */

typedef struct shared {
  int size;
  pthread_barrier_t barrier;
  void *bufs[MAX_THREADS];
} shared;

typedef struct member {
  shared *s;
  int rank;
  crl_group group;
} member;

static int thread_sum(void *ctx, double *v, size_t n) {
  member *m = ctx;
  shared *s = m->s;
  double *out = malloc((n ? n : 1) * sizeof *out);
  if (out == NULL)
    return -1;
  s->bufs[m->rank] = v;
  pthread_barrier_wait(&s->barrier);
  for (size_t i = 0; i < n; i++) {
    double x = ((double *)s->bufs[0])[i];
    for (int r = 1; r < s->size; r++)
      x += ((double *)s->bufs[r])[i];
    out[i] = x;
  }
  pthread_barrier_wait(&s->barrier); /* everyone has read every v */
  memcpy(v, out, n * sizeof *v);
  free(out);
  return 0;
}

static int thread_gather(void *ctx, void *buf, size_t block) {
  member *m = ctx;
  shared *s = m->s;
  s->bufs[m->rank] = buf;
  pthread_barrier_wait(&s->barrier);
  for (int r = 0; r < s->size; r++)
    if (r != m->rank)
      memcpy((char *)buf + (size_t)r * block,
             (const char *)s->bufs[r] + (size_t)r * block, block);
  pthread_barrier_wait(&s->barrier);
  return 0;
}

static void member_init(member *m, shared *s, int rank) {
  m->s = s;
  m->rank = rank;
  m->group = (crl_group){rank, s->size, m, thread_sum, thread_gather};
}

/* ---- the vec env --------------------------------------------------------- */

#define VE_COPIES 4
#define VE_STEPS 450 /* Pendulum's episodes end at 200: two ends per copy */

typedef struct ve_trace {
  crl_real obs[VE_STEPS][VE_COPIES * 3];
  double rewards[VE_STEPS][VE_COPIES];
  int ends[VE_STEPS][VE_COPIES];
  long episodes;
  double recent_return;
} ve_trace;

/* Actions that depend only on the step and copy. */
static void actions_at(int t, crl_real *a) {
  for (int i = 0; i < VE_COPIES; i++)
    a[i] = (crl_real)(2.0 * sin(0.37 * t + 1.3 * i));
}

static void run_vec_env(const crl_group *g, ve_trace *tr) {
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", VE_COPIES, 7, &v), 0);
  assert_int_equal(crl_vec_env_share(v, g), 0);
  assert_int_equal(crl_vec_env_reset(v), 0);
  crl_real a[VE_COPIES];
  for (int t = 0; t < VE_STEPS; t++) {
    actions_at(t, a);
    assert_int_equal(crl_vec_env_step(v, a), 0);
    memcpy(tr->obs[t], crl_vec_env_obs(v), sizeof tr->obs[t]);
    memcpy(tr->rewards[t], crl_vec_env_rewards(v), sizeof tr->rewards[t]);
    for (int i = 0; i < VE_COPIES; i++)
      tr->ends[t][i] =
          crl_vec_env_terminated(v)[i] + 2 * crl_vec_env_truncated(v)[i];
  }
  tr->episodes = crl_vec_env_episodes(v);
  tr->recent_return = crl_vec_env_recent_return(v);
  crl_vec_env_free(v);
}

typedef struct ve_job {
  member m;
  ve_trace *tr;
} ve_job;

static void *ve_thread(void *arg) {
  ve_job *j = arg;
  run_vec_env(&j->m.group, j->tr);
  return NULL;
}

static void test_shared_vec_env(void **state) {
  (void)state;
  ve_trace *alone = calloc(1, sizeof *alone);
  assert_non_null(alone);
  run_vec_env(NULL, alone);
  assert_int_equal(alone->episodes, 2 * VE_COPIES);
  for (int K = 2; K <= 4; K += 2) {
    shared s = {.size = K};
    pthread_barrier_init(&s.barrier, NULL, (unsigned)K);
    ve_job jobs[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    for (int r = 0; r < K; r++) {
      member_init(&jobs[r].m, &s, r);
      jobs[r].tr = calloc(1, sizeof *jobs[r].tr);
      assert_non_null(jobs[r].tr);
      pthread_create(&th[r], NULL, ve_thread, &jobs[r]);
    }
    for (int r = 0; r < K; r++) {
      pthread_join(th[r], NULL);
      assert_memory_equal(jobs[r].tr, alone, sizeof *alone);
      free(jobs[r].tr);
    }
    pthread_barrier_destroy(&s.barrier);
  }
  free(alone);
}

static void test_vec_env_refuses_uneven_share(void **state) {
  (void)state;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 3, 0, &v), 0);
  crl_group g = {0, 2, NULL, thread_sum, thread_gather};
  assert_int_equal(crl_vec_env_share(v, &g), CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "3 copies cannot be shared"));
  crl_vec_env_free(v);
}

/* ---- PPO ----------------------------------------------------------------- */

#define ITERATIONS 3
#define PROBES 16

typedef struct ppo_trace {
  crl_algo_stats stats[ITERATIONS];
  crl_real actions[PROBES];
} ppo_trace;

/* The on-policy algorithm under test: "ppo", "a2c", "trpo" or "trpo_sde"
 * (TRPO with gSDE). */
static const char *onp_algo = "ppo";

/* Algorithm `name` with the settings kv (key, value, ..., NULL) for the
 * spaces of v, n_envs copies, seed. */
static crl_algo *make_algo(const char *name, const char *const *kv,
                           crl_vec_env *v, int n_envs, uint64_t seed) {
  const crl_algo_type *t = crl_algo_find(name);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(v),
                                  crl_vec_env_act_space(v), n_envs, seed,
                                  &algo),
                   0);
  crl_algo_spec_free(spec);
  return algo;
}

static crl_algo *make_ppo(const char *shards, int epochs, crl_vec_env *v) {
  const char *ppo_kv[] = {
      "n_steps",       "64",   "batch_size", "64",   "ent_coef",         "0.05",
      "clip_range_vf", "0.2",  "normalize",  "true", "normalize_reward", "true",
      "learning_rate", "1e-3", NULL};
  const char *a2c_kv[] = {
      "n_steps",          "16",   "ent_coef",      "0.05", "normalize", "true",
      "normalize_reward", "true", "learning_rate", "1e-3", NULL};
  const char *trpo_kv[] = {"n_steps",
                           "64",
                           "batch_size",
                           "32",
                           "n_critic_updates",
                           "3",
                           "normalize",
                           "true",
                           "normalize_reward",
                           "true",
                           "target_kl",
                           "0.05",
                           "learning_rate",
                           "1e-3",
                           "sub_sampling_factor",
                           "1",
                           NULL};
  const int is_ppo = strcmp(onp_algo, "ppo") == 0;
  const char *const *kv = is_ppo                         ? ppo_kv
                          : strcmp(onp_algo, "a2c") == 0 ? a2c_kv
                                                         : trpo_kv;
  const int sde = strcmp(onp_algo, "trpo_sde") == 0;
  const crl_algo_type *t = crl_algo_find(sde ? "trpo" : onp_algo);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "grad_shards", shards), 0);
  if (sde)
    assert_int_equal(crl_algo_spec_set(t, spec, "use_sde", "true"), 0);
  char e[8];
  snprintf(e, sizeof e, "%d", epochs);
  if (is_ppo)
    assert_int_equal(crl_algo_spec_set(t, spec, "n_epochs", e), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(v),
                                  crl_vec_env_act_space(v), crl_vec_env_n(v),
                                  11, &algo),
                   0);
  crl_algo_spec_free(spec);
  return algo;
}

/* Deterministic actions on fixed observations. */
static void probe(crl_algo *algo, crl_real *out) {
  crl_real obs[PROBES * 3];
  for (int i = 0; i < PROBES * 3; i++)
    obs[i] = (crl_real)(cos(0.7 * i) * (i % 3 == 2 ? 4.0 : 1.0));
  assert_int_equal(crl_algo_act(algo, obs, PROBES, 1, out), 0);
}

static void run_ppo(const crl_group *g, const char *shards, int epochs,
                    int iterations, ppo_trace *tr) {
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 4, 11, &v), 0);
  assert_int_equal(crl_vec_env_share(v, g), 0);
  crl_algo *algo = make_ppo(shards, epochs, v);
  assert_int_equal(crl_algo_set_group(algo, g, NULL), 0);
  assert_int_equal(crl_vec_env_reset(v), 0);
  for (int k = 0; k < iterations; k++) {
    crl_algo_stats *st = &tr->stats[k];
    memset(st, 0, sizeof *st); /* padding too: traces are compared as bytes */
    int rc = crl_algo_iterate(algo, v, 1.0, st);
    if (rc)
      fail_msg("iterate: %s", crl_last_error());
  }
  probe(algo, tr->actions);
  crl_algo_free(algo);
  crl_vec_env_free(v);
}

typedef struct ppo_job {
  member m;
  ppo_trace tr;
} ppo_job;

static const char *job_shards;

static void *ppo_thread(void *arg) {
  ppo_job *j = arg;
  run_ppo(&j->m.group, job_shards, 3, ITERATIONS, &j->tr);
  return NULL;
}

static void over_threads_is_alone(void) {
  const char *names[] = {"", "", "2", "", "4"};
  for (int K = 2; K <= 4; K += 2) {
    ppo_trace alone;
    run_ppo(NULL, names[K], 3, ITERATIONS, &alone);
    assert_true(alone.stats[ITERATIONS - 1].n_updates > 0);
    shared s = {.size = K};
    pthread_barrier_init(&s.barrier, NULL, (unsigned)K);
    ppo_job *jobs = calloc((size_t)K, sizeof *jobs);
    assert_non_null(jobs);
    pthread_t th[MAX_THREADS];
    job_shards = names[K];
    for (int r = 0; r < K; r++) {
      member_init(&jobs[r].m, &s, r);
      pthread_create(&th[r], NULL, ppo_thread, &jobs[r]);
    }
    for (int r = 0; r < K; r++)
      pthread_join(th[r], NULL);
    for (int r = 0; r < K; r++)
      assert_memory_equal(&jobs[r].tr, &alone, sizeof alone);
    free(jobs);
    pthread_barrier_destroy(&s.barrier);
  }
}

static void test_onpolicy_over_threads_is_alone(void **state) {
  (void)state;
  onp_algo = "ppo";
  over_threads_is_alone();
  onp_algo = "a2c";
  over_threads_is_alone();
  onp_algo = "trpo"; /* its gradient, every Fisher-vector product, the line
                        search and the critic's minibatches */
  over_threads_is_alone();
  onp_algo = "trpo_sde";
  over_threads_is_alone();
  onp_algo = "ppo";
}

/* The largest |a - b| over the probe actions. */
static double max_diff(const ppo_trace *a, const ppo_trace *b) {
  double d = 0.0;
  for (int i = 0; i < PROBES; i++)
    d = fmax(d, fabs((double)a->actions[i] - (double)b->actions[i]));
  return d;
}

/* PPO: one iteration of 4 epochs x 4 minibatches, 16 Adam steps; A2C:
 * three iterations, three RMSprop steps; TRPO: one natural-gradient step
 * (its gradient, the products of the solve and the line search in parts)
 * and 3 epochs of critic minibatches. Each moves the policy's mean by up
 * to ~1e-3; parts that do not add up to the whole would move it
 * elsewhere. */
static void shards_split_the_sum_only(int iterations) {
  ppo_trace one, three, other_seed;
  run_ppo(NULL, "1", 4, iterations, &one);
  run_ppo(NULL, "3", 4, iterations, &three);
  double d = max_diff(&one, &three);
  /* Rounding only, far below what one step of learning changes: a part
   * whose policy, value or entropy term is not weighted by its share m/M
   * of the minibatch fails this (each of the three was tried). */
  assert_true(d < 2e-5);
  /* ... and the learning itself moves the actions much more than that. */
  run_ppo(NULL, "1", 4, 0, &other_seed); /* the untrained policy */
  assert_true(max_diff(&one, &other_seed) > 100 * fmax(d, 1e-7));
  assert_true(fabs(one.stats[0].value_loss - three.stats[0].value_loss) <
              1e-5 * fabs(one.stats[0].value_loss));
  assert_true(fabs(one.stats[0].entropy - three.stats[0].entropy) < 1e-5);
}

static void test_shards_split_the_sum_only(void **state) {
  (void)state;
  onp_algo = "ppo";
  shards_split_the_sum_only(1);
  onp_algo = "a2c";
  shards_split_the_sum_only(ITERATIONS);
  onp_algo = "trpo";
  shards_split_the_sum_only(1);
  onp_algo = "ppo";
}

/* ---- GRPO and REINFORCE: every process runs the episodes, each computes
 * a part of the update -------------------------------------------------- */

typedef struct grpo_job {
  member m;
  ppo_trace tr;
} grpo_job;

static const char *episodic_algo = "grpo"; /* or "reinforce" */

static void run_grpo(const crl_group *g, const char *shards, ppo_trace *tr) {
  const char *grpo_kv[] = {"group_size", "4",   "n_groups",    "2",
                           "batch_size", "64",  "n_epochs",    "2",
                           "kl_coef",    "0.1", "grad_shards", shards,
                           NULL};
  const char *reinforce_kv[] = {
      "n_steps",       "400",  "vf_iters",    "3",    "baseline", "true",
      "learning_rate", "1e-3", "grad_shards", shards, NULL};
  const char *const *kv =
      strcmp(episodic_algo, "grpo") == 0 ? grpo_kv : reinforce_kv;
  crl_vec_env *v = NULL; /* replicated: the run's seed in every process */
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 11, &v), 0);
  crl_algo *algo = make_algo(episodic_algo, kv, v, 1, 11);
  int own = 0;
  assert_int_equal(crl_algo_set_group(algo, g, &own), 0);
  assert_int_equal(own, CRL_ENVS_REPLICATED);
  assert_int_equal(crl_vec_env_reset(v), 0);
  for (int k = 0; k < ITERATIONS; k++) {
    memset(&tr->stats[k], 0, sizeof tr->stats[k]);
    if (crl_algo_iterate(algo, v, 1.0, &tr->stats[k]))
      fail_msg("iterate: %s", crl_last_error());
  }
  probe(algo, tr->actions);
  crl_algo_free(algo);
  crl_vec_env_free(v);
}

static void *grpo_thread(void *arg) {
  grpo_job *j = arg;
  run_grpo(&j->m.group, "2", &j->tr);
  return NULL;
}

/* Two processes compute what one with grad_shards 2 computes, and that is
 * rounding away from one part. */
static void episodic_over_threads_is_alone(void) {
  ppo_trace alone, one;
  run_grpo(NULL, "2", &alone);
  run_grpo(NULL, "1", &one);
  assert_true(max_diff(&alone, &one) < 2e-5);
  shared s = {.size = 2};
  pthread_barrier_init(&s.barrier, NULL, 2);
  grpo_job jobs[2];
  pthread_t th[2];
  for (int r = 0; r < 2; r++) {
    member_init(&jobs[r].m, &s, r);
    pthread_create(&th[r], NULL, grpo_thread, &jobs[r]);
  }
  for (int r = 0; r < 2; r++)
    pthread_join(th[r], NULL);
  for (int r = 0; r < 2; r++)
    assert_memory_equal(&jobs[r].tr, &alone, sizeof alone);
  pthread_barrier_destroy(&s.barrier);
}

static void test_episodic_over_threads_is_alone(void **state) {
  (void)state;
  episodic_algo = "grpo";
  episodic_over_threads_is_alone();
  episodic_algo = "reinforce"; /* the policy and the value steps */
  episodic_over_threads_is_alone();
}

static void test_group_that_does_not_fit(void **state) {
  (void)state;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 4, 0, &v), 0);
  crl_algo *algo = make_ppo("1", 1, v);
  crl_group g = {0, 2, NULL, thread_sum, thread_gather};
  assert_int_equal(crl_algo_set_group(algo, &g, NULL), CRL_EUNSUPPORTED);
  assert_non_null(strstr(crl_last_error(), "needs grad_shards: 2 (it is 1)"));
  crl_algo_free(algo);
  /* An algorithm that has no data-parallel form. */
  const crl_algo_type *t = crl_algo_find("crossq");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(v),
                                  crl_vec_env_act_space(v), 4, 0, &algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_algo_set_group(algo, &g, NULL), CRL_EUNSUPPORTED);
  assert_non_null(strstr(crl_last_error(), "cannot run data parallel"));
  crl_group alone = {0, 1, NULL, NULL, NULL};
  assert_int_equal(crl_algo_set_group(algo, &alone, NULL), 0);
  crl_algo_free(algo);
  crl_vec_env_free(v);
}

/* ---- off-policy, DDP style ---------------------------------------------- */

typedef struct off_job {
  member m;
  const char *algo;
  const char *normalize; /* "true": observations and rewards */
  crl_real actions[PROBES];
  double critic_loss; /* the last iteration's: differs between threads */
} off_job;

static crl_algo *make_off(const char *name, crl_vec_env *v,
                          const char *normalize) {
  const char *kv[] = {"learning_starts",
                      "100",
                      "batch_size",
                      "32",
                      "iteration_steps",
                      "100",
                      "policy_kwargs.net_arch",
                      "[32, 32]",
                      "normalize",
                      normalize,
                      "normalize_reward",
                      normalize,
                      NULL};
  return make_algo(name, kv, v, 1, 5);
}

static void *off_thread(void *arg) {
  off_job *j = arg;
  const crl_group *g = &j->m.group;
  crl_vec_env *v = NULL;
  assert_int_equal(
      crl_vec_env_make("Pendulum-v1", 1, crl_group_seed(5, g->rank), &v), 0);
  crl_algo *algo = make_off(j->algo, v, j->normalize);
  int own = 0;
  assert_int_equal(crl_algo_set_group(algo, g, &own), 0);
  assert_int_equal(own, 1);
  assert_int_equal(crl_vec_env_reset(v), 0);
  crl_algo_stats st = {0};
  for (int k = 0; k < 4; k++)
    if (crl_algo_iterate(algo, v, 1.0, &st))
      fail_msg("iterate: %s", crl_last_error());
  j->critic_loss = st.value_loss;
  probe(algo, j->actions);
  crl_algo_free(algo);
  crl_vec_env_free(v);
  return NULL;
}

static void run_off(const char *algo, const char *normalize, int K,
                    off_job *jobs) {
  shared s = {.size = K};
  pthread_barrier_init(&s.barrier, NULL, (unsigned)K);
  pthread_t th[MAX_THREADS];
  for (int r = 0; r < K; r++) {
    member_init(&jobs[r].m, &s, r);
    jobs[r].algo = algo;
    jobs[r].normalize = normalize;
    pthread_create(&th[r], NULL, off_thread, &jobs[r]);
  }
  for (int r = 0; r < K; r++)
    pthread_join(th[r], NULL);
  pthread_barrier_destroy(&s.barrier);
}

static void test_offpolicy_over_threads(void **state) {
  (void)state;
  const char *algos[] = {"sac", "td3"};
  for (int a = 0; a < 2; a++) {
    off_job first[2], again[2];
    run_off(algos[a], "false", 2, first);
    run_off(algos[a], "false", 2, again);
    /* One set of parameters, learnt from two replay buffers. */
    assert_memory_equal(first[0].actions, first[1].actions,
                        sizeof first[0].actions);
    assert_true(first[0].critic_loss != first[1].critic_loss);
    /* Same number of processes, same seed: same bits. */
    for (int r = 0; r < 2; r++) {
      assert_memory_equal(first[r].actions, again[r].actions,
                          sizeof first[r].actions);
      assert_true(first[r].critic_loss == again[r].critic_loss);
    }
  }
}

/* With normalize and normalize_reward, every process's running statistics
 * learn from every process's rows (gathered in rank order): the probe
 * actions, which go through the observation statistics, are the same on
 * both, and their critics' losses (rewards scaled by the return
 * statistics) follow one set of parameters and statistics. */
static void test_offpolicy_normalisers_merged(void **state) {
  (void)state;
  off_job first[2], again[2], plain[2];
  run_off("sac", "true", 2, first);
  run_off("sac", "true", 2, again);
  run_off("sac", "false", 2, plain);
  assert_memory_equal(first[0].actions, first[1].actions,
                      sizeof first[0].actions);
  for (int r = 0; r < 2; r++)
    assert_memory_equal(first[r].actions, again[r].actions,
                        sizeof first[r].actions);
  /* ... and normalising changed what was learnt. */
  assert_memory_not_equal(first[0].actions, plain[0].actions,
                          sizeof first[0].actions);
}

static void test_offpolicy_refusals(void **state) {
  (void)state;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 0, &v), 0);
  const crl_algo_type *t = crl_algo_find("sac");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "train_freq_unit", "episode"), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(v),
                                  crl_vec_env_act_space(v), 1, 5, &algo),
                   0);
  crl_algo_spec_free(spec);
  crl_group g = {0, 2, NULL, thread_sum, thread_gather};
  assert_int_equal(crl_algo_set_group(algo, &g, NULL), CRL_EUNSUPPORTED);
  assert_non_null(strstr(crl_last_error(), "train_freq in episodes"));
  crl_algo_free(algo);
  crl_vec_env_free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shared_vec_env),
      cmocka_unit_test(test_vec_env_refuses_uneven_share),
      cmocka_unit_test(test_onpolicy_over_threads_is_alone),
      cmocka_unit_test(test_shards_split_the_sum_only),
      cmocka_unit_test(test_episodic_over_threads_is_alone),
      cmocka_unit_test(test_group_that_does_not_fit),
      cmocka_unit_test(test_offpolicy_over_threads),
      cmocka_unit_test(test_offpolicy_normalisers_merged),
      cmocka_unit_test(test_offpolicy_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
