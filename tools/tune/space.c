/* Reading and checking the `search:` block (see space.h). */
#include "tune/space.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_text.h"

typedef struct dist_info {
  const char *name;
  int log, integer;
} dist_info;

static const dist_info dists[CLI_DIST_COUNT] = {
#define DIST_INFO(id, name, log, integer) {name, log, integer},
    CLI_DISTRIBUTIONS(DIST_INFO)
#undef DIST_INFO
};

const char *cli_dist_name(cli_dist_kind kind) {
  return dists[kind].name;
}
int cli_dist_is_log(cli_dist_kind kind) {
  return dists[kind].log;
}
int cli_dist_is_int(cli_dist_kind kind) {
  return dists[kind].integer;
}

/* ---- where a parameter lives --------------------------------------------- */

/* Runner keys a trial may vary: the others decide how trials are trained
 * and measured, which must be the same for all of them. */
static const char *const tunable_run_keys[] = {"n_envs"};

/* A scratch copy of the settings the key belongs to, to check values on:
 * the algorithm's spec or the runner's keys, both at their defaults. */
typedef struct scratch {
  const crl_param_def *defs, *def;
  void *spec; /* &keys, or an algorithm spec */
  cli_run_keys keys;
} scratch;

static int is_tunable_run_key(const char *key) {
  for (size_t i = 0; i < sizeof tunable_run_keys / sizeof *tunable_run_keys;
       i++)
    if (strcmp(key, tunable_run_keys[i]) == 0)
      return 1;
  return 0;
}

static int fail(const cli_cfg_entry *e, int at_value, char *err, size_t size,
                const char *what) {
  return cli_cfg_fail(e, at_value, err, size, "%s", what);
}

static int find_def(const cli_cfg_entry *e, const char *key,
                    const cli_run_config *base, scratch *sc, char *err,
                    size_t size) {
  char what[3 * CRL_STRING_MAX];
  if (crl_params_find(cli_run_key_defs, key) != NULL) {
    if (!is_tunable_run_key(key)) {
      snprintf(what, sizeof what,
               "'search.%s': crl tune does not vary '%s': every trial is "
               "trained and measured with the same runner settings (of the "
               "runner's keys only n_envs can be searched)",
               key, key);
      return fail(e, 0, err, size, what);
    }
    sc->defs = cli_run_key_defs;
    crl_params_defaults(cli_run_key_defs, &sc->keys);
    sc->spec = &sc->keys;
  } else if ((sc->def = crl_params_find(base->algo->params, key)) != NULL) {
    sc->defs = base->algo->params;
    if (crl_algo_spec_alloc(base->algo, &sc->spec))
      return fail(e, 0, err, size, "out of memory");
  } else {
    const char *near = crl_params_suggest(base->algo->params, key);
    snprintf(what, sizeof what,
             "'search.%s': algorithm '%s' has no parameter '%s'%s%s%s "
             "(`crl algos %s` lists them)",
             key, base->keys.algo, key, near ? " (did you mean '" : "",
             near ? near : "", near ? "'?)" : "", base->keys.algo);
    return fail(e, 0, err, size, what);
  }
  sc->def = crl_params_find(sc->defs, key);
  return 0;
}

static void scratch_free(scratch *sc) {
  if (sc->spec != NULL && sc->spec != &sc->keys)
    crl_algo_spec_free(sc->spec);
}

static int param_value_text(const cli_search_param *p, double v, char *buf,
                            size_t size);

/* ---- one parameter --------------------------------------------------------
 */

static int parse_number(const char *text, double *v) {
  char *end;
  *v = strtod(text, &end);
  while (*end == ' ')
    end++;
  return end != text && *end == '\0' && isfinite(*v) ? 0 : -1;
}

static int check_value(const cli_cfg_entry *e, const char *key, scratch *sc,
                       const char *text, const char *which, char *err,
                       size_t size) {
  if (crl_params_set(sc->defs, sc->spec, key, text) == 0)
    return 0;
  char what[2 * CRL_STRING_MAX + 1024];
  snprintf(what, sizeof what, "'search.%s': %s (%.80s): %s", key, which, text,
           crl_last_error());
  return fail(e, 1, err, size, what);
}

/* Numeric kinds need a parameter that holds numbers; integers need int_*. */
static int check_kind(const cli_cfg_entry *e, const cli_search_param *p,
                      const crl_param_def *def, char *err, size_t size) {
  char what[2 * CRL_STRING_MAX];
  if (p->kind == CLI_DIST_CHOICE)
    return 0;
  crl_param_kind k = def->kind;
  int real =
      k == CRL_PARAM_REAL || k == CRL_PARAM_REAL_OPT || k == CRL_PARAM_SCHEDULE;
  if (k == CRL_PARAM_INT && !cli_dist_is_int(p->kind)) {
    snprintf(what, sizeof what,
             "'search.%s' takes integers: use int_uniform or int_log_uniform "
             "(or choice), not %s",
             p->key, cli_dist_name(p->kind));
    return fail(e, 0, err, size, what);
  }
  if (k != CRL_PARAM_INT && !real) {
    snprintf(what, sizeof what,
             "'search.%s' is a %s: search it with choice: [...], not %s",
             p->key, crl_param_kind_name(k), cli_dist_name(p->kind));
    return fail(e, 0, err, size, what);
  }
  return 0;
}

