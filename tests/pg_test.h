/* Shared by the tests of the policy-gradient family: train an on-policy
 * algorithm by name through the public API, probe its deterministic
 * actions, and check that a checkpoint resumes a run bit for bit and that
 * the exported policy acts as the algorithm does.
 *
 * A fixed seed fixes a run only within one build (the double build or a
 * change of summation order makes it another run), so the learning tests'
 * thresholds hold for every seed tried, with margin, not just this one. */
#ifndef CRL_TESTS_PG_TEST_H
#define CRL_TESTS_PG_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crl/crl.h"

typedef struct pg_run {
  crl_vec_env *venv;
  crl_algo *algo;
} pg_run;

/* An algorithm with key/value overrides (NULL-terminated) on n_envs copies
 * of env, reset and ready to iterate. */
static inline pg_run pg_start(const char *name, const char *env, int n_envs,
                              uint64_t seed, const char *const *kv) {
  const crl_algo_type *t = crl_algo_find(name);
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    if (crl_algo_spec_set(t, spec, kv[i], kv[i + 1]))
      fail_msg("%s = %s: %s", kv[i], kv[i + 1], crl_last_error());
  pg_run r = {0};
  assert_int_equal(crl_vec_env_make(env, n_envs, seed, &r.venv), 0);
  if (crl_algo_alloc(t, spec, crl_vec_env_obs_space(r.venv),
                     crl_vec_env_act_space(r.venv), n_envs, seed, &r.algo))
    fail_msg("alloc: %s", crl_last_error());
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(r.venv), 0);
  return r;
}

static inline void pg_free(pg_run *r) {
  crl_algo_free(r->algo);
  crl_vec_env_free(r->venv);
}

/* Iterate until `steps` env steps (progress as the runner computes it). */
static inline void pg_train_steps(pg_run *r, long steps) {
  long done = 0;
  while (done < steps) {
    crl_algo_stats st;
    int rc =
        crl_algo_iterate(r->algo, r->venv, 1.0 - (double)done / steps, &st);
    if (rc)
      fail_msg("iterate: %s", crl_last_error());
    assert_true(st.steps > 0);
    done += st.steps;
  }
}

/* Train and return the deterministic evaluation (20 episodes). */
static inline double pg_train_eval(const char *name, const char *env,
                                   int n_envs, uint64_t seed, long steps,
                                   const char *const *kv) {
  pg_run r = pg_start(name, env, n_envs, seed, kv);
  pg_train_steps(&r, steps);
  double mean = 0, sd = 0;
  assert_int_equal(crl_evaluate(r.algo, env, 20, 100, &mean, &sd, NULL), 0);
  printf("# %s %s %ld steps, seed %d: eval %.1f +- %.1f\n", name, env, steps,
         (int)seed, mean, sd);
  pg_free(&r);
  return mean;
}

/* Deterministic actions on 16 fixed Pendulum states. */
static inline void pg_probe(crl_algo *algo, crl_real *out) {
  for (int k = 0; k < 16; k++) {
    crl_real obs[3] = {(crl_real)cos(0.4 * k), (crl_real)sin(0.4 * k),
                       (crl_real)(k - 8) * 0.5f};
    assert_int_equal(crl_algo_act(algo, obs, 1, 1, out + k), 0);
  }
}

static inline void pg_iterate(pg_run *r, int n) {
  for (int i = 0; i < n; i++)
    if (crl_algo_iterate(r->algo, r->venv, 1.0 - 0.1 * i, NULL))
      fail_msg("iterate: %s", crl_last_error());
}

static inline int pg_same_file_bytes(const char *p, const char *q) {
  FILE *f = fopen(p, "rb"), *g = fopen(q, "rb");
  int same = f != NULL && g != NULL;
  while (same) {
    int c = fgetc(f), d = fgetc(g);
    same = c == d;
    if (c == EOF)
      break;
  }
  if (f)
    fclose(f);
  if (g)
    fclose(g);
  return same;
}

/* A fixed observation [obs_dim] for probe k. */
static inline void pg_probe_obs(int k, int obs_dim, crl_real *obs) {
  for (int d = 0; d < obs_dim; d++)
    obs[d] = (crl_real)(0.6 * sin(1.7 * k + 0.9 * d));
}

/* On n_envs copies of env: checkpoint after 3 iterations, restore into a
 * fresh run, continue both for 3 more: checkpoints of the two are then the
 * same bytes (parameters, optimisers, every stream, the env copies), and
 * they sample the same actions; the exported policy's actions are the
 * algorithm's deterministic actions (clipped to a Box's bounds); a file
 * from another configuration (`other`, unless NULL) is refused. */
static inline void pg_check_resume(const char *name, const char *env,
                                   int n_envs, const char *const *kv,
                                   const char *const *other) {
  char path[128], path_b[140];
  snprintf(path, sizeof path, "/tmp/crl_test_%s_%d.ckpt", name, (int)getpid());
  snprintf(path_b, sizeof path_b, "%s.b", path);
  pg_run a = pg_start(name, env, n_envs, 8, kv);
  pg_run b = pg_start(name, env, n_envs, 8, kv);
  pg_iterate(&a, 3);
  if (crl_algo_checkpoint_save(a.algo, a.venv, path))
    fail_msg("save: %s", crl_last_error());
  if (crl_algo_checkpoint_load(b.algo, b.venv, path))
    fail_msg("load: %s", crl_last_error());
  pg_iterate(&a, 3);
  pg_iterate(&b, 3);
  assert_int_equal(crl_algo_checkpoint_save(a.algo, a.venv, path), 0);
  assert_int_equal(crl_algo_checkpoint_save(b.algo, b.venv, path_b), 0);
  assert_true(pg_same_file_bytes(path, path_b));

  const crl_space *os = crl_vec_env_obs_space(a.venv);
  const crl_space *as = crl_vec_env_act_space(a.venv);
  assert_true(os->dim <= 16 && as->dim <= 8);
  crl_policy *pol = NULL;
  assert_int_equal(crl_algo_export_policy(a.algo, 1, &pol), 0);
  for (int k = 0; k < 16; k++) {
    crl_real obs[16], x[8], y[8], z[8];
    pg_probe_obs(k, os->dim, obs);
    assert_int_equal(crl_algo_act(a.algo, obs, 1, 0, x), 0); /* sampled */
    assert_int_equal(crl_algo_act(b.algo, obs, 1, 0, y), 0);
    assert_memory_equal(x, y, (size_t)as->dim * sizeof *x);
    assert_int_equal(crl_algo_act(a.algo, obs, 1, 1, x), 0);
    assert_int_equal(crl_policy_act(pol, obs, z), 0);
    for (int j = 0; j < as->dim; j++) {
      crl_real want = x[j];
      if (as->kind == CRL_SPACE_BOX)
        want = want < as->low[j]    ? (crl_real)as->low[j]
               : want > as->high[j] ? (crl_real)as->high[j]
                                    : want;
      assert_true(z[j] == want);
    }
  }
  crl_policy_free(pol);

  if (other != NULL) {
    pg_run c = pg_start(name, env, n_envs, 8, other);
    assert_int_equal(crl_algo_checkpoint_load(c.algo, c.venv, path),
                     CRL_EFORMAT);
    pg_free(&c);
  }
  pg_free(&a);
  pg_free(&b);
  unlink(path);
  unlink(path_b);
}

/* The same on Pendulum-v1. */
static inline void pg_check_resume_and_export(const char *name, int n_envs,
                                              const char *const *kv,
                                              const char *const *other) {
  pg_check_resume(name, "Pendulum-v1", n_envs, kv, other);
}

#endif
