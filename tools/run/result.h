/* What a training run leaves behind for others to read: one seed's result
 * (seed_dir/result.json, written when it ends and read by the parent of
 * worker processes, by --resume and by `crl check`), and summary.json over
 * the seeds of a configuration. */
#ifndef TOOLS_RESULT_H
#define TOOLS_RESULT_H

#include <stdio.h>

#include "config/run_config.h"
#include "run/status.h"

#define CLI_FAILED_HERE 1      /* this rank, and rank 0 did not */
#define CLI_FAILED_ELSEWHERE 2 /* not this rank */
#define CLI_FAILED_AS_RANK0 3  /* this rank and rank 0, which says why */

typedef struct cli_seed_result {
  int seed;
  long steps;             /* env steps actually taken */
  double final_eval_mean; /* eval return at the end */
  double final_eval_std;  /* its std over eval episodes */
  double wall_seconds;
  double steps_per_second;
  int status;            /* cli_run_status */
  char error[768];       /* why it failed or stopped; "" when OK */
  double best_eval_mean; /* the best evaluation's mean return */
  long best_eval_step;   /* its step; 0 when there was none */
  long stopped_early;    /* step of the evaluation that reached stop_at;
                            0 when the run did not stop early */
  long pruned_at;        /* step at which crl tune pruned it; 0: not */
  int failed_together;   /* data parallel: every rank learnt of the failure
                            at one agreed point (none waits in a
                            collective): CLI_FAILED_*; 0 otherwise; not
                            in result.json */
} cli_seed_result;

/* Mean and population std of the final eval returns of the runs that
 * finished (status OK); NAN when none did. */
void cli_results_mean_std(const cli_seed_result *r, int n, double *mean,
                          double *std);

/* seed_dir/result.json. 0, or -1 (errno set). */
int cli_result_write(const char *seed_dir, const cli_seed_result *r);
/* 0, or -1 when there is no readable result. */
int cli_result_read(const char *seed_dir, cli_seed_result *r);

/* summary.json of one configuration's seeds. 0, or -1 with a message in
 * err. */
int cli_write_summary(const char *path, const cli_run_config *cfg,
                      const cli_seed_result *results, int n, char *err,
                      size_t err_size);

/* Write s as a JSON string literal / x as a number (null when not finite). */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, double x);
/* A result's fields ("seed": 0, "steps": ..., no braces). */
void cli_json_result_fields(FILE *f, const cli_seed_result *r);

#endif
