/* Experiment validation: flattened entries → runner keys + algorithm spec.
 *
 * Order of checks (the first failure is the one message reported): runner
 * keys in file order, required keys, env and algo names, seed/seeds,
 * algorithm keys in file order, then a trial construction of the env and
 * the algorithm so that settings only the algorithm can judge (batch_size
 * vs n_steps * n_envs) fail before any file is written. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

#define K(field) offsetof(cli_run_keys, field)

const crl_param_def cli_run_key_defs[] = {
    {"env", CRL_PARAM_STRING, K(env), "", 0, 0, NULL,
     "environment name (required; `crl envs` lists them)"},
    {"algo", CRL_PARAM_STRING, K(algo), "", 0, 0, NULL,
     "algorithm name (required; `crl algos` lists them)"},
    {"n_timesteps", CRL_PARAM_INT, K(n_timesteps), "1", 1, INT_MAX, NULL,
     "env steps to train for, all copies together (required)"},
    {"n_episodes", CRL_PARAM_INT, K(n_episodes), "0", 0, INT_MAX, NULL,
     "train until this many episodes have ended (0 = none); with it, "
     "n_timesteps may be left out; the first budget reached ends the run"},
    {"n_envs", CRL_PARAM_INT, K(n_envs), "1", 1, 4096, NULL,
     "env copies stepped together"},
    {"seed", CRL_PARAM_INT, K(seed), "0", 0, INT_MAX, NULL,
     "one seed to run (or use seeds)"},
    {"seeds", CRL_PARAM_INT_LIST, K(seeds), "[0]", 0, INT_MAX, NULL,
     "seeds to run, one training run each"},
    {"seeds.from", CRL_PARAM_INT, K(seeds_from), "0", 0, INT_MAX, NULL,
     "or seeds: {from: A, count: N} runs seeds A .. A+N-1"},
    {"seeds.count", CRL_PARAM_INT, K(seeds_count), "0", 0, 100000, NULL,
     "number of seeds of the from/count form"},
    {"eval.every", CRL_PARAM_INT, K(eval_every), "0", 0, INT_MAX, NULL,
     "evaluate each time the step count crosses a multiple of this (default "
     "n_timesteps/20; 0 = only at the end)"},
    {"eval.episodes", CRL_PARAM_INT, K(eval_episodes), "10", 1, 100000, NULL,
     "episodes per evaluation"},
    {"eval.deterministic", CRL_PARAM_BOOL, K(eval_deterministic), "true", 0, 1,
     NULL,
     "evaluate the mean / most likely action; false samples from the policy"},
    {"policy", CRL_PARAM_ENUM, K(policy), "MlpPolicy", 0, 0, "MlpPolicy",
     "RL Zoo's policy class; only MlpPolicy exists"},
    {"name", CRL_PARAM_STRING, K(name), "", 0, 0, NULL, "a label for the run"},
    {"description", CRL_PARAM_STRING, K(description), "", 0, 0, NULL,
     "free text"},
    {"reference.value", CRL_PARAM_REAL_OPT, K(reference_value), "null",
     -HUGE_VAL, HUGE_VAL, NULL,
     "a horizontal line `crl plot` draws (e.g. the optimal value)"},
    {"reference.label", CRL_PARAM_STRING, K(reference_label), "", 0, 0, NULL,
     "its legend text"},
    {"checkpoint.every", CRL_PARAM_INT, K(checkpoint_every), "0", 0, INT_MAX,
     NULL,
     "write a checkpoint each time the step count crosses a multiple of "
     "this (0 = only at the end and on Ctrl-C)"},
    {"checkpoint.keep", CRL_PARAM_INT, K(checkpoint_keep), "1", 1, 1000, NULL,
     "how many of the most recent checkpoints to keep"},
    {"stop_at.eval_return", CRL_PARAM_REAL_OPT, K(stop_at_eval_return), "null",
     -HUGE_VAL, HUGE_VAL, NULL,
     "stop a seed's training after the first evaluation whose mean return "
     "reaches this (null = train the whole budget)"},
    {"distributed.data_parallel", CRL_PARAM_BOOL, K(data_parallel), "false", 0,
     1, NULL,
     "under mpirun, each run is computed by all the ranks together: each "
     "steps its share of the env copies and computes its part of every "
     "gradient (docs/distributed.md); alone, the same run in one process"},
    {"threads", CRL_PARAM_INT, K(threads), "0", 0, CRL_THREADS_MAX, NULL,
     "threads one run splits its large products and optimiser steps over "
     "(crl_threads_set; the same bits for every value); 0 = the cores that "
     "-j leaves free (one per run under mpirun)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

static const char *const required_keys[] = {"env", "algo", "n_timesteps"};

/* ---- messages ---------------------------------------------------------- */

