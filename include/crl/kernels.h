/* crl: the matrix products the networks run on, and the kernel set that
 * computes them, for benchmarks and for comparing results across CPUs.
 *
 * The networks' dense layers use three products on row-major crl_real
 * matrices (lda, ldb, ldc are row strides; acc = 0 overwrites C, 1 adds
 * to it):
 *   crl_gemm_nt  C [m, n] (=|+=) A [m, k] B [n, k]^T   forward  y = x W^T
 *   crl_gemm_nn  C [m, n] (=|+=) A [m, k] B [k, n]     backward dx = dy W
 *   crl_gemm_tn  C [m, n]  +=    A [k, m]^T B [k, n]   backward dW += dy^T x
 * They run on AVX-512 or AVX2+FMA kernels when the CPU has them, plain C
 * otherwise, and hand large products to CBLAS where it is faster. The
 * kernel set fixes the last bits of every result (the AVX kernels agree
 * with each other, plain C may differ from them), so a run is
 * reproducible on one machine, and crl_gemm_isa_force makes two machines
 * comparable.
 *
 * The environment variable CRL_MAX_ISA (generic, avx2 or avx512), read
 * when CRL_GEMM_AUTO is first resolved, caps the set it resolves to, and
 * the choice of CBLAS follows the set as on a CPU that has no more: with
 * CRL_MAX_ISA=avx2 an AVX-512 machine computes what an AVX2 machine with
 * the same BLAS build computes, bit for bit. Other values are ignored
 * here (the crl program refuses them). */
#ifndef CRL_KERNELS_H
#define CRL_KERNELS_H

#include "crl/common.h"

CRL_BEGIN_DECLS

typedef enum crl_gemm_isa {
  CRL_GEMM_AUTO = 0,    /* best the CPU supports, CBLAS where it is faster */
  CRL_GEMM_GENERIC = 1, /* plain C (auto-vectorised for the baseline ISA) */
  CRL_GEMM_AVX2 = 2,    /* AVX2 + FMA */
  CRL_GEMM_AVX512 = 3,  /* AVX-512F */
  CRL_GEMM_BLAS = 4     /* always CBLAS (for comparisons) */
} crl_gemm_isa;

/** The kernel set in use once CRL_GEMM_AUTO is resolved (never AUTO):
 *  the best the CPU supports, at most CRL_MAX_ISA's. */
CRL_API crl_gemm_isa crl_gemm_isa_active(void);

/** What CRL_MAX_ISA says: the crl_gemm_isa it names (generic, avx2 or
 *  avx512, in any case), CRL_GEMM_AUTO when it is unset, -1 for any other value
 * (which caps nothing). */
CRL_API int crl_gemm_max_isa(void);

/** Whether this build and CPU can run isa (1) or not (0). */
CRL_API int crl_gemm_isa_supported(crl_gemm_isa isa);

/** Use one kernel set process-wide; CRL_GEMM_AUTO restores the default.
 *  With an explicit set CBLAS is never used, so the kernels run at every
 *  size. Returns 0, or -1 if isa is not supported. Products running in
 *  other threads meanwhile may use either set. */
CRL_API int crl_gemm_isa_force(crl_gemm_isa isa);

/** "auto", "generic", "avx2", "avx512", "blas" ("?" for other values). */
CRL_API const char *crl_gemm_isa_name(crl_gemm_isa isa);

/** Scratch the products need, in crl_real values, for shape (m, n, k):
 *  the `work` argument of crl_gemm_nt and crl_gemm_tn. */
CRL_API size_t crl_gemm_work_size(int m, int n, int k);

/** The three products (see the top of this header). work holds at least
 *  crl_gemm_work_size(m, n, k) values. */
CRL_API void crl_gemm_nt(int m, int n, int k, const crl_real *A, int lda,
                         const crl_real *B, int ldb, crl_real *C, int ldc,
                         int acc, crl_real *work);
CRL_API void crl_gemm_nn(int m, int n, int k, const crl_real *A, int lda,
                         const crl_real *B, int ldb, crl_real *C, int ldc,
                         int acc);
CRL_API void crl_gemm_tn(int m, int n, int k, const crl_real *A, int lda,
                         const crl_real *B, int ldb, crl_real *C, int ldc,
                         crl_real *work);

/** Most threads crl_threads_set takes. */
#define CRL_THREADS_MAX 256

/** Split the large products and optimiser steps that the calling thread
 *  computes over n threads: itself and n - 1 helper threads it owns
 *  (started here, stopped by crl_threads_set(1)). Every result has the
 *  same bits for every n: each thread computes whole rows of a product
 *  (or a range of a parameter vector), each element by the same sums as
 *  with one thread. A product is split into blocks of at least 64 rows
 *  and 2^20 multiply-adds, or not at all; the rest of a training step
 *  (environments, sampling, small layers) stays on the calling thread.
 *  Idle helpers spin for a fraction of a millisecond, then sleep.
 *  Start them after fork(), never before: a child process does not
 *  inherit them. Returns CRL_OK, CRL_EINVAL unless 1 <= n <=
 *  CRL_THREADS_MAX, or CRL_ENOMEM (the thread then keeps one thread). */
CRL_API int crl_threads_set(int n);

/** The calling thread's n of crl_threads_set (1 until it is called). */
CRL_API int crl_threads_get(void);

CRL_END_DECLS

#endif
