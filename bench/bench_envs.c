/* Raw step throughput of the built-in environments.
 *
 * For each built-in env: actions pre-sampled uniformly from its action
 * space with a fixed seed, then crl_env_step in a loop through the handle
 * (TimeLimit included), resetting whenever an episode ends by terminated or
 * truncated. Mirrors Gymnasium's "actions pre-sampled, gym.make wrappers"
 * measurement (tests/data/gymnasium/README.md).
 *
 * usage: bench_envs [seconds per env, default 0.5]
 * prints: env, steps, wall seconds, steps/s (wall), steps/s (CPU) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crl/crl.h"

enum { NACT = 1 << 16 }; /* pre-sampled actions, cycled */

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run steps until `seconds` of wall time have passed; 0 or an error code. */
static int bench_env(const crl_env_type *type, double seconds) {
  crl_env *env = NULL;
  int rc = crl_env_alloc(type, &env);
  if (rc)
    return rc;
  const crl_space *as = crl_env_act_space(env);
  crl_real *actions = malloc(sizeof(crl_real) * NACT);
  gsl_rng *rng = crl_rng_alloc(0, 1000);
  if (actions == NULL || rng == NULL) {
    free(actions);
    gsl_rng_free(rng);
    crl_env_free(env);
    return CRL_ENOMEM;
  }
  for (int i = 0; i < NACT; i++)
    actions[i] = as->kind == CRL_SPACE_DISCRETE
                     ? (crl_real)gsl_rng_uniform_int(rng, (unsigned long)as->n)
                     : (crl_real)(as->low[0] + (as->high[0] - as->low[0]) *
                                                   gsl_rng_uniform(rng));
  gsl_rng_free(rng);

  crl_real obs[16];
  double reward, total = 0.0;
  int term = 0, trunc = 0;
  long steps = 0, episodes = 0;
  crl_env_seed(env, 0);
  rc = crl_env_reset(env, obs);
  double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
  double t1 = t0, c1 = c0;
  while (rc == 0 && t1 - t0 < seconds) {
    for (int i = 0; i < 16384 && rc == 0; i++, steps++) {
      rc = crl_env_step(env, &actions[steps & (NACT - 1)], obs, &reward, &term,
                        &trunc);
      total += reward;
      if (term || trunc) {
        episodes++;
        rc = rc ? rc : crl_env_reset(env, obs);
      }
    }
    t1 = now(CLOCK_MONOTONIC);
    c1 = now(CLOCK_PROCESS_CPUTIME_ID);
  }
  if (rc == 0)
    printf("%-26s %10ld steps %7.3f s %12.0f steps/s %12.0f steps/CPU-s"
           "  (%ld episodes, mean return %.1f)\n",
           type->name, steps, t1 - t0, (double)steps / (t1 - t0),
           (double)steps / (c1 - c0), episodes,
           episodes ? total / (double)episodes : 0.0);
  free(actions);
  crl_env_free(env);
  return rc;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5;
  if (!(seconds > 0)) {
    fprintf(stderr, "usage: %s [seconds per env > 0]\n", argv[0]);
    return 2;
  }
  printf("crl %s, crl_real = %s\n", crl_version(), crl_real_name());
  for (int i = 0; i < crl_env_count(); i++) {
    int rc = bench_env(crl_env_at(i), seconds);
    if (rc) {
      fprintf(stderr, "%s: %s (%s)\n", crl_env_at(i)->name, crl_errname(rc),
              crl_last_error());
      return 1;
    }
  }
  return 0;
}
