/* Option parsing of `crl train` and `crl check`. */
#include "cli/train_args.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "config/experiment.h"
#include "config/zoo.h"
#include "run/signals.h"

int cli_usage_error(const char *command, const char *fmt, const char *arg) {
  fprintf(stderr, "crl %s: ", command);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(run `crl help %s` for usage)\n", command);
  return CLI_EXIT_USAGE;
}

int cli_parse_count(const char *text, long max, int *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < 0 || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

const char *cli_option_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != '\0')
    return argv[*i] + n;
  if (*i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

int cli_is_option(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 &&
         (arg[n] == '\0' || arg[n] == '=' ||
          (name[1] != '-' && arg[n] >= '0' && arg[n] <= '9'));
}

/* -o DIR, --resume DIR, -j N: the options with a value only train has. */
static int train_value_option(const char *command, int argc, char **argv,
                              int *i, cli_train_args *a) {
  const char *arg = argv[*i], *value;
  if (cli_is_option(arg, "-o") || cli_is_option(arg, "--output")) {
    value = cli_option_value(argc, argv, i, arg[1] == 'o' ? "-o" : "--output");
    if (value == NULL || value[0] == '\0')
      return cli_usage_error(command, "%s needs a directory", arg);
    a->out_dir = value;
  } else if (cli_is_option(arg, "--resume")) {
    value = cli_option_value(argc, argv, i, "--resume");
    if (value == NULL || value[0] == '\0')
      return cli_usage_error(command, "--resume needs a run directory%s", "");
    a->resume = value;
  } else if (cli_is_option(arg, "-j") || cli_is_option(arg, "--jobs")) {
    value = cli_option_value(argc, argv, i, arg[1] == 'j' ? "-j" : "--jobs");
    if (value == NULL || cli_parse_count(value, 4096, &a->jobs) || a->jobs < 1)
      return cli_usage_error(command, "-j needs a number of processes >= 1%s",
                             "");
  } else {
    return -1;
  }
  return 0;
}

static int train_flag(const char *arg, cli_train_args *a) {
  int *flag = strcmp(arg, "--force") == 0     ? &a->force
              : strcmp(arg, "--quiet") == 0   ? &a->quiet
              : strcmp(arg, "--no-plot") == 0 ? &a->no_plot
              : strcmp(arg, "--check") == 0   ? &a->check
                                              : NULL;
  if (flag == NULL)
    return -1;
  *flag = 1;
  return 0;
}

static int common_option(const char *command, int argc, char **argv, int *i,
                         cli_train_args *a) {
  const char *arg = argv[*i], *value;
  if (cli_is_option(arg, "--seed")) {
    value = cli_option_value(argc, argv, i, "--seed");
    if (value == NULL || cli_parse_count(value, INT_MAX, &a->seed))
      return cli_usage_error(command, "--seed needs a non-negative integer%s",
                             "");
    a->has_seed = 1;
  } else if (cli_is_option(arg, "--zoo") || cli_is_option(arg, "--env") ||
             cli_is_option(arg, "--algo")) {
    const char *name = arg[2] == 'z'   ? "--zoo"
                       : arg[2] == 'e' ? "--env"
                                       : "--algo";
    value = cli_option_value(argc, argv, i, name);
    if (value == NULL || value[0] == '\0')
      return cli_usage_error(command, "%s needs a value", name);
    *(arg[2] == 'z'   ? &a->zoo
      : arg[2] == 'e' ? &a->zoo_env
                      : &a->zoo_algo) = value;
  } else if (cli_is_option(arg, "--set")) {
    value = cli_option_value(argc, argv, i, "--set");
    if (value == NULL)
      return cli_usage_error(command, "--set needs KEY=VALUE%s", "");
    if (a->n_sets == CLI_MAX_SETS)
      return cli_usage_error(command, "too many --set options%s", "");
    a->sets[a->n_sets++] = value;
  } else {
    return -1;
  }
  return 0;
}

static int check_combination(const char *command, cli_train_args *a) {
  if (a->resume &&
      (a->config || a->out_dir || a->n_sets || a->has_seed || a->force))
    return cli_usage_error(
        command,
        "--resume DIR continues DIR with its own config.yaml; "
        "it takes no CONFIG, -o, --set, --seed or --force%s",
        "");
  if (a->zoo && (a->config || a->resume))
    return cli_usage_error(
        command,
        "--zoo FILE names the experiment; it takes no CONFIG "
        "or --resume%s",
        "");
  if ((a->zoo_env || a->zoo_algo) && a->zoo == NULL)
    return cli_usage_error(command, "--env and --algo go with --zoo FILE%s",
                           "");
  if (a->zoo && a->zoo_env == NULL)
    return cli_usage_error(command,
                           "--zoo FILE needs --env ID: the env whose entry to "
                           "run (for example --env Pendulum-v1)%s",
                           "");
  if (a->config == NULL && a->resume == NULL && a->zoo == NULL)
    return cli_usage_error(command, "missing CONFIG.yaml%s", "");
  return CLI_EXIT_OK;
}

int cli_parse_train_args(const char *command, int argc, char **argv,
                         int train_options, cli_train_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    int rc = common_option(command, argc, argv, &i, a);
    if (rc < 0 && train_options)
      rc = train_value_option(command, argc, argv, &i, a);
    if (rc < 0 && train_options)
      rc = train_flag(arg, a);
    if (rc > 0)
      return rc;
    if (rc == 0)
      continue;
    if (arg[0] == '-' && arg[1] != '\0')
      return cli_usage_error(command, "unknown option '%s'", arg);
    if (a->config != NULL)
      return cli_usage_error(command, "unexpected argument '%s'", arg);
    a->config = arg;
  }
  return check_combination(command, a);
}

int cli_train_args_load(const cli_train_args *a, const char *file,
                        cli_experiment *x) {
  char err[CLI_ERR_SIZE], note[8192];
  int seed = a->has_seed ? a->seed : -1;
  int rc;
  if (a->zoo) {
    rc = cli_experiment_load_zoo(a->zoo, a->zoo_env, a->zoo_algo, a->sets,
                                 a->n_sets, seed, x, note, sizeof note, err,
                                 sizeof err);
    if (note[0] != '\0')
      fprintf(stderr, "note: %s\n", note);
  } else {
    rc =
        cli_experiment_load(file, a->sets, a->n_sets, seed, x, err, sizeof err);
  }
  if (rc == 0)
    return CLI_EXIT_OK;
  fprintf(stderr, "%s\n", err);
  if (a->zoo == NULL && cli_zoo_hint(file, note, sizeof note))
    fprintf(stderr, "hint: %s\n", note);
  return CLI_EXIT_USAGE;
}
