/* VecNormalize in the off-policy loop (normalize, normalize_reward): the
 * replay buffer keeps raw observations and rewards; the running
 * statistics equal an independent computation over every observation
 * acted in and every discounted return; the policy acts, and each update
 * learns, on values normalised with the statistics of that moment; and
 * DDPG, TD3, SAC and TQC resume bit for bit and export the normaliser. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "offpolicy_algo.h"
#include "rl/offpolicy.h"

enum { N = 2, OD = 3, BATCH = 16, MAX_SEEN = 64 };

/* Records what the loop hands the algorithm. */
typedef struct recorder {
  crl__offpolicy *loop;
  int explores;
  int explore_checked; /* explore inputs equal to the by-hand formula */
  int n_batches;
  crl_real obs[MAX_SEEN][BATCH * OD], next_obs[MAX_SEEN][BATCH * OD];
  crl_real rewards[MAX_SEEN][BATCH];
  double mean[MAX_SEEN][OD], var[MAX_SEEN][OD], ret_var[MAX_SEEN];
} recorder;

/* clip((x - mean) / sqrt(var + 1e-8), +-10), in double as VecNormalize
 * (the reciprocal first, as crl_normalizer_apply rounds it) */
static double by_hand(double x, double mean, double var) {
  double z = (x - mean) * (1.0 / sqrt(var + 1e-8));
  return z < -10 ? -10 : (z > 10 ? 10 : z);
}

static int rec_explore(void *self, const crl_real *obs, int B,
                       crl_real *action) {
  recorder *s = self;
  const crl_normalizer *nm = s->loop->obs_norm;
  int same = 1;
  for (int i = 0; i < B * OD; i++) /* s->loop->obs: the raw observation */
    same &= obs[i] == (crl_real)by_hand(s->loop->obs[i], nm->mean[i % OD],
                                        nm->var[i % OD]);
  s->explore_checked += same;
  s->explores++;
  for (int i = 0; i < B; i++)
    action[i] = (crl_real)(0.3 * obs[i * OD]); /* depends on the input */
  return 0;
}

static int rec_update(void *self, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc) {
  recorder *s = self;
  (void)acc;
  if (s->n_batches == MAX_SEEN)
    return 0;
  int k = s->n_batches++;
  memcpy(s->obs[k], b->obs, sizeof s->obs[k]);
  memcpy(s->next_obs[k], b->next_obs, sizeof s->next_obs[k]);
  memcpy(s->rewards[k], b->rewards, sizeof s->rewards[k]);
  for (int d = 0; d < OD; d++) {
    s->mean[k][d] = s->loop->obs_norm->mean[d];
    s->var[k][d] = s->loop->obs_norm->var[d];
  }
  s->ret_var[k] = s->loop->ret_norm->var[0];
  return 0;
}

/* Mean and variance of n values with the normaliser's prior (count 1e-4,
 * mean 0, var 1), from sums in long double: the statistics any split into
 * batches should reach. */
static void reference_stats(const double *x, long n, double *mean,
                            double *var) {
  long double s = 0, q = 0;
  for (long i = 0; i < n; i++)
    s += x[i];
  long double m = s / n;
  for (long i = 0; i < n; i++)
    q += (x[i] - m) * (x[i] - m);
  long double c0 = 1e-4L, c = c0 + n;
  long double mu = n * m / c; /* the prior's mean is 0 */
  long double m2 = c0 * 1.0L + q + m * m * c0 * n / c;
  *mean = (double)mu;
  *var = (double)(m2 / c);
}

static void assert_rel(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want))))
    fail_msg("got %.12g, wanted %.12g", got, want);
}

