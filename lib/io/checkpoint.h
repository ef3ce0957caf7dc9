/* Internal: the algorithm handle's implementation object, for the
 * whole-run checkpoints of io/checkpoint.c (crl_algo_checkpoint_*). */
#ifndef CRL_CHECKPOINT_H
#define CRL_CHECKPOINT_H

#include "crl/algo.h"

void *crl__algo_self(crl_algo *algo);

/* Transitional names of crl_algo_checkpoint_write / _read, for callers
 * not yet moved to the public ones (tools/run/policy_src.c). */
static inline int crl__algo_save_into(crl_algo *algo, crl_vec_env *venv,
                                      crl_ckpt_writer *w) {
  return crl_algo_checkpoint_write(algo, venv, w);
}
static inline int crl__algo_load_from(crl_algo *algo, crl_vec_env *venv,
                                      const crl_ckpt_reader *r) {
  return crl_algo_checkpoint_read(algo, venv, r);
}

#endif
