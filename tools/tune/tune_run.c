/* The trials of a study in worker processes (see tune_run.h). */
#include "tune/tune_run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/progress.h"
#include "run/ranks.h"
#include "run/result.h"
#include "run/rundir.h"
#include "run/runner.h"
#include "run/jobs.h" /* cli_threads_auto */
#include "run/signals.h"
#include "tune/tune_status.h"

/* ---- in the worker ----------------------------------------------------------
 */

/* The median rule for one seed: its thresholds by multiple of eval.every. */
typedef struct prune_rule {
  const double *threshold; /* [n_marks] NAN: no pruning there */
  int n_marks;
  long eval_every;
} prune_rule;

static int below_median(void *ctx, long step, double best_eval) {
  const prune_rule *p = ctx;
  long m = step / p->eval_every;
  return m >= 0 && m < p->n_marks && !isnan(p->threshold[m]) &&
         best_eval < p->threshold[m];
}

/* One seed after the other; a seed done by an earlier invocation is
 * skipped, an interrupted one resumed, and a pruned one ends the trial. */
static int run_seeds(const cli_study *st, int i, const cli_experiment *x,
                     const double *thresholds, cli_tune_slot *slot) {
  const cli_run_config *cfg = &x->points[0];
  for (int s = 0; s < st->n_seeds && !cli_stop_requested; s++) {
    char trial[CLI_PATH_MAX], dir[CLI_PATH_MAX], name[32], err[CLI_ERR_SIZE];
    int seed = cli_config_seed_at(cfg, s);
    snprintf(name, sizeof name, "seed_%d", seed);
    if (cli_study_trial_dir(st, i, trial, sizeof trial) ||
        cli_path_join(dir, sizeof dir, trial, name))
      return 1;
    cli_seed_result r;
    if (cli_result_read(dir, &r) == 0 && r.status == CLI_RUN_OK) {
      if (r.pruned_at > 0)
        return 0;
      continue;
    }
    cli_progress p; /* published in the slot, drawn by the parent */
    cli_progress_init(&p, CLI_PROGRESS_QUIET, stderr, st->n_seeds,
                      cfg->keys.n_timesteps);
    p.slot = slot ? &slot->run : NULL;
    if (slot)
      slot->seed_index = s;
    cli_progress_seed_begin(&p, s, seed);
    prune_rule rule = {thresholds ? thresholds + (size_t)s * st->n_marks : NULL,
                       st->n_marks, st->eval_every};
    cli_run_opts o = {.progress = &p,
                      .stop = &cli_stop_requested,
                      .resume = 1, /* from scratch without a checkpoint */
                      .prune = thresholds ? below_median : NULL,
                      .prune_ctx = &rule,
                      .threads_auto =
                          cli_threads_auto(st->workers, st->n_trials)};
    cli_run_seed_ex(cfg, seed, dir, &o, &r, err, sizeof err);
    if (cli_result_write(dir, &r) != 0 || r.status != CLI_RUN_OK)
      return 1;
    if (r.pruned_at > 0)
      return 0;
  }
  return 0;
}

/* ---- the pool
 * ------------------------------------------------------------------ */

/* Under mpirun, rank r runs the trials of every K-th block of W
 * (W = -j), learns of the others' trials from their files (the ranks
 * share a file system) and rank 0 reports them all. A rank that is
 * stopped leaves DIR/.stopping, which stops the others too. */
typedef struct pool {
  cli_study *st;
  int quiet;  /* only failures and the final table */
  int silent; /* rank > 0: rank 0 reports every trial */
  int rank;
  pid_t *pids; /* [n_trials] 0 when not running */
  int running;
  double t0, last_refresh;
  int failed_write;
  char stop_path[CLI_PATH_MAX];
  cli_tune_status status; /* the live line */
} pool;

#define REFRESH_SECONDS 0.1 /* how often the other ranks' trials are read */

static int own(const pool *pl, int i) {
  return pl->st->ranks <= 1 ||
         (i / pl->st->workers) % pl->st->ranks == pl->rank;
}

/* Trial i may start once every trial it learns from is done. */
static int ready(const cli_study *st, int i) {
  for (int j = 0; j <= i - cli_study_lag(st); j++)
    if (!CLI_TRIAL_DONE(&st->trials[j]))
      return 0;
  return 1;
}

