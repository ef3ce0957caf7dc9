/* Buffer tables (core/bufs.h): every buffer aligned, zeroed, disjoint and
 * inside the one block; empty buffers valid; overflowing sizes refused
 * with every pointer left NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/bufs.h"
#include "crl/crl.h"

static void test_layout(void **state) {
  (void)state;
  crl_real *a, *b;
  double *c;
  int *d;
  size_t *e;
  unsigned char *f, *empty;
  const crl__buf bufs[] = {
      {(void **)&a, CRL__BUF_REAL, 3},   {(void **)&empty, CRL__BUF_U8, 0},
      {(void **)&b, CRL__BUF_REAL, 100}, {(void **)&c, CRL__BUF_DOUBLE, 7},
      {(void **)&d, CRL__BUF_INT, 1},    {(void **)&e, CRL__BUF_SIZE, 5},
      {(void **)&f, CRL__BUF_U8, 65},
  };
  void *block = NULL;
  assert_int_equal(crl__bufs_alloc(bufs, CRL__COUNT(bufs), &block, "t"), 0);
  assert_non_null(block);
  uintptr_t lo = (uintptr_t)block, hi = 0;
  for (int i = 0; i < CRL__COUNT(bufs); i++) {
    unsigned char *p = *bufs[i].ptr;
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    size_t bytes = bufs[i].count * crl__buf_elem_size(bufs[i].type);
    for (size_t k = 0; k < bytes; k++)
      assert_int_equal(p[k], 0);
    memset(p, 0xA5, bytes); /* writable, and ASan checks the bounds */
    assert_true((uintptr_t)p >= lo);
    if ((uintptr_t)p + bytes > hi)
      hi = (uintptr_t)p + bytes;
    /* disjoint from every other non-empty buffer */
    for (int j = 0; j < i; j++) {
      unsigned char *q = *bufs[j].ptr;
      size_t qb = bufs[j].count * crl__buf_elem_size(bufs[j].type);
      if (bytes > 0 && qb > 0)
        assert_true(p + bytes <= q || q + qb <= p);
    }
  }
  /* the writes above did not touch each other's bytes */
  assert_int_equal(a[0] == a[2], 1);
  assert_int_equal(d[0], (int)0xA5A5A5A5);
  free(block);
}

static void test_overflow_refused(void **state) {
  (void)state;
  crl_real *a = (crl_real *)&a, *b = (crl_real *)&b;
  const crl__buf bufs[] = {
      {(void **)&a, CRL__BUF_REAL, 4},
      {(void **)&b, CRL__BUF_DOUBLE, SIZE_MAX / 4},
  };
  void *block = (void *)&block;
  assert_int_equal(crl__bufs_alloc(bufs, 2, &block, "huge"), CRL_EINVAL);
  assert_null(block);
  assert_null(a);
  assert_null(b);
  assert_non_null(strstr(crl_last_error(), "huge"));
}

static void test_empty_table(void **state) {
  (void)state;
  void *block = NULL;
  assert_int_equal(crl__bufs_alloc(NULL, 0, &block, "none"), 0);
  assert_non_null(block);
  free(block);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),
      cmocka_unit_test(test_overflow_refused),
      cmocka_unit_test(test_empty_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
