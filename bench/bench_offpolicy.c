/* DDPG / TD3 / SAC wall time, and how close each update runs to the CBLAS
 * peak for its shapes.
 *
 * Configurations, keys set through crl_algo_spec_set exactly as the YAML
 * files have them (no YAML parsing in the timed path):
 *   td3_small  experiments/pendulum/td3_small.yaml  Pendulum-v1, 10 000 steps
 *   sac_small  experiments/pendulum/sac_small.yaml  Pendulum-v1, 10 000 steps
 *   ddpg_zoo   experiments/pendulum/ddpg.yaml       Pendulum-v1, 20 000 steps
 *   td3_zoo    experiments/pendulum/td3.yaml        Pendulum-v1, 20 000 steps
 *   sac_zoo    experiments/pendulum/sac.yaml        Pendulum-v1, 20 000 steps
 * The loop is the runner's (iterate until n_timesteps); only training is
 * timed, then a 20-episode deterministic evaluation shows that it learnt.
 *
 * The arithmetic floor: every update is a fixed sequence of matrix
 * products (forward W x, backward dW and dX per layer, as lib/mlp.c does
 * them). The benchmark lists that sequence for the configuration, counts
 * its FLOPs, and times the same sequence of plain CBLAS gemm calls on
 * random data: "floor" is that time per update, what an implementation
 * whose only cost were these CBLAS calls would take. "ms/upd" is the
 * training's CPU time divided by the number of gradient steps (so it
 * includes acting, env steps and the optimiser, a few percent here);
 * "ratio" is ms/upd over floor. Times are CPU time of this process (the
 * wall time is printed too), which a shared machine disturbs less.
 *
 * usage: bench_offpolicy [config|all|small|zoo] [seed] [repeats] [steps]
 * (OPENBLAS_NUM_THREADS=1 for one thread.) repeats 0 = the floor only,
 * and next to it the same sequence through crl's products (crl/kernels.h) on
 * the same hot buffers ("crl products"), which separates the kernels' speed
 * from the rest of an update. steps overrides n_timesteps (a shorter run for
 * profiling); the floor is then skipped and printed as 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The floor calls CBLAS itself: OpenBLAS's when the library was built with
 * it, GSL's otherwise (crl/config.h says which). <cblas.h> comes before
 * the crl headers, whose GSL includes must not declare the CBLAS enums
 * first. */
#include "crl/config.h"
#ifdef CRL_USE_OPENBLAS
#include <cblas.h>
#else
#include <gsl/gsl_cblas.h>
#endif

#include "crl/crl.h"

#if CRL_REAL_IS_DOUBLE
#define BENCH_GEMM cblas_dgemm
#else
#define BENCH_GEMM cblas_sgemm
#endif

typedef struct bench_cfg {
  const char *name, *algo;
  long n_timesteps;
  int batch, hidden[2], n_critics, policy_delay;
  const char *const *kv; /* key, value, ..., NULL */
} bench_cfg;

static const char *const td3_small_kv[] = {"learning_rate",
                                           "1e-3",
                                           "adam_eps",
                                           "1e-7",
                                           "buffer_size",
                                           "10000",
                                           "learning_starts",
                                           "100",
                                           "batch_size",
                                           "100",
                                           "gamma",
                                           "0.99",
                                           "tau",
                                           "0.005",
                                           "train_freq",
                                           "1",
                                           "gradient_steps",
                                           "1",
                                           "policy_delay",
                                           "2",
                                           "target_policy_noise",
                                           "0.2",
                                           "target_noise_clip",
                                           "0.5",
                                           "noise_type",
                                           "normal",
                                           "noise_std",
                                           "0.1",
                                           "policy_kwargs.net_arch",
                                           "[64, 64]",
                                           "policy_kwargs.activation",
                                           "relu",
                                           NULL};

