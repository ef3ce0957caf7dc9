/* YAML to flattened entries: libyaml's document API walks the file, nested
 * mappings become dotted keys and sequences "[a, b]" text, each entry
 * remembering the line and column of its key and value for messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/run_config.h"
#include "config/yaml_text.h"

/* Bounds that keep alias expansion ("billion laughs") and deep nesting from
 * exhausting memory or the stack. */
#define MAX_DEPTH 16
#define MAX_ENTRIES 4096
#define MAX_SEQ_TEXT 4096

/* What a walk over one document needs to report where things are. */
typedef struct walk {
  yaml_document_t *doc;
  const char *origin;
  int positions; /* 0 for --set values: they have no file position */
  cli_cfg_entries *out;
  char *err;
  size_t err_size;
  int *pairs; /* mapping pairs seen so far, empty ones included */
} walk;

static char *dup_text(const char *s) {
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

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
fail_at(const walk *w, const yaml_node_t *node, char *err, size_t size,
        const char *fmt, ...) {
  int n;
  if (w->positions && node != NULL)
    n = snprintf(err, size, "%s:%d:%d: error: ", w->origin,
                 (int)node->start_mark.line + 1,
                 (int)node->start_mark.column + 1);
  else
    n = snprintf(err, size, "%s: error: ", w->origin);
  if (n >= 0 && (size_t)n < size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, size - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int cli_cfg_find(const cli_cfg_entries *entries, const char *key) {
  for (int i = 0; i < entries->n; i++)
    if (strcmp(entries->v[i].key, key) == 0)
      return i;
  return -1;
}

static void entry_free(cli_cfg_entry *e) {
  free(e->key);
  free(e->value);
  free(e->origin);
}

void cli_cfg_entries_free(cli_cfg_entries *entries) {
  for (int i = 0; i < entries->n; i++)
    entry_free(&entries->v[i]);
  free(entries->v);
  entries->v = NULL;
  entries->n = entries->cap = 0;
}

static int entries_push(cli_cfg_entries *entries, cli_cfg_entry e) {
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

static const char *scalar_text(const yaml_node_t *node) {
  return (const char *)node->data.scalar.value;
}

int cli_cfg_put(cli_cfg_entries *entries, const cli_cfg_entry *from,
                const char *key, const char *value) {
  cli_cfg_entry e = *from;
  e.key = dup_text(key ? key : from->key);
  e.value = dup_text(value ? value : from->value);
  e.origin = dup_text(from->origin);
  if (e.key == NULL || e.value == NULL || e.origin == NULL) {
    entry_free(&e);
    return -1;
  }
  int i = cli_cfg_find(entries, e.key);
  if (i >= 0) {
    entry_free(&entries->v[i]);
    entries->v[i] = e;
    return 0;
  }
  if (entries_push(entries, e)) {
    entry_free(&e);
    return -1;
  }
  return 0;
}

/* ---- sequences as text ------------------------------------------------ */

typedef struct text_buf {
  char data[MAX_SEQ_TEXT];
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
  char quoted[MAX_SEQ_TEXT];
  if (cli_yaml_quote(item, quoted, sizeof quoted) < 0)
    return -1;
  text_append(t, quoted);
  return 0;
}

static int render_sequence(const walk *w, const yaml_node_t *seq,
                           const char *key, int depth, text_buf *t) {
  if (depth > MAX_DEPTH)
    return fail_at(w, seq, w->err, w->err_size,
                   "'%s' is nested more than %d levels deep", key, MAX_DEPTH);
  text_append(t, "[");
  int first = 1;
  for (yaml_node_item_t *it = seq->data.sequence.items.start;
       it < seq->data.sequence.items.top; it++) {
    yaml_node_t *item = yaml_document_get_node(w->doc, *it);
    if (t->overflow) /* aliases could make the walk exponential */
      break;
    text_append(t, first ? "" : ", ");
    first = 0;
    if (item->type == YAML_SCALAR_NODE) {
      if (append_item(t, scalar_text(item)))
        return fail_at(w, seq, w->err, w->err_size,
                       "'%s' is longer than %d characters", key, MAX_SEQ_TEXT);
    } else if (item->type == YAML_SEQUENCE_NODE) {
      if (render_sequence(w, item, key, depth + 1, t))
        return -1;
    } else
      return fail_at(w, item, w->err, w->err_size,
                     "'%s' lists a mapping; a list may hold only numbers, "
                     "strings or lists",
                     key);
  }
  text_append(t, "]");
  if (t->overflow)
    return fail_at(w, seq, w->err, w->err_size,
                   "'%s' is longer than %d characters", key, MAX_SEQ_TEXT);
  return 0;
}

/* ---- mappings to dotted keys ------------------------------------------ */

static int add_entry(const walk *w, const char *key,
                     const yaml_node_t *key_node, const yaml_node_t *value_node,
                     const char *value) {
  if (w->out->n >= MAX_ENTRIES)
    return fail_at(w, value_node, w->err, w->err_size,
                   "more than %d keys (alias expansion?)", MAX_ENTRIES);
  cli_cfg_entry e = {0};
  e.key = dup_text(key);
  e.value = dup_text(value);
  e.origin = dup_text(w->origin);
  if (w->positions) {
    const yaml_node_t *k = key_node ? key_node : value_node;
    e.key_line = (int)k->start_mark.line + 1;
    e.key_col = (int)k->start_mark.column + 1;
    e.value_line = (int)value_node->start_mark.line + 1;
    e.value_col = (int)value_node->start_mark.column + 1;
  }
  if (e.key == NULL || e.value == NULL || e.origin == NULL ||
      entries_push(w->out, e)) {
    entry_free(&e);
    return fail_at(w, NULL, w->err, w->err_size, "out of memory");
  }
  return 0;
}

static int flatten(const walk *w, const char *prefix,
                   const yaml_node_t *key_node, const yaml_node_t *node,
                   int depth);

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
 * whole document stay within MAX_ENTRIES (empty mappings count too). */
static int check_mapping_keys(const walk *w, const yaml_node_t *map,
                              const char *prefix) {
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++) {
    yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);
    if (++*w->pairs > MAX_ENTRIES)
      return fail_at(w, key, w->err, w->err_size,
                     "more than %d keys (alias expansion?)", MAX_ENTRIES);
    if (key->type != YAML_SCALAR_NODE || scalar_text(key)[0] == '\0')
      return fail_at(w, key, w->err, w->err_size,
                     "keys must be plain names%s%s%s", prefix ? " (in '" : "",
                     prefix ? prefix : "", prefix ? "')" : "");
  }
  return 0;
}

/* A later pair of the same mapping with the same key is an error: YAML
 * says keys are unique, and silently taking one would hide a mistake. The
 * message names the earliest pair that repeats a key. */
static int check_duplicate_keys(const walk *w, const yaml_node_t *map,
                                const char *prefix) {
  const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
  int n = (int)(map->data.mapping.pairs.top - pairs);
  if (n < 2)
    return 0;
  key_ref *refs = malloc((size_t)n * sizeof *refs);
  if (refs == NULL)
    return fail_at(w, NULL, w->err, w->err_size, "out of memory");
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
  return fail_at(w, key, w->err, w->err_size,
                 "duplicate key '%s%s%s' (first given at line %d)",
                 prefix ? prefix : "", prefix ? "." : "", scalar_text(key),
                 (int)other->start_mark.line + 1);
}

static int flatten_mapping(const walk *w, const char *prefix,
                           const yaml_node_t *key_node, const yaml_node_t *map,
                           int depth) {
  if (check_mapping_keys(w, map, prefix) ||
      check_duplicate_keys(w, map, prefix))
    return -1;
  /* `foo: {}` is kept as an entry, so that an unknown or misspelt key
   * written as an empty mapping is still reported. */
  if (prefix != NULL &&
      map->data.mapping.pairs.top == map->data.mapping.pairs.start)
    return add_entry(w, prefix, key_node, map, CLI_CFG_EMPTY_MAP);
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++) {
    yaml_node_t *key = yaml_document_get_node(w->doc, pair->key);
    yaml_node_t *value = yaml_document_get_node(w->doc, pair->value);
    char full[CRL_STRING_MAX];
    int n = snprintf(full, sizeof full, "%s%s%s", prefix ? prefix : "",
                     prefix ? "." : "", scalar_text(key));
    if (n < 0 || (size_t)n >= sizeof full)
      return fail_at(w, key, w->err, w->err_size, "key is too long");
    if (flatten(w, full, key, value, depth + 1))
      return -1;
  }
  return 0;
}

static int flatten(const walk *w, const char *prefix,
                   const yaml_node_t *key_node, const yaml_node_t *node,
                   int depth) {
  if (depth > MAX_DEPTH)
    return fail_at(w, node, w->err, w->err_size,
                   "'%s' is nested more than %d levels deep", prefix,
                   MAX_DEPTH);
  switch (node->type) {
  case YAML_MAPPING_NODE:
    return flatten_mapping(w, prefix, key_node, node, depth);
  case YAML_SEQUENCE_NODE: {
    text_buf t = {.len = 0, .overflow = 0};
    t.data[0] = '\0';
    if (render_sequence(w, node, prefix, depth, &t))
      return -1;
    return add_entry(w, prefix, key_node, node, t.data);
  }
  case YAML_SCALAR_NODE:
    return add_entry(w, prefix, key_node, node, scalar_text(node));
  default:
    return fail_at(w, node, w->err, w->err_size, "unexpected YAML node");
  }
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
static int check_flat_duplicates(const cli_cfg_entries *e, int from, char *err,
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

/* ---- files ------------------------------------------------------------ */

static int fail_parser(const char *origin, const yaml_parser_t *p, char *err,
                       size_t size) {
  const char *problem = p->problem ? p->problem : "cannot parse";
  int line = (int)p->problem_mark.line + 1;
  int col = (int)p->problem_mark.column + 1;
  if (p->context != NULL)
    snprintf(err, size,
             "%s:%d:%d: error: malformed YAML: %s (%s that started at line "
             "%d)",
             origin, line, col, problem, p->context,
             (int)p->context_mark.line + 1);
  else
    snprintf(err, size, "%s:%d:%d: error: malformed YAML: %s", origin, line,
             col, problem);
  return -1;
}

/* Load the first document; a second one is an error (it would be ignored). */
static int load_single_document(yaml_parser_t *parser, const char *origin,
                                yaml_document_t *doc, char *err, size_t size) {
  if (!yaml_parser_load(parser, doc))
    return fail_parser(origin, parser, err, size);
  yaml_document_t next;
  if (!yaml_parser_load(parser, &next)) {
    yaml_document_delete(doc);
    return fail_parser(origin, parser, err, size);
  }
  yaml_node_t *extra = yaml_document_get_root_node(&next);
  if (extra != NULL) {
    snprintf(err, size,
             "%s:%d:%d: error: a second YAML document; an experiment file "
             "holds one",
             origin, (int)extra->start_mark.line + 1,
             (int)extra->start_mark.column + 1);
    yaml_document_delete(&next);
    yaml_document_delete(doc);
    return -1;
  }
  yaml_document_delete(&next);
  return 0;
}

static int flatten_file_document(yaml_document_t *doc, const char *path,
                                 cli_cfg_entries *out, char *err, size_t size) {
  int pairs = 0;
  walk w = {doc, path, 1, out, err, size, &pairs};
  yaml_node_t *root = yaml_document_get_root_node(doc);
  if (root == NULL ||
      (root->type == YAML_SCALAR_NODE && scalar_text(root)[0] == '\0')) {
    snprintf(err, size,
             "%s:1:1: error: the file is empty; an experiment needs at least "
             "env, algo and n_timesteps",
             path);
    return -1;
  }
  if (root->type != YAML_MAPPING_NODE)
    return fail_at(&w, root, err, size,
                   "an experiment file must be a mapping of keys (env: ..., "
                   "algo: ..., ...)");
  int first = out->n;
  if (flatten_mapping(&w, NULL, NULL, root, 0))
    return -1;
  return check_flat_duplicates(out, first, err, size);
}

/* libyaml's parse time grows with the square of the nesting depth (40,000
 * nested '[' take 10 s), and loading a document reads all of it before its
 * depth can be checked. So the events are read first, and the text is
 * refused at the first collection nested deeper than any experiment can be
 * (mappings and lists together), after reading only that far. */
#define MAX_EVENT_DEPTH (2 * MAX_DEPTH + 2)

static int check_nesting(const unsigned char *text, size_t len,
                         const char *origin, char *err, size_t size) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, size, "%s: error: out of memory", origin);
    return -1;
  }
  yaml_parser_set_input_string(&parser, text, len);
  int depth = 0, rc = 0;
  for (;;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev))
      break; /* the loader reports malformed YAML with its context */
    yaml_event_type_t type = ev.type;
    if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
      depth++;
    else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
      depth--;
    if (depth > MAX_EVENT_DEPTH) {
      snprintf(err, size,
               "%s:%d:%d: error: mappings and lists nested more than %d "
               "levels deep",
               origin, (int)ev.start_mark.line + 1,
               (int)ev.start_mark.column + 1, MAX_EVENT_DEPTH);
      rc = -1;
    }
    yaml_event_delete(&ev);
    if (rc || type == YAML_STREAM_END_EVENT)
      break;
  }
  yaml_parser_delete(&parser);
  return rc;
}

