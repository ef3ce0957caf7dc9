/* crl train and crl check: read and validate an experiment, then (train)
 * run every seed, writing config.yaml, seed_<k>/progress.csv,
 * summary.json and curve.png into the run directory. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/commands.h"
#include "tools/fsutil.h"
#include "tools/plot.h"
#include "tools/runner.h"

#define MAX_SETS 256

typedef struct train_args {
  const char *config;
  const char *out_dir;
  int has_seed, seed;
  const char *sets[MAX_SETS];
  int n_sets;
  int force, quiet, no_plot;
} train_args;

/* ---- arguments ---------------------------------------------------------- */

static int usage_error(const char *command, const char *fmt, const char *arg) {
  fprintf(stderr, "crl %s: ", command);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(run `crl help %s` for usage)\n", command);
  return CRL_EXIT_USAGE;
}

static int parse_seed(const char *text, int *seed) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < 0 || v > INT_MAX)
    return -1;
  *seed = (int)v;
  return 0;
}

/* The value of an option: "--set k=v" or "--set=k=v". */
static const char *option_value(int argc, char **argv, int *i,
                                const char *name) {
  size_t n = strlen(name);
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (*i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

static int is_option(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_train_args(const char *command, int argc, char **argv,
                            int allow_output, train_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *value;
    if (allow_output && (is_option(arg, "-o") || is_option(arg, "--output"))) {
      if ((a->out_dir = option_value(argc, argv, &i, arg[1] == 'o' ? "-o"
                                                    : "--output")) == NULL)
        return usage_error(command, "%s needs a directory", arg);
    } else if (is_option(arg, "--seed")) {
      value = option_value(argc, argv, &i, "--seed");
      if (value == NULL || parse_seed(value, &a->seed))
        return usage_error(command, "--seed needs a non-negative integer%s",
                           "");
      a->has_seed = 1;
    } else if (is_option(arg, "--set")) {
      value = option_value(argc, argv, &i, "--set");
      if (value == NULL)
        return usage_error(command, "--set needs KEY=VALUE%s", "");
      if (a->n_sets == MAX_SETS)
        return usage_error(command, "too many --set options%s", "");
      a->sets[a->n_sets++] = value;
    } else if (allow_output && strcmp(arg, "--force") == 0) {
      a->force = 1;
    } else if (allow_output && strcmp(arg, "--quiet") == 0) {
      a->quiet = 1;
    } else if (allow_output && strcmp(arg, "--no-plot") == 0) {
      a->no_plot = 1;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return usage_error(command, "unknown option '%s'", arg);
    } else if (a->config == NULL) {
      a->config = arg;
    } else {
      return usage_error(command, "unexpected argument '%s'", arg);
    }
  }
  if (a->config == NULL)
    return usage_error(command, "missing CONFIG.yaml%s", "");
  return CRL_EXIT_OK;
}

/* ---- run directory ------------------------------------------------------ */

void crl_default_run_dir(const char *config_path, char *buf, size_t size) {
  char copy[CRL_PATH_MAX];
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

/* With --force, remove what an earlier run wrote here (and only that), so
 * that a stale seed directory does not end up in the new curve. */
static void remove_previous_run(const char *dir) {
  static const char *const files[] = {"config.yaml", "summary.json",
                                      "curve.png"};
  char path[CRL_PATH_MAX];
  for (size_t i = 0; i < sizeof files / sizeof *files; i++)
    if (crl_path_join(path, sizeof path, dir, files[i]) == 0)
      remove(path);
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "seed_", 5) != 0)
      continue;
    if (snprintf(path, sizeof path, "%s/%s/progress.csv", dir, e->d_name) <
        (int)sizeof path)
      remove(path);
    if (crl_path_join(path, sizeof path, dir, e->d_name) == 0)
      rmdir(path); /* only if now empty */
  }
  closedir(d);
}

