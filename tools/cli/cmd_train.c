/* crl train: read and validate an experiment (or an interrupted run's
 * config.yaml with --resume), run every grid point and seed (-j worker
 * processes), then write the summaries, draw the curves and check the
 * expectations (--check). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "plot/expect.h"
#include "plot/plot.h"
#include "run/ranks.h"
#include "run/rundir.h"
#include "run/signals.h"
#include "run/summary.h"

/* ---- run directory ------------------------------------------------------- */

void cli_default_run_dir(const char *config_path, char *buf, size_t size) {
  char copy[CLI_PATH_MAX];
  snprintf(copy, sizeof copy, "%s", config_path);
  char *slash = strrchr(copy, '/');
  char *file = slash ? slash + 1 : copy;
  char *dot = strrchr(file, '.');
  if (dot && dot != file)
    *dot = '\0';
  const char *parent = "";
  if (slash) {
    *slash = '\0';
    char *parent_slash = strrchr(copy, '/');
    parent = parent_slash ? parent_slash + 1 : copy;
  }
  if (parent[0] == '\0' || strcmp(parent, ".") == 0 ||
      strcmp(parent, "..") == 0)
    snprintf(buf, size, "runs/%s", file);
  else
    snprintf(buf, size, "runs/%s_%s", parent, file);
}

/* ---- curves -------------------------------------------------------------- */

static void plot_options_for(const cli_run_config *cfg, char *title,
                             size_t size, cli_plot_options *o) {
  snprintf(title, size, "%s on %s", cfg->keys.algo, cfg->keys.env);
  *o = cli_plot_options_default();
  o->title = title;
  if (cfg->keys.n_episodes > 0 && cfg->keys.n_timesteps == INT_MAX) {
    /* An episode budget: the training return of each episode. */
    o->x = "episodes";
    o->y = "episode_return";
    o->band = CLI_BAND_SEM;
    o->key = "bottom right";
  }
}

/* DIR/curve.png: the run, or one curve per grid point. */
static void draw_curve(const cli_experiment *x, const char *dir, int quiet) {
  char out[CLI_PATH_MAX], err[CLI_ERR_SIZE], title[2 * CRL_STRING_MAX + 8];
  if (cli_path_join(out, sizeof out, dir, "curve.png"))
    return;
  cli_plot_options o;
  plot_options_for(&x->points[0], title, sizeof title, &o);
  const char *dirs[1] = {dir};
  int rc = cli_plot_runs_opts(dirs, 1, out, &o, err, sizeof err);
  if (rc == CLI_PLOT_NO_GNUPLOT && !quiet)
    fprintf(stderr,
            "note: no learning-curve picture: gnuplot is not installed (%s, "
            "then run `crl plot %s -o %s`)\n",
            CLI_GNUPLOT_HINT, dir, out);
  else if (rc != 0 && rc != CLI_PLOT_NO_GNUPLOT)
    fprintf(stderr, "warning: no learning-curve picture: %s\n", err);
  else if (!quiet)
    printf("learning curve: %s\n", out);
}

/* ---- after the runs ------------------------------------------------------ */

static int count_status(const cli_job *jobs, int n, int status) {
  int k = 0;
  for (int i = 0; i < n; i++)
    k += jobs[i].result.status == status;
  return k;
}

static int check_expectations(const cli_experiment *x, const char *dir) {
  char err[CLI_ERR_SIZE];
  int checked = 0;
  printf("\nexpectations (%s):\n", dir);
  int failed = cli_expect_check(x, dir, stdout, &checked, err, sizeof err);
  if (failed < 0) {
    fprintf(stderr, "crl train: error: %s\n", err);
    return CLI_EXIT_FAILURE;
  }
  if (checked == 0)
    printf("(the experiment has no expect: block)\n");
  return failed ? CLI_EXIT_EXPECT : CLI_EXIT_OK;
}

static int finish(const cli_train_args *a, const cli_experiment *x,
                  const char *dir, const cli_job *jobs, int n) {
  char err[CLI_ERR_SIZE];
  /* A signal during the last iteration, after which every run finished,
   * interrupted nothing. */
  int interrupted =
      count_status(jobs, n, CLI_RUN_INTERRUPTED) > 0 ||
      (cli_stop_requested && count_status(jobs, n, CLI_RUN_NOT_RUN) > 0);
  if (cli_summary_write(x, jobs, n, dir, err, sizeof err))
    fprintf(stderr, "crl train: error: %s\n", err);
  cli_summary_print(x, jobs, n, a->quiet);
  if (interrupted) {
    printf("interrupted: continue with `crl train --resume %s`\n", dir);
    return CLI_EXIT_INTERRUPTED;
  }
  if (!a->quiet)
    printf("results: %s/ (config.yaml, summary.json, %sseed_<k>/)\n", dir,
           x->n_axes ? "<point>/" : "");
  fflush(stdout);
  int ok = count_status(jobs, n, CLI_RUN_OK);
  if (!a->no_plot && ok > 0)
    draw_curve(x, dir, a->quiet);
  int rc = ok == n ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
  if (a->check) {
    int verdict = check_expectations(x, dir);
    if (rc == CLI_EXIT_OK)
      rc = verdict;
  }
  return rc;
}

