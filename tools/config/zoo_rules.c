/* RL Zoo's conventions as crl keys (see zoo_rules.h): each key of an entry
 * goes through the table below; a key the table does not name is passed
 * on unchanged and validated against the algorithm's parameters like a
 * key of a crl file, its position still in the zoo file. */
#include "config/zoo_rules.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/pyliteral.h"
#include "config/yaml_walk.h"

/* What one translation needs: the algorithm (which keys exist), where the
 * entries go, and what is gathered over several keys. */
typedef struct zoo_ctx {
  const crl_algo_type *algo;
  const cli_cfg_entries *entry; /* the env's keys, without "ENV." */
  cli_cfg_entries *out;
  char *err;
  size_t err_size;
  /* VecNormalize's settings, from `normalize` and `normalize_kwargs` */
  const cli_cfg_entry *norm_at; /* NULL: not normalised */
  int norm_obs, norm_reward;
  const cli_cfg_entry *current; /* the entry's key being translated */
  /* net_arch=dict(pi=.., vf=..) or (pi=.., qf=..) */
  const cli_cfg_entry *arch_at;
  char arch_pi[CRL_STRING_MAX], arch_critic[CRL_STRING_MAX];
} zoo_ctx;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
zoo_fail(zoo_ctx *z, const cli_cfg_entry *e, const char *fmt, ...) {
  cli_cfg_where(e, 0, z->err, z->err_size);
  size_t n = strlen(z->err);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(z->err + n, z->err_size - n, fmt, ap);
  va_end(ap);
  return -1;
}

static int put(zoo_ctx *z, const cli_cfg_entry *from, const char *key,
               const char *value) {
  if (cli_cfg_put(z->out, from, key, value) == 0)
    return 0;
  snprintf(z->err, z->err_size, "%s: error: out of memory", from->origin);
  return -1;
}

static int has_param(const zoo_ctx *z, const char *key) {
  return crl_params_find(z->algo->params, key) != NULL;
}

/* A YAML boolean as the zoo writes them (true, True, false, False). */
static int read_bool(const char *text, int *out) {
  if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
    *out = 1;
  else if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
    *out = 0;
  else
    return -1;
  return 0;
}

/* A Python literal string value as entries under key (positions of e):
 * "dict(a=1, b=dict(c=2))" -> key.a = 1, key.b.c = 2. */
static int expand_literal(zoo_ctx *z, const cli_cfg_entry *e, const char *key,
                          cli_cfg_entries *items) {
  char yaml[PYLIT_MAX_TEXT], why[256], set[PYLIT_MAX_TEXT + CRL_STRING_MAX];
  int offset;
  if (cli_pyliteral_to_yaml(e->value, yaml, sizeof yaml, &offset, why,
                            sizeof why))
    return zoo_fail(z, e,
                    "'%s': %s at character %d of \"%.120s\" (RL Zoo's "
                    "Python literals: dict(), lists, numbers, strings, "
                    "True/False/None and names like nn.ReLU)",
                    e->key, why, offset + 1, e->value);
  snprintf(set, sizeof set, "%s=%s", key, yaml);
  char inner[CLI_ERR_SIZE];
  if (cli_cfg_apply_set(items, set, inner, sizeof inner)) {
    const char *reason = strstr(inner, "error: ");
    return zoo_fail(z, e, "'%s': %s", e->key, reason ? reason + 7 : inner);
  }
  for (int i = 0; i < items->n; i++) { /* positions: the zoo file's */
    cli_cfg_entry *it = &items->v[i];
    char *origin = cli_cfg_dup_text(e->origin);
    if (origin == NULL)
      return zoo_fail(z, e, "out of memory");
    free(it->origin);
    it->origin = origin;
    it->key_line = e->key_line, it->key_col = e->key_col;
    it->value_line = e->value_line, it->value_col = e->value_col;
  }
  return 0;
}