static int read_range(const cli_cfg_entry *e, cli_search_param *p, scratch *sc,
                      char *err, size_t size) {
  cli_grid_axis items = {0};
  char what[2 * CRL_STRING_MAX + 128];
  int rc = cli_grid_split_list(e->value, &items);
  if (rc == 0 && items.n == 2)
    rc = parse_number(items.values[0], &p->low) ||
         parse_number(items.values[1], &p->high);
  else
    rc = -1;
  for (int i = 0; i < items.n; i++)
    free(items.values[i]);
  free(items.values);
  if (rc) {
    snprintf(what, sizeof what,
             "'search.%s.%s' expects two numbers [low, high], got \"%.80s\"",
             p->key, cli_dist_name(p->kind), e->value);
    return fail(e, 1, err, size, what);
  }
  if (!(p->low < p->high)) {
    snprintf(what, sizeof what,
             "'search.%s.%s': the range [%g, %g] is empty (low must be below "
             "high)",
             p->key, cli_dist_name(p->kind), p->low, p->high);
    return fail(e, 1, err, size, what);
  }
  if (cli_dist_is_log(p->kind) && p->low <= 0) {
    snprintf(what, sizeof what,
             "'search.%s.%s': a log range needs bounds above 0, got low %g",
             p->key, cli_dist_name(p->kind), p->low);
    return fail(e, 1, err, size, what);
  }
  if (cli_dist_is_int(p->kind) &&
      (p->low != floor(p->low) || p->high != floor(p->high) ||
       fabs(p->low) > 1e9 || fabs(p->high) > 1e9)) {
    snprintf(what, sizeof what,
             "'search.%s.%s': the bounds must be integers, got [%g, %g]",
             p->key, cli_dist_name(p->kind), p->low, p->high);
    return fail(e, 1, err, size, what);
  }
  char text[64];
  for (int b = 0; b < 2; b++) {
    param_value_text(p, b ? p->high : p->low, text, sizeof text);
    if (check_value(e, p->key, sc, text, b ? "the high bound" : "the low bound",
                    err, size))
      return -1;
  }
  return 0;
}

static int read_choices(const cli_cfg_entry *e, cli_search_param *p,
                        scratch *sc, char *err, size_t size) {
  char what[2 * CRL_STRING_MAX + 128];
  if (cli_grid_split_list(e->value, &p->choices)) {
    snprintf(what, sizeof what,
             "'search.%s.choice' expects a non-empty list of values, like "
             "[256, 512], got \"%.80s\"",
             p->key, e->value);
    return fail(e, 1, err, size, what);
  }
  for (int i = 0; i < p->choices.n; i++) {
    char text[CRL_STRING_MAX], which[32];
    /* As written (quotes kept) it goes to params.yaml: it must fit too. */
    if (strlen(p->choices.values[i]) >= CRL_STRING_MAX ||
        cli_yaml_unquote(p->choices.values[i], text, sizeof text) < 0)
      return fail(e, 1, err, size, "a malformed or too long choice");
    snprintf(which, sizeof which, "choice %d", i + 1);
    if (check_value(e, p->key, sc, text, which, err, size))
      return -1;
  }
  return 0;
}

/* "search.KEY.DIST": the parameter and its distribution. */
static int split_key(const cli_cfg_entry *e, cli_search_param *p, char *err,
                     size_t size) {
  const char *key = e->key + strlen("search.");
  const char *dot = strrchr(key, '.');
  for (int k = 0; dot && k < CLI_DIST_COUNT; k++)
    if (strcmp(dot + 1, dists[k].name) == 0 &&
        (size_t)(dot - key) < sizeof p->key) {
      p->kind = (cli_dist_kind)k;
      memcpy(p->key, key, (size_t)(dot - key));
      p->key[dot - key] = '\0';
      return 0;
    }
  char what[2 * CRL_STRING_MAX];
  snprintf(what, sizeof what,
           "'search.%s' needs a distribution, one of uniform, log_uniform, "
           "int_uniform, int_log_uniform or choice, for example "
           "{log_uniform: [1e-5, 1e-2]} or {choice: [256, 512]}",
           key);
  return fail(e, 0, err, size, what);
}

