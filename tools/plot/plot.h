/* Learning curves through gnuplot: for each run directory, a column of
 * progress.csv (the evaluation return by default) against env steps or
 * episodes, mean and spread over its seeds, one curve per run, and the
 * reference lines the experiments declare. */
#ifndef TOOLS_PLOT_H
#define TOOLS_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* cli_plot_runs failed because gnuplot is not installed. */
#define CLI_PLOT_NO_GNUPLOT (-2)
/* cli_plot_runs failed on its input: a file name, a directory that is no
 * run, a column that does not exist. */
#define CLI_PLOT_BAD_INPUT (-3)

/* How to install gnuplot, for messages. */
#define CLI_GNUPLOT_HINT "install it with `sudo apt-get install gnuplot-nox`"

/* What to draw. The defaults (cli_plot_options_default) are the
 * evaluation return against env steps, mean +- std over seeds. */
typedef enum cli_band {
  CLI_BAND_STD = 0,
  CLI_BAND_SEM = 1,
  CLI_BAND_NONE = 2
} cli_band;

typedef struct cli_plot_options {
  const char *x;     /* progress.csv column: timesteps, episodes or
                        wall_seconds */
  const char *y;     /* progress.csv column, e.g. "episode_return" */
  int smooth;        /* trailing moving average over this many points, >= 1 */
  cli_band band;     /* spread drawn around the mean over seeds */
  const char *title; /* may be NULL */
  const char *key;   /* gnuplot legend place, e.g. "bottom right"; the
                        default, "below", keeps it off the data */
} cli_plot_options;

cli_plot_options cli_plot_options_default(void);

/* One curve: rows of the seeds' progress.csv that have both columns,
 * aligned by index across seeds (the seeds of one run log at the same
 * points). */
typedef struct cli_curve {
  /* The run's `name`; else "ALGO on ENV" from its config.yaml (a seed
   * directory's from its run's); else the directory's name. */
  char label[256];
  char dir_name[256]; /* the directory's last component */
  int n_seeds;
  long seed; /* with one seed, its number when known; -1 otherwise */
  int n_points;
  double *steps;    /* [n_points] mean over seeds of the x column */
  double *mean;     /* [n_points] mean over seeds of the (smoothed) y */
  double *std;      /* [n_points] population std over seeds */
  double reference; /* the run's reference.value, NAN when none */
  char reference_label[256];
} cli_curve;

/* Read dir/seed_<k>/progress.csv (or dir/progress.csv) into a curve, with
 * the default options. 0, or -1 with a message in err. */
int cli_curve_read(const char *dir, cli_curve *curve, char *err,
                   size_t err_size);
int cli_curve_read_opts(const char *dir, const cli_plot_options *opts,
                        cli_curve *curve, char *err, size_t err_size);
void cli_curve_free(cli_curve *curve);

/* The rows of the progress.csv at path that have numbers in both columns
 * x and y: *xs and *ys malloc'd (the caller frees them, also when *n is
 * 0). 0, or -1 with a message in err. */
int cli_progress_read_pairs(const char *path, const char *x, const char *y,
                            double **xs, double **ys, int *n, char *err,
                            size_t size);

/* 0 when dir holds a run's progress.csv files (seed_<k>/ or its own). */
int cli_curve_probe(const char *dir);

/* The gnuplot commands that draw curves into the file tmp (out's name
 * decides the terminal), without the closing `set output`. */
void cli_plot_write_script(FILE *g, const cli_curve *curves, int n,
                           const char *out, const char *tmp,
                           const cli_plot_options *opts);

/* A picture drawn by gnuplot: the script writes its commands into g (to
 * the file tmp, out's name deciding the terminal) without the closing
 * `set output`; gnuplot's output is renamed to out once it succeeded.
 * 0, or -1 with gnuplot's first error line in err. */
typedef void (*cli_gnuplot_script)(FILE *g, const char *out, const char *tmp,
                                   void *ctx);
int cli_gnuplot_run(const char *out, cli_gnuplot_script script, void *ctx,
                    char *err, size_t size);

/* `set terminal` (png or svg, by out's name) of width x height pixels
 * and `set output` to tmp. */
void cli_gnuplot_terminal(FILE *g, const char *out, const char *tmp, int width,
                          int height);

/* s as a gnuplot single-quoted string ('' stands for '). */
void cli_gnuplot_quoted(FILE *f, const char *s);

/* Draw the runs into out (.png or .svg): one curve per run directory, and
 * one per grid point for the directory of a grid run. 0, -1 (gnuplot
 * failed; message in err), CLI_PLOT_NO_GNUPLOT or CLI_PLOT_BAD_INPUT.
 * title may be NULL. */
int cli_plot_runs(const char *const *dirs, int n_dirs, const char *out,
                  const char *title, char *err, size_t err_size);
int cli_plot_runs_opts(const char *const *dirs, int n_dirs, const char *out,
                       const cli_plot_options *opts, char *err,
                       size_t err_size);

#endif
