/* The run directory of `crl train`:
 *
 *   DIR/config.yaml                 the resolved experiment (with its grid)
 *   DIR/summary.json                results (over grid points with a grid)
 *   DIR/curve.png                   learning curves
 *   DIR/[POINT/]config.yaml         with a grid: each point's settings
 *   DIR/[POINT/]summary.json        and results
 *   DIR/[POINT/]seed_<k>/           progress.csv, result.json, checkpoints/
 *
 * and the rules for reusing one: a non-empty DIR is refused unless --force
 * (which first removes what an earlier run wrote, and only that) or
 * --resume (which continues it). */
#ifndef TOOLS_RUNDIR_H
#define TOOLS_RUNDIR_H

#include "config/experiment.h"

/* The command named in messages: "train" unless crl tune sets it. */
extern const char *cli_rundir_command;

/* Make DIR ready for a new run, and hold its lock (cli_rundir_lock):
 * exit status (CLI_EXIT_*), message printed. */
int cli_rundir_prepare(const char *dir, int force);

/* Take DIR's writer lock for the rest of the process (an existing run being
 * resumed): CLI_EXIT_USAGE when another process holds it, message printed.
 * The lock is advisory and released by the kernel when the process (and
 * the workers it started) end, however they end. */
int cli_rundir_lock(const char *dir);

/* Under MPI, after rank 0 prepared DIR with status rc: every rank gets
 * rc, then checks that it sees DIR/file (ranks on several machines need a
 * file system they all share; a rank that does not says so). rc, or
 * CLI_EXIT_FAILURE when a rank cannot see the file; rc alone on one rank. */
int cli_rundir_agree(const char *dir, const char *file, int rc);

/* Write DIR/config.yaml and, with a grid, DIR/POINT/config.yaml. */
int cli_rundir_write_configs(const cli_experiment *x, const char *dir);

/* DIR/POINT, or DIR itself without a grid. 0, or -1 when too long. */
int cli_rundir_point(const cli_experiment *x, int p, const char *dir, char *buf,
                     size_t size);

#endif