/* Parse what the parser was given (a file or a string) under origin. */
static int load_and_flatten(yaml_parser_t *parser, const char *origin,
                            cli_cfg_entries *out, char *err, size_t err_size) {
  yaml_document_t doc;
  if (load_single_document(parser, origin, &doc, err, err_size))
    return -1;
  int rc = flatten_file_document(&doc, origin, out, err, err_size);
  yaml_document_delete(&doc);
  return rc;
}

/* Experiment files are small; a larger file is refused before it is read. */
#define MAX_FILE_BYTES (4L << 20)

int cli_cfg_load_yaml(const char *path, cli_cfg_entries *out, char *err,
                      size_t err_size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, err_size, "%s: error: cannot open: %s", path,
             strerror(errno));
    return -1;
  }
  char *text = malloc(MAX_FILE_BYTES + 1);
  size_t n = text ? fread(text, 1, MAX_FILE_BYTES + 1, f) : 0;
  int failed = ferror(f);
  fclose(f);
  int rc = -1;
  if (text == NULL)
    snprintf(err, err_size, "%s: error: out of memory", path);
  else if (failed)
    snprintf(err, err_size, "%s: error: cannot read: %s", path,
             strerror(errno));
  else if (n > MAX_FILE_BYTES)
    snprintf(err, err_size,
             "%s: error: larger than %ld MiB; an experiment file is a few "
             "KiB",
             path, MAX_FILE_BYTES >> 20);
  else if (memchr(text, '\0', n) != NULL)
    snprintf(err, err_size, "%s: error: not a text file (it holds a NUL byte)",
             path);
  else {
    text[n] = '\0';
    rc = cli_cfg_load_yaml_text(text, path, out, err, err_size);
  }
  free(text);
  return rc;
}

