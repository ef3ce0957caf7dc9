/* The off-policy building blocks: dQ/da through the critic against finite
 * differences, the shared loop's bookkeeping (warm-up, train_freq,
 * gradient_steps, truncation stored as non-terminal with the true final
 * observation), and the DDPG/TD3/SAC/TQC specs: validation, Discrete
 * rejection, determinism, resume and export. Learning itself is in
 * test_{ddpg,td3,sac}.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/crl.h"
#include "grad_check.h"
#include "offpolicy_algo.h"
#include "rl/offpolicy.h"
#include "rl/qcritic.h"

#if CRL_REAL_IS_DOUBLE
#define FD_H 1e-4
#define GRAD_TOL 1e-6
#else
#define FD_H 1e-2
#define GRAD_TOL 3e-3
#endif

/* ---- dQ/da --------------------------------------------------------------- */

enum { NC = 2, OD = 3, AD = 2, NB = 4 };

typedef struct qctx {
  crl__qcritic *qc;
  crl_real obs[NB * OD], act[NB * AD], w[NC * NB], q[NB];
} qctx;

/* L = sum_k sum_i w[k, i] Q_k(obs_i, act_i). */
static double q_objective(qctx *c) {
  assert_int_equal(crl__qcritic_set_input(c->qc, c->obs, c->act, NB), 0);
  double acc = 0.0;
  for (int k = 0; k < NC; k++) {
    assert_int_equal(crl__qcritic_forward(c->qc, k, c->q), 0);
    for (int i = 0; i < NB; i++)
      acc += (double)c->w[k * NB + i] * c->q[i];
  }
  return acc;
}

/* Five-point finite difference of q_objective along v[j]. */
static double q_fd(qctx *c, crl_real *v) {
  static const double off[4] = {-2, -1, 1, 2}, wt[4] = {1, -8, 8, -1};
  const crl_real v0 = *v;
  const double h = FD_H * fmax(1.0, fabs((double)v0));
  double acc = 0.0;
  for (int k = 0; k < 4; k++) {
    *v = (crl_real)(v0 + off[k] * h);
    acc += wt[k] * q_objective(c);
  }
  *v = v0;
  return acc / (12 * h);
}

static void expect_close(const char *what, const double *ana, const double *num,
                         int n) {
  const double worst = max_rel_err(ana, num, (size_t)n);
  if (worst > GRAD_TOL)
    print_message("%s: rel err %.3g\n", what, worst);
  assert_true(worst <= GRAD_TOL);
}

static void test_critic_action_gradient(void **state) {
  (void)state;
  qctx c;
  const crl_int_list hidden = {2, {8, 6}};
  /* tanh: smooth, so finite differences need no care about ReLU kinks */
  assert_int_equal(
      crl__qcritic_alloc(NC, OD, AD, &hidden, CRL_ACT_TANH, NB, &c.qc), 0);
  gsl_rng *rng = crl_rng_alloc(1, 3000);
  assert_int_equal(crl__qcritic_init(c.qc, rng), 0);
  for (int i = 0; i < NB * OD; i++)
    c.obs[i] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  for (int i = 0; i < NB * AD; i++)
    c.act[i] = (crl_real)(2 * gsl_rng_uniform(rng) - 1);
  for (int i = 0; i < NC * NB; i++)
    c.w[i] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  gsl_rng_free(rng);

  crl_real dact[NB * AD];
  for (int i = 0; i < NB * AD; i++)
    dact[i] = (crl_real)(0.1 * i); /* ADD: the increment is compared */
  q_objective(&c);
  crl__qcritic_zero_grad(c.qc);
  for (int k = 0; k < NC; k++)
    assert_int_equal(crl__qcritic_backward(c.qc, k, c.w + k * NB, dact), 0);
  double ana[NB * AD], num[NB * AD];
  for (int i = 0; i < NB * AD; i++) {
    ana[i] = (double)dact[i] - 0.1 * i;
    num[i] = q_fd(&c, &c.act[i]);
  }
  expect_close("dQ/da", ana, num, NB * AD);

  /* parameter gradients of both critics (the views' offsets) */
  const size_t P = c.qc->n_params;
  double *pa = malloc(P * sizeof *pa), *pn = malloc(P * sizeof *pn);
  for (size_t i = 0; i < P; i++) {
    pa[i] = c.qc->grads[i];
    pn[i] = q_fd(&c, &c.qc->params[i]);
  }
  expect_close("dQ/dtheta", pa, pn, (int)P);
  free(pa);
  free(pn);
  crl__qcritic_free(c.qc);
  crl__qcritic_free(NULL);
}

