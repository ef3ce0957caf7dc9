/* Flattened entries: lookup, replacement, messages with their positions and
 * the duplicate check over dotted keys. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_walk.h"

char *cli_cfg_dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

void cli_cfg_where(const cli_cfg_entry *e, int at_value, char *buf,
                   size_t size) {
  int line = at_value ? e->value_line : e->key_line;
  int col = at_value ? e->value_col : e->key_col;
  if (line > 0)
    snprintf(buf, size, "%s:%d:%d: error: ", e->origin, line, col);
  else
    snprintf(buf, size, "%s: error: ", e->origin);
}

int cli_cfg_fail(const cli_cfg_entry *e, int at_value, char *err, size_t size,
                 const char *fmt, ...) {
  cli_cfg_where(e, at_value, err, size);
  size_t n = strlen(err);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, size - n, fmt, ap);
  va_end(ap);
  return -1;
}

int cli_cfg_find(const cli_cfg_entries *entries, const char *key) {
  for (int i = 0; i < entries->n; i++)
    if (strcmp(entries->v[i].key, key) == 0)
      return i;
  return -1;
}

void cli_cfg_entry_free(cli_cfg_entry *e) {
  free(e->key);
  free(e->value);
  free(e->origin);
}

void cli_cfg_entries_free(cli_cfg_entries *entries) {
  for (int i = 0; i < entries->n; i++)
    cli_cfg_entry_free(&entries->v[i]);
  free(entries->v);
  entries->v = NULL;
  entries->n = entries->cap = 0;
}

int cli_cfg_entries_push(cli_cfg_entries *entries, cli_cfg_entry e) {
  if (entries->n == entries->cap) {
    int cap = entries->cap ? 2 * entries->cap : 32;
    cli_cfg_entry *v = realloc(entries->v, (size_t)cap * sizeof *v);
    if (v == NULL)
      return -1;
    entries->v = v;
    entries->cap = cap;
  }
  entries->v[entries->n++] = e;
  return 0;
}

int cli_cfg_put(cli_cfg_entries *entries, const cli_cfg_entry *from,
                const char *key, const char *value) {
  cli_cfg_entry e = *from;
  e.key = cli_cfg_dup_text(key ? key : from->key);
  e.value = cli_cfg_dup_text(value ? value : from->value);
  e.origin = cli_cfg_dup_text(from->origin);
  if (e.key == NULL || e.value == NULL || e.origin == NULL) {
    cli_cfg_entry_free(&e);
    return -1;
  }
  int i = cli_cfg_find(entries, e.key);
  if (i >= 0) {
    cli_cfg_entry_free(&entries->v[i]);
    entries->v[i] = e;
    return 0;
  }
  if (cli_cfg_entries_push(entries, e)) {
    cli_cfg_entry_free(&e);
    return -1;
  }
  return 0;
}

/* ---- flattened duplicates --------------------------------------------- */

static int compare_entry_key(const void *a, const void *b) {
  const cli_cfg_entry *const *x = a, *const *y = b;
  int c = strcmp((*x)->key, (*y)->key);
  return c ? c : (*x > *y) - (*x < *y); /* then file order */
}

/* `policy_kwargs: {net_arch: ..}` and `policy_kwargs.net_arch: ..` in the
 * same file name the same key twice. Sorted, so n log n; the message names
 * the earliest entry that repeats a key. */
int cli_cfg_check_flat_duplicates(const cli_cfg_entries *e, int from, char *err,
                                  size_t size) {
  int n = e->n - from;
  if (n < 2)
    return 0;
  const cli_cfg_entry **v = malloc((size_t)n * sizeof *v);
  if (v == NULL) {
    snprintf(err, size, "out of memory");
    return -1;
  }
  for (int i = 0; i < n; i++)
    v[i] = &e->v[from + i];
  qsort(v, (size_t)n, sizeof *v, compare_entry_key);
  const cli_cfg_entry *later = NULL, *first = NULL;
  for (int i = 1; i < n; i++)
    if (strcmp(v[i]->key, v[i - 1]->key) == 0 &&
        (i < 2 || strcmp(v[i - 1]->key, v[i - 2]->key) != 0) &&
        (later == NULL || v[i] < later)) {
      later = v[i];
      first = v[i - 1];
    }
  free(v);
  if (later == NULL)
    return 0;
  char where[CRL_STRING_MAX + 64];
  cli_cfg_where(later, 0, where, sizeof where);
  snprintf(err, size, "%sduplicate key '%s' (first given at line %d)", where,
           later->key, first->key_line);
  return -1;
}

int cli_cfg_replace_or_append(cli_cfg_entries *entries, cli_cfg_entry *e) {
  int i = cli_cfg_find(entries, e->key);
  if (i < 0)
    return cli_cfg_entries_push(entries, *e);
  cli_cfg_entry_free(&entries->v[i]);
  entries->v[i] = *e;
  return 0;
}
