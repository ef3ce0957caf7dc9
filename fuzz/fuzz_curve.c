/* The learning-curve reader (cli_curve_read_opts, behind `crl plot` and
 * the `expect:` checks) on an arbitrary progress.csv in a run directory.
 * The first byte picks the y column and the smoothing, so that every
 * column and window is reached. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/run_config.h"
#include "plot/plot.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static char path[256];
  if (path[0] == '\0')
    fuzz_path(path, sizeof path, "progress.csv");
  fuzz_write_file(path, data + 1, size - 1);
  cli_plot_options opts = cli_plot_options_default();
  opts.y = cli_progress_columns[(data[0] & 0x1f) % cli_progress_column_count];
  opts.smooth = 1 + (data[0] >> 5);
  cli_curve curve;
  char err[CLI_ERR_SIZE];
  if (cli_curve_read_opts(fuzz_tmp_dir(), &opts, &curve, err, sizeof err) ==
      0) {
    for (int i = 0; i < curve.n_points; i++)
      if (curve.std[i] < 0) /* a spread is never negative */
        abort();
    cli_curve_free(&curve);
  } else if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
    abort(); /* a refusal always says why */
  return 0;
}
