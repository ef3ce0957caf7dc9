/* MPI ranks of the crl program (see ranks.h). */
#define _DEFAULT_SOURCE /* nanosleep's struct timespec with -std=c11 */
#include "run/ranks.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crl/group.h"

#ifdef CRL_HAVE_MPI
#include <mpi.h>
#endif

static int started; /* MPI_Init was called by cli_ranks_init */
static int rank_here, rank_count = 1;

/* The number of processes the launcher started, or 0 when no launcher
 * started this one. */
static int launcher_size(void) {
  const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const char *v = getenv(names[i]);
    if (v != NULL && atoi(v) > 0)
      return atoi(v);
  }
  return getenv("PMIX_RANK") != NULL ? 1 : 0;
}

int cli_ranks_init(int *argc, char ***argv, char *why, size_t size) {
  int launched = launcher_size();
  if (launched == 0)
    return 0;
#ifdef CRL_HAVE_MPI
  if (MPI_Init(argc, argv) != MPI_SUCCESS) {
    snprintf(why, size, "MPI_Init failed");
    return -1;
  }
  started = 1;
  /* Errors come back as codes: a failed collective is reported, and the
   * caller takes every rank down, instead of MPI aborting silently. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_here);
  MPI_Comm_size(MPI_COMM_WORLD, &rank_count);
  return 0;
#else
  (void)argc;
  (void)argv;
  if (launched > 1) {
    snprintf(why, size,
             "started by mpirun with %d processes, but this crl was built "
             "without MPI (install libopenmpi-dev and rebuild with meson "
             "-Dmpi=enabled)",
             launched);
    return -1;
  }
  return 0;
#endif
}

void cli_ranks_finalize(void) {
#ifdef CRL_HAVE_MPI
  if (started)
    MPI_Finalize();
  started = 0;
#endif
}

int cli_ranks_rank(void) {
  return rank_here;
}
int cli_ranks_size(void) {
  return rank_count;
}

int cli_ranks_bcast(void *buf, size_t bytes, int root) {
  if (rank_count == 1)
    return 0;
#ifdef CRL_HAVE_MPI
  /* Counts are ints: send big buffers in pieces. */
  const size_t piece = (size_t)1 << 30;
  for (size_t at = 0; at < bytes; at += piece) {
    size_t n = bytes - at < piece ? bytes - at : piece;
    if (MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, root, MPI_COMM_WORLD) !=
        MPI_SUCCESS)
      return -1;
  }
  return 0;
#else
  (void)buf;
  (void)bytes;
  (void)root;
  return -1;
#endif
}

#ifdef CRL_HAVE_MPI
static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Wait for req: polled at once for the first 0.2 ms (the ranks of a
 * data-parallel run meet every iteration, a few microseconds apart), then
 * with sleeps growing to 5 ms (a rank whose runs are done waits for the
 * others without taking a core from them). */
static int wait_for(MPI_Request *req) {
  const double t0 = seconds_now();
  long nap = 20 * 1000; /* ns */
  for (;;) {
    int done = 0;
    if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return -1;
    if (done)
      return 0;
    if (seconds_now() - t0 < 2e-4)
      continue;
    nanosleep(&(struct timespec){0, nap}, NULL);
    nap = nap * 2 < 5 * 1000 * 1000 ? nap * 2 : 5 * 1000 * 1000;
  }
}
#endif

int cli_ranks_max_n(const int *v, int *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = v[i];
  if (rank_count == 1)
    return 0;
#ifdef CRL_HAVE_MPI
  MPI_Request req;
  if (MPI_Iallreduce(v, out, n, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req) !=
      MPI_SUCCESS)
    return -1;
  return wait_for(&req);
#else
  return -1;
#endif
}

int cli_ranks_max(int v, int *out) {
  return cli_ranks_max_n(&v, out, 1);
}

#ifdef CRL_HAVE_MPI
/* Block j of n values split into K: [*at, *at + *len). */
static void block_of(size_t n, int K, int j, int *at, int *len) {
  size_t base = n / (size_t)K, extra = n % (size_t)K, uj = (size_t)j;
  *at = (int)(uj * base + (uj < extra ? uj : extra));
  *len = (int)(base + (uj < extra));
}
#endif

int cli_ranks_sum(double *v, size_t n, double *work) {
  if (rank_count == 1)
    return 0;
#ifdef CRL_HAVE_MPI
  const int K = rank_count;
  if (n > (size_t)INT_MAX / 2)
    return -1;
  int counts[K], displs[K], mine_at, mine;
  block_of(n, K, rank_here, &mine_at, &mine);
  /* Send block j to rank j; receive my block from every rank, rank i's
   * at work[i * mine]. */
  int rcounts[K], rdispls[K];
  for (int j = 0; j < K; j++) {
    block_of(n, K, j, &displs[j], &counts[j]);
    rcounts[j] = mine;
    rdispls[j] = j * mine;
  }
  if (MPI_Alltoallv(v, counts, displs, MPI_DOUBLE, work, rcounts, rdispls,
                    MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
    return -1;
  for (int k = 0; k < mine; k++) {
    double s = work[k];
    for (int i = 1; i < K; i++)
      s += work[(size_t)i * (size_t)mine + (size_t)k];
    v[mine_at + k] = s;
  }
  if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v, counts, displs,
                     MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS)
    return -1;
  return 0;
#else
  (void)v;
  (void)n;
  (void)work;
  return -1;
#endif
}

#ifdef CRL_HAVE_MPI
/* cli_ranks_sum with a work buffer kept between calls (the gradient's
 * size does not change during a run). */
static int group_sum(void *ctx, double *v, size_t n) {
  static double *work;
  static size_t work_n;
  (void)ctx;
  size_t need = (n / (size_t)rank_count + 1) * (size_t)rank_count;
  if (need > work_n) {
    double *w = realloc(work, need * sizeof *w);
    if (w == NULL)
      return -1;
    work = w;
    work_n = need;
  }
  return cli_ranks_sum(v, n, work);
}

static int group_gather(void *ctx, void *buf, size_t block) {
  (void)ctx;
  if (block > (size_t)INT_MAX)
    return -1;
  return MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, (int)block,
                       MPI_BYTE, MPI_COMM_WORLD) == MPI_SUCCESS
             ? 0
             : -1;
}
#endif

const crl_group *cli_ranks_group(void) {
#ifdef CRL_HAVE_MPI
  static crl_group g;
  if (rank_count == 1)
    return NULL;
  g = (crl_group){rank_here, rank_count, NULL, group_sum, group_gather};
  return &g;
#else
  return NULL;
#endif
}

_Noreturn void cli_ranks_abort(int code) {
  /* mpirun answers the abort with SIGTERM to every rank: it must end
   * them, not ask them to checkpoint at the next iteration. */
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  fflush(NULL);
#ifdef CRL_HAVE_MPI
  if (started)
    MPI_Abort(MPI_COMM_WORLD, code);
#endif
  exit(code);
}
