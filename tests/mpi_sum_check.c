/* cli_ranks_sum under mpirun (tests/cli_mpi_test.sh runs it on 2, 3 and 4
 * ranks): the sum of every rank's vector, added in rank order, the same
 * bits on every rank, for lengths below, at and above the rank count.
 * Each rank's values are of very different magnitudes, so that another
 * order of addition would give other bits. Exit 0 when all hold. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/ranks.h"

/* The value rank r holds at i: magnitudes from 1e-8 to 1e8. */
static double value_at(int r, size_t i) {
  uint64_t h = (uint64_t)(r + 1) * 0x9E3779B97F4A7C15u ^
               (uint64_t)i * 0xBF58476D1CE4E5B9u;
  h ^= h >> 31;
  double u = (double)(h >> 11) / 9007199254740992.0; /* [0, 1) */
  return (u - 0.5) * pow(10.0, (double)((int)(h % 17) - 8));
}

static int check(size_t n) {
  const int K = cli_ranks_size(), me = cli_ranks_rank();
  double *v = malloc((n ? n : 1) * sizeof *v);
  double *work =
      malloc(((n + (size_t)K - 1) / (size_t)K * (size_t)K + 1) * sizeof *work);
  if (v == NULL || work == NULL)
    return 1;
  for (size_t i = 0; i < n; i++)
    v[i] = value_at(me, i);
  int bad = cli_ranks_sum(v, n, work) != 0;
  int reordered = 0; /* another order gives other bits somewhere */
  for (size_t i = 0; i < n && !bad; i++) {
    double s = value_at(0, i), back = value_at(K - 1, i);
    for (int r = 1; r < K; r++)
      s += value_at(r, i);
    for (int r = K - 2; r >= 0; r--)
      back += value_at(r, i);
    reordered |= memcmp(&s, &back, sizeof s) != 0;
    bad |= memcmp(&s, &v[i], sizeof s) != 0;
  }
  if (n >= 1000 && K > 2 && !reordered)
    bad = 1; /* the test data would not see a wrong order */
  /* Every rank holds the same bits: compare with rank 0's copy. */
  double *first = malloc((n ? n : 1) * sizeof *first);
  if (first == NULL)
    return 1;
  memcpy(first, v, n * sizeof *v);
  bad |= cli_ranks_bcast(first, n * sizeof *first, 0) != 0;
  bad |= n > 0 && memcmp(first, v, n * sizeof *v) != 0;
  free(first);
  free(v);
  free(work);
  int any;
  if (cli_ranks_max(bad, &any))
    return 1;
  if (me == 0)
    printf("%s  sum of %zu values over %d ranks\n", any ? "FAIL" : "ok", n, K);
  return any;
}

int main(int argc, char **argv) {
  char why[256];
  if (cli_ranks_init(&argc, &argv, why, sizeof why)) {
    fprintf(stderr, "mpi_sum_check: %s\n", why);
    return 1;
  }
  int failed = 0;
  const size_t lengths[] = {0, 1, 2, 3, 5, 1000, 4099, 100003};
  for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++)
    failed |= check(lengths[k]);
  cli_ranks_finalize();
  return failed;
}
