/* Parts of an experiment file with keys of their own, not declared in a
 * parameter table: `expect:` (what the results should reach) and
 * `env_kwargs:` (the environment's declared settings). `grid:` is expanded
 * by grid.c before a configuration is validated. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

static const char *const sections[] = {"expect", "env_kwargs", "grid", "search",
                                       "plugins"};

int cli_cfg_key_in(const char *key, const char *section) {
  size_t n = strlen(section);
  return strncmp(key, section, n) == 0 && (key[n] == '\0' || key[n] == '.');
}

int cli_cfg_is_section_key(const char *key) {
  for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
    if (cli_cfg_key_in(key, sections[i]))
      return 1;
  return 0;
}

static int is_empty_map(const cli_cfg_entry *e) {
  return strcmp(e->value, CLI_CFG_EMPTY_MAP) == 0;
}

void cli_format_double(double x, char *buf, size_t size) {
  if (buf == NULL || size == 0)
    return;
  for (int digits = 6; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, x);
    if (strtod(buf, NULL) == x)
      return;
  }
}

/* ---- expect ------------------------------------------------------------- */

#define E(field) offsetof(cli_expect, field)
static const crl_param_def expect_fields[] = {
    {"min", CRL_PARAM_REAL_OPT, E(min), "null", -HUGE_VAL, HUGE_VAL, NULL,
     "the metric must be at least this"},
    {"max", CRL_PARAM_REAL_OPT, E(max), "null", -HUGE_VAL, HUGE_VAL, NULL,
     "the metric must be at most this"},
    {"by_step", CRL_PARAM_INT, E(by_step), "0", 0, 2147483647, NULL,
     "reached at some row with timesteps <= this (0: the final value)"},
    {"by_episode", CRL_PARAM_INT, E(by_episode), "0", 0, 2147483647, NULL,
     "reached at some row with episodes <= this (0: the final value)"},
    {"smooth", CRL_PARAM_INT, E(smooth), "1", 1, 1000000, NULL,
     "trailing mean over this many rows of each seed"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

// clang-format off
const char *const cli_progress_columns[] = {
    "timesteps", "episodes", "episode_return", "episode_return_mean",
    "episode_length_mean", "eval_return_mean", "eval_return_std",
#define STAT_COLUMN(name, diverged_if_infinite, doc) #name,
    CRL_ALGO_STATS(STAT_COLUMN)
#undef STAT_COLUMN
    "wall_seconds"};
// clang-format on
const int cli_progress_column_count =
    (int)(sizeof cli_progress_columns / sizeof cli_progress_columns[0]);

/* final_eval_return_mean, or a progress.csv column that is a result. */
static int is_metric(const char *name) {
  if (strcmp(name, "final_eval_return_mean") == 0)
    return 1;
  if (strcmp(name, "timesteps") == 0 || strcmp(name, "episodes") == 0 ||
      strcmp(name, "wall_seconds") == 0)
    return 0;
  for (int i = 0; i < cli_progress_column_count; i++)
    if (strcmp(name, cli_progress_columns[i]) == 0)
      return 1;
  return 0;
}

static int fail_metric(const cli_cfg_entry *e, const char *metric, char *err,
                       size_t size) {
  const char *names[32];
  int n = 0;
  names[n++] = "final_eval_return_mean";
  for (int i = 0; i < cli_progress_column_count && n < 32; i++)
    if (is_metric(cli_progress_columns[i]))
      names[n++] = cli_progress_columns[i];
  const char *near = crl_nearest_name(metric, names, n);
  if (near)
    return cli_cfg_fail(e, 0, err, size,
                        "unknown expectation '%s' (did you mean '%s'?)", metric,
                        near);
  return cli_cfg_fail(e, 0, err, size,
                      "unknown expectation '%s' (final_eval_return_mean or a "
                      "progress.csv column)",
                      metric);
}

/* The expectation for metric, added in file order. */
static cli_expect *expect_slot(cli_run_config *cfg, const char *metric) {
  for (int i = 0; i < cfg->n_expect; i++)
    if (strcmp(cfg->expect[i].metric, metric) == 0)
      return &cfg->expect[i];
  if (cfg->n_expect == CLI_MAX_EXPECT)
    return NULL;
  cli_expect *x = &cfg->expect[cfg->n_expect++];
  crl_params_defaults(expect_fields, x);
  snprintf(x->metric, sizeof x->metric, "%s", metric);
  return x;
}

static int read_expect_entry(const cli_cfg_entry *e, cli_run_config *cfg,
                             char *err, size_t size) {
  const char *rest = e->key + strlen("expect.");
  const char *dot = strchr(rest, '.');
  char metric[64];
  size_t len = dot ? (size_t)(dot - rest) : strlen(rest);
  snprintf(metric, sizeof metric, "%.*s", (int)len, rest);
  if (len >= sizeof metric || !is_metric(metric))
    return fail_metric(e, metric, err, size);
  if (dot == NULL || is_empty_map(e))
    return cli_cfg_fail(
        e, 1, err, size,
        "'%s' expects a mapping like {min: -200} (keys min, max, "
        "by_step, by_episode, smooth)",
        e->key);
  const char *field = dot + 1;
  if (crl_params_find(expect_fields, field) == NULL) {
    const char *near = crl_params_suggest(expect_fields, field);
    return cli_cfg_fail(e, 0, err, size, "unknown key '%s'%s%s%s", e->key,
                        near ? " (did you mean '" : "", near ? near : "",
                        near ? "'?)" : "");
  }
  cli_expect *x = expect_slot(cfg, metric);
  if (x == NULL)
    return cli_cfg_fail(e, 0, err, size, "more than %d expectations",
                        CLI_MAX_EXPECT);
  if (crl_params_set(expect_fields, x, field, e->value)) {
    char why[CLI_ERR_SIZE];
    snprintf(why, sizeof why, "%s", crl_last_error());
    return cli_cfg_fail(e, 1, err, size, "%s", why);
  }
  return 0;
}

/* Each expectation has a bound and makes sense for its metric. */
static int check_expect(const cli_cfg_entries *entries, const cli_expect *x,
                        char *err, size_t size) {
  char key[128];
  snprintf(key, sizeof key, "expect.%s.", x->metric);
  const cli_cfg_entry *e = NULL;
  for (int i = 0; i < entries->n && e == NULL; i++)
    if (strncmp(entries->v[i].key, key, strlen(key)) == 0)
      e = &entries->v[i];
  if (isnan(x->min) && isnan(x->max))
    return cli_cfg_fail(e, 0, err, size, "'expect.%s' needs min or max",
                        x->metric);
  if (x->by_step > 0 && x->by_episode > 0)
    return cli_cfg_fail(e, 0, err, size,
                        "'expect.%s': give by_step or by_episode, not both",
                        x->metric);
  if (strcmp(x->metric, "final_eval_return_mean") == 0 &&
      (x->by_step > 0 || x->by_episode > 0 || x->smooth > 1))
    return cli_cfg_fail(
        e, 0, err, size,
        "'expect.final_eval_return_mean' is one number per run; "
        "by_step, by_episode and smooth apply to progress.csv "
        "columns (e.g. eval_return_mean)");
  return 0;
}

int cli_config_read_expect(const cli_cfg_entries *entries, cli_run_config *cfg,
                           char *err, size_t size) {
  cfg->n_expect = 0;
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (strcmp(e->key, "expect") == 0 && is_empty_map(e))
      continue;
    if (strcmp(e->key, "expect") == 0)
      return cli_cfg_fail(e, 1, err, size,
                          "'expect' expects a mapping like "
                          "{final_eval_return_mean: {min: -200}}");
    if (strncmp(e->key, "expect.", 7) == 0 &&
        read_expect_entry(e, cfg, err, size))
      return -1;
  }
  for (int i = 0; i < cfg->n_expect; i++)
    if (check_expect(entries, &cfg->expect[i], err, size))
      return -1;
  return 0;
}

/* ---- env_kwargs ---------------------------------------------------------- */

static uint64_t fnv1a(const char *s, uint64_t h) {
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* "Base{k=v,k2=v2}", or "Base{#<hash>}" when that is too long: the same
 * settings always give the same name, so a type is registered once. */
static void configured_name(const cli_run_config *cfg, char *buf, size_t size) {
  int n = snprintf(buf, size, "%s{", cfg->keys.env);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < cfg->n_env_kwargs; i++) {
    const cli_env_kwarg *k = &cfg->env_kwargs[i];
    h = fnv1a(k->value, fnv1a("=", fnv1a(k->key, fnv1a(";", h))));
    if (n >= 0 && (size_t)n < size)
      n += snprintf(buf + n, size - (size_t)n, "%s%s=%s", i ? "," : "", k->key,
                    k->value);
  }
  if (n >= 0 && (size_t)n + 1 < size) {
    snprintf(buf + n, size - (size_t)n, "}");
    return;
  }
  snprintf(buf, size, "%.80s{#%016llx}", cfg->keys.env, (unsigned long long)h);
}

/* Check one setting against the env's table, located at its entry. */
static int check_env_kwarg(const cli_cfg_entry *e, const crl_env_type *base,
                           void *scratch, const char *key, char *err,
                           size_t size) {
  if (base->params == NULL)
    return cli_cfg_fail(e, 0, err, size, "env '%s' has no settings",
                        base->name);
  if (crl_params_find(base->params, key) == NULL) {
    const char *near = crl_params_suggest(base->params, key);
    return cli_cfg_fail(e, 0, err, size, "env '%s' has no setting '%s'%s%s%s",
                        base->name, key, near ? " (did you mean '" : "",
                        near ? near : "", near ? "'?)" : "");
  }
  if (is_empty_map(e) || crl_params_set(base->params, scratch, key, e->value)) {
    char why[CLI_ERR_SIZE];
    snprintf(why, sizeof why, "%s",
             is_empty_map(e) ? "expects a value, not a mapping"
                             : crl_last_error());
    return cli_cfg_fail(e, 1, err, size, "env_kwargs: %s", why);
  }
  return 0;
}

static int collect_env_kwargs(const cli_cfg_entries *entries,
                              cli_run_config *cfg, const crl_env_type *base,
                              void *scratch, const cli_cfg_entry **first,
                              char *err, size_t size) {
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (strcmp(e->key, "env_kwargs") == 0) {
      if (is_empty_map(e))
        continue;
      return cli_cfg_fail(
          e, 1, err, size,
          "'env_kwargs' expects a mapping of the env's settings");
    }
    if (strncmp(e->key, "env_kwargs.", 11) != 0)
      continue;
    const char *key = e->key + 11;
    if (cfg->n_env_kwargs == CLI_MAX_ENV_KWARGS ||
        strlen(key) >= sizeof cfg->env_kwargs[0].key)
      return cli_cfg_fail(e, 0, err, size, "too many or too long env_kwargs");
    if (check_env_kwarg(e, base, scratch, key, err, size))
      return -1;
    cli_env_kwarg *k = &cfg->env_kwargs[cfg->n_env_kwargs++];
    snprintf(k->key, sizeof k->key, "%s", key);
    snprintf(k->value, sizeof k->value, "%s", e->value);
    if (*first == NULL)
      *first = e;
  }
  return 0;
}

