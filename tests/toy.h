/* A toy env and a toy algorithm for the runner's tests (included by
 * test_config.c and test_runner.c): small, fast, and complete enough for
 * checkpoints (the env has get/set_state and a setting; the algorithm adds
 * seeded noise to its action and saves its RNG), with switches that make
 * it fail on purpose. */
#ifndef CRL_TESTS_TOY_H
#define CRL_TESTS_TOY_H

#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "crl/crl.h"

/* ---- env: a point that moves by the action; reward -|x|; 10 steps ------ */

typedef struct toy_env {
  double x;
  double speed; /* a declared setting (env_kwargs) */
} toy_env;
static const double toy_low[1] = {-1.0}, toy_high[1] = {1.0};

static const crl_param_def toy_env_params[] = {
    {"speed", CRL_PARAM_REAL, offsetof(toy_env, speed), "0.1", 0, 10, NULL,
     "how far an action of 1 moves the point"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

static int toy_init(void *self, crl_space *obs, crl_space *act) {
  toy_env *e = self;
  if (e->speed == 0.0) /* not registered through its params */
    e->speed = 0.1;
  *obs = (crl_space){CRL_SPACE_BOX, 1, 0, toy_low, toy_high};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, toy_low, toy_high};
  return 0;
}
static int toy_reset(void *self, gsl_rng *rng) {
  ((toy_env *)self)->x = gsl_rng_uniform(rng) - 0.5;
  return 0;
}
static int toy_step(void *self, const crl_real *a, double *r, int *term) {
  toy_env *e = self;
  e->x += e->speed * a[0];
  *r = -fabs(e->x);
  *term = 0;
  return 0;
}
static void toy_observe(const void *self, crl_real *obs) {
  obs[0] = (crl_real)((const toy_env *)self)->x;
}
static void toy_get_state(const void *self, double *s) {
  s[0] = ((const toy_env *)self)->x;
}
static void toy_set_state(void *self, const double *s) {
  ((toy_env *)self)->x = s[0];
}
static const crl_env_type toy_env_type = {.name = "Toy-v0",
                                          .doc = "a point on a line",
                                          .self_size = sizeof(toy_env),
                                          .max_episode_steps = 10,
                                          .state_dim = 1,
                                          .init = toy_init,
                                          .reset = toy_reset,
                                          .step = toy_step,
                                          .observe = toy_observe,
                                          .get_state = toy_get_state,
                                          .set_state = toy_set_state,
                                          .params = toy_env_params};

/* ---- algorithm: a constant action plus seeded noise ---------------------- */

typedef struct toy_spec {
  double action;
  double noise; /* std of the Gaussian added to the action */
  int n_steps;
  int nan_at;       /* > 0: fail with CRL_ENONFINITE from this step on */
  int inf_at;       /* > 0: report value_loss = inf from this step on */
  int param_nan_at; /* > 0: its "parameter" is NaN from this step on */
  crl_schedule learning_rate;
  crl_int_list net_arch;
  int activation;
} toy_spec;

static const crl_param_def toy_params[] = {
    {"action", CRL_PARAM_REAL, offsetof(toy_spec, action), "0.5", -1, 1, NULL,
     "the action"},
    {"noise", CRL_PARAM_REAL, offsetof(toy_spec, noise), "0", 0, 1, NULL,
     "std of Gaussian noise added to the action"},
    {"n_steps", CRL_PARAM_INT, offsetof(toy_spec, n_steps), "8", 1, 1000, NULL,
     "steps per copy per iteration"},
    {"nan_at", CRL_PARAM_INT, offsetof(toy_spec, nan_at), "0", 0, 1000000, NULL,
     "fail as if a loss were NaN from this step on"},
    {"inf_at", CRL_PARAM_INT, offsetof(toy_spec, inf_at), "0", 0, 1000000, NULL,
     "report an infinite value loss from this step on"},
    {"param_nan_at", CRL_PARAM_INT, offsetof(toy_spec, param_nan_at), "0", 0,
     1000000, NULL, "a NaN parameter from this step on (losses stay finite)"},
    {"learning_rate", CRL_PARAM_SCHEDULE, offsetof(toy_spec, learning_rate),
     "lin_0.001", 0, 1, NULL, "reported only"},
    {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, offsetof(toy_spec, net_arch),
     "[64, 64]", 1, 1000000, NULL, "unused"},
    {"policy_kwargs.activation", CRL_PARAM_ENUM, offsetof(toy_spec, activation),
     "tanh", 0, 0, "tanh|relu", "unused"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

typedef struct toy_algo {
  toy_spec spec;
  int n_envs;
  long steps;
  crl_real *actions;
  gsl_rng *rng;
} toy_algo;

/* The progress_remaining of the last iteration, for tests. */
static double toy_last_remaining = -1.0;
/* Tests of Ctrl-C: once toy_stop_after > 0 steps are done, toy_stop is
 * set, as a signal handler would set the runner's flag. */
static volatile sig_atomic_t toy_stop = 0;
static long toy_stop_after = 0;

static int toy_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  (void)obs;
  (void)act;
  const toy_spec *s = spec;
  if (s->n_steps == 13)
    return crl_fail(CRL_EINVAL, "toy: n_steps 13 is unlucky");
  toy_algo *t = calloc(1, sizeof *t);
  t->spec = *s;
  t->n_envs = n_envs;
  t->actions = calloc((size_t)n_envs, sizeof *t->actions);
  t->rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  *self = t;
  return 0;
}
static int toy_iterate(void *self, crl_vec_env *venv, double remaining,
                       crl_algo_stats *stats) {
  toy_algo *t = self;
  toy_last_remaining = remaining;
  if (t->spec.nan_at > 0 && t->steps >= t->spec.nan_at)
    return crl_fail(CRL_ENONFINITE, "toy: the loss is not finite (nan)");
  for (int k = 0; k < t->spec.n_steps; k++) {
    for (int i = 0; i < t->n_envs; i++)
      t->actions[i] =
          (crl_real)(t->spec.action + gsl_ran_gaussian(t->rng, t->spec.noise));
    if (crl_vec_env_step(venv, t->actions))
      return -1;
  }
  stats->steps = (long)t->spec.n_steps * t->n_envs;
  t->steps += stats->steps;
  if (toy_stop_after > 0 && t->steps >= toy_stop_after)
    toy_stop = 1;
  stats->learning_rate = crl_schedule_value(&t->spec.learning_rate, remaining);
  stats->policy_loss = remaining; /* something that changes */
  stats->value_loss = t->spec.inf_at > 0 && t->steps >= t->spec.inf_at
                          ? INFINITY
                          : gsl_rng_uniform(t->rng); /* depends on the RNG */
  return 0;
}
static int toy_act(void *self, const crl_real *obs, int B, int det,
                   crl_real *action) {
  (void)obs;
  (void)det;
  for (int i = 0; i < B; i++)
    action[i] = (crl_real)((toy_algo *)self)->spec.action;
  return 0;
}
static void toy_destroy(void *self) {
  toy_algo *t = self;
  free(t->actions);
  gsl_rng_free(t->rng);
  free(t);
}
/* Its state through the public table API only. The parameter (the
 * constant action, from the spec) is written so that a NaN one is refused
 * as a diverged network's would be; on load it is read and discarded. */
static int toy_sections(void *self, crl_state_io *io) {
  toy_algo *t = self;
  const int nan = t->spec.param_nan_at > 0 && t->steps >= t->spec.param_nan_at;
  crl_real param = nan ? (crl_real)NAN : (crl_real)t->spec.action;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("rng", crl_rng_sections, t->rng),
      CRL_STATE(REAL, "param", &param, 1, 0),
      CRL_STATE(LONG, "steps", &t->steps, 1, CRL_STATE_NONNEG),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
static int toy_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "toy", toy_sections, self);
}
static int toy_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "toy", toy_sections, self);
}
/* Each iteration takes n_steps on every copy (toy_iterate). */
static long toy_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const toy_spec *)spec)->n_steps * n_envs;
}

static const crl_algo_type toy_algo_type = {.name = "toy",
                                            .doc = "a constant policy",
                                            .params = toy_params,
                                            .spec_size = sizeof(toy_spec),
                                            .create = toy_create,
                                            .iterate = toy_iterate,
                                            .act = toy_act,
                                            .destroy = toy_destroy,
                                            .save = toy_save,
                                            .load = toy_load,
                                            .steps_per_iteration =
                                                toy_steps_per_iteration};

/* Register both (once per process). */
static int toy_register(void) {
  if (crl_env_find("Toy-v0") == NULL && crl_env_register(&toy_env_type))
    return -1;
  if (crl_algo_find("toy") == NULL && crl_algo_register(&toy_algo_type))
    return -1;
  return 0;
}

#endif