/* One line per trial that ends: its outcome, the count, its values. */
static void report(pool *pl, int i) {
  const cli_study *st = pl->st;
  const cli_trial *t = &st->trials[i];
  if (pl->silent || (pl->quiet && t->status != CLI_TRIAL_FAILED))
    return;
  int done = 0;
  for (int j = 0; j < st->n_trials; j++)
    done += CLI_TRIAL_DONE(&st->trials[j]);
  char values[2048], outcome[1200], when[32];
  cli_tune_values_text(st, i, values, sizeof values);
  cli_format_duration(cli_now() - pl->t0, when, sizeof when);
  int best = cli_study_best(st);
  if (t->status == CLI_TRIAL_COMPLETE)
    snprintf(outcome, sizeof outcome, "%.1f ± %.1f (best %.1f, trial %d)",
             t->objective, t->objective_std, st->trials[best].objective, best);
  else if (t->status == CLI_TRIAL_PRUNED)
    snprintf(outcome, sizeof outcome,
             "pruned at step %ld of seed %d (evaluation %.1f)", t->pruned_at,
             t->pruned_seed, t->last_eval);
  else
    snprintf(outcome, sizeof outcome, "FAILED: %s", t->error);
  cli_tune_status_clear(&pl->status);
  fprintf(stderr, "trial %d [%d/%d done, %s]: %s  %s\n", i, done, st->n_trials,
          when, outcome, values);
  fflush(stderr);
}

static void update_report(pool *pl) {
  if (pl->rank != 0)
    return;
  if (cli_tune_write_report(pl->st) != 0 && !pl->failed_write) {
    fprintf(stderr, "crl tune: error: cannot write trials.csv in %s: %s\n",
            pl->st->dir, strerror(errno));
    pl->failed_write = 1;
  }
}

/* Start trial i: sample it (unless an earlier invocation did), build its
 * experiment, and fork its worker. Settings the algorithm refuses
 * together fail the trial without a worker. */
static int start(pool *pl, int i) {
  cli_study *st = pl->st;
  char err[CLI_ERR_SIZE], dir[CLI_PATH_MAX];
  if (!st->trials[i].sampled && cli_study_sample(st, i, err, sizeof err)) {
    fprintf(stderr, "crl tune: error: %s\n", err);
    return -1;
  }
  cli_experiment x;
  if (cli_study_trial_experiment(st, i, &x, err, sizeof err)) {
    cli_study_fail(st, i, err);
    report(pl, i);
    update_report(pl);
    return 0;
  }
  double *th = cli_study_thresholds(st, i);
  if (cli_study_trial_dir(st, i, dir, sizeof dir) ||
      cli_rundir_write_configs(&x, dir)) {
    free(th);
    cli_experiment_free(&x);
    return -1;
  }
  cli_tune_slot *slot = cli_tune_status_take(&pl->status, i);
  pid_t pid = cli_signals_fork_worker();
  if (pid == 0) {
    int code = run_seeds(st, i, &x, th, slot);
    fflush(NULL);
    _exit(code);
  }
  free(th);
  cli_experiment_free(&x);
  if (pid < 0) {
    /* Not the trial's fault: failing it would change the study. */
    cli_tune_status_release(&pl->status, i);
    fprintf(stderr, "crl tune: error: cannot start a worker: %s\n",
            strerror(errno));
    return -1;
  }
  pl->pids[i] = pid;
  st->trials[i].status = CLI_TRIAL_RUNNING;
  pl->running++;
  return 0;
}

static void collect(pool *pl, pid_t pid, int status) {
  int i = 0;
  while (i < pl->st->n_trials && pl->pids[i] != pid)
    i++;
  if (i == pl->st->n_trials)
    return;
  cli_signals_remove_child(pid);
  pl->pids[i] = 0;
  pl->running--;
  cli_tune_status_release(&pl->status, i);
  cli_study_collect(pl->st, i);
  cli_trial *t = &pl->st->trials[i];
  if (t->status == CLI_TRIAL_PENDING && !pl->st->stopped &&
      !cli_stop_requested) {
    /* No result and no signal of ours: the worker died. */
    char why[128];
    if (WIFSIGNALED(status))
      snprintf(why, sizeof why, "the worker was killed by signal %d",
               WTERMSIG(status));
    else
      snprintf(why, sizeof why, "the worker exited with status %d",
               WEXITSTATUS(status));
    cli_study_fail(pl->st, i, why);
  }
  if (t->status != CLI_TRIAL_PENDING) {
    report(pl, i);
    update_report(pl);
  }
}

