/* MLP speed: batch-1 latency, batched forward + backward throughput, and the
 * products behind them, with crl's kernels and with plain CBLAS.
 *
 * 1. Latency of crl_mlp_forward at batch 1, 3 -> 64 -> 64 -> 1 (ReLU and
 *    tanh): median and p99 over many single calls (wall clock), the cost of
 *    reading the clock subtracted.
 * 2. Forward + backward (parameter gradients) of the same network at batch
 *    64 and 256: time per call and GFLOP/s (2 flops per multiply-add of the
 *    three products; elementwise work not counted), in CPU time.
 * 3. Each product shape the MLP runs (nt, nn, tn) and a few larger ones,
 *    timed for every kernel set (plain C, AVX2, AVX-512, CBLAS). The
 *    GFLOP/s of one 1024^3 cblas gemm (the BLAS's peak on this CPU) is the
 *    yardstick printed with 2. (Set OPENBLAS_CORETYPE, e.g. SkylakeX, to
 *    compare with OpenBLAS kernels it does not pick by itself.)
 * Kernel sets are switched with crl_gemm_isa_force (crl/kernels.h).
 *
 * usage: bench_mlp [seconds per measurement, default 0.2] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl/crl.h"

static double budget = 0.2;
static double peak = 0; /* GFLOP/s of one 1024^3 cblas gemm */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Throughput is timed in CPU time of this process: on a shared machine it
 * does not count the slices other processes take. */
static double cpu(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void fill(crl_real *v, size_t n, unsigned seed) {
  srand(seed);
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)(2.0 * rand() / RAND_MAX - 1.0);
}

static crl_mlp *make_net(int B, crl_activation act) {
  const int hidden[2] = {64, 64};
  crl_mlp_spec s = crl_mlp_spec_make(3, 2, hidden, 1, act, CRL_ACT_IDENTITY, B);
  crl_mlp *net = NULL;
  if (crl_mlp_alloc(&s, NULL, NULL, &net) != 0)
    return NULL;
  fill(crl_mlp_params(net), crl_mlp_n_params(net), 1);
  return net;
}

/* ---- 1. batch-1 latency -------------------------------------------------- */

enum { LAT_CALLS = 200000 };

static void latency(crl_activation act, const char *name) {
  crl_mlp *net = make_net(1, act);
  static double t[LAT_CALLS];
  crl_real x[3] = {0.3f, -0.2f, 0.5f}, y[1];
  for (int i = 0; i < 1000; i++) /* warm up caches and the ifuncs */
    crl_mlp_forward(net, x, 1, y);
  double t0 = now(); /* the cost of reading the clock itself */
  for (int i = 0; i < LAT_CALLS; i++)
    t[i] = now();
  const double clock_ns = 1e9 * (now() - t0) / (LAT_CALLS + 1);
  for (int i = 0; i < LAT_CALLS; i++) {
    x[0] = (crl_real)(i & 7) * 0.1f;
    double a = now();
    crl_mlp_forward(net, x, 1, y);
    t[i] = 1e9 * (now() - a) - clock_ns;
  }
  qsort(t, LAT_CALLS, sizeof *t, cmp_double);
  printf("batch-1 forward 3-64-64-1 %-4s (%s): median %6.0f ns  p99 %6.0f ns"
         "  (clock %.0f ns subtracted)\n",
         name, crl_gemm_isa_name(crl_gemm_isa_active()), t[LAT_CALLS / 2],
         t[LAT_CALLS * 99 / 100], clock_ns);
  crl_mlp_free(net);
}

/* ---- 2. forward + backward throughput ------------------------------------ */

enum { NT, NN, TN };
static const char *const op_name[] = {"nt", "nn", "tn"};

static double product_rate(int op, int m, int n, int k);

static void fwd_bwd(int B, crl_activation act, const char *name) {
  crl_mlp *net = make_net(B, act);
  crl_real *x = malloc((size_t)B * 3 * sizeof *x);
  crl_real *y = malloc((size_t)B * sizeof *y);
  crl_real *dy = malloc((size_t)B * sizeof *dy);
  fill(x, (size_t)B * 3, 2);
  fill(dy, (size_t)B, 3);
  /* multiply-adds: forward all layers, dW all layers, dx of layers 2, 3 */
  const double macs = (double)B * ((3 * 64 + 64 * 64 + 64) * 2 + 64 * 64 + 64);
  long calls = 0;
  double t0 = cpu(), t1 = t0;
  while (t1 - t0 < budget) {
    for (int i = 0; i < 20; i++, calls++) {
      crl_mlp_forward(net, x, B, y);
      crl_mlp_backward(net, dy, B, NULL);
    }
    t1 = cpu();
  }
  const double per = (t1 - t0) / (double)calls;
  const double rate = 2 * macs / per * 1e-9;
  printf("fwd+bwd B %3d %-4s %-8s %8.2f us  %6.1f GFLOP/s  (%3.0f %% of the "
         "big-gemm peak)\n",
         B, name, crl_gemm_isa_name(crl_gemm_isa_active()), 1e6 * per, rate,
         100 * rate / peak);
  free(x);
  free(y);
  free(dy);
  crl_mlp_free(net);
}

/* ---- 3. single products -------------------------------------------------- */

