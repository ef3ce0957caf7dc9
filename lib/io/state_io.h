/* Internal: saving and restoring the state of library objects in a
 * checkpoint container, so that a resumed run continues bit for bit. */
#ifndef CRL_STATE_IO_H
#define CRL_STATE_IO_H

#include <gsl/gsl_rng.h>

#include "crl/env.h"
#include "crl/normalizer.h"
#include "crl/optim.h"
#include "crl/replay.h"
#include "crl/vec_env.h"
#include "io/ckpt.h"

/* A generator's full state under `name` (its GSL type name is checked on
 * load, so a file from another generator is refused). */
int crl__rng_save(const gsl_rng *rng, crl_ckpt_writer *w, const char *name);
int crl__rng_load(gsl_rng *rng, const crl_ckpt_reader *r, const char *name);

/* One env handle: the env's state (get_state), the TimeLimit counter and
 * the reset RNG. Fails with CRL_EUNSUPPORTED for an env without
 * get_state/set_state. Section names start with prefix. */
int crl__env_save(const crl_env *env, crl_ckpt_writer *w, const char *prefix);
int crl__env_load(crl_env *env, const crl_ckpt_reader *r, const char *prefix);

/* A vec env: every copy, the current and final observations, flags,
 * running episode returns and the recent-episode statistics.
 * Every loader checks what it reads (counts, ranges, finiteness) before
 * using it, so a hand-edited file with a valid checksum cannot make it
 * touch memory it should not. When a load fails part-way, the object is
 * memory-safe but its state is unspecified: free it or load again. */
int crl__vec_env_save(const crl_vec_env *v, crl_ckpt_writer *w,
                      const char *prefix);
int crl__vec_env_load(crl_vec_env *v, const crl_ckpt_reader *r,
                      const char *prefix);

/* Adam's moments and step count. */
int crl__adam_save(crl_adam *adam, size_t n, crl_ckpt_writer *w,
                   const char *prefix);
int crl__adam_load(crl_adam *adam, size_t n, const crl_ckpt_reader *r,
                   const char *prefix);

/* Normaliser statistics. */
int crl__normalizer_save(const crl_normalizer *n, crl_ckpt_writer *w,
                         const char *prefix);
int crl__normalizer_load(crl_normalizer *n, const crl_ckpt_reader *r,
                         const char *prefix);

/* A replay buffer's filled rows, size and position ("<prefix>.size",
 * ".pos", ".obs", ...). The loader checks size and position against this
 * buffer's capacity (position = size until it has wrapped), that every
 * value is finite and every terminated flag 0 or 1. */
int crl__replay_save(const crl_replay *rb, crl_ckpt_writer *w,
                     const char *prefix);
int crl__replay_load(crl_replay *rb, const crl_ckpt_reader *r,
                     const char *prefix);

#endif
