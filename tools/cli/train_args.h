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
  int jobs; /* -j N; 0: the number of cores */
  int force, quiet, no_plot, check;
} cli_train_args;

/* Parse argv (after the command name). train_options: accept train's
 * options (-o, --resume, -j, --force, --quiet, --no-plot, --check).
 * Returns 0 or the usage exit status (message printed). */
int cli_parse_train_args(const char *command, int argc, char **argv,
                         int train_options, cli_train_args *a);

#endif
