/* An experiment file expanded into its runs: the Cartesian product of the
 * `grid:` values (each a validated configuration, a "point" with a
 * readable directory name), times the seeds. Without a grid there is one
 * point whose name is empty: its files live in the run directory itself. */
#ifndef TOOLS_EXPERIMENT_H
#define TOOLS_EXPERIMENT_H

#include "config/run_config.h"

#define CLI_MAX_GRID_AXES 8
#define CLI_MAX_GRID_POINTS 4096

typedef struct cli_grid_axis {
  char key[CRL_STRING_MAX]; /* the dotted key the values go to */
  int n;
  char **values; /* each value's text, as YAML gives it */
} cli_grid_axis;

typedef struct cli_experiment {
  int n_axes;
  cli_grid_axis axes[CLI_MAX_GRID_AXES];
  int n_points;
  cli_run_config *points; /* [n_points] */
  char **names;           /* [n_points] "lr=1e-3_gamma=0.9", "" if no grid */
} cli_experiment;

/* Load, override and validate every point of an experiment file. With
 * seed >= 0 every point runs only that seed. 0, or -1 with the one
 * message in err (a point's own error names the point). */
int cli_experiment_load(const char *path, const char *const *sets, int n_sets,
                        int seed, cli_experiment *x, char *err,
                        size_t err_size);

/* The same for an RL Zoo file's entry (config/zoo.h: env's entry, algo
 * NULL for the file's name); note receives what the user should be told
 * or "". */
int cli_experiment_load_zoo(const char *path, const char *env, const char *algo,
                            const char *const *sets, int n_sets, int seed,
                            cli_experiment *x, char *note, size_t note_size,
                            char *err, size_t err_size);

/* The same from flattened entries (source names the file). */
int cli_experiment_from_entries(const cli_cfg_entries *entries,
                                const char *source, cli_experiment *x,
                                char *err, size_t err_size);

/* The value axis `axis` takes at point p. */
const char *cli_experiment_value(const cli_experiment *x, int p, int axis);

/* The resolved experiment as YAML: the first point's settings and the
 * grid, which cli_experiment_load reads back to the same points. */
int cli_experiment_write_yaml(const cli_experiment *x, FILE *f);

/* The same as a malloc'd string (the caller frees it), or NULL. */
char *cli_experiment_yaml_text(const cli_experiment *x);

/* Split "[a, [b, c], \"d, e\"]" at its top-level commas into
 * axis->values, outside quoted items (which stay quoted: read each with
 * cli_yaml_unquote). -1 when it is not a non-empty list (or out of
 * memory); what was split is in axis either way. */
int cli_grid_split_list(const char *text, cli_grid_axis *axis);

/* "a=[64, 64]" -> "a=64-64": a value as a directory-name part. */
void cli_grid_value_name(const char *value, char *buf, size_t size);

void cli_experiment_free(cli_experiment *x);

#endif
