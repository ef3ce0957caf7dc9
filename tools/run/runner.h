/* Training runs: one seed at a time, progress.csv per seed, checkpoints,
 * summary.json over seeds. The loop is the library's public one (vec env,
 * algo iterate, evaluate); the runner adds files, checkpoints, the display
 * and the rules for stopping (budget, Ctrl-C, non-finite values). */
#ifndef TOOLS_RUNNER_H
#define TOOLS_RUNNER_H

#include <signal.h>

#include "config/run_config.h"
#include "run/progress.h"

/* The progress.csv columns, in order. */
extern const char *const cli_progress_columns[];
extern const int cli_progress_column_count;

/* How a run ended. */
typedef enum cli_run_status {
  CLI_RUN_OK = 0,
  CLI_RUN_FAILED = 1,
  CLI_RUN_INTERRUPTED = 2, /* stopped by a signal, checkpoint written */
  CLI_RUN_NOT_RUN = 3      /* no result yet (a job never started) */
} cli_run_status;

typedef struct cli_seed_result {
  int seed;
  long steps;             /* env steps actually taken */
  double final_eval_mean; /* eval return at the end */
  double final_eval_std;  /* its std over eval episodes */
  double wall_seconds;
  double steps_per_second;
  int status;      /* cli_run_status */
  char error[768]; /* why it failed or stopped; "" when OK */
} cli_seed_result;

typedef struct cli_run_opts {
  cli_progress *progress;      /* NULL: no display */
  volatile sig_atomic_t *stop; /* when it becomes non-zero: checkpoint
                                  at the next iteration boundary, stop */
  int resume;                  /* continue from the newest checkpoint in
                                  seed_dir (from scratch when none) */
} cli_run_opts;

/* Train one seed; writes seed_dir/progress.csv (one row per iteration) and
 * checkpoints in seed_dir/checkpoints/. Returns CLI_RUN_OK,
 * CLI_RUN_INTERRUPTED or CLI_RUN_FAILED (message in err and
 * result->error); result is filled in every case. */
int cli_run_seed_ex(const cli_run_config *cfg, int seed, const char *seed_dir,
                    const cli_run_opts *opts, cli_seed_result *result,
                    char *err, size_t err_size);

/* The same without resume or stop: 0, or -1 with a message in err. */
int cli_run_seed(const cli_run_config *cfg, int seed, const char *seed_dir,
                 cli_progress *progress, cli_seed_result *result, char *err,
                 size_t err_size);

/* The progress_remaining given to the algorithm for an iteration that
 * starts after `steps` steps and `episodes` episodes and is expected to
 * take `iter_steps` and `iter_episodes` more: the budget left after the
 * collection, as SB3 computes it before its update (clamped to [0, 1]). */
double cli_run_progress_remaining(const cli_run_keys *k, long steps,
                                  long episodes, long iter_steps,
                                  long iter_episodes);

/* Mean and population std of the final eval returns of the runs that
 * finished (status OK); NAN when none did. */
void cli_results_mean_std(const cli_seed_result *r, int n, double *mean,
                          double *std);

/* summary.json (json.c). 0, or -1 with a message in err. */
int cli_write_summary(const char *path, const cli_run_config *cfg,
                      const cli_seed_result *results, int n, char *err,
                      size_t err_size);

/* seed_dir/result.json: one run's result, written when it ends, read by
 * the parent of worker processes, by --resume and by `crl check`. */
int cli_result_write(const char *seed_dir, const cli_seed_result *r);
/* 0, or -1 when there is no readable result. */
int cli_result_read(const char *seed_dir, cli_seed_result *r);

/* Write s as a JSON string literal / x as a number (null when not finite). */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, double x);
/* A result's fields ("seed": 0, "steps": ..., no braces). */
void cli_json_result_fields(FILE *f, const cli_seed_result *r);

#endif
