/* crl tune: a hyperparameter search over the experiment's search: block
 * (tune/space.h), trials in worker processes (tune/tune_run.h), random or
 * TPE sampling (tune/sampler.h), median pruning, --resume. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "plot/plot.h"
#include "run/jobs.h"
#include "run/ranks.h"
#include "run/rundir.h"
#include "run/signals.h"
#include "tune/tune_run.h"

typedef struct tune_args {
  int trials;    /* 0: not given */
  int sampler;   /* -1: not given */
  int pruner;    /* -1: not given */
  int tune_seed; /* -1: not given */
  cli_train_args common;
} tune_args;

/* --trials, --sampler, --pruner, --tune-seed: 1 when argv[*i] was one, 0
 * when not, or the usage exit status. */
static int tune_option(int argc, char **argv, int *i, tune_args *a) {
  const char *arg = argv[*i], *v;
  if (cli_is_option(arg, "--trials")) {
    v = cli_option_value(argc, argv, i, "--trials");
    if (v == NULL || cli_parse_count(v, 1000000, &a->trials) || a->trials < 1)
      return cli_usage_error("tune", "--trials needs a number >= 1%s", "");
  } else if (cli_is_option(arg, "--sampler")) {
    v = cli_option_value(argc, argv, i, "--sampler");
    if (v == NULL || (a->sampler = cli_sampler_from_name(v)) < 0)
      return cli_usage_error("tune", "--sampler is tpe or random%s", "");
  } else if (cli_is_option(arg, "--pruner")) {
    v = cli_option_value(argc, argv, i, "--pruner");
    if (v == NULL || (a->pruner = cli_pruner_from_name(v)) < 0)
      return cli_usage_error("tune", "--pruner is median or none%s", "");
  } else if (cli_is_option(arg, "--tune-seed")) {
    v = cli_option_value(argc, argv, i, "--tune-seed");
    if (v == NULL || cli_parse_count(v, 2147483647L, &a->tune_seed))
      return cli_usage_error("tune", "--tune-seed needs an integer >= 0%s", "");
  } else {
    return 0;
  }
  return 1;
}

static int parse(int argc, char **argv, tune_args *a) {
  *a = (tune_args){.sampler = -1, .pruner = -1, .tune_seed = -1};
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (rest == NULL)
    return CLI_EXIT_FAILURE;
  int n = 0, rc = 0;
  for (int i = 0; i < argc && rc == 0; i++) {
    int r = tune_option(argc, argv, &i, a);
    if (r == 0)
      rest[n++] = argv[i];
    else if (r != 1)
      rc = r;
  }
  if (rc == 0)
    rc = cli_parse_train_args("tune", n, rest, 1, &a->common);
  free(rest); /* the arguments themselves are argv's */
  if (rc)
    return rc;
  const cli_train_args *c = &a->common;
  if (c->zoo || c->check || c->has_seed)
    return cli_usage_error("tune",
                           "crl tune takes no --zoo, --check or --seed (the "
                           "trials train the file's seeds; --set seeds=[0] "
                           "changes them)%s",
                           "");
  if (c->resume &&
      (a->sampler >= 0 || a->pruner >= 0 || a->tune_seed >= 0 || c->jobs > 0))
    return cli_usage_error("tune",
                           "--resume DIR continues with DIR/tune.yaml's "
                           "settings: it takes no -j, --sampler, --pruner or "
                           "--tune-seed (only --trials, to add trials)%s",
                           "");
  if (!c->resume && a->trials == 0)
    return cli_usage_error("tune", "--trials N is needed%s", "");
  return 0;
}

/* ---- the study
 * --------------------------------------------------------------- */

static int load_entries(const tune_args *a, const char *file,
                        cli_cfg_entries *e) {
  char err[CLI_ERR_SIZE];
  int rc = cli_cfg_load_yaml(file, e, err, sizeof err);
  for (int i = 0; rc == 0 && i < a->common.n_sets; i++)
    rc = cli_cfg_apply_set(e, a->common.sets[i], err, sizeof err);
  if (rc)
    fprintf(stderr, "%s\n", err);
  return rc ? CLI_EXIT_USAGE : 0;
}

/* The study: a new one from the file and options, or the settings and
 * config.yaml of DIR with --resume. Nothing is written here. */
