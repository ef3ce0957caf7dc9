/* crl plot: learning curves drawn by gnuplot through a pipe, the data
 * inline as datablocks, into a temporary file renamed into place. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot/plot.h"
#include "run/fsutil.h"

static const char *const colors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                     "#ff7f0e", "#9467bd", "#8c564b",
                                     "#e377c2", "#17becf"};
#define N_COLORS (int)(sizeof colors / sizeof colors[0])

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

void cli_gnuplot_quoted(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputc('\'', f);
    if (*s != '\n')
      fputc(*s, f);
  }
  fputc('\'', f);
}

void cli_gnuplot_terminal(FILE *g, const char *out, const char *tmp, int width,
                          int height) {
  if (ends_with(out, ".svg"))
    fprintf(g,
            "set terminal svg size %d,%d dynamic noenhanced "
            "background rgb 'white'\n",
            width, height);
  else
    fprintf(g,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size %d,%d noenhanced font ',11'\n"
            "} else {\n"
            "  set terminal png size %d,%d noenhanced\n"
            "}\n",
            width, height, width, height);
  fputs("set output ", g);
  cli_gnuplot_quoted(g, tmp);
  fputc('\n', g);
}

static void write_terminal(FILE *g, const char *out, const char *tmp) {
  cli_gnuplot_terminal(g, out, tmp, 960, 600);
}

/* Axis names for the columns people plot; other columns by name. */
static const char *axis_name(const char *column) {
  if (strcmp(column, "timesteps") == 0)
    return "environment steps";
  if (strcmp(column, "episodes") == 0)
    return "episodes";
  if (strcmp(column, "wall_seconds") == 0)
    return "wall-clock seconds";
  if (strcmp(column, "eval_return_mean") == 0)
    return "evaluation return";
  if (strcmp(column, "episode_return") == 0)
    return "return per training episode";
  if (strcmp(column, "episode_return_mean") == 0)
    return "training return (last 100 episodes)";
  return column;
}

/* Legend positions that gnuplot puts outside the graph. */
static int key_is_outside(const char *key) {
  static const char *const words[] = {
      "below", "above", "outside", "bmargin", "tmargin", "lmargin", "rmargin"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strstr(key, words[i]) != NULL)
      return 1;
  return 0;
}

/* Does any curve average over more than one seed? */
static int any_spread(const cli_curve *c, int n) {
  for (int i = 0; i < n; i++)
    if (c[i].n_seeds > 1)
      return 1;
  return 0;
}

static void write_setup(FILE *g, const cli_curve *curves, int n,
                        const cli_plot_options *o) {
  static const char *const spread[] = {
      "mean +/- std over seeds", "mean +/- s.e. over seeds", "mean over seeds"};
  if (o->title != NULL) {
    fputs("set title ", g);
    cli_gnuplot_quoted(g, o->title);
    fputc('\n', g);
  }
  /* Single seeds are drawn as they are: no mean, no band to name. */
  char ylabel[256];
  const char *how = any_spread(curves, n) ? spread[o->band] : "";
  const char *smoothed = o->smooth > 1 ? "smoothed" : "";
  if (how[0] || smoothed[0])
    snprintf(ylabel, sizeof ylabel, "%s (%s%s%s)", axis_name(o->y), how,
             how[0] && smoothed[0] ? ", " : "", smoothed);
  else
    snprintf(ylabel, sizeof ylabel, "%s", axis_name(o->y));
  fputs("set xlabel ", g);
  cli_gnuplot_quoted(g, axis_name(o->x));
  fputs("\nset ylabel ", g);
  cli_gnuplot_quoted(g, ylabel);
  fputs("\nset key ", g);
  fputs(o->key, g); /* checked by the caller: words only */
  /* Inside the graph the legend hides the grid behind it; outside
   * (below, the default) an opaque box would hide the axis label. */
  fputs(key_is_outside(o->key) ? " Left reverse" : " opaque", g);
  fputs("\nset grid\n"
        "set xrange [0:*]\n"
        "set offsets 0, 0, graph 0.05, graph 0.05\n"
        "set style fill transparent solid 0.2 noborder\n",
        g);
  /* 10k, 1M for counts; plain numbers for seconds. */
  fputs(strcmp(o->x, "wall_seconds") == 0 ? "set format x '%g'\n"
                                          : "set format x '%.0s%c'\n",
        g);
}

static void write_data(FILE *g, const cli_curve *c, int index) {
  fprintf(g, "$run%d << EOD\n", index);
  for (int k = 0; k < c->n_points; k++)
    fprintf(g, "%.10g %.10g %.10g\n", c->steps[k], c->mean[k], c->std[k]);
  fputs("EOD\n", g);
}

