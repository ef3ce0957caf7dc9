/* Internal, transitional: the per-object checkpoint helpers of before
 * crl/state.h, as thin wrappers over the modules' sections functions. Kept
 * only for the files not yet converted to tables (algos/ppo.c, a2c.c,
 * trpo.c, grpo.c, reinforce.c, qac.c, onpolicy.c and lib/rl/pg_policy.c;
 * see docs/embedding.md "Checkpointing an algorithm"); remove this header
 * with their last use. New code declares its state as a crl_state_item
 * table instead. */
#ifndef CRL_STATE_IO_H
#define CRL_STATE_IO_H

#include <gsl/gsl_rng.h>

#include "crl/error.h"
#include "crl/normalizer.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "crl/state.h"
#include "io/ckpt.h"

static inline int crl__rng_save(gsl_rng *rng, crl_ckpt_writer *w,
                                const char *name) {
  return crl_state_save(w, name, crl_rng_sections, rng);
}
static inline int crl__rng_load(gsl_rng *rng, const crl_ckpt_reader *r,
                                const char *name) {
  return crl_state_load(r, name, crl_rng_sections, rng);
}

/* n must be the optimiser's size (it always was). */
static inline int crl__adam_save(crl_adam *adam, size_t n, crl_ckpt_writer *w,
                                 const char *prefix) {
  (void)n;
  return crl_state_save(w, prefix, crl_adam_sections, adam);
}
static inline int crl__adam_load(crl_adam *adam, size_t n,
                                 const crl_ckpt_reader *r, const char *prefix) {
  (void)n;
  return crl_state_load(r, prefix, crl_adam_sections, adam);
}

static inline int crl__normalizer_save(crl_normalizer *n, crl_ckpt_writer *w,
                                       const char *prefix) {
  return crl_state_save(w, prefix, crl_normalizer_sections, n);
}
static inline int crl__normalizer_load(crl_normalizer *n,
                                       const crl_ckpt_reader *r,
                                       const char *prefix) {
  return crl_state_load(r, prefix, crl_normalizer_sections, n);
}

#endif