/* ---- the shared loop ----------------------------------------------------- */

/* A recording algorithm: constant actions, counts the loop's calls. */
typedef struct recorder {
  int explore_calls, updates;
  long first_update_at; /* loop->num_timesteps at the first update */
  crl__offpolicy *loop;
} recorder;

static int recorder_explore(void *self, const crl_real *obs, int B,
                            crl_real *action) {
  (void)obs;
  recorder *s = self;
  s->explore_calls++;
  for (int i = 0; i < B * s->loop->act_dim; i++)
    action[i] = (crl_real)0.5;
  return 0;
}

static int recorder_update(void *self, const crl_replay_batch *b,
                           crl__offpolicy_losses *acc) {
  recorder *s = self;
  assert_int_equal(b->n, 16);
  if (s->updates++ == 0)
    s->first_update_at = s->loop->num_timesteps;
  acc->critic_loss += 1.0;
  acc->n_critic++;
  return 0;
}

static crl__offpolicy_spec loop_spec(void) {
  crl__offpolicy_spec sp = {.buffer_size = 1000,
                            .learning_starts = 50,
                            .batch_size = 16,
                            .tau = 0.005,
                            .gamma = 0.99,
                            .train_freq = 5,
                            .gradient_steps = -1,
                            .noise_type = CRL_NOISE_NONE,
                            .noise_std = 0.1,
                            .adam_eps = 1e-8,
                            .iteration_steps = 245};
  return sp;
}

static void test_loop_bookkeeping(void **state) {
  (void)state;
  enum { N = 2 };
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", N, 4, &venv), 0);
  const crl_space *os = crl_vec_env_obs_space(venv);
  const crl_space *as = crl_vec_env_act_space(venv);
  assert_int_equal(as->dim, 1);
  recorder s = {0};
  const crl__offpolicy_ops ops = {recorder_explore, recorder_update, NULL};
  crl__offpolicy_spec sp = loop_spec();
  assert_int_equal(
      crl__offpolicy_alloc(&sp, "recorder", os, as, N, 4, &ops, &s, &s.loop),
      0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  crl_algo_stats st;
  assert_int_equal(crl__offpolicy_iterate(s.loop, venv, &st), 0);
  /* 245 rounded up to whole cycles of train_freq * N = 10 transitions */
  assert_int_equal(st.steps, 250);
  /* training once num_timesteps > 50: after cycles 6..25, 10 steps each */
  assert_int_equal(s.first_update_at, 60);
  assert_int_equal(st.n_updates, 200);
  assert_true(st.value_loss == 1.0 && isnan(st.policy_loss));
  /* the policy acts from step 50 on: 25 of the 250 / N steps were random */
  assert_int_equal(s.explore_calls, 100);
  /* second iteration: past the 200-step time limit */
  assert_int_equal(crl__offpolicy_iterate(s.loop, venv, &st), 0);
  const crl_replay *rb = s.loop->replay;
  assert_int_equal(rb->size, 500);
  for (long k = 0; k < rb->size; k++) {
    /* Pendulum never terminates: the time limit is not a terminal state */
    assert_true(rb->terminated[k] == 0);
    const double a = rb->actions[k];
    assert_true(a >= -1 && a <= 1);
    if (k >= 50 * N)
      assert_true(rb->actions[k] == (crl_real)0.5);
  }
  /* Replay copy 0's stored actions through a fresh env with the same reset
   * seed: the stored next observation at step 199 must be its true final
   * observation, and every other one the next row's observation. */
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("Pendulum-v1", &env), 0);
  crl_env_seed(env, crl_seed_derive(crl_seed_derive(4, CRL_STREAM_ENV), 0));
  crl_real obs[3];
  assert_int_equal(crl_env_reset(env, obs), 0);
  for (int t = 0; t < 200; t++) {
    const long k = (long)t * N; /* copy 0's row at step t */
    assert_memory_equal(obs, rb->obs + k * 3, sizeof obs);
    crl_real ea = (crl_real)(-2.0 + 0.5 * ((double)rb->actions[k] + 1) * 4.0);
    double r = 0;
    int term = 0, trunc = 0;
    assert_int_equal(crl_env_step(env, &ea, obs, &r, &term, &trunc), 0);
    assert_memory_equal(obs, rb->next_obs + k * 3, sizeof obs);
    assert_true(rb->rewards[k] == (crl_real)r);
    assert_int_equal(trunc, t == 199);
  }
  assert_memory_not_equal(rb->next_obs + 199 * N * 3, rb->obs + 200 * N * 3,
                          3 * sizeof(crl_real)); /* a reset came between */
  crl_env_free(env);
  crl__offpolicy_free(s.loop);
  crl__offpolicy_free(NULL);
  crl_vec_env_free(venv);
}

