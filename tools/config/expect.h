/* Checking a finished run against its `expect:` block: one verdict line
 * per expectation (and per seed that did not finish), PASS or FAIL. */
#ifndef TOOLS_EXPECT_H
#define TOOLS_EXPECT_H

#include <stdio.h>

#include "config/experiment.h"

/* Check every point of x whose files are under run_dir; verdicts go to
 * out, each line prefixed with the point's name when there is a grid.
 * Returns the number of failed expectations (0: all met), or -1 when the
 * files cannot be read at all (message in err). *n_checked counts the
 * expectations. */
int cli_expect_check(const cli_experiment *x, const char *run_dir, FILE *out,
                     int *n_checked, char *err, size_t err_size);

#endif
