/* The resolved experiment as YAML: every runner key and every algorithm
 * parameter with its value, nested back under their dotted prefixes, in a
 * form that `crl train` reads back to the same values. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "config/config_internal.h"
#include "config/yaml_text.h"

/* A name like Pendulum-v1 is written bare; anything else quoted, with
 * every character that libyaml would refuse or fold escaped. */
static void write_string(FILE *f, const char *s) {
  if (isalpha((unsigned char)s[0]) && cli_yaml_is_plain(s)) {
    fputs(s, f);
    return;
  }
  char quoted[CRL_STRING_MAX * 8];
  if (cli_yaml_quote(s, quoted, sizeof quoted) < 0)
    quoted[0] = '\0'; /* cannot happen: an escape is at most 6 bytes */
  fputs(quoted, f);
}

static int write_value(FILE *f, const crl_param_def *defs, const void *spec,
                       const crl_param_def *d) {
  char buf[CRL_STRING_MAX * 2];
  if (crl_params_format(defs, spec, d->name, buf, sizeof buf))
    return -1;
  if (d->kind == CRL_PARAM_STRING)
    write_string(f, buf);
  else
    fputs(buf, f);
  fputc('\n', f);
  return 0;
}

static size_t group_length(const char *name) {
  const char *dot = strchr(name, '.');
  return dot ? (size_t)(dot - name) : 0;
}

/* Was the group of d (the part before its first dot) already written by an
 * earlier entry? */
static int group_written_before(const crl_param_def *defs,
                                const crl_param_def *d) {
  size_t n = group_length(d->name);
  for (const crl_param_def *p = defs; p < d; p++)
    if (group_length(p->name) == n && strncmp(p->name, d->name, n) == 0)
      return 1;
  return 0;
}

typedef int (*skip_fn)(const crl_param_def *d, const void *spec);

static int write_group(FILE *f, const crl_param_def *defs, const void *spec,
                       const crl_param_def *first, skip_fn skip) {
  size_t n = group_length(first->name);
  fprintf(f, "%.*s:\n", (int)n, first->name);
  for (const crl_param_def *d = first; d->name; d++) {
    if (group_length(d->name) != n || strncmp(d->name, first->name, n) != 0 ||
        (skip && skip(d, spec)))
      continue;
    fprintf(f, "  %s: ", d->name + n + 1);
    if (write_value(f, defs, spec, d))
      return -1;
  }
  return 0;
}

static int write_table(FILE *f, const crl_param_def *defs, const void *spec,
                       skip_fn skip) {
  for (const crl_param_def *d = defs; d->name; d++) {
    if (skip && skip(d, spec))
      continue;
    if (group_length(d->name) == 0) {
      fprintf(f, "%s: ", d->name);
      if (write_value(f, defs, spec, d))
        return -1;
    } else if (!group_written_before(defs, d) &&
               write_group(f, defs, spec, d, skip)) {
      return -1;
    }
  }
  return 0;
}

/* `seeds` carries the seed list; empty labels are left out. */
static int skip_runner_key(const crl_param_def *d, const void *spec) {
  const cli_run_keys *k = spec;
  if (strcmp(d->name, "seed") == 0)
    return 1;
  /* One form of the seeds: the list, or {from, count}. */
  if (strcmp(d->name, "seeds") == 0)
    return k->seeds_count > 0;
  if (strncmp(d->name, "seeds.", 6) == 0)
    return k->seeds_count == 0;
  if (strcmp(d->name, "n_episodes") == 0)
    return k->n_episodes == 0;
  if (strncmp(d->name, "reference.", 10) == 0)
    return isnan(k->reference_value);
  if (strncmp(d->name, "stop_at.", 8) == 0)
    return isnan(k->stop_at_eval_return);
  if (strncmp(d->name, "distributed.", 12) == 0)
    return !k->data_parallel;
  if (strcmp(d->name, "name") == 0)
    return k->name[0] == '\0';
  if (strcmp(d->name, "description") == 0)
    return k->description[0] == '\0';
  return 0;
}

int cli_config_write_yaml(const cli_run_config *cfg, FILE *f) {
  fprintf(f, "# Resolved experiment (crl %s, from %s).\n", crl_version(),
          cfg->source);
  fprintf(f, "# `crl train` reads this file back to the same settings.\n");
  return cli_config_write_body(cfg, f);
}

int cli_config_write_body(const cli_run_config *cfg, FILE *f) {
  cli_config_write_plugins(cfg, f);
  if (write_table(f, cli_run_key_defs, &cfg->keys, skip_runner_key))
    return -1;
  cli_config_write_sections(cfg, f);
  fprintf(f, "\n# %s parameters (`crl algos %s` documents them)\n",
          cfg->algo->name, cfg->algo->name);
  if (write_table(f, cfg->algo->params, cfg->algo_spec, NULL))
    return -1;
  return ferror(f) ? -1 : 0;
}