static int prepare_run_dir(const char *dir, int force) {
  int state = crl_dir_is_free(dir);
  if (state < 0) {
    fprintf(stderr, "crl train: '%s' exists and is not a directory\n", dir);
    return CRL_EXIT_USAGE;
  }
  if (state == 0 && !force) {
    fprintf(stderr,
            "crl train: output directory '%s' already exists and is not "
            "empty; use --force to overwrite it or -o DIR to choose another\n",
            dir);
    return CRL_EXIT_USAGE;
  }
  if (state == 0)
    remove_previous_run(dir);
  if (crl_mkdir_p(dir) != 0) {
    fprintf(stderr, "crl train: cannot create '%s': %s\n", dir,
            strerror(errno));
    return CRL_EXIT_FAILURE;
  }
  return CRL_EXIT_OK;
}

static int write_resolved_config(const crl_run_config *cfg, const char *dir) {
  char path[CRL_PATH_MAX];
  crl_atomic_file af;
  if (crl_path_join(path, sizeof path, dir, "config.yaml") == 0 &&
      crl_atomic_open(&af, path) == 0) {
    int rc = crl_config_write_yaml(cfg, af.f);
    if (rc == 0 && crl_atomic_commit(&af) == 0)
      return 0;
    if (rc)
      crl_atomic_abort(&af);
  }
  fprintf(stderr, "crl train: cannot write %s/config.yaml: %s\n", dir,
          strerror(errno));
  return -1;
}

/* ---- results ------------------------------------------------------------ */

static void print_table(const crl_seed_result *r, int n) {
  printf("\n%6s  %24s  %10s  %10s\n", "seed", "final eval return",
         "wall time", "steps/s");
  for (int i = 0; i < n; i++) {
    char when[32];
    crl_format_duration(r[i].wall_seconds, when, sizeof when);
    printf("%6d  %12.1f ± %-9.1f  %10s  %10.0f\n", r[i].seed,
           r[i].final_eval_mean, r[i].final_eval_std, when,
           r[i].steps_per_second);
  }
}

static void print_final(const crl_seed_result *r, int n) {
  double mean, std;
  crl_results_mean_std(r, n, &mean, &std);
  printf("final eval return: %.1f ± %.1f over %d seed%s\n", mean, std, n,
         n == 1 ? "" : "s");
}

static void draw_curve(const crl_run_config *cfg, const char *dir,
                       int quiet) {
  char out[CRL_PATH_MAX], err[CRL_ERR_SIZE];
  const char *dirs[1] = {dir};
  if (crl_path_join(out, sizeof out, dir, "curve.png"))
    return;
  char title[2 * CRL_STRING_MAX + 8];
  snprintf(title, sizeof title, "%s on %s", cfg->keys.algo, cfg->keys.env);
  crl_plot_options o = crl_plot_options_default();
  o.title = title;
  if (cfg->keys.n_episodes > 0 && cfg->keys.n_timesteps == INT_MAX) {
    /* An episode budget: the training return of each episode. */
    o.x = "episodes";
    o.y = "episode_return";
    o.band = CRL_BAND_SEM;
    o.key = "bottom right";
  }
  int rc = crl_plot_runs_opts(dirs, 1, out, &o, err, sizeof err);
  if (rc == CRL_PLOT_NO_GNUPLOT && !quiet)
    fprintf(stderr,
            "note: no learning-curve picture: gnuplot is not installed (%s, "
            "then run `crl plot %s -o %s`)\n",
            CRL_GNUPLOT_HINT, dir, out);
  else if (rc != 0 && rc != CRL_PLOT_NO_GNUPLOT)
    fprintf(stderr, "warning: no learning-curve picture: %s\n", err);
  else if (!quiet)
    printf("learning curve: %s\n", out);
}

/* ---- the commands ------------------------------------------------------- */

