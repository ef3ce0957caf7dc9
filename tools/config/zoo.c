/* RL Zoo files (see zoo.h). The whole file is flattened (with `<<:` merges
 * resolved and mappings inside lists kept as text, so that another env's
 * wrapper list does not stop this one), the env's entry is picked, and its
 * keys are translated by zoo_rules.c. */
#include "config/zoo.h"

#include <ctype.h>
#include <string.h>

#include "config/yaml_walk.h"
#include "config/zoo_rules.h"

/* ---- the file and its entries ------------------------------------------- */

/* The env id of a flattened key: what comes before the first dot. */
static size_t id_length(const char *key) {
  const char *dot = strchr(key, '.');
  return dot ? (size_t)(dot - key) : strlen(key);
}

static int has_entry(const cli_cfg_entries *file, const char *id) {
  size_t n = strlen(id);
  for (int i = 0; i < file->n; i++)
    if (id_length(file->v[i].key) == n && strncmp(file->v[i].key, id, n) == 0)
      return 1;
  return 0;
}

/* "Hopper-v4" -> the length of "Hopper-v", or 0 without a version. */
static size_t version_stem(const char *id) {
  size_t n = strlen(id);
  while (n > 0 && isdigit((unsigned char)id[n - 1]))
    n--;
  return n >= 2 && n < strlen(id) && id[n - 1] == 'v' && id[n - 2] == '-' ? n
                                                                          : 0;
}

/* Another version of id in the file (entries) or among crl's envs. */
static int other_version_in_file(const cli_cfg_entries *file, const char *id,
                                 char *buf, size_t size) {
  size_t stem = version_stem(id);
  for (int i = 0; stem && i < file->n; i++) {
    const char *k = file->v[i].key;
    size_t n = id_length(k);
    if (n <= stem || n >= size || strncmp(k, id, stem) != 0)
      continue;
    snprintf(buf, size, "%.*s", (int)n, k);
    if (version_stem(buf) == stem)
      return 1;
  }
  return 0;
}

static const char *crl_version_of(const char *id) {
  if (crl_env_find(id))
    return id;
  size_t stem = version_stem(id);
  for (int i = 0; stem && i < crl_env_count(); i++) {
    const char *name = crl_env_at(i)->name;
    if (strncmp(name, id, stem) == 0 && strlen(name) > stem &&
        version_stem(name) == stem)
      return name;
  }
  return NULL;
}

/* Up to a dozen entry names, for messages. */
static void list_entries(const cli_cfg_entries *file, char *buf, size_t size) {
  size_t len = 0;
  int shown = 0;
  buf[0] = '\0';
  for (int i = 0; i < file->n && len + 1 < size; i++) {
    size_t n = id_length(file->v[i].key);
    if (i > 0 && id_length(file->v[i - 1].key) == n &&
        strncmp(file->v[i - 1].key, file->v[i].key, n) == 0)
      continue;
    if (shown++ == 12) {
      snprintf(buf + len, size - len, ", ...");
      return;
    }
    int w = snprintf(buf + len, size - len, "%s%.*s", shown > 1 ? ", " : "",
                     (int)n, file->v[i].key);
    len += w > 0 ? (size_t)w : 0;
  }
}

/* The algorithm: given, or the file's name without its extension. */
static const crl_algo_type *zoo_algo(const char *path, const char *algo,
                                     char *err, size_t size) {
  char stem[CRL_STRING_MAX];
  if (algo == NULL) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strchr(stem, '.');
    if (dot)
      *dot = '\0';
    algo = stem;
  }
  const crl_algo_type *t = crl_algo_find(algo);
  if (t == NULL)
    snprintf(err, size,
             "%s: error: crl has no algorithm '%s' (%s; `crl algos` lists "
             "them, --algo NAME names the file's algorithm)",
             path, algo, algo == stem ? "from the file's name" : "--algo");
  return t;
}

/* The entries of id (keys without "id."), or of default: if there is none. */
static int select_entry(const cli_cfg_entries *file, const char *path,
                        const char *env, cli_cfg_entries *entry, char *note,
                        size_t note_size, char *err, size_t size) {
  const char *id = env;
  char other[CRL_STRING_MAX], names[1024];
  if (!has_entry(file, env)) {
    list_entries(file, names, sizeof names);
    if (other_version_in_file(file, env, other, sizeof other)) {
      snprintf(err, size,
               "%s: error: no entry for '%s', but one for '%s': --env %s "
               "takes its settings (and runs it on crl's %s)",
               path, env, other, other,
               crl_version_of(env) ? crl_version_of(env) : env);
      return -1;
    }
    if (!has_entry(file, "default")) {
      snprintf(err, size,
               "%s: error: no entry for '%s' and no 'default' entry; the "
               "file has %s",
               path, env, names);
      return -1;
    }
    id = "default";
    snprintf(note, note_size,
             "%s has no entry for %s: using its 'default' entry, as RL Zoo "
             "does",
             path, env);
  }
  size_t n = strlen(id);
  for (int i = 0; i < file->n; i++) {
    const cli_cfg_entry *e = &file->v[i];
    if (id_length(e->key) != n || strncmp(e->key, id, n) != 0)
      continue;
    if (e->key[n] != '.') {
      snprintf(err, size, "%s:%d:%d: error: the entry '%s' is not a mapping",
               path, e->key_line, e->key_col, id);
      return -1;
    }
    if (cli_cfg_put(entry, e, e->key + n + 1, NULL)) {
      snprintf(err, size, "%s: error: out of memory", path);
      return -1;
    }
  }
  return 0;
}

/* Where keys crl adds are said to come from: the first key of entries
 * (the zoo entry's), in the zoo file path. */
