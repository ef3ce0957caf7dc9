/* The crl program's commands. Each takes the arguments after the command
 * name and returns the exit status: 0 success, 1 failure while running,
 * 2 bad usage or bad configuration (nothing was written), 3 an expectation
 * of the experiment was not met, 130 interrupted (Ctrl-C or SIGTERM; a
 * checkpoint was written). */
#ifndef TOOLS_COMMANDS_H
#define TOOLS_COMMANDS_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_EXPECT 3
#define CLI_EXIT_INTERRUPTED 130

int cli_cmd_train(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);
int cli_cmd_plot(int argc, char **argv);
int cli_cmd_envs(int argc, char **argv);
int cli_cmd_algos(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_eval(int argc, char **argv);
int cli_cmd_render(int argc, char **argv);
int cli_cmd_check_env(int argc, char **argv);

#include <stddef.h>
#include <stdio.h>

#include "crl/params.h"

/* A parameter table, one row per key: key, type, default, range, doc.
 * default_label, when not NULL, may replace the default shown for a key
 * (the runner's required keys have none). */
void cli_print_param_table(const crl_param_def *defs,
                           const char *(*default_label)(const char *key));

/* Print the usage of one command (or all when name is NULL) to f. */
void cli_print_usage(const char *name, FILE *f);

/* "runs/pendulum_ppo" for "experiments/pendulum/ppo.yaml": the default
 * output directory of a config file. */
void cli_default_run_dir(const char *config_path, char *buf, size_t size);

#endif
