/* Inference latency of crl_policy_act: what a controller pays per control
 * step.
 *
 * The policy is PPO's for Pendulum-v1 with the default actor (tanh 64-64,
 * diagonal Gaussian head; the deterministic action is the mean clipped to
 * [-2, 2]), built through the public API only: a PPO instance is allocated
 * on Pendulum-v1's spaces, its policy exported, saved to a file and loaded
 * back with crl_policy_load, as a robot would load it. The weights are the
 * untrained initial ones: the arithmetic, and so the time, does not depend
 * on their values.
 *
 * 1. Latency at batch 1: every one of N calls (default 1e6) is timed on its
 *    own with clock_gettime(CLOCK_MONOTONIC); the percentiles are printed
 *    as measured and with the cost of the two clock reads (the median of
 *    timing an empty interval) subtracted. Observations cycle through 1024
 *    random Pendulum observations (cos, sin in [-1, 1], speed in [-8, 8]).
 * 2. Throughput at batch 1: N calls in a row, one clock read around them,
 *    in CPU time (and wall clock, which counts other processes' slices).
 * 3. crl_policy_act_batch at 64 rows: per-call latency percentiles over
 *    N / 64 calls, the time per row, and the throughput as in 2.
 *
 * usage: bench_policy [N]
 * Wall-clock times: on a shared machine the tail (p99.9, max) includes
 * preemption by other processes; the median does not. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "crl/crl.h"

#define N_OBS 1024 /* distinct observations cycled through */
#define BATCH 64
#define WARMUP 10000

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time of this thread: on a shared machine it leaves out the time
 * other processes hold the core, which wall-clock throughput includes. */
static long long cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* Percentile p (0..100) of sorted t[n], nearest rank. */
static long long pct(const long long *t, long n, double p) {
  long i = (long)(p / 100.0 * (double)n);
  return t[i < n ? i : n - 1];
}

/* Median cost of timing an empty interval (two clock reads). */
static long long clock_overhead(long long *t, long n) {
  for (long i = 0; i < n; i++) {
    long long a = now_ns();
    t[i] = now_ns() - a;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_ll);
  return pct(t, n, 50);
}

/* Pendulum-v1 observations: cos, sin of an angle and a speed in [-8, 8]. */
static void fill_observations(crl_real *obs) {
  srand(1);
  for (int i = 0; i < N_OBS; i++) {
    double th = 6.283185307179586 * rand() / RAND_MAX;
    obs[3 * i] = (crl_real)cos(th);
    obs[3 * i + 1] = (crl_real)sin(th);
    obs[3 * i + 2] = (crl_real)(16.0 * rand() / RAND_MAX - 8.0);
  }
}

/* PPO's default policy for Pendulum-v1, through a file. */
static int make_policy(const char *path, crl_policy **out) {
  const crl_algo_type *ppo = crl_algo_find("ppo");
  crl_env *env = NULL;
  void *spec = NULL;
  crl_algo *algo = NULL;
  crl_policy *exported = NULL;
  int rc = crl_env_make("Pendulum-v1", &env);
  if (rc == 0)
    rc = crl_algo_spec_alloc(ppo, &spec);
  /* The defaults already; stated because the numbers depend on them. */
  if (rc == 0)
    rc = crl_algo_spec_set(ppo, spec, "policy_kwargs.net_arch", "[64, 64]");
  if (rc == 0)
    rc = crl_algo_spec_set(ppo, spec, "policy_kwargs.activation", "tanh");
  if (rc == 0)
    rc = crl_algo_alloc(ppo, spec, crl_env_obs_space(env),
                        crl_env_act_space(env), 1, 0, &algo);
  if (rc == 0)
    rc = crl_algo_export_policy(algo, BATCH, &exported);
  if (rc == 0)
    rc = crl_policy_save(exported, path);
  if (rc == 0)
    rc = crl_policy_load(path, BATCH, out);
  remove(path);
  crl_policy_free(exported);
  crl_algo_free(algo);
  crl_algo_spec_free(spec);
  crl_env_free(env);
  return rc;
}

/* Median, p99, p99.9 and max of t[n] (sorted here), as measured and with
 * the clock reads subtracted. */
