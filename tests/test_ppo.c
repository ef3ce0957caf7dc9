/* PPO: learning on fixed seeds within a step budget, determinism, and
 * spec validation. */
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

/* Train PPO with key/value overrides (NULL-terminated) and return the
 * algorithm; the caller frees it. */
static crl_algo *train(const char *env, int n_envs, uint64_t seed, long steps,
                       const char *const *kv) {
  const crl_algo_type *t = crl_algo_find("ppo");
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make(env, n_envs, seed, &venv), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                                  crl_vec_env_act_space(venv), n_envs, seed,
                                  &algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  long done = 0;
  while (done < steps) {
    crl_algo_stats st;
    int rc = crl_algo_iterate(algo, venv, 1.0 - (double)done / steps, &st);
    if (rc)
      fail_msg("iterate: %s", crl_last_error());
    assert_true(st.steps > 0);
    done += st.steps;
  }
  crl_vec_env_free(venv);
  return algo;
}

/* RL Zoo's CartPole-v1 PPO settings. */
static const char *const cartpole_zoo[] = {
    "n_steps",       "32",        "batch_size", "256",     "gae_lambda", "0.8",
    "gamma",         "0.98",      "n_epochs",   "20",      "ent_coef",   "0.0",
    "learning_rate", "lin_0.001", "clip_range", "lin_0.2", NULL};

static void test_cartpole_learns(void **state) {
  (void)state;
  /* The zoo's 100k budget; seeds 0-4 all evaluate at 500 here. */
  crl_algo *algo = train("CartPole-v1", 8, 0, 100000, cartpole_zoo);
  double mean = 0, sd = 0;
  assert_int_equal(crl_evaluate(algo, "CartPole-v1", 20, 100, &mean, &sd, NULL),
                   0);
  printf("# CartPole-v1 PPO 100k steps, seed 0: eval %.1f +- %.1f\n", mean, sd);
  assert_true(mean >= 475.0); /* Gymnasium's reward threshold */
  crl_algo_free(algo);
}

/* The RLtools Pendulum configuration (see docs/benchmarks.md). */
static const char *const pendulum_small[] = {"n_steps",
                                             "1024",
                                             "batch_size",
                                             "256",
                                             "n_epochs",
                                             "2",
                                             "gamma",
                                             "0.9",
                                             "gae_lambda",
                                             "0.95",
                                             "ent_coef",
                                             "0.0",
                                             "learning_rate",
                                             "1e-3",
                                             "policy_kwargs.activation",
                                             "relu",
                                             "policy_kwargs.log_std_init",
                                             "0.693",
                                             "max_grad_norm",
                                             "1e9",
                                             NULL};

static void test_pendulum_learns(void **state) {
  (void)state;
  /* RLtools' budget: 4 envs x 1024 steps x 75 iterations. */
  crl_algo *algo = train("Pendulum-v1", 4, 0, 307200, pendulum_small);
  double mean = 0, sd = 0;
  assert_int_equal(crl_evaluate(algo, "Pendulum-v1", 20, 100, &mean, &sd, NULL),
                   0);
  printf("# Pendulum-v1 PPO 307200 steps, seed 0: eval %.1f +- %.1f\n", mean,
         sd);
  /* An untrained policy scores about -1200; over 20 episodes seeds 0-4
   * score -165 to -202 here. */
  assert_true(mean >= -250.0);
  crl_algo_free(algo);
}

/* Deterministic actions of a trained policy on a fixed grid of states. */
static void probe(crl_algo *algo, crl_real *out) {
  crl_real obs[3];
  for (int k = 0; k < 16; k++) {
    double th = 0.4 * k;
    obs[0] = (crl_real)cos(th);
    obs[1] = (crl_real)sin(th);
    obs[2] = (crl_real)(k - 8) * 0.5f;
    assert_int_equal(crl_algo_act(algo, obs, 1, 1, out + k), 0);
  }
}

