/* result.json and summary.json (see result.h): a small JSON writer and
 * reader of the flat objects the runner writes itself. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "run/result.h"

#include "run/fsutil.h"

/* ---- JSON ---------------------------------------------------------------- */

void cli_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", f);
    else if (*p == '\t')
      fputs("\\t", f);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

void cli_json_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.17g", x);
  else
    fputs("null", f);
}

static const char *const status_names[] = {"ok", "failed", "interrupted",
                                           "not run"};

/* One run's fields, without braces: shared by summary.json and
 * result.json. */
void cli_json_result_fields(FILE *f, const cli_seed_result *r) {
  fprintf(f, "\"seed\": %d, \"steps\": %ld, \"final_eval_return\": ", r->seed,
          r->steps);
  cli_json_number(f, r->final_eval_mean);
  fputs(", \"final_eval_return_std\": ", f);
  cli_json_number(f, r->final_eval_std);
  fprintf(f, ", \"wall_seconds\": %.3f, \"steps_per_second\": %.1f",
          r->wall_seconds, r->steps_per_second);
  if (r->best_eval_step > 0) {
    fputs(", \"best_eval_return\": ", f);
    cli_json_number(f, r->best_eval_mean);
    fprintf(f, ", \"best_eval_step\": %ld", r->best_eval_step);
  }
  if (r->stopped_early > 0)
    fprintf(f, ", \"stopped_early\": true, \"stopped_at_step\": %ld",
            r->stopped_early);
  if (r->pruned_at > 0)
    fprintf(f, ", \"pruned_at_step\": %ld", r->pruned_at);
  if (r->status != CLI_RUN_OK) {
    fputs(", \"status\": ", f);
    cli_json_string(f, status_names[r->status & 3]);
    fputs(", \"error\": ", f);
    cli_json_string(f, r->error);
  }
}

static void write_seed(FILE *f, const cli_seed_result *r, int last) {
  fputs("    {", f);
  cli_json_result_fields(f, r);
  fprintf(f, "}%s\n", last ? "" : ",");
}

/* ---- summary.json -------------------------------------------------------- */

void cli_results_mean_std(const cli_seed_result *r, int n, double *mean,
                          double *std) {
  double sum = 0.0, sq = 0.0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (r[i].status == CLI_RUN_OK) {
      sum += r[i].final_eval_mean;
      k++;
    }
  *mean = k > 0 ? sum / k : NAN;
  for (int i = 0; i < n; i++)
    if (r[i].status == CLI_RUN_OK)
      sq += (r[i].final_eval_mean - *mean) * (r[i].final_eval_mean - *mean);
  *std = k > 0 ? sqrt(sq / k) : NAN;
}

static void write_summary(FILE *f, const cli_run_config *cfg,
                          const cli_seed_result *results, int n) {
  double mean, std;
  cli_results_mean_std(results, n, &mean, &std);
  fputs("{\n  \"env\": ", f);
  cli_json_string(f, cfg->keys.env);
  fputs(",\n  \"algo\": ", f);
  cli_json_string(f, cfg->keys.algo);
  if (cfg->keys.name[0]) {
    fputs(",\n  \"name\": ", f);
    cli_json_string(f, cfg->keys.name);
  }
  fprintf(f, ",\n  \"n_timesteps\": %d,\n", cfg->keys.n_timesteps);
  if (cfg->keys.n_episodes > 0)
    fprintf(f, "  \"n_episodes\": %d,\n", cfg->keys.n_episodes);
  if (!isnan(cfg->keys.reference_value)) {
    fputs("  \"reference\": {\"value\": ", f);
    cli_json_number(f, cfg->keys.reference_value);
    fputs(", \"label\": ", f);
    cli_json_string(f, cfg->keys.reference_label);
    fputs("},\n", f);
  }
  fprintf(f, "  \"n_envs\": %d,\n", cfg->keys.n_envs);
  fprintf(f, "  \"eval_episodes\": %d,\n  \"final_eval_return_mean\": ",
          cfg->keys.eval_episodes);
  cli_json_number(f, mean);
  fputs(",\n  \"final_eval_return_std\": ", f);
  cli_json_number(f, std);
  fputs(",\n  \"seeds\": [\n", f);
  for (int i = 0; i < n; i++)
    write_seed(f, &results[i], i == n - 1);
  fputs("  ]\n}\n", f);
}

int cli_write_summary(const char *path, const cli_run_config *cfg,
                      const cli_seed_result *results, int n, char *err,
                      size_t err_size) {
  cli_atomic_file af;
  if (cli_atomic_open(&af, path) == 0) {
    write_summary(af.f, cfg, results, n);
    if (cli_atomic_commit(&af) == 0)
      return 0;
  }
  snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
  return -1;
}

