/* One YAML document to flattened entries: libyaml's document API walks it,
 * nested mappings become dotted keys and sequences "[a, b]" text, each entry
 * remembering the line and column of its key and value for messages.
 * libyaml resolves anchors and aliases (an alias is the anchored node
 * itself); `<<` merge keys are YAML 1.1's, so they are resolved here. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_text.h"
#include "config/yaml_walk.h"

int cli_yaml_fail(const cli_yaml_walk *w, const yaml_node_t *node,
                  const char *fmt, ...) {
  int n;
  if (w->positions && node != NULL)
    n = snprintf(w->err, w->err_size, "%s:%d:%d: error: ", w->origin,
                 (int)node->start_mark.line + 1,
                 (int)node->start_mark.column + 1);
  else
    n = snprintf(w->err, w->err_size, "%s: error: ", w->origin);
  if (n >= 0 && (size_t)n < w->err_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err + n, w->err_size - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const char *scalar_text(const yaml_node_t *node) {
  return (const char *)node->data.scalar.value;
}

static int is_merge_key(const yaml_node_t *key) {
  return key->type == YAML_SCALAR_NODE && strcmp(scalar_text(key), "<<") == 0;
}

/* ---- sequences as text ------------------------------------------------ */

typedef struct text_buf {
  char data[CLI_YAML_MAX_SEQ_TEXT];
  size_t len;
  int overflow;
} text_buf;

static void text_append(text_buf *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n >= sizeof t->data) {
    t->overflow = 1;
    return;
  }
  memcpy(t->data + t->len, s, n + 1);
  t->len += n;
}

/* A scalar item as it is when that reads back as the same string, else
 * double-quoted, so that a comma, bracket or '#' inside an item stays part
 * of it. */
static int append_item(text_buf *t, const char *item) {
  if (cli_yaml_is_plain(item)) {
    text_append(t, item);
    return 0;
  }
  char quoted[CLI_YAML_MAX_SEQ_TEXT];
  if (cli_yaml_quote(item, quoted, sizeof quoted) < 0)
    return -1;
  text_append(t, quoted);
  return 0;
}

static int render_node(const cli_yaml_walk *w, const yaml_node_t *node,
                       const char *key, int depth, text_buf *t);

static int render_sequence(const cli_yaml_walk *w, const yaml_node_t *seq,
                           const char *key, int depth, text_buf *t) {
  text_append(t, "[");
  int first = 1;
  for (yaml_node_item_t *it = seq->data.sequence.items.start;
       it < seq->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node(w->doc, *it);
    if (t->overflow) /* aliases could make the walk exponential */
      break;
    text_append(t, first ? "" : ", ");
    first = 0;
    if (item->type == YAML_MAPPING_NODE && !w->maps_in_lists)
      return cli_yaml_fail(w, item,
                           "'%s' lists a mapping; a list may hold only "
                           "numbers, strings or lists",
                           key);
    if (render_node(w, item, key, depth + 1, t))
      return -1;
  }
  text_append(t, "]");
  return 0;
}

/* A mapping inside a list, as flow text (only with maps_in_lists). */
static int render_mapping(const cli_yaml_walk *w, const yaml_node_t *map,
                          const char *key, int depth, text_buf *t) {
  text_append(t, "{");
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top && !t->overflow; pair++) {
    text_append(t, pair == map->data.mapping.pairs.start ? "" : ", ");
    if (render_node(w, yaml_document_get_node(w->doc, pair->key), key,
                    depth + 1, t))
      return -1;
    text_append(t, ": ");
    if (render_node(w, yaml_document_get_node(w->doc, pair->value), key,
                    depth + 1, t))
      return -1;
  }
  text_append(t, "}");
  return 0;
}

static int render_node(const cli_yaml_walk *w, const yaml_node_t *node,
                       const char *key, int depth, text_buf *t) {
  if (node->type != YAML_SCALAR_NODE && depth > CLI_YAML_MAX_DEPTH)
    return cli_yaml_fail(w, node, "'%s' is nested more than %d levels deep",
                         key, CLI_YAML_MAX_DEPTH);
  int rc = node->type == YAML_SCALAR_NODE ? append_item(t, scalar_text(node))
           : node->type == YAML_SEQUENCE_NODE
               ? render_sequence(w, node, key, depth, t)
               : render_mapping(w, node, key, depth, t);
  if (rc == 0 && !t->overflow)
    return 0;
  if (rc && w->err[0] != '\0')
    return -1;
  return cli_yaml_fail(w, node, "'%s' is longer than %d characters", key,
                       CLI_YAML_MAX_SEQ_TEXT);
}

/* ---- mappings to dotted keys ------------------------------------------ */