static int load_config(const train_args *a, crl_run_config *cfg) {
  char err[CRL_ERR_SIZE];
  if (crl_config_load(a->config, a->sets, a->n_sets, cfg, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return CRL_EXIT_USAGE;
  }
  if (a->has_seed)
    crl_config_set_single_seed(cfg, a->seed);
  return CRL_EXIT_OK;
}

static int run_seeds(const crl_run_config *cfg, const char *dir, int quiet,
                     crl_seed_result *results) {
  const int n = crl_config_seed_count(cfg);
  const int by_episodes = cfg->keys.n_timesteps == INT_MAX &&
                          cfg->keys.n_episodes > 0;
  crl_progress progress;
  crl_progress_init(&progress, crl_progress_pick_mode(stderr, quiet), stderr,
                    n, by_episodes ? cfg->keys.n_episodes
                                   : cfg->keys.n_timesteps);
  if (by_episodes)
    progress.unit = "episodes";
  for (int i = 0; i < n; i++) {
    char seed_dir[CRL_PATH_MAX], err[CRL_ERR_SIZE];
    const int seed = crl_config_seed_at(cfg, i);
    int len = snprintf(seed_dir, sizeof seed_dir, "%s/seed_%d", dir, seed);
    crl_progress_seed_begin(&progress, i, seed);
    if (len < 0 || (size_t)len >= sizeof seed_dir) {
      fprintf(stderr, "crl train: error: '%s' is too long a path\n", dir);
      return CRL_EXIT_FAILURE;
    }
    if (crl_run_seed(cfg, seed, seed_dir, &progress, &results[i], err,
                     sizeof err)) {
      crl_progress_seed_end(&progress, NAN, NAN, 0, 0);
      fprintf(stderr, "crl train: error: %s\n", err);
      return CRL_EXIT_FAILURE;
    }
    crl_progress_seed_end(&progress, results[i].final_eval_mean,
                          results[i].final_eval_std, results[i].wall_seconds,
                          results[i].steps_per_second);
  }
  return CRL_EXIT_OK;
}

static int train(const train_args *a, const crl_run_config *cfg) {
  char dir[CRL_PATH_MAX], path[CRL_PATH_MAX], err[CRL_ERR_SIZE];
  if (a->out_dir)
    snprintf(dir, sizeof dir, "%s", a->out_dir);
  else
    crl_default_run_dir(a->config, dir, sizeof dir);
  int rc = prepare_run_dir(dir, a->force);
  if (rc || write_resolved_config(cfg, dir))
    return rc ? rc : CRL_EXIT_FAILURE;
  int n = crl_config_seed_count(cfg);
  crl_seed_result *results = calloc((size_t)n, sizeof *results);
  if (results == NULL) {
    fprintf(stderr, "crl train: error: out of memory\n");
    return CRL_EXIT_FAILURE;
  }
  rc = run_seeds(cfg, dir, a->quiet, results);
  if (rc == 0 && (crl_path_join(path, sizeof path, dir, "summary.json") ||
                  crl_write_summary(path, cfg, results, n, err, sizeof err))) {
    fprintf(stderr, "crl train: error: %s\n", err);
    rc = CRL_EXIT_FAILURE;
  }
  if (rc) {
    free(results);
    return rc;
  }
  if (!a->quiet) {
    print_table(results, n);
    printf("results: %s/ (config.yaml, summary.json, seed_<k>/progress.csv)\n",
           dir);
  }
  print_final(results, n);
  free(results);
  fflush(stdout);
  if (!a->no_plot)
    draw_curve(cfg, dir, a->quiet);
  return CRL_EXIT_OK;
}

int crl_cmd_train(int argc, char **argv) {
  train_args a;
  int rc = parse_train_args("train", argc, argv, 1, &a);
  if (rc)
    return rc;
  crl_run_config cfg;
  rc = load_config(&a, &cfg);
  if (rc)
    return rc;
  rc = train(&a, &cfg);
  crl_config_free(&cfg);
  return rc;
}

int crl_cmd_check(int argc, char **argv) {
  train_args a;
  int rc = parse_train_args("check", argc, argv, 0, &a);
  if (rc)
    return rc;
  crl_run_config cfg;
  rc = load_config(&a, &cfg);
  if (rc)
    return rc;
  rc = crl_config_write_yaml(&cfg, stdout) ? CRL_EXIT_FAILURE : CRL_EXIT_OK;
  crl_config_free(&cfg);
  return rc;
}
