/* Internal: an object's buffers declared as one table and carved out of
 * one allocation (llm.c's malloc_and_point_parameters).
 *
 *   crl__buf bufs[] = {
 *     {(void **)&p->obs, CRL__BUF_REAL, N * O},   // [n_envs, obs_dim]
 *     {(void **)&p->perm, CRL__BUF_SIZE, T * N},  // [n_steps * n_envs]
 *   };
 *   rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "ppo");
 *   ...
 *   free(p->block);
 *
 * Every buffer starts zeroed and 64-byte aligned (a cache line, and what
 * the AVX-512 kernels load), so one free releases all of them and there is
 * no per-buffer failure path. The block comes from calloc, so the pages of
 * a large buffer are not touched before they are written. */
#ifndef CRL_CORE_BUFS_H
#define CRL_CORE_BUFS_H

#include <stddef.h>

#include "crl/common.h"

#define CRL__COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Element types (PTR: an array of pointers, zeroed, i.e. NULL). */
/* clang-format off */
#define CRL__BUF_TYPES(X)      \
  X(REAL,   sizeof(crl_real))  \
  X(DOUBLE, sizeof(double))    \
  X(INT,    sizeof(int))       \
  X(SIZE,   sizeof(size_t))    \
  X(LONG,   sizeof(long))      \
  X(PTR,    sizeof(void *))    \
  X(U8,     1)
/* clang-format on */

typedef enum crl__buf_type {
#define CRL__BUF_ENUM(name, size) CRL__BUF_##name,
  CRL__BUF_TYPES(CRL__BUF_ENUM)
#undef CRL__BUF_ENUM
} crl__buf_type;

typedef struct crl__buf {
  void **ptr;         /* where the buffer's address is stored */
  crl__buf_type type; /* element type */
  size_t count;       /* elements (0 is allowed: the pointer stays valid) */
} crl__buf;

/* Bytes of one element of type t. */
size_t crl__buf_elem_size(crl__buf_type t);

/* Allocate every buffer of the table in one zeroed block, set each *ptr,
 * and store the block in *block (free it with free()). On failure nothing
 * is allocated, every *ptr is NULL and the error (CRL_ENOMEM, or
 * CRL_EINVAL when the sizes overflow) names `who`. */
int crl__bufs_alloc(const crl__buf *table, int n, void **block,
                    const char *who);

#endif