static const char *const sac_small_kv[] = {"learning_rate",
                                           "1e-3",
                                           "adam_eps",
                                           "1e-7",
                                           "buffer_size",
                                           "10000",
                                           "learning_starts",
                                           "100",
                                           "batch_size",
                                           "100",
                                           "gamma",
                                           "0.99",
                                           "tau",
                                           "0.005",
                                           "train_freq",
                                           "1",
                                           "gradient_steps",
                                           "1",
                                           "ent_coef",
                                           "auto_0.5",
                                           "target_entropy",
                                           "-1",
                                           "policy_kwargs.net_arch",
                                           "[64, 64]",
                                           "policy_kwargs.activation",
                                           "relu",
                                           "policy_kwargs.log_std_min",
                                           "-20",
                                           "policy_kwargs.log_std_max",
                                           "2",
                                           NULL};

static const char *const det_zoo_kv[] = {"learning_rate",
                                         "1e-3",
                                         "buffer_size",
                                         "200000",
                                         "learning_starts",
                                         "10000",
                                         "gamma",
                                         "0.98",
                                         "noise_type",
                                         "normal",
                                         "noise_std",
                                         "0.1",
                                         "train_freq",
                                         "200",
                                         "gradient_steps",
                                         "-1",
                                         "policy_kwargs.net_arch",
                                         "[400, 300]",
                                         NULL};

static const char *const sac_zoo_kv[] = {"learning_rate", "1e-3", NULL};

static const bench_cfg configs[] = {
    {"td3_small", "td3", 10000, 100, {64, 64}, 2, 2, td3_small_kv},
    {"sac_small", "sac", 10000, 100, {64, 64}, 2, 1, sac_small_kv},
    {"ddpg_zoo", "ddpg", 20000, 256, {400, 300}, 1, 1, det_zoo_kv},
    {"td3_zoo", "td3", 20000, 256, {400, 300}, 2, 2, det_zoo_kv},
    {"sac_zoo", "sac", 20000, 256, {256, 256}, 2, 1, sac_zoo_kv},
};
#define N_CONFIGS (int)(sizeof configs / sizeof configs[0])

enum { OBS = 3, ACT = 1 }; /* Pendulum-v1 */

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time, and this process's CPU time: on a shared machine the CPU
 * time of a single-threaded run is the steadier measure. */