/* Was curve i's reference line already drawn for an earlier curve? */
static int reference_seen(const cli_curve *c, int i) {
  for (int j = 0; j < i; j++)
    if (c[j].reference == c[i].reference &&
        strcmp(c[j].reference_label, c[i].reference_label) == 0)
      return 1;
  return 0;
}

/* Dashed horizontal lines at the runs' reference values, each once. */
static void write_references(FILE *g, const cli_curve *c, int n) {
  for (int i = 0; i < n; i++) {
    if (isnan(c[i].reference) || reference_seen(c, i))
      continue;
    char label[320];
    snprintf(label, sizeof label, "%s = %.4g",
             c[i].reference_label[0] ? c[i].reference_label : "reference",
             c[i].reference);
    fprintf(g,
            ", \\\n     %.17g with lines dt 2 lw 1.5 lc rgb 'black' "
            "title ",
            c[i].reference);
    cli_gnuplot_quoted(g, label);
  }
}

/* "LABEL (3 seeds)", "LABEL (seed 2)"; " (DIR)" is added when another
 * curve would have the same legend (two runs of one algorithm on one env). */
static void legend(const cli_curve *c, int n, int i, char *buf, size_t size) {
  const cli_curve *me = &c[i];
  int ambiguous = 0;
  for (int j = 0; j < n && !ambiguous; j++)
    ambiguous = j != i && strcmp(c[j].label, me->label) == 0 &&
                c[j].n_seeds == me->n_seeds && c[j].seed == me->seed;
  char mine[64];
  if (me->n_seeds == 1 && me->seed >= 0)
    snprintf(mine, sizeof mine, "seed %ld", me->seed);
  else
    snprintf(mine, sizeof mine, "%d seed%s", me->n_seeds,
             me->n_seeds == 1 ? "" : "s");
  if (ambiguous && strcmp(me->label, me->dir_name) != 0)
    snprintf(buf, size, "%s (%s, %s)", me->label, me->dir_name, mine);
  else
    snprintf(buf, size, "%s (%s)", me->label, mine);
}

static void write_plot(FILE *g, const cli_curve *curves, int n,
                       const cli_plot_options *o) {
  fputs("plot ", g);
  for (int i = 0; i < n; i++) {
    const char *color = colors[i % N_COLORS];
    /* Points only where they can be told apart. */
    const char *style = curves[i].n_points > 60 ? "lines" : "linespoints";
    char label[700];
    legend(curves, n, i, label, sizeof label);
    if (i)
      fputs(", \\\n     ", g);
    if (o->band != CLI_BAND_NONE && curves[i].n_seeds > 1)
      fprintf(g,
              "$run%d using 1:($2-$3):($2+$3) with filledcurves "
              "fc rgb '%s' notitle, \\\n     ",
              i, color);
    fprintf(g, "$run%d using 1:2 with %s lc rgb '%s' lw 2 pt 7 ps 0.6 title ",
            i, style, color);
    cli_gnuplot_quoted(g, label);
  }
  write_references(g, curves, n);
  fputc('\n', g);
}

void cli_plot_write_script(FILE *g, const cli_curve *curves, int n,
                           const char *out, const char *tmp,
                           const cli_plot_options *o) {
  write_terminal(g, out, tmp);
  write_setup(g, curves, n, o);
  for (int i = 0; i < n; i++)
    write_data(g, &curves[i], i);
  write_plot(g, curves, n, o);
}

/* The first line gnuplot wrote to its stderr, for the error message. */
static void read_first_line(const char *path, char *buf, size_t size) {
  buf[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return;
  char line[512];
  while (fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] != '\0' && strspn(line, " ^") != strlen(line)) {
      snprintf(buf, size, "%s", line);
      break;
    }
  }
  fclose(f);
}

int cli_gnuplot_run(const char *out, cli_gnuplot_script script, void *ctx,
                    char *err, size_t size) {
  char tmp[CLI_PATH_MAX], log_path[] = "/tmp/crl-gnuplot-XXXXXX";
  int log_fd = mkstemp(log_path);
  if (log_fd < 0 ||
      snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp) {
    snprintf(err, size, "cannot create a temporary file: %s", strerror(errno));
    return -1;
  }
  close(log_fd);
  char command[CLI_PATH_MAX + 64];
  snprintf(command, sizeof command, "gnuplot 2>'%s'", log_path);
  fflush(NULL);
  FILE *g = popen(command, "w");
  if (g == NULL) {
    snprintf(err, size, "cannot start gnuplot: %s", strerror(errno));
    remove(log_path);
    return -1;
  }
  script(g, out, tmp, ctx);
  fputs("set output\n", g); /* close the file before exiting */
  int status = pclose(g);
  if (status != 0 || access(tmp, R_OK) != 0) {
    char why[512];
    read_first_line(log_path, why, sizeof why);
    snprintf(err, size, "gnuplot failed%s%s", why[0] ? ": " : "", why);
    remove(tmp);
    remove(log_path);
    return -1;
  }
  remove(log_path);
  if (rename(tmp, out) != 0) {
    snprintf(err, size, "cannot write %s: %s", out, strerror(errno));
    remove(tmp);
    return -1;
  }
  return 0;
}

