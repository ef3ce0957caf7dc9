/* RL Zoo's hyperparameter files (rl-baselines3-zoo's hyperparams/ALGO.yml)
 * read as they are: one entry per env id, `default:` as the fallback,
 * anchors, aliases and `<<:` merges, the Python literals of
 * `policy_kwargs` and `normalize`, and the zoo's conventions translated to
 * crl's keys. What crl cannot do is one error naming the zoo key. */
#ifndef TOOLS_ZOO_H
#define TOOLS_ZOO_H

#include "config/run_config.h"

/* The experiment that env's entry of the zoo file at path describes, as
 * flattened entries whose positions point into the file, with `env:` and
 * `algo:` added. algo: the algorithm, or NULL to take it from the file's
 * name (ppo.yml -> ppo). note receives what the user should be told (the
 * entry taken was `default:`; the env runs under another version) or "".
 * 0, or -1 with the one message in err. */
int cli_zoo_entries(const char *path, const char *env, const char *algo,
                    cli_cfg_entries *out, char *note, size_t note_size,
                    char *err, size_t err_size);

/* Does the file look like a zoo file (a mapping of env ids to mappings,
 * without `env:` and `algo:`)? Then hint receives a line that tells how to
 * run it and 1 is returned; else 0. */
int cli_zoo_hint(const char *path, char *hint, size_t hint_size);

#endif