static double now(void) {
  return clock_s(CLOCK_MONOTONIC);
}
static double cpu_now(void) {
  return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* ---- the gemm sequence of one update ------------------------------------ */

typedef struct gemm_op {
  int m, n, k;
  int ta, tb; /* transposes, as lib/mlp.c calls them */
} gemm_op;

typedef struct op_list {
  gemm_op op[256];
  int n;
  double flops;
} op_list;

static void push(op_list *L, int m, int n, int k, int ta, int tb) {
  L->op[L->n++] = (gemm_op){m, n, k, ta, tb};
  L->flops += 2.0 * m * n * k;
}

/* A network in -> h0 -> h1 -> out on batch M. */
static void fwd(op_list *L, int M, int in, const int *h, int out) {
  const int s[4] = {in, h[0], h[1], out};
  for (int l = 0; l < 3; l++)
    push(L, M, s[l + 1], s[l], 0, 1); /* a W^T */
}

/* dw: parameter gradients (crl_mlp_backward); without them only the
 * input gradient (crl_mlp_backward_input: the actor loss through a critic). */
static void bwd(op_list *L, int M, int in, const int *h, int out, int dw,
                int dx) {
  const int s[4] = {in, h[0], h[1], out};
  for (int l = 2; l >= 0; l--) {
    if (dw)
      push(L, s[l + 1], s[l], M, 1, 0); /* dW = d^T a */
    if (l > 0 || dx)
      push(L, M, s[l], s[l + 1], 0, 0); /* dX = d W */
  }
}

/* The products of one update; `every` holds those of the delayed part
 * (actor and targets), done once per policy_delay updates. */
static void update_ops(const bench_cfg *c, op_list *each, op_list *every) {
  const int M = c->batch, Q = OBS + ACT, n = c->n_critics;
  const int pi_out = strcmp(c->algo, "sac") == 0 ? 2 * ACT : ACT;
  memset(each, 0, sizeof *each);
  memset(every, 0, sizeof *every);
  fwd(each, M, OBS, c->hidden, pi_out); /* target (or next-state) actor */
  for (int k = 0; k < n; k++)
    fwd(each, M, Q, c->hidden, 1); /* target critics */
  for (int k = 0; k < n; k++) {
    fwd(each, M, Q, c->hidden, 1);
    bwd(each, M, Q, c->hidden, 1, 1, 0);
  }
  op_list *a = c->policy_delay > 1 ? every : each;
  fwd(a, M, OBS, c->hidden, pi_out);
  const int n_pi = strcmp(c->algo, "sac") == 0 ? n : 1; /* SAC: min of all */
  for (int k = 0; k < n_pi; k++) {
    fwd(a, M, Q, c->hidden, 1);
    bwd(a, M, Q, c->hidden, 1, 0, 1);
  }
  bwd(a, M, OBS, c->hidden, pi_out, 1, 0);
}

static void run_ops(const op_list *L, const crl_real *A, const crl_real *B,
                    crl_real *C) {
  for (int i = 0; i < L->n; i++) {
    const gemm_op *o = &L->op[i];
    const int lda = o->ta ? o->m : o->k, ldb = o->tb ? o->k : o->n;
    BENCH_GEMM(CblasRowMajor, o->ta ? CblasTrans : CblasNoTrans,
               o->tb ? CblasTrans : CblasNoTrans, o->m, o->n, o->k, 1, A, lda,
               B, ldb, 0, C, o->n);
  }
}

/* The same sequence through crl's own products (lib/gemm.c, with the
 * CBLAS hand-over of CRL_GEMM_AUTO), without epilogues: what the kernels
 * alone cost on hot caches, next to the floor. work: scratch [512 * 512],
 * more than crl_gemm_work_size of any product here. */
static void run_ops_crl(const op_list *L, const crl_real *A, const crl_real *B,
                        crl_real *C, crl_real *work) {
  for (int i = 0; i < L->n; i++) {
    const gemm_op *o = &L->op[i];
    const int lda = o->ta ? o->m : o->k, ldb = o->tb ? o->k : o->n;
    if (o->tb)
      crl_gemm_nt(o->m, o->n, o->k, A, lda, B, ldb, C, o->n, 0, work);
    else if (o->ta)
      crl_gemm_tn(o->m, o->n, o->k, A, lda, B, ldb, C, o->n, work);
    else
      crl_gemm_nn(o->m, o->n, o->k, A, lda, B, ldb, C, o->n, 0);
  }
}

/* The FLOPs of one update, averaged over the policy delay. */
static double update_flops(const bench_cfg *c) {
  op_list each, every;
  update_ops(c, &each, &every);
  return each.flops + every.flops / c->policy_delay;
}

/* CPU seconds per update of the plain gemm sequence (best of 3), through
 * CBLAS (crl = 0) or through crl's products (crl = 1). */
static double floor_time(const bench_cfg *c, double *flops, int crl) {
  op_list each, every;
  update_ops(c, &each, &every);
  const size_t big = 512 * 512;
  crl_real *A = malloc(big * sizeof *A), *B = malloc(big * sizeof *B);
  crl_real *C = malloc(big * sizeof *C), *W = malloc(big * sizeof *W);
  for (size_t i = 0; i < big; i++)
    A[i] = (crl_real)((i % 7) * 0.01), B[i] = (crl_real)((i % 5) * 0.02);
  const int reps = c->batch > 128 ? 200 : 2000;
  double best = 1e30;
  for (int trial = 0; trial < 3; trial++) {
    const double t0 = cpu_now();
    for (int r = 0; r < reps; r++) {
      const int delayed = r % c->policy_delay == 0;
      if (crl) {
        run_ops_crl(&each, A, B, C, W);
        if (delayed)
          run_ops_crl(&every, A, B, C, W);
      } else {
        run_ops(&each, A, B, C);
        if (delayed)
          run_ops(&every, A, B, C);
      }
    }
    const double t = (cpu_now() - t0) / reps;
    best = t < best ? t : best;
  }
  *flops = update_flops(c);
  free(A);
  free(B);
  free(C);
  free(W);
  return best;
}

/* ---- training ------------------------------------------------------------ */

static int fail(const char *what) {
  fprintf(stderr, "bench_offpolicy: %s: %s\n", what, crl_last_error());
  return -1;
}

/* n_timesteps of the configuration, unless the command line overrides it
 * (a shorter zoo run, e.g. 12 000 steps = 2 000 updates, for profiling). */
static long steps_override = 0;

static int train(const bench_cfg *c, int seed, double *wall, double *cpu,
                 long *updates, double *eval) {
  const long n_timesteps = steps_override > 0 ? steps_override : c->n_timesteps;
  const crl_algo_type *t = crl_algo_find(c->algo);
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
  int rc = crl_vec_env_make("Pendulum-v1", 1, (uint64_t)seed, &venv);
  if (rc == 0)
    rc = crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                        crl_vec_env_act_space(venv), 1, (uint64_t)seed, &algo);
  crl_algo_spec_free(spec);
  if (rc == 0)
    rc = crl_vec_env_reset(venv);
  const double t0 = now(), c0 = cpu_now();
  long steps = 0;
  *updates = 0;
  while (rc == 0 && steps < n_timesteps) {
    crl_algo_stats st;
    rc = crl_algo_iterate(algo, venv, 1.0 - (double)steps / (double)n_timesteps,
                          &st);
    steps += st.steps;
    *updates += st.n_updates;
  }
  *wall = now() - t0;
  *cpu = cpu_now() - c0;
  if (rc == 0)
    rc =
        crl_evaluate(algo, "Pendulum-v1", 20, (uint64_t)seed, eval, NULL, NULL);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  return rc ? fail(c->name) : 0;
}

