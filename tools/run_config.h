/* Experiment configuration: YAML files and --set overrides, flattened to
 * dotted keys, validated against the runner's own keys and the algorithm's
 * declared parameters.
 *
 * Every error is one message "FILE:LINE:COL: error: ..." (or
 * "--set KEY=VALUE: error: ...") written into the caller's buffer, and
 * nothing is created on disk until the whole configuration is valid. */
#ifndef CRL_TOOLS_RUN_CONFIG_H
#define CRL_TOOLS_RUN_CONFIG_H

#include <stdio.h>

#include "crl/crl.h"

#define CRL_ERR_SIZE 1024

/* One flattened key with its value as text and where it was written. */
typedef struct crl_cfg_entry {
  char *key;      /* dotted: "policy_kwargs.net_arch" */
  char *value;    /* scalar text, or "[a, b]" for a sequence */
  char *origin;   /* file name, or "--set KEY=VALUE" */
  int key_line, key_col;     /* 1-based; 0 when not from a file */
  int value_line, value_col; /* 1-based; 0 when not from a file */
} crl_cfg_entry;

typedef struct crl_cfg_entries {
  crl_cfg_entry *v;
  int n, cap;
} crl_cfg_entries;

/* Parse a YAML file and append its flattened keys. Mappings become dotted
 * keys, sequences "[a, b, ...]", scalars their text. Duplicate keys,
 * malformed YAML, a non-mapping document and mappings inside sequences are
 * errors. 0, or -1 with the message in err. */
int crl_cfg_load_yaml(const char *path, crl_cfg_entries *out, char *err,
                      size_t err_size);

/* Apply one --set KEY=VALUE: VALUE is read as YAML flow (scalar, [seq] or
 * {map}); each resulting key replaces the same key or is appended. */
int crl_cfg_apply_set(crl_cfg_entries *entries, const char *arg, char *err,
                      size_t err_size);

/* Index of key, or -1. */
int crl_cfg_find(const crl_cfg_entries *entries, const char *key);

/* "FILE:LINE:COL: error: " (value position when at_value) or
 * "--set K=V: error: " into buf. */
void crl_cfg_where(const crl_cfg_entry *e, int at_value, char *buf,
                   size_t size);

void crl_cfg_entries_free(crl_cfg_entries *entries);

/* The runner's own keys (the rest go to the algorithm). */
typedef struct crl_run_keys {
  char env[CRL_STRING_MAX];
  char algo[CRL_STRING_MAX];
  int n_timesteps;   /* INT_MAX when only n_episodes bounds the run */
  int n_episodes;    /* 0: no episode budget */
  int n_envs;
  int seed;
  crl_int_list seeds;
  int seeds_from;    /* seeds: {from, count}: seeds from .. from+count-1 */
  int seeds_count;   /* 0: the list `seeds` is used */
  int eval_every;    /* 0: evaluate only at the end */
  int eval_episodes;
  int eval_deterministic; /* 0: sample actions from the policy */
  int policy;        /* RL Zoo's `policy: MlpPolicy`, accepted and checked */
  char name[CRL_STRING_MAX];
  char description[CRL_STRING_MAX];
  double reference_value;              /* NAN: no reference line */
  char reference_label[CRL_STRING_MAX];
} crl_run_keys;

/* NULL-terminated table of the runner keys (for docs and `crl help`). */
extern const crl_param_def crl_run_key_defs[];

/* A validated experiment, ready to run. */
typedef struct crl_run_config {
  crl_run_keys keys;          /* keys.seeds holds the seeds to run */
  const crl_algo_type *algo;
  void *algo_spec;            /* filled from the algorithm's table */
  char source[CRL_STRING_MAX]; /* the YAML file it came from */
} crl_run_config;

/* Load, override and validate an experiment completely (including a trial
 * construction of the env and the algorithm, so that inconsistent
 * settings fail here). 0, or -1 with the one message in err. */
int crl_config_load(const char *path, const char *const *sets, int n_sets,
                    crl_run_config *cfg, char *err, size_t err_size);

/* Validate already flattened entries (what crl_config_load does after
 * reading the file); `source` names the file in messages. */
int crl_config_from_entries(const crl_cfg_entries *entries, const char *source,
                            crl_run_config *cfg, char *err, size_t err_size);

/* Run only this seed instead of the file's list. */
void crl_config_set_single_seed(crl_run_config *cfg, int seed);

/* The seeds to run: how many, and the i-th (list or from/count range). */
int crl_config_seed_count(const crl_run_config *cfg);
int crl_config_seed_at(const crl_run_config *cfg, int i);

/* Write the resolved configuration as YAML that crl_config_load reads back
 * to the same values: every runner key and every algorithm parameter. */
int crl_config_write_yaml(const crl_run_config *cfg, FILE *f);

void crl_config_free(crl_run_config *cfg);

#endif
