/* Learning-curve data: the rows of each seed's progress.csv that have both
 * chosen columns (by default the evaluation rows), optionally smoothed,
 * aligned by index (the seeds of one run log at the same points) and
 * reduced to mean and spread over seeds; the run's label and reference
 * line come from its config.yaml. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/run_config.h"
#include "plot/plot.h"
#include "run/fsutil.h"

/* The (steps, eval return) points of one seed. */
typedef struct series {
  int n, cap;
  double *steps;
  double *value;
} series;

static void series_free(series *s) {
  free(s->steps);
  free(s->value);
}

static int series_push(series *s, double steps, double value) {
  if (s->n == s->cap) {
    int cap = s->cap ? 2 * s->cap : 64;
    double *a = realloc(s->steps, (size_t)cap * sizeof *a);
    if (a == NULL)
      return -1;
    s->steps = a;
    double *b = realloc(s->value, (size_t)cap * sizeof *b);
    if (b == NULL)
      return -1;
    s->value = b;
    s->cap = cap;
  }
  s->steps[s->n] = steps;
  s->value[s->n] = value;
  s->n++;
  return 0;
}

/* Field number `index` of a comma-separated line, in place. */
static char *csv_field(char *line, int index) {
  for (int i = 0; i < index; i++) {
    line = strchr(line, ',');
    if (line == NULL)
      return NULL;
    line++;
  }
  return line;
}

static int column_index(char *header, const char *name) {
  header[strcspn(header, "\r\n")] = '\0';
  int i = 0;
  for (char *tok = header; tok; i++) {
    char *comma = strchr(tok, ',');
    size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
    if (len == strlen(name) && strncmp(tok, name, len) == 0)
      return i;
    tok = comma ? comma + 1 : NULL;
  }
  return -1;
}

/* Parse a field that ends at ',' or end of line; 0 when it holds a number. */
static int field_number(const char *field, double *out) {
  if (field == NULL || *field == ',' || *field == '\n' || *field == '\0' ||
      *field == '\r')
    return -1;
  char *end;
  *out = strtod(field, &end);
  return end == field ? -1 : 0;
}

cli_plot_options cli_plot_options_default(void) {
  return (cli_plot_options){.x = "timesteps",
                            .y = "eval_return_mean",
                            .smooth = 1,
                            .band = CLI_BAND_STD,
                            .title = NULL,
                            .key = "below"};
}

static int read_series(const char *path, const cli_plot_options *o, series *s,
                       char *err, size_t size) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, size, "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  char line[8192];
  int steps_col = -1, eval_col = -1, rc = 0;
  if (fgets(line, sizeof line, f) != NULL) {
    char copy[sizeof line];
    memcpy(copy, line, sizeof line);
    steps_col = column_index(line, o->x);
    eval_col = column_index(copy, o->y);
  }
  if (steps_col < 0 || eval_col < 0) {
    snprintf(err, size, "%s: no %s and %s columns", path, o->x, o->y);
    fclose(f);
    return -1;
  }
  while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
    double t, v;
    if (field_number(csv_field(line, steps_col), &t) == 0 &&
        field_number(csv_field(line, eval_col), &v) == 0)
      rc = series_push(s, t, v);
  }
  fclose(f);
  if (rc)
    snprintf(err, size, "out of memory reading %s", path);
  return rc;
}

int cli_progress_read_pairs(const char *path, const char *x, const char *y,
                            double **xs, double **ys, int *n, char *err,
                            size_t size) {
  cli_plot_options o = cli_plot_options_default();
  o.x = x;
  o.y = y;
  series s = {0};
  if (read_series(path, &o, &s, err, size)) {
    series_free(&s);
    return -1;
  }
  *xs = s.steps;
  *ys = s.value;
  *n = s.n;
  return 0;
}

/* ---- seed directories ---------------------------------------------------- */

static int is_seed_dir_name(const char *name, long *number) {
  if (strncmp(name, "seed_", 5) != 0 || name[5] == '\0')
    return 0;
  char *end;
  *number = strtol(name + 5, &end, 10);
  return *end == '\0';
}

static int compare_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

