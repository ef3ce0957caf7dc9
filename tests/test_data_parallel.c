/* Data parallel runs (crl/group.h) without MPI, K threads playing the K
 * processes (thread_group.h), on a shared vec env:
 *   - a shared vec env holds, on every thread, what one vec env stepping
 *     all copies holds: observations, rewards, end flags, episode counts
 *     and returns, bit for bit;
 *   - PPO, A2C and TRPO (also with gSDE) over K threads with grad_shards K
 *     compute, bit for bit, what one of them with grad_shards K computes
 *     alone (every iteration's statistics and the policy's actions), with
 *     observation and reward normalisation on;
 *   - grad_shards only splits the sum: 3 parts learn what 1 part learns
 *     up to rounding, and a part whose share of the mean is wrong fails
 *     this;
 *   - a group that does not fit is refused with a message.
 * test_data_parallel_own.c has the algorithms that step envs of their own. */
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
#include "thread_group.h"

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

/* The on-policy algorithm under test: "ppo", "a2c", "trpo" or "trpo_sde"
 * (TRPO with gSDE). */
static const char *onp_algo = "ppo";

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shared_vec_env),
      cmocka_unit_test(test_vec_env_refuses_uneven_share),
      cmocka_unit_test(test_onpolicy_over_threads_is_alone),
      cmocka_unit_test(test_shards_split_the_sum_only),
      cmocka_unit_test(test_group_that_does_not_fit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
