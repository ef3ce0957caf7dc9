/* Loading plugins (plugins.h, crl/plugin.h): dlopen, the ABI check, the
 * entry point, and the registry a plugin registers through. */
#include "config/plugins.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_internal.h"
#include "config/yaml_text.h"
#include "crl/crl.h"

typedef struct registered {
  char kind; /* 'e' env, 'a' algo */
  const char *name;
} registered;

typedef struct loaded_plugin {
  char path[PATH_MAX];
  void *handle;
  int from_command_line;
  int failed;     /* init failed: the same message on a second attempt */
  char why[1024]; /* a registration's or init's failure */
  registered *names;
  int n_names;
} loaded_plugin;

static loaded_plugin plugins[CLI_MAX_PLUGINS];
static int n_plugins;

int cli_plugin_count(void) {
  return n_plugins;
}

const char *cli_plugin_path(int i) {
  return plugins[i].path;
}

int cli_plugin_from_command_line(int i) {
  return plugins[i].from_command_line;
}

/* ---- the registry handed to crl_plugin_init ------------------------------ */

static const loaded_plugin *owner_of(char kind, const char *name) {
  for (int p = 0; p < n_plugins; p++)
    for (int i = 0; i < plugins[p].n_names; i++)
      if (plugins[p].names[i].kind == kind &&
          strcmp(plugins[p].names[i].name, name) == 0)
        return &plugins[p];
  return NULL;
}

/* A failed registration is remembered, so that a plugin that ignores the
 * code still fails to load. */
static int note_failure(loaded_plugin *self, int rc) {
  if (!self->failed)
    snprintf(self->why, sizeof self->why, "%s", crl_last_error());
  self->failed = 1;
  return rc;
}

/* A taken name: say who has it. */
static int refuse_taken(loaded_plugin *self, char kind, const char *name) {
  const char *what = kind == 'e' ? "env" : "algo";
  const loaded_plugin *owner = owner_of(kind, name);
  if (owner == self)
    crl_fail(CRL_EINVAL, "it registers %s '%s' twice", what, name);
  else if (owner)
    crl_fail(CRL_EINVAL, "%s '%s' is already registered by plugin %s", what,
             name, owner->path);
  else
    crl_fail(CRL_EINVAL,
             "%s '%s' is a built-in %s: a plugin cannot replace it (rename "
             "it)",
             what, name, what);
  return note_failure(self, CRL_EINVAL);
}

static int record(loaded_plugin *self, char kind, const char *name) {
  registered *v = realloc(self->names, (size_t)(self->n_names + 1) * sizeof *v);
  if (v == NULL)
    return note_failure(self, crl_fail(CRL_ENOMEM, "out of memory"));
  self->names = v;
  v[self->n_names++] = (registered){kind, name};
  return 0;
}

/* The registered env's own name (a callback env's is a copy). */
static int after_env(loaded_plugin *self, const char *name, int rc) {
  if (rc)
    return note_failure(self, rc);
  return record(self, 'e', crl_env_find(name)->name);
}

static int reg_env(crl_plugin_registry *reg, const crl_env_type *type) {
  loaded_plugin *self = reg->host;
  if (type && type->name && crl_env_find(type->name))
    return refuse_taken(self, 'e', type->name);
  return after_env(self, type ? type->name : NULL, crl_env_register(type));
}

static int reg_env_callbacks(crl_plugin_registry *reg,
                             const crl_env_callbacks *cb) {
  loaded_plugin *self = reg->host;
  if (cb && cb->name && crl_env_find(cb->name))
    return refuse_taken(self, 'e', cb->name);
  return after_env(self, cb ? cb->name : NULL, crl_env_register_callbacks(cb));
}

static int reg_algo(crl_plugin_registry *reg, const crl_algo_type *type) {
  loaded_plugin *self = reg->host;
  if (type && type->name && crl_algo_find(type->name))
    return refuse_taken(self, 'a', type->name);
  int rc = crl_algo_register(type);
  return rc ? note_failure(self, rc) : record(self, 'a', type->name);
}

/* ---- loading ------------------------------------------------------------- */

static loaded_plugin *find_loaded(const char *real) {
  for (int i = 0; i < n_plugins; i++)
    if (strcmp(plugins[i].path, real) == 0)
      return &plugins[i];
  return NULL;
}

/* The file, its ABI and its entry point; the handle stays open on
 * success. */