/* Seed numbers under dir that have a progress.csv, sorted. */
static int list_seeds(const char *dir, long *seeds, int max) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < max) {
    long number;
    char path[CLI_PATH_MAX];
    if (is_seed_dir_name(e->d_name, &number) &&
        snprintf(path, sizeof path, "%s/%s/progress.csv", dir, e->d_name) <
            (int)sizeof path &&
        access(path, R_OK) == 0)
      seeds[n++] = number;
  }
  closedir(d);
  qsort(seeds, (size_t)n, sizeof *seeds, compare_long);
  return n;
}

/* ---- reduce seeds to one curve ----------------------------------------- */

static void label_from_dir(const char *dir, char *buf, size_t size) {
  char copy[CLI_PATH_MAX];
  snprintf(copy, sizeof copy, "%s", dir);
  size_t len = strlen(copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  const char *slash = strrchr(copy, '/');
  snprintf(buf, size, "%s", slash && slash[1] ? slash + 1 : copy);
}

/* Trailing moving average over w points (fewer at the start), in place. */
static void smooth_series(series *s, int w) {
  if (w <= 1 || s->n == 0)
    return;
  double sum = 0.0, *out = malloc((size_t)s->n * sizeof *out);
  if (out == NULL)
    return; /* unsmoothed rather than nothing */
  for (int k = 0; k < s->n; k++) {
    sum += s->value[k];
    if (k >= w)
      sum -= s->value[k - w];
    out[k] = sum / (k + 1 < w ? k + 1 : w);
  }
  memcpy(s->value, out, (size_t)s->n * sizeof *out);
  free(out);
}

static int reduce(const series *s, int n, cli_band band, cli_curve *c) {
  int points = s[0].n;
  for (int i = 1; i < n; i++)
    if (s[i].n < points)
      points = s[i].n;
  c->steps = malloc((size_t)(points ? points : 1) * sizeof *c->steps);
  c->mean = malloc((size_t)(points ? points : 1) * sizeof *c->mean);
  c->std = malloc((size_t)(points ? points : 1) * sizeof *c->std);
  if (c->steps == NULL || c->mean == NULL || c->std == NULL)
    return -1;
  for (int k = 0; k < points; k++) {
    double t = 0.0, m = 0.0, var = 0.0;
    for (int i = 0; i < n; i++) {
      t += s[i].steps[k];
      m += s[i].value[k];
    }
    m /= n;
    for (int i = 0; i < n; i++)
      var += (s[i].value[k] - m) * (s[i].value[k] - m);
    c->steps[k] = t / n;
    c->mean[k] = m;
    c->std[k] = sqrt(var / n);
    if (band == CLI_BAND_SEM) /* standard error of the mean over seeds */
      c->std[k] = n > 1 ? sqrt(var / (n - 1) / n) : 0.0;
    else if (band == CLI_BAND_NONE)
      c->std[k] = 0.0;
  }
  c->n_points = points;
  c->n_seeds = n;
  return 0;
}

#define MAX_SEEDS 1024 /* seed directories read per run */

/* dir's config.yaml, or for a seed_<k> directory its run's (one level
 * up). 0 when one was read into e. */
static int load_run_config(const char *dir, int seed_dir, cli_cfg_entries *e) {
  char path[CLI_PATH_MAX], err[CLI_ERR_SIZE];
  if (cli_path_join(path, sizeof path, dir,
                    seed_dir ? "../config.yaml" : "config.yaml") ||
      access(path, R_OK) != 0)
    return -1;
  return cli_cfg_load_yaml(path, e, err, sizeof err);
}

static const char *entry(const cli_cfg_entries *e, const char *key) {
  int i = cli_cfg_find(e, key);
  return i >= 0 && e->v[i].value[0] ? e->v[i].value : NULL;
}

/* The legend and reference line from the run's config.yaml, when there is
 * one: its `name`, else "ALGO on ENV" (directory names like pendulum_ppo
 * say less, and a seed directory's is only seed_<k>). */
static void read_run_labels(const char *dir, int seed_dir, cli_curve *c) {
  c->reference = NAN;
  c->reference_label[0] = '\0';
  cli_cfg_entries e = {0};
  if (load_run_config(dir, seed_dir, &e) != 0) {
    cli_cfg_entries_free(&e);
    return;
  }
  const char *name = entry(&e, "name"), *algo = entry(&e, "algo"),
             *env = entry(&e, "env");
  if (name)
    snprintf(c->label, sizeof c->label, "%s", name);
  else if (algo && env)
    snprintf(c->label, sizeof c->label, "%s on %s", algo, env);
  const char *ref = entry(&e, "reference.value"), *ref_label;
  char *end;
  double v = ref ? strtod(ref, &end) : NAN;
  if (ref && end != ref && isfinite(v)) {
    c->reference = v;
    if ((ref_label = entry(&e, "reference.label")) != NULL)
      snprintf(c->reference_label, sizeof c->reference_label, "%s", ref_label);
  }
  cli_cfg_entries_free(&e);
}

/* The progress.csv files of a run: one per seed_<k>, or the directory's
 * own (a single seed directory given directly). */
static int seed_paths(const char *dir, char (*paths)[CLI_PATH_MAX], int max,
                      long *first_seed) {
  long seeds[MAX_SEEDS];
  int n = list_seeds(dir, seeds, max < MAX_SEEDS ? max : MAX_SEEDS);
  if (n < 0)
    return -1;
  for (int i = 0; i < n; i++)
    snprintf(paths[i], CLI_PATH_MAX, "%s/seed_%ld/progress.csv", dir, seeds[i]);
  *first_seed = n > 0 ? seeds[0] : -1;
  if (n == 0 &&
      cli_path_join(paths[0], CLI_PATH_MAX, dir, "progress.csv") == 0 &&
      access(paths[0], R_OK) == 0)
    n = 1;
  return n;
}

int cli_curve_probe(const char *dir) {
  char(*paths)[CLI_PATH_MAX] = malloc(MAX_SEEDS * sizeof *paths);
  long first;
  int n = paths ? seed_paths(dir, paths, MAX_SEEDS, &first) : -1;
  free(paths);
  return n > 0 ? 0 : -1;
}

int cli_curve_read(const char *dir, cli_curve *curve, char *err,
                   size_t err_size) {
  cli_plot_options o = cli_plot_options_default();
  return cli_curve_read_opts(dir, &o, curve, err, err_size);
}

int cli_curve_read_opts(const char *dir, const cli_plot_options *opts,
                        cli_curve *curve, char *err, size_t err_size) {
  memset(curve, 0, sizeof *curve);
  label_from_dir(dir, curve->dir_name, sizeof curve->dir_name);
  snprintf(curve->label, sizeof curve->label, "%s", curve->dir_name);
  /* A seed_<k> directory given directly: its own progress.csv. */
  long own_seed = -1;
  int seed_dir = is_seed_dir_name(curve->dir_name, &own_seed);
  if (!seed_dir)
    own_seed = -1;
  read_run_labels(dir, seed_dir, curve);
  char(*paths)[CLI_PATH_MAX] = malloc(MAX_SEEDS * sizeof *paths);
  if (paths == NULL) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  long first_seed;
  int n = seed_paths(dir, paths, MAX_SEEDS, &first_seed);
  curve->seed = n != 1 ? -1 : first_seed >= 0 ? first_seed : own_seed;
  if (n <= 0) {
    snprintf(err, err_size, "%s: %s", dir,
             n < 0 ? strerror(errno)
                   : "no seed_<k>/progress.csv here (is it a run directory "
                     "written by `crl train`?)");
    free(paths);
    return -1;
  }
  series *s = calloc((size_t)n, sizeof *s);
  int rc = s ? 0 : -1;
  for (int i = 0; rc == 0 && i < n; i++) {
    rc = read_series(paths[i], opts, &s[i], err, err_size);
    if (rc == 0)
      smooth_series(&s[i], opts->smooth);
  }
  free(paths);
  if (rc == 0 && reduce(s, n, opts->band, curve)) {
    snprintf(err, err_size, "out of memory");
    rc = -1;
  }
  if (rc == 0 && curve->n_points == 0) {
    snprintf(err, err_size, "%s: no rows with %s in progress.csv", dir,
             strcmp(opts->y, "eval_return_mean") == 0 ? "an evaluation"
                                                      : opts->y);
    rc = -1;
  }
  for (int i = 0; s && i < n; i++)
    series_free(&s[i]);
  free(s);
  if (rc)
    cli_curve_free(curve);
  return rc;
}

void cli_curve_free(cli_curve *curve) {
  free(curve->steps);
  free(curve->mean);
  free(curve->std);
  curve->steps = curve->mean = curve->std = NULL;
  curve->n_points = 0;
}
