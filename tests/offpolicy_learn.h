/* Shared by test_ddpg.c, test_td3.c and test_sac.c: train an algorithm on
 * Pendulum-v1 (RLtools' small configuration, keys below) on a fixed seed
 * and evaluate it along the way.
 *
 * Why the best of several evaluations: a fixed seed fixes the run only
 * within one build; the double build, another ISA's kernels or a change of
 * summation order make it another run. On Pendulum these small off-policy
 * learners reach about -150 within 5-8k steps on most seeds but may swing
 * away for a thousand steps now and then, so a single final evaluation
 * would test luck. The best of the evaluations in the last few thousand
 * steps is >= -400 for every seed tried (0-5; an untrained policy scores
 * about -1200 to -1500). */
#ifndef CRL_TESTS_OFFPOLICY_LEARN_H
#define CRL_TESTS_OFFPOLICY_LEARN_H

#include <stdio.h>

#include "crl/crl.h"

/* Keys every learning test shares (RLtools' small Pendulum setting). */
#define SMALL_PENDULUM_TRAIN_KEYS                                              \
  "learning_rate", "1e-3", "adam_eps", "1e-7", "buffer_size", "10000",         \
      "learning_starts", "100", "batch_size", "100", "gamma", "0.99"
#define SMALL_PENDULUM_KEYS                                                    \
  SMALL_PENDULUM_TRAIN_KEYS, "tau", "0.005", "policy_kwargs.net_arch",         \
      "[64, 64]"

/* Train `algo` with kv for `steps` env steps, evaluating (10 episodes)
 * after every 1000 steps from eval_from on; returns the best mean. */
static double train_best_eval(const char *name, const char *const *kv,
                              uint64_t seed, long steps, long eval_from) {
  const crl_algo_type *t = crl_algo_find(name);
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, seed, &venv), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                                  crl_vec_env_act_space(venv), 1, seed, &algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  double best = -1e30;
  long done = 0;
  printf("# %s Pendulum-v1 seed %d:", name, (int)seed);
  while (done < steps) {
    crl_algo_stats st;
    int rc = crl_algo_iterate(algo, venv, 1.0 - (double)done / steps, &st);
    if (rc)
      fail_msg("iterate: %s", crl_last_error());
    assert_int_equal(st.steps, 1000); /* iteration_steps' default */
    done += st.steps;
    if (done >= eval_from) {
      double mean = 0;
      assert_int_equal(
          crl_evaluate(algo, "Pendulum-v1", 10, 100, &mean, NULL, NULL), 0);
      printf(" %ldk %.0f", done / 1000, mean);
      best = mean > best ? mean : best;
    }
  }
  printf("\n");
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  return best;
}

#endif
