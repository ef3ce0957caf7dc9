/* crl eval CKPT|policy.crlp [--episodes N] [--env NAME] [--seed N]
 * [--set KEY=VALUE]...: a deterministic evaluation (mean ± std return,
 * episode lengths). With a checkpoint and no options it repeats the run's
 * own evaluation: same env and settings, same episodes, same reset seeds.
 * --set gives the env's settings (env_kwargs.KEY=VALUE, as crl train
 * takes them), for a policy file of a configured env.
 * (crl export is in cmd_export.c.) */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "run/policy_src.h"

static int usage(const char *command, const char *what, const char *arg) {
  fprintf(stderr, "crl %s: %s%s\n(run `crl help %s` for usage)\n", command,
          what, arg, command);
  return CLI_EXIT_USAGE;
}

static int parse_int(const char *text, long min, long max, int *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < min || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

/* ---- crl eval ------------------------------------------------------------ */

typedef struct eval_args {
  const char *source;
  cli_env_choice env;
  int episodes, seed, has_seed;
} eval_args;

static int parse_eval_args(int argc, char **argv, eval_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i];
    char err[CLI_ERR_SIZE];
    int taken = cli_env_choice_option(&a->env, argc, argv, &i, err, sizeof err);
    if (taken < 0)
      return usage("eval", err, "");
    if (taken == 0)
      continue;
    int has_value = strcmp(o, "--episodes") == 0 || strcmp(o, "--seed") == 0;
    if (has_value && i + 1 == argc)
      return usage("eval", "a value is missing after ", o);
    if (strcmp(o, "--episodes") == 0) {
      if (parse_int(argv[++i], 1, 1000000, &a->episodes))
        return usage("eval", "--episodes takes a number >= 1, not ", argv[i]);
    } else if (strcmp(o, "--seed") == 0) {
      if (parse_int(argv[++i], 0, INT_MAX, &a->seed))
        return usage("eval", "--seed takes an integer >= 0, not ", argv[i]);
      a->has_seed = 1;
    } else if (o[0] == '-' && o[1] != '\0') {
      return usage("eval", "unknown option ", o);
    } else if (a->source == NULL) {
      a->source = o;
    } else {
      return usage("eval", "unexpected argument ", o);
    }
  }
  return a->source ? 0 : usage("eval", "missing CKPT or policy.crlp", "");
}

/* Settings a checkpoint knows and a policy file does not (its env is
 * cli_policy_env_open's business). */
static void eval_defaults(const cli_policy_source *s, eval_args *a) {
  if (s->from_checkpoint) {
    if (a->episodes == 0)
      a->episodes = s->cfg.keys.eval_episodes;
    if (!a->has_seed)
      a->seed = s->seed;
  } else if (a->episodes == 0) {
    a->episodes = 10;
  }
}

static void describe_source(const cli_policy_source *s) {
  if (s->from_checkpoint)
    printf("policy: %s (%s, seed %d, %ld steps)\n", s->path, s->cfg.keys.algo,
           s->seed, s->steps);
  else
    printf("policy: %s\n", s->path);
}

static void mean_std(const double *v, int n, double *mean, double *std) {
  double sum = 0.0, sq = 0.0;
  for (int i = 0; i < n; i++)
    sum += v[i];
  *mean = sum / n;
  for (int i = 0; i < n; i++)
    sq += (v[i] - *mean) * (v[i] - *mean);
  *std = sqrt(sq / n);
}

static void min_max(const double *v, int n, double *lo, double *hi) {
  *lo = *hi = v[0];
  for (int i = 1; i < n; i++) {
    *lo = fmin(*lo, v[i]);
    *hi = fmax(*hi, v[i]);
  }
}

static void print_results(const eval_args *a, const char *env,
                          const double *ret, const double *len) {
  double m, sd, lo, hi;
  printf("env: %s, %d episode%s, seed %d, deterministic actions\n", env,
         a->episodes, a->episodes == 1 ? "" : "s", a->seed);
  mean_std(ret, a->episodes, &m, &sd);
  min_max(ret, a->episodes, &lo, &hi);
  printf("return: %.2f ± %.2f (min %.2f, max %.2f)\n", m, sd, lo, hi);
  mean_std(len, a->episodes, &m, &sd);
  min_max(len, a->episodes, &lo, &hi);
  printf("episode length: %.1f ± %.1f (min %.0f, max %.0f)\n", m, sd, lo, hi);
}

static int run_eval(cli_policy_source *s, const eval_args *a) {
  crl_env *env = NULL;
  char err[CLI_ERR_SIZE];
  if (cli_policy_env_open(s, &a->env, &env, err, sizeof err)) {
    fprintf(stderr, "crl eval: %s\n", err);
    return CLI_EXIT_USAGE;
  }
  /* The stream crl_evaluate uses: a run's own final evaluation again. */
  crl_env_seed(env, crl_seed_derive((uint64_t)a->seed, CRL_STREAM_EVAL));
  double *ret = calloc((size_t)a->episodes, sizeof *ret);
  double *len = calloc((size_t)a->episodes, sizeof *len);
  int rc = ret && len ? 0 : CRL_ENOMEM;
  for (int e = 0; rc == 0 && e < a->episodes; e++) {
    int steps = 0;
    rc = cli_play_episode(s, env, NULL, NULL, 0, &ret[e], &steps);
    len[e] = steps;
  }
  if (rc == 0)
    print_results(a, crl_env_get_type(env)->name, ret, len);
  else
    fprintf(stderr, "crl eval: %s\n", crl_last_error());
  free(ret);
  free(len);
  crl_env_free(env);
  return rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cli_cmd_eval(int argc, char **argv) {
  eval_args a;
  int rc = parse_eval_args(argc, argv, &a);
  if (rc)
    return rc;
  cli_policy_source s;
  char err[CLI_ERR_SIZE];
  if (cli_policy_source_open(a.source, &s, err, sizeof err)) {
    fprintf(stderr, "crl eval: %s\n", err);
    return CLI_EXIT_USAGE;
  }
  eval_defaults(&s, &a);
  describe_source(&s);
  rc = run_eval(&s, &a);
  cli_policy_source_close(&s);
  return rc;
}
