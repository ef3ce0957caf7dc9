/* The on-policy collector: its reward scaling (SB3 VecNormalize's
 * norm_reward), the rewards it stores recomputed here, independently,
 * from the raw rewards of an identical run without scaling; and its
 * values, computed beside the steps on a second thread, against the
 * critic's pass over each step's rows. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "rl/onpolicy.h"

enum { N_ENVS = 3, N_STEPS = 150 };
static const double GAMMA = 0.97;

/* A collector on CartPole-v1 (episodes end inside the rollout, so the
 * running returns are reset) and its envs, from seed. */
static crl__onp *collector_of(int scale, int n_steps, crl_vec_env **venv) {
  assert_int_equal(crl_vec_env_make("CartPole-v1", N_ENVS, 11, venv), 0);
  crl__ac_spec spec = {.net_arch = {.n = 1, .v = {8}},
                       .activation = CRL_ACT_TANH,
                       .log_std_init = 0.0,
                       .ortho_init = 1,
                       .max_batch = N_ENVS};
  crl__onp *o = NULL;
  assert_int_equal(crl__onp_alloc("test", &spec, crl_vec_env_obs_space(*venv),
                                  crl_vec_env_act_space(*venv), N_ENVS, n_steps,
                                  scale, 11, &o),
                   0);
  assert_int_equal(crl_vec_env_reset(*venv), 0);
  return o;
}

static crl__onp *collector(int scale, crl_vec_env **venv) {
  return collector_of(scale, N_STEPS, venv);
}

/* Running mean and variance as RunningMeanStd: starts at mean 0, var 1,
 * count 1e-4, and merges each step's N returns as one batch. */
typedef struct running {
  double mean, var, count;
} running;

static void running_update(running *s, const double *x, int n) {
  double bm = 0, bv = 0;
  for (int i = 0; i < n; i++)
    bm += x[i];
  bm /= n;
  for (int i = 0; i < n; i++)
    bv += (x[i] - bm) * (x[i] - bm);
  bv /= n;
  const double tot = s->count + n, d = bm - s->mean;
  const double m2 = s->var * s->count + bv * n + d * d * s->count * n / tot;
  s->mean += d * n / tot;
  s->var = m2 / tot;
  s->count = tot;
}

static void test_stored_rewards_are_scaled_as_vecnormalize(void **state) {
  (void)state;
  crl_vec_env *va = NULL, *vb = NULL;
  crl__onp *raw = collector(0, &va), *scaled = collector(1, &vb);
  running s = {0.0, 1.0, 1e-4};
  double ret[N_ENVS] = {0}, x[N_ENVS];
  int resets = 0;
  for (int round = 0; round < 2; round++) {
    assert_int_equal(crl__onp_collect(raw, va, GAMMA, 0.95), 0);
    assert_int_equal(crl__onp_collect(scaled, vb, GAMMA, 0.95), 0);
    const crl_rollout *a = raw->ro, *b = scaled->ro;
    for (int t = 0; t < N_STEPS; t++) {
      const double *r = a->rewards + (size_t)t * N_ENVS;
      for (int i = 0; i < N_ENVS; i++) {
        ret[i] = GAMMA * ret[i] + r[i];
        x[i] = (double)(crl_real)ret[i]; /* the normaliser takes crl_real */
      }
      running_update(&s, x, N_ENVS);
      for (int i = 0; i < N_ENVS; i++) {
        double want = r[i] / sqrt(s.var + 1e-8);
        want = want > 10 ? 10 : (want < -10 ? -10 : want);
        size_t k = (size_t)t * N_ENVS + i;
        assert_true(fabs(b->rewards[k] - want) <= 1e-9 * fabs(want));
        assert_int_equal(a->dones[k], b->dones[k]);
        if (a->dones[k]) {
          ret[i] = 0.0;
          resets++;
        }
      }
    }
  }
  assert_true(resets >= 10);               /* the resets were exercised */
  assert_true(s.var < 0.5 || s.var > 2.0); /* the scale moved from 1 */
  crl__onp_free(raw);
  crl__onp_free(scaled);
  crl_vec_env_free(va);
  crl_vec_env_free(vb);
}

/* Each stored value is the critic's output for its step's N rows, bit for
 * bit, on 1 and 2 threads and with an odd number of steps (halves of
 * unequal length); the two threads' rollouts are the same. */
static void test_values_are_each_steps_critic_pass(void **state) {
  (void)state;
  const int T = 501; /* long enough for the values to run beside the steps */
  crl_rollout *ro[2];
  crl__onp *o[2];
  crl_vec_env *venv[2];
  for (int run = 0; run < 2; run++) {
    assert_int_equal(crl_threads_set(run + 1), CRL_OK);
    o[run] = collector_of(0, T, &venv[run]);
    for (int round = 0; round < 2; round++)
      assert_int_equal(crl__onp_collect(o[run], venv[run], GAMMA, 0.95), 0);
    ro[run] = o[run]->ro;
    crl_real v[N_ENVS];
    const size_t O = (size_t)o[run]->obs_dim;
    for (int t = 0; t < T; t++) {
      const crl_real *obs = ro[run]->obs + (size_t)t * N_ENVS * O;
      assert_int_equal(crl__ac_critic_forward(o[run]->ac, obs, N_ENVS, v), 0);
      assert_memory_equal(v, ro[run]->values + (size_t)t * N_ENVS, sizeof v);
    }
  }
  assert_int_equal(crl_threads_set(1), CRL_OK);
  const size_t n = (size_t)T * N_ENVS;
  assert_memory_equal(ro[0]->values, ro[1]->values, n * sizeof(crl_real));
  assert_memory_equal(ro[0]->advantages, ro[1]->advantages,
                      n * sizeof(crl_real));
  for (int run = 0; run < 2; run++) {
    crl__onp_free(o[run]);
    crl_vec_env_free(venv[run]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stored_rewards_are_scaled_as_vecnormalize),
      cmocka_unit_test(test_values_are_each_steps_critic_pass),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
