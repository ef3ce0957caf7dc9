/* PMD (algos/pmd.c): its loss against the definition written out here
 * from the collected episodes, its gradient against central differences
 * of that loss, the length reward, resume and export, and learning
 * CartPole-v1. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "algos/pmd.h"
#include "crl/crl.h"
#include "io/checkpoint.h"
#include "pg_test.h"

static const char *const small[] = {
    "group_size", "3", "n_groups", "2", "tau", "0.7", "policy_kwargs.net_arch",
    "[8]",        NULL};

/* mean_e (R_e - mean_group R - tau * sum_t (log pi - log pi_old))^2 from
 * per-row log-probs computed one row at a time. */
static double reference_loss(grpo *g, const double *ret) {
  const int G = g->spec.group_size, E = g->spec.n_groups * G;
  double loss = 0.0;
  for (int k = 0; k < g->spec.n_groups; k++) {
    double mean = 0.0;
    for (int j = 0; j < G; j++)
      mean += ret[k * G + j] / G;
    for (int j = 0; j < G; j++) {
      const int e = k * G + j;
      double delta = 0.0;
      for (int t = g->ep_start[e]; t < g->ep_start[e + 1]; t++) {
        crl_real dist[2], lp;
        assert_int_equal(
            crl__ac_actor_forward(g->ac, g->obs + (size_t)t * 4, 1, dist), 0);
        crl__ac_log_prob(g->ac, dist, g->act + t, 1, &lp);
        delta += (double)lp - g->logp_ref[t];
      }
      const double res = ret[e] - mean - g->spec.tau * delta;
      loss += res * res / E;
    }
  }
  return loss;
}

static void test_loss_and_gradient(void **state) {
  (void)state;
  pg_run r = pg_start("pmd", "CartPole-v1", 1, 5, small);
  grpo *g = crl__algo_self(r.algo);
  pg_iterate(&r, 1);
  assert_int_equal(grpo_collect(g, r.venv), 0); /* pi_old = the policy now */
  crl__pmd_returns(g, g->ep_ret);
  int rc;
  /* at pi_theta = pi_old the log-ratios vanish */
  double loss = crl__pmd_loss(g, g->ep_ret, 0, &rc);
  assert_int_equal(rc, 0);
  assert_true(fabs(loss - reference_loss(g, g->ep_ret)) <=
              1e-6 * fmax(1, loss));
  /* move the policy away from pi_old, then compare the gradient */
  for (size_t i = 0; i < g->n_pi; i++)
    g->ac->params[i] += (crl_real)(0.05 * sin(1.0 + i));
  memset(g->ac->grads, 0, g->n_pi * sizeof *g->ac->grads);
  loss = crl__pmd_loss(g, g->ep_ret, 1, &rc);
  assert_int_equal(rc, 0);
  const double ref = reference_loss(g, g->ep_ret);
  assert_true(fabs(loss - ref) <= 1e-4 * fmax(1, ref));
  for (size_t i = 0; i < g->n_pi; i += 7) {
    crl_real *p = &g->ac->params[i];
    const crl_real p0 = *p;
    const double h = 1e-2;
    *p = (crl_real)(p0 + h);
    const double up = reference_loss(g, g->ep_ret);
    *p = (crl_real)(p0 - h);
    const double down = reference_loss(g, g->ep_ret);
    *p = p0;
    const double num =
        (up - down) / ((double)(crl_real)(p0 + h) - (double)(crl_real)(p0 - h));
    const double ana = g->ac->grads[i];
    if (fabs(num - ana) > 2e-2 * fmax(1.0, fabs(num)))
      fail_msg("dL/dtheta[%zu] = %g, finite differences %g", i, ana, num);
  }
  pg_free(&r);
}

/* Kimi's length reward: 0.5 at the group's shortest episode, -0.5 at its
 * longest, linear between. */
static void test_length_reward(void **state) {
  (void)state;
  static const char *const kv[] = {"group_size",     "3", "n_groups", "2",
                                   "length_penalty", "2", NULL};
  pg_run r = pg_start("pmd", "CartPole-v1", 1, 6, kv);
  grpo *g = crl__algo_self(r.algo);
  assert_int_equal(grpo_collect(g, r.venv), 0);
  double with[6], without[6];
  crl__pmd_returns(g, with);
  g->spec.length_penalty = 0;
  crl__pmd_returns(g, without);
  for (int k = 0; k < 2; k++) {
    int lo = 1 << 30, hi = 0;
    for (int j = 0; j < 3; j++) {
      int n = g->ep_start[k * 3 + j + 1] - g->ep_start[k * 3 + j];
      lo = n < lo ? n : lo, hi = n > hi ? n : hi;
    }
    for (int j = 0; j < 3; j++) {
      int e = k * 3 + j, n = g->ep_start[e + 1] - g->ep_start[e];
      double want = hi == lo ? 0 : 2 * (0.5 - (double)(n - lo) / (hi - lo));
      assert_true(fabs(with[e] - without[e] - want) < 1e-12);
    }
  }
  pg_free(&r);
}

static void test_checkpoint_resume_and_export(void **state) {
  (void)state;
  static const char *const other[] = {
      "group_size", "3", "n_groups", "2", "policy_kwargs.net_arch",
      "[4]",        NULL};
  pg_check_resume_and_export("pmd", 1, small, other);
}

/* experiments/cartpole/pmd.yaml's settings at 100k steps, seed 0. */
static void test_cartpole_learns(void **state) {
  (void)state;
  static const char *const kv[] = {"group_size",    "8",    "n_groups", "4",
                                   "n_epochs",      "4",    "tau",      "1",
                                   "learning_rate", "3e-3", NULL};
  double mean = pg_train_eval("pmd", "CartPole-v1", 1, 0, 100000, kv);
  assert_true(mean >= 400.0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loss_and_gradient),
      cmocka_unit_test(test_length_reward),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_cartpole_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
