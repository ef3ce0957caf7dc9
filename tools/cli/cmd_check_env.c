/* crl check-env NAME [--steps N] [--seed N] [--set KEY=VALUE]...: run
 * crl_env_check on a registered environment (a built-in one, or one
 * compiled into this program) and print every problem it finds, one line
 * each, or one "NAME: ok (...)" line. Exit status 0 when the env is fine,
 * 1 when problems were found (or the env cannot be created), 2 for a usage
 * error, an unknown env or a rejected setting.
 *
 * --set gives the env's declared settings (what `env_kwargs:` gives in an
 * experiment file): the env is registered once more with them, through
 * crl_env_register_configured, and that configured type is checked. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "crl/crl.h"

/* Enough for a few hundred problem lines; crl_env_check truncates past it
 * and the summary still counts them all. */
#define REPORT_SIZE 16384
#define MAX_SETTINGS 32
#define DEFAULT_STEPS 10000

typedef struct check_env_args {
  const char *name;
  int steps;
  unsigned long long seed;
  int n_settings;
  /* --set KEY=VALUE split at the first '='; keys point into key_text. */
  const char *keys[MAX_SETTINGS], *values[MAX_SETTINGS];
  char key_text[MAX_SETTINGS][128];
} check_env_args;

static int usage(const char *what, const char *arg) {
  fprintf(stderr, "crl check-env: %s%s\n(run `crl help check-env` for usage)\n",
          what, arg);
  return CLI_EXIT_USAGE;
}

/* "--steps N" or "--steps=N"; NULL when the value is missing. */
static const char *option_value(int argc, char **argv, int *i,
                                const char *name) {
  size_t n = strlen(name);
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  return *i + 1 < argc ? argv[++*i] : NULL;
}

static int is_option(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_unsigned(const char *text, unsigned long long max,
                          unsigned long long *out) {
  char *end;
  errno = 0;
  /* strtoull accepts "-1" as a huge number: refuse any sign. */
  if (text[0] == '-' || text[0] == '+')
    return -1;
  unsigned long long v = strtoull(text, &end, 10);
  if (end == text || *end != '\0' || errno || v > max)
    return -1;
  *out = v;
  return 0;
}

static int add_setting(check_env_args *a, const char *text) {
  const char *eq = strchr(text, '=');
  if (eq == NULL || eq == text)
    return usage("--set takes KEY=VALUE, not ", text);
  size_t len = (size_t)(eq - text);
  if (a->n_settings == MAX_SETTINGS || len >= sizeof a->key_text[0])
    return usage("too many or too long --set settings at ", text);
  memcpy(a->key_text[a->n_settings], text, len);
  a->key_text[a->n_settings][len] = '\0';
  a->keys[a->n_settings] = a->key_text[a->n_settings];
  a->values[a->n_settings++] = eq + 1;
  return 0;
}

static int parse_args(int argc, char **argv, check_env_args *a) {
  memset(a, 0, sizeof *a);
  a->steps = DEFAULT_STEPS;
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i], *value;
    unsigned long long v;
    if (is_option(o, "--steps")) {
      if ((value = option_value(argc, argv, &i, "--steps")) == NULL)
        return usage("a value is missing after ", o);
      if (parse_unsigned(value, INT_MAX, &v))
        return usage("--steps takes an integer >= 0, not ", value);
      a->steps = (int)v;
    } else if (is_option(o, "--seed")) {
      if ((value = option_value(argc, argv, &i, "--seed")) == NULL)
        return usage("a value is missing after ", o);
      if (parse_unsigned(value, ULLONG_MAX, &a->seed))
        return usage("--seed takes an integer >= 0, not ", value);
    } else if (is_option(o, "--set")) {
      if ((value = option_value(argc, argv, &i, "--set")) == NULL)
        return usage("a value is missing after ", o);
      int rc = add_setting(a, value);
      if (rc)
        return rc;
    } else if (o[0] == '-' && o[1] != '\0') {
      return usage("unknown option ", o);
    } else if (a->name == NULL) {
      a->name = o;
    } else {
      return usage("unexpected argument ", o);
    }
  }
  return a->name ? 0
                 : usage("missing the env NAME (`crl envs` lists them)", "");
}

/* The type to check: NAME itself, or NAME with the --set settings built
 * in, registered as "NAME{k=v,...}" (the experiment runner's naming). */