/* ---- result.json -------------------------------------------------------- */

int cli_result_write(const char *seed_dir, const cli_seed_result *r) {
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_path_join(path, sizeof path, seed_dir, "result.json") ||
      cli_atomic_open(&af, path))
    return -1;
  fputc('{', af.f);
  cli_json_result_fields(af.f, r);
  fputs("}\n", af.f);
  return cli_atomic_commit(&af);
}

/* The text after `"key": ` in a flat JSON object we wrote ourselves. */
static const char *json_value(const char *text, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\": ", key);
  const char *p = strstr(text, pattern);
  return p ? p + strlen(pattern) : NULL;
}

static double json_read_number(const char *text, const char *key) {
  const char *v = json_value(text, key);
  if (v == NULL || strncmp(v, "null", 4) == 0)
    return NAN;
  char *end;
  double x = strtod(v, &end);
  return end == v ? NAN : x;
}

/* A JSON string literal (as cli_json_string writes them) into buf. */
static void json_read_string(const char *text, const char *key, char *buf,
                             size_t size) {
  const char *v = json_value(text, key);
  size_t n = 0;
  buf[0] = '\0';
  if (v == NULL || *v++ != '"')
    return;
  for (; *v && *v != '"' && n + 1 < size; v++) {
    char c = *v;
    if (c == '\\' && v[1]) {
      c = *++v;
      if (c == 'n')
        c = '\n';
      else if (c == 't')
        c = '\t';
      else if (c == 'u' && strlen(v) >= 5) {
        c = (char)strtol((char[]){v[1], v[2], v[3], v[4], 0}, NULL, 16);
        v += 4;
      }
    }
    buf[n++] = c;
  }
  buf[n] = '\0';
}

/* An integer field in [lo, hi] (both exactly representable as doubles):
 * anything else, null, a fraction or 1e300, is refused before it is
 * converted, since converting it would be undefined. */
static int json_read_integer(const char *text, const char *key, double lo,
                             double hi, cli_seed_result *r, long *out) {
  double v = json_read_number(text, key);
  if (!(v >= lo && v <= hi) || v != floor(v)) {
    snprintf(r->error, sizeof r->error,
             "result.json: '%s' is not an integer in [%.0f, %.0f]", key, lo,
             hi);
    return -1;
  }
  *out = (long)v;
  return 0;
}

/* The same for a field that older files lack: 0 when absent. */
static int json_read_optional(const char *text, const char *key, double hi,
                              cli_seed_result *r, long *out) {
  *out = 0;
  return json_value(text, key) == NULL
             ? 0
             : json_read_integer(text, key, 0, hi, r, out);
}

int cli_result_read(const char *seed_dir, cli_seed_result *r) {
  char path[CLI_PATH_MAX], text[8192];
  FILE *f = NULL;
  memset(r, 0, sizeof *r);
  snprintf(r->error, sizeof r->error, "no result.json");
  if (cli_path_join(path, sizeof path, seed_dir, "result.json") ||
      (f = fopen(path, "r")) == NULL)
    return -1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  if (json_value(text, "seed") == NULL)
    return -1;
  r->error[0] = '\0';
  long seed, steps;
  /* 2^53: the largest count a double holds exactly. */
  if (json_read_integer(text, "seed", 0, INT_MAX, r, &seed) ||
      json_read_integer(text, "steps", 0, 9007199254740992.0, r, &steps))
    return -1;
  r->seed = (int)seed;
  r->steps = steps;
  r->final_eval_mean = json_read_number(text, "final_eval_return");
  r->final_eval_std = json_read_number(text, "final_eval_return_std");
  r->wall_seconds = json_read_number(text, "wall_seconds");
  r->steps_per_second = json_read_number(text, "steps_per_second");
  r->best_eval_mean = json_read_number(text, "best_eval_return");
  if (json_read_optional(text, "best_eval_step", 9007199254740992.0, r,
                         &r->best_eval_step) ||
      json_read_optional(text, "stopped_at_step", 9007199254740992.0, r,
                         &r->stopped_early) ||
      json_read_optional(text, "pruned_at_step", 9007199254740992.0, r,
                         &r->pruned_at))
    return -1;
  char status[32];
  json_read_string(text, "status", status, sizeof status);
  r->status = CLI_RUN_OK;
  for (int i = 1; i < 4; i++)
    if (strcmp(status, status_names[i]) == 0)
      r->status = i;
  json_read_string(text, "error", r->error, sizeof r->error);
  return 0;
}
