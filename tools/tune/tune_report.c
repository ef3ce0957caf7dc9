/* What a study reports (see tune_run.h): trials.csv, best.yaml, the table
 * of the best trials and the picture of the search. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "tune/tune_run.h"

/* ---- trials.csv
 * --------------------------------------------------------------- */

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void csv_text(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\n\r") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
  }
  fputc('"', f);
}

static void csv_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.10g", x);
}

static void csv_row(FILE *f, const cli_study *st, int i) {
  const cli_trial *t = &st->trials[i];
  fprintf(f, "%d,%s,", i, cli_trial_status_name(t->status));
  csv_number(f, t->objective);
  fputc(',', f);
  csv_number(f, t->objective_std);
  fputc(',', f);
  csv_number(f, t->last_eval);
  fprintf(f, ",%ld,", t->steps);
  if (t->status == CLI_TRIAL_PRUNED)
    fprintf(f, "%ld,%d", t->pruned_at, t->pruned_seed);
  else
    fputc(',', f);
  fprintf(f, ",%.3f", t->seconds);
  for (int p = 0; p < st->space.n; p++) {
    char v[CRL_STRING_MAX];
    fputc(',', f);
    if (cli_search_value_text(&st->space, p, t->x[p], v, sizeof v) == 0)
      csv_text(f, v);
  }
  fputc(',', f);
  csv_text(f, t->error);
  fputc('\n', f);
}

static int write_csv(const cli_study *st) {
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_path_join(path, sizeof path, st->dir, "trials.csv") ||
      cli_atomic_open(&af, path))
    return -1;
  fputs("trial,status,objective,objective_std,pruned_eval,steps,"
        "pruned_at_step,pruned_seed,wall_seconds",
        af.f);
  for (int p = 0; p < st->space.n; p++) {
    fputc(',', af.f);
    csv_text(af.f, st->space.p[p].key);
  }
  fputs(",error\n", af.f);
  for (int i = 0; i < st->n_trials; i++)
    if (CLI_TRIAL_DONE(&st->trials[i]))
      csv_row(af.f, st, i);
  return cli_atomic_commit(&af);
}

/* ---- best.yaml
 * ------------------------------------------------------------------- */

static int copy_into(FILE *to, const char *path) {
  FILE *from = fopen(path, "r");
  if (from == NULL)
    return -1;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, from)) > 0)
    fwrite(buf, 1, n, to);
  int rc = ferror(from) ? -1 : 0;
  fclose(from);
  return rc;
}

static int write_best(const cli_study *st) {
  int b = cli_study_best(st);
  if (b < 0)
    return 0;
  char path[CLI_PATH_MAX], dir[CLI_PATH_MAX], config[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_study_trial_dir(st, b, dir, sizeof dir) ||
      cli_path_join(config, sizeof config, dir, "config.yaml") ||
      cli_path_join(path, sizeof path, st->dir, "best.yaml") ||
      cli_atomic_open(&af, path))
    return -1;
  fprintf(af.f,
          "# The best trial of the crl tune study in %s: trial %d, mean final "
          "evaluation\n# %.6g (std %.3g over its %d seeds). Train it with "
          "`crl train THIS_FILE`.\n",
          st->dir, b, st->trials[b].objective, st->trials[b].objective_std,
          st->n_seeds);
  if (copy_into(af.f, config)) {
    cli_atomic_abort(&af);
    return -1;
  }
  return cli_atomic_commit(&af);
}

int cli_tune_write_report(const cli_study *st) {
  return write_csv(st) || write_best(st) ? -1 : 0;
}

/* "learning_rate=0.000312 n_steps=512": a trial's values, numbers to 4
 * digits (trials.csv has them all). */
void cli_tune_values_text(const cli_study *st, int i, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int p = 0; p < st->space.n && used < size; p++) {
    char v[CRL_STRING_MAX];
    double x = st->trials[i].x[p];
    cli_dist_kind kind = st->space.p[p].kind;
    if (kind == CLI_DIST_UNIFORM || kind == CLI_DIST_LOG_UNIFORM)
      snprintf(v, sizeof v, "%.4g", x);
    else if (cli_search_value_text(&st->space, p, x, v, sizeof v))
      snprintf(v, sizeof v, "?");
    int n = snprintf(buf + used, size - used, "%s%s=%s", p ? " " : "",
                     st->space.p[p].key, v);
    used += n > 0 ? (size_t)n : 0;
  }
}

/* ---- the table
 * ------------------------------------------------------------------- */

void cli_tune_print_top(const cli_study *st) {
  int shown[5], n = 0;
  while (n < 5) {
    int best = -1;
    for (int i = 0; i < st->n_trials; i++) {
      int taken = 0;
      for (int k = 0; k < n; k++)
        taken |= shown[k] == i;
      if (!taken && st->trials[i].status == CLI_TRIAL_COMPLETE &&
          (best < 0 || st->trials[i].objective > st->trials[best].objective))
        best = i;
    }
    if (best < 0)
      break;
    shown[n++] = best;
  }
  int counts[5] = {0};
  for (int i = 0; i < st->n_trials; i++)
    counts[st->trials[i].status]++;
  printf("\n%d trials: %d complete, %d pruned, %d failed\n",
         counts[CLI_TRIAL_COMPLETE] + counts[CLI_TRIAL_PRUNED] +
             counts[CLI_TRIAL_FAILED],
         counts[CLI_TRIAL_COMPLETE], counts[CLI_TRIAL_PRUNED],
         counts[CLI_TRIAL_FAILED]);
  if (n == 0)
    return;
  printf("\n%-6s %-18s %s\n", "trial", "objective", "settings");
  for (int k = 0; k < n; k++) {
    const cli_trial *t = &st->trials[shown[k]];
    char obj[64];
    snprintf(obj, sizeof obj, "%.1f ± %.1f", t->objective, t->objective_std);
    char values[2048];
    cli_tune_values_text(st, shown[k], values, sizeof values);
    printf("%-6d %-18s %s\n", shown[k], obj, values);
  }
}

