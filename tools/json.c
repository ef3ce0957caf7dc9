/* summary.json: a small JSON writer is all the runner needs. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "tools/fsutil.h"
#include "tools/runner.h"

void crl_json_string(FILE *f, const char *s) {
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

void crl_json_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.17g", x);
  else
    fputs("null", f);
}

static void write_seed(FILE *f, const crl_seed_result *r, int last) {
  fprintf(f, "    {\"seed\": %d, \"steps\": %ld, \"final_eval_return\": ",
          r->seed, r->steps);
  crl_json_number(f, r->final_eval_mean);
  fputs(", \"final_eval_return_std\": ", f);
  crl_json_number(f, r->final_eval_std);
  fprintf(f, ", \"wall_seconds\": %.3f, \"steps_per_second\": %.1f}%s\n",
          r->wall_seconds, r->steps_per_second, last ? "" : ",");
}

static void write_summary(FILE *f, const crl_run_config *cfg,
                          const crl_seed_result *results, int n) {
  double mean, std;
  crl_results_mean_std(results, n, &mean, &std);
  fputs("{\n  \"env\": ", f);
  crl_json_string(f, cfg->keys.env);
  fputs(",\n  \"algo\": ", f);
  crl_json_string(f, cfg->keys.algo);
  if (cfg->keys.name[0]) {
    fputs(",\n  \"name\": ", f);
    crl_json_string(f, cfg->keys.name);
  }
  fprintf(f, ",\n  \"n_timesteps\": %d,\n", cfg->keys.n_timesteps);
  if (cfg->keys.n_episodes > 0)
    fprintf(f, "  \"n_episodes\": %d,\n", cfg->keys.n_episodes);
  if (!isnan(cfg->keys.reference_value)) {
    fputs("  \"reference\": {\"value\": ", f);
    crl_json_number(f, cfg->keys.reference_value);
    fputs(", \"label\": ", f);
    crl_json_string(f, cfg->keys.reference_label);
    fputs("},\n", f);
  }
  fprintf(f, "  \"n_envs\": %d,\n", cfg->keys.n_envs);
  fprintf(f, "  \"eval_episodes\": %d,\n  \"final_eval_return_mean\": ",
          cfg->keys.eval_episodes);
  crl_json_number(f, mean);
  fputs(",\n  \"final_eval_return_std\": ", f);
  crl_json_number(f, std);
  fputs(",\n  \"seeds\": [\n", f);
  for (int i = 0; i < n; i++)
    write_seed(f, &results[i], i == n - 1);
  fputs("  ]\n}\n", f);
}

int crl_write_summary(const char *path, const crl_run_config *cfg,
                      const crl_seed_result *results, int n, char *err,
                      size_t err_size) {
  crl_atomic_file af;
  if (crl_atomic_open(&af, path) == 0) {
    write_summary(af.f, cfg, results, n);
    if (crl_atomic_commit(&af) == 0)
      return 0;
  }
  snprintf(err, err_size, "cannot write %s: %s", path, strerror(errno));
  return -1;
}