static int register_configured(const cli_run_config *cfg, char *name) {
  if (crl_env_find(name) != NULL)
    return 0; /* the same settings, registered by an earlier load */
  const char *keys[CLI_MAX_ENV_KWARGS], *values[CLI_MAX_ENV_KWARGS];
  for (int i = 0; i < cfg->n_env_kwargs; i++) {
    keys[i] = cfg->env_kwargs[i].key;
    values[i] = cfg->env_kwargs[i].value;
  }
  return crl_env_register_configured(name, cfg->keys.env, cfg->n_env_kwargs,
                                     keys, values);
}

int cli_config_read_env_kwargs(const cli_cfg_entries *entries,
                               cli_run_config *cfg, char *err, size_t size) {
  snprintf(cfg->env_name, sizeof cfg->env_name, "%.127s", cfg->keys.env);
  cfg->n_env_kwargs = 0;
  const crl_env_type *base = crl_env_find(cfg->keys.env);
  if (base == NULL)
    return 0; /* reported by the env name check */
  void *scratch = calloc(1, base->self_size ? base->self_size : 1);
  if (scratch == NULL) {
    snprintf(err, size, "%s: error: out of memory", cfg->source);
    return -1;
  }
  if (base->self_template)
    memcpy(scratch, base->self_template, base->self_size);
  else if (base->params)
    crl_params_defaults(base->params, scratch);
  const cli_cfg_entry *first = NULL;
  int rc = collect_env_kwargs(entries, cfg, base, scratch, &first, err, size);
  free(scratch);
  if (rc || cfg->n_env_kwargs == 0)
    return rc;
  char name[sizeof cfg->env_name];
  configured_name(cfg, name, sizeof name);
  if (register_configured(cfg, name)) {
    char why[CLI_ERR_SIZE];
    snprintf(why, sizeof why, "%s", crl_last_error());
    return cli_cfg_fail(first, 0, err, size, "env_kwargs: %s", why);
  }
  snprintf(cfg->env_name, sizeof cfg->env_name, "%s", name);
  return 0;
}

