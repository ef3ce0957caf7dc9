/* Internal: whole-run checkpoints, for callers that add sections of their
 * own (the runner stores its step counters and progress next to these). */
#ifndef CRL_CHECKPOINT_H
#define CRL_CHECKPOINT_H

#include <string.h>

#include "crl/algo.h"
#include "io/ckpt.h"

void *crl__algo_self(crl_algo *algo);
int crl__algo_save_into(crl_algo *algo, crl_vec_env *venv, crl_ckpt_writer *w);
int crl__algo_load_from(crl_algo *algo, crl_vec_env *venv,
                        const crl_ckpt_reader *r);

#endif