static void print_latency(const char *what, long long *t, long n,
                          long long clock_ns) {
  qsort(t, (size_t)n, sizeof *t, cmp_ll);
  const long long q[4] = {pct(t, n, 50), pct(t, n, 99), pct(t, n, 99.9),
                          t[n - 1]};
  printf("%s, %ld calls (ns):\n", what, n);
  printf("  %-20s median %7lld  p99 %7lld  p99.9 %7lld  max %9lld\n",
         "as measured", q[0], q[1], q[2], q[3]);
  printf("  %-20s median %7lld  p99 %7lld  p99.9 %7lld  max %9lld\n",
         "minus clock reads", q[0] - clock_ns, q[1] - clock_ns, q[2] - clock_ns,
         q[3] - clock_ns);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  if (n < BATCH) {
    fprintf(stderr, "usage: bench_policy [N >= %d]\n", BATCH);
    return 2;
  }
  char path[64];
  snprintf(path, sizeof path, "/tmp/bench_policy_%ld.crlp", (long)getpid());
  crl_policy *p = NULL;
  int rc = make_policy(path, &p);
  long long *t = malloc((size_t)n * sizeof *t);
  crl_real *obs = malloc((size_t)N_OBS * 3 * sizeof *obs);
  crl_real act[BATCH];
  if (rc || t == NULL || obs == NULL) {
    fprintf(stderr, "bench_policy: %s\n",
            rc ? crl_last_error() : "out of memory");
    return 1;
  }
  fill_observations(obs);
  printf("crl %s (%s), PPO Pendulum-v1 policy: 3 -> 64 -> 64 -> 1, tanh, "
         "loaded from a file; %ld calls\n",
         crl_version(), crl_real_name(), n);

  for (int i = 0; i < WARMUP; i++) /* caches, branch predictors, ifuncs */
    rc |= crl_policy_act(p, obs + 3 * (i % N_OBS), act);
  const long long clock_ns = clock_overhead(t, n);
  printf("clock_gettime pair: median %lld ns\n", clock_ns);

  /* 1. each call timed */
  for (long i = 0; i < n; i++) {
    const crl_real *o = obs + 3 * (i % N_OBS);
    long long a = now_ns();
    rc |= crl_policy_act(p, o, act);
    t[i] = now_ns() - a;
  }
  print_latency("crl_policy_act, batch 1", t, n, clock_ns);

  /* 2. throughput */
  long long a = now_ns(), c = cpu_ns();
  for (long i = 0; i < n; i++)
    rc |= crl_policy_act(p, obs + 3 * (i % N_OBS), act);
  double wall = (double)(now_ns() - a) / (double)n;
  double per = (double)(cpu_ns() - c) / (double)n;
  printf("  %-20s %.0f ns per call, %.0f calls/s in CPU time (wall clock: "
         "%.0f ns, %.0f calls/s)\n",
         "back to back", per, 1e9 / per, wall, 1e9 / wall);

  /* 3. batch of 64 rows; N / 64 calls so that the rows add up to N */
  long calls = n / BATCH;
  for (long i = 0; i < calls; i++) {
    const crl_real *o = obs + 3 * BATCH * (i % (N_OBS / BATCH));
    long long b = now_ns();
    rc |= crl_policy_act_batch(p, o, BATCH, act);
    t[i] = now_ns() - b;
  }
  print_latency("crl_policy_act_batch, 64 rows", t, calls, clock_ns);
  long long med = pct(t, calls, 50) - clock_ns;
  printf("  %-20s %.1f ns per row (median call / 64)\n", "per row",
         (double)med / BATCH);
  a = now_ns();
  c = cpu_ns();
  for (long i = 0; i < calls; i++)
    rc |= crl_policy_act_batch(p, obs + 3 * BATCH * (i % (N_OBS / BATCH)),
                               BATCH, act);
  wall = (double)(now_ns() - a) / (double)calls;
  per = (double)(cpu_ns() - c) / (double)calls;
  printf("  %-20s %.0f ns per call, %.1f ns per row, %.0f rows/s in CPU time "
         "(wall clock: %.1f ns per row)\n",
         "back to back", per, per / BATCH, 1e9 * BATCH / per, wall / BATCH);

  crl_policy_free(p);
  free(t);
  free(obs);
  if (rc) {
    fprintf(stderr, "bench_policy: a call failed: %s\n", crl_last_error());
    return 1;
  }
  return 0;
}
