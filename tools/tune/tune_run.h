/* Running a study's trials: up to `workers` at a time in worker
 * processes, in trial order, each started once the trials it learns from
 * are done (study.h); the report files rewritten as each one ends; after
 * Ctrl-C, running trials write checkpoints and stop. */
#ifndef TOOLS_TUNE_RUN_H
#define TOOLS_TUNE_RUN_H

#include "tune/study.h"

/* Run every trial not yet done (interrupted ones continue from their
 * checkpoints). Returns 0, or -1 when a file of the study could not be
 * written (message printed). */
int cli_tune_run(cli_study *st, int quiet);

/* trials.csv and best.yaml from the trials done so far. 0, or -1 (errno). */
int cli_tune_write_report(const cli_study *st);

/* "learning_rate=0.000312 n_steps=512": trial i's values, numbers to 4
 * digits (trials.csv has them all). */
void cli_tune_values_text(const cli_study *st, int i, char *buf, size_t size);

/* The best trials (at most 5) as a table on stdout. */
void cli_tune_print_top(const cli_study *st);

/* DIR/search.png: the objective against trial number and against each
 * parameter. 0, -1 (message in err) or CLI_PLOT_NO_GNUPLOT. */
int cli_tune_plot(const cli_study *st, char *err, size_t size);

#endif
