/* Training runs: one seed at a time, progress.csv per seed, summary.json
 * over seeds. The loop is the library's public one (vec env, algo iterate,
 * evaluate); the runner adds files and the display. */
#ifndef CRL_TOOLS_RUNNER_H
#define CRL_TOOLS_RUNNER_H

#include "tools/progress.h"
#include "tools/run_config.h"

/* The progress.csv columns, in order. */
extern const char *const crl_progress_columns[];
extern const int crl_progress_column_count;

typedef struct crl_seed_result {
  int seed;
  long steps;               /* env steps actually taken */
  double final_eval_mean;   /* eval return at the end */
  double final_eval_std;    /* its std over eval episodes */
  double wall_seconds;
  double steps_per_second;
} crl_seed_result;

/* Train one seed; writes seed_dir/progress.csv (one row per iteration).
 * 0, or -1 with a message in err. */
int crl_run_seed(const crl_run_config *cfg, int seed, const char *seed_dir,
                 crl_progress *progress, crl_seed_result *result, char *err,
                 size_t err_size);

/* Mean and population std of the seeds' final eval returns. */
void crl_results_mean_std(const crl_seed_result *r, int n, double *mean,
                          double *std);

/* summary.json (json.c). 0, or -1 with a message in err. */
int crl_write_summary(const char *path, const crl_run_config *cfg,
                      const crl_seed_result *results, int n, char *err,
                      size_t err_size);

/* Write s as a JSON string literal / x as a number (null when not finite). */
void crl_json_string(FILE *f, const char *s);
void crl_json_number(FILE *f, double x);

#endif