/* fn(z, item, its key) for each entry of e's Python literal. */
static int each_literal_item(zoo_ctx *z, const cli_cfg_entry *e,
                             int (*fn)(zoo_ctx *, const cli_cfg_entry *,
                                       const char *)) {
  cli_cfg_entries items = {0};
  int rc = expand_literal(z, e, "v", &items);
  for (int i = 0; rc == 0 && i < items.n; i++)
    rc = fn(z, &items.v[i], items.v[i].key + 2); /* after "v." */
  cli_cfg_entries_free(&items);
  return rc;
}

static int is_literal(const char *value) {
  while (isspace((unsigned char)*value))
    value++;
  return *value == '{' || strncmp(value, "dict(", 5) == 0;
}

/* ---- the conventions ----------------------------------------------------- */

/* A key the zoo has and crl cannot honour: the message says why. */
static int refuse(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  return zoo_fail(z, e, "RL Zoo key '%s': %s", e->key, why);
}

/* `n_timesteps: !!float 1e6`: an integer written as a float. */
static int timesteps(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  char *end;
  errno = 0;
  double v = strtod(e->value, &end);
  if (end == e->value || *end != '\0' || errno || !(v >= 1) || v > 2e9 ||
      v != floor(v))
    return zoo_fail(z, e,
                    "'n_timesteps' must be a whole number >= 1, got "
                    "\"%.80s\"",
                    e->value);
  char text[32];
  snprintf(text, sizeof text, "%.0f", v);
  return put(z, e, NULL, text);
}

static int policy(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  if (strcmp(e->value, "MlpPolicy") == 0)
    return put(z, e, NULL, NULL);
  return zoo_fail(z, e,
                  "RL Zoo key 'policy': '%.80s' is not available; crl's "
                  "policies are MLPs (MlpPolicy), without image (CnnPolicy) "
                  "or dictionary (MultiInputPolicy) observations",
                  e->value);
}

/* One setting of VecNormalize (normalize: "{...}" or normalize_kwargs). */
static int normalize_setting(zoo_ctx *z, const cli_cfg_entry *e,
                             const char *name) {
  int b;
  if (strcmp(name, "norm_obs") == 0 || strcmp(name, "norm_reward") == 0) {
    if (read_bool(e->value, &b))
      return zoo_fail(z, e, "'%s' must be true or false, got \"%.80s\"", name,
                      e->value);
    *(name[5] == 'o' ? &z->norm_obs : &z->norm_reward) = b;
    return 0;
  }
  double fixed = strcmp(name, "clip_obs") == 0      ? 10.0
                 : strcmp(name, "clip_reward") == 0 ? 10.0
                 : strcmp(name, "epsilon") == 0     ? 1e-8
                                                    : NAN;
  if (!isnan(fixed)) {
    char *end;
    double v = strtod(e->value, &end);
    if (end != e->value && *end == '\0' && v == fixed)
      return 0;
    return zoo_fail(z, e,
                    "VecNormalize's '%s' is %g in crl (SB3's default); "
                    "\"%.80s\" is not supported",
                    name, fixed, e->value);
  }
  if (strcmp(name, "gamma") == 0 && cli_cfg_find(z->entry, "gamma") >= 0)
    return 0; /* the zoo replaces it by the algorithm's gamma */
  if (strcmp(name, "gamma") == 0)
    return zoo_fail(z, e,
                    "VecNormalize's 'gamma' is the algorithm's in crl; set "
                    "the entry's gamma instead");
  return zoo_fail(z, e, "VecNormalize's '%s' has no crl equivalent", name);
}

/* normalize: true | false | "{'norm_obs': .., 'norm_reward': ..}" |
 * "dict(...)"; true means observations and rewards, as VecNormalize. */
static int normalize(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  int b;
  if (read_bool(e->value, &b) == 0) {
    z->norm_at = b ? e : z->norm_at;
    return 0;
  }
  if (!is_literal(e->value))
    return zoo_fail(z, e,
                    "'normalize' must be true, false or a dict of "
                    "VecNormalize's settings, got \"%.80s\"",
                    e->value);
  z->norm_at = e;
  return each_literal_item(z, e, normalize_setting);
}

static int normalize_kwarg(zoo_ctx *z, const cli_cfg_entry *e,
                           const char *why) {
  (void)why;
  z->norm_at = e;
  return normalize_setting(z, e, e->key + strlen("normalize_kwargs."));
}

