/* PPO wall time on the benchmark configurations.
 *
 * Three configurations, their keys set in C through crl_algo_spec_set
 * exactly as the YAML files have them (no YAML parsing in the timed path):
 *   rltools   experiments/pendulum/ppo_rltools.yaml  Pendulum-v1, 307 200 steps
 *   pendulum  experiments/pendulum/ppo.yaml          Pendulum-v1, 100 000 steps
 *   cartpole  experiments/cartpole/ppo.yaml          CartPole-v1, 100 000 steps
 * The training loop is the runner's: iterate with progress_remaining =
 * 1 - steps / n_timesteps until n_timesteps are reached. Only training is
 * timed; the deterministic evaluation (20 episodes, as the YAML's eval
 * block) runs afterwards, so that the printed return shows the run learnt.
 *
 * usage: bench_ppo [config|all] [seed] [repeats]
 * prints per run: config, seed, steps, wall and CPU seconds, steps/s (wall),
 * eval mean +- std; with repeats > 1, the medians per config. (CPU time is
 * the steadier figure on a shared machine.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl/crl.h"

typedef struct bench_cfg {
  const char *name, *env;
  int n_envs;
  long n_timesteps;
  const char *const *kv; /* key, value, ..., NULL */
} bench_cfg;

static const char *const rltools_kv[] = {"n_steps",
                                         "1024",
                                         "batch_size",
                                         "256",
                                         "n_epochs",
                                         "2",
                                         "gamma",
                                         "0.9",
                                         "gae_lambda",
                                         "0.95",
                                         "clip_range",
                                         "0.2",
                                         "ent_coef",
                                         "0.0",
                                         "learning_rate",
                                         "1e-3",
                                         "max_grad_norm",
                                         "1e9",
                                         "adam_eps",
                                         "1e-7",
                                         "policy_kwargs.net_arch",
                                         "[64, 64]",
                                         "policy_kwargs.activation",
                                         "relu",
                                         "policy_kwargs.log_std_init",
                                         "0.693",
                                         NULL};

static const char *const pendulum_kv[] = {"n_steps",
                                          "1024",
                                          "batch_size",
                                          "64",
                                          "n_epochs",
                                          "10",
                                          "gamma",
                                          "0.9",
                                          "gae_lambda",
                                          "0.95",
                                          "learning_rate",
                                          "1e-3",
                                          "clip_range",
                                          "0.2",
                                          "ent_coef",
                                          "0.0",
                                          "policy_kwargs.net_arch",
                                          "[64, 64]",
                                          "policy_kwargs.activation",
                                          "tanh",
                                          "policy_kwargs.log_std_init",
                                          "0.0",
                                          NULL};

static const char *const cartpole_kv[] = {
    "n_steps",       "32",        "batch_size", "256",     "gae_lambda", "0.8",
    "gamma",         "0.98",      "n_epochs",   "20",      "ent_coef",   "0.0",
    "learning_rate", "lin_0.001", "clip_range", "lin_0.2", NULL};

static const bench_cfg configs[] = {
    {"rltools", "Pendulum-v1", 4, 307200, rltools_kv},
    {"pendulum", "Pendulum-v1", 4, 100000, pendulum_kv},
    {"cartpole", "CartPole-v1", 8, 100000, cartpole_kv},
};
#define N_CONFIGS (int)(sizeof configs / sizeof configs[0])

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_ppo: %s: %s\n", what, crl_last_error());
  return -1;
}

/* Train one configuration for one seed; writes the training wall time. */
static int run(const bench_cfg *c, int seed, double *wall, double *cpu) {
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  if (t == NULL || crl_algo_spec_alloc(t, &spec))
    return fail("spec");
  for (int i = 0; c->kv[i] != NULL; i += 2)
    if (crl_algo_spec_set(t, spec, c->kv[i], c->kv[i + 1])) {
      crl_algo_spec_free(spec);
      return fail(c->kv[i]);
    }
  crl_vec_env *venv = NULL;
  crl_algo *algo = NULL;
  int rc = crl_vec_env_make(c->env, c->n_envs, (uint64_t)seed, &venv);
  if (rc == 0)
    rc = crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                        crl_vec_env_act_space(venv), c->n_envs, (uint64_t)seed,
                        &algo);
  crl_algo_spec_free(spec);
  if (rc == 0)
    rc = crl_vec_env_reset(venv);
  const double t0 = now(CLOCK_MONOTONIC);
  const double c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  long steps = 0;
  while (rc == 0 && steps < c->n_timesteps) {
    crl_algo_stats st;
    rc = crl_algo_iterate(algo, venv,
                          1.0 - (double)steps / (double)c->n_timesteps, &st);
    steps += st.steps;
  }
  *wall = now(CLOCK_MONOTONIC) - t0;
  *cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
  double mean = 0, sd = 0;
  if (rc == 0)
    rc = crl_evaluate(algo, c->env, 20, (uint64_t)seed, &mean, &sd, NULL);
  if (rc == 0)
    printf("%-9s seed %d  %7ld steps  %7.3f s wall  %7.3f s CPU  %9.0f "
           "steps/s  eval %8.2f +- %6.2f\n",
           c->name, seed, steps, *wall, *cpu, (double)steps / *wall, mean, sd);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  return rc ? fail(c->name) : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "all";
  const int seed = argc > 2 ? atoi(argv[2]) : 0;
  int repeats = argc > 3 ? atoi(argv[3]) : 1;
  if (repeats < 1 || repeats > 100)
    repeats = 1;
  int found = 0;
  for (int i = 0; i < N_CONFIGS; i++) {
    const bench_cfg *c = &configs[i];
    if (strcmp(which, "all") != 0 && strcmp(which, c->name) != 0)
      continue;
    found = 1;
    double walls[100], cpus[100];
    for (int r = 0; r < repeats; r++)
      if (run(c, seed, &walls[r], &cpus[r]))
        return 1;
    if (repeats > 1) {
      qsort(walls, (size_t)repeats, sizeof *walls, cmp_double);
      qsort(cpus, (size_t)repeats, sizeof *cpus, cmp_double);
      printf("%-9s median of %d: wall %.3f s (min %.3f, max %.3f), CPU %.3f "
             "s (min %.3f)\n",
             c->name, repeats, walls[repeats / 2], walls[0], walls[repeats - 1],
             cpus[repeats / 2], cpus[0]);
    }
  }
  if (!found) {
    fprintf(stderr, "usage: bench_ppo [all|rltools|pendulum|cartpole] "
                    "[seed] [repeats]\n");
    return 2;
  }
  return 0;
}