/* The library's message for a failed set, located at the value. */
static int fail_set(const cli_cfg_entry *e, char *err, size_t size) {
  char why[CLI_ERR_SIZE];
  snprintf(why, sizeof why, "%s", crl_last_error());
  return cli_cfg_fail(e, 1, err, size, "%s", why);
}

/* ---- unknown keys ------------------------------------------------------ */

static int is_runner_key(const char *key) {
  return crl_params_find(cli_run_key_defs, key) != NULL;
}

static int is_mapping_prefix(const crl_param_def *defs, const char *key);

/* `eval: {}` or `policy_kwargs: {}`: an empty mapping where a mapping
 * belongs changes nothing. */
static int is_harmless_empty_map(const cli_cfg_entry *e,
                                 const crl_algo_type *algo) {
  return strcmp(e->value, CLI_CFG_EMPTY_MAP) == 0 &&
         (is_mapping_prefix(cli_run_key_defs, e->key) ||
          (algo && is_mapping_prefix(algo->params, e->key)));
}

/* Keys that are neither the runner's nor the algorithm's. */
static int is_other_key(const cli_cfg_entry *e, const crl_algo_type *algo) {
  return cli_cfg_is_section_key(e->key) || is_harmless_empty_map(e, algo);
}

/* Some declared key lives under "key." (so key is a mapping). */
static int is_mapping_prefix(const crl_param_def *defs, const char *key) {
  size_t n = strlen(key);
  for (const crl_param_def *d = defs; d && d->name; d++)
    if (strncmp(d->name, key, n) == 0 && d->name[n] == '.')
      return 1;
  return 0;
}

/* "every, episodes" for the keys under prefix. */
static void list_sub_keys(const crl_param_def *defs, const char *prefix,
                          char *buf, size_t size) {
  size_t n = strlen(prefix), used = 0;
  buf[0] = '\0';
  for (const crl_param_def *d = defs; d && d->name; d++) {
    if (strncmp(d->name, prefix, n) != 0 || d->name[n] != '.')
      continue;
    int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                     d->name + n + 1);
    if (w < 0 || (size_t)w >= size - used)
      return;
    used += (size_t)w;
  }
}

/* Collect runner and algorithm names to suggest from (both tables, since a
 * typo of n_timesteps must not be "corrected" to an algorithm's n_steps). */
static int all_key_names(const crl_algo_type *algo, const char **names,
                         int max) {
  int n = 0;
  for (const crl_param_def *d = cli_run_key_defs; d->name && n < max; d++)
    names[n++] = d->name;
  for (const crl_param_def *d = algo ? algo->params : NULL;
       d && d->name && n < max; d++)
    names[n++] = d->name;
  return n;
}

static int fail_unknown_key(const cli_cfg_entry *e, const crl_algo_type *algo,
                            char *err, size_t size) {
  const crl_param_def *tables[2] = {cli_run_key_defs,
                                    algo ? algo->params : NULL};
  for (int t = 0; t < 2; t++)
    if (tables[t] && is_mapping_prefix(tables[t], e->key)) {
      char keys[512];
      list_sub_keys(tables[t], e->key, keys, sizeof keys);
      return cli_cfg_fail(e, 1, err, size,
                          "'%s' expects a mapping with keys %s, got \"%s\"",
                          e->key, keys, e->value);
    }
  /* A scalar key written as a mapping: `gamma: {x: 1}` → "gamma.x". */
  char parent[CRL_STRING_MAX];
  snprintf(parent, sizeof parent, "%s", e->key);
  for (char *dot = strrchr(parent, '.'); dot; dot = strrchr(parent, '.')) {
    *dot = '\0';
    if ((is_runner_key(parent) &&
         !is_mapping_prefix(cli_run_key_defs, parent)) ||
        crl_params_find(algo ? algo->params : NULL, parent))
      return cli_cfg_fail(e, 0, err, size,
                          "'%s' is a single value, not a mapping (found '%s')",
                          parent, e->key);
  }
  const char *names[512];
  int n = all_key_names(algo, names, 512);
  const char *near = crl_nearest_name(e->key, names, n);
  if (near)
    return cli_cfg_fail(e, 0, err, size,
                        "unknown key '%s' (did you mean '%s'?)", e->key, near);
  if (algo)
    return cli_cfg_fail(
        e, 0, err, size,
        "unknown key '%s' (`crl algos %s` lists the algorithm's "
        "keys)",
        e->key, algo->name);
  return cli_cfg_fail(e, 0, err, size, "unknown key '%s'", e->key);
}

