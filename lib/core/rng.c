/* Seed derivation: SplitMix64 over (seed, stream); a generator's state in
 * checkpoints. */
#include "crl/rng.h"

#include <string.h>

#include "crl/error.h"
#include "crl/group.h"

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t crl_seed_derive(uint64_t seed, uint64_t stream) {
  /* Two rounds so that nearby (seed, stream) pairs land far apart. */
  return splitmix64(splitmix64(seed) ^ (stream * 0xd1342543de82ef95ULL + 1));
}

uint64_t crl_group_seed(uint64_t seed, int rank) {
  if (rank <= 0)
    return seed;
  return crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_RANKS),
                         (uint64_t)rank);
}

gsl_rng *crl_rng_alloc(uint64_t seed, uint64_t stream) {
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (r == NULL)
    return NULL;
  /* MT19937 in GSL takes the low 32 bits; fold the high half in. */
  uint64_t s = crl_seed_derive(seed, stream);
  unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffUL);
  if (s32 == 0)
    s32 = 4357; /* GSL maps 0 to its default seed anyway; keep it explicit */
  gsl_rng_set(r, s32);
  return r;
}

/* ---- checkpoints --------------------------------------------------------- */

/* GSL's MT19937 state: unsigned long mt[624]; int mti; with mti <= 624. */
#define MT_N 624
#define MT_STATE_MIN (MT_N * sizeof(unsigned long) + sizeof(int))

/* An index outside the table would make the next draw read past it. */
static int mt_state_ok(const void *bytes, size_t count) {
  int mti;
  if (count < MT_STATE_MIN)
    return crl_fail(CRL_EFORMAT, "checkpoint: MT19937 state too short");
  memcpy(&mti, (const unsigned char *)bytes + MT_N * sizeof(unsigned long),
         sizeof mti);
  if (mti < 0 || mti > MT_N)
    return crl_fail(CRL_EFORMAT,
                    "checkpoint: MT19937 state holds an invalid index %d", mti);
  return 0;
}

int crl_rng_sections(void *obj, crl_state_io *io) {
  gsl_rng *rng = obj;
  /* Only MT19937 (all the library makes) has a state it knows how to
   * check before the generator runs on it. */
  if (crl_state_loading(io) && (strcmp(gsl_rng_name(rng), "mt19937") != 0 ||
                                gsl_rng_size(rng) < MT_STATE_MIN))
    return crl_fail(CRL_EUNSUPPORTED,
                    "checkpoint: cannot restore a '%s' generator",
                    gsl_rng_name(rng));
  const crl_state_item items[] = {
      CRL_STATE(STRING, "type", gsl_rng_name(rng), 0, CRL_STATE_MATCH),
      {.name = "state",
       .kind = CRL_STATE_BYTES,
       .ptr = gsl_rng_state(rng),
       .count = gsl_rng_size(rng),
       .check = mt_state_ok},
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
