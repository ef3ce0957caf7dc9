/* crl: seeds. One run seed determines every random stream: each stream gets
 * its own seed derived from (run seed, stream id) by a SplitMix64 mix, so
 * adding a stream never shifts another. Streams use GSL's gsl_rng. */
#ifndef CRL_RNG_H
#define CRL_RNG_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/state.h"

CRL_BEGIN_DECLS

/* Stream ids used by the library; user code may use ids >= 1000. */
enum {
  CRL_STREAM_ENV = 0,     /* vec env copy i: crl_seed_derive(that, i) */
  CRL_STREAM_INIT = 100,  /* network initialisation */
  CRL_STREAM_ACT = 101,   /* action sampling */
  CRL_STREAM_BATCH = 102, /* minibatch shuffling */
  CRL_STREAM_EVAL = 103,  /* evaluation env resets */
  CRL_STREAM_RANKS = 104  /* rank r of a group: crl_group_seed */
};

/** A well-mixed 64-bit seed for stream `stream` of run seed `seed`. */
CRL_API uint64_t crl_seed_derive(uint64_t seed, uint64_t stream);

/** A new gsl_rng (MT19937) seeded with crl_seed_derive(seed, stream);
 *  NULL when out of memory (free with gsl_rng_free). */
CRL_API gsl_rng *crl_rng_alloc(uint64_t seed, uint64_t stream);

/** A generator's state in a checkpoint (crl/state.h): "type" (its GSL name,
 *  which must match on load) and "state" (its bytes). Only MT19937
 *  generators can be restored; the loaded state is checked first. */
CRL_API int crl_rng_sections(void *rng, crl_state_io *io);

CRL_END_DECLS

#endif
