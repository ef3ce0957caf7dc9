/* Internal to lib/gemm*.c: the kernel-set interface between the products
 * (gemm.c) and the kernels (plain C in gemm.c, AVX-512 and AVX2 in
 * gemm_x86.c). Semantics are those of gemm.h. */
#ifndef CRL_GEMM_IMPL_H
#define CRL_GEMM_IMPL_H

#include "nn/gemm.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define CRL_GEMM_X86 1
#else
#define CRL_GEMM_X86 0
#endif

/* Lanes of the dot product's partial sums: 64 bytes on every ISA. */
#define CRL_DOT_LANES (64 / (int)sizeof(crl_real))

typedef struct crl__gemm_kernels {
  /* dst [cols, rows] = src [rows, cols]^T (data movement only) */
  void (*transpose)(int rows, int cols, const crl_real *src, ptrdiff_t lds,
                    crl_real *dst, ptrdiff_t ldd);
  /* C [m, n] (=|+=) A B with A(i, t) = A[i rsa + t csa], B rows
   * contiguous: sequential sums over t; then the epilogue */
  void (*nn)(int m, int n, int k, const crl_real *A, ptrdiff_t rsa,
             ptrdiff_t csa, const crl_real *B, ptrdiff_t ldb, crl_real *C,
             ptrdiff_t ldc, int acc, const crl__gemm_post *post);
  /* C [m, n] (=|+=) A [m, k] B [n, k]^T: dot products with CRL_DOT_LANES
   * partial sums; no epilogue */
  void (*dot)(int m, int n, int k, const crl_real *A, ptrdiff_t lda,
              const crl_real *B, ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc,
              int acc);
  /* C [m, n] (=|+=) A [m, k] BT [k, n] with dot's sums, for B = BT^T
   * given transposed; then the epilogue */
  void (*tdot)(int m, int n, int k, const crl_real *A, ptrdiff_t lda,
               const crl_real *BT, ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc,
               int acc, const crl__gemm_post *post);
  /* C [m, n] (=|+=) A [m, k] B [n, k]^T: sequential sums over t as nn's,
   * on B's rows as they are; no epilogue */
  void (*shortk)(int m, int n, int k, const crl_real *A, ptrdiff_t lda,
                 const crl_real *B, ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc,
                 int acc);
} crl__gemm_kernels;

#if CRL_GEMM_X86
extern const crl__gemm_kernels crl__gemm_kernels_avx2;
extern const crl__gemm_kernels crl__gemm_kernels_avx512;
#endif

/* Plain-C pieces the vector kernels reuse for ragged edges. */
void crl__gemm_transpose_generic(int rows, int cols, const crl_real *src,
                                 ptrdiff_t lds, crl_real *dst, ptrdiff_t ldd);

#endif
