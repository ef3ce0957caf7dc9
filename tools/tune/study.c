/* The study's state and files (see study.h). */
#include "tune/study.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot/plot.h"
#include "run/result.h"
#include "run/rundir.h"

static const char *const pruner_names[CLI_PRUNER_COUNT] = {
#define PRUNER_NAME(id, name) name,
    CLI_PRUNERS(PRUNER_NAME)
#undef PRUNER_NAME
};

int cli_pruner_from_name(const char *name) {
  for (int k = 0; k < CLI_PRUNER_COUNT; k++)
    if (strcmp(name, pruner_names[k]) == 0)
      return k;
  return -1;
}

const char *cli_pruner_name(cli_pruner_kind kind) {
  return pruner_names[kind];
}

const char *cli_trial_status_name(cli_trial_status s) {
  static const char *const names[] = {"pending", "running", "complete",
                                      "pruned", "failed"};
  return names[s];
}

/* ---- the experiment -------------------------------------------------------
 */

static int refuse(const cli_study *st, char *err, size_t size,
                  const char *what) {
  snprintf(err, size, "%s: error: %s", st->base.points[0].source, what);
  return -1;
}

static int check_runnable(cli_study *st, char *err, size_t size) {
  const cli_run_keys *k = &st->base.points[0].keys;
  if (st->base.n_axes > 0)
    return refuse(st, err, size,
                  "crl tune chooses the settings itself: remove the grid: "
                  "block (search: can sample the same keys)");
  if (k->data_parallel)
    return refuse(st, err, size,
                  "crl tune trains whole trials in worker processes: "
                  "distributed.data_parallel cannot be used");
  st->eval_every = k->eval_every;
  if (st->pruner == CLI_PRUNER_MEDIAN &&
      (k->eval_every <= 0 || k->n_timesteps == INT_MAX))
    return refuse(st, err, size,
                  "the median pruner compares evaluations during the runs: "
                  "give n_timesteps and eval.every (or use --pruner none)");
  /* The evaluations the pruner compares, by multiple of eval.every (its
   * last one, at the end of the budget, is never compared). */
  long marks = st->pruner == CLI_PRUNER_MEDIAN
                   ? (long)k->n_timesteps / st->eval_every + 1
                   : 1;
  if (marks > CLI_MAX_MARKS)
    return refuse(st, err, size,
                  "the median pruner keeps every evaluation of every trial: "
                  "at most 10000 per run (raise eval.every)");
  st->n_marks = (int)marks;
  st->n_seeds = cli_config_seed_count(&st->base.points[0]);
  return 0;
}

int cli_study_init(cli_study *st, cli_cfg_entries *entries, const char *source,
                   char *err, size_t size) {
  if (st->ranks < 1)
    st->ranks = 1;
  st->entries = *entries;
  memset(entries, 0, sizeof *entries); /* the study owns them now */
  if (cli_experiment_from_entries(&st->entries, source, &st->base, err, size))
    return -1;
  if (check_runnable(st, err, size))
    return -1;
  return cli_search_read(&st->entries, &st->base, &st->space, err, size);
}

int cli_study_lag(const cli_study *st) {
  return st->workers * (st->ranks > 0 ? st->ranks : 1);
}

int cli_study_alloc_trials(cli_study *st) {
  st->trials = calloc((size_t)st->n_trials, sizeof *st->trials);
  if (st->trials == NULL)
    return -1;
  size_t marks = (size_t)st->n_seeds * (size_t)st->n_marks;
  for (int i = 0; i < st->n_trials; i++) {
    cli_trial *t = &st->trials[i];
    t->objective = t->objective_std = t->last_eval = NAN;
    if ((t->curve = malloc(marks * sizeof *t->curve)) == NULL)
      return -1;
    for (size_t m = 0; m < marks; m++)
      t->curve[m] = NAN;
  }
  return 0;
}