static void test_same_seed_same_result(void **state) {
  (void)state;
  static const char *const kv[] = {"n_steps",   "64",       "batch_size",
                                   "32",        "n_epochs", "3",
                                   "normalize", "true",     NULL};
  crl_real a[16], b[16], c[16];
  crl_algo *x = train("Pendulum-v1", 2, 5, 512, kv);
  crl_algo *y = train("Pendulum-v1", 2, 5, 512, kv);
  crl_algo *z = train("Pendulum-v1", 2, 6, 512, kv);
  probe(x, a);
  probe(y, b);
  probe(z, c);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  crl_algo_free(x);
  crl_algo_free(y);
  crl_algo_free(z);
}

typedef struct run {
  crl_vec_env *venv;
  crl_algo *algo;
} run;

static run start(uint64_t seed, const char *const *kv) {
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  run r = {0};
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 2, seed, &r.venv), 0);
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(r.venv),
                                  crl_vec_env_act_space(r.venv), 2, seed,
                                  &r.algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(r.venv), 0);
  return r;
}

static void iterate(run *r, int n) {
  for (int i = 0; i < n; i++)
    assert_int_equal(crl_algo_iterate(r->algo, r->venv, 1.0 - 0.1 * i, NULL),
                     0);
}

/* Checkpoint after 3 iterations, restore into a fresh run, continue both:
 * the results agree bit for bit; the exported policy acts as the algorithm
 * does; a file from another algorithm configuration is refused. */
static void check_resume_and_export(const char *const *kv) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/crl_test_ppo_%d.ckpt", (int)getpid());
  run a = start(8, kv), b = start(8, kv);
  iterate(&a, 3);
  assert_int_equal(crl_algo_checkpoint_save(a.algo, a.venv, path), 0);
  assert_int_equal(crl_algo_checkpoint_load(b.algo, b.venv, path), 0);
  iterate(&a, 3);
  iterate(&b, 3);
  crl_real x[16], y[16];
  probe(a.algo, x);
  probe(b.algo, y);
  assert_memory_equal(x, y, sizeof x);
  assert_memory_equal(crl_vec_env_obs(a.venv), crl_vec_env_obs(b.venv),
                      2 * 3 * sizeof(crl_real));

  crl_policy *pol = NULL;
  assert_int_equal(crl_algo_export_policy(a.algo, 1, &pol), 0);
  for (int k = 0; k < 16; k++) {
    crl_real obs[3] = {(crl_real)cos(0.4 * k), (crl_real)sin(0.4 * k),
                       (crl_real)(k - 8) * 0.5f};
    crl_real act;
    assert_int_equal(crl_policy_act(pol, obs, &act), 0);
    crl_real clipped = x[k] < -2 ? -2 : (x[k] > 2 ? 2 : x[k]);
    assert_true(act == clipped);
  }
  crl_policy_free(pol);

  static const char *const other[] = {
      "n_steps", "64", "batch_size", "32", "policy_kwargs.net_arch",
      "[8]",     NULL};
  run c = start(8, other);
  assert_int_equal(crl_algo_checkpoint_load(c.algo, c.venv, path), CRL_EFORMAT);
  crl_algo_free(c.algo);
  crl_vec_env_free(c.venv);
  crl_algo_free(a.algo);
  crl_vec_env_free(a.venv);
  crl_algo_free(b.algo);
  crl_vec_env_free(b.venv);
  unlink(path);
}

/* With observation normalisation, and with reward scaling too (whose
 * running returns and variance the checkpoint must carry). */
static void test_checkpoint_resume_and_export(void **state) {
  (void)state;
  static const char *const obs[] = {"n_steps",   "64",       "batch_size",
                                    "32",        "n_epochs", "2",
                                    "normalize", "true",     NULL};
  static const char *const rew[] = {
      "n_steps",   "64",   "batch_size",       "32",   "n_epochs", "2",
      "normalize", "true", "normalize_reward", "true", NULL};
  check_resume_and_export(obs);
  check_resume_and_export(rew);
}

/* The bytes of a file (at most size), and how many. */
static size_t read_bytes(const char *path, unsigned char *buf, size_t size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, size, f);
  fclose(f);
  return n;
}

/* One iteration of PPO on 2 CartPole copies (64 steps each, 2 epochs) with
 * this batch_size: its statistics, and its policy file's bytes. */
