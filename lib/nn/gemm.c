/* Small-matrix products with runtime ISA dispatch (see gemm.h).
 *
 * Layout: the plain-C kernels here, the x86-64 vector kernels in
 * gemm_x86.c (gemm_kern.h compiled for AVX-512 and for AVX2+FMA); then the
 * choice of kernel set; then the three products, which pick a loop shape
 * from (m, n, k) and hand it to the kernel set or to CBLAS. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "nn/blas.h"
#include "nn/gemm_impl.h"

#define DOT_LANES CRL_DOT_LANES

/* ---- plain C: the reference order, without FMA ------------------------- */

/* The epilogue of gemm.h on C [m, n], as a separate pass: for the kernels
 * that do not fuse it. The same arithmetic as the fused versions. */
CRL_CLONES static void post_pass(int m, int n, crl_real *restrict C,
                                 ptrdiff_t ldc, const crl__gemm_post *post) {
  if (post == NULL || post->op == CRL_POST_NONE)
    return;
  const crl_real *restrict v = post->v; /* bias [n], or y [m, ldv] */
  for (int i = 0; i < m; i++) {
    crl_real *restrict c = C + i * ldc; /* [n] */
    const crl_real *restrict y =
        post->op >= CRL_POST_DRELU ? v + (ptrdiff_t)i * post->ldv : v;
    switch (post->op) {
    case CRL_POST_BIAS:
      for (int j = 0; j < n; j++)
        c[j] = c[j] + v[j];
      break;
    case CRL_POST_BIAS_RELU:
      for (int j = 0; j < n; j++) {
        const crl_real t = c[j] + v[j];
        c[j] = t > 0 ? t : 0;
      }
      break;
    case CRL_POST_DRELU:
      for (int j = 0; j < n; j++)
        c[j] = y[j] > 0 ? c[j] : 0;
      break;
    case CRL_POST_DTANH:
      for (int j = 0; j < n; j++)
        c[j] = c[j] * (1 - y[j] * y[j]);
      break;
    default:
      break;
    }
  }
}

static void nn_generic(int m, int n, int k, const crl_real *A, ptrdiff_t rsa,
                       ptrdiff_t csa, const crl_real *restrict B, ptrdiff_t ldb,
                       crl_real *restrict C, ptrdiff_t ldc, int acc,
                       const crl__gemm_post *post) {
  for (int i = 0; i < m; i++) {
    crl_real *restrict c = C + i * ldc; /* [n] */
    if (!acc)
      memset(c, 0, (size_t)n * sizeof *c);
    for (int t = 0; t < k; t++) {
      const crl_real a = A[i * rsa + t * csa];
      const crl_real *restrict b = B + t * ldb; /* [n] */
      for (int j = 0; j < n; j++)
        c[j] += a * b[j];
    }
  }
  post_pass(m, n, C, ldc, post);
}

static crl_real hsum_generic(crl_real *p) {
  for (int w = DOT_LANES / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; l++)
      p[l] += p[l + w];
  return p[0];
}

static void dot_generic(int m, int n, int k, const crl_real *A, ptrdiff_t lda,
                        const crl_real *B, ptrdiff_t ldb, crl_real *C,
                        ptrdiff_t ldc, int acc) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      const crl_real *a = A + i * lda, *b = B + j * ldb; /* [k] each */
      crl_real p[DOT_LANES] = {0};
      for (int t = 0; t < k; t++)
        p[t % DOT_LANES] += a[t] * b[t];
      const crl_real s = hsum_generic(p);
      C[i * ldc + j] = acc ? C[i * ldc + j] + s : s;
    }
}

/* dst [cols, rows] = src [rows, cols]^T, src with row stride lds; in
 * blocks so that both sides stay in cache lines. (Data movement only: no
 * effect on any result's bits.) */
void crl__gemm_transpose_generic(int rows, int cols,
                                 const crl_real *restrict src, ptrdiff_t lds,
                                 crl_real *restrict dst, ptrdiff_t ldd) {
  enum { T = 16 };
  for (int r0 = 0; r0 < rows; r0 += T)
    for (int c0 = 0; c0 < cols; c0 += T) {
      const int r1 = r0 + T < rows ? r0 + T : rows;
      const int c1 = c0 + T < cols ? c0 + T : cols;
      for (int c = c0; c < c1; c++)
        for (int r = r0; r < r1; r++)
          dst[c * ldd + r] = src[r * lds + c];
    }
}

/* ---- kernel sets and their choice --------------------------------------- */

typedef crl__gemm_kernels kernels;

static const kernels k_generic = {crl__gemm_transpose_generic, nn_generic,
                                  dot_generic};

/* 0 until the first call resolves AUTO; then the crl_gemm_isa in use. A
 * relaxed atomic: every thread computes the same value. */
static _Atomic int active_isa = 0;
static _Atomic int forced = 0;

