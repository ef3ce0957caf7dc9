/* Experiment configuration: YAML files and --set overrides, flattened to
 * dotted keys, validated against the runner's own keys and the algorithm's
 * declared parameters.
 *
 * Every error is one message "FILE:LINE:COL: error: ..." (or
 * "--set KEY=VALUE: error: ...") written into the caller's buffer, and
 * nothing is created on disk until the whole configuration is valid. */
#ifndef TOOLS_RUN_CONFIG_H
#define TOOLS_RUN_CONFIG_H

#include <stdio.h>

#include "config/plugins.h"
#include "crl/crl.h"

/* Room for a message that quotes a path or two of PATH_MAX bytes and still
 * ends with its reason. */
#define CLI_ERR_SIZE 12288

/* The value of an entry written as an empty mapping (`policy_kwargs: {}`):
 * kept so that a misspelt key is still reported. */
#define CLI_CFG_EMPTY_MAP "{}"

/* One flattened key with its value as text and where it was written. */
typedef struct cli_cfg_entry {
  char *key;                 /* dotted: "policy_kwargs.net_arch" */
  char *value;               /* scalar text, or "[a, b]" for a sequence */
  char *origin;              /* file name, or "--set KEY=VALUE" */
  int key_line, key_col;     /* 1-based; 0 when not from a file */
  int value_line, value_col; /* 1-based; 0 when not from a file */
} cli_cfg_entry;

typedef struct cli_cfg_entries {
  cli_cfg_entry *v;
  int n, cap;
} cli_cfg_entries;

/* Parse a YAML file and append its flattened keys. Mappings become dotted
 * keys, sequences "[a, b, ...]", scalars their text. Duplicate keys,
 * malformed YAML, a non-mapping document and mappings inside sequences are
 * errors. 0, or -1 with the message in err. */
int cli_cfg_load_yaml(const char *path, cli_cfg_entries *out, char *err,
                      size_t err_size);

/* The same from YAML text; origin names it in messages. */
int cli_cfg_load_yaml_text(const char *text, const char *origin,
                           cli_cfg_entries *out, char *err, size_t err_size);

/* Apply one --set KEY=VALUE: VALUE is read as YAML flow (scalar, [seq] or
 * {map}); each resulting key replaces the same key or is appended. */
int cli_cfg_apply_set(cli_cfg_entries *entries, const char *arg, char *err,
                      size_t err_size);

/* Add a copy of `from` with key and value replaced (NULL: keep them),
 * replacing an entry with the same key. 0, or -1 when out of memory. */
int cli_cfg_put(cli_cfg_entries *entries, const cli_cfg_entry *from,
                const char *key, const char *value);

/* 1 when key is section itself or one of its dotted keys ("grid",
 * "grid.gamma"; not "grids"). */
int cli_cfg_key_in(const char *key, const char *section);

/* Index of key, or -1. */
int cli_cfg_find(const cli_cfg_entries *entries, const char *key);

/* "FILE:LINE:COL: error: " (value position when at_value) or
 * "--set K=V: error: " into buf. */
void cli_cfg_where(const cli_cfg_entry *e, int at_value, char *buf,
                   size_t size);

/* That prefix and the formatted message into err; returns -1, so that a
 * failing check reads `return cli_cfg_fail(e, 1, err, size, "...", ...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
int cli_cfg_fail(const cli_cfg_entry *e, int at_value, char *err, size_t size,
                 const char *fmt, ...);

void cli_cfg_entries_free(cli_cfg_entries *entries);

/* The runner's own keys (the rest go to the algorithm). */
typedef struct cli_run_keys {
  char env[CRL_STRING_MAX];
  char algo[CRL_STRING_MAX];
  int n_timesteps; /* INT_MAX when only n_episodes bounds the run */
  int n_episodes;  /* 0: no episode budget */
  int n_envs;
  int seed;
  crl_int_list seeds;
  int seeds_from;  /* seeds: {from, count}: seeds from .. from+count-1 */
  int seeds_count; /* 0: the list `seeds` is used */
  int eval_every;  /* 0: evaluate only at the end */
  int eval_episodes;
  int eval_deterministic; /* 0: sample actions from the policy */
  int policy; /* RL Zoo's `policy: MlpPolicy`, accepted and checked */
  char name[CRL_STRING_MAX];
  char description[CRL_STRING_MAX];
  double reference_value; /* NAN: no reference line */
  char reference_label[CRL_STRING_MAX];
  int checkpoint_every;       /* 0: only at the end and when interrupted */
  int checkpoint_keep;        /* the most recent checkpoints kept */
  double stop_at_eval_return; /* NAN: no early stop */
  int data_parallel;          /* under mpirun: one run over all the ranks */
  int threads; /* crl_threads_set for the run; 0: what -j leaves free */
} cli_run_keys;

