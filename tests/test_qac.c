/* The book's actor-critics (Zhao, Algorithms 10.1-10.3): the q critic's
 * backward pass against finite differences, each mode on the short
 * corridor (the final policy's value, computed exactly from its P(right)),
 * the advantage actor-critic on CartPole-v1, Box actions, determinism and
 * spec validation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algos/qac.h"
#include "crl/crl.h"
#include "pg_test.h"

static const crl_algo_type *qac_type(void) {
  const crl_algo_type *t = crl_algo_find("qac");
  assert_non_null(t);
  return t;
}

/* A qac instance for env (not trained), with overrides. */
static crl_algo *make(const char *env_name, int n_envs, uint64_t seed,
                      const char *const *kv, crl_vec_env **venv) {
  const crl_algo_type *t = qac_type();
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    if (crl_algo_spec_set(t, spec, kv[i], kv[i + 1]))
      fail_msg("set %s: %s", kv[i], crl_last_error());
  assert_int_equal(crl_vec_env_make(env_name, n_envs, seed, venv), 0);
  crl_algo *algo = NULL;
  if (crl_algo_alloc(t, spec, crl_vec_env_obs_space(*venv),
                     crl_vec_env_act_space(*venv), n_envs, seed, &algo))
    fail_msg("alloc: %s", crl_last_error());
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(*venv), 0);
  return algo;
}

/* Train until `episodes` episodes ended or `steps` steps were taken. */
static crl_algo *train(const char *env_name, uint64_t seed, long episodes,
                       long steps, const char *const *kv) {
  crl_vec_env *venv = NULL;
  crl_algo *algo = make(env_name, 1, seed, kv, &venv);
  long done = 0;
  while ((episodes == 0 || crl_vec_env_episodes(venv) < episodes) &&
         (steps == 0 || done < steps)) {
    crl_algo_stats st;
    double left = steps ? 1.0 - (double)done / steps : 1.0;
    if (crl_algo_iterate(algo, venv, left, &st))
      fail_msg("iterate: %s", crl_last_error());
    done += st.steps;
  }
  crl_vec_env_free(venv);
  return algo;
}

/* ---- the q critic's backward pass ------------------------------------ */

/* The self of a crl_algo is its second member (lib/algo.c): reach the qac
 * state through a type-punned view of the handle's layout. */
typedef struct algo_view {
  const crl_algo_type *type;
  void *self;
} algo_view;

static void check_q_gradient(const char *env_name, const char *const *kv) {
  crl_vec_env *venv = NULL;
  crl_algo *algo = make(env_name, 2, 0, kv, &venv);
  qac *p = ((algo_view *)(void *)algo)->self;
  qnet *q = &p->q;
  crl_real obs[2 * 8], act[2 * 4], qv[2], dq[2] = {0.7f, -1.3f};
  memcpy(obs, crl_vec_env_obs(venv), (size_t)2 * p->D * sizeof *obs);
  for (int i = 0; i < 2 * p->A; i++)
    act[i] = p->pol->discrete ? (crl_real)(i % 2) : (crl_real)(0.3 * i - 0.2);
  memset(q->grads, 0, q->n * sizeof *q->grads);
  assert_int_equal(crl__qnet_forward(q, obs, act, 2, qv), 0);
  assert_int_equal(crl__qnet_backward(q, act, dq, 2), 0);
  for (size_t j = 0; j < q->n; j += q->n / 23 + 1) {
    crl_real save = q->params[j];
    double h = 1e-3, f[2];
    for (int s = 0; s < 2; s++) {
      q->params[j] = (crl_real)(save + (s ? -h : h));
      assert_int_equal(crl__qnet_forward(q, obs, act, 2, qv), 0);
      f[s] = dq[0] * (double)qv[0] + dq[1] * (double)qv[1];
    }
    q->params[j] = save;
    double fd = (f[0] - f[1]) / (2 * h);
    assert_true(fabs(fd - q->grads[j]) < 2e-2 * (1 + fabs(fd)));
  }
  crl_algo_free(algo);
  crl_vec_env_free(venv);
}

static void test_q_critic_gradient(void **unused) {
  (void)unused;
  static const char *const mlp[] = {"policy_kwargs.net_arch", "[8]", NULL};
  static const char *const lin[] = {"policy_kwargs.linear", "true", NULL};
  check_q_gradient("CartPole-v1", mlp); /* obs -> K values */
  check_q_gradient("Pendulum-v1", mlp); /* [obs, action] -> 1 */
  check_q_gradient("CartPole-v1", lin); /* q(s, a) = w_a . x(s) */
}

/* ---- the short corridor ---------------------------------------------- */

/* P(right) of the learned policy by sampling, and its exact value
 * v(S0) = -2 (2 - p) / (p (1 - p)). */
static double corridor_value(crl_algo *algo) {
  crl_real obs = 1, a;
  int right = 0;
  const int n = 20000;
  for (int i = 0; i < n; i++) {
    assert_int_equal(crl_algo_act(algo, &obs, 1, 0, &a), 0);
    right += a == 1;
  }
  double p = (double)right / n;
  return -2 * (2 - p) / (p * (1 - p));
}