/* After every key: normalize and normalize_reward, if the algorithm has
 * them. */
static int normalize_finish(zoo_ctx *z) {
  const cli_cfg_entry *e = z->norm_at;
  if (e == NULL || (!z->norm_obs && !z->norm_reward))
    return 0;
  if ((z->norm_obs && !has_param(z, "normalize")) ||
      (z->norm_reward && !has_param(z, "normalize_reward")))
    return zoo_fail(z, e,
                    "RL Zoo key '%s': crl's %s cannot normalise %s "
                    "(VecNormalize; `crl algos` shows which algorithms "
                    "have normalize and normalize_reward)",
                    e->key, z->algo->name,
                    z->norm_obs ? "observations" : "rewards");
  if (put(z, e, "normalize", z->norm_obs ? "true" : "false") ||
      put(z, e, "normalize_reward", z->norm_reward ? "true" : "false"))
    return -1;
  return 0;
}

/* activation_fn=nn.ReLU (th.nn.ReLU, torch.nn.ReLU) */
static int activation(zoo_ctx *z, const cli_cfg_entry *e) {
  const char *dot = strrchr(e->value, '.');
  const char *name = dot ? dot + 1 : e->value;
  const char *crl = strcmp(name, "ReLU") == 0       ? "relu"
                    : strcmp(name, "Tanh") == 0     ? "tanh"
                    : strcmp(name, "Identity") == 0 ? "identity"
                                                    : NULL;
  if (crl == NULL)
    return zoo_fail(z, e,
                    "activation_fn '%.80s' is not available; crl has "
                    "nn.ReLU, nn.Tanh and nn.Identity",
                    e->value);
  return put(z, e, "policy_kwargs.activation", crl);
}

/* optimizer_kwargs=dict(eps=..): the epsilon of the algorithm's optimiser */
static int optimizer_kwarg(zoo_ctx *z, const cli_cfg_entry *e,
                           const char *name) {
  int rms = cli_cfg_find(z->entry, "use_rms_prop");
  int b = 1;
  if (rms >= 0 && read_bool(z->entry->v[rms].value, &b))
    b = 1; /* the algorithm's check reports the bad value */
  const char *key = has_param(z, "rms_prop_eps") && b ? "rms_prop_eps"
                    : has_param(z, "adam_eps")        ? "adam_eps"
                                                      : NULL;
  if (strcmp(name, "eps") == 0 && key != NULL)
    return put(z, e, key, NULL);
  return zoo_fail(z, e,
                  "optimizer_kwargs '%s' is not available; crl takes only "
                  "the optimiser's eps",
                  name);
}

/* An algorithm with separate actor and critic layers (CrossQ's
 * policy_kwargs.net_arch.pi and .qf) takes both lists as they are. */
static int put_pi_qf(zoo_ctx *z, const cli_cfg_entry *e, const char *pi,
                     const char *qf) {
  return put(z, e, "policy_kwargs.net_arch.pi", pi) ||
                 put(z, e, "policy_kwargs.net_arch.qf", qf)
             ? -1
             : 0;
}