/* ---- the algorithms' specs ----------------------------------------------- */

static const char *const algos[] = {"ddpg", "td3", "sac", "tqc"};
enum { N_ALGOS = sizeof algos / sizeof *algos };

static void test_rejects_discrete(void **state) {
  (void)state;
  for (int a = 0; a < N_ALGOS; a++) {
    crl_algo *algo = NULL;
    assert_int_equal(make(algos[a], "CartPole-v1", NULL, 0, &algo),
                     CRL_EUNSUPPORTED);
    assert_null(algo);
    assert_non_null(strstr(crl_last_error(), "Box"));
    assert_non_null(strstr(crl_last_error(), algos[a]));
  }
}

static void test_spec_validation(void **state) {
  (void)state;
  crl_algo *algo = NULL;
  static const char *const big_batch[] = {"buffer_size", "10", "batch_size",
                                          "11", NULL};
  for (int a = 0; a < N_ALGOS; a++) {
    assert_int_equal(make(algos[a], "Pendulum-v1", big_batch, 0, &algo),
                     CRL_EINVAL);
    assert_non_null(strstr(crl_last_error(), "batch_size"));
  }
  static const char *const bad[][4] = {
      {"ent_coef", "autox", NULL, NULL},
      {"ent_coef", "auto_-1", NULL, NULL},
      {"ent_coef", "auto_0", NULL, NULL},
      {"ent_coef", "-0.1", NULL, NULL},
      {"target_entropy", "high", NULL, NULL},
      {"policy_kwargs.log_std_min", "3", NULL, NULL}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(make("sac", "Pendulum-v1", bad[i], 0, &algo), CRL_EINVAL);
    assert_null(algo);
    assert_non_null(strstr(crl_last_error(), bad[i][0]));
  }
  static const char *const good[][4] = {{"ent_coef", "auto", NULL, NULL},
                                        {"ent_coef", "auto_0.1", NULL, NULL},
                                        {"ent_coef", "0.2", NULL, NULL},
                                        {"target_entropy", "-0.5", NULL, NULL}};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    assert_int_equal(make("sac", "Pendulum-v1", good[i], 0, &algo), 0);
    crl_algo_free(algo);
  }
  const crl_algo_type *t = crl_algo_find("td3");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "noise_type", "uniform"),
                   CRL_EFORMAT);
  assert_int_equal(
      crl_algo_spec_set(t, spec, "noise_type", "ornstein-uhlenbeck"), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "gradient_steps", "-2"),
                   CRL_ERANGE);
  assert_int_equal(crl_algo_spec_set(t, spec, "policy_delay", "0"), CRL_ERANGE);
  crl_algo_spec_free(spec);
  /* DDPG has no TD3-only keys */
  t = crl_algo_find("ddpg");
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "policy_delay", "2"),
                   CRL_ENOTFOUND);
  crl_algo_spec_free(spec);
}

