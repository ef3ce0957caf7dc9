/* The cost of one gradient all-reduce over MPI ranks, for the model of
 * docs/distributed.md: cli_ranks_sum (the fixed-order sum: reduce-scatter
 * and all-gather, added in rank order) against MPI_Allreduce (Open MPI's
 * own choice of algorithm, whose order of addition is not fixed), on
 * vectors of 5k, 100k and 1M doubles (a 64-64 policy, a 256-256 SAC, a
 * 400-300 TD3 and bigger).
 *
 *   mpirun -n 2 build/bench/bench_allreduce [repeats]
 *
 * Prints, on rank 0, the median and the fastest of `repeats` calls (100 by
 * default) in microseconds, and the bandwidth that implies. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/ranks.h"

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median and minimum of t[0..n), in microseconds. */
static void summarise(double *t, int n, double *median, double *fastest) {
  qsort(t, (size_t)n, sizeof *t, by_value);
  *median = 1e6 * t[n / 2];
  *fastest = 1e6 * t[0];
}

int main(int argc, char **argv) {
  char why[256];
  if (cli_ranks_init(&argc, &argv, why, sizeof why) || cli_ranks_size() < 2) {
    fprintf(stderr, "bench_allreduce: run it under mpirun -n K (K >= 2)%s%s\n",
            why[0] ? ": " : "", why);
    return 1;
  }
  const int repeats = argc > 1 ? atoi(argv[1]) : 100;
  const int K = cli_ranks_size(), me = cli_ranks_rank();
  const size_t sizes[] = {5000, 100000, 1000000};
  if (me == 0)
    printf("%d ranks, %d calls each; microseconds per call (median, "
           "fastest), GB/s = 8 n / median\n"
           "%10s  %24s  %24s\n",
           K, repeats, "n", "fixed order (crl)", "MPI_Allreduce");
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s];
    double *v = malloc(n * sizeof *v), *out = malloc(n * sizeof *out);
    double *work = malloc((n / (size_t)K + 1) * (size_t)K * sizeof *work);
    double *t_fixed = malloc((size_t)repeats * sizeof *t_fixed);
    double *t_mpi = malloc((size_t)repeats * sizeof *t_mpi);
    if (!v || !out || !work || !t_fixed || !t_mpi)
      return 1;
    for (size_t i = 0; i < n; i++)
      v[i] = 1.0 / (double)(i + 1 + (size_t)me);
    /* Interleaved, so that both see the same machine. */
    for (int r = -3; r < repeats; r++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      if (cli_ranks_sum(v, n, work))
        return 1;
      double t1 = MPI_Wtime();
      MPI_Barrier(MPI_COMM_WORLD);
      double t2 = MPI_Wtime();
      MPI_Allreduce(v, out, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      double t3 = MPI_Wtime();
      if (r >= 0) { /* the first calls warm up */
        t_fixed[r] = t1 - t0;
        t_mpi[r] = t3 - t2;
      }
      /* Keep the values bounded: the sum of K copies grows K-fold. */
      for (size_t i = 0; i < n; i++)
        v[i] /= (double)K;
    }
    double fm, ff, mm, mf;
    summarise(t_fixed, repeats, &fm, &ff);
    summarise(t_mpi, repeats, &mm, &mf);
    if (me == 0)
      printf("%10zu  %9.1f %7.1f %5.2f GB/s  %9.1f %7.1f %5.2f GB/s\n", n, fm,
             ff, 8e-3 * (double)n / fm, mm, mf, 8e-3 * (double)n / mm);
    free(v);
    free(out);
    free(work);
    free(t_fixed);
    free(t_mpi);
  }
  cli_ranks_finalize();
  return 0;
}
