/* The crl program's commands. Each takes the arguments after the command
 * name and returns the exit status (CLI_EXIT_*, run/status.h). */
#ifndef TOOLS_COMMANDS_H
#define TOOLS_COMMANDS_H

#include "run/status.h"

int cli_cmd_train(int argc, char **argv);
int cli_cmd_tune(int argc, char **argv);
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

/* 1 when name is one of the commands cli_print_usage documents. */
int cli_is_command(const char *name);

/* The command nearest to a misspelt name, or NULL. */
const char *cli_nearest_command(const char *name);

/* "runs/pendulum_ppo" for "experiments/pendulum/ppo.yaml": the default
 * output directory of a config file. */
void cli_default_run_dir(const char *config_path, char *buf, size_t size);

#endif