/* ---- runner keys -------------------------------------------------------- */

static int set_runner_keys(const cli_cfg_entries *entries, cli_run_keys *keys,
                           char *err, size_t size) {
  crl_params_defaults(cli_run_key_defs, keys);
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (is_runner_key(e->key) &&
        crl_params_set(cli_run_key_defs, keys, e->key, e->value))
      return fail_set(e, err, size);
  }
  return 0;
}

static int check_required(const cli_cfg_entries *entries, const char *source,
                          char *err, size_t size) {
  for (size_t i = 0; i < sizeof required_keys / sizeof *required_keys; i++) {
    if (cli_cfg_find(entries, required_keys[i]) >= 0)
      continue;
    if (strcmp(required_keys[i], "n_timesteps") == 0 &&
        cli_cfg_find(entries, "n_episodes") >= 0)
      continue; /* an episode budget alone is enough */
    const crl_param_def *d =
        crl_params_find(cli_run_key_defs, required_keys[i]);
    snprintf(err, size, "%s:1:1: error: missing required key '%s': %s", source,
             d->name, d->doc);
    return -1;
  }
  return 0;
}

static int check_env_name(const cli_cfg_entry *e, char *err, size_t size) {
  if (crl_env_find(e->value) != NULL)
    return 0;
  const char *names[256];
  int n = crl_env_count() < 256 ? crl_env_count() : 256;
  for (int i = 0; i < n; i++)
    names[i] = crl_env_at(i)->name;
  const char *near = crl_nearest_name(e->value, names, n);
  if (near)
    return cli_cfg_fail(e, 1, err, size,
                        "unknown env '%s' (did you mean '%s'?)", e->value,
                        near);
  return cli_cfg_fail(e, 1, err, size,
                      "unknown env '%s' (`crl envs` lists them)", e->value);
}

static int check_algo_name(const cli_cfg_entry *e, char *err, size_t size) {
  if (crl_algo_find(e->value) != NULL)
    return 0;
  const char *names[256];
  int n = crl_algo_count() < 256 ? crl_algo_count() : 256;
  for (int i = 0; i < n; i++)
    names[i] = crl_algo_at(i)->name;
  const char *near = crl_nearest_name(e->value, names, n);
  if (near)
    return cli_cfg_fail(e, 1, err, size,
                        "unknown algo '%s' (did you mean '%s'?)", e->value,
                        near);
  return cli_cfg_fail(e, 1, err, size,
                      "unknown algo '%s' (`crl algos` lists them)", e->value);
}

/* seed and seeds both given: an override (--set) wins over the file; two
 * in the file is ambiguous. */
/* The entry that gives the seeds as a list or as {from, count}; both
 * forms at once are an error. */
static int find_seeds(const cli_cfg_entries *entries, int *index, char *err,
                      size_t size) {
  int list = cli_cfg_find(entries, "seeds");
  int from = cli_cfg_find(entries, "seeds.from");
  int count = cli_cfg_find(entries, "seeds.count");
  int range = count >= 0 ? count : from;
  if (list >= 0 && range >= 0) {
    int list_set = entries->v[list].key_line == 0;
    int range_set = entries->v[range].key_line == 0;
    if (list_set == range_set)
      return cli_cfg_fail(&entries->v[list > range ? list : range], 0, err,
                          size,
                          "give 'seeds' as a list or as {from, count}, not "
                          "both");
    /* An override (--set) of one form replaces the file's other form. */
    if (list_set)
      from = count = range = -1;
    else
      list = -1;
  }
  if (from >= 0 && count < 0)
    return cli_cfg_fail(&entries->v[from], 0, err, size,
                        "'seeds.from' needs 'seeds.count'");
  *index = list >= 0 ? list : range;
  return 0;
}

