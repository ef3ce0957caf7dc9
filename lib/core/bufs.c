/* One allocation for a table of buffers (core/bufs.h). */
#include "core/bufs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"

#define BUF_ALIGN 64u

size_t crl__buf_elem_size(crl__buf_type t) {
  switch (t) {
#define CRL__BUF_SIZE_CASE(name, size)                                         \
  case CRL__BUF_##name:                                                        \
    return size;
    CRL__BUF_TYPES(CRL__BUF_SIZE_CASE)
#undef CRL__BUF_SIZE_CASE
  }
  return 0;
}

static size_t round_up(size_t n) {
  return (n + (BUF_ALIGN - 1)) & ~(size_t)(BUF_ALIGN - 1);
}

int crl__bufs_alloc(const crl__buf *table, int n, void **block,
                    const char *who) {
  *block = NULL;
  for (int i = 0; i < n; i++)
    *table[i].ptr = NULL;
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    size_t elem = crl__buf_elem_size(table[i].type), bytes;
    if (elem == 0 || __builtin_mul_overflow(table[i].count, elem, &bytes) ||
        total > SIZE_MAX - 2 * BUF_ALIGN ||
        bytes > SIZE_MAX - 2 * BUF_ALIGN - total)
      return crl_fail(CRL_EINVAL, "%s: buffer %d of %d is too large", who, i,
                      n);
    total += round_up(bytes);
  }
  /* At least one byte, so that a table of empty buffers still gets
   * distinct valid pointers. calloc rather than aligned_alloc and memset:
   * the pages of a large buffer that is mostly not written yet (a replay
   * buffer of a million rows) are then not touched until they are used.
   * BUF_ALIGN bytes more to align the first buffer by hand (the sizes
   * were bounded above, so this cannot overflow). */
  size_t size = round_up(total > 0 ? total : 1);
  unsigned char *raw = calloc(1, size + BUF_ALIGN);
  if (raw == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory (%zu bytes of buffers)", who,
                    size);
  unsigned char *base =
      raw + (BUF_ALIGN - (uintptr_t)raw % BUF_ALIGN) % BUF_ALIGN;
  size_t offset = 0;
  for (int i = 0; i < n; i++) {
    *table[i].ptr = base + offset;
    offset += round_up(table[i].count * crl__buf_elem_size(table[i].type));
  }
  *block = raw;
  return 0;
}