/* This rank's first trial not started, or -1. */
static int next_pending(const pool *pl) {
  for (int i = 0; i < pl->st->n_trials; i++)
    if (pl->st->trials[i].status == CLI_TRIAL_PENDING && own(pl, i))
      return i;
  return -1;
}

/* The other ranks' trials that ended since the last look. -1 when one's
 * files cannot be read (message printed). */
static int refresh_others(pool *pl) {
  if (pl->st->ranks <= 1 || cli_now() - pl->last_refresh < REFRESH_SECONDS)
    return 0;
  pl->last_refresh = cli_now();
  int changed = 0;
  for (int i = 0; i < pl->st->n_trials; i++) {
    char err[CLI_ERR_SIZE];
    int r = own(pl, i) ? 0 : cli_study_refresh(pl->st, i, err, sizeof err);
    if (r < 0) {
      fprintf(stderr, "crl tune: rank %d: %s\n", pl->rank, err);
      return -1;
    }
    if (r > 0) {
      report(pl, i);
      changed = 1;
    }
  }
  if (changed)
    update_report(pl);
  return 0;
}

/* Tell the other ranks to stop (DIR/.stopping). */
static void stop_others(pool *pl) {
  if (pl->st->ranks <= 1)
    return;
  FILE *f = fopen(pl->stop_path, "w");
  if (f)
    fclose(f);
}

/* Stop: a signal here, or another rank's .stopping (whose workers then
 * get the signal from here, as a terminal's Ctrl-C would give it). */
static int stopping(pool *pl) {
  if (cli_stop_requested) {
    if (!pl->st->stopped)
      stop_others(pl);
    pl->st->stopped = 1;
    return 1;
  }
  if (pl->st->ranks > 1 && access(pl->stop_path, F_OK) == 0) {
    if (!pl->st->stopped)
      for (int i = 0; i < pl->st->n_trials; i++)
        if (pl->pids[i] > 0)
          kill(pl->pids[i], SIGUSR1);
    pl->st->stopped = 1;
    return 1;
  }
  return 0;
}

/* Rank 0 goes on until every trial is done, reporting them. */
static int all_done(const pool *pl) {
  for (int i = 0; pl->rank == 0 && i < pl->st->n_trials; i++)
    if (!CLI_TRIAL_DONE(&pl->st->trials[i]))
      return 0;
  return 1;
}

/* A child that ended, the other ranks' trials, the live line. -1 when
 * the other ranks' files cannot be read. */
static int wait_some(pool *pl) {
  int status;
  pid_t pid = waitpid(-1, &status, WNOHANG);
  if (pid > 0)
    collect(pl, pid, status);
  else if (pid < 0 && errno == ECHILD)
    pl->running = 0; /* cannot happen, but never wait forever */
  else
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
  if (!pl->silent)
    cli_tune_status_draw(&pl->status, pl->st);
  return refresh_others(pl);
}

int cli_tune_run(cli_study *st, int quiet) {
  pool pl = {.st = st,
             .quiet = quiet,
             .rank = cli_ranks_rank(),
             .t0 = cli_now(),
             .last_refresh = -1.0};
  pl.silent = pl.rank > 0;
  cli_tune_status_init(&pl.status, st->workers, quiet || pl.silent);
  pl.pids = calloc((size_t)st->n_trials, sizeof *pl.pids);
  if (pl.pids == NULL ||
      cli_path_join(pl.stop_path, sizeof pl.stop_path, st->dir, ".stopping")) {
    fprintf(stderr, "crl tune: error: out of memory\n");
    free(pl.pids);
    cli_tune_status_free(&pl.status);
    return -1;
  }
  int rc = 0;
  update_report(&pl);
  for (;;) {
    int i = next_pending(&pl), stop = stopping(&pl);
    while (rc == 0 && !stop && i >= 0 && pl.running < st->workers &&
           ready(st, i)) {
      rc = start(&pl, i);
      i = next_pending(&pl);
    }
    if (rc) /* this rank cannot go on: the others stop too */
      stop_others(&pl);
    if (pl.running == 0 && (stop || rc || (i < 0 && all_done(&pl))))
      break;
    if (wait_some(&pl) && rc == 0)
      rc = -1;
  }
  update_report(&pl);
  cli_tune_status_clear(&pl.status);
  cli_tune_status_free(&pl.status);
  free(pl.pids);
  return rc || pl.failed_write ? -1 : 0;
}
