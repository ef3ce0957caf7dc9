/* Driver for a policy exported with `crl export --format c` (compiled by
 * export_c_test.sh with the generated policy.c; no libcrl):
 *   driver OBS OUT      policy_act on each float32 record of OBS; OUT gets
 *                       records of int32 status and POLICY_ACT_DIM float32
 *                       values (zeros when unwritten), as export_ref act
 *   driver --bench N    the median, over N batches of 1000 calls, of the
 *                       time of one call, in nanoseconds of CPU time
 *                       (CPU time, so that a loaded machine descheduling
 *                       the process does not count) */
/* clock_gettime under -std=c99 */
#define _POSIX_C_SOURCE 199309L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

static int run(const char *obs_path, const char *out_path) {
  FILE *in = fopen(obs_path, "rb"), *out = fopen(out_path, "wb");
  if (in == NULL || out == NULL)
    return 1;
  float obs[POLICY_OBS_DIM], action[POLICY_ACT_DIM];
  while (fread(obs, sizeof obs, 1, in) == 1) {
    memset(action, 0, sizeof action);
    const int32_t status = policy_act(obs, action);
    fwrite(&status, sizeof status, 1, out);
    fwrite(action, sizeof action, 1, out);
  }
  fclose(in);
  return fclose(out) != 0;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int bench(int n) {
  double *ns = malloc((size_t)n * sizeof *ns);
  if (ns == NULL)
    return 1;
  float obs[POLICY_OBS_DIM], action[POLICY_ACT_DIM];
  volatile float sink = 0;
  for (int j = 0; j < POLICY_OBS_DIM; j++)
    obs[j] = 0.1f * (float)(j % 7) - 0.3f;
  for (int r = 0; r < n; r++) {
    const double t0 = now();
    for (int i = 0; i < 1000; i++) {
      obs[i % POLICY_OBS_DIM] += 1e-3f; /* a new observation each call */
      policy_act(obs, action);
      sink += action[0];
    }
    ns[r] = (now() - t0) * 1e6; /* per call: seconds / 1000 * 1e9 */
  }
  qsort(ns, (size_t)n, sizeof *ns, cmp_double);
  printf("policy_act: median %.0f ns of CPU time per call (%d x 1000 calls)\n",
         ns[n / 2], n);
  free(ns);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--bench") == 0)
    return bench(atoi(argv[2]));
  if (argc == 3)
    return run(argv[1], argv[2]);
  fprintf(stderr, "usage: driver OBS OUT | --bench N\n");
  return 2;
}