static int open_study(const tune_args *a, cli_study *st) {
  char err[CLI_ERR_SIZE], file[CLI_PATH_MAX];
  const cli_train_args *c = &a->common;
  if (c->resume) {
    snprintf(st->dir, sizeof st->dir, "%s", c->resume);
    if (cli_study_read_settings(st, err, sizeof err)) {
      fprintf(stderr, "crl tune: %s\n", err);
      return CLI_EXIT_USAGE;
    }
    if (st->ranks != cli_ranks_size()) {
      fprintf(stderr,
              "crl tune: error: %s was started on %d rank%s; it resumes only "
              "on %d (mpirun -n %d)\n",
              st->dir, st->ranks, st->ranks == 1 ? "" : "s", st->ranks,
              st->ranks);
      return CLI_EXIT_USAGE;
    }
    if (a->trials > 0 && a->trials < st->n_trials) {
      fprintf(stderr,
              "crl tune: error: %s has %d trials; --trials can only add "
              "more\n",
              st->dir, st->n_trials);
      return CLI_EXIT_USAGE;
    }
    if (a->trials > 0)
      st->n_trials = a->trials;
    if (cli_path_join(file, sizeof file, st->dir, "config.yaml"))
      return CLI_EXIT_USAGE;
  } else {
    if (c->out_dir)
      snprintf(st->dir, sizeof st->dir, "%s", c->out_dir);
    else {
      /* runs/<folder>_<stem>_tune, "_tune" once. */
      char base[CLI_PATH_MAX];
      cli_default_run_dir(c->config, base, sizeof base);
      size_t n = strlen(base);
      int tuned = n >= 5 && strcmp(base + n - 5, "_tune") == 0;
      snprintf(st->dir, sizeof st->dir, "%.4000s%s", base,
               tuned ? "" : "_tune");
    }
    snprintf(file, sizeof file, "%s", c->config);
    st->n_trials = a->trials;
    st->workers = c->jobs > 0 ? c->jobs : cli_cpu_count();
    st->sampler = a->sampler >= 0 ? a->sampler : CLI_SAMPLER_TPE;
    st->pruner = a->pruner >= 0 ? a->pruner : CLI_PRUNER_MEDIAN;
    st->tune_seed = a->tune_seed >= 0 ? (uint64_t)a->tune_seed : 0;
    st->ranks = cli_ranks_size();
  }
  cli_cfg_entries e = {0};
  int rc = load_entries(a, file, &e);
  if (rc == 0 && cli_study_init(st, &e, file, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    rc = CLI_EXIT_USAGE;
  }
  cli_cfg_entries_free(&e);
  return rc;
}

/* Rank 0's settings (and, with --resume, what its directory holds) are
 * every rank's: -j defaults to the cores of rank 0's machine. */
static int agree_on_settings(cli_study *st) {
  if (cli_ranks_size() > 1 &&
      cli_ranks_bcast(&st->workers, sizeof st->workers, 0))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return 0;
}

/* Rank 0 writes the settings and removes .stopping, which an interrupted
 * study on several ranks leaves (the other ranks look for it only after
 * this). */
static int write_settings(cli_study *st) {
  char path[CLI_PATH_MAX];
  if (cli_path_join(path, sizeof path, st->dir, ".stopping") == 0)
    remove(path);
  if (cli_study_write_settings(st) == 0)
    return CLI_EXIT_OK;
  fprintf(stderr, "crl tune: error: cannot write the settings in %s\n",
          st->dir);
  return CLI_EXIT_FAILURE;
}

/* The study's directory, and its trials so far on a resume; a resume's
 * settings are written once all of that worked (a refused resume writes
 * nothing). Every rank makes the same collective calls in the same
 * order, whatever fails. */
static int prepare(const tune_args *a, cli_study *st) {
  char err[CLI_ERR_SIZE];
  const int resume = a->common.resume != NULL, rank0 = cli_ranks_rank() == 0;
  int rc = CLI_EXIT_OK;
  cli_rundir_command = "tune";
  agree_on_settings(st);
  if (rank0) {
    rc = resume ? cli_rundir_lock(st->dir)
                : cli_rundir_prepare(st->dir, a->common.force);
    if (rc == 0 && !resume)
      rc = write_settings(st);
  }
  if ((rc = cli_rundir_agree(st->dir, "tune.yaml", rc)) != 0)
    return rc;
  if (cli_study_alloc_trials(st)) {
    fprintf(stderr, "crl tune: error: out of memory\n");
    cli_ranks_abort(CLI_EXIT_FAILURE);
    return CLI_EXIT_FAILURE;
  }
  int failed = resume && cli_study_load_trials(st, err, sizeof err);
  if (failed)
    fprintf(stderr, "crl tune: %s\n", err);
  if (cli_ranks_size() > 1 && cli_ranks_max(failed, &failed))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  if (failed)
    return CLI_EXIT_USAGE;
  if (!resume)
    return CLI_EXIT_OK;
  rc = rank0 ? write_settings(st) : CLI_EXIT_OK;
  if (cli_ranks_size() > 1 && cli_ranks_bcast(&rc, sizeof rc, 0))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return rc;
}

static void announce(const cli_study *st) {
  const cli_run_config *cfg = &st->base.points[0];
  fprintf(stderr,
          "crl tune: %d trials of %s on %s (%d seed%s, %d steps each), %d at "
          "a time, sampler %s, pruner %s, tune seed %llu -> %s/\n",
          st->n_trials, cfg->keys.algo, cfg->keys.env, st->n_seeds,
          st->n_seeds == 1 ? "" : "s", cfg->keys.n_timesteps, cli_study_lag(st),
          cli_sampler_name(st->sampler), cli_pruner_name(st->pruner),
          (unsigned long long)st->tune_seed, st->dir);
}

static void draw(const cli_study *st, int quiet) {
  char err[CLI_ERR_SIZE];
  int rc = cli_tune_plot(st, err, sizeof err);
  if (rc == CLI_PLOT_NO_GNUPLOT && !quiet)
    fprintf(stderr, "note: no picture of the search: %s\n", err);
  else if (rc != 0 && rc != CLI_PLOT_NO_GNUPLOT)
    fprintf(stderr, "warning: no picture of the search: %s\n", err);
  else if (rc == 0 && !quiet)
    printf("picture: %s/search.png\n", st->dir);
}

static int finish(const tune_args *a, const cli_study *st, int run_rc) {
  int pending = 0, complete = 0;
  for (int i = 0; i < st->n_trials; i++) {
    pending += !CLI_TRIAL_DONE(&st->trials[i]);
    complete += st->trials[i].status == CLI_TRIAL_COMPLETE;
  }
  cli_tune_print_top(st);
  int best = cli_study_best(st);
  if (best >= 0)
    printf("best: trial %d, %s/best.yaml (crl train %s/best.yaml)\n", best,
           st->dir, st->dir);
  printf("trials: %s/trials.csv\n", st->dir);
  if (!a->common.no_plot && pending < st->n_trials)
    draw(st, a->common.quiet);
  if (run_rc)
    return CLI_EXIT_FAILURE;
  if (pending > 0 && st->stopped) {
    printf("interrupted: continue with `crl tune --resume %s`\n", st->dir);
    return CLI_EXIT_INTERRUPTED;
  }
  return complete > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

/* Every rank's trials are done (or stopped): rank 0 reads the others'
 * outcomes, writes the report and decides the exit status for all. */
static int run(const tune_args *a, cli_study *st) {
  int run_rc = cli_tune_run(st, a->common.quiet);
  if (cli_ranks_size() > 1) { /* failed or stopped anywhere: everywhere */
    int here[2] = {run_rc != 0, st->stopped}, any[2];
    if (cli_ranks_max_n(here, any, 2))
      cli_ranks_abort(CLI_EXIT_FAILURE);
    run_rc = any[0] ? -1 : 0;
    st->stopped = any[1];
  }
  int rc = CLI_EXIT_OK;
  if (cli_ranks_rank() == 0) {
    char err[CLI_ERR_SIZE];
    for (int i = 0; i < st->n_trials; i++)
      if (cli_study_refresh(st, i, err, sizeof err) < 0) {
        fprintf(stderr, "crl tune: %s\n", err);
        run_rc = -1;
      }
    if (cli_ranks_size() > 1 && cli_tune_write_report(st) != 0)
      run_rc = -1;
    rc = finish(a, st, run_rc);
  }
  if (cli_ranks_size() > 1 && cli_ranks_bcast(&rc, sizeof rc, 0))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return rc;
}

int cli_cmd_tune(int argc, char **argv) {
  tune_args a;
  int rc = parse(argc, argv, &a);
  if (rc)
    return rc;
  cli_study st = {0};
  rc = open_study(&a, &st);
  if (rc == 0)
    rc = prepare(&a, &st);
  if (rc == 0) {
    if (!a.common.quiet && cli_ranks_rank() == 0)
      announce(&st);
    cli_signals_install();
    rc = run(&a, &st);
  }
  cli_study_free(&st);
  return rc;
}