/* One key of policy_kwargs, given as a Python literal or a YAML mapping. */
static int policy_kwarg(zoo_ctx *z, const cli_cfg_entry *e, const char *name) {
  if (strcmp(name, "learn_features") == 0)
    return zoo_fail(z, e,
                    "policy_kwargs 'learn_features' is not taken: crl's gSDE "
                    "learns through its features for crossq only, as SB3 and "
                    "sb3-contrib fix it per algorithm");
  if ((strcmp(name, "clip_mean") == 0 || strcmp(name, "use_expln") == 0 ||
       strcmp(name, "full_std") == 0) &&
      !has_param(z, "use_sde"))
    return zoo_fail(z, e,
                    "policy_kwargs '%s' is a gSDE setting, and crl's %s has "
                    "no gSDE",
                    name, z->algo->name);
  if (strcmp(name, "activation_fn") == 0)
    return activation(z, e);
  if (strncmp(name, "optimizer_kwargs.", 17) == 0)
    return optimizer_kwarg(z, e, name + 17);
  if (strcmp(name, "optimizer_class") == 0)
    return zoo_fail(z, e,
                    "policy_kwargs 'optimizer_class' (%.80s): crl's "
                    "optimisers are Adam, and RMSprop for a2c with "
                    "use_rms_prop",
                    e->value);
  if (strcmp(name, "net_arch.pi") == 0 || strcmp(name, "net_arch.vf") == 0 ||
      strcmp(name, "net_arch.qf") == 0) {
    snprintf(name[9] == 'p' ? z->arch_pi : z->arch_critic, CRL_STRING_MAX, "%s",
             e->value);
    z->arch_at = z->current; /* e may be a literal's, freed by then */
    return 0;
  }
  if (strcmp(name, "net_arch") == 0 &&
      has_param(z, "policy_kwargs.net_arch.pi"))
    return put_pi_qf(z, e, e->value, e->value); /* one list: both (CrossQ) */
  char key[CRL_STRING_MAX];
  snprintf(key, sizeof key, "policy_kwargs.%s", name);
  return put(z, e, key, NULL);
}

/* net_arch=dict(pi=A, vf=B): crl's actor and critics share one list. */
static int net_arch_finish(zoo_ctx *z) {
  const cli_cfg_entry *e = z->arch_at;
  if (e == NULL)
    return 0;
  if (z->arch_pi[0] == '\0' || z->arch_critic[0] == '\0')
    return zoo_fail(z, e, "net_arch=dict(...) needs pi and %s",
                    has_param(z, "vf_coef") ? "vf" : "qf");
  if (has_param(z, "policy_kwargs.net_arch.pi"))
    return put_pi_qf(z, e, z->arch_pi, z->arch_critic);
  if (strcmp(z->arch_pi, z->arch_critic) != 0)
    return zoo_fail(z, e,
                    "net_arch gives the actor %s and the critic %s; crl's "
                    "actor and critics have the same hidden layers",
                    z->arch_pi, z->arch_critic);
  return put(z, e, "policy_kwargs.net_arch", z->arch_pi);
}

static int policy_kwargs(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  if (strcmp(e->key, "policy_kwargs") != 0) /* a YAML mapping */
    return policy_kwarg(z, e, e->key + strlen("policy_kwargs."));
  if (!is_literal(e->value))
    return zoo_fail(z, e,
                    "'policy_kwargs' must be a mapping or a dict(...) "
                    "string, got \"%.80s\"",
                    e->value);
  return each_literal_item(z, e, policy_kwarg);
}

/* train_freq: N | [N, "step"] | [N, "episode"] */
static int train_freq(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  if (e->value[0] != '[')
    return put(z, e, NULL, NULL);
  char count[64], unit[64];
  if (sscanf(e->value, "[%63[^,], %63[^]]]", count, unit) != 2)
    return zoo_fail(z, e,
                    "'train_freq' must be N or [N, \"step\" or \"episode\"], "
                    "got \"%.80s\"",
                    e->value);
  if (strcmp(unit, "step") == 0)
    return put(z, e, NULL, count);
  if (strcmp(unit, "episode") == 0) /* without train_freq_unit: no key */
    return put(z, e, NULL, count) ||
                   (has_param(z, "train_freq_unit") &&
                    put(z, e, "train_freq_unit", "episode"))
               ? -1
               : 0;
  return zoo_fail(z, e,
                  "'train_freq' unit must be \"step\" or \"episode\", "
                  "got \"%.80s\"",
                  unit);
}

/* use_sde: true goes to an algorithm with gSDE, false is dropped. */
static int use_sde(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  int b;
  if (read_bool(e->value, &b) == 0 && b == 0)
    return 0;
  if (has_param(z, "use_sde"))
    return put(z, e, NULL, NULL);
  return refuse(z, e, why);
}

/* A gSDE setting: passed on where gSDE exists; SB3 ignores it without. */
static int sde_setting(zoo_ctx *z, const cli_cfg_entry *e, const char *why) {
  (void)why;
  return has_param(z, "use_sde") ? put(z, e, NULL, NULL) : 0;
}