/* NULL-terminated table of the runner keys (for docs and `crl help`). */
extern const crl_param_def cli_run_key_defs[];

/* The columns of progress.csv, in order: the runner's counters and
 * evaluation, the algorithm's statistics (CRL_ALGO_STATS, crl/algo.h),
 * wall_seconds. run/runner.c writes them; `expect:` and `crl plot` name
 * them. */
extern const char *const cli_progress_columns[];
extern const int cli_progress_column_count;

/* One expectation of `expect:` (plot/expect.c checks it): a metric and its
 * bounds. */
#define CLI_MAX_EXPECT 16
typedef struct cli_expect {
  char metric[64]; /* final_eval_return_mean or a progress.csv column */
  double min, max; /* NAN: no bound */
  int by_step;     /* > 0: reached at a row with timesteps <= by_step */
  int by_episode;  /* > 0: reached at a row with episodes <= by_episode */
  int smooth;      /* trailing mean over this many rows of each seed */
} cli_expect;

/* Settings of the environment (`env_kwargs:`), as text. */
#define CLI_MAX_ENV_KWARGS 32
typedef struct cli_env_kwarg {
  char key[64];
  char value[CRL_STRING_MAX];
} cli_env_kwarg;

/* A validated experiment, ready to run. */
typedef struct cli_run_config {
  cli_run_keys keys; /* keys.seeds holds the seeds to run */
  const crl_algo_type *algo;
  void *algo_spec;             /* filled from the algorithm's table */
  char source[CRL_STRING_MAX]; /* the YAML file it came from */
  /* The registered env the run uses: keys.env itself, or with env_kwargs
   * a configured variant registered under a name derived from them. */
  char env_name[128];
  int n_env_kwargs;
  cli_env_kwarg env_kwargs[CLI_MAX_ENV_KWARGS];
  int n_expect;
  cli_expect expect[CLI_MAX_EXPECT];
  /* The plugins it needs (`plugins:` and --plugin), absolute paths owned
   * by plugins.c. */
  int n_plugins;
  const char *plugins[CLI_MAX_PLUGINS];
} cli_run_config;

/* Load, override and validate an experiment completely (including a trial
 * construction of the env and the algorithm, so that inconsistent
 * settings fail here). 0, or -1 with the one message in err. */
int cli_config_load(const char *path, const char *const *sets, int n_sets,
                    cli_run_config *cfg, char *err, size_t err_size);

/* Validate already flattened entries (what cli_config_load does after
 * reading the file); `source` names the file in messages. */
int cli_config_from_entries(const cli_cfg_entries *entries, const char *source,
                            cli_run_config *cfg, char *err, size_t err_size);

/* The env that `env:` and `env_kwargs.*` entries describe (crl eval and
 * crl render build one from --env and --set): the name checked, the
 * settings validated against the env's table and, when there are any, the
 * configured type registered as crl train registers it. name receives the
 * name to crl_env_make. 0, or -1 with the one message in err. */
int cli_config_env_from_entries(const cli_cfg_entries *entries, char *name,
                                size_t name_size, char *err, size_t err_size);

/* Run only this seed instead of the file's list. */
void cli_config_set_single_seed(cli_run_config *cfg, int seed);

/* The seeds to run: how many, and the i-th (list or from/count range). */
int cli_config_seed_count(const cli_run_config *cfg);
int cli_config_seed_at(const cli_run_config *cfg, int i);

/* Write the resolved configuration as YAML that cli_config_load reads back
 * to the same values: every runner key and every algorithm parameter. */
int cli_config_write_yaml(const cli_run_config *cfg, FILE *f);

/* The same without the leading comment (which names the source file), so
 * that equal settings give equal text: what checkpoints store. */
int cli_config_write_body(const cli_run_config *cfg, FILE *f);

/* Validate a configuration held as text (a checkpoint's). */
int cli_config_from_text(const char *text, const char *origin,
                         cli_run_config *cfg, char *err, size_t err_size);

/* A number as the shortest text that reads back to the same double. */
void cli_format_double(double x, char *buf, size_t size);

void cli_config_free(cli_run_config *cfg);

#endif
