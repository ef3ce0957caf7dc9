/* Internal: small-matrix products for the MLP, with runtime ISA dispatch.
 *
 * The three products a dense layer needs, on row-major crl_real matrices:
 *   crl__gemm_nt  C [m, n] (=|+=) A [m, k] B [n, k]^T   forward  y = x W^T
 *   crl__gemm_nn  C [m, n] (=|+=) A [m, k] B [k, n]     backward dx = dy W
 *   crl__gemm_tn  C [m, n]  +=    A [k, m]^T B [k, n]   backward dW += dy^T x
 * (`acc` = 0 overwrites C, 1 adds to it; lda, ldb, ldc are row strides.)
 *
 * Shapes in RL are small (widths 1-400, batches 1-256), where a BLAS call
 * spends much of its time packing and, with OpenBLAS 0.3.21 on a CPU it
 * does not recognise, runs SSE3 kernels. These kernels use AVX-512 or
 * AVX2+FMA when the CPU has them (chosen once, at the first call) and plain
 * C otherwise. CBLAS takes the products where it is faster (see
 * blas_min_volume in gemm.c): with OpenBLAS, every product on a CPU
 * without AVX2+FMA, and otherwise those of m n k = 2^24 and more (above
 * 2^27 when OpenBLAS runs its SSE-only kernels, or its AVX2 ones on an
 * AVX-512 CPU); never with GSL's CBLAS. CRL_MAX_ISA (crl/kernels.h) caps
 * the CPU's set, and the rule follows the cap.
 *
 * Arithmetic order, which fixes the bits of every result:
 *  - nn, tn, and nt with n >= 5 and (m >= 8 or k < 16): each C element is one
 *    sequential sum over k, starting from C (acc) or 0, one multiply-add
 *    per step. The AVX-512 and AVX2 kernels fuse each step into one FMA and
 *    so give identical bits to each other; the plain-C kernel rounds the
 *    product and the sum separately (the project builds with
 *    -ffp-contract=off) and can differ from them in the last bits. (For
 *    nt the kernels either transpose B first or, for m <= 2 and k < 16,
 *    read it as it is: data movement only, the same sums.)
 *  - nt with n <= 4, or m < 8 and k >= 16 (inference): each element is a dot
 *    product with 64 / sizeof(crl_real) partial sums (lane l takes every
 *    index t = l mod lanes), added in a fixed halving tree, then added to C
 *    when acc. Again identical on AVX-512 and AVX2, and unfused in plain C.
 *  - products given to CBLAS: the BLAS library's order.
 * The path depends only on (m, n, k), the CPU and the BLAS build, never on
 * the alignment of the buffers or on threads, so one machine gives
 * bit-identical results run after run. With crl_threads_set(n), a large
 * product's rows are split over n threads, each element computed by the
 * same sums (CBLAS products stay whole): the bits do not depend on n. */
#ifndef CRL_GEMM_H
#define CRL_GEMM_H

#include "crl/kernels.h"

/* The kernel-set choice (crl_gemm_isa_*) and the products without an
 * epilogue (crl_gemm_nt, _nn, _tn) are public: crl/kernels.h. */

/* An optional epilogue on the product, applied to each element c of C
 * right after its sum (in registers when the kernels allow), with
 * exactly the arithmetic of the separate loops it replaces:
 *   BIAS       c + v[j]                     v: bias [n]
 *   BIAS_RELU  (c + v[j]) > 0 ? c + v[j] : 0
 *   DRELU      y > 0 ? c : 0                v: layer output y [m, ldv]
 *   DTANH      c * (1 - y * y)              (the derivatives through y) */
typedef enum crl__gemm_post_op {
  CRL_POST_NONE = 0,
  CRL_POST_BIAS,
  CRL_POST_BIAS_RELU,
  CRL_POST_DRELU,
  CRL_POST_DTANH
} crl__gemm_post_op;

typedef struct crl__gemm_post {
  crl__gemm_post_op op;
  const crl_real *v;
  int ldv; /* row stride of y for DRELU, DTANH */
} crl__gemm_post;

/* Elementwise loops that should vectorise for the CPU at hand: compiled
 * for AVX-512, AVX2 and the baseline, picked by the loader (an ifunc).
 * Plain C without FMA contraction gives the same bits on each. */
/* Not under ThreadSanitizer: the clones' ifunc resolvers run, instrumented,
 * before its runtime starts, and crash (the clones' bits are the same). */
#if defined(__SANITIZE_THREAD__)
#define CRL__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CRL__TSAN 1
#endif
#endif
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute) &&   \
    !defined(CRL__TSAN)
#if __has_attribute(target_clones)
#define CRL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CRL_CLONES
#define CRL_CLONES
#endif

/* post may be NULL (no epilogue). */
void crl__gemm_nt(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post, crl_real *work);
void crl__gemm_nn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post);
/* crl__gemm_nt's C, bit for bit, given B [n, k] (row stride ldb) and also
 * its transpose BT [k, n] (row stride ldbt): a frozen network's W and W^T,
 * transposed once. Each path reads the copy it runs best on, so nothing
 * is transposed per call; in the calling thread (inference). */
void crl__gemm_nt_bt(int m, int n, int k, const crl_real *A, int lda,
                     const crl_real *B, int ldb, const crl_real *BT, int ldbt,
                     crl_real *C, int ldc, int acc, const crl__gemm_post *post);
void crl__gemm_tn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc,
                  crl_real *work);

#endif