int crl_gemm_isa_supported(crl_gemm_isa isa) {
  switch (isa) {
  case CRL_GEMM_AUTO:
  case CRL_GEMM_GENERIC:
  case CRL_GEMM_BLAS:
    return 1;
#if CRL_GEMM_X86
  case CRL_GEMM_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case CRL_GEMM_AVX512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
  default:
    return 0;
  }
}

static crl_gemm_isa best_isa(void) {
  if (crl_gemm_isa_supported(CRL_GEMM_AVX512))
    return CRL_GEMM_AVX512;
  if (crl_gemm_isa_supported(CRL_GEMM_AVX2))
    return CRL_GEMM_AVX2;
  return CRL_GEMM_GENERIC;
}

crl_gemm_isa crl_gemm_isa_active(void) {
  int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
  if (isa == 0) {
    isa = (int)best_isa();
    atomic_store_explicit(&active_isa, isa, memory_order_relaxed);
  }
  return (crl_gemm_isa)isa;
}

int crl_gemm_isa_force(crl_gemm_isa isa) {
  if (!crl_gemm_isa_supported(isa))
    return -1;
  atomic_store_explicit(&forced, isa != CRL_GEMM_AUTO, memory_order_relaxed);
  atomic_store_explicit(&active_isa, isa == CRL_GEMM_AUTO ? 0 : (int)isa,
                        memory_order_relaxed);
  return 0;
}

const char *crl_gemm_isa_name(crl_gemm_isa isa) {
  static const char *const names[] = {"auto", "generic", "avx2", "avx512",
                                      "blas"};
  return (unsigned)isa < sizeof names / sizeof names[0] ? names[isa] : "?";
}

static const kernels *pick(void) {
  switch (crl_gemm_isa_active()) {
#if CRL_GEMM_X86
  case CRL_GEMM_AVX512:
    return &crl__gemm_kernels_avx512;
  case CRL_GEMM_AVX2:
    return &crl__gemm_kernels_avx2;
#endif
  default:
    return &k_generic;
  }
}

/* Whether a product of volume m * n * k goes to CBLAS under CRL_GEMM_AUTO.
 * Measured by bench/bench_mlp (docs/benchmarks.md), OpenBLAS 0.3.21 on an
 * AVX-512 CPU:
 *  - with the SSE3 (PRESCOTT) kernels it falls back to on a CPU it does not
 *    recognise, OpenBLAS is slower than the AVX-512 and AVX2 kernels at
 *    every size, and faster than the plain-C ones at almost every size;
 *  - with its own kernels for the CPU (Skylake-X forced) it is level with
 *    the AVX-512 kernels at about 3e7 (a 400 x 300 layer at batch 256) and
 *    ahead beyond, where these kernels, which do not block for the caches,
 *    fall off (1024^3: 3x).
 * GSL's CBLAS is a reference implementation, never faster than plain C. */
static double blas_min_volume(void) {
#if defined(CRL_USE_OPENBLAS)
  if (crl_gemm_isa_active() == CRL_GEMM_GENERIC)
    return 0.0;
  /* OpenBLAS names the kernel set it picked; the SSE-only ones: */
  static const char *const sse[] = {"Prescott",   "Core2",   "Penryn",
                                    "Dunnington", "Nehalem", "Atom",
                                    "Barcelona",  "Opteron", "Bobcat"};
  const char *core = openblas_get_corename();
  for (size_t i = 0; core != NULL && i < sizeof sse / sizeof sse[0]; i++)
    if (strcmp(core, sse[i]) == 0)
      return (double)512 * 512 * 512; /* only beyond anything RL uses */
  return (double)(1 << 24);
#else
  return INFINITY;
#endif
}

/* Whether this product goes to CBLAS. */
static int use_blas(int m, int n, int k) {
  const crl_gemm_isa isa = crl_gemm_isa_active();
  if (isa == CRL_GEMM_BLAS)
    return 1;
  if (atomic_load_explicit(&forced, memory_order_relaxed))
    return 0;
  /* Computed once per process, like the ISA (the value is the same in
   * every thread, so a race only repeats the work). */
  static _Atomic double min_volume = -1.0;
  double v = atomic_load_explicit(&min_volume, memory_order_relaxed);
  if (v < 0) {
    v = blas_min_volume();
    atomic_store_explicit(&min_volume, v, memory_order_relaxed);
  }
  return (double)m * n * k > v;
}

/* ---- the products -------------------------------------------------------- */

/* nt transposes B into work [k, n] (or panels of its columns) when it
 * takes the sequential-sum path; tn may compute a transposed C in work
 * [n, m] when n is much smaller than m, or else transpose A into work
 * [m, k]. */
size_t crl_gemm_work_size(int m, int n, int k) {
  const size_t nt = (size_t)k * (size_t)n; /* B^T, or panels of it */
  const size_t tn = (size_t)m * (size_t)n; /* C^T */
  const size_t ta = (size_t)m * (size_t)k; /* A^T */
  const size_t w = nt > tn ? nt : tn;
  return w > ta ? w : ta;
}

