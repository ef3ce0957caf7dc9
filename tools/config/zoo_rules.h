/* Internal to config/: RL Zoo's key conventions translated to crl's keys
 * (zoo_rules.c), for zoo.c. */
#ifndef TOOLS_ZOO_RULES_H
#define TOOLS_ZOO_RULES_H

#include "config/run_config.h"

/* Append to out the crl entries for an entry's keys (without "ENV."),
 * for algo: the zoo's conventions (n_timesteps, normalize, policy_kwargs
 * literals, train_freq, gSDE, ...) translated, the keys crl cannot honour
 * refused with one message at their position. 0, or -1 with it in err. */
int cli_zoo_translate(const crl_algo_type *algo, const cli_cfg_entries *entry,
                      cli_cfg_entries *out, char *err, size_t err_size);

#endif
