/* crl envs, crl algos [NAME]: what is registered, as tables. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "config/run_config.h"
#include "core/internal.h"

/* "Discrete(2)", "Box(3)", or "Box(1) in [-2, 2]" when every dimension has
 * the same finite bounds. */
static void describe_space(const crl_space *s, char *buf, size_t size) {
  if (s->kind == CRL_SPACE_DISCRETE) {
    snprintf(buf, size, "Discrete(%d)", s->n);
    return;
  }
  int uniform = isfinite(s->low[0]) && isfinite(s->high[0]);
  for (int i = 1; i < s->dim && uniform; i++)
    uniform = s->low[i] == s->low[0] && s->high[i] == s->high[0];
  if (uniform)
    snprintf(buf, size, "Box(%d) in [%g, %g]", s->dim, s->low[0], s->high[0]);
  else
    snprintf(buf, size, "Box(%d)", s->dim);
}

int cli_cmd_envs(int argc, char **argv) {
  (void)argv;
  if (argc > 0) {
    fprintf(stderr, "crl envs: takes no arguments\n");
    return CLI_EXIT_USAGE;
  }
  printf("%-28s %-20s %-22s %9s  %s\n", "name", "observations", "actions",
         "max steps", "description");
  for (int i = 0; i < crl_env_count(); i++) {
    const crl_env_type *t = crl_env_at(i);
    crl_env *env = NULL;
    char obs[64] = "?", act[64] = "?";
    if (crl_env_alloc(t, &env) == 0) {
      describe_space(crl_env_obs_space(env), obs, sizeof obs);
      describe_space(crl_env_act_space(env), act, sizeof act);
    }
    crl_env_free(env);
    char steps[16];
    snprintf(steps, sizeof steps, "%d", t->max_episode_steps);
    printf("%-28s %-20s %-22s %9s  %s\n", t->name, obs, act,
           t->max_episode_steps ? steps : "-", t->doc ? t->doc : "");
  }
  return CLI_EXIT_OK;
}

static void list_algos(void) {
  printf("%-12s %s\n", "name", "description");
  for (int i = 0; i < crl_algo_count(); i++) {
    const crl_algo_type *t = crl_algo_at(i);
    printf("%-12s %s\n", t->name, t->doc ? t->doc : "");
  }
  printf("\n`crl algos NAME` lists an algorithm's parameters.\n");
}

/* The range or choices column of a parameter table. */
static void describe_allowed(const crl_param_def *d, char *buf, size_t size) {
  buf[0] = '\0';
  if (d->kind == CRL_PARAM_ENUM) {
    snprintf(buf, size, "%s", d->choices ? d->choices : "");
    return;
  }
  if (d->kind == CRL_PARAM_BOOL || d->kind == CRL_PARAM_STRING ||
      (d->min == 0.0 && d->max == 0.0))
    return;
  /* Integers print in full (10000000, not 1e+07). */
  int integer = d->kind == CRL_PARAM_INT || d->kind == CRL_PARAM_INT_LIST;
  const char *f = integer ? "%.0f" : "%g";
  char lo[32], hi[32];
  snprintf(lo, sizeof lo, f, d->min);
  snprintf(hi, sizeof hi, f, d->max);
  if (isinf(d->max) || (integer && d->max >= 2147483647.0))
    snprintf(buf, size, ">= %s", lo);
  else if (isinf(d->min))
    snprintf(buf, size, "<= %s", hi);
  else
    snprintf(buf, size, "[%s, %s]", lo, hi);
}

void cli_print_param_table(const crl_param_def *defs,
                           const char *(*default_label)(const char *key)) {
  printf("%-28s %-16s %-10s %-20s %s\n", "key", "type", "default",
         "range/choices", "description");
  for (const crl_param_def *d = defs; d->name; d++) {
    char allowed[128];
    describe_allowed(d, allowed, sizeof allowed);
    const char *def =
        d->default_text && d->default_text[0] ? d->default_text : "\"\"";
    if (default_label && default_label(d->name))
      def = default_label(d->name);
    printf("%-28s %-16s %-10s %-20s %s\n", d->name,
           crl_param_kind_name(d->kind), def, allowed, d->doc ? d->doc : "");
  }
}

static int show_algo(const char *name) {
  const crl_algo_type *t = crl_algo_find(name);
  if (t == NULL) {
    const char *names[256];
    int n = crl_algo_count() < 256 ? crl_algo_count() : 256;
    for (int i = 0; i < n; i++)
      names[i] = crl_algo_at(i)->name;
    const char *near = crl__nearest_name(name, names, n);
    if (near)
      fprintf(stderr, "crl algos: unknown algo '%s' (did you mean '%s'?)\n",
              name, near);
    else
      fprintf(stderr, "crl algos: unknown algo '%s' (`crl algos` lists them)\n",
              name);
    return CLI_EXIT_USAGE;
  }
  printf("%s: %s\n\n", t->name, t->doc ? t->doc : "");
  cli_print_param_table(t->params, NULL);
  printf("\nExperiment files also take the runner keys (see `crl help "
         "train`).\n");
  return CLI_EXIT_OK;
}

int cli_cmd_algos(int argc, char **argv) {
  if (argc == 0) {
    list_algos();
    return CLI_EXIT_OK;
  }
  if (argc > 1) {
    fprintf(stderr, "crl algos: takes at most one NAME\n");
    return CLI_EXIT_USAGE;
  }
  return show_algo(argv[0]);
}