static const crl_env_type *find_type(const check_env_args *a, char *label,
                                     size_t size) {
  snprintf(label, size, "%s", a->name);
  if (crl_env_find(a->name) == NULL) {
    crl_env *probe = NULL; /* crl_env_make words the "did you mean" */
    crl_env_make(a->name, &probe);
    fprintf(stderr, "crl check-env: %s\n", crl_last_error());
    return NULL;
  }
  if (a->n_settings == 0)
    return crl_env_find(a->name);
  int n = snprintf(label, size, "%s{", a->name);
  for (int i = 0; i < a->n_settings && n >= 0 && (size_t)n < size; i++)
    n += snprintf(label + n, size - (size_t)n, "%s%s=%s", i ? "," : "",
                  a->keys[i], a->values[i]);
  /* The registry keeps names below 128 bytes; a long list of settings is
   * named by its count instead (one registration per process, so the name
   * need not tell settings apart). */
  if (n < 0 || (size_t)n + 2 > size)
    snprintf(label, size, "%.80s{%d settings", a->name, a->n_settings);
  strncat(label, "}", size - strlen(label) - 1);
  if (crl_env_register_configured(label, a->name, a->n_settings, a->keys,
                                  a->values)) {
    fprintf(stderr, "crl check-env: %s\n", crl_last_error());
    return NULL;
  }
  return crl_env_find(label);
}

/* "Box(3)" or "Discrete(2)". */
static void describe_space(const crl_space *s, char *buf, size_t size) {
  if (s->kind == CRL_SPACE_DISCRETE)
    snprintf(buf, size, "Discrete(%d)", s->n);
  else
    snprintf(buf, size, "Box(%d)", s->dim);
}

/* What the check covered, for the "ok" line: spaces, the time limit and
 * whether get_state/set_state exist to be round-tripped. */
static void describe_type(const crl_env_type *t, char *buf, size_t size) {
  char obs[32] = "?", act[32] = "?";
  crl_env *env = NULL;
  if (crl_env_alloc(t, &env) == 0) {
    describe_space(crl_env_obs_space(env), obs, sizeof obs);
    describe_space(crl_env_act_space(env), act, sizeof act);
  }
  crl_env_free(env);
  int n = snprintf(buf, size, "observations %s, actions %s", obs, act);
  if (n < 0 || (size_t)n >= size)
    return;
  if (t->max_episode_steps > 0)
    n += snprintf(buf + n, size - (size_t)n, ", time limit %d",
                  t->max_episode_steps);
  else
    n += snprintf(buf + n, size - (size_t)n, ", no time limit");
  if (n >= 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, "%s",
             t->get_state && t->set_state && t->state_dim > 0
                 ? ", state round-trip checked"
                 : ", no get_state/set_state");
}

/* One line per problem, each prefixed by the env's name like a compiler's
 * file name. A report cut at its size ends in a partial line: that one is
 * replaced by a note (the count that follows is complete). */
static void print_problems(const char *label, char *report) {
  int cut = strlen(report) + 1 >= REPORT_SIZE;
  if (cut) {
    char *last = strrchr(report, '\n');
    *(last ? last + 1 : report) = '\0';
  }
  const char *line = report;
  while (*line) {
    const char *end = strchr(line, '\n');
    int len = end ? (int)(end - line) : (int)strlen(line);
    printf("%s: %.*s\n", label, len, line);
    line += len + (end != NULL);
  }
  if (cut)
    printf("%s: ... (the report stops at %d bytes)\n", label, REPORT_SIZE);
}

int cli_cmd_check_env(int argc, char **argv) {
  check_env_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc;
  char label[128];
  const crl_env_type *type = find_type(&a, label, sizeof label);
  if (type == NULL)
    return CLI_EXIT_USAGE;
  static char report[REPORT_SIZE];
  rc = crl_env_check(type, a.steps, (uint64_t)a.seed, report, sizeof report);
  if (rc == 0) {
    char what[256];
    describe_type(type, what, sizeof what);
    printf("%s: ok (%d random steps, seed %llu; %s)\n", label, a.steps, a.seed,
           what);
    return CLI_EXIT_OK;
  }
  /* The last error is the count ("env 'X': 2 problem(s) found") or, when
   * the env could not even be created, why; the report has that line too. */
  char summary[512];
  snprintf(summary, sizeof summary, "%s", crl_last_error());
  print_problems(label, report);
  if (rc == CRL_EINVAL)
    printf("%s\n", summary);
  return CLI_EXIT_FAILURE;
}