static int read_param(const cli_cfg_entries *entries, int index,
                      const cli_run_config *base, cli_search_space *s,
                      char *err, size_t size) {
  const cli_cfg_entry *e = &entries->v[index];
  if (s->n == CLI_MAX_SEARCH)
    return fail(e, 0, err, size, "a search has at most 16 parameters");
  cli_search_param *p = &s->p[s->n];
  memset(p, 0, sizeof *p);
  if (split_key(e, p, err, size))
    return -1;
  for (int i = 0; i < s->n; i++)
    if (strcmp(s->p[i].key, p->key) == 0) {
      char what[2 * CRL_STRING_MAX];
      snprintf(what, sizeof what, "'search.%s' has a second distribution",
               p->key);
      return fail(e, 0, err, size, what);
    }
  p->entry = index;
  s->n++; /* from here on, cli_search_free frees its choices */
  scratch sc = {0};
  int rc = find_def(e, p->key, base, &sc, err, size);
  if (rc == 0)
    rc = check_kind(e, p, sc.def, err, size);
  if (rc == 0)
    rc = p->kind == CLI_DIST_CHOICE ? read_choices(e, p, &sc, err, size)
                                    : read_range(e, p, &sc, err, size);
  scratch_free(&sc);
  return rc;
}

int cli_search_read(const cli_cfg_entries *entries, const cli_experiment *base,
                    cli_search_space *s, char *err, size_t size) {
  memset(s, 0, sizeof *s);
  const cli_run_config *cfg = &base->points[0];
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (strcmp(e->key, "search") == 0) {
      if (strcmp(e->value, CLI_CFG_EMPTY_MAP) == 0)
        return fail(e, 1, err, size,
                    "'search' is empty: name at least one parameter and its "
                    "distribution");
      return fail(e, 1, err, size,
                  "'search' expects a mapping of parameters to "
                  "distributions, like {learning_rate: {log_uniform: [1e-5, "
                  "1e-2]}}");
    }
    if (strncmp(e->key, "search.", 7) == 0 &&
        read_param(entries, i, cfg, s, err, size))
      return -1;
  }
  if (s->n == 0)
    snprintf(err, size,
             "%s: error: the experiment has no search: block (crl tune "
             "samples the parameters it names; docs/tuning.md)",
             cfg->source);
  return s->n > 0 ? 0 : -1;
}

/* ---- values ----------------------------------------------------------------
 */

/* A value of p as the text of its YAML value (unquoted). */
static int param_value_text(const cli_search_param *p, double v, char *buf,
                            size_t size) {
  if (p->kind == CLI_DIST_CHOICE) {
    int k = (int)v;
    if (k < 0 || k >= p->choices.n)
      return -1;
    return cli_yaml_unquote(p->choices.values[k], buf, size) < 0 ? -1 : 0;
  }
  if (cli_dist_is_int(p->kind))
    return snprintf(buf, size, "%.0f", v) < (int)size ? 0 : -1;
  cli_format_double(v, buf, size);
  return 0;
}

int cli_search_value_text(const cli_search_space *s, int i, double v, char *buf,
                          size_t size) {
  return param_value_text(&s->p[i], v, buf, size);
}

int cli_search_value_parse(const cli_search_space *s, int i, const char *text,
                           double *v) {
  const cli_search_param *p = &s->p[i];
  if (p->kind == CLI_DIST_CHOICE) {
    char c[CRL_STRING_MAX];
    for (int k = 0; k < p->choices.n; k++)
      if (cli_yaml_unquote(p->choices.values[k], c, sizeof c) >= 0 &&
          strcmp(c, text) == 0) {
        *v = k;
        return 0;
      }
    return -1;
  }
  if (parse_number(text, v) || *v < p->low || *v > p->high)
    return -1;
  return cli_dist_is_int(p->kind) && *v != floor(*v) ? -1 : 0;
}

void cli_search_write_yaml(const cli_search_space *s, FILE *f) {
  fputs("\n# The parameters crl tune samples, each from its distribution "
        "(crl train\n# trains the values above).\nsearch:\n",
        f);
  for (int i = 0; i < s->n; i++) {
    const cli_search_param *p = &s->p[i];
    char key[2 * CRL_STRING_MAX + 8];
    if (cli_yaml_is_plain(p->key))
      snprintf(key, sizeof key, "%s", p->key);
    else
      cli_yaml_quote(p->key, key, sizeof key);
    fprintf(f, "  %s: {%s: [", key, cli_dist_name(p->kind));
    if (p->kind == CLI_DIST_CHOICE) {
      for (int k = 0; k < p->choices.n; k++)
        fprintf(f, "%s%s", k ? ", " : "", p->choices.values[k]);
    } else {
      char lo[64], hi[64];
      cli_search_value_text(s, i, p->low, lo, sizeof lo);
      cli_search_value_text(s, i, p->high, hi, sizeof hi);
      fprintf(f, "%s, %s", lo, hi);
    }
    fputs("]}\n", f);
  }
}

void cli_search_free(cli_search_space *s) {
  for (int i = 0; i < s->n; i++) {
    for (int k = 0; k < s->p[i].choices.n; k++)
      free(s->p[i].choices.values[k]);
    free(s->p[i].choices.values);
  }
  memset(s, 0, sizeof *s);
}