static cli_cfg_entry first_key_of(const cli_cfg_entries *entries,
                                  const char *path) {
  cli_cfg_entry at = {0};
  if (entries->n > 0)
    at = entries->v[0];
  at.origin = (char *)path;
  return at;
}

/* env: and algo:, placed at the entry's first key. */
static int add_run_keys(cli_cfg_entries *out, const cli_cfg_entries *entry,
                        const char *env, const crl_algo_type *algo,
                        const char *path, char *err, size_t size) {
  const cli_cfg_entry at = first_key_of(entry, path);
  if (cli_cfg_put(out, &at, "env", env) ||
      cli_cfg_put(out, &at, "algo", algo->name)) {
    snprintf(err, size, "%s: error: out of memory", path);
    return -1;
  }
  return 0;
}

/* Gymnasium's v4 defaults that its v5 changed and a v5 setting restores
 * (the version history of each v5 task). A zoo entry for a v4 id runs on
 * crl's v5 task with these, unless it sets the key itself, so that it
 * means what the zoo ran: Ant-v4 observed 27 values (no contact forces)
 * and charged no contact cost; Humanoid-v4 charged none either. The
 * other tasks' v5 changes are to their models or bugs, not to a setting.
 * (The zoo's v3 benchmark saw contact forces of zero, and so no cost.) */
static const struct {
  const char *id, *key, *value;
} v4_defaults[] = {
    {"Ant-v4", "include_cfrc_ext_in_observation", "false"},
    {"Ant-v4", "contact_cost_weight", "0"},
    {"Humanoid-v4", "contact_cost_weight", "0"},
};

/* v4_defaults of env into out, each named in note. */
static int add_v4_defaults(cli_cfg_entries *out, const char *env,
                           const char *path, char *note, size_t note_size,
                           char *err, size_t err_size) {
  const size_t n_rows = sizeof v4_defaults / sizeof v4_defaults[0];
  int first = 1;
  for (size_t i = 0; i < n_rows; i++) {
    char key[CRL_STRING_MAX];
    if (strcmp(v4_defaults[i].id, env) != 0)
      continue;
    snprintf(key, sizeof key, "env_kwargs.%s", v4_defaults[i].key);
    if (cli_cfg_find(out, key) >= 0)
      continue; /* the entry's own setting wins */
    const cli_cfg_entry at = first_key_of(out, path);
    if (cli_cfg_put(out, &at, key, v4_defaults[i].value)) {
      snprintf(err, err_size, "%s: error: out of memory", path);
      return -1;
    }
    size_t n = strlen(note);
    snprintf(note + n, note_size - n, "%s%s=%s",
             first ? ", with Gymnasium's v4 defaults " : ", ", key,
             v4_defaults[i].value);
    first = 0;
  }
  return 0;
}

int cli_zoo_entries(const char *path, const char *env, const char *algo,
                    cli_cfg_entries *out, char *note, size_t note_size,
                    char *err, size_t err_size) {
  note[0] = '\0';
  const crl_algo_type *type = zoo_algo(path, algo, err, err_size);
  if (type == NULL)
    return -1;
  const char *crl_env = crl_version_of(env);
  if (crl_env == NULL) {
    snprintf(err, err_size,
             "%s: error: crl has no env '%s' (`crl envs` lists them)", path,
             env);
    return -1;
  }
  cli_cfg_entries file = {0}, entry = {0};
  int rc = cli_cfg_load_yaml_file(path, 1, &file, err, err_size);
  if (rc == 0)
    rc = select_entry(&file, path, env, &entry, note, note_size, err, err_size);
  if (rc == 0 && strcmp(crl_env, env) != 0) {
    size_t n = strlen(note);
    snprintf(note + n, note_size - n,
             "%scrl has %s, not %s: the entry's settings run on %s",
             n ? "\n" : "", crl_env, env, crl_env);
  }
  if (rc == 0)
    rc = add_run_keys(out, &entry, crl_env, type, path, err, err_size);
  if (rc == 0)
    rc = cli_zoo_translate(type, &entry, out, err, err_size);
  if (rc == 0 && strcmp(crl_env, env) != 0)
    rc = add_v4_defaults(out, env, path, note, note_size, err, err_size);
  cli_cfg_entries_free(&file);
  cli_cfg_entries_free(&entry);
  return rc;
}

/* ---- telling a zoo file from an experiment ------------------------------ */

int cli_zoo_hint(const char *path, char *hint, size_t hint_size) {
  cli_cfg_entries file = {0};
  char err[CLI_ERR_SIZE], id[CRL_STRING_MAX] = "";
  int zoo = cli_cfg_load_yaml_file(path, 1, &file, err, sizeof err) == 0;
  for (int i = 0; zoo && i < file.n; i++) {
    const char *k = file.v[i].key;
    size_t n = id_length(k);
    if (k[n] == '\0') /* a top-level scalar: env:, algo:, ... */
      zoo = 0;
    else if (id[0] == '\0' && n < sizeof id) {
      snprintf(id, sizeof id, "%.*s", (int)n, k);
      if (!version_stem(id) || !crl_version_of(id))
        id[0] = '\0'; /* an example that crl can run, if there is one */
    }
  }
  zoo = zoo && id[0] != '\0';
  if (zoo) {
    char names[1024];
    list_entries(&file, names, sizeof names);
    snprintf(hint, hint_size,
             "%s looks like an RL Zoo hyperparameter file (entries %s); "
             "run one entry with `crl train --zoo %s --env %s`",
             path, names, path, id);
  }
  cli_cfg_entries_free(&file);
  return zoo;
}
