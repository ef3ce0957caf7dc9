/* Grids: `grid: {learning_rate: [1e-3, 3e-4], policy_kwargs.net_arch:
 * [[64, 64], [32, 32]]}` becomes four configurations, each validated on
 * its own (a value that is wrong for one point is reported with the
 * point's name). Points are ordered with the first axis slowest, and that
 * order is the order of summary.json and of every table. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "config/experiment.h"
#include "config/yaml_text.h"
#include "config/zoo.h"

/* ---- reading the grid entries ------------------------------------------- */

static char *dup_range(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

int cli_grid_split_list(const char *text, cli_grid_axis *axis) {
  size_t len = strlen(text);
  if (len < 3 || text[0] != '[' || text[len - 1] != ']')
    return -1;
  int depth = 0, quoted = 0;
  const char *start = text + 1;
  for (const char *p = text + 1; p < text + len; p++) {
    if (quoted) {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        quoted = 0;
    } else if (*p == '"')
      quoted = 1;
    else if (*p == '[')
      depth++;
    else if (*p == ']' && depth > 0)
      depth--;
    else if (*p == ',' || (*p == ']' && depth == 0)) {
      if (depth > 0)
        continue;
      while (start < p && isspace((unsigned char)*start))
        start++;
      char **v = realloc(axis->values, (size_t)(axis->n + 1) * sizeof *v);
      if (v == NULL)
        return -1;
      axis->values = v;
      if ((v[axis->n] = dup_range(start, (size_t)(p - start))) == NULL)
        return -1;
      axis->n++;
      start = p + 1;
    }
  }
  return axis->n > 0 && !quoted ? 0 : -1;
}

static int fail_entry(const cli_cfg_entry *e, int at_value, const char *what,
                      char *err, size_t size) {
  cli_cfg_where(e, at_value, err, size);
  size_t n = strlen(err);
  snprintf(err + n, size - n, "%s", what);
  return -1;
}

static int is_seed_key(const char *key) {
  return strcmp(key, "seed") == 0 || strncmp(key, "seeds", 5) == 0;
}

static int read_axis(const cli_cfg_entry *e, cli_experiment *x, char *err,
                     size_t size) {
  const char *key = e->key + strlen("grid.");
  if (x->n_axes == CLI_MAX_GRID_AXES)
    return fail_entry(e, 0, "a grid has at most 8 keys", err, size);
  if (is_seed_key(key) || cli_cfg_is_section_key(key))
    return fail_entry(
        e, 0,
        "'grid' cannot vary seeds, expect, env_kwargs, plugins or grid "
        "(seeds are run for every point anyway)",
        err, size);
  cli_grid_axis *a = &x->axes[x->n_axes++];
  snprintf(a->key, sizeof a->key, "%s", key);
  if (cli_grid_split_list(e->value, a) == 0)
    return 0;
  char what[CRL_STRING_MAX + 96];
  snprintf(what, sizeof what,
           "'grid.%s' expects a list of values, like [1e-3, 3e-4], got "
           "\"%.80s\"",
           key, e->value);
  return fail_entry(e, 1, what, err, size);
}

/* ---- names --------------------------------------------------------------- */

void cli_grid_value_name(const char *value, char *buf, size_t size) {
  size_t n = 0;
  for (const char *p = value; *p && n + 1 < size; p++) {
    if (*p == '[' || *p == ']' || *p == ' ' || *p == '"' || *p == '\'')
      continue;
    buf[n++] = *p == ','                                          ? '-'
               : isalnum((unsigned char)*p) || strchr("._+-", *p) ? *p
                                                                  : '_';
  }
  buf[n] = '\0';
  if (n == 0)
    snprintf(buf, size, "empty");
}

const char *cli_experiment_value(const cli_experiment *x, int p, int axis) {
  int index = p;
  for (int a = x->n_axes - 1; a > axis; a--)
    index /= x->axes[a].n;
  return x->axes[axis].values[index % x->axes[axis].n];
}

static int point_name(const cli_experiment *x, int p, char **out) {
  char name[CRL_STRING_MAX] = "", part[CRL_STRING_MAX];
  size_t used = 0;
  for (int a = 0; a < x->n_axes; a++) {
    cli_grid_value_name(cli_experiment_value(x, p, a), part, sizeof part);
    int w = snprintf(name + used, sizeof name - used, "%s%s=%s", a ? "_" : "",
                     x->axes[a].key, part);
    if (w < 0 || (size_t)w >= sizeof name - used)
      return -1;
    used += (size_t)w;
  }
  return (*out = dup_range(name, used)) ? 0 : -1;
}

static int check_unique_names(const cli_experiment *x, const char *source,
                              char *err, size_t size) {
  for (int i = 1; i < x->n_points; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(x->names[i], x->names[j]) == 0) {
        snprintf(err, size,
                 "%s: error: two grid points get the directory name '%s'",
                 source, x->names[i]);
        return -1;
      }
  return 0;
}

/* ---- expanding ----------------------------------------------------------- */

/* The entries of point p: the file's without grid.*, plus each axis' value
 * located at its grid entry. */
static int point_entries(const cli_cfg_entries *all, const cli_experiment *x,
                         int p, cli_cfg_entries *out) {
  int rc = 0;
  for (int i = 0; rc == 0 && i < all->n; i++)
    if (!cli_cfg_key_in(all->v[i].key, "grid"))
      rc = cli_cfg_put(out, &all->v[i], NULL, NULL);
  for (int a = 0; rc == 0 && a < x->n_axes; a++) {
    char grid_key[CRL_STRING_MAX + 8];
    snprintf(grid_key, sizeof grid_key, "grid.%s", x->axes[a].key);
    /* A quoted item of the list is the string it quotes. */
    const char *item = cli_experiment_value(x, p, a);
    char *value = malloc(strlen(item) + 1);
    if (value == NULL || cli_yaml_unquote(item, value, strlen(item) + 1) < 0)
      rc = -1;
    else
      rc = cli_cfg_put(out, &all->v[cli_cfg_find(all, grid_key)],
                       x->axes[a].key, value);
    free(value);
  }
  return rc;
}

static int validate_point(const cli_cfg_entries *all, cli_experiment *x, int p,
                          const char *source, char *err, size_t size) {
  cli_cfg_entries e = {0};
  if (point_entries(all, x, p, &e)) {
    cli_cfg_entries_free(&e);
    snprintf(err, size, "%s: error: out of memory", source);
    return -1;
  }
  int rc = cli_config_from_entries(&e, source, &x->points[p], err, size);
  cli_cfg_entries_free(&e);
  if (rc && x->n_axes > 0) {
    size_t n = strlen(err);
    snprintf(err + n, size - n, " (grid point %s)", x->names[p]);
  }
  return rc;
}

static int read_axes(const cli_cfg_entries *all, cli_experiment *x, char *err,
                     size_t size) {
  for (int i = 0; i < all->n; i++) {
    const cli_cfg_entry *e = &all->v[i];
    if (strcmp(e->key, "grid") == 0 && strcmp(e->value, CLI_CFG_EMPTY_MAP) != 0)
      return fail_entry(e, 1,
                        "'grid' expects a mapping of keys to lists of values",
                        err, size);
    if (strncmp(e->key, "grid.", 5) == 0 && read_axis(e, x, err, size))
      return -1;
  }
  return 0;
}

static int expand(const cli_cfg_entries *entries, const char *source,
                  cli_experiment *x, char *err, size_t err_size) {
  if (read_axes(entries, x, err, err_size))
    return -1;
  long n = 1;
  for (int a = 0; a < x->n_axes && n <= CLI_MAX_GRID_POINTS; a++)
    n *= x->axes[a].n;
  if (n > CLI_MAX_GRID_POINTS) {
    snprintf(err, err_size, "%s: error: the grid has more than %d points",
             source, CLI_MAX_GRID_POINTS);
    return -1;
  }
  x->points = calloc((size_t)n, sizeof *x->points);
  x->names = calloc((size_t)n, sizeof *x->names);
  if (x->points == NULL || x->names == NULL) {
    snprintf(err, err_size, "%s: error: out of memory", source);
    return -1;
  }
  x->n_points = (int)n; /* unvalidated points stay zero: safe to free */
  for (int p = 0; p < n; p++)
    if (point_name(x, p, &x->names[p])) {
      snprintf(err, err_size, "%s: error: grid point names are too long",
               source);
      return -1;
    }
  if (check_unique_names(x, source, err, err_size))
    return -1;
  for (int p = 0; p < n; p++)
    if (validate_point(entries, x, p, source, err, err_size))
      return -1;
  return 0;
}

int cli_experiment_from_entries(const cli_cfg_entries *entries,
                                const char *source, cli_experiment *x,
                                char *err, size_t err_size) {
  memset(x, 0, sizeof *x);
  if (expand(entries, source, x, err, err_size) == 0)
    return 0;
  cli_experiment_free(x);
  return -1;
}

/* Overrides, validation and --seed on entries already read. */
static int finish_load(cli_cfg_entries *entries, const char *path,
                       const char *const *sets, int n_sets, int seed,
                       cli_experiment *x, char *err, size_t err_size) {
  int rc = 0;
  for (int i = 0; rc == 0 && i < n_sets; i++)
    rc = cli_cfg_apply_set(entries, sets[i], err, err_size);
  if (rc == 0)
    rc = cli_experiment_from_entries(entries, path, x, err, err_size);
  for (int p = 0; rc == 0 && seed >= 0 && p < x->n_points; p++)
    cli_config_set_single_seed(&x->points[p], seed);
  return rc;
}

int cli_experiment_load(const char *path, const char *const *sets, int n_sets,
                        int seed, cli_experiment *x, char *err,
                        size_t err_size) {
  cli_cfg_entries entries = {0};
  memset(x, 0, sizeof *x);
  int rc = cli_cfg_load_yaml(path, &entries, err, err_size);
  if (rc == 0)
    rc = finish_load(&entries, path, sets, n_sets, seed, x, err, err_size);
  cli_cfg_entries_free(&entries);
  return rc;
}

int cli_experiment_load_zoo(const char *path, const char *env, const char *algo,
                            const char *const *sets, int n_sets, int seed,
                            cli_experiment *x, char *note, size_t note_size,
                            char *err, size_t err_size) {
  cli_cfg_entries entries = {0};
  memset(x, 0, sizeof *x);
  int rc = cli_zoo_entries(path, env, algo, &entries, note, note_size, err,
                           err_size);
  if (rc == 0)
    rc = finish_load(&entries, path, sets, n_sets, seed, x, err, err_size);
  cli_cfg_entries_free(&entries);
  return rc;
}

int cli_experiment_write_yaml(const cli_experiment *x, FILE *f) {
  if (cli_config_write_yaml(&x->points[0], f))
    return -1;
  if (x->n_axes == 0)
    return 0;
  fputs("\n# Every combination of these values is a run of its own (the "
        "values above\n# are the first one's).\ngrid:\n",
        f);
  for (int a = 0; a < x->n_axes; a++) {
    fprintf(f, "  %s: [", x->axes[a].key);
    for (int i = 0; i < x->axes[a].n; i++)
      fprintf(f, "%s%s", i ? ", " : "", x->axes[a].values[i]);
    fputs("]\n", f);
  }
  return ferror(f) ? -1 : 0;
}

void cli_experiment_free(cli_experiment *x) {
  for (int p = 0; x->points && p < x->n_points; p++)
    cli_config_free(&x->points[p]);
  for (int p = 0; x->names && p < x->n_points; p++)
    free(x->names[p]);
  for (int a = 0; a < x->n_axes; a++) {
    for (int i = 0; i < x->axes[a].n; i++)
      free(x->axes[a].values[i]);
    free(x->axes[a].values);
  }
  free(x->points);
  free(x->names);
  memset(x, 0, sizeof *x);
}

char *cli_experiment_yaml_text(const cli_experiment *x) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return NULL;
  int rc = cli_experiment_write_yaml(x, f);
  if (fclose(f) != 0 || rc != 0) {
    free(text);
    return NULL;
  }
  return text;
}
