/* Learning curves through gnuplot: for each run directory, the evaluation
 * return against env steps, mean ± std over its seeds, one curve per run. */
#ifndef CRL_TOOLS_PLOT_H
#define CRL_TOOLS_PLOT_H

#include <stddef.h>

/* crl_plot_runs failed because gnuplot is not installed. */
#define CRL_PLOT_NO_GNUPLOT (-2)

/* How to install gnuplot, for messages. */
#define CRL_GNUPLOT_HINT "install it with `sudo apt-get install gnuplot-nox`"

/* One curve: eval points aligned by index across seeds. */
typedef struct crl_curve {
  char label[256];
  int n_seeds;
  int n_points;
  double *steps; /* [n_points] mean over seeds of the step counts */
  double *mean;  /* [n_points] */
  double *std;   /* [n_points] population std over seeds */
} crl_curve;

/* Read dir/seed_<k>/progress.csv (or dir/progress.csv) into a curve. 0, or
 * -1 with a message in err. */
int crl_curve_read(const char *dir, crl_curve *curve, char *err,
                   size_t err_size);
void crl_curve_free(crl_curve *curve);

/* Draw the runs into out (.png or .svg). 0, -1 (message in err) or
 * CRL_PLOT_NO_GNUPLOT. title may be NULL. */
int crl_plot_runs(const char *const *dirs, int n_dirs, const char *out,
                  const char *title, char *err, size_t err_size);

#endif