int cli_yaml_add_entry(const cli_yaml_walk *w, const char *key,
                       const yaml_node_t *key_node,
                       const yaml_node_t *value_node, const char *value) {
  if (w->out->n >= CLI_YAML_MAX_ENTRIES)
    return cli_yaml_fail(w, value_node, "more than %d keys (alias expansion?)",
                         CLI_YAML_MAX_ENTRIES);
  cli_cfg_entry e = {0};
  e.key = cli_cfg_dup_text(key);
  e.value = cli_cfg_dup_text(value);
  e.origin = cli_cfg_dup_text(w->origin);
  if (w->positions) {
    const yaml_node_t *k = key_node ? key_node : value_node;
    e.key_line = (int)k->start_mark.line + 1;
    e.key_col = (int)k->start_mark.column + 1;
    e.value_line = (int)value_node->start_mark.line + 1;
    e.value_col = (int)value_node->start_mark.column + 1;
  }
  if (e.key == NULL || e.value == NULL || e.origin == NULL ||
      cli_cfg_entries_push(w->out, e)) {
    cli_cfg_entry_free(&e);
    return cli_yaml_fail(w, NULL, "out of memory");
  }
  return 0;
}

/* Keys of one mapping, sorted by text and then position, to find
 * duplicates in n log n (a file with many keys must not take minutes). */
typedef struct key_ref {
  const char *text;
  int index;
} key_ref;

static int compare_key_ref(const void *a, const void *b) {
  const key_ref *x = a, *y = b;
  int c = strcmp(x->text, y->text);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Every key of a mapping is a non-empty scalar, and the pairs of the
 * whole document stay within the bound (empty mappings count too). */
static int check_mapping_keys(const cli_yaml_walk *w, const yaml_node_t *map,
                              const char *prefix) {
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++) {
    yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);
    if (++*w->pairs > CLI_YAML_MAX_ENTRIES)
      return cli_yaml_fail(w, key, "more than %d keys (alias expansion?)",
                           CLI_YAML_MAX_ENTRIES);
    if (key->type != YAML_SCALAR_NODE || scalar_text(key)[0] == '\0')
      return cli_yaml_fail(w, key, "keys must be plain names%s%s%s",
                           prefix ? " (in '" : "", prefix ? prefix : "",
                           prefix ? "')" : "");
  }
  return 0;
}

/* A later pair of the same mapping with the same key is an error: YAML
 * says keys are unique, and silently taking one would hide a mistake. The
 * message names the earliest pair that repeats a key. */
static int check_duplicate_keys(const cli_yaml_walk *w, const yaml_node_t *map,
                                const char *prefix) {
  const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
  int n = (int)(map->data.mapping.pairs.top - pairs);
  if (n < 2)
    return 0;
  key_ref *refs = malloc((size_t)n * sizeof *refs);
  if (refs == NULL)
    return cli_yaml_fail(w, NULL, "out of memory");
  for (int i = 0; i < n; i++)
    refs[i] =
        (key_ref){scalar_text(yaml_document_get_node(w->doc, pairs[i].key)), i};
  qsort(refs, (size_t)n, sizeof *refs, compare_key_ref);
  int later = -1, first = -1;
  for (int i = 1; i < n; i++)
    if (strcmp(refs[i].text, refs[i - 1].text) == 0 &&
        (i < 2 || strcmp(refs[i - 1].text, refs[i - 2].text) != 0) &&
        (later < 0 || refs[i].index < later)) {
      later = refs[i].index;
      first = refs[i - 1].index;
    }
  free(refs);
  if (later < 0)
    return 0;
  const yaml_node_t *key = yaml_document_get_node(w->doc, pairs[later].key);
  const yaml_node_t *other = yaml_document_get_node(w->doc, pairs[first].key);
  return cli_yaml_fail(w, key,
                       "duplicate key '%s%s%s' (first given at line %d)",
                       prefix ? prefix : "", prefix ? "." : "",
                       scalar_text(key), (int)other->start_mark.line + 1);
}

/* The pairs a mapping means once its merges are resolved, in precedence
 * order: its own keys, then each merged mapping's (recursively), a key
 * taken only the first time it is seen. */
typedef struct pair_list {
  const yaml_node_pair_t **v;
  int n, cap;
} pair_list;

static int pair_taken(const cli_yaml_walk *w, const pair_list *l,
                      const char *key) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(scalar_text(yaml_document_get_node(w->doc, l->v[i]->key)),
               key) == 0)
      return 1;
  return 0;
}

static int pair_add(const cli_yaml_walk *w, pair_list *l,
                    const yaml_node_pair_t *p) {
  if (pair_taken(w, l, scalar_text(yaml_document_get_node(w->doc, p->key))))
    return 0;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 16;
    const yaml_node_pair_t **v = realloc(l->v, (size_t)cap * sizeof *v);
    if (v == NULL)
      return cli_yaml_fail(w, NULL, "out of memory");
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = p;
  return 0;
}

