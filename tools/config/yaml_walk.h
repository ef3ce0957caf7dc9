/* Internal to config/: flattening a libyaml document into entries
 * (yaml_walk.c) and the entry helpers the loaders share
 * (config_entries.c). */
#ifndef TOOLS_YAML_WALK_H
#define TOOLS_YAML_WALK_H

#include <yaml.h>

#include "config/run_config.h"

/* Bounds that keep alias expansion ("billion laughs") and deep nesting from
 * exhausting memory or the stack. */
#define CLI_YAML_MAX_DEPTH 16
#define CLI_YAML_MAX_ENTRIES 4096
#define CLI_YAML_MAX_SEQ_TEXT 4096

/* What a walk over one document needs to report where things are. */
typedef struct cli_yaml_walk {
  yaml_document_t *doc;
  const char *origin;
  int positions; /* 0 for --set values: they have no file position */
  cli_cfg_entries *out;
  char *err;
  size_t err_size;
  int *pairs; /* mapping pairs seen so far, empty ones included */
  /* 1: a mapping inside a list is kept as flow text ("{a: 1}") instead of
   * being an error; for files (RL Zoo's) whose other entries may hold
   * what an experiment never does, refused only if the entry is used. */
  int maps_in_lists;
} cli_yaml_walk;

/* Flatten node under the dotted prefix (NULL at the root mapping); key_node
 * is the key that names it (NULL at the root). `<<` merge keys take the
 * pairs of the mapping (or list of mappings) they name, the mapping's own
 * keys first, then earlier merges before later ones. */
int cli_yaml_flatten(const cli_yaml_walk *w, const char *prefix,
                     const yaml_node_t *key_node, const yaml_node_t *node,
                     int depth);

/* An entry for key with value's text and positions. */
int cli_yaml_add_entry(const cli_yaml_walk *w, const char *key,
                       const yaml_node_t *key_node,
                       const yaml_node_t *value_node, const char *value);

/* "FILE:LINE:COL: error: " and the message (positions off: "FILE: error:"). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int cli_yaml_fail(const cli_yaml_walk *w, const yaml_node_t *node,
                  const char *fmt, ...);

/* cli_cfg_load_yaml with the choice of keeping mappings inside lists as
 * flow text (config_yaml.c). */
int cli_cfg_load_yaml_file(const char *path, int maps_in_lists,
                           cli_cfg_entries *out, char *err, size_t err_size);

/* ---- entries (config_entries.c) ------------------------------------------ */

char *cli_cfg_dup_text(const char *s);
void cli_cfg_entry_free(cli_cfg_entry *e);
int cli_cfg_entries_push(cli_cfg_entries *entries, cli_cfg_entry e);

/* Replace the entry with e's key (freeing it) or append e; e is then owned
 * by entries. 0, or -1 when out of memory (e not taken). */
int cli_cfg_replace_or_append(cli_cfg_entries *entries, cli_cfg_entry *e);

/* Two entries from index `from` on with the same dotted key are an error
 * naming the later one (`a: {b: 1}` and `a.b: 2`). */
int cli_cfg_check_flat_duplicates(const cli_cfg_entries *e, int from, char *err,
                                  size_t size);

#endif
