/* Options of `crl train` and `crl check`. */
#ifndef TOOLS_TRAIN_ARGS_H
#define TOOLS_TRAIN_ARGS_H

#define CLI_MAX_SETS 256

typedef struct cli_train_args {
  const char *config;  /* CONFIG.yaml (or, for check, a run directory) */
  const char *out_dir; /* -o */
  const char *resume;  /* --resume DIR */
  int has_seed, seed;
  const char *sets[CLI_MAX_SETS];
  int n_sets;
  int jobs;             /* -j N; 0: the number of cores */
  const char *zoo;      /* --zoo FILE: an RL Zoo hyperparameter file */
  const char *zoo_env;  /* --env ID: its entry */
  const char *zoo_algo; /* --algo NAME; NULL: from the file's name */
  int force, quiet, no_plot, check;
} cli_train_args;

/* "crl COMMAND: " the message (fmt with one %s for arg) and the hint to
 * `crl help COMMAND`; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, const char *arg);

/* text as a count in [0, max]: 0, or -1. */
int cli_parse_count(const char *text, long max, int *out);

/* arg is the option name, alone, as "name=value" or (a short one) with
 * digits attached ("-j4"). */
int cli_is_option(const char *arg, const char *name);

/* The value of option argv[*i]: "--set k=v", "--set=k=v", "-j4"; *i
 * moves past a separate value. NULL when there is none. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

/* Parse argv (after the command name). train_options: accept train's
 * options (-o, --resume, -j, --force, --quiet, --no-plot, --check).
 * Returns 0 or the usage exit status (message printed). */
int cli_parse_train_args(const char *command, int argc, char **argv,
                         int train_options, cli_train_args *a);

/* The experiment the arguments name: --zoo FILE --env ID (printing the
 * loader's note on stderr), or file with the --set overrides and --seed.
 * A file that fails to load and looks like a zoo file gets a hint. 0, or
 * CLI_EXIT_USAGE with the message printed. */
struct cli_experiment;
int cli_train_args_load(const cli_train_args *a, const char *file,
                        struct cli_experiment *x);

#endif
