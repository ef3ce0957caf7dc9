/* Internal to run/: one live training run, shared by the loop (runner.c),
 * its checkpoints (runner_ckpt.c), the failure message both give
 * (seed_run.c), and the checkpoint reader of policy_src.c. */
#ifndef TOOLS_RUNNER_INTERNAL_H
#define TOOLS_RUNNER_INTERNAL_H

#include <stdio.h>

#include "crl/state.h"
#include "run/fsutil.h"
#include "run/runner.h"

typedef struct seed_run {
  const cli_run_config *cfg;
  int seed;
  const char *seed_dir;
  crl_vec_env *venv;
  crl_algo *algo;
  FILE *csv; /* progress.csv, appended a row at a time */
  char csv_path[CLI_PATH_MAX];
  long csv_bytes; /* bytes of complete rows (and the header) */
  long rows;      /* rows written after the header */
  double t0;      /* cli_now() at the (virtual) start */
  long steps;
  long episodes_before; /* episodes ended before this iteration */
  long last_iter_steps; /* what the previous iteration took */
  long last_iter_episodes;
  double eval_mean, eval_std;   /* last evaluation, NAN before the first */
  char last_ckpt[CLI_PATH_MAX]; /* newest checkpoint written, "" if none */
  char *config_text;            /* the resolved config, stored in checkpoints */
  /* monitor.csv (runner_monitor.c): one row per finished training episode,
   * written by the vec env's episode hook. */
  FILE *mon;
  char mon_path[CLI_PATH_MAX];
  long mon_bytes; /* bytes written (header and complete rows) */
  long mon_rows;  /* rows after the header */
  int mon_failed; /* a write failed (errno in mon_errno) */
  int mon_errno;
  /* The best evaluation so far (runner_best.c) and the early stop. */
  double best_eval;    /* NAN before the first evaluation */
  long best_step;      /* its step; 0 before the first evaluation */
  long pruned;         /* step at which opts->prune stopped it, or 0 */
  long stopped_early;  /* step of the evaluation that reached stop_at, or 0 */
  int failed_together; /* data parallel: the ranks agreed that one failed */
} seed_run;

/* "seed S: non-finite value at step N: <what>; last good checkpoint: ..."
 * into err; returns -1 (seed_run.c). */
int cli_run_fail_nonfinite(seed_run *r, const char *what, char *err,
                           size_t size);

/* seed_dir/checkpoints/step_<steps>.ckpt: the run's state after the
 * iteration that ended at r->steps; then only the newest
 * checkpoint.keep files are kept. 0, or -1 with a message in err (a
 * non-finite parameter or optimiser state is refused: the training
 * diverged, and the previous checkpoint stays the newest). */
int cli_run_checkpoint_save(seed_run *r, char *err, size_t size);

/* Restore the newest readable checkpoint of seed_dir (an older one when the
 * newest is damaged) into r, whose env and algorithm are freshly built from
 * the same config: 1 when restored, 0 when there is none, -1 on error. */
int cli_run_checkpoint_resume(seed_run *r, char *err, size_t size);

/* The newest checkpoint file of a seed directory into buf: 0, or -1 when
 * there is none. */
int cli_run_latest_checkpoint(const char *seed_dir, char *buf, size_t size);

/* The resolved configuration a checkpoint holds (malloc'd into *out). */
int cli_run_ckpt_config_text(const crl_ckpt_reader *rd, char **out);

/* Cut progress.csv back to the rows a checkpoint recorded, and reopen it
 * for appending. 0, or -1 with a message in err. */
int cli_run_csv_truncate(seed_run *r, char *err, size_t size);

/* ---- monitor.csv (runner_monitor.c) ------------------------------------ */

/* Create seed_dir/monitor.csv with its header (the JSON comment line and
 * r,l,t). 0, or -1 with a message in err. */
int cli_run_monitor_open_fresh(seed_run *r, char *err, size_t size);

/* Cut monitor.csv back to the rows a checkpoint recorded (mon_bytes,
 * mon_rows), and reopen it for appending. 0, or -1 with a message. */
int cli_run_monitor_truncate(seed_run *r, char *err, size_t size);

/* Route the vec env's finished episodes into monitor.csv. */
void cli_run_monitor_attach(seed_run *r);

/* Push the rows written so far to the file (sync: and to the disk, before
 * a checkpoint counts them). 0, or -1 with errno set. */
int cli_run_monitor_flush(seed_run *r, int sync);

/* ---- the best evaluation and the early stop (runner_best.c) ------------- */

/* After an evaluation: when its mean beats the best so far, keep the
 * policy as seed_dir/best.crlp and write best.json; then note an early
 * stop when stop_at is reached. 0, or -1 with a message in err. */
int cli_run_after_eval(seed_run *r, char *err, size_t size);

/* ---- data parallel (runner_dp.c) --------------------------------------- */

/* The run is data parallel: distributed.data_parallel under mpirun. */
int cli_run_dp_active(const seed_run *r);

/* Share r's env copies and gradients with the other ranks (nothing when
 * not data parallel); a resume checks that the ranks are as many as when
 * the run started. 0, or -1 with a message in err. */
int cli_run_dp_attach(seed_run *r, int resume, char *err, size_t size);

/* Whether to stop here: any rank's local wish (a signal) is every rank's,
 * so that no rank enters an iteration the others left. */
int cli_run_dp_agree_stop(const seed_run *r, int local);

/* A point every rank reaches (the run's set-up): whether any rank failed
 * there. -1 when one did (this rank's message stays in err; a rank that
 * did not fail gets one saying so), marking r->failed_together; else 0.
 * Alone: -1 exactly when failed. */
int cli_run_dp_agree(seed_run *r, int failed, char *err, size_t size);

/* After a resume: every rank continues from the same step. 0, or -1 with
 * a message in err. */
int cli_run_dp_check_resumed(seed_run *r, char *err, size_t size);

/* After an iteration: every rank holds the same policy (a checksum of its
 * actions). 0, or -1 with a message in err. */
int cli_run_dp_check_same(seed_run *r, char *err, size_t size);

#endif