int cli_study_trial_dir(const cli_study *st, int i, char *buf, size_t size) {
  int n = snprintf(buf, size, "%s/trial_%04d", st->dir, i);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int trial_file(const cli_study *st, int i, const char *name, char *buf,
                      size_t size) {
  char dir[CLI_PATH_MAX];
  return cli_study_trial_dir(st, i, dir, sizeof dir) ||
         cli_path_join(buf, size, dir, name);
}

/* ---- settings ---------------------------------------------------------------
 */

int cli_study_write_settings(const cli_study *st) {
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_path_join(path, sizeof path, st->dir, "config.yaml") ||
      cli_atomic_open(&af, path))
    return -1;
  if (cli_experiment_write_yaml(&st->base, af.f)) {
    cli_atomic_abort(&af);
    return -1;
  }
  cli_search_write_yaml(&st->space, af.f);
  if (cli_atomic_commit(&af) ||
      cli_path_join(path, sizeof path, st->dir, "tune.yaml") ||
      cli_atomic_open(&af, path))
    return -1;
  fprintf(af.f,
          "# The settings of this crl tune study (crl tune --resume "
          "reads them).\ntrials: %d\nworkers: %d\nranks: %d\nsampler: "
          "%s\npruner: %s\ntune_seed: %llu\n",
          st->n_trials, st->workers, st->ranks, cli_sampler_name(st->sampler),
          cli_pruner_name(st->pruner), (unsigned long long)st->tune_seed);
  return cli_atomic_commit(&af);
}

static int setting(const cli_cfg_entries *e, const char *key, const char *path,
                   const char **value, char *err, size_t size) {
  int i = cli_cfg_find(e, key);
  if (i < 0) {
    snprintf(err, size, "%s: error: no '%s' (not a crl tune directory?)", path,
             key);
    return -1;
  }
  *value = e->v[i].value;
  return 0;
}

static int setting_count(const cli_cfg_entries *e, const char *key,
                         const char *path, long max, long *out, char *err,
                         size_t size) {
  const char *v;
  if (setting(e, key, path, &v, err, size))
    return -1;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (end == v || *end || errno || n < 0 || n > max) {
    snprintf(err, size, "%s: error: '%s: %s' is not a count", path, key, v);
    return -1;
  }
  *out = (long)n;
  return 0;
}

int cli_study_read_settings(cli_study *st, char *err, size_t size) {
  char path[CLI_PATH_MAX];
  cli_cfg_entries e = {0};
  if (cli_path_join(path, sizeof path, st->dir, "tune.yaml")) {
    snprintf(err, size, "'%s' is too long a path", st->dir);
    return -1;
  }
  if (access(path, R_OK) != 0) {
    snprintf(err, size,
             "error: %s has no tune.yaml: it is not a directory crl tune "
             "made",
             st->dir);
    return -1;
  }
  long trials, workers, seed, ranks;
  const char *sampler, *pruner;
  int rc = cli_cfg_load_yaml(path, &e, err, size);
  if (rc == 0)
    rc = setting_count(&e, "trials", path, 1000000, &trials, err, size) ||
         setting_count(&e, "workers", path, 4096, &workers, err, size) ||
         setting_count(&e, "ranks", path, 65536, &ranks, err, size) ||
         setting_count(&e, "tune_seed", path, LONG_MAX, &seed, err, size) ||
         setting(&e, "sampler", path, &sampler, err, size) ||
         setting(&e, "pruner", path, &pruner, err, size);
  if (rc == 0) {
    int s = cli_sampler_from_name(sampler), p = cli_pruner_from_name(pruner);
    if (s < 0 || p < 0 || trials < 1 || workers < 1 || ranks < 1) {
      snprintf(err, size, "%s: error: unknown sampler, pruner or counts", path);
      rc = -1;
    } else {
      st->n_trials = (int)trials;
      st->workers = (int)workers;
      st->ranks = (int)ranks;
      st->tune_seed = (uint64_t)seed;
      st->sampler = (cli_sampler_kind)s;
      st->pruner = (cli_pruner_kind)p;
    }
  }
  cli_cfg_entries_free(&e);
  return rc;
}

/* ---- a trial's values
 * -------------------------------------------------------- */

