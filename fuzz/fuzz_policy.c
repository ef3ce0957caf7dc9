/* crl_policy_load on arbitrary bytes: the first byte is the mode
 * (FUZZ_MODE_FIX_CHECKSUM), the rest the policy file. A policy that loads
 * must act on a zero observation without a memory error, and an act that
 * succeeds gives finite actions (issue 15, F4: the loader checks values
 * for meaning, and crl_policy_act fails rather than return inf or NaN).
 *
 * CRL_FUZZ_WRITE_SEEDS=DIR writes seed inputs (policies exported from
 * small PPO and SAC runs on Pendulum-v1) into DIR and exits, so that the
 * corpus follows the file format (scripts/fuzz.sh adds them to the
 * repository's corpus). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crl/crl.h>

#include "fuzz_seeds.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *seeds = getenv("CRL_FUZZ_WRITE_SEEDS");
  if (seeds)
    exit(fuzz_write_policy_seeds(seeds) ? 1 : 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static char path[256];
  if (path[0] == '\0')
    fuzz_path(path, sizeof path, "policy.crlp");
  unsigned char *file = malloc(size - 1 + 1);
  if (file == NULL)
    return 0;
  memcpy(file, data + 1, size - 1);
  if (data[0] & FUZZ_MODE_FIX_CHECKSUM)
    fuzz_fix_checksum(file, size - 1);
  fuzz_write_file(path, file, size - 1);
  free(file);

  crl_policy *p = NULL;
  if (crl_policy_load(path, 2, &p) == 0) {
    int obs_dim = crl_policy_obs_dim(p);
    const crl_space *act = crl_policy_act_space(p);
    int act_dim = act->dim; /* 1 for a discrete action */
    crl_real *obs = calloc((size_t)(2 * obs_dim + 1), sizeof *obs);
    crl_real *a = calloc((size_t)(2 * act_dim + 1), sizeof *a);
    if (obs && a) {
      int rc = crl_policy_act(p, obs, a);
      rc = rc ? rc : crl_policy_act_batch(p, obs, 2, a);
      for (int k = 0; rc == 0 && k < 2 * act_dim; k++)
        if (!isfinite(a[k])) {
          fprintf(stderr, "a loaded policy acts %g\n", (double)a[k]);
          abort();
        }
    }
    free(obs);
    free(a);
  }
  crl_policy_free(p);
  return 0;
}