static void test_loop_normalizes(void **state) {
  (void)state;
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", N, 9, &venv), 0);
  static recorder s;
  memset(&s, 0, sizeof s);
  const crl__offpolicy_ops ops = {rec_explore, rec_update, NULL};
  crl__offpolicy_spec sp = {.buffer_size = 2000,
                            .learning_starts = 100,
                            .batch_size = BATCH,
                            .tau = 0.005,
                            .gamma = 0.9,
                            .train_freq = 1,
                            .gradient_steps = 1,
                            .noise_type = CRL_NOISE_NONE,
                            .noise_std = 0.1,
                            .adam_eps = 1e-8,
                            .iteration_steps = 500,
                            .normalize = 1,
                            .normalize_reward = 1};
  assert_int_equal(crl__offpolicy_alloc(
                       &sp, "recorder", crl_vec_env_obs_space(venv),
                       crl_vec_env_act_space(venv), N, 9, &ops, &s, &s.loop),
                   0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  crl_algo_stats st;
  assert_int_equal(crl__offpolicy_iterate(s.loop, venv, &st), 0);
  const crl_replay *rb = s.loop->replay;
  const long R = rb->size; /* 500 rows: 250 steps of 2 copies, in order */
  assert_int_equal(R, 500);

  /* raw values in the buffer: Pendulum's cos/sin are within [-1, 1], its
   * rewards in [-16.3, 0], neither true of normalised ones */
  double lo = 0, hi = 0;
  for (long k = 0; k < R; k++) {
    lo = fmin(lo, rb->rewards[k]), hi = fmax(hi, rb->rewards[k]);
    for (int d = 0; d < 2; d++)
      assert_true(fabs(rb->obs[k * OD + d]) <= 1.0);
  }
  assert_true(lo < -1.0 && hi <= 0.0);

  /* the observation statistics: every observation acted in (the rows of
   * the buffer), the return statistics: every step's discounted return */
  static double col[500], ret[500];
  for (int d = 0; d < OD; d++) {
    for (long k = 0; k < R; k++)
      col[k] = rb->obs[k * OD + d];
    double m, v;
    reference_stats(col, R, &m, &v);
    assert_rel(s.loop->obs_norm->mean[d], m, 1e-9);
    assert_rel(s.loop->obs_norm->var[d], v, 1e-9);
  }
  double g[N] = {0};
  for (long k = 0; k < R; k++) {
    int i = (int)(k % N);
    if (k / N == 200) /* the 200-step time limit ended the episode */
      g[i] = 0;
    g[i] = 0.9 * g[i] + rb->rewards[k];
    ret[k] = g[i];
  }
  double m, v;
  reference_stats(ret, R, &m, &v);
  assert_rel(s.loop->ret_norm->var[0], v, 1e-6);
  assert_rel(s.loop->ret_norm->mean[0], m, 1e-6);

  /* the policy saw normalised observations at every step it acted */
  assert_int_equal(s.explores, 250 - 50);
  assert_int_equal(s.explore_checked, s.explores);

  /* every batch row is a buffer row normalised with the statistics of its
   * update, its reward scaled by the return's std of then */
  assert_true(s.n_batches == MAX_SEEN);
  for (int b = 0; b < s.n_batches; b++)
    for (int i = 0; i < BATCH; i++) {
      long found = -1;
      for (long k = 0; k < R && found < 0; k++) {
        int same = 1;
        for (int d = 0; d < OD; d++)
          same &=
              s.obs[b][i * OD + d] ==
              (crl_real)by_hand(rb->obs[k * OD + d], s.mean[b][d], s.var[b][d]);
        for (int d = 0; d < OD; d++)
          same &= s.next_obs[b][i * OD + d] ==
                  (crl_real)by_hand(rb->next_obs[k * OD + d], s.mean[b][d],
                                    s.var[b][d]);
        if (same)
          found = k;
      }
      assert_true(found >= 0);
      double r = rb->rewards[found] / sqrt(s.ret_var[b] + 1e-8);
      r = r < -10 ? -10 : (r > 10 ? 10 : r);
      assert_true(s.rewards[b][i] == (crl_real)r);
    }
  crl__offpolicy_free(s.loop);
  crl_vec_env_free(venv);
}

/* ---- DDPG, TD3, SAC, TQC ------------------------------------------------- */

/* The shared checkpoint round trip with the normalisers on (a checkpoint
 * without them is refused), and the normaliser matters: the same run
 * without it acts otherwise. */
static void resume_normalized(const char *name) {
  static const char *const kv[] = {"learning_starts",
                                   "100",
                                   "batch_size",
                                   "32",
                                   "iteration_steps",
                                   "250",
                                   "policy_kwargs.net_arch",
                                   "[16, 16]",
                                   "normalize",
                                   "true",
                                   "normalize_reward",
                                   "true",
                                   NULL};
  static const char *const plain_kv[] = {"learning_starts",
                                         "100",
                                         "batch_size",
                                         "32",
                                         "iteration_steps",
                                         "250",
                                         "policy_kwargs.net_arch",
                                         "[16, 16]",
                                         NULL};
  check_resume(name, kv, plain_kv);
  crl_real x[16], z[16];
  const char *const *settings[2] = {kv, plain_kv};
  crl_real *out[2] = {x, z};
  for (int k = 0; k < 2; k++) {
    crl_algo *a = NULL;
    crl_vec_env *v = NULL;
    assert_int_equal(make(name, "Pendulum-v1", settings[k], 5, &a), 0);
    assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 5, &v), 0);
    assert_int_equal(crl_vec_env_reset(v), 0);
    for (int i = 0; i < 3; i++)
      assert_int_equal(crl_algo_iterate(a, v, 1.0, NULL), 0);
    probe(a, out[k]);
    crl_algo_free(a);
    crl_vec_env_free(v);
  }
  assert_memory_not_equal(x, z, sizeof x);
}

static void test_algorithms_resume_and_export(void **state) {
  (void)state;
  static const char *const names[] = {"ddpg", "td3", "sac", "tqc"};
  for (int a = 0; a < 4; a++)
    resume_normalized(names[a]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_normalizes),
      cmocka_unit_test(test_algorithms_resume_and_export),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
