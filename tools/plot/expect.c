/* Expectations (see expect.h). The numbers are read back from the run's
 * files, so `crl check DIR` gives the same verdicts as `crl train --check`:
 *
 *   final_eval_return_mean  the mean over seeds of each seed's final
 *                           evaluation (result.json; what summary.json says)
 *   a progress.csv column   each seed's rows that have a number in it,
 *                           optionally smoothed (trailing mean over `smooth`
 *                           rows), aligned by row and averaged over seeds
 *                           (the curve `crl plot` draws); its last value, or
 *                           with by_step / by_episode the best value at a
 *                           row at or before that step / episode
 *
 * A seed that did not finish fails the point. */
#include "plot/expect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "run/fsutil.h"
#include "run/result.h"

typedef struct verdict {
  int pass;
  double value; /* what was measured; NAN when nothing was */
  char why[CLI_ERR_SIZE];
} verdict;

static int within(const cli_expect *e, double v) {
  return isfinite(v) && (isnan(e->min) || v >= e->min) &&
         (isnan(e->max) || v <= e->max);
}

/* "min -200", "max 5", "in [1, 2]" */
static void describe_bounds(const cli_expect *e, char *buf, size_t size) {
  char lo[32], hi[32];
  cli_format_double(e->min, lo, sizeof lo);
  cli_format_double(e->max, hi, sizeof hi);
  if (!isnan(e->min) && !isnan(e->max))
    snprintf(buf, size, "in [%s, %s]", lo, hi);
  else if (!isnan(e->min))
    snprintf(buf, size, ">= %s", lo);
  else
    snprintf(buf, size, "<= %s", hi);
}

/* ---- the metrics --------------------------------------------------------- */

static void check_final_eval(const cli_expect *e, const cli_seed_result *r,
                             int n, verdict *v) {
  double mean, std;
  cli_results_mean_std(r, n, &mean, &std);
  v->value = mean;
  v->pass = within(e, mean);
}

/* The better of two values for this expectation (closer to passing). */
static double better(const cli_expect *e, double a, double b) {
  if (!isfinite(a))
    return b;
  if (!isfinite(b))
    return a;
  return !isnan(e->min) ? fmax(a, b) : fmin(a, b);
}

static void check_column(const cli_expect *e, const char *dir, verdict *v) {
  cli_plot_options o = cli_plot_options_default();
  o.y = e->metric;
  o.x = e->by_episode > 0 ? "episodes" : "timesteps";
  o.smooth = e->smooth;
  o.band = CLI_BAND_NONE;
  cli_curve c;
  char err[CLI_ERR_SIZE];
  v->value = NAN;
  if (cli_curve_read_opts(dir, &o, &c, err, sizeof err)) {
    snprintf(v->why, sizeof v->why, "%s", err);
    v->pass = 0;
    return;
  }
  long by = e->by_episode > 0 ? e->by_episode : e->by_step;
  if (by <= 0) {
    v->value = c.mean[c.n_points - 1];
    v->pass = within(e, v->value);
  } else {
    v->pass = 0;
    for (int k = 0; k < c.n_points && c.steps[k] <= (double)by; k++) {
      v->value = better(e, v->value, c.mean[k]);
      v->pass |= within(e, c.mean[k]);
    }
  }
  cli_curve_free(&c);
}

/* ---- one point ----------------------------------------------------------- */

static void print_verdict(FILE *out, const char *prefix, const cli_expect *e,
                          const verdict *v) {
  char bounds[96];
  describe_bounds(e, bounds, sizeof bounds);
  fprintf(out, "%s%s  %s", prefix, v->pass ? "PASS" : "FAIL", e->metric);
  if (e->smooth > 1)
    fprintf(out, " (smoothed over %d rows)", e->smooth);
  if (v->why[0]) {
    fprintf(out, ": %s\n", v->why);
    return;
  }
  if (e->by_step > 0 || e->by_episode > 0)
    fprintf(out, " best %.4g by %s %d, wanted %s\n", v->value,
            e->by_step > 0 ? "step" : "episode",
            e->by_step > 0 ? e->by_step : e->by_episode, bounds);
  else
    fprintf(out, " = %.4g, wanted %s\n", v->value, bounds);
}

/* Seeds that did not finish: each one a failed verdict. */
static int check_seeds(const cli_run_config *cfg, const char *dir, FILE *out,
                       const char *prefix, cli_seed_result *r) {
  int failed = 0, n = cli_config_seed_count(cfg);
  for (int i = 0; i < n; i++) {
    char seed_dir[CLI_PATH_MAX];
    int seed = cli_config_seed_at(cfg, i);
    int len = snprintf(seed_dir, sizeof seed_dir, "%s/seed_%d", dir, seed);
    int unreadable = len < 0 || (size_t)len >= sizeof seed_dir;
    if (unreadable)
      snprintf(r[i].error, sizeof r[i].error, "the path is too long");
    if (unreadable || cli_result_read(seed_dir, &r[i]) != 0) {
      /* keep cli_result_read's reason */
      char why[sizeof r[i].error];
      snprintf(why, sizeof why, "%s", r[i].error);
      r[i] = (cli_seed_result){.seed = seed, .status = CLI_RUN_NOT_RUN};
      snprintf(r[i].error, sizeof r[i].error, "%s", why);
    }
    if (r[i].status == CLI_RUN_OK)
      continue;
    failed++;
    fprintf(out, "%sFAIL  seed %d did not finish: %s\n", prefix, seed,
            r[i].error);
  }
  return failed;
}

static int check_point(const cli_run_config *cfg, const char *dir,
                       const char *prefix, FILE *out) {
  int n = cli_config_seed_count(cfg);
  cli_seed_result *r = calloc((size_t)n, sizeof *r);
  if (r == NULL)
    return 1;
  int failed = check_seeds(cfg, dir, out, prefix, r);
  for (int i = 0; i < cfg->n_expect; i++) {
    const cli_expect *e = &cfg->expect[i];
    verdict v = {0, NAN, ""};
    if (strcmp(e->metric, "final_eval_return_mean") == 0)
      check_final_eval(e, r, n, &v);
    else
      check_column(e, dir, &v);
    print_verdict(out, prefix, e, &v);
    failed += !v.pass;
  }
  free(r);
  return failed;
}

int cli_expect_check(const cli_experiment *x, const char *run_dir, FILE *out,
                     int *n_checked, char *err, size_t err_size) {
  int failed = 0;
  *n_checked = 0;
  for (int p = 0; p < x->n_points; p++) {
    char dir[CLI_PATH_MAX], prefix[CLI_PATH_MAX];
    const char *name = x->names[p];
    int bad = name[0]
                  ? cli_path_join(dir, sizeof dir, run_dir, name)
                  : snprintf(dir, sizeof dir, "%s", run_dir) >= (int)sizeof dir;
    if (bad) {
      snprintf(err, err_size, "%s: path too long", run_dir);
      return -1;
    }
    snprintf(prefix, sizeof prefix, "%s%s", name, name[0] ? ": " : "");
    *n_checked += x->points[p].n_expect;
    failed += check_point(&x->points[p], dir, prefix, out);
  }
  fflush(out);
  return failed;
}
