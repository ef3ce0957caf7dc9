/* Shared by the off-policy tests (test_offpolicy.c, test_offpolicy_norm.c,
 * test_tqc.c): build an algorithm on an env with keys, its deterministic
 * actions on a grid of Pendulum states, and the checkpoint round trip
 * every off-policy algorithm must pass. */
#ifndef CRL_TESTS_OFFPOLICY_ALGO_H
#define CRL_TESTS_OFFPOLICY_ALGO_H

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "crl/crl.h"

static inline int make(const char *name, const char *env, const char *const *kv,
                       uint64_t seed, crl_algo **out) {
  const crl_algo_type *t = crl_algo_find(name);
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv != NULL && kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_env *e = NULL;
  assert_int_equal(crl_env_make(env, &e), 0);
  int rc = crl_algo_alloc(t, spec, crl_env_obs_space(e), crl_env_act_space(e),
                          1, seed, out);
  crl_env_free(e);
  crl_algo_spec_free(spec);
  return rc;
}

/* The algorithm with keys kv on n_envs copies of env, reset. */
static inline void make_run(const char *name, const char *env, int n_envs,
                            const char *const *kv, uint64_t seed,
                            crl_algo **algo, crl_vec_env **venv) {
  const crl_algo_type *t = crl_algo_find(name);
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  assert_int_equal(crl_vec_env_make(env, n_envs, seed, venv), 0);
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(*venv),
                                  crl_vec_env_act_space(*venv), n_envs, seed,
                                  algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(*venv), 0);
}

/* Deterministic actions on a grid of Pendulum states. */
static inline void probe(crl_algo *algo, crl_real *out) {
  crl_real obs[16 * 3];
  for (int k = 0; k < 16; k++) {
    obs[3 * k] = (crl_real)cos(0.4 * k);
    obs[3 * k + 1] = (crl_real)sin(0.4 * k);
    obs[3 * k + 2] = (crl_real)(k - 8) * 0.5f;
  }
  assert_int_equal(crl_algo_act(algo, obs, 16, 1, out), 0);
  for (int k = 0; k < 16; k++)
    assert_true(out[k] >= -2 && out[k] <= 2);
}

/* Checkpoint after 2 iterations (mid-episode, so the OU noise is not at
 * its reset value), restore into a fresh instance, continue both: they
 * agree bit for bit (networks, optimisers, replay buffer, OU noise, every
 * random stream, normalisers); the exported policy acts as the algorithm
 * does; a checkpoint of the settings `other` (another network shape, no
 * normaliser) is refused. */
static inline void check_resume(const char *name, const char *const *kv,
                                const char *const *other) {
  char path[128];
  snprintf(path, sizeof path, "/tmp/crl_test_%s_%d.ckpt", name, (int)getpid());
  crl_algo *a = NULL, *b = NULL, *c = NULL;
  crl_vec_env *va = NULL, *vb = NULL;
  assert_int_equal(make(name, "Pendulum-v1", kv, 5, &a), 0);
  assert_int_equal(make(name, "Pendulum-v1", kv, 5, &b), 0);
  assert_int_equal(make(name, "Pendulum-v1", other, 5, &c), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 5, &va), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 1, 5, &vb), 0);
  assert_int_equal(crl_vec_env_reset(va), 0);
  assert_int_equal(crl_vec_env_reset(vb), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(crl_algo_iterate(a, va, 1.0, NULL), 0);
  assert_int_equal(crl_algo_checkpoint_save(a, va, path), 0);
  assert_int_equal(crl_algo_checkpoint_load(b, vb, path), 0);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(crl_algo_iterate(a, va, 0.5, NULL), 0);
    assert_int_equal(crl_algo_iterate(b, vb, 0.5, NULL), 0);
  }
  crl_real x[16], y[16];
  probe(a, x);
  probe(b, y);
  assert_memory_equal(x, y, sizeof x);
  assert_memory_equal(crl_vec_env_obs(va), crl_vec_env_obs(vb),
                      3 * sizeof(crl_real));
  assert_int_equal(crl_algo_checkpoint_load(c, vb, path), CRL_EFORMAT);

  crl_policy *pol = NULL;
  assert_int_equal(crl_algo_export_policy(a, 1, &pol), 0);
  for (int k = 0; k < 16; k++) {
    crl_real obs[3] = {(crl_real)cos(0.4 * k), (crl_real)sin(0.4 * k),
                       (crl_real)(k - 8) * 0.5f};
    crl_real want, got;
    assert_int_equal(crl_algo_act(a, obs, 1, 1, &want), 0);
    assert_int_equal(crl_policy_act(pol, obs, &got), 0);
    /* the same tanh-to-bounds map, computed in another order */
    assert_true(fabs((double)got - want) <= 1e-5 * 2);
  }
  crl_policy_free(pol);
  crl_algo_free(a);
  crl_algo_free(b);
  crl_algo_free(c);
  crl_vec_env_free(va);
  crl_vec_env_free(vb);
  unlink(path);
}

#endif
