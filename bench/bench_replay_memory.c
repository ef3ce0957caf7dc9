/* Peak memory of a full replay buffer, plain or compact
 * (optimize_memory_usage), for a given observation size.
 *
 *   bench_replay_memory plain|compact CAPACITY OBS_DIM ACT_DIM [EPISODE]
 *
 * Allocates the buffer, fills every row (one stream; an episode ends every
 * EPISODE steps, 1000 by default, as a MuJoCo time limit), samples a batch
 * and prints the process's peak resident set (getrusage, Linux: KiB) with
 * the bytes the buffer's arrays need. Run each mode in its own process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "crl/crl.h"
#include "crl/rng.h"

int main(int argc, char **argv) {
  if (argc < 5 || (strcmp(argv[1], "plain") && strcmp(argv[1], "compact"))) {
    fprintf(stderr,
            "usage: %s plain|compact CAPACITY OBS_DIM ACT_DIM "
            "[EPISODE]\n",
            argv[0]);
    return 2;
  }
  const int compact = strcmp(argv[1], "compact") == 0;
  const long C = atol(argv[2]);
  const int O = atoi(argv[3]), A = atoi(argv[4]);
  const int episode = argc > 5 ? atoi(argv[5]) : 1000;
  if (C < 1 || O < 1 || A < 1 || episode < 1) {
    fprintf(stderr, "%s: bad sizes\n", argv[0]);
    return 2;
  }
  crl_replay *rb = NULL;
  int rc = compact ? crl_replay_alloc_compact(C, O, A, 1, &rb)
                   : crl_replay_alloc(C, O, A, &rb);
  crl_real *obs = calloc((size_t)O, sizeof *obs);
  crl_real *next = calloc((size_t)O, sizeof *next);
  crl_real *act = calloc((size_t)A, sizeof *act);
  crl_replay_batch *batch = NULL;
  if (rc == 0)
    rc = crl_replay_batch_alloc(256, O, A, &batch);
  if (rc || !obs || !next || !act) {
    fprintf(stderr, "%s: %s\n", argv[0], crl_last_error());
    return 1;
  }
  for (long t = 0; t < C && rc == 0; t++) {
    for (int j = 0; j < O; j++)
      next[j] = (crl_real)(t + 1 + j);
    const double r = 1.0;
    const int end = (t + 1) % episode == 0, term = 0;
    rc = crl_replay_add(rb, 1, obs, act, &r, next, &term);
    if (end) /* a reset: the next row starts elsewhere */
      for (int j = 0; j < O; j++)
        obs[j] = (crl_real)(-t - j);
    else
      memcpy(obs, next, (size_t)O * sizeof *obs);
  }
  gsl_rng *rng = crl_rng_alloc(1, 0);
  if (rc == 0)
    rc = crl_replay_sample(rb, rng, batch);
  if (rc) {
    fprintf(stderr, "%s: %s\n", argv[0], crl_last_error());
    return 1;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const double arrays =
      (double)C * (double)((compact ? 1 : 2) * O + A + 2) * sizeof(crl_real) +
      (compact ? (double)C * sizeof(int) +
                     (double)rb->n_ends * (O * sizeof(crl_real) + sizeof(long))
               : 0.0);
  printf("%s capacity %ld obs %d act %d: peak RSS %.0f MiB (arrays %.0f "
         "MiB)\n",
         argv[1], C, O, A, ru.ru_maxrss / 1024.0, arrays / (1024.0 * 1024.0));
  gsl_rng_free(rng);
  crl_replay_batch_free(batch);
  crl_replay_free(rb);
  free(obs);
  free(next);
  free(act);
  return 0;
}
