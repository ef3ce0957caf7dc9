/* SAC and TQC with gSDE (the squashed distribution's density and gradients
 * are in test_sde.c): a state keeps its action until the exploration
 * matrix is drawn again; checkpoints resume bit for bit and the exported
 * policy acts as the algorithm does (clip_mean 0), a checkpoint without
 * gSDE is refused; the clamp of the mean reaches the exported policy and
 * its file; and SAC with gSDE learns Pendulum-v1 in the small configuration
 * the other off-policy learners use (best evaluation from 4k to 7k steps
 * >= -400: seeds 0-11 measured -98 to -152). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/policy_internal.h"
#include "offpolicy_algo.h"
#include "offpolicy_learn.h"

#define SDE_KEYS                                                               \
  "use_sde", "true", "sde_sample_freq", "3", "train_freq", "4",                \
      "gradient_steps", "2", "learning_starts", "50", "batch_size", "32",      \
      "policy_kwargs.net_arch", "[16, 16]"

static const char *const plain[] = {"policy_kwargs.net_arch", "[16, 16]", NULL};

static void test_resume_and_export(void **state) {
  (void)state;
  static const char *const sac[] = {SDE_KEYS, "policy_kwargs.clip_mean", "0",
                                    NULL};
  static const char *const sac_expln[] = {
      SDE_KEYS, "policy_kwargs.clip_mean", "0",    "policy_kwargs.full_std",
      "false",  "policy_kwargs.use_expln", "true", NULL};
  static const char *const tqc[] = {SDE_KEYS, "policy_kwargs.clip_mean",
                                    "0",      "policy_kwargs.n_quantiles",
                                    "5",      NULL};
  static const char *const tqc_plain[] = {"policy_kwargs.net_arch", "[16, 16]",
                                          "policy_kwargs.n_quantiles", "5",
                                          NULL};
  check_resume("sac", sac, plain);
  check_resume("sac", sac_expln, plain);
  check_resume("tqc", tqc, tqc_plain);
}

/* gSDE's point: the noise is a function of the state, so the same state
 * gets the same stochastic action until the next matrix is drawn (at the
 * next cycle), and that one differs from the deterministic tanh(mean). */
static void test_same_state_same_action(void **state) {
  (void)state;
  static const char *const kv[] = {SDE_KEYS, NULL};
  crl_algo *a = NULL;
  crl_vec_env *venv = NULL;
  assert_int_equal(make("sac", "Pendulum-v1", kv, 3, &a), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 3, &venv), 0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  assert_int_equal(crl_algo_iterate(a, venv, 1.0, NULL), 0);
  crl_real obs[8 * 3], x[8], y[8], mode[8], z[8];
  for (int k = 0; k < 8; k++) {
    obs[3 * k] = (crl_real)cos(0.7 * k);
    obs[3 * k + 1] = (crl_real)sin(0.7 * k);
    obs[3 * k + 2] = (crl_real)(k - 4) * 0.5f;
  }
  assert_int_equal(crl_algo_act(a, obs, 8, 0, x), 0);
  assert_int_equal(crl_algo_act(a, obs, 8, 0, y), 0);
  assert_int_equal(crl_algo_act(a, obs, 8, 1, mode), 0);
  assert_memory_equal(x, y, sizeof x);
  assert_memory_not_equal(x, mode, sizeof x);
  assert_int_equal(crl_algo_iterate(a, venv, 1.0, NULL), 0);
  assert_int_equal(crl_algo_act(a, obs, 8, 0, z), 0);
  assert_memory_not_equal(x, z, sizeof x);
  crl_algo_free(a);
  crl_vec_env_free(venv);
}

/* SB3's default clip_mean 2 clamps the mean before tanh, and so does the
 * exported policy, through its file: a mean of 5 acts as tanh(2). */
static void test_clamped_export(void **state) {
  (void)state;
  crl_mlp_spec spec =
      crl_mlp_spec_make(2, 0, NULL, 1, CRL_ACT_RELU, CRL_ACT_IDENTITY, 1);
  crl_mlp *net = NULL;
  assert_int_equal(crl_mlp_alloc(&spec, NULL, NULL, &net), 0);
  crl_real *w = crl_mlp_params(net); /* W [1, 2], b [1] */
  w[0] = 1, w[1] = 0, w[2] = 0;
  const double lo = -1, hi = 3;
  const crl_space act = {CRL_SPACE_BOX, 1, 0, &lo, &hi};
  crl_policy *p = NULL, *q = NULL;
  assert_int_equal(
      crl__policy_from_parts(net, NULL, &act, CRL_POLICY_TANH, 1, &p), 0);
  assert_int_equal(crl__policy_set_tanh_clip(p, 0.0), CRL_EINVAL);
  assert_int_equal(crl__policy_set_tanh_clip(p, 2.0), 0);
  char path[128];
  snprintf(path, sizeof path, "/tmp/crl_test_clip_%d.crlp", (int)getpid());
  assert_int_equal(crl_policy_save(p, path), 0);
  assert_int_equal(crl_policy_load(path, 1, &q), 0);
  const double y[] = {5.0, -7.0, 1.5, -0.25};
  for (int i = 0; i < 4; i++) {
    const crl_real obs[2] = {(crl_real)y[i], 0};
    const double c = fmax(-2.0, fmin(2.0, y[i]));
    const double want = lo + (tanh(c) + 1.0) * 0.5 * (hi - lo);
    crl_real a1, a2;
    assert_int_equal(crl_policy_act(p, obs, &a1), 0);
    assert_int_equal(crl_policy_act(q, obs, &a2), 0);
    assert_true(fabs((double)a1 - want) < 1e-6);
    assert_true(a1 == a2);
  }
  crl_policy_free(p);
  crl_policy_free(q);
  crl_mlp_free(net);
  unlink(path);
  /* and SAC's export carries its clip_mean (check_resume compares the
   * exported actions with the algorithm's on a grid) */
  static const char *const kv[] = {SDE_KEYS, NULL};
  check_resume("sac", kv, plain);
}

static void test_sac_sde_learns_pendulum(void **state) {
  (void)state;
  static const char *const kv[] = {SMALL_PENDULUM_KEYS, "use_sde", "true",
                                   NULL};
  assert_true(train_best_eval("sac", kv, 0, 7000, 4000) >= -400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resume_and_export),
      cmocka_unit_test(test_same_state_same_action),
      cmocka_unit_test(test_clamped_export),
      cmocka_unit_test(test_sac_sde_learns_pendulum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