static void test_corridor_modes(void **unused) {
  (void)unused;
  const char *modes[] = {"qac", "a2c", "off_policy"};
  const double want[] = {-14.0, -14.0, -20.0};
  for (int m = 0; m < 3; m++) {
    const char *const kv[] = {"mode",
                              modes[m],
                              "n_steps",
                              "10",
                              "gamma",
                              "1",
                              "learning_rate",
                              "0.0001220703125",
                              "critic_learning_rate",
                              "0.015625",
                              "prob_floor",
                              "0.05",
                              "policy_kwargs.linear",
                              "true",
                              "policy_kwargs.theta_init",
                              "[0, -2.944439]",
                              NULL};
    double sum = 0;
    for (int s = 0; s < 3; s++) {
      crl_algo *algo = train("ShortCorridor-v0", (uint64_t)s, 1000, 0, kv);
      sum += corridor_value(algo);
      crl_algo_free(algo);
    }
    printf("# corridor %s, 1000 episodes, 3 runs: v(S0) of the final policy "
           "%.2f (v* = -11.66, start -82.1)\n",
           modes[m], sum / 3);
    assert_true(sum / 3 > want[m]);
  }
}

/* ---- CartPole and Box actions ------------------------------------------- */

/* The advantage actor-critic with Adam
 * (experiments/cartpole/qac_a2c_adam.yaml): seeds 0-4 evaluate at 500 after
 * 100k steps. */
static void test_cartpole_a2c(void **unused) {
  (void)unused;
  static const char *const kv[] = {"mode", "a2c", "optimizer", "adam", NULL};
  crl_algo *algo = train("CartPole-v1", 0, 0, 100000, kv);
  double mean = 0, sd = 0;
  assert_int_equal(crl_evaluate(algo, "CartPole-v1", 20, 100, &mean, &sd, NULL),
                   0);
  printf("# CartPole-v1 qac mode=a2c (Adam) 100k steps, seed 0: eval %.1f +- "
         "%.1f\n",
         mean, sd);
  assert_true(mean >= 475.0);
  crl_algo_free(algo);
}

static void test_box_actions_run(void **unused) {
  (void)unused;
  const char *modes[] = {"qac", "a2c", "off_policy"};
  for (int m = 0; m < 3; m++) {
    const char *const kv[] = {
        "mode", modes[m], "behavior", "mixture", "policy_kwargs.net_arch",
        "[16]", NULL};
    crl_algo *algo = train("Pendulum-v1", 2, 0, 1000, kv);
    double mean = 0;
    assert_int_equal(crl_evaluate(algo, "Pendulum-v1", 1, 0, &mean, NULL, NULL),
                     0);
    assert_true(isfinite(mean));
    crl_algo_free(algo);
  }
}

static void test_same_seed_same_result(void **unused) {
  (void)unused;
  static const char *const kv[] = {"mode", "off_policy", "n_steps", "50", NULL};
  crl_algo *x = train("CartPole-v1", 4, 0, 500, kv);
  crl_algo *y = train("CartPole-v1", 4, 0, 500, kv);
  crl_real obs[4] = {0.01f, 0.2f, -0.03f, -0.1f}, a[16], b[16];
  for (int k = 0; k < 16; k++) {
    obs[1] = 0.1f * (crl_real)(k - 8);
    assert_int_equal(crl_algo_act(x, obs, 1, 0, &a[k]), 0);
    assert_int_equal(crl_algo_act(y, obs, 1, 0, &b[k]), 0);
  }
  assert_memory_equal(a, b, sizeof a);
  crl_algo_free(x);
  crl_algo_free(y);
}

static void test_checkpoint_resume_and_export(void **unused) {
  (void)unused;
  static const char *const q_adam[] = {"mode",    "qac", "optimizer", "adam",
                                       "n_steps", "30",  NULL};
  static const char *const linear[] = {"mode",
                                       "a2c",
                                       "n_steps",
                                       "30",
                                       "policy_kwargs.linear",
                                       "true",
                                       "prob_floor",
                                       "0.05",
                                       "policy_kwargs.theta_init",
                                       "[0.0, -2.944438979]",
                                       NULL};
  static const char *const box[] = {"mode", "off_policy", "n_steps", "30",
                                    NULL};
  pg_check_resume("qac", "CartPole-v1", 2, q_adam, NULL);
  pg_check_resume("qac", "ShortCorridor-v0", 2, linear, NULL);
  pg_check_resume("qac", "Pendulum-v1", 2, box, q_adam);
}

static void test_spec_validation(void **unused) {
  (void)unused;
  const crl_algo_type *t = qac_type();
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "mode", "sarsa"), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "qac|a2c|off_policy"));
  assert_int_equal(crl_algo_spec_set(t, spec, "behavior", "greedy"),
                   CRL_EFORMAT);
  assert_int_equal(crl_algo_spec_set(t, spec, "policy_kwargs.linear", "true"),
                   0);
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("Pendulum-v1", &env), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 1, 0, &algo),
                   CRL_EUNSUPPORTED);
  assert_null(algo);
  crl_env_free(env);
  crl_algo_spec_free(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_validation),
      cmocka_unit_test(test_q_critic_gradient),
      cmocka_unit_test(test_same_seed_same_result),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_box_actions_run),
      cmocka_unit_test(test_corridor_modes),
      cmocka_unit_test(test_cartpole_a2c),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
