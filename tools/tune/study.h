/* A study of `crl tune`: its directory, its trials and the rules that make
 * it the same run after run.
 *
 *   DIR/config.yaml           the experiment and its search: block
 *   DIR/tune.yaml             the study's settings (--resume reads them)
 *   DIR/trials.csv            one row per finished trial, in trial order
 *   DIR/best.yaml             the best trial's configuration (crl train)
 *   DIR/search.png            objective against trial and each parameter
 *   DIR/trial_<i>/params.yaml its sampled values
 *   DIR/trial_<i>/config.yaml its resolved configuration
 *   DIR/trial_<i>/seed_<k>/   its runs, as crl train writes them
 *   DIR/trial_<i>/failed.txt  why its settings could not be used
 *
 * Determinism: with W trials at a time (-j W on each of K ranks: W = the
 * product), trial i is sampled from trials 0 .. i - W (and starts only
 * when they are done) and compared by the pruner with the same ones, so
 * what it trains depends on the tuning seed, W and the earlier trials'
 * results, never on which trial happened to finish first, nor on how the
 * W are spread over ranks. */
#ifndef TOOLS_TUNE_STUDY_H
#define TOOLS_TUNE_STUDY_H

#include <stdint.h>

#include "run/fsutil.h"
#include "tune/sampler.h"
#include "tune/space.h"

/* clang-format off */
#define CLI_PRUNERS(X)                   \
  X(CLI_PRUNER_NONE,   "none")           \
  X(CLI_PRUNER_MEDIAN, "median")
/* clang-format on */

typedef enum cli_pruner_kind {
#define PRUNER_ENUM(id, name) id,
  CLI_PRUNERS(PRUNER_ENUM)
#undef PRUNER_ENUM
      CLI_PRUNER_COUNT
} cli_pruner_kind;

/* The median rule, as Optuna's MedianPruner with RL Zoo's warm-up: once
 * 5 trials have finished, a run whose best evaluation so far is below
 * the median of the finished trials' evaluations at the same point stops
 * there; never in the first third of the budget. */
#define CLI_MEDIAN_STARTUP 5
#define CLI_MAX_MARKS 10000 /* evaluations per run the pruner keeps */

int cli_pruner_from_name(const char *name);
const char *cli_pruner_name(cli_pruner_kind kind);

typedef enum cli_trial_status {
  CLI_TRIAL_PENDING = 0, /* not started, or interrupted */
  CLI_TRIAL_RUNNING = 1,
  CLI_TRIAL_COMPLETE = 2,
  CLI_TRIAL_PRUNED = 3,
  CLI_TRIAL_FAILED = 4
} cli_trial_status;

/* "complete", "pruned", ... */
const char *cli_trial_status_name(cli_trial_status s);

/* Complete, pruned or failed: done for good. */
#define CLI_TRIAL_DONE(t)                                                      \
  ((t)->status == CLI_TRIAL_COMPLETE || (t)->status == CLI_TRIAL_PRUNED ||     \
   (t)->status == CLI_TRIAL_FAILED)

typedef struct cli_trial {
  cli_trial_status status;
  int sampled;              /* x holds its values (params.yaml exists) */
  double x[CLI_MAX_SEARCH]; /* its sample (space.h) */
  double objective;         /* COMPLETE: mean final evaluation over seeds */
  double objective_std;     /* and its std over seeds */
  double last_eval;         /* PRUNED: the evaluation it stopped at */
  long steps;               /* env steps over its seeds */
  long pruned_at;           /* PRUNED: step of the seed it stopped in */
  int pruned_seed;          /* PRUNED: that seed */
  double seconds;           /* wall time over its seeds */
  double *curve;            /* [n_seeds * n_marks] evaluations (NAN: none) */
  char error[1024];         /* FAILED: why */
} cli_trial;

typedef struct cli_study {
  char dir[CLI_PATH_MAX];
  cli_cfg_entries entries; /* the experiment, search: included */
  cli_experiment base;     /* the experiment as crl train runs it */
  cli_search_space space;
  cli_sampler_kind sampler;
  cli_pruner_kind pruner;
  uint64_t tune_seed;
  int n_trials, workers; /* workers: trials at once on each rank */
  int ranks;             /* MPI ranks the study runs on (1 without) */
  int n_seeds;
  long eval_every;   /* evaluations are compared at multiples of it */
  int n_marks;       /* multiples up to the budget, 0 included */
  cli_trial *trials; /* [n_trials] */
  int stopped;       /* a signal (or another rank's) stopped the study */
} cli_study;

/* The study's experiment from entries already read (and overridden):
 * validated as crl train would, its search space read, and refused when
 * crl tune cannot run it (a grid, data parallel, the median pruner
 * without evaluations during the run). 0, or -1 with the message. */
int cli_study_init(cli_study *st, cli_cfg_entries *entries, const char *source,
                   char *err, size_t size);

/* Trials at once over all ranks: how far back trial i learns from. */
int cli_study_lag(const cli_study *st);

/* Allocate the n_trials trials (all pending). 0, or -1. */
int cli_study_alloc_trials(cli_study *st);

/* DIR/trial_<i>, and a file in it. 0, or -1 when too long. */
int cli_study_trial_dir(const cli_study *st, int i, char *buf, size_t size);

/* DIR/config.yaml and DIR/tune.yaml of a new study. 0, or -1 (errno). */
int cli_study_write_settings(const cli_study *st);

/* Read DIR/tune.yaml's settings into st (before cli_study_init of
 * DIR/config.yaml). 0, or -1 with the message. */
int cli_study_read_settings(cli_study *st, char *err, size_t size);

/* What an earlier invocation left: every trial's values and, when it
 * finished, its result. 0, or -1 with the message. */
int cli_study_load_trials(cli_study *st, char *err, size_t size);

/* Trial i as its files say now (another rank runs it): its values once
 * sampled, its outcome once done. 1 when that made it done, -1 when its
 * params.yaml cannot be read (message in err). */
int cli_study_refresh(cli_study *st, int i, char *err, size_t size);

/* Trial i's experiment: the base with its values. 0, or -1 with the
 * reason in err (settings the algorithm refuses together). */
int cli_study_trial_experiment(const cli_study *st, int i, cli_experiment *x,
                               char *err, size_t size);

/* Sample trial i from trials 0 .. i - workers and write its params.yaml.
 * 0, or -1 with the message. */
int cli_study_sample(cli_study *st, int i, char *err, size_t size);

/* The pruner's thresholds for trial i: [n_seeds * n_marks], NAN where it
 * does not prune. NULL without a pruner (or out of memory). */
double *cli_study_thresholds(const cli_study *st, int i);

/* Read trial i's outcome from its seeds' files after its worker ended
 * (status COMPLETE, PRUNED, FAILED, or PENDING when interrupted). */
void cli_study_collect(cli_study *st, int i);

/* Mark trial i failed with a message (also written to failed.txt). */
void cli_study_fail(cli_study *st, int i, const char *why);

/* The finished trial with the highest objective, or -1. */
int cli_study_best(const cli_study *st);

void cli_study_free(cli_study *st);

#endif
