/* Shared by the tests of MuJoCo envs (test_mujoco.c,
 * test_mujoco_callbacks.c): the source tree's models, making and stepping
 * an env, writing a model file. */
#ifndef CRL_TESTS_MUJOCO_ENV_TEST_H
#define CRL_TESTS_MUJOCO_ENV_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "crl/crl.h"

static char models[4096];

/* The source tree's models (tests/meson.build sets CRL_SOURCE_ROOT). */
static inline const char *model_path(const char *file) {
  const char *root = getenv("CRL_SOURCE_ROOT");
  snprintf(models, sizeof models, "%s/experiments/mujoco/models/%s",
           root ? root : "..", file);
  return models;
}

static inline crl_env *make(const char *name) {
  crl_env *env = NULL;
  int rc = crl_env_make(name, &env);
  if (rc)
    fail_msg("make %s: %s", name, crl_last_error());
  return env;
}

/* Register `name` as base with one setting changed. */
static inline void configure1(const char *name, const char *base,
                              const char *key, const char *value) {
  const char *k[1] = {key}, *v[1] = {value};
  int rc = crl_env_register_configured(name, base, 1, k, v);
  if (rc)
    fail_msg("configure %s: %s", name, crl_last_error());
}

static inline void step(crl_env *env, crl_real a, crl_real *obs, double *r,
                        int *term) {
  crl_real act[2] = {a, a};
  int trunc;
  int rc = crl_env_step(env, act, obs, r, term, &trunc);
  if (rc)
    fail_msg("step: %s", crl_last_error());
}

static inline void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

#endif