static int write_params(const cli_study *st, int i) {
  char path[CLI_PATH_MAX], dir[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_study_trial_dir(st, i, dir, sizeof dir) || cli_mkdir_p(dir) ||
      cli_path_join(path, sizeof path, dir, "params.yaml") ||
      cli_atomic_open(&af, path))
    return -1;
  fprintf(af.f, "# Trial %d of crl tune (sampler %s, tune seed %llu).\n", i,
          cli_sampler_name(st->sampler), (unsigned long long)st->tune_seed);
  for (int p = 0; p < st->space.n; p++) {
    const cli_search_param *sp = &st->space.p[p];
    char text[CRL_STRING_MAX];
    if (sp->kind == CLI_DIST_CHOICE) /* its YAML text, quotes kept */
      snprintf(text, sizeof text, "%s",
               sp->choices.values[(int)st->trials[i].x[p]]);
    else
      cli_search_value_text(&st->space, p, st->trials[i].x[p], text,
                            sizeof text);
    fprintf(af.f, "%s: %s\n", sp->key, text);
  }
  return cli_atomic_commit(&af);
}

static int read_params(cli_study *st, int i, char *err, size_t size) {
  char path[CLI_PATH_MAX];
  if (trial_file(st, i, "params.yaml", path, sizeof path) ||
      access(path, R_OK) != 0)
    return 0; /* never sampled */
  cli_cfg_entries e = {0};
  int rc = cli_cfg_load_yaml(path, &e, err, size);
  for (int p = 0; rc == 0 && p < st->space.n; p++) {
    int k = cli_cfg_find(&e, st->space.p[p].key);
    if (k < 0 || cli_search_value_parse(&st->space, p, e.v[k].value,
                                        &st->trials[i].x[p])) {
      snprintf(err, size,
               "%s: error: no value of '%s' in the search space (was "
               "config.yaml edited?)",
               path, st->space.p[p].key);
      rc = -1;
    }
  }
  cli_cfg_entries_free(&e);
  st->trials[i].sampled = rc == 0;
  return rc;
}

/* A sampled trial that ended before training (failed.txt). */
static int read_failed(cli_study *st, int i) {
  char path[CLI_PATH_MAX];
  FILE *f;
  if (trial_file(st, i, "failed.txt", path, sizeof path) ||
      (f = fopen(path, "r")) == NULL)
    return 0;
  cli_trial *t = &st->trials[i];
  size_t n = fread(t->error, 1, sizeof t->error - 1, f);
  fclose(f);
  t->error[n] = '\0';
  t->error[strcspn(t->error, "\n")] = '\0';
  t->status = CLI_TRIAL_FAILED;
  return 1;
}

int cli_study_refresh(cli_study *st, int i, char *err, size_t size) {
  cli_trial *t = &st->trials[i];
  if (CLI_TRIAL_DONE(t))
    return 0;
  if (!t->sampled && read_params(st, i, err, size))
    return -1;
  if (t->sampled && !read_failed(st, i))
    cli_study_collect(st, i);
  return CLI_TRIAL_DONE(t);
}

int cli_study_load_trials(cli_study *st, char *err, size_t size) {
  for (int i = 0; i < st->n_trials; i++) {
    if (read_params(st, i, err, size))
      return -1;
    if (st->trials[i].sampled && !read_failed(st, i))
      cli_study_collect(st, i);
  }
  return 0;
}

int cli_study_trial_experiment(const cli_study *st, int i, cli_experiment *x,
                               char *err, size_t size) {
  cli_cfg_entries e = {0};
  int rc = 0;
  for (int k = 0; rc == 0 && k < st->entries.n; k++)
    if (!cli_cfg_key_in(st->entries.v[k].key, "search"))
      rc = cli_cfg_put(&e, &st->entries.v[k], NULL, NULL);
  for (int p = 0; rc == 0 && p < st->space.n; p++) {
    char text[CRL_STRING_MAX];
    rc = cli_search_value_text(&st->space, p, st->trials[i].x[p], text,
                               sizeof text) ||
         cli_cfg_put(&e, &st->entries.v[st->space.p[p].entry],
                     st->space.p[p].key, text);
  }
  if (rc) {
    snprintf(err, size, "out of memory");
  } else if (cli_experiment_from_entries(&e, st->base.points[0].source, x, err,
                                         size)) {
    rc = -1;
  }
  cli_cfg_entries_free(&e);
  return rc;
}

