/* Internal to config/: what its files give one another (the rest of the
 * program uses config/run_config.h and config/experiment.h). */
#ifndef TOOLS_CONFIG_INTERNAL_H
#define TOOLS_CONFIG_INTERNAL_H

#include "config/run_config.h"

/* ---- sections with keys of their own (config_sections.c) ---------------- */

/* Is key part of `expect:`, `env_kwargs:` or `grid:`? */
int cli_cfg_is_section_key(const char *key);

/* Read `expect:` entries into cfg->expect. */
int cli_config_read_expect(const cli_cfg_entries *entries, cli_run_config *cfg,
                           char *err, size_t size);

/* Read `env_kwargs:` entries, validate them against the env's settings and
 * register the configured env; sets cfg->env_name. */
int cli_config_read_env_kwargs(const cli_cfg_entries *entries,
                               cli_run_config *cfg, char *err, size_t size);

/* Load the plugins of `plugins:` (and those of --plugin) into
 * cfg->plugins (plugins.c). */
int cli_config_read_plugins(const cli_cfg_entries *entries, cli_run_config *cfg,
                            char *err, size_t size);

/* The `plugins:` line of the resolved config (nothing without plugins). */
void cli_config_write_plugins(const cli_run_config *cfg, FILE *f);

/* Write the expect: and env_kwargs: blocks (nothing when empty). */
void cli_config_write_sections(const cli_run_config *cfg, FILE *f);

/* Build the env and the algorithm once with this seed, with narrow
 * networks, after checking the networks' size (config_trial.c). */
int cli_config_trial(const cli_cfg_entries *entries, const cli_run_config *cfg,
                     uint64_t seed, char *err, size_t size);

#endif
