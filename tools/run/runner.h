/* Training runs: one seed at a time, progress.csv per seed, checkpoints,
 * summary.json over seeds. The loop is the library's public one (vec env,
 * algo iterate, evaluate); the runner adds files, checkpoints, the display
 * and the rules for stopping (budget, Ctrl-C, non-finite values). */
#ifndef CRL_TOOLS_RUNNER_H
#define CRL_TOOLS_RUNNER_H

#include <signal.h>

#include "config/run_config.h"
#include "run/progress.h"

/* The progress.csv columns, in order. */
extern const char *const crl_progress_columns[];
extern const int crl_progress_column_count;

/* How a run ended. */
typedef enum crl_run_status {
  CRL_RUN_OK = 0,
  CRL_RUN_FAILED = 1,
  CRL_RUN_INTERRUPTED = 2, /* stopped by a signal, checkpoint written */
  CRL_RUN_NOT_RUN = 3      /* no result yet (a job never started) */
} crl_run_status;

typedef struct crl_seed_result {
  int seed;
  long steps;             /* env steps actually taken */
  double final_eval_mean; /* eval return at the end */
  double final_eval_std;  /* its std over eval episodes */
  double wall_seconds;
  double steps_per_second;
  int status;      /* crl_run_status */
  char error[768]; /* why it failed or stopped; "" when OK */
} crl_seed_result;

typedef struct crl_run_opts {
  crl_progress *progress;      /* NULL: no display */
  volatile sig_atomic_t *stop; /* when it becomes non-zero: checkpoint
                                  at the next iteration boundary, stop */
  int resume;                  /* continue from the newest checkpoint in
                                  seed_dir (from scratch when none) */
} crl_run_opts;

/* Train one seed; writes seed_dir/progress.csv (one row per iteration) and
 * checkpoints in seed_dir/checkpoints/. Returns CRL_RUN_OK,
 * CRL_RUN_INTERRUPTED or CRL_RUN_FAILED (message in err and
 * result->error); result is filled in every case. */
int crl_run_seed_ex(const crl_run_config *cfg, int seed, const char *seed_dir,
                    const crl_run_opts *opts, crl_seed_result *result,
                    char *err, size_t err_size);

/* The same without resume or stop: 0, or -1 with a message in err. */
int crl_run_seed(const crl_run_config *cfg, int seed, const char *seed_dir,
                 crl_progress *progress, crl_seed_result *result, char *err,
                 size_t err_size);

/* The progress_remaining given to the algorithm for an iteration that
 * starts after `steps` steps and `episodes` episodes and is expected to
 * take `iter_steps` and `iter_episodes` more: the budget left after the
 * collection, as SB3 computes it before its update (clamped to [0, 1]). */
double crl_run_progress_remaining(const crl_run_keys *k, long steps,
                                  long episodes, long iter_steps,
                                  long iter_episodes);

/* Mean and population std of the final eval returns of the runs that
 * finished (status OK); NAN when none did. */
void crl_results_mean_std(const crl_seed_result *r, int n, double *mean,
                          double *std);

/* summary.json (json.c). 0, or -1 with a message in err. */
int crl_write_summary(const char *path, const crl_run_config *cfg,
                      const crl_seed_result *results, int n, char *err,
                      size_t err_size);

/* seed_dir/result.json: one run's result, written when it ends, read by
 * the parent of worker processes, by --resume and by `crl check`. */
int crl_result_write(const char *seed_dir, const crl_seed_result *r);
/* 0, or -1 when there is no readable result. */
int crl_result_read(const char *seed_dir, crl_seed_result *r);

/* Write s as a JSON string literal / x as a number (null when not finite). */
void crl_json_string(FILE *f, const char *s);
void crl_json_number(FILE *f, double x);
/* A result's fields ("seed": 0, "steps": ..., no braces). */
void crl_json_result_fields(FILE *f, const crl_seed_result *r);

#endif