/* ---- sampling and pruning
 * ------------------------------------------------------ */

/* The trials trial i may learn from: those W or more places before it. */
static int known_before(const cli_study *st, int i) {
  int n = i - cli_study_lag(st) + 1;
  return n < 0 ? 0 : n;
}

int cli_study_sample(cli_study *st, int i, char *err, size_t size) {
  int known = known_before(st, i), n = 0;
  cli_sampler_obs *obs = calloc((size_t)known + 1, sizeof *obs);
  if (obs == NULL) {
    snprintf(err, size, "out of memory");
    return -1;
  }
  for (int j = 0; j < known; j++) {
    const cli_trial *t = &st->trials[j];
    if (t->status == CLI_TRIAL_COMPLETE || t->status == CLI_TRIAL_PRUNED)
      obs[n++] = (cli_sampler_obs){
          .x = t->x,
          .pruned = t->status == CLI_TRIAL_PRUNED,
          .progress = (double)t->steps,
          .value = t->status == CLI_TRIAL_PRUNED ? t->last_eval : t->objective};
  }
  int rc = cli_sampler_suggest(&st->space, st->sampler, st->tune_seed, i, obs,
                               n, st->trials[i].x);
  free(obs);
  if (rc == 0 && write_params(st, i) != 0) {
    snprintf(err, size, "cannot write trial %d's params.yaml in %s: %s", i,
             st->dir, strerror(errno));
    rc = -1;
  } else if (rc) {
    snprintf(err, size, "out of memory");
  }
  st->trials[i].sampled = rc == 0;
  return rc;
}

double *cli_study_thresholds(const cli_study *st, int i) {
  if (st->pruner == CLI_PRUNER_NONE)
    return NULL;
  size_t marks = (size_t)st->n_seeds * (size_t)st->n_marks;
  double *th = malloc(marks * sizeof *th);
  double *values = malloc(((size_t)st->n_trials + 1) * sizeof *values);
  if (th == NULL || values == NULL) {
    free(th);
    free(values);
    return NULL;
  }
  int known = known_before(st, i), finished = 0;
  for (int j = 0; j < known; j++)
    finished += st->trials[j].status == CLI_TRIAL_COMPLETE;
  long warmup = st->base.points[0].keys.n_timesteps / 3;
  for (size_t m = 0; m < marks; m++) {
    long step = (long)(m % (size_t)st->n_marks) * st->eval_every;
    int n = 0;
    for (int j = 0;
         finished >= CLI_MEDIAN_STARTUP && step >= warmup && j < known; j++)
      if (st->trials[j].status == CLI_TRIAL_COMPLETE &&
          !isnan(st->trials[j].curve[m]))
        values[n++] = st->trials[j].curve[m];
    th[m] = cli_median(values, n);
  }
  free(values);
  return th;
}

/* ---- outcomes
 * ---------------------------------------------------------------- */

/* Seed s's evaluations into the trial's curve, by multiple of eval.every;
 * the last evaluation read into *last. */
static void read_curve(cli_study *st, int i, int s, const char *seed_dir,
                       double *last) {
  char path[CLI_PATH_MAX], err[256];
  double *xs = NULL, *ys = NULL;
  int n = 0;
  cli_trial *t = &st->trials[i];
  const long budget = st->base.points[0].keys.n_timesteps;
  if (cli_path_join(path, sizeof path, seed_dir, "progress.csv") == 0 &&
      cli_progress_read_pairs(path, "timesteps", "eval_return_mean", &xs, &ys,
                              &n, err, sizeof err) == 0)
    for (int k = 0; k < n; k++) {
      long m = st->eval_every > 0 ? (long)xs[k] / st->eval_every : 0;
      /* The one at the end of the budget is never compared (and may share
       * its multiple with the evaluation before it). */
      if (m >= 0 && m < st->n_marks && (long)xs[k] < budget)
        t->curve[(size_t)s * (size_t)st->n_marks + (size_t)m] = ys[k];
      *last = ys[k];
    }
  free(xs);
  free(ys);
}

