/* What an experiment's runs add up to: summary.json files and the tables
 * `crl train` prints, per seed without a grid and per grid point with
 * one (final evaluation mean ± std over seeds, wall time, steps/s). */
#ifndef TOOLS_SUMMARY_H
#define TOOLS_SUMMARY_H

#include "run/jobs.h"

/* The results of point p's seeds, in order, into out (room for all). */
int cli_point_results(const cli_job *jobs, int n, int p, cli_seed_result *out);

/* summary.json of every point (in its directory; the run directory itself
 * without a grid) and, with a grid, run_dir/summary.json over points.
 * 0, or -1 with a message in err. */
int cli_summary_write(const cli_experiment *x, const cli_job *jobs, int n,
                      const char *run_dir, char *err, size_t size);

/* The table and the final line(s) on stdout; quiet: only the latter. */
void cli_summary_print(const cli_experiment *x, const cli_job *jobs, int n,
                       int quiet);

#endif