static void train_short(const char *name, uint64_t seed, crl_real *out) {
  static const char *const kv[] = {"learning_starts",
                                   "100",
                                   "batch_size",
                                   "32",
                                   "iteration_steps",
                                   "300",
                                   "policy_kwargs.net_arch",
                                   "[16, 16]",
                                   "noise_type",
                                   "normal",
                                   NULL};
  crl_algo *algo = NULL;
  assert_int_equal(make(name, "Pendulum-v1", kv, seed, &algo), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, seed, &venv), 0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  crl_algo_stats st;
  for (int it = 0; it < 2; it++) {
    assert_int_equal(crl_algo_iterate(algo, venv, 1.0 - 0.5 * it, &st), 0);
    assert_int_equal(st.steps, 300);
  }
  assert_int_equal(st.n_updates, 300);
  assert_true(isfinite(st.value_loss) && isfinite(st.policy_loss));
  assert_true(st.learning_rate > 0);
  if (strcmp(name, "sac") == 0 || strcmp(name, "tqc") == 0)
    assert_true(isfinite(st.entropy));
  probe(algo, out);
  crl_vec_env_free(venv);
  crl_algo_free(algo);
}

/* ent_coef (progress.csv's column) is the temperature SAC's updates used:
 * NAN before the first update, the initial value at the first one, the
 * learned value after; a fixed one exactly; DDPG and TD3 have none. */
static double ent_coef_at(const char *name, const char *ent_coef, int iters) {
  const char *const kv[] = {"learning_starts",
                            "5",
                            "batch_size",
                            "4",
                            "iteration_steps",
                            "1",
                            "policy_kwargs.net_arch",
                            "[8]",
                            strcmp(name, "sac") == 0 ? "ent_coef" : NULL,
                            ent_coef,
                            NULL};
  crl_algo *algo = NULL;
  assert_int_equal(make(name, "Pendulum-v1", kv, 1, &algo), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 1, &venv), 0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  crl_algo_stats st;
  for (int it = 0; it < iters; it++)
    assert_int_equal(crl_algo_iterate(algo, venv, 1.0, &st), 0);
  crl_vec_env_free(venv);
  crl_algo_free(algo);
  return st.ent_coef;
}

static void test_ent_coef_stat(void **state) {
  (void)state;
  /* Steps 1-5 are warm-up; step 6 is the first update. */
  assert_true(isnan(ent_coef_at("sac", "auto_0.5", 5)));
  const double first = ent_coef_at("sac", "auto_0.5", 6);
  assert_true(fabs(first - 0.5) < 1e-6); /* exp(log 0.5) in crl_real */
  const double second = ent_coef_at("sac", "auto_0.5", 7);
  assert_true(fabs(second - first) > 1e-5); /* alpha was learned */
  assert_true(second > 0 && second < 1);
  assert_true(ent_coef_at("sac", "0.25", 8) == 0.25);
  assert_true(isnan(ent_coef_at("td3", NULL, 8)));
  assert_true(isnan(ent_coef_at("ddpg", NULL, 8)));
}

static void test_same_seed_same_result(void **state) {
  (void)state;
  for (int a = 0; a < N_ALGOS; a++) {
    crl_real x[16], y[16], z[16];
    train_short(algos[a], 3, x);
    train_short(algos[a], 3, y);
    train_short(algos[a], 4, z);
    assert_memory_equal(x, y, sizeof x);
    assert_memory_not_equal(x, z, sizeof x);
  }
}

/* The compact replay buffer (optimize_memory_usage) samples what the plain
 * one does: two env copies, a buffer of 250 rows that wraps, episodes cut
 * by Pendulum's time limit of 200 (their final observations kept aside),
 * and every algorithm acts the same afterwards, bit for bit; a compact run
 * also resumes bit for bit. */
static void run_replay_kind(const char *name, const char *compact,
                            crl_real *out) {
  const char *const kv[] = {"learning_starts",
                            "100",
                            "batch_size",
                            "32",
                            "iteration_steps",
                            "300",
                            "buffer_size",
                            "250",
                            "policy_kwargs.net_arch",
                            "[16, 16]",
                            "optimize_memory_usage",
                            compact,
                            NULL};
  crl_algo *algo = NULL;
  crl_vec_env *venv = NULL;
  make_run(name, "Pendulum-v1", 2, kv, 6, &algo, &venv);
  for (int it = 0; it < 3; it++)
    assert_int_equal(crl_algo_iterate(algo, venv, 1.0, NULL), 0);
  probe(algo, out);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
}