static int open_plugin(const char *real, void **handle,
                       crl_plugin_init_fn *init, char *why, size_t size) {
  dlerror();
  void *h = dlopen(real, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *e = dlerror();
    snprintf(why, size, "cannot be loaded as a shared object: %s",
             e ? e : "dlopen failed");
    return -1;
  }
  const crl_plugin_abi_info *abi = dlsym(h, CRL_PLUGIN_ABI_SYMBOL);
  void *entry = dlsym(h, CRL_PLUGIN_INIT_SYMBOL);
  if (abi == NULL)
    snprintf(why, size,
             "is not a crl plugin: it defines no '%s' (CRL_PLUGIN_DECLARE() "
             "of crl/plugin.h)",
             CRL_PLUGIN_ABI_SYMBOL);
  else if (abi->version != CRL_PLUGIN_ABI_VERSION)
    snprintf(why, size,
             "was built for crl plugin ABI version %d, and this crl has "
             "version %d: rebuild it against this crl's headers",
             abi->version, CRL_PLUGIN_ABI_VERSION);
  else if (abi->real_size != (int)sizeof(crl_real))
    snprintf(why, size,
             "was built with a crl_real of %d bytes, and this crl is a %s "
             "build (%d bytes): rebuild it against this crl's headers",
             abi->real_size, crl_real_name(), (int)sizeof(crl_real));
  else if (entry == NULL)
    snprintf(why, size, "defines no entry point '%s'", CRL_PLUGIN_INIT_SYMBOL);
  if (abi == NULL || abi->version != CRL_PLUGIN_ABI_VERSION ||
      abi->real_size != (int)sizeof(crl_real) || entry == NULL) {
    dlclose(h);
    return -1;
  }
  /* POSIX guarantees that dlsym's pointer converts to a function pointer. */
  memcpy(init, &entry, sizeof *init);
  *handle = h;
  return 0;
}

/* Before anything of it runs: is it a file? (why: ": reason") */
static int check_file(const char *path, char *real, char *why, size_t size) {
  struct stat st;
  if (realpath(path, real) == NULL || stat(real, &st) != 0) {
    snprintf(why, size, ": %s", strerror(errno));
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(why, size, " is not a file");
    return -1;
  }
  return 0;
}

static int loading_off;

void cli_plugin_loading_off(void) {
  loading_off = 1;
}

int cli_plugin_load(const char *path, int from_command_line,
                    const char **resolved, char *why, size_t size) {
  char real[PATH_MAX], reason[1024];
  if (loading_off) {
    snprintf(why, size, "plugin '%s': loading plugins is off here", path);
    return -1;
  }
  if (check_file(path, real, reason, sizeof reason)) {
    snprintf(why, size, "plugin '%s'%s", path, reason);
    return -1;
  }
  loaded_plugin *p = find_loaded(real);
  if (p == NULL && n_plugins == CLI_MAX_PLUGINS) {
    snprintf(why, size, "plugin '%s': more than %d plugins", path,
             CLI_MAX_PLUGINS);
    return -1;
  }
  if (p == NULL) {
    crl_plugin_init_fn init = NULL;
    p = &plugins[n_plugins];
    memset(p, 0, sizeof *p);
    if (open_plugin(real, &p->handle, &init, reason, sizeof reason)) {
      snprintf(why, size, "plugin '%s' %s", path, reason);
      return -1;
    }
    snprintf(p->path, sizeof p->path, "%s", real);
    /* Kept from here on, even if init fails: it may have registered. */
    n_plugins++;
    crl_plugin_registry reg = {CRL_PLUGIN_ABI_VERSION, p->path,  reg_env,
                               reg_env_callbacks,      reg_algo, p};
    crl_clear_error();
    int rc = init(&reg);
    if (rc && !p->failed)
      snprintf(p->why, sizeof p->why, "%s (%s)",
               crl_last_error()[0] ? crl_last_error() : "no message",
               crl_errname(rc));
    p->failed = p->failed || rc != 0;
  }
  if (p->failed) {
    snprintf(why, size, "plugin '%s': crl_plugin_init failed: %s", path,
             p->why);
    return -1;
  }
  p->from_command_line |= from_command_line;
  *resolved = p->path;
  return 0;
}

/* ---- the `plugins:` key of an experiment --------------------------------- */

/* Item i of "[a, \"b, c\"]" (or of a single scalar), unquoted into buf; 1
 * when there is one, 0 past the end, -1 when malformed. */
