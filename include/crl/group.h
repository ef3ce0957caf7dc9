/* crl: one training run computed by several processes (data parallel).
 *
 * libcrl does no communication itself: the program that runs the
 * processes (the crl program under mpirun, or an embedder with its own
 * transport) describes them with a crl_group and hands it to the vec env
 * (crl_vec_env_share) and to the algorithm (crl_algo_set_group). Each
 * process then steps its own block of the env copies and computes its own
 * part of every gradient, and the group's functions combine them. Both
 * must give every process the same bytes, whatever the transport: the
 * sum in rank order, the blocks in rank order. */
#ifndef CRL_GROUP_H
#define CRL_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "crl/common.h"

CRL_BEGIN_DECLS

typedef struct crl_group {
  int rank; /* this process, 0 <= rank < size */
  int size; /* processes in the run */
  void *ctx;
  /* v[0..n) becomes the sum over the processes of their v, added in rank
   * order (((v_0 + v_1) + v_2) + ...), the same bits on every process.
   * 0, or non-zero when the transport failed. */
  int (*sum)(void *ctx, double *v, size_t n);
  /* buf holds size blocks of block_bytes; this process filled block
   * `rank`: fill every other block from the process of that rank. 0, or
   * non-zero when the transport failed. */
  int (*gather)(void *ctx, void *buf, size_t block_bytes);
} crl_group;

/** The seed of rank `rank`'s own streams when every process explores on
 *  its own (off-policy data parallel): rank 0 keeps seed, rank r > 0 gets
 *  crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_RANKS), r). */
CRL_API uint64_t crl_group_seed(uint64_t seed, int rank);

CRL_END_DECLS

#endif
