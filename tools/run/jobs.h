/* The runs of an experiment (grid points x seeds) as jobs: one after the
 * other in this process, or up to N at a time in worker processes. Each
 * job writes its own files (progress.csv, checkpoints, result.json) in its
 * own directory, so what ends up on disk does not depend on the order in
 * which jobs happen to finish; results are collected in job order. */
#ifndef TOOLS_JOBS_H
#define TOOLS_JOBS_H

#include "config/experiment.h"
#include "run/fsutil.h"
#include "run/runner.h"

typedef struct cli_job {
  int point; /* index into the experiment's points */
  int seed;
  char dir[CLI_PATH_MAX];   /* RUN_DIR[/POINT]/seed_<k> */
  char label[CLI_PATH_MAX]; /* "seed_<k>" or "POINT/seed_<k>" */
  cli_seed_result result;
} cli_job;

typedef struct cli_jobs_opts {
  int workers; /* processes at once; 1 runs the jobs in this process */
  int quiet;
  int resume; /* skip jobs whose result.json says OK, resume the others */
  int quiet_failures; /* the caller reports failed jobs itself */
  int threads_auto;   /* each run's threads when its `threads` is 0; set by
                         cli_jobs_run from the cores and workers */
} cli_jobs_opts;

/* The jobs of an experiment under run_dir, in order (point, then seed).
 * *out is malloc'd; 0, or -1 (out of memory, path too long). */
int cli_jobs_make(const cli_experiment *x, const char *run_dir, cli_job **out,
                  int *n);

/* Run every job (results in jobs[i].result; one that fails does not stop
 * the others). After Ctrl-C, running jobs write checkpoints and stop, and
 * jobs not started are marked CLI_RUN_NOT_RUN. */
void cli_jobs_run(const cli_experiment *x, cli_job *jobs, int n,
                  const cli_jobs_opts *o);

/* Number of online processors (at least 1): the default worker count. */
int cli_cpu_count(void);

/* The threads of each run when `threads` is 0: the cores shared by the
 * runs at once (workers, or fewer runs), at least 1; 1 under mpirun,
 * whose ranks may share a machine. */
int cli_threads_auto(int workers, int runs);

#endif