typedef int (*zoo_rule_fn)(zoo_ctx *z, const cli_cfg_entry *e, const char *why);

typedef struct zoo_rule {
  const char *key;
  int prefix; /* 1: the key and everything below it (key.*) too */
  zoo_rule_fn fn;
  const char *why; /* for refuse (and use_sde) */
} zoo_rule;

// clang-format off
static const zoo_rule zoo_rules[] = {
  {"n_timesteps",          0, timesteps,       NULL},
  {"policy",               0, policy,          NULL},
  {"normalize",            0, normalize,       NULL},
  {"normalize_kwargs",     1, normalize_kwarg, NULL},
  {"policy_kwargs",        1, policy_kwargs,   NULL},
  {"train_freq",           0, train_freq,      NULL},
  {"use_sde",              0, use_sde,
   "crl has gSDE (generalized state-dependent exploration) for ppo, a2c, "
   "trpo, sac, tqc and crossq only"},
  {"sde_sample_freq",      0, sde_setting,     NULL},
  {"env_wrapper",          1, refuse,
   "it wraps the env in Python classes, which crl cannot load"},
  {"vec_env_wrapper",      1, refuse,
   "it wraps the vectorised env in Python classes, which crl cannot load"},
  {"callback",             1, refuse,
   "it names Python callbacks, which crl cannot load"},
  {"frame_stack",          1, refuse,
   "crl has no frame stacking (the zoo uses it for image observations)"},
  {"replay_buffer_class",  1, refuse,
   "crl has one replay buffer (no HER or other buffer classes)"},
  {"replay_buffer_kwargs", 1, refuse,
   "crl has one replay buffer, without settings of its own"},
  {"monitor_kwargs",       1, refuse,
   "crl's monitor.csv has no settings"},
  {"n_envs",               0, NULL,            NULL}, /* passed on as is */
};
// clang-format on

/* YAML 1.1's integers may group digits with '_' (the zoo writes
 * buffer_size: 1_000_000, which PyYAML reads as 1000000): out gets the
 * digits alone; 0 when value is not such an integer. */
static int yaml11_grouped_int(const char *value, char *out, size_t size) {
  size_t n = 0;
  int digits = 0, underscores = 0;
  for (const char *p = value; *p != '\0'; p++) {
    if (*p == '_' && digits > 0 && p[1] != '\0') {
      underscores++;
      continue;
    }
    if (!(isdigit((unsigned char)*p) || (p == value && *p == '-')) ||
        n + 1 >= size)
      return 0;
    digits += isdigit((unsigned char)*p) != 0;
    out[n++] = *p;
  }
  out[n] = '\0';
  return underscores > 0 && digits > 0;
}

/* A key without a rule goes on as it is, grouped integers ungrouped. */
static int pass_on(zoo_ctx *z, const cli_cfg_entry *e) {
  char plain[64];
  return put(z, e, NULL,
             yaml11_grouped_int(e->value, plain, sizeof plain) ? plain : NULL);
}

static const zoo_rule *find_rule(const char *key) {
  for (size_t i = 0; i < sizeof zoo_rules / sizeof *zoo_rules; i++) {
    const zoo_rule *r = &zoo_rules[i];
    size_t n = strlen(r->key);
    if (strncmp(key, r->key, n) == 0 &&
        (key[n] == '\0' || (r->prefix && key[n] == '.')))
      return r;
  }
  return NULL;
}

int cli_zoo_translate(const crl_algo_type *algo, const cli_cfg_entries *entry,
                      cli_cfg_entries *out, char *err, size_t err_size) {
  zoo_ctx ctx = {algo, entry, out,  err,  err_size, NULL,
                 1,    1,     NULL, NULL, "",       ""};
  zoo_ctx *z = &ctx;
  for (int i = 0; i < z->entry->n; i++) {
    const cli_cfg_entry *e = &z->entry->v[i];
    const zoo_rule *r = find_rule(e->key);
    z->current = e;
    int rc = r && r->fn ? r->fn(z, e, r->why) : pass_on(z, e);
    if (rc)
      return -1;
  }
  return normalize_finish(z) || net_arch_finish(z) ? -1 : 0;
}