/* ---- the command --------------------------------------------------------- */

/* "runs/zoo_ppo_CartPole-v1" for --zoo hyperparams/ppo.yml --env
 * CartPole-v1. */
static void zoo_run_dir(const cli_train_args *a, char *dir, size_t size) {
  char stem[256];
  const char *base = strrchr(a->zoo, '/');
  snprintf(stem, sizeof stem, "%s", base ? base + 1 : a->zoo);
  char *dot = strchr(stem, '.');
  if (dot && dot != stem)
    *dot = '\0';
  snprintf(dir, size, "runs/zoo_%.200s_%.200s",
           a->zoo_algo ? a->zoo_algo : stem, a->zoo_env);
}

/* The experiment: the file with its overrides, a zoo file's entry, or
 * DIR/config.yaml. */
static int load(const cli_train_args *a, cli_experiment *x, char *dir,
                size_t size) {
  char path[CLI_PATH_MAX];
  const char *file = a->config;
  if (a->resume) {
    snprintf(dir, size, "%s", a->resume);
    if (cli_path_join(path, sizeof path, dir, "config.yaml") != 0) {
      fprintf(stderr, "crl train: '%s' is too long a path\n", dir);
      return CLI_EXIT_USAGE;
    }
    file = path;
  } else if (a->out_dir) {
    snprintf(dir, size, "%s", a->out_dir);
  } else if (a->zoo) {
    zoo_run_dir(a, dir, size);
  } else {
    cli_default_run_dir(a->config, dir, size);
  }
  return cli_train_args_load(a, file, x);
}

/* Rank 0 makes the run directory (or locks it to resume); every rank
 * learns whether that worked, and then checks that it sees the directory:
 * ranks on several machines need a file system they all share. */
static int prepare_dir(const cli_train_args *a, const cli_experiment *x,
                       const char *dir) {
  int rc = CLI_EXIT_OK;
  if (cli_ranks_rank() == 0) {
    if (!a->resume) {
      rc = cli_rundir_prepare(dir, a->force);
      if (!rc && cli_rundir_write_configs(x, dir))
        rc = CLI_EXIT_FAILURE;
    } else {
      rc = cli_rundir_lock(dir);
    }
  }
  return cli_rundir_agree(dir, "config.yaml", rc);
}

/* A data-parallel run needs every rank; the experiment is one or the
 * other throughout. */
static int check_data_parallel(const cli_experiment *x) {
  for (int p = 1; p < x->n_points; p++)
    if (x->points[p].keys.data_parallel != x->points[0].keys.data_parallel) {
      fprintf(stderr,
              "crl train: error: distributed.data_parallel is %s in grid "
              "point '%s' and %s in '%s': it must be the same in every "
              "point\n",
              x->points[p].keys.data_parallel ? "true" : "false", x->names[p],
              x->points[0].keys.data_parallel ? "true" : "false", x->names[0]);
      return CLI_EXIT_USAGE;
    }
  return CLI_EXIT_OK;
}

static int run(const cli_train_args *a, const cli_experiment *x,
               const char *dir) {
  int rc = check_data_parallel(x);
  if (rc)
    return rc;
  rc = prepare_dir(a, x, dir);
  if (rc)
    return rc;
  cli_job *jobs = NULL;
  int n = 0;
  if (cli_jobs_make(x, dir, &jobs, &n)) {
    fprintf(stderr, "crl train: error: out of memory or paths too long\n");
    cli_ranks_abort(CLI_EXIT_FAILURE);
    return CLI_EXIT_FAILURE;
  }
  cli_jobs_opts o = {.workers = a->jobs > 0 ? a->jobs : cli_cpu_count(),
                     .quiet = a->quiet,
                     .resume = a->resume != NULL};
  cli_signals_install();
  cli_jobs_run(x, jobs, n, &o);
  /* Rank 0 writes the summaries, curve and verdict; every rank exits
   * with its status. */
  if (cli_ranks_rank() == 0)
    rc = finish(a, x, dir, jobs, n);
  free(jobs);
  if (cli_ranks_bcast(&rc, sizeof rc, 0))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return rc;
}

int cli_cmd_train(int argc, char **argv) {
  cli_train_args a;
  int rc = cli_parse_train_args("train", argc, argv, 1, &a);
  if (rc)
    return rc;
  cli_experiment x;
  char dir[CLI_PATH_MAX];
  rc = load(&a, &x, dir, sizeof dir);
  if (rc)
    return rc;
  rc = run(&a, &x, dir);
  cli_experiment_free(&x);
  return rc;
}
