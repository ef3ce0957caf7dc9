/* Seed derivation: SplitMix64 over (seed, stream). */
#include "crl/rng.h"

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
