/* Where `crl tune` looks next: random search, or the tree-structured
 * Parzen estimator of Bergstra et al. (2011) with the defaults Optuna
 * made common (random search until it is shown 10 trials, the best
 * ceil(10 %) of the
 * trials (at most 25) as the "good" group, 24 candidates drawn from its
 * density l(x), the one with the highest l(x) / g(x) kept; each parameter
 * on its own). The trial's sample depends only on the seed, the trial's
 * number and the trials it is shown, never on the clock. */
#ifndef TOOLS_TUNE_SAMPLER_H
#define TOOLS_TUNE_SAMPLER_H

#include <stdint.h>

#include "tune/space.h"

/* clang-format off */
#define CLI_SAMPLERS(X)                  \
  X(CLI_SAMPLER_RANDOM, "random")        \
  X(CLI_SAMPLER_TPE,    "tpe")
/* clang-format on */

typedef enum cli_sampler_kind {
#define SAMPLER_ENUM(id, name) id,
  CLI_SAMPLERS(SAMPLER_ENUM)
#undef SAMPLER_ENUM
      CLI_SAMPLER_COUNT
} cli_sampler_kind;

#define CLI_TPE_STARTUP 10    /* random trials before TPE takes over */
#define CLI_TPE_CANDIDATES 24 /* draws from l(x) per parameter */

/* "tpe" -> CLI_SAMPLER_TPE; -1 for a name that is none. */
int cli_sampler_from_name(const char *name);
const char *cli_sampler_name(cli_sampler_kind kind);

/* What the sampler is shown of one earlier trial: its sample and how good
 * it was. A finished trial is ranked by its objective; a pruned one after
 * every finished one, by how far it got, then by its last evaluation.
 * (Failed trials are not shown.) */
typedef struct cli_sampler_obs {
  const double *x; /* [space->n] */
  int pruned;
  double progress; /* pruned: env steps it took */
  double value;    /* objective, or the pruned trial's last evaluation */
} cli_sampler_obs;

/* The sample of trial number `trial` into out[space->n], from the
 * earlier trials obs[0..n-1] (oldest first). 0, or -1 when out of
 * memory. */
int cli_sampler_suggest(const cli_search_space *s, cli_sampler_kind kind,
                        uint64_t seed, int trial, const cli_sampler_obs *obs,
                        int n, double *out);

/* The median of v[0..n-1] (reordered); NAN when n is 0. */
double cli_median(double *v, int n);

#endif
