/* The run-directory reader of result.json (cli_result_read: what `crl
 * check DIR`, --resume and the parent of worker processes read back) on
 * arbitrary bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/result.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char path[256];
  if (path[0] == '\0')
    fuzz_path(path, sizeof path, "result.json");
  fuzz_write_file(path, data, size);
  cli_seed_result r;
  if (cli_result_read(fuzz_tmp_dir(), &r) == 0) {
    /* What the reader accepts must be what a result is. */
    if (r.status < CLI_RUN_OK || r.status > CLI_RUN_NOT_RUN ||
        memchr(r.error, '\0', sizeof r.error) == NULL)
      abort();
  }
  return 0;
}
