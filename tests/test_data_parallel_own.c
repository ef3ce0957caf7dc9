/* Data parallel runs (crl/group.h) without MPI, K threads playing the K
 * processes (thread_group.h), for the algorithms whose processes step env
 * copies of their own:
 *   - GRPO and REINFORCE on replicas of the one copy (the run's seed): K
 *     threads with grad_shards K compute, bit for bit, what one of them
 *     with grad_shards K computes alone, rounding away from one part;
 *   - SAC and TD3 over K threads (each its own envs, replay and
 *     exploration, the gradients averaged) hold the same parameters on
 *     every thread, and run again give the same bits; with normalize and
 *     normalize_reward, the merged statistics give every thread the same
 *     actions;
 *   - train_freq in episodes is refused. */
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
      cmocka_unit_test(test_episodic_over_threads_is_alone),
      cmocka_unit_test(test_offpolicy_over_threads),
      cmocka_unit_test(test_offpolicy_normalisers_merged),
      cmocka_unit_test(test_offpolicy_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
