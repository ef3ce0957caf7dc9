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
#include "config/yaml_walk.h"

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
                                 int maps_in_lists, cli_cfg_entries *out,
                                 char *err, size_t size) {
  int pairs = 0;
  cli_yaml_walk w = {doc, path, 1, out, err, size, &pairs, maps_in_lists};
  yaml_node_t *root = yaml_document_get_root_node(doc);
  if (root == NULL ||
      (root->type == YAML_SCALAR_NODE && root->data.scalar.value[0] == '\0')) {
    snprintf(err, size,
             "%s:1:1: error: the file is empty; an experiment needs at least "
             "env, algo and n_timesteps",
             path);
    return -1;
  }
  if (root->type != YAML_MAPPING_NODE)
    return cli_yaml_fail(
        &w, root,
        "an experiment file must be a mapping of keys (env: ..., "
        "algo: ..., ...)");
  int first = out->n;
  if (cli_yaml_flatten(&w, NULL, NULL, root, 0))
    return -1;
  return cli_cfg_check_flat_duplicates(out, first, err, size);
}

/* libyaml's parse time grows with the square of the nesting depth (40,000
 * nested '[' take 10 s), and loading a document reads all of it before its
 * depth can be checked. So the events are read first, and the text is
 * refused at the first collection nested deeper than any experiment can be
 * (mappings and lists together), after reading only that far. */
#define MAX_EVENT_DEPTH (2 * CLI_YAML_MAX_DEPTH + 2)

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
                            int maps_in_lists, cli_cfg_entries *out, char *err,
                            size_t err_size) {
  yaml_document_t doc;
  if (load_single_document(parser, origin, &doc, err, err_size))
    return -1;
  int rc =
      flatten_file_document(&doc, origin, maps_in_lists, out, err, err_size);
  yaml_document_delete(&doc);
  return rc;
}

/* Experiment files are small; a larger file is refused before it is read. */
#define MAX_FILE_BYTES (4L << 20)

static int load_text(const char *text, const char *origin, int maps_in_lists,
                     cli_cfg_entries *out, char *err, size_t err_size);

int cli_cfg_load_yaml_file(const char *path, int maps_in_lists,
                           cli_cfg_entries *out, char *err, size_t err_size) {
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
    rc = load_text(text, path, maps_in_lists, out, err, err_size);
  }
  free(text);
  return rc;
}

int cli_cfg_load_yaml(const char *path, cli_cfg_entries *out, char *err,
                      size_t err_size) {
  return cli_cfg_load_yaml_file(path, 0, out, err, err_size);
}

int cli_cfg_load_yaml_text(const char *text, const char *origin,
                           cli_cfg_entries *out, char *err, size_t err_size) {
  return load_text(text, origin, 0, out, err, err_size);
}

static int load_text(const char *text, const char *origin, int maps_in_lists,
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
    rc = load_and_flatten(&parser, origin, maps_in_lists, out, err, err_size);
  yaml_parser_delete(&parser);
  return rc;
}

/* ---- --set KEY=VALUE -------------------------------------------------- */

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
    cli_yaml_walk w = {&doc, origin, 0, parsed, err, size, &pairs, 0};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) { /* `--set target_kl=` means null */
      yaml_node_t empty = {.type = YAML_SCALAR_NODE};
      empty.data.scalar.value = (yaml_char_t *)"";
      rc = cli_yaml_add_entry(&w, key, NULL, &empty, "");
    } else {
      rc = cli_yaml_flatten(&w, key, NULL, root, 1);
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
    if (rc == 0 && cli_cfg_replace_or_append(entries, &parsed.v[i]) == 0)
      continue;
    if (rc == 0)
      snprintf(err, err_size, "%s: error: out of memory", origin);
    rc = -1;
    cli_cfg_entry_free(&parsed.v[i]);
  }
  free(parsed.v);
  return rc;
}