static int selected(const char *which, const bench_cfg *c) {
  return strcmp(which, "all") == 0 || strcmp(which, c->name) == 0 ||
         (strcmp(which, "small") == 0 && strstr(c->name, "small")) ||
         (strcmp(which, "zoo") == 0 && strstr(c->name, "zoo"));
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "small";
  const int seed = argc > 2 ? atoi(argv[2]) : 0;
  int repeats = argc > 3 ? atoi(argv[3]) : 1;
  if (repeats < 0 || repeats > 100)
    repeats = 1;
  steps_override = argc > 4 ? atol(argv[4]) : 0;
  int found = 0;
  printf("%-9s %4s %8s %8s %8s %8s %9s %8s %8s %8s %6s %7s\n", "config", "seed",
         "wall s", "cpu s", "updates", "ms/upd", "MFLOP/upd", "GFLOP/s",
         "floor ms", "floor GF", "ratio", "eval");
  for (int i = 0; i < N_CONFIGS; i++) {
    const bench_cfg *c = &configs[i];
    if (!selected(which, c))
      continue;
    found = 1;
    double flops = 0.0;
    /* (a shortened run is for profiling: no floor, printed as 0) */
    const int skip = steps_override > 0 && repeats > 0;
    const double fl = skip ? 0.0 : floor_time(c, &flops, 0);
    if (skip)
      flops = update_flops(c);
    if (repeats == 0) {
      const double kt = floor_time(c, &flops, 1);
      printf("%-9s floor %.3f ms per update, %.1f MFLOP, %.1f GFLOP/s; "
             "crl products %.3f ms, %.1f GFLOP/s, %.2f x floor\n",
             c->name, 1e3 * fl, flops * 1e-6, flops / fl * 1e-9, 1e3 * kt,
             flops / kt * 1e-9, kt / fl);
    }
    for (int r = 0; r < repeats; r++) {
      double wall = 0, cpu = 0, eval = 0;
      long updates = 0;
      if (train(c, seed, &wall, &cpu, &updates, &eval))
        return 1;
      const double per = cpu / (double)updates; /* CPU time per update */
      printf("%-9s %4d %8.2f %8.2f %8ld %8.3f %9.1f %8.1f %8.3f %8.1f %6.2f "
             "%7.1f\n",
             c->name, seed, wall, cpu, updates, 1e3 * per, flops * 1e-6,
             flops / per * 1e-9, 1e3 * fl, skip ? 0.0 : flops / fl * 1e-9,
             skip ? 0.0 : per / fl, eval);
      fflush(stdout);
    }
  }
  if (!found) {
    fprintf(stderr, "usage: bench_offpolicy [all|small|zoo|td3_small|"
                    "sac_small|ddpg_zoo|td3_zoo|sac_zoo] [seed] [repeats] "
                    "[steps]\n");
    return 2;
  }
  return 0;
}
