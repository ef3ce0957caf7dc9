/* crl_algo_checkpoint_load on arbitrary bytes, into a small PPO or SAC
 * (fuzz_seeds.c). The first byte is the mode: bit 0 stores a valid
 * checksum (FUZZ_MODE_FIX_CHECKSUM), the bits above it pick the algorithm
 * (fuzz_seeds.h). Only the public API is used, so the target follows the file
 * format. After a load that succeeds the algorithm must act on a zero
 * observation; after one that fails it must still be usable (a failed load may
 * leave it changed, never broken).
 *
 * CRL_FUZZ_WRITE_SEEDS=DIR writes seed checkpoints into DIR and exits;
 * CRL_FUZZ_VERBOSE prints why each input is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crl/crl.h>

#include "fuzz_seeds.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static crl_algo *algos[FUZZ_N_ALGOS];
static crl_vec_env *venvs[FUZZ_N_ALGOS];
static int verbose; /* CRL_FUZZ_VERBOSE: say why each input is refused */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *seeds = getenv("CRL_FUZZ_WRITE_SEEDS");
  if (seeds)
    exit(fuzz_write_checkpoint_seeds(seeds) ? 1 : 0);
  verbose = getenv("CRL_FUZZ_VERBOSE") != NULL;
  for (int i = 0; i < FUZZ_N_ALGOS; i++)
    if (fuzz_algo_alloc(i, &algos[i], &venvs[i]))
      abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static char path[256];
  if (path[0] == '\0')
    fuzz_path(path, sizeof path, "step.ckpt");
  unsigned char *file = malloc(size);
  if (file == NULL)
    return 0;
  memcpy(file, data + 1, size - 1);
  if (data[0] & FUZZ_MODE_FIX_CHECKSUM)
    fuzz_fix_checksum(file, size - 1);
  fuzz_write_file(path, file, size - 1);
  free(file);

  int i = (data[0] >> 1) % FUZZ_N_ALGOS;
  int rc = crl_algo_checkpoint_load(algos[i], venvs[i], path);
  if (verbose)
    fprintf(stderr, "load: %s\n", rc ? crl_last_error() : "ok");
  crl_real obs[8] = {0}, action[8];
  if (crl_algo_act(algos[i], obs, 1, 1, action))
    abort();
  return 0;
}