static int list_item(const char *text, int i, char *buf, size_t size) {
  size_t len = strlen(text);
  if (len < 2 || text[0] != '[' || text[len - 1] != ']')
    return i == 0 ? (cli_yaml_unquote(text, buf, size) < 0 ? -1 : 1) : 0;
  const char *p = text + 1, *end = text + len - 1;
  for (int k = 0;; k++) {
    while (p < end && (*p == ' ' || *p == '\t'))
      p++;
    if (p >= end)
      return 0;
    const char *start = p;
    int quoted = 0;
    for (; p < end && (quoted || *p != ','); p++) {
      if (quoted && *p == '\\' && p + 1 < end)
        p++;
      else if (*p == '"')
        quoted = !quoted;
    }
    if (k == i) {
      size_t n = (size_t)(p - start);
      while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
        n--;
      char item[PATH_MAX + 64];
      if (n >= sizeof item)
        return -1;
      memcpy(item, start, n);
      item[n] = '\0';
      return cli_yaml_unquote(item, buf, size) < 0 ? -1 : 1;
    }
    if (p < end)
      p++; /* the comma */
  }
}

/* A relative path is relative to the directory of the file that names it
 * (as the other paths of an experiment); a --set's to the current one. */
static int resolve_path(const cli_cfg_entry *e, const char *item, char *buf,
                        size_t size) {
  const char *slash = e->key_line > 0 ? strrchr(e->origin, '/') : NULL;
  if (item[0] == '/' || slash == NULL)
    return snprintf(buf, size, "%s", item) < (int)size ? 0 : -1;
  int dir = (int)(slash - e->origin);
  return snprintf(buf, size, "%.*s/%s", dir, e->origin, item) < (int)size ? 0
                                                                          : -1;
}

static int add_plugin(cli_run_config *cfg, const char *path) {
  for (int i = 0; i < cfg->n_plugins; i++)
    if (cfg->plugins[i] == path)
      return 0;
  if (cfg->n_plugins == CLI_MAX_PLUGINS)
    return -1;
  cfg->plugins[cfg->n_plugins++] = path;
  return 0;
}

int cli_config_read_plugins(const cli_cfg_entries *entries, cli_run_config *cfg,
                            char *err, size_t size) {
  for (int i = 0; i < entries->n; i++)
    if (strncmp(entries->v[i].key, "plugins.", 8) == 0)
      return cli_cfg_fail(&entries->v[i], 0, err, size,
                          "'plugins' expects a list of shared object files, "
                          "not a mapping");
  int k = cli_cfg_find(entries, "plugins");
  const cli_cfg_entry *e = k >= 0 ? &entries->v[k] : NULL;
  for (int i = 0; e; i++) {
    char item[PATH_MAX], path[PATH_MAX], why[CLI_ERR_SIZE / 2];
    const char *resolved;
    int got = list_item(e->value, i, item, sizeof item);
    if (got == 0)
      break;
    if (got < 0 || item[0] == '\0')
      return cli_cfg_fail(e, 1, err, size,
                          "'plugins' expects a list of shared object files, "
                          "got \"%s\"",
                          e->value);
    if (resolve_path(e, item, path, sizeof path))
      return cli_cfg_fail(e, 1, err, size, "plugin path too long");
    if (cli_plugin_load(path, 0, &resolved, why, sizeof why))
      return cli_cfg_fail(e, 1, err, size, "%s", why);
    if (add_plugin(cfg, resolved))
      return cli_cfg_fail(e, 1, err, size, "more than %d plugins",
                          CLI_MAX_PLUGINS);
  }
  /* --plugin: every configuration of this process may need it. */
  for (int i = 0; i < cli_plugin_count(); i++)
    if (cli_plugin_from_command_line(i) &&
        add_plugin(cfg, cli_plugin_path(i))) {
      snprintf(err, size, "%s: error: more than %d plugins", cfg->source,
               CLI_MAX_PLUGINS);
      return -1;
    }
  return 0;
}

void cli_config_write_plugins(const cli_run_config *cfg, FILE *f) {
  if (cfg->n_plugins == 0)
    return;
  fputs("plugins: [", f);
  for (int i = 0; i < cfg->n_plugins; i++) {
    char quoted[PATH_MAX * 6 + 3];
    if (cli_yaml_quote(cfg->plugins[i], quoted, sizeof quoted) < 0)
      quoted[0] = '\0'; /* cannot happen: an escape is at most 6 bytes */
    fprintf(f, "%s%s", i ? ", " : "", quoted);
  }
  fputs("]\n", f);
}