typedef struct curves_script {
  const cli_curve *curves;
  int n;
  const cli_plot_options *o;
} curves_script;

static void write_curves_script(FILE *g, const char *out, const char *tmp,
                                void *ctx) {
  const curves_script *c = ctx;
  cli_plot_write_script(g, c->curves, c->n, out, tmp, c->o);
}

int cli_plot_runs(const char *const *dirs, int n_dirs, const char *out,
                  const char *title, char *err, size_t err_size) {
  cli_plot_options o = cli_plot_options_default();
  o.title = title;
  return cli_plot_runs_opts(dirs, n_dirs, out, &o, err, err_size);
}

/* ---- run directories --------------------------------------------------- */

#define MAX_CURVES 256

typedef struct run_list {
  int n;
  char dir[MAX_CURVES][CLI_PATH_MAX];
  int point[MAX_CURVES]; /* a grid point: labelled by its directory name */
} run_list;

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The grid points under dir (subdirectories with a config.yaml), sorted;
 * 0 when it has none. */
static int add_grid_points(const char *dir, run_list *runs) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  char *names[MAX_CURVES];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < MAX_CURVES) {
    char path[CLI_PATH_MAX];
    if (e->d_name[0] != '.' && strncmp(e->d_name, "seed_", 5) != 0 &&
        snprintf(path, sizeof path, "%s/%s/config.yaml", dir, e->d_name) <
            (int)sizeof path &&
        access(path, R_OK) == 0 && (names[n] = strdup(e->d_name)) != NULL)
      n++;
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, compare_names);
  for (int i = 0; i < n; i++) {
    if (runs->n < MAX_CURVES &&
        cli_path_join(runs->dir[runs->n], CLI_PATH_MAX, dir, names[i]) == 0)
      runs->point[runs->n++] = 1;
    free(names[i]);
  }
  return n;
}

/* A directory with seed_<k>/ or progress.csv is a run; one with grid
 * points stands for them. */
static void expand_runs(const char *const *dirs, int n_dirs, run_list *runs) {
  runs->n = 0;
  for (int i = 0; i < n_dirs && runs->n < MAX_CURVES; i++) {
    if (cli_curve_probe(dirs[i]) != 0 && add_grid_points(dirs[i], runs) > 0)
      continue;
    snprintf(runs->dir[runs->n], CLI_PATH_MAX, "%s", dirs[i]);
    runs->point[runs->n++] = 0;
  }
}

static int read_curves(const run_list *runs, const cli_plot_options *opts,
                       cli_curve *curves, int *read, char *err, size_t size) {
  for (*read = 0; *read < runs->n; (*read)++) {
    cli_curve *c = &curves[*read];
    if (cli_curve_read_opts(runs->dir[*read], opts, c, err, size))
      return CLI_PLOT_BAD_INPUT;
    if (runs->point[*read]) { /* the point, not the experiment's name */
      const char *slash = strrchr(runs->dir[*read], '/');
      snprintf(c->label, sizeof c->label, "%s",
               slash ? slash + 1 : runs->dir[*read]);
    }
  }
  return 0;
}

int cli_plot_runs_opts(const char *const *dirs, int n_dirs, const char *out,
                       const cli_plot_options *opts, char *err,
                       size_t err_size) {
  if (!ends_with(out, ".png") && !ends_with(out, ".svg")) {
    snprintf(err, err_size, "%s: the picture must end in .png or .svg", out);
    return CLI_PLOT_BAD_INPUT;
  }
  run_list *runs = malloc(sizeof *runs);
  cli_curve *curves = calloc(MAX_CURVES, sizeof *curves);
  int rc = runs && curves ? 0 : -1, read = 0;
  if (rc)
    snprintf(err, err_size, "out of memory");
  if (rc == 0) {
    expand_runs(dirs, n_dirs, runs);
    rc = read_curves(runs, opts, curves, &read, err, err_size);
  }
  if (rc == 0 && !cli_program_in_path("gnuplot")) {
    snprintf(err, err_size, "gnuplot is not installed; %s", CLI_GNUPLOT_HINT);
    rc = CLI_PLOT_NO_GNUPLOT;
  }
  curves_script script = {curves, runs->n, opts};
  if (rc == 0)
    rc = cli_gnuplot_run(out, write_curves_script, &script, err, err_size);
  for (int i = 0; i < read; i++)
    cli_curve_free(&curves[i]);
  free(curves);
  free(runs);
  return rc;
}