static int resolve_seeds(const cli_cfg_entries *entries, cli_run_keys *keys,
                         char *err, size_t size) {
  int one = cli_cfg_find(entries, "seed");
  int list = -1;
  if (find_seeds(entries, &list, err, size))
    return -1;
  if (list >= 0 && strcmp(entries->v[list].key, "seeds") == 0)
    keys->seeds_count = 0; /* the list form was chosen */
  if (keys->seeds_count > 0 && keys->seeds_from > INT_MAX - keys->seeds_count)
    return cli_cfg_fail(&entries->v[list], 1, err, size,
                        "seeds.from + seeds.count exceeds %d", INT_MAX);
  int use_one = one >= 0;
  if (one >= 0 && list >= 0) {
    int one_set = entries->v[one].key_line == 0;
    int list_set = entries->v[list].key_line == 0;
    if (one_set == list_set) {
      const cli_cfg_entry *later = &entries->v[one > list ? one : list];
      return cli_cfg_fail(later, 0, err, size,
                          "give either 'seed' or 'seeds', not both");
    }
    use_one = one_set;
  }
  if (use_one) {
    keys->seeds.n = 1;
    keys->seeds.v[0] = keys->seed;
    keys->seeds_count = 0;
  }
  if (keys->seeds_count > 0)
    return 0;
  if (list >= 0 && strcmp(entries->v[list].key, "seeds") != 0)
    return cli_cfg_fail(&entries->v[list], 1, err, size,
                        "'seeds.count' expects at least one seed");
  if (keys->seeds.n == 0)
    return cli_cfg_fail(&entries->v[list], 1, err, size,
                        "'seeds' expects at least one seed");
  for (int i = 1; i < keys->seeds.n; i++)
    for (int j = 0; j < i; j++)
      if (keys->seeds.v[i] == keys->seeds.v[j])
        return cli_cfg_fail(&entries->v[list], 1, err, size,
                            "'seeds' lists seed %d twice", keys->seeds.v[i]);
  return 0;
}

static void resolve_eval_every(const cli_cfg_entries *entries,
                               cli_run_keys *keys) {
  /* Only an episode budget: no step budget. */
  if (cli_cfg_find(entries, "n_timesteps") < 0)
    keys->n_timesteps = INT_MAX;
  if (cli_cfg_find(entries, "eval.every") >= 0)
    return;
  if (keys->n_timesteps == INT_MAX) {
    keys->eval_every = 0; /* steps are no measure here: only at the end */
    return;
  }
  long every = lround(keys->n_timesteps / 20.0);
  keys->eval_every = every < 1 ? 1 : (int)every;
}

/* ---- algorithm keys ----------------------------------------------------- */

static int set_algo_keys(const cli_cfg_entries *entries, cli_run_config *cfg,
                         char *err, size_t size) {
  if (crl_algo_spec_alloc(cfg->algo, &cfg->algo_spec)) {
    snprintf(err, size, "%s: error: algo '%s': %s", cfg->source,
             cfg->algo->name, crl_last_error());
    return -1;
  }
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (is_runner_key(e->key) || is_other_key(e, cfg->algo))
      continue;
    if (!crl_params_find(cfg->algo->params, e->key))
      return fail_unknown_key(e, cfg->algo, err, size);
    if (crl_algo_spec_set(cfg->algo, cfg->algo_spec, e->key, e->value))
      return fail_set(e, err, size);
  }
  return 0;
}

/* Periodic checkpoints need an algorithm that can save itself. */
static int check_checkpoints(const cli_cfg_entries *entries,
                             const cli_run_config *cfg, char *err,
                             size_t size) {
  int i = cli_cfg_find(entries, "checkpoint.every");
  if (i < 0 || cfg->keys.checkpoint_every == 0 || cfg->algo->save != NULL)
    return 0;
  return cli_cfg_fail(&entries->v[i], 1, err, size,
                      "algo '%s' cannot be checkpointed (it has no save)",
                      cfg->algo->name);
}

/* A grid is several configurations: grid.c expands it before this. */
static int refuse_grid(const cli_cfg_entries *entries, char *err, size_t size) {
  for (int i = 0; i < entries->n; i++)
    if (strncmp(entries->v[i].key, "grid.", 5) == 0)
      return cli_cfg_fail(&entries->v[i], 0, err, size,
                          "'grid' is not expected here");
  return 0;
}

/* ---- entry points ------------------------------------------------------- */