/* ---- writing them back --------------------------------------------------- */

static void write_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if (*s == '\n')
      fputs("\\n", f);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\x%02x", (unsigned char)*s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

static void write_expect(FILE *f, const cli_expect *x) {
  char num[64];
  const char *sep = "";
  fprintf(f, "  %s: {", x->metric);
  if (!isnan(x->min)) {
    cli_format_double(x->min, num, sizeof num);
    fprintf(f, "min: %s", num);
    sep = ", ";
  }
  if (!isnan(x->max)) {
    cli_format_double(x->max, num, sizeof num);
    fprintf(f, "%smax: %s", sep, num);
  }
  if (x->by_step > 0)
    fprintf(f, ", by_step: %d", x->by_step);
  if (x->by_episode > 0)
    fprintf(f, ", by_episode: %d", x->by_episode);
  if (x->smooth > 1)
    fprintf(f, ", smooth: %d", x->smooth);
  fputs("}\n", f);
}

void cli_config_write_sections(const cli_run_config *cfg, FILE *f) {
  if (cfg->n_env_kwargs > 0) {
    fputs("env_kwargs:\n", f);
    for (int i = 0; i < cfg->n_env_kwargs; i++) {
      fprintf(f, "  %s: ", cfg->env_kwargs[i].key);
      write_quoted(f, cfg->env_kwargs[i].value);
      fputc('\n', f);
    }
  }
  if (cfg->n_expect > 0) {
    fputs("expect:\n", f);
    for (int i = 0; i < cfg->n_expect; i++)
      write_expect(f, &cfg->expect[i]);
  }
}