static void test_compact_replay_same_bits(void **state) {
  (void)state;
  for (int a = 0; a < N_ALGOS; a++) {
    crl_real x[16], y[16];
    run_replay_kind(algos[a], "false", x);
    run_replay_kind(algos[a], "true", y);
    assert_memory_equal(x, y, sizeof x);
  }
  static const char *const kv[] = {"learning_starts",
                                   "100",
                                   "batch_size",
                                   "32",
                                   "buffer_size",
                                   "1500",
                                   "policy_kwargs.net_arch",
                                   "[16, 16]",
                                   "optimize_memory_usage",
                                   "true",
                                   NULL};
  static const char *const plain[] = {"policy_kwargs.net_arch", "[16, 16]",
                                      "buffer_size", "1500", NULL};
  check_resume("sac", kv, plain);
}

/* train_freq_unit episode (SB3's TrainFreq(N, "episode")): on Pendulum,
 * whose episodes all last 200 steps, one episode with gradient_steps -1 is
 * the schedule of train_freq 200, bit for bit; two copies end two episodes
 * at once, so an iteration is one cycle of 200 steps each. */
static void run_train_freq(const char *freq, const char *unit, int n_envs,
                           crl_algo_stats *st, crl_real *out) {
  const char *const kv[] = {"learning_starts",
                            "100",
                            "batch_size",
                            "32",
                            "iteration_steps",
                            "300",
                            "gradient_steps",
                            "-1",
                            "train_freq",
                            freq,
                            "train_freq_unit",
                            unit,
                            "policy_kwargs.net_arch",
                            "[16, 16]",
                            NULL};
  crl_algo *algo = NULL;
  crl_vec_env *venv = NULL;
  make_run("td3", "Pendulum-v1", n_envs, kv, 2, &algo, &venv);
  const crl_algo_type *t = crl_algo_find("td3");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  assert_int_equal(t->steps_per_iteration(spec, n_envs),
                   strcmp(unit, "episode") == 0 ? 0 : 400);
  crl_algo_spec_free(spec);
  for (int it = 0; it < 2; it++)
    assert_int_equal(crl_algo_iterate(algo, venv, 1.0, st), 0);
  probe(algo, out);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
}

static void test_train_freq_in_episodes(void **state) {
  (void)state;
  crl_algo_stats a, b;
  crl_real x[16], y[16];
  run_train_freq("1", "episode", 1, &a, x);
  run_train_freq("200", "step", 1, &b, y);
  assert_int_equal(a.steps, 400); /* two episodes: two cycles of 200 */
  assert_int_equal(a.n_updates, 400);
  assert_int_equal(b.steps, a.steps);
  assert_memory_equal(x, y, sizeof x);
  run_train_freq("2", "episode", 2, &a, x);
  assert_int_equal(a.steps, 400); /* both copies end at step 200 */
  assert_int_equal(a.n_updates, 400);
}

static void resume_one(const char *name) {
  static const char *const kv[] = {"learning_starts",
                                   "100",
                                   "batch_size",
                                   "32",
                                   "iteration_steps",
                                   "250",
                                   "policy_kwargs.net_arch",
                                   "[16, 16]",
                                   "noise_type",
                                   "ornstein-uhlenbeck",
                                   "noise_std",
                                   "0.3",
                                   NULL};
  static const char *const other[] = {"policy_kwargs.net_arch", "[8]", NULL};
  check_resume(name, kv, other);
}

static void test_checkpoint_resume_and_export(void **state) {
  (void)state;
  for (int a = 0; a < N_ALGOS; a++)
    resume_one(algos[a]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_critic_action_gradient),
      cmocka_unit_test(test_loop_bookkeeping),
      cmocka_unit_test(test_rejects_discrete),
      cmocka_unit_test(test_spec_validation),
      cmocka_unit_test(test_ent_coef_stat),
      cmocka_unit_test(test_same_seed_same_result),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_compact_replay_same_bits),
      cmocka_unit_test(test_train_freq_in_episodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