/* GFLOP/s of op on (m, n, k) with the kernel set in force. */
static double product_rate(int op, int m, int n, int k) {
  const int ar = op == TN ? k : m, ac = op == TN ? m : k;
  const int br = op == NT ? n : k, bc = op == NT ? k : n;
  crl_real *A = malloc((size_t)ar * ac * sizeof *A);
  crl_real *B = malloc((size_t)br * bc * sizeof *B);
  crl_real *C = calloc((size_t)m * n, sizeof *C);
  crl_real *W = malloc(crl_gemm_work_size(m, n, k) * sizeof *W);
  fill(A, (size_t)ar * ac, 4);
  fill(B, (size_t)br * bc, 5);
  long calls = 0;
  double t0 = cpu(), t1 = t0;
  while (t1 - t0 < budget) {
    for (int i = 0; i < 10; i++, calls++) {
      if (op == NT)
        crl_gemm_nt(m, n, k, A, ac, B, bc, C, n, 0, W);
      else if (op == NN)
        crl_gemm_nn(m, n, k, A, ac, B, bc, C, n, 0);
      else
        crl_gemm_tn(m, n, k, A, ac, B, bc, C, n, W);
    }
    t1 = cpu();
  }
  free(A);
  free(B);
  free(C);
  free(W);
  return 2.0 * m * n * k * (double)calls / (t1 - t0) * 1e-9;
}

static const crl_gemm_isa sets[] = {CRL_GEMM_GENERIC, CRL_GEMM_AVX2,
                                    CRL_GEMM_AVX512, CRL_GEMM_BLAS};
#define N_SETS (int)(sizeof sets / sizeof sets[0])

static void products(void) {
  /* (op, m, n, k): the MLP's products for 3-64-64-1 at B = 4, 64, 256,
   * then wider layers (SB3's 400-300 for TD3/DDPG, 256-256 for SAC) */
  static const int shapes[][4] = {
      {NT, 1, 64, 3},      {NT, 1, 64, 64},       {NT, 4, 64, 3},
      {NT, 4, 64, 64},     {NT, 4, 1, 64},        {NT, 8, 64, 64},
      {NT, 16, 64, 64},    {NT, 32, 64, 64},      {NT, 64, 64, 3},
      {NT, 64, 64, 64},    {NT, 256, 64, 3},      {NT, 256, 64, 64},
      {NT, 256, 1, 64},    {NN, 256, 64, 64},     {NN, 256, 64, 1},
      {TN, 64, 3, 256},    {TN, 64, 64, 256},     {TN, 1, 64, 256},
      {NT, 256, 400, 17},  {NT, 256, 300, 400},   {NN, 256, 400, 300},
      {TN, 300, 400, 256}, {NT, 1, 300, 400},     {NT, 256, 256, 256},
      {NN, 256, 256, 256}, {TN, 256, 256, 256},   {NT, 512, 512, 512},
      {NN, 512, 512, 512}, {NN, 1024, 1024, 1024}};
  printf("\nproduct GFLOP/s (2 m n k / s)     ");
  for (int s = 0; s < N_SETS; s++)
    if (crl_gemm_isa_supported(sets[s]))
      printf(" %8s", crl_gemm_isa_name(sets[s]));
  printf("\n");
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const int *sh = shapes[i];
    printf("%s m %4d n %4d k %4d           ", op_name[sh[0]], sh[1], sh[2],
           sh[3]);
    for (int s = 0; s < N_SETS; s++)
      if (crl_gemm_isa_supported(sets[s])) {
        crl_gemm_isa_force(sets[s]);
        printf(" %8.1f", product_rate(sh[0], sh[1], sh[2], sh[3]));
        fflush(stdout);
      }
    printf("\n");
  }
  crl_gemm_isa_force(CRL_GEMM_AUTO);
}

int main(int argc, char **argv) {
  if (argc > 1)
    budget = atof(argv[1]);
  if (!(budget > 0)) {
    fprintf(stderr, "usage: bench_mlp [seconds per measurement > 0]\n");
    return 2;
  }
  printf("crl %s, crl_real = %s, kernels: %s\n", crl_version(), crl_real_name(),
         crl_gemm_isa_name(crl_gemm_isa_active()));
  for (int s = 0; s < N_SETS; s++) {
    if (!crl_gemm_isa_supported(sets[s]))
      continue;
    crl_gemm_isa_force(sets[s]);
    latency(CRL_ACT_RELU, "relu");
    latency(CRL_ACT_TANH, "tanh");
  }
  crl_gemm_isa_force(CRL_GEMM_BLAS);
  peak = product_rate(NN, 1024, 1024, 1024);
  crl_gemm_isa_force(CRL_GEMM_AUTO);
  printf("\nbig-gemm peak: cblas gemm 1024 x 1024 x 1024, %.1f GFLOP/s\n",
         peak);
  for (int s = 0; s < N_SETS; s++) {
    if (!crl_gemm_isa_supported(sets[s]))
      continue;
    crl_gemm_isa_force(sets[s]);
    for (int B = 64; B <= 256; B *= 4) {
      fwd_bwd(B, CRL_ACT_RELU, "relu");
      fwd_bwd(B, CRL_ACT_TANH, "tanh");
    }
  }
  crl_gemm_isa_force(CRL_GEMM_AUTO);
  products();
  return 0;
}
