/* Training runs: one seed at a time, progress.csv per seed (the columns of
 * config/run_config.h), checkpoints, and the seed's result (run/result.h).
 * The loop is the library's public one (vec env, algo iterate, evaluate);
 * the runner adds files, checkpoints, the display and the rules for
 * stopping (budget, Ctrl-C, non-finite values). */
#ifndef TOOLS_RUNNER_H
#define TOOLS_RUNNER_H

#include <signal.h>

#include "config/run_config.h"
#include "run/progress.h"
#include "run/result.h"

typedef struct cli_run_opts {
  cli_progress *progress;      /* NULL: no display */
  volatile sig_atomic_t *stop; /* when it becomes non-zero: checkpoint
                                  at the next iteration boundary, stop */
  int resume;                  /* continue from the newest checkpoint in
                                  seed_dir (from scratch when none) */
  /* After each evaluation but the last: non-zero stops the run there,
   * pruned (result->pruned_at; crl tune's median rule), without a final
   * checkpoint. best_eval: the best evaluation so far. NULL: never. */
  int (*prune)(void *ctx, long step, double best_eval);
  void *prune_ctx;
  int threads_auto; /* threads when the run's `threads` is 0 (0: one) */
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

#endif