static int check_unknown_before_algo(const cli_cfg_entries *entries, char *err,
                                     size_t size) {
  /* Mapping-shaped mistakes on runner keys (eval: 5, n_envs: {..}) are
   * reported even before the algorithm is known. */
  for (int i = 0; i < entries->n; i++) {
    const cli_cfg_entry *e = &entries->v[i];
    if (!is_runner_key(e->key) && strchr(e->key, '.') == NULL &&
        is_mapping_prefix(cli_run_key_defs, e->key) && !is_other_key(e, NULL))
      return fail_unknown_key(e, NULL, err, size);
  }
  return 0;
}

int cli_config_from_entries(const cli_cfg_entries *entries, const char *source,
                            cli_run_config *cfg, char *err, size_t err_size) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->source, sizeof cfg->source, "%s", source);
  if (refuse_grid(entries, err, err_size) ||
      set_runner_keys(entries, &cfg->keys, err, err_size) ||
      check_unknown_before_algo(entries, err, err_size) ||
      check_required(entries, source, err, err_size) ||
      cli_config_read_plugins(entries, cfg, err, err_size) ||
      check_env_name(&entries->v[cli_cfg_find(entries, "env")], err,
                     err_size) ||
      check_algo_name(&entries->v[cli_cfg_find(entries, "algo")], err,
                      err_size) ||
      resolve_seeds(entries, &cfg->keys, err, err_size) ||
      cli_config_read_env_kwargs(entries, cfg, err, err_size))
    return -1;
  resolve_eval_every(entries, &cfg->keys);
  cfg->algo = crl_algo_find(cfg->keys.algo);
  if (set_algo_keys(entries, cfg, err, err_size) ||
      cli_config_read_expect(entries, cfg, err, err_size) ||
      check_checkpoints(entries, cfg, err, err_size) ||
      cli_config_trial(entries, cfg, (uint64_t)cli_config_seed_at(cfg, 0), err,
                       err_size)) {
    cli_config_free(cfg);
    return -1;
  }
  return 0;
}

int cli_config_env_from_entries(const cli_cfg_entries *entries, char *name,
                                size_t name_size, char *err, size_t err_size) {
  int i = cli_cfg_find(entries, "env");
  if (i < 0) {
    snprintf(err, err_size, "no env given");
    return -1;
  }
  if (check_env_name(&entries->v[i], err, err_size))
    return -1;
  cli_run_config *cfg = calloc(1, sizeof *cfg); /* large: not on the stack */
  if (cfg == NULL) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  snprintf(cfg->keys.env, sizeof cfg->keys.env, "%s", entries->v[i].value);
  int rc = cli_config_read_env_kwargs(entries, cfg, err, err_size);
  if (rc == 0)
    snprintf(name, name_size, "%s", cfg->env_name);
  free(cfg);
  return rc;
}

int cli_config_load(const char *path, const char *const *sets, int n_sets,
                    cli_run_config *cfg, char *err, size_t err_size) {
  cli_cfg_entries entries = {0};
  memset(cfg, 0, sizeof *cfg);
  int rc = cli_cfg_load_yaml(path, &entries, err, err_size);
  for (int i = 0; rc == 0 && i < n_sets; i++)
    rc = cli_cfg_apply_set(&entries, sets[i], err, err_size);
  if (rc == 0)
    rc = cli_config_from_entries(&entries, path, cfg, err, err_size);
  cli_cfg_entries_free(&entries);
  return rc;
}

int cli_config_from_text(const char *text, const char *origin,
                         cli_run_config *cfg, char *err, size_t err_size) {
  cli_cfg_entries entries = {0};
  memset(cfg, 0, sizeof *cfg);
  int rc = cli_cfg_load_yaml_text(text, origin, &entries, err, err_size);
  if (rc == 0)
    rc = cli_config_from_entries(&entries, origin, cfg, err, err_size);
  cli_cfg_entries_free(&entries);
  return rc;
}

void cli_config_set_single_seed(cli_run_config *cfg, int seed) {
  cfg->keys.seed = seed;
  cfg->keys.seeds.n = 1;
  cfg->keys.seeds.v[0] = seed;
  cfg->keys.seeds_count = 0;
}

int cli_config_seed_count(const cli_run_config *cfg) {
  return cfg->keys.seeds_count > 0 ? cfg->keys.seeds_count : cfg->keys.seeds.n;
}

int cli_config_seed_at(const cli_run_config *cfg, int i) {
  if (cfg->keys.seeds_count > 0)
    return cfg->keys.seeds_from + i;
  return cfg->keys.seeds.v[i];
}

void cli_config_free(cli_run_config *cfg) {
  crl_algo_spec_free(cfg->algo_spec);
  cfg->algo_spec = NULL;
}