static size_t one_iteration(const char *batch_size, crl_algo_stats *st,
                            unsigned char *bytes, size_t size) {
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "batch_size", batch_size), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "n_steps", "64"), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "n_epochs", "2"), 0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("CartPole-v1", 2, 3, &venv), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                                  crl_vec_env_act_space(venv), 2, 3, &algo),
                   0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  assert_int_equal(crl_algo_iterate(algo, venv, 1.0, st), 0);
  char path[] = "/tmp/crl-test-ppo-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  crl_policy *pol = NULL;
  assert_int_equal(crl_algo_export_policy(algo, 1, &pol), 0);
  assert_int_equal(crl_policy_save(pol, path), 0);
  size_t n = read_bytes(path, bytes, size);
  remove(path);
  crl_policy_free(pol);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  crl_algo_spec_free(spec);
  return n;
}

/* As SB3's: a batch_size that does not divide the rollout (128 rows) ends
 * each epoch with a short minibatch, and one beyond it is a single
 * minibatch of the whole rollout, exactly as batch_size 128 is. */
/* clip_range_vf takes a schedule, as SB3's: lin_0.05 is 0.05 in the first
 * iteration (progress 1) and smaller after it; null (the default) is no
 * clipping, and clipping changes the run. */
static void clip_vf_run(const char *clip, int iterations, crl_real *out) {
  const char *const kv[] = {
      "n_steps",       "64", "batch_size",    "32",   "n_epochs", "4",
      "clip_range_vf", clip, "learning_rate", "3e-3", NULL};
  run r = start(5, kv);
  iterate(&r, iterations);
  probe(r.algo, out);
  crl_algo_free(r.algo);
  crl_vec_env_free(r.venv);
}

static void test_clip_range_vf_schedule(void **state) {
  (void)state;
  crl_real a[16], b[16], c[16];
  clip_vf_run("0.05", 1, a);
  clip_vf_run("lin_0.05", 1, b);
  assert_memory_equal(a, b, sizeof a);
  clip_vf_run("0.05", 3, a);
  clip_vf_run("lin_0.05", 3, b);
  assert_memory_not_equal(a, b, sizeof a);
  clip_vf_run("null", 3, c);
  assert_memory_not_equal(a, c, sizeof a);
}

static void test_minibatch_sizes(void **state) {
  (void)state;
  enum { MAX_BYTES = 1 << 16 };
  static unsigned char a[MAX_BYTES], b[MAX_BYTES];
  crl_algo_stats st;
  one_iteration("100", &st, a, MAX_BYTES); /* 100 + 28 rows per epoch */
  assert_int_equal(st.n_updates, 2 * 2);
  one_iteration("32", &st, a, MAX_BYTES);
  assert_int_equal(st.n_updates, 2 * 4);
  size_t na = one_iteration("128", &st, a, MAX_BYTES);
  assert_int_equal(st.n_updates, 2);
  size_t nb = one_iteration("1000", &st, b, MAX_BYTES);
  assert_int_equal(st.n_updates, 2);
  assert_true(na > 0 && na == nb && na < MAX_BYTES);
  assert_memory_equal(a, b, na);
}

static void test_spec_validation(void **state) {
  (void)state;
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "n_steps", "64"), 0);
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("CartPole-v1", &env), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 2, 0, &algo),
                   0);
  crl_vec_env *venv = NULL;
  assert_int_equal(crl_vec_env_make("CartPole-v1", 3, 0, &venv), 0);
  assert_int_equal(crl_vec_env_reset(venv), 0);
  assert_int_equal(crl_algo_iterate(algo, venv, 1.0, NULL), CRL_ESHAPE);
  assert_int_equal(crl_algo_spec_set(t, spec, "n_epochs", "0"), CRL_ERANGE);
  assert_int_equal(crl_algo_spec_set(t, spec, "learning_rat", "1"),
                   CRL_ENOTFOUND);
  crl_vec_env_free(venv);
  crl_algo_free(algo);
  crl_env_free(env);
  crl_algo_spec_free(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_validation),
      cmocka_unit_test(test_minibatch_sizes),
      cmocka_unit_test(test_clip_range_vf_schedule),
      cmocka_unit_test(test_same_seed_same_result),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_pendulum_learns),
      cmocka_unit_test(test_cartpole_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
