/* The search space of `crl tune`: the experiment file's `search:` block,
 *
 *   search:
 *     learning_rate: {log_uniform: [1e-5, 1e-2]}
 *     n_steps: {choice: [256, 512, 1024]}
 *     gamma: {uniform: [0.9, 0.9999]}
 *     policy_kwargs.net_arch: {choice: [[64, 64], [256, 256]]}
 *
 * one distribution per parameter, each checked against the algorithm's
 * parameter table (kind, range) with the place of the entry in messages.
 * `crl train` ignores the block and trains the values written above it.
 *
 * A sample holds one number per parameter: the value itself for the
 * numeric distributions (an integral one for int_*), the index of the
 * value for `choice`. */
#ifndef TOOLS_TUNE_SPACE_H
#define TOOLS_TUNE_SPACE_H

#include <stdio.h>

#include "config/experiment.h"

#define CLI_MAX_SEARCH 16

/* clang-format off */
#define CLI_DISTRIBUTIONS(X)                                                   \
  X(CLI_DIST_UNIFORM,         "uniform",         0, 0)                         \
  X(CLI_DIST_LOG_UNIFORM,     "log_uniform",     1, 0)                         \
  X(CLI_DIST_INT_UNIFORM,     "int_uniform",     0, 1)                         \
  X(CLI_DIST_INT_LOG_UNIFORM, "int_log_uniform", 1, 1)                         \
  X(CLI_DIST_CHOICE,          "choice",          0, 0)
/* clang-format on */

typedef enum cli_dist_kind {
#define DIST_ENUM(id, name, log, integer) id,
  CLI_DISTRIBUTIONS(DIST_ENUM)
#undef DIST_ENUM
      CLI_DIST_COUNT
} cli_dist_kind;

typedef struct cli_search_param {
  char key[CRL_STRING_MAX]; /* "policy_kwargs.net_arch" */
  cli_dist_kind kind;
  double low, high;      /* numeric kinds: inclusive bounds */
  cli_grid_axis choices; /* CHOICE: each value's text, as YAML gives it */
  int entry;             /* index of its entry in the file's entries */
} cli_search_param;

typedef struct cli_search_space {
  int n;
  cli_search_param p[CLI_MAX_SEARCH];
} cli_search_space;

/* "log_uniform" for CLI_DIST_LOG_UNIFORM. */
const char *cli_dist_name(cli_dist_kind kind);
/* Sampled on a log scale / integers only. */
int cli_dist_is_log(cli_dist_kind kind);
int cli_dist_is_int(cli_dist_kind kind);

/* Read the `search.*` entries and check each against base (the file's
 * experiment without the block: its algorithm's table and the runner's
 * keys). An empty block, a key the algorithm does not have, an empty or
 * log range with a bound <= 0, a value of the wrong type or out of the
 * parameter's range: -1 with one "FILE:LINE:COL: error: ..." in err. */
int cli_search_read(const cli_cfg_entries *entries, const cli_experiment *base,
                    cli_search_space *s, char *err, size_t size);

/* Parameter i of a sample as the text of its YAML value (unquoted). */
int cli_search_value_text(const cli_search_space *s, int i, double v, char *buf,
                          size_t size);

/* The sample's value back from that text (reading a trial's parameters
 * after a resume): 0, or -1 when it is not one the parameter can take. */
int cli_search_value_parse(const cli_search_space *s, int i, const char *text,
                           double *v);

/* The `search:` block as YAML, which cli_search_read reads back. */
void cli_search_write_yaml(const cli_search_space *s, FILE *f);

void cli_search_free(cli_search_space *s);

#endif