void crl__gemm_nt(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post, crl_real *work) {
  if (m <= 0 || n <= 0)
    return;
  if (use_blas(m, n, k)) {
    CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, A, lda, B,
             ldb, acc ? 1 : 0, C, ldc);
    post_pass(m, n, C, ldc, post);
    return;
  }
  const kernels *ks = pick();
  /* Dot products when B is a few rows (an output layer), or A a few rows
   * (inference, collection from a few envs) and k long enough to fill a
   * vector, where transposing B would cost as much as the product;
   * otherwise transpose B once and run sequential sums. */
  if (n <= 4 || (m < 8 && k >= 16)) {
    if (n == 1 && ldc == 1) /* a value head: the same sums as C^T = B A^T,
                               whose tiles fill all four accumulators */
      ks->dot(1, m, k, B, ldb, A, lda, C, m, acc);
    else
      ks->dot(m, n, k, A, lda, B, ldb, C, ldc, acc);
    post_pass(m, n, C, ldc, post);
    return;
  }
  /* One panel of NT_PANEL columns of C at a time: work [k, nb] = B [j0 ..
   * j0 + nb, :]^T, then the sequential sums on it. Transposing all of B
   * first would write a k x n copy (480 KB for a 400 x 300 layer) that
   * falls out of L2 before the products read it back; a panel is written
   * and read while it stays there, and it is contiguous for the kernel.
   * Small B (a first layer's 400 x 3) is transposed whole. (Each element's
   * sum is the same whichever panel it is in.) */
  enum { NT_PANEL = 256 / (int)sizeof(crl_real) }; /* 4 AVX-512 vectors */
  const int panel = (size_t)k * n * sizeof(crl_real) <= 32768 ? n : NT_PANEL;
  for (int j0 = 0; j0 < n; j0 += panel) {
    const int nb = n - j0 < panel ? n - j0 : panel;
    crl__gemm_post pj; /* the epilogue, its operand moved to column j0 */
    if (post != NULL) {
      pj = *post;
      pj.v = post->v != NULL ? post->v + j0 : NULL;
    }
    ks->transpose(nb, k, B + (ptrdiff_t)j0 * ldb, ldb, work, nb);
    ks->nn(m, nb, k, A, lda, 1, work, nb, C + j0, ldc, acc,
           post != NULL ? &pj : NULL);
  }
}

void crl__gemm_nn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post) {
  if (m <= 0 || n <= 0)
    return;
  if (use_blas(m, n, k)) {
    CRL_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, A, lda, B,
             ldb, acc ? 1 : 0, C, ldc);
    post_pass(m, n, C, ldc, post);
    return;
  }
  pick()->nn(m, n, k, A, lda, 1, B, ldb, C, ldc, acc, post);
}

void crl__gemm_tn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc,
                  crl_real *work) {
  if (m <= 0 || n <= 0)
    return;
  if (use_blas(m, n, k)) {
    CRL_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, A, lda, B,
             ldb, 1, C, ldc);
    return;
  }
  const kernels *ks = pick();
  /* Vectors run along C's rows. When those are short and C has many more
   * rows (dW of a layer with 3 inputs: C [64, 3]), compute C^T instead:
   * D [n, m] = B^T A, elementwise the same sums in the same order. */
  if (n < 16 && m >= 2 * n) {
    ks->transpose(m, n, C, ldc, work, m); /* work [n, m] = C^T */
    ks->nn(n, m, k, B, 1, ldb, A, lda, work, m, 1, NULL);
    ks->transpose(n, m, work, m, C, ldc);
    return;
  }
  /* The kernels broadcast A(i, t) for MR consecutive i at each step t:
   * from A [k, m] that is a new cache line every step (k lines of stride
   * lda per tile, which overflow L1 and, at strides of 1 KiB, fall into a
   * few of its sets). Transposed once into work [m, k], the same elements
   * come in runs along t, as in nn. (Data movement only: the same sums.) */
  if (m >= 32) {
    ks->transpose(k, m, A, lda, work, k); /* work [m, k] = A^T */
    ks->nn(m, n, k, work, k, 1, B, ldb, C, ldc, 1, NULL);
    return;
  }
  ks->nn(m, n, k, A, 1, lda, B, ldb, C, ldc, 1, NULL);
}

/* ---- the public products (crl/kernels.h): no epilogue ------------------- */

void crl_gemm_nt(int m, int n, int k, const crl_real *A, int lda,
                 const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                 crl_real *work) {
  crl__gemm_nt(m, n, k, A, lda, B, ldb, C, ldc, acc, NULL, work);
}

void crl_gemm_nn(int m, int n, int k, const crl_real *A, int lda,
                 const crl_real *B, int ldb, crl_real *C, int ldc, int acc) {
  crl__gemm_nn(m, n, k, A, lda, B, ldb, C, ldc, acc, NULL);
}

void crl_gemm_tn(int m, int n, int k, const crl_real *A, int lda,
                 const crl_real *B, int ldb, crl_real *C, int ldc,
                 crl_real *work) {
  crl__gemm_tn(m, n, k, A, lda, B, ldb, C, ldc, work);
}