/* Trial i's seeds' results, in seed order, into r [n_seeds]: how many
 * ended (the first one pruned or failed ends the trial); -1 while one
 * that should have ended has not (pending). dirs receive their
 * directories. */
static int read_results(cli_study *st, int i, cli_seed_result *r,
                        char (*dirs)[CLI_PATH_MAX]) {
  const cli_run_config *cfg = &st->base.points[0];
  for (int s = 0; s < st->n_seeds; s++) {
    char name[32];
    snprintf(name, sizeof name, "seed_%d", cli_config_seed_at(cfg, s));
    if (trial_file(st, i, name, dirs[s], CLI_PATH_MAX) ||
        cli_result_read(dirs[s], &r[s]) || r[s].status == CLI_RUN_INTERRUPTED ||
        r[s].status == CLI_RUN_NOT_RUN)
      return -1;
    if (r[s].status == CLI_RUN_FAILED || r[s].pruned_at > 0)
      return s + 1;
  }
  return st->n_seeds;
}

void cli_study_collect(cli_study *st, int i) {
  cli_trial *t = &st->trials[i];
  t->status = CLI_TRIAL_PENDING;
  cli_seed_result *r = calloc((size_t)st->n_seeds, sizeof *r);
  char(*dirs)[CLI_PATH_MAX] = calloc((size_t)st->n_seeds, sizeof *dirs);
  int n = r && dirs ? read_results(st, i, r, dirs) : -1;
  if (n > 0) { /* ended: its figures, and its curves read once */
    const cli_seed_result *end = &r[n - 1];
    t->steps = 0;
    t->seconds = 0.0;
    double last = NAN;
    for (int s = 0; s < n; s++) {
      t->steps += r[s].steps;
      t->seconds += r[s].wall_seconds;
      if (r[s].status == CLI_RUN_OK)
        read_curve(st, i, s, dirs[s], &last);
    }
    if (end->status == CLI_RUN_FAILED) {
      snprintf(t->error, sizeof t->error, "seed %d: %s", end->seed, end->error);
      t->status = CLI_TRIAL_FAILED;
    } else if (end->pruned_at > 0) {
      t->status = CLI_TRIAL_PRUNED;
      t->pruned_at = end->pruned_at;
      t->pruned_seed = end->seed;
      t->last_eval = last;
    } else {
      cli_results_mean_std(r, n, &t->objective, &t->objective_std);
      t->status = CLI_TRIAL_COMPLETE;
    }
  }
  free(r);
  free(dirs);
}

void cli_study_fail(cli_study *st, int i, const char *why) {
  cli_trial *t = &st->trials[i];
  t->status = CLI_TRIAL_FAILED;
  t->steps = 0; /* as read back from failed.txt (resume, other ranks) */
  t->seconds = 0.0;
  snprintf(t->error, sizeof t->error, "%s", why);
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (trial_file(st, i, "failed.txt", path, sizeof path) == 0 &&
      cli_atomic_open(&af, path) == 0) {
    fprintf(af.f, "%s\n", why);
    cli_atomic_commit(&af);
  }
}

int cli_study_best(const cli_study *st) {
  int best = -1;
  for (int i = 0; i < st->n_trials; i++)
    if (st->trials[i].status == CLI_TRIAL_COMPLETE &&
        (best < 0 || st->trials[i].objective > st->trials[best].objective))
      best = i;
  return best;
}

void cli_study_free(cli_study *st) {
  for (int i = 0; st->trials && i < st->n_trials; i++)
    free(st->trials[i].curve);
  free(st->trials);
  cli_search_free(&st->space);
  cli_experiment_free(&st->base);
  cli_cfg_entries_free(&st->entries);
  st->trials = NULL;
}
