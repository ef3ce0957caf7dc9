/* summary.json files and the result tables (see summary.h). */
#include "run/summary.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/rundir.h"

int cli_point_results(const cli_job *jobs, int n, int p, cli_seed_result *out) {
  int k = 0;
  for (int i = 0; i < n; i++)
    if (jobs[i].point == p)
      out[k++] = jobs[i].result;
  return k;
}

/* Mean wall time and steps/s per finished seed. */
static void mean_speed(const cli_seed_result *r, int n, double *wall,
                       double *sps) {
  int k = 0;
  *wall = *sps = 0.0;
  for (int i = 0; i < n; i++)
    if (r[i].status == CLI_RUN_OK) {
      *wall += r[i].wall_seconds;
      *sps += r[i].steps_per_second;
      k++;
    }
  *wall = k ? *wall / k : NAN;
  *sps = k ? *sps / k : NAN;
}

/* ---- summary.json -------------------------------------------------------- */

static void write_point(FILE *f, const cli_experiment *x, int p,
                        const cli_seed_result *r, int k, int last) {
  double mean, std, wall, sps;
  cli_results_mean_std(r, k, &mean, &std);
  mean_speed(r, k, &wall, &sps);
  fputs("    {\"name\": ", f);
  cli_json_string(f, x->names[p]);
  fputs(", \"settings\": {", f);
  for (int a = 0; a < x->n_axes; a++) {
    fputs(a ? ", " : "", f);
    cli_json_string(f, x->axes[a].key);
    fputs(": ", f);
    cli_json_string(f, cli_experiment_value(x, p, a));
  }
  fputs("},\n     \"final_eval_return_mean\": ", f);
  cli_json_number(f, mean);
  fputs(", \"final_eval_return_std\": ", f);
  cli_json_number(f, std);
  fprintf(f, ", \"wall_seconds\": %.3f, \"steps_per_second\": %.1f",
          isfinite(wall) ? wall : 0.0, isfinite(sps) ? sps : 0.0);
  fputs(",\n     \"seeds\": [\n", f);
  for (int i = 0; i < k; i++) {
    fputs("       {", f);
    cli_json_result_fields(f, &r[i]);
    fprintf(f, "}%s\n", i == k - 1 ? "" : ",");
  }
  fprintf(f, "     ]}%s\n", last ? "" : ",");
}

static int write_grid_summary(const cli_experiment *x, const cli_job *jobs,
                              int n, const char *path,
                              cli_seed_result *scratch) {
  cli_atomic_file af;
  if (cli_atomic_open(&af, path))
    return -1;
  FILE *f = af.f;
  const cli_run_keys *k = &x->points[0].keys;
  fputs("{\n  \"env\": ", f);
  cli_json_string(f, k->env);
  fputs(",\n  \"algo\": ", f);
  cli_json_string(f, k->algo);
  fputs(",\n  \"grid\": {", f);
  for (int a = 0; a < x->n_axes; a++) {
    fputs(a ? ", " : "", f);
    cli_json_string(f, x->axes[a].key);
    fputs(": [", f);
    for (int i = 0; i < x->axes[a].n; i++) {
      fputs(i ? ", " : "", f);
      cli_json_string(f, x->axes[a].values[i]);
    }
    fputc(']', f);
  }
  fputs("},\n  \"points\": [\n", f);
  for (int p = 0; p < x->n_points; p++) {
    int cnt = cli_point_results(jobs, n, p, scratch);
    write_point(f, x, p, scratch, cnt, p == x->n_points - 1);
  }
  fputs("  ]\n}\n", f);
  return cli_atomic_commit(&af);
}

int cli_summary_write(const cli_experiment *x, const cli_job *jobs, int n,
                      const char *run_dir, char *err, size_t size) {
  cli_seed_result *r = malloc((size_t)(n ? n : 1) * sizeof *r);
  char dir[CLI_PATH_MAX], path[CLI_PATH_MAX];
  int rc = r ? 0 : -1;
  for (int p = 0; rc == 0 && p < x->n_points; p++) {
    int k = cli_point_results(jobs, n, p, r);
    rc = cli_rundir_point(x, p, run_dir, dir, sizeof dir) ||
         cli_path_join(path, sizeof path, dir, "summary.json");
    if (rc == 0)
      rc = cli_write_summary(path, &x->points[p], r, k, err, size);
    else
      snprintf(err, size, "%s: path too long", run_dir);
  }
  if (rc == 0 && x->n_axes > 0 &&
      (cli_path_join(path, sizeof path, run_dir, "summary.json") ||
       write_grid_summary(x, jobs, n, path, r))) {
    snprintf(err, size, "cannot write %s/summary.json: %s", run_dir,
             strerror(errno));
    rc = -1;
  }
  if (r == NULL)
    snprintf(err, size, "out of memory");
  free(r);
  return rc;
}