int cli_cfg_load_yaml_text(const char *text, const char *origin,
                           cli_cfg_entries *out, char *err, size_t err_size) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, err_size, "%s: error: out of memory", origin);
    return -1;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                               strlen(text));
  int rc = check_nesting((const unsigned char *)text, strlen(text), origin, err,
                         err_size);
  if (rc == 0)
    rc = load_and_flatten(&parser, origin, out, err, err_size);
  yaml_parser_delete(&parser);
  return rc;
}

/* ---- --set KEY=VALUE -------------------------------------------------- */

static int replace_or_append(cli_cfg_entries *entries, cli_cfg_entry *e) {
  int i = cli_cfg_find(entries, e->key);
  if (i < 0)
    return entries_push(entries, *e);
  entry_free(&entries->v[i]);
  entries->v[i] = *e;
  return 0;
}

/* After the first document: is there another one (or a broken rest)? */
static int has_second_document(yaml_parser_t *parser) {
  yaml_document_t next;
  if (!yaml_parser_load(parser, &next))
    return 1;
  int extra = yaml_document_get_root_node(&next) != NULL;
  yaml_document_delete(&next);
  return extra;
}

/* Parse the value as a one-document YAML string and flatten it under key. */
static int parse_set_value(const char *key, const char *value,
                           const char *origin, cli_cfg_entries *parsed,
                           char *err, size_t size) {
  yaml_parser_t parser;
  yaml_document_t doc;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, size, "%s: error: out of memory", origin);
    return -1;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)value,
                               strlen(value));
  int rc = -1;
  if (check_nesting((const unsigned char *)value, strlen(value), origin, err,
                    size)) {
    /* refused before loading */
  } else if (!yaml_parser_load(&parser, &doc)) {
    snprintf(err, size, "%s: error: malformed value: %s", origin,
             parser.problem ? parser.problem : "cannot parse");
  } else if (has_second_document(&parser)) {
    snprintf(err, size,
             "%s: error: the value holds more than one YAML "
             "document",
             origin);
    yaml_document_delete(&doc);
  } else {
    int pairs = 0;
    walk w = {&doc, origin, 0, parsed, err, size, &pairs};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) { /* `--set target_kl=` means null */
      yaml_node_t empty = {.type = YAML_SCALAR_NODE};
      empty.data.scalar.value = (yaml_char_t *)"";
      rc = add_entry(&w, key, NULL, &empty, "");
    } else {
      rc = flatten(&w, key, NULL, root, 1);
    }
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  return rc;
}

int cli_cfg_apply_set(cli_cfg_entries *entries, const char *arg, char *err,
                      size_t err_size) {
  char origin[CRL_STRING_MAX];
  snprintf(origin, sizeof origin, "--set %s", arg);
  const char *eq = strchr(arg, '=');
  if (eq == NULL || eq == arg) {
    snprintf(err, err_size,
             "%s: error: expected KEY=VALUE, like "
             "--set n_envs=4",
             origin);
    return -1;
  }
  char key[CRL_STRING_MAX];
  size_t key_len = (size_t)(eq - arg);
  if (key_len >= sizeof key) {
    snprintf(err, err_size, "%s: error: key is too long", origin);
    return -1;
  }
  memcpy(key, arg, key_len);
  key[key_len] = '\0';
  cli_cfg_entries parsed = {0};
  int rc = parse_set_value(key, eq + 1, origin, &parsed, err, err_size);
  for (int i = 0; i < parsed.n; i++) {
    if (rc == 0 && replace_or_append(entries, &parsed.v[i]) == 0)
      continue;
    if (rc == 0)
      snprintf(err, err_size, "%s: error: out of memory", origin);
    rc = -1;
    entry_free(&parsed.v[i]);
  }
  free(parsed.v);
  return rc;
}
