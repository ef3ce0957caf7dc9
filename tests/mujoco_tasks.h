/* Helpers for the Gymnasium MuJoCo task tests (test_mujoco_tasks*.c): make
 * an env and reach its mjData, drive it with reproducible actions, compare
 * observations and rewards with values recomputed from mjData. */
#ifndef CRL_TESTS_MUJOCO_TASKS_H
#define CRL_TESTS_MUJOCO_TASKS_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mujoco/mujoco.h>

#include "crl/crl.h"

/* An env with its model and data. */
typedef struct task {
  crl_env *env;
  const mjModel *m;
  mjData *d;
  int obs_dim, act_dim;
  crl_real obs[512]; /* the last observation */
  crl_real act[32];  /* the last action */
} task;

static inline void task_open(task *t, const char *name) {
  memset(t, 0, sizeof *t);
  if (crl_env_make(name, &t->env) != 0)
    fail_msg("make %s: %s", name, crl_last_error());
  if (crl_mujoco_handles(t->env, &t->m, &t->d) != 0)
    fail_msg("handles %s: %s", name, crl_last_error());
  t->obs_dim = crl_env_obs_space(t->env)->dim;
  t->act_dim = crl_env_act_space(t->env)->dim;
  assert_true(t->obs_dim <= 512 && t->act_dim <= 32);
}

static inline void task_close(task *t) {
  crl_env_free(t->env);
  t->env = NULL;
}

static inline void task_reset(task *t, uint64_t seed) {
  crl_env_seed(t->env, seed);
  if (crl_env_reset(t->env, t->obs) != 0)
    fail_msg("reset: %s", crl_last_error());
}

/* A reproducible action in [-scale, scale] * the action bound. */
static inline void task_action(task *t, uint64_t *s, double scale) {
  const crl_space *a = crl_env_act_space(t->env);
  for (int j = 0; j < t->act_dim; j++) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u = (double)(*s >> 11) * (1.0 / 9007199254740992.0) * 2 - 1;
    t->act[j] = (crl_real)(u * scale * a->high[j]);
  }
}

static inline double task_step(task *t, int *terminated, int *truncated) {
  double r;
  int term, trunc;
  if (crl_env_step(t->env, t->act, t->obs, &r, &term, &trunc) != 0)
    fail_msg("step: %s", crl_last_error());
  if (terminated)
    *terminated = term;
  if (truncated)
    *truncated = trunc;
  return r;
}

static inline double info(task *t, const char *key) {
  double v;
  if (crl_mujoco_info_get(t->env, key, &v) != 0)
    fail_msg("info %s: %s", key, crl_last_error());
  return v;
}

/* The info names the last reset or step reported, in order. */
static inline void assert_info_names(task *t, const char *const *names, int n) {
  assert_int_equal(crl_mujoco_info_count(t->env), n);
  for (int i = 0; i < n; i++) {
    const char *name;
    double v;
    assert_int_equal(crl_mujoco_info(t->env, i, &name, &v), 0);
    assert_string_equal(name, names[i]);
  }
}

/* Relative closeness for recomputed sums (the env may add in another
 * order). */
static inline void assert_close(double got, double want, const char *what) {
  double tol = 1e-12 * (1.0 + fabs(want));
  if (!(fabs(got - want) <= tol))
    fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

/* obs[k] is exactly (crl_real)want. */
static inline void assert_obs(const task *t, int k, double want,
                              const char *what, int i) {
  if (t->obs[k] != (crl_real)want)
    fail_msg("obs[%d] (%s %d): got %.9g, want %.9g", k, what, i,
             (double)t->obs[k], (double)(crl_real)want);
}

static inline double sum_sq(const crl_real *a, int n) {
  double s = 0;
  for (int j = 0; j < n; j++)
    s += (double)a[j] * (double)a[j];
  return s;
}

static inline double clipd(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Register `name` as base with settings "k1", "v1", "k2", "v2", ..., NULL;
 * returns the code (the message is in crl_last_error). */
static inline int configure(const char *name, const char *base, ...) {
  const char *keys[16], *values[16];
  int n = 0;
  va_list ap;
  va_start(ap, base);
  for (const char *k; n < 16 && (k = va_arg(ap, const char *)) != NULL; n++) {
    keys[n] = k;
    values[n] = va_arg(ap, const char *);
  }
  va_end(ap);
  if (crl_env_find(name) != NULL)
    return 0;
  return crl_env_register_configured(name, base, n, keys, values);
}

static inline void must_configure(const char *name, int rc) {
  if (rc != 0)
    fail_msg("configure %s: %s", name, crl_last_error());
}

/* "%.17g" reads back as the same double. */
static inline const char *num(char *buf, double x) {
  snprintf(buf, 32, "%.17g", x);
  return buf;
}

#endif