/* ---- tables -------------------------------------------------------------- */

static const char *status_word(int status) {
  return status == CLI_RUN_FAILED        ? "failed"
         : status == CLI_RUN_INTERRUPTED ? "interrupted"
                                         : "not run";
}

static void print_seed_table(const cli_seed_result *r, int n) {
  printf("\n%6s  %24s  %10s  %10s\n", "seed", "final eval return", "wall time",
         "steps/s");
  for (int i = 0; i < n; i++) {
    char when[32];
    cli_format_duration(r[i].wall_seconds, when, sizeof when);
    if (r[i].status == CLI_RUN_OK)
      printf("%6d  %12.1f ± %-9.1f  %10s  %10.0f\n", r[i].seed,
             r[i].final_eval_mean, r[i].final_eval_std, when,
             r[i].steps_per_second);
    else
      printf("%6d  %24s  %10s  %10s\n", r[i].seed, status_word(r[i].status),
             "-", "-");
  }
}

static int count_ok(const cli_seed_result *r, int n) {
  int k = 0;
  for (int i = 0; i < n; i++)
    k += r[i].status == CLI_RUN_OK;
  return k;
}

/* "final eval return: -172.3 ± 12.1 over 3 seeds" (+ what is missing). */
static void print_final(const char *prefix, const cli_seed_result *r, int n) {
  double mean, std;
  int ok = count_ok(r, n);
  cli_results_mean_std(r, n, &mean, &std);
  if (ok == 0) {
    printf("%sfinal eval return: none (no seed finished)\n", prefix);
    return;
  }
  printf("%sfinal eval return: %.1f ± %.1f over %d seed%s", prefix, mean, std,
         ok, ok == 1 ? "" : "s");
  if (ok < n)
    printf(" (%d of %d did not finish)", n - ok, n);
  putchar('\n');
}

static void print_point_row(const char *name, int width,
                            const cli_seed_result *r, int k) {
  double mean, std, wall, sps;
  cli_results_mean_std(r, k, &mean, &std);
  mean_speed(r, k, &wall, &sps);
  char when[32], seeds[32];
  cli_format_duration(wall, when, sizeof when);
  snprintf(seeds, sizeof seeds, "%d/%d", count_ok(r, k), k);
  printf("%-*s  %12.1f ± %-9.1f  %6s  %10s  %10.0f\n", width, name, mean, std,
         seeds, when, isfinite(sps) ? sps : 0.0);
}

static void print_grid_table(const cli_experiment *x, const cli_job *jobs,
                             int n, cli_seed_result *r) {
  int width = 5;
  for (int p = 0; p < x->n_points; p++)
    if ((int)strlen(x->names[p]) > width)
      width = (int)strlen(x->names[p]);
  printf("\n%-*s  %24s  %6s  %10s  %10s\n", width, "point", "final eval return",
         "seeds", "wall/seed", "steps/s");
  for (int p = 0; p < x->n_points; p++) {
    int k = cli_point_results(jobs, n, p, r);
    print_point_row(x->names[p], width, r, k);
  }
}

/* Which runs did not finish, and why. */
static void print_failures(const cli_job *jobs, int n) {
  for (int i = 0; i < n; i++)
    if (jobs[i].result.status != CLI_RUN_OK)
      printf("%s %s%s%s\n", jobs[i].label, status_word(jobs[i].result.status),
             jobs[i].result.error[0] ? ": " : "", jobs[i].result.error);
}

/* Which runs stopped early (stop_at), and where. */
static void print_early_stops(const cli_experiment *x, const cli_job *jobs,
                              int n) {
  for (int i = 0; i < n; i++) {
    const cli_seed_result *r = &jobs[i].result;
    if (r->status == CLI_RUN_OK && r->stopped_early > 0)
      printf("%s stopped early at step %ld: eval return %.1f >= stop_at %g\n",
             jobs[i].label, r->stopped_early, r->final_eval_mean,
             x->points[jobs[i].point].keys.stop_at_eval_return);
  }
}

void cli_summary_print(const cli_experiment *x, const cli_job *jobs, int n,
                       int quiet) {
  cli_seed_result *r = malloc((size_t)(n ? n : 1) * sizeof *r);
  if (r == NULL)
    return;
  if (x->n_axes == 0) {
    int k = cli_point_results(jobs, n, 0, r);
    if (!quiet)
      print_seed_table(r, k);
    print_early_stops(x, jobs, n);
    print_failures(jobs, n);
    print_final("", r, k);
  } else {
    print_grid_table(x, jobs, n, r);
    print_early_stops(x, jobs, n);
    print_failures(jobs, n);
  }
  free(r);
  fflush(stdout);
}