static int collect_pairs(const cli_yaml_walk *w, const yaml_node_t *map,
                         const char *prefix, int depth, pair_list *l);

static int is_list_of_mappings(const cli_yaml_walk *w,
                               const yaml_node_t *value) {
  if (value->type != YAML_SEQUENCE_NODE)
    return 0;
  for (yaml_node_item_t *it = value->data.sequence.items.start;
       it < value->data.sequence.items.top; it++)
    if (yaml_document_get_node(w->doc, *it)->type != YAML_MAPPING_NODE)
      return 0;
  return 1;
}

static int collect_merge(const cli_yaml_walk *w, const yaml_node_t *value,
                         const char *prefix, int depth, pair_list *l) {
  if (value->type == YAML_MAPPING_NODE)
    return collect_pairs(w, value, prefix, depth + 1, l);
  if (!is_list_of_mappings(w, value))
    return cli_yaml_fail(w, value,
                         "'<<' merges a mapping (<<: *name) or a list of "
                         "mappings (<<: [*a, *b])%s%s%s",
                         prefix ? " (in '" : "", prefix ? prefix : "",
                         prefix ? "')" : "");
  for (yaml_node_item_t *it = value->data.sequence.items.start;
       it < value->data.sequence.items.top; it++)
    if (collect_pairs(w, yaml_document_get_node(w->doc, *it), prefix, depth + 1,
                      l))
      return -1;
  return 0;
}

static int collect_pairs(const cli_yaml_walk *w, const yaml_node_t *map,
                         const char *prefix, int depth, pair_list *l) {
  if (depth > CLI_YAML_MAX_DEPTH)
    return cli_yaml_fail(w, map, "merges nested more than %d levels deep",
                         CLI_YAML_MAX_DEPTH);
  if (check_mapping_keys(w, map, prefix) ||
      check_duplicate_keys(w, map, prefix))
    return -1;
  yaml_node_pair_t *p;
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    if (!is_merge_key(yaml_document_get_node(w->doc, p->key)) &&
        pair_add(w, l, p))
      return -1;
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    if (is_merge_key(yaml_document_get_node(w->doc, p->key)) &&
        collect_merge(w, yaml_document_get_node(w->doc, p->value), prefix,
                      depth, l))
      return -1;
  return 0;
}

static int flatten_mapping(const cli_yaml_walk *w, const char *prefix,
                           const yaml_node_t *key_node, const yaml_node_t *map,
                           int depth) {
  pair_list l = {0};
  if (collect_pairs(w, map, prefix, 0, &l)) {
    free(l.v);
    return -1;
  }
  /* `foo: {}` is kept as an entry, so that an unknown or misspelt key
   * written as an empty mapping is still reported. */
  int rc = 0;
  if (prefix != NULL && l.n == 0)
    rc = cli_yaml_add_entry(w, prefix, key_node, map, CLI_CFG_EMPTY_MAP);
  for (int i = 0; rc == 0 && i < l.n; i++) {
    yaml_node_t *key = yaml_document_get_node(w->doc, l.v[i]->key);
    yaml_node_t *value = yaml_document_get_node(w->doc, l.v[i]->value);
    char full[CRL_STRING_MAX];
    int n = snprintf(full, sizeof full, "%s%s%s", prefix ? prefix : "",
                     prefix ? "." : "", scalar_text(key));
    if (n < 0 || (size_t)n >= sizeof full)
      rc = cli_yaml_fail(w, key, "key is too long");
    else
      rc = cli_yaml_flatten(w, full, key, value, depth + 1);
  }
  free(l.v);
  return rc;
}

int cli_yaml_flatten(const cli_yaml_walk *w, const char *prefix,
                     const yaml_node_t *key_node, const yaml_node_t *node,
                     int depth) {
  if (depth > CLI_YAML_MAX_DEPTH)
    return cli_yaml_fail(w, node, "'%s' is nested more than %d levels deep",
                         prefix, CLI_YAML_MAX_DEPTH);
  switch (node->type) {
  case YAML_MAPPING_NODE:
    return flatten_mapping(w, prefix, key_node, node, depth);
  case YAML_SEQUENCE_NODE: {
    text_buf t = {.len = 0, .overflow = 0};
    t.data[0] = '\0';
    w->err[0] = '\0';
    if (render_node(w, node, prefix, depth, &t))
      return -1;
    return cli_yaml_add_entry(w, prefix, key_node, node, t.data);
  }
  case YAML_SCALAR_NODE:
    return cli_yaml_add_entry(w, prefix, key_node, node, scalar_text(node));
  default:
    return cli_yaml_fail(w, node, "unexpected YAML node");
  }
}