/* ---- search.png
 * ------------------------------------------------------------------- */

/* One row per finished trial: number, pruned (0/1), objective or last
 * evaluation, best so far, then each parameter (a choice's index). */
static void write_data(FILE *g, const cli_study *st) {
  fputs("$trials << EOD\n", g);
  double best = NAN;
  for (int i = 0; i < st->n_trials; i++) {
    const cli_trial *t = &st->trials[i];
    if (t->status != CLI_TRIAL_COMPLETE && t->status != CLI_TRIAL_PRUNED)
      continue;
    double y = t->status == CLI_TRIAL_COMPLETE ? t->objective : t->last_eval;
    if (!isfinite(y))
      continue;
    if (t->status == CLI_TRIAL_COMPLETE && (isnan(best) || y > best))
      best = y;
    fprintf(g, "%d %d %.10g %.10g", i, t->status == CLI_TRIAL_PRUNED, y,
            isnan(best) ? y : best);
    for (int p = 0; p < st->space.n; p++)
      fprintf(g, " %.10g", t->x[p]);
    fputc('\n', g);
  }
  fputs("EOD\n", g);
}

static void choice_tics(FILE *g, const cli_search_param *p) {
  fprintf(g, "set xrange [-0.5:%d.5]\nset xtics (", p->choices.n - 1);
  for (int k = 0; k < p->choices.n; k++) {
    char label[CRL_STRING_MAX];
    snprintf(label, sizeof label, "%s", p->choices.values[k]);
    if (k)
      fputs(", ", g);
    cli_gnuplot_quoted(g, label);
    fprintf(g, " %d", k);
  }
  fputs(")\n", g);
}

/* The points of one panel: finished trials, and pruned ones at the
 * evaluation they stopped at. */
static void plot_points(FILE *g, int column) {
  fprintf(g,
          "plot $trials using ($2 == 0 ? $%d : NaN):3 with points pt 7 ps 0.8 "
          "lc rgb '#1f77b4' title 'trials', \\\n"
          "     $trials using ($2 == 1 ? $%d : NaN):3 with points pt 2 ps 0.8 "
          "lc rgb '#aaaaaa' title 'pruned (evaluation when stopped)'\n",
          column, column);
}

typedef struct search_plot {
  const cli_study *st;
} search_plot;

static void write_script(FILE *g, const char *out, const char *tmp, void *ctx) {
  const cli_study *st = ((search_plot *)ctx)->st;
  int panels = 1 + st->space.n;
  int cols = panels < 3 ? panels : 3, rows = (panels + cols - 1) / cols;
  cli_gnuplot_terminal(g, out, tmp, 460 * cols, 340 * rows);
  write_data(g, st);
  fprintf(g,
          "set multiplot layout %d,%d\nset grid\nset key bottom right "
          "font ',9'\nset ylabel 'mean final evaluation'\n",
          rows, cols);
  fputs("set xlabel 'trial'\nset title 'objective by trial'\n"
        "plot $trials using ($2 == 0 ? $1 : NaN):3 with points pt 7 ps 0.8 "
        "lc rgb '#1f77b4' title 'trials', \\\n"
        "     $trials using ($2 == 1 ? $1 : NaN):3 with points pt 2 ps 0.8 "
        "lc rgb '#aaaaaa' title 'pruned', \\\n"
        "     $trials using 1:4 with steps lc rgb '#d62728' title 'best so "
        "far'\nset key off\n",
        g);
  for (int p = 0; p < st->space.n; p++) {
    const cli_search_param *sp = &st->space.p[p];
    fputs("set title ", g);
    cli_gnuplot_quoted(g, sp->key);
    fputs("\nset xlabel ", g);
    cli_gnuplot_quoted(g, sp->key);
    fputc('\n', g);
    fputs("unset logscale x\nset xtics autofreq\nset autoscale x\n", g);
    if (sp->kind == CLI_DIST_CHOICE)
      choice_tics(g, sp);
    else if (cli_dist_is_log(sp->kind))
      fputs("set logscale x\n", g);
    plot_points(g, 5 + p);
  }
  fputs("unset multiplot\n", g);
}

int cli_tune_plot(const cli_study *st, char *err, size_t size) {
  if (!cli_program_in_path("gnuplot")) {
    snprintf(err, size, "gnuplot is not installed; %s", CLI_GNUPLOT_HINT);
    return CLI_PLOT_NO_GNUPLOT;
  }
  char out[CLI_PATH_MAX];
  if (cli_path_join(out, sizeof out, st->dir, "search.png")) {
    snprintf(err, size, "%s: path too long", st->dir);
    return -1;
  }
  search_plot sp = {st};
  return cli_gnuplot_run(out, write_script, &sp, err, size);
}
