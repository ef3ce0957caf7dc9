/* Small-matrix products with runtime ISA dispatch (see gemm.h).
 *
 * Layout: the plain-C kernels here, the x86-64 vector kernels in
 * gemm_x86.c (gemm_kern.h compiled for AVX-512 and for AVX2+FMA); then the
 * choice of kernel set; then the three products, which pick a loop shape
 * from (m, n, k) and hand it to the kernel set or to CBLAS. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/pool.h"
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

/* dot_generic's sums on a transposed B: BT [k, n], column j = row j of B;
 * then the epilogue. */
static void tdot_generic(int m, int n, int k, const crl_real *A, ptrdiff_t lda,
                         const crl_real *BT, ptrdiff_t ldb, crl_real *C,
                         ptrdiff_t ldc, int acc, const crl__gemm_post *post) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      const crl_real *a = A + i * lda; /* [k] */
      crl_real p[DOT_LANES] = {0};
      for (int t = 0; t < k; t++)
        p[t % DOT_LANES] += a[t] * BT[t * ldb + j];
      const crl_real s = hsum_generic(p);
      C[i * ldc + j] = acc ? C[i * ldc + j] + s : s;
    }
  post_pass(m, n, C, ldc, post);
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

/* nn_generic's sums, on B's rows as they are (gemm_impl.h). */
static void shortk_generic(int m, int n, int k, const crl_real *A,
                           ptrdiff_t lda, const crl_real *B, ptrdiff_t ldb,
                           crl_real *C, ptrdiff_t ldc, int acc) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      const crl_real *a = A + i * lda, *b = B + j * ldb; /* [k] each */
      crl_real s = acc ? C[i * ldc + j] : 0;
      for (int t = 0; t < k; t++)
        s += a[t] * b[t];
      C[i * ldc + j] = s;
    }
}

static const kernels k_generic = {crl__gemm_transpose_generic, nn_generic,
                                  dot_generic, tdot_generic, shortk_generic};

/* 0 until the first call resolves AUTO; then the crl_gemm_isa in use. A
 * relaxed atomic: every thread computes the same value. */
static _Atomic int active_isa = 0;
static _Atomic int forced = 0;
/* use_blas's threshold for the resolved set: computed at its first use,
 * like the set (the value is the same in every thread, so a race only
 * repeats the work); -1 again when crl_gemm_isa_force changes the set. */
static _Atomic double min_volume = -1.0;

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

int crl_gemm_max_isa(void) {
  const char *v = getenv("CRL_MAX_ISA");
  static const crl_gemm_isa caps[] = {CRL_GEMM_GENERIC, CRL_GEMM_AVX2,
                                      CRL_GEMM_AVX512};
  if (v == NULL)
    return CRL_GEMM_AUTO;
  for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++)
    if (strcasecmp(v, crl_gemm_isa_name(caps[i])) == 0)
      return (int)caps[i];
  return -1;
}

static crl_gemm_isa best_isa(void) {
  const int named = crl_gemm_max_isa(); /* unset or unknown: no cap */
  const int cap = named > CRL_GEMM_AUTO ? named : (int)CRL_GEMM_AVX512;
  if (cap >= CRL_GEMM_AVX512 && crl_gemm_isa_supported(CRL_GEMM_AVX512))
    return CRL_GEMM_AVX512;
  if (cap >= CRL_GEMM_AVX2 && crl_gemm_isa_supported(CRL_GEMM_AVX2))
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
  atomic_store_explicit(&min_volume, -1.0, memory_order_relaxed);
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

/* Whether OpenBLAS's kernel set (openblas_get_corename) is one of `names`,
 * ignoring case. */
static int core_is(const char *core, const char *const *names, size_t n) {
  for (size_t i = 0; core != NULL && i < n; i++)
    if (strcasecmp(core, names[i]) == 0)
      return 1;
  return 0;
}

/* Whether a product of volume m * n * k goes to CBLAS under CRL_GEMM_AUTO:
 * a rule on the CPU's ISA and OpenBLAS's kernel set only, never on timing.
 * Measured by bench/bench_mlp (docs/benchmarks.md), OpenBLAS 0.3.21:
 *  - on an AVX-512 CPU whose OpenBLAS runs its SSE3 kernels (PRESCOTT,
 *    for a CPU it does not recognise) or its AVX2 ones (Haswell, Zen: Zen 5
 *    gets Haswell's), OpenBLAS is slower than the AVX-512 kernels at every
 *    size RL uses (at 512^3 on Zen 5: 103 against 205 GFLOP/s);
 *  - with its own AVX-512 kernels (Skylake-X) it is level with them at
 *    about 3e7 (a 400 x 300 layer at batch 256) and ahead beyond, where
 *    these kernels, which do not block for the caches, fall off (1024^3:
 *    3x);
 *  - on an AVX2 CPU its kernels are ahead from about 2^24 (SAC's
 *    256 x 256 x 256 products included: on a Zen 3 they made SAC's update
 *    take 0.66x as long; with the AVX2 kernels on Zen 5, CRL_MAX_ISA=avx2,
 *    OpenBLAS ran them at 134 GFLOP/s against 112-127).
 * GSL's CBLAS is a reference implementation, never faster than plain C. */
static double blas_min_volume(void) {
#if defined(CRL_USE_OPENBLAS)
  if (crl_gemm_isa_active() == CRL_GEMM_GENERIC)
    return 0.0;
  static const char *const sse[] = {"Prescott",   "Core2",   "Penryn",
                                    "Dunnington", "Nehalem", "Atom",
                                    "Barcelona",  "Opteron", "Bobcat"};
  static const char *const avx512[] = {"SkylakeX", "Cooperlake",
                                       "SapphireRapids"};
  const char *core = openblas_get_corename();
  const double beyond_rl = (double)512 * 512 * 512;
  if (core_is(core, sse, sizeof sse / sizeof sse[0]))
    return beyond_rl;
  if (crl_gemm_isa_active() == CRL_GEMM_AVX512 &&
      !core_is(core, avx512, sizeof avx512 / sizeof avx512[0]))
    return beyond_rl;
  return (double)(1 << 24) - 1; /* 2^24 itself goes to CBLAS */
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

/* Each product first picks its path from the whole shape (m, n, k), then
 * runs it on blocks of C's rows, one per thread of the calling thread's
 * pool (core/pool.h), or on all of them. Every path computes each element
 * of C by the same sums wherever its row falls, so the bits do not depend
 * on the blocks; choosing the path per block would (a block of fewer than
 * 8 rows takes nt's dot products, a smaller volume may leave CBLAS). */
typedef enum path {
  PATH_BLAS,   /* CBLAS */
  PATH_HEAD,   /* nt, n = 1 and ldc = 1: C^T = B A^T as dot products */
  PATH_DOT,    /* nt: dot products */
  PATH_PANELS, /* nt: B^T by panels, then sequential sums */
  PATH_SHORTK, /* nt: sequential sums on B as it is */
  PATH_NN,     /* nn: sequential sums */
  PATH_CT,     /* tn: C^T = B^T A, sequential sums */
  PATH_AT,     /* tn: A^T into work, sequential sums */
  PATH_TN,     /* tn: sequential sums on A as it is */
  PATH_TDOT,   /* nt on B^T given (nt_bt): dot products, vectors along n */
  PATH_BT_NN   /* nt on B^T given (nt_bt): sequential sums */
} path;

typedef enum product { NT, NN, TN } product;

typedef struct job {
  product prod;
  path path;
  int m, n, k; /* of the whole product */
  const crl_real *A;
  int lda;
  const crl_real *B;
  int ldb;
  const crl_real *BT; /* nt_bt: B^T [k, n] with row stride ldbt */
  int ldbt;
  crl_real *C;
  int ldc, acc;
  const crl__gemm_post *post;
  int parts; /* blocks of rows */
} job;

enum { SHORTK_ROWS = 2 }; /* the most rows of A nt's short-k path takes */

static path nt_path(int m, int n, int k, int ldc) {
  if (use_blas(m, n, k))
    return PATH_BLAS;
  /* Dot products when B is a few rows (an output layer), or A a few rows
   * (inference, collection from a few envs) and k long enough to fill a
   * vector, where transposing B would cost as much as the product;
   * otherwise transpose B once and run sequential sums. A value head
   * computes C^T = B A^T, whose tiles fill all four accumulators. */
  if (n <= 4 || (m < 8 && k >= 16))
    return n == 1 && ldc == 1 ? PATH_HEAD : PATH_DOT;
  /* A few rows and a short k (a first layer at batch 1): the panels'
   * sums on B as it is, without the transpose that cost more than they. */
  if (m <= SHORTK_ROWS && k < 16)
    return PATH_SHORTK;
  return PATH_PANELS;
}

static path tn_path(int m, int n, int k) {
  if (use_blas(m, n, k))
    return PATH_BLAS;
  /* Vectors run along C's rows. When those are short and C has many more
   * rows (dW of a layer with 3 inputs: C [64, 3]), compute C^T instead:
   * D [n, m] = B^T A, elementwise the same sums in the same order. */
  if (n < 16 && m >= 2 * n)
    return PATH_CT;
  /* The kernels broadcast A(i, t) for MR consecutive i at each step t:
   * from A [k, m] that is a new cache line every step (k lines of stride
   * lda per tile, which overflow L1 and, at strides of 1 KiB, fall into a
   * few of its sets). Transposed once into work [m, k], the same elements
   * come in runs along t, as in nn. (Data movement only: the same sums.) */
  return m >= 32 ? PATH_AT : PATH_TN;
}

/* nt's sequential sums, one panel of NT_PANEL columns of C at a time:
 * work [k, nb] = B [j0 .. j0 + nb, :]^T, then the sums on it. Transposing
 * all of B first would write a k x n copy (480 KB for a 400 x 300 layer)
 * that falls out of L2 before the products read it back; a panel is
 * written and read while it stays there, and it is contiguous for the
 * kernel. Small B (a first layer's 400 x 3) is transposed whole. (Each
 * element's sum is the same whichever panel it is in.) */
static void nt_panels(const kernels *ks, int m, int n, int k, const crl_real *A,
                      int lda, const crl_real *B, int ldb, crl_real *C, int ldc,
                      int acc, const crl__gemm_post *post, crl_real *work) {
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

/* Rows [i0, i1) of the job's C. */
static void run_rows(const job *jb, int i0, int i1, crl_real *work) {
  const int m = i1 - i0, n = jb->n, k = jb->k, lda = jb->lda, ldb = jb->ldb;
  const int ldc = jb->ldc, acc = jb->acc;
  const crl_real *B = jb->B;
  crl_real *C = jb->C + (ptrdiff_t)i0 * ldc;
  /* A's rows i0.., or for tn its columns i0.. */
  const crl_real *A = jb->A + (jb->prod == TN ? i0 : (ptrdiff_t)i0 * lda);
  crl__gemm_post pr; /* the epilogue, a layer output y moved to row i0 */
  const crl__gemm_post *post = jb->post;
  if (post != NULL && post->op >= CRL_POST_DRELU) {
    pr = *post;
    pr.v = post->v + (ptrdiff_t)i0 * post->ldv;
    post = &pr;
  }
  const kernels *ks = jb->path == PATH_BLAS ? NULL : pick();
  switch (jb->path) {
  case PATH_BLAS:
    CRL_GEMM(CblasRowMajor, jb->prod == TN ? CblasTrans : CblasNoTrans,
             jb->prod == NT ? CblasTrans : CblasNoTrans, m, n, k, 1, A, lda, B,
             ldb, jb->prod == TN || acc ? 1 : 0, C, ldc);
    post_pass(m, n, C, ldc, post);
    break;
  case PATH_HEAD: /* C [m, 1] as the row C^T [1, m] */
    ks->dot(1, m, k, B, ldb, A, lda, C, m, acc);
    post_pass(m, n, C, ldc, post);
    break;
  case PATH_DOT:
    ks->dot(m, n, k, A, lda, B, ldb, C, ldc, acc);
    post_pass(m, n, C, ldc, post);
    break;
  case PATH_PANELS:
    nt_panels(ks, m, n, k, A, lda, B, ldb, C, ldc, acc, post, work);
    break;
  case PATH_SHORTK:
    ks->shortk(m, n, k, A, lda, B, ldb, C, ldc, acc);
    post_pass(m, n, C, ldc, post);
    break;
  case PATH_NN:
    ks->nn(m, n, k, A, lda, 1, B, ldb, C, ldc, acc, post);
    break;
  case PATH_CT:
    ks->transpose(m, n, C, ldc, work, m); /* work [n, m] = C^T */
    ks->nn(n, m, k, B, 1, ldb, A, lda, work, m, 1, NULL);
    ks->transpose(n, m, work, m, C, ldc);
    break;
  case PATH_AT:
    ks->transpose(k, m, A, lda, work, k); /* work [m, k] = A^T */
    ks->nn(m, n, k, work, k, 1, B, ldb, C, ldc, 1, NULL);
    break;
  case PATH_TN:
    ks->nn(m, n, k, A, 1, lda, B, ldb, C, ldc, 1, NULL);
    break;
  case PATH_TDOT:
    ks->tdot(m, n, k, A, lda, jb->BT, jb->ldbt, C, ldc, acc, post);
    break;
  case PATH_BT_NN:
    ks->nn(m, n, k, A, lda, 1, jb->BT, jb->ldbt, C, ldc, acc, post);
    break;
  }
}

/* Blocks of rows are multiples of ROW_ALIGN (whole tiles of every kernel
 * set), with at least MIN_ROWS rows and MIN_BLOCK multiply-adds each;
 * smaller products stay whole. Measured on 2 cores (docs/benchmarks.md,
 * "Threads"): blocks of 16 rows and 2^15 multiply-adds made 64-64 networks
 * no faster (TD3 and SAC at batch 100; PPO at minibatch 256, whose
 * 256 x 64 x 64 products are 2^20) for up to twice the CPU time (SAC up
 * to 30 % slower): the rows computed on another core come back through
 * the caches for the next elementwise step. RL Zoo's 256-256 and 400-300
 * layers at batch 256 (2^23 and more) gain. Splitting nt's panels by
 * columns, so that each thread transposes only its own, was no faster,
 * nor were 4 blocks per thread claimed one at a time (each block
 * transposed nt's panels again). CBLAS products stay whole: OpenBLAS
 * 0.3.21's Haswell kernels give other bits for a block of rows (or of
 * columns) than for the same rows of the whole product (checked for
 * 256 x 256 x 256 and 400 x 300 x 256), and its own threads split the
 * work the same way. */
enum { ROW_ALIGN = 16, MIN_ROWS = 64 };
#define MIN_BLOCK ((double)(1 << 20))

static int row_blocks(const crl__pool *pool, const job *jb) {
  const double volume = (double)jb->m * jb->n * jb->k;
  int parts = crl__pool_threads(pool);
  if (parts <= 1 || jb->path == PATH_BLAS)
    return 1;
  if (jb->m / MIN_ROWS < parts)
    parts = jb->m / MIN_ROWS;
  if (volume / MIN_BLOCK < parts)
    parts = (int)(volume / MIN_BLOCK);
  return parts > 1 ? parts : 1;
}

static void run_block(void *ctx, int task, crl_real *work) {
  const job *jb = ctx;
  size_t i0, i1;
  crl__pool_split((size_t)jb->m, jb->parts, task, ROW_ALIGN, &i0, &i1);
  if (i1 > i0)
    run_rows(jb, (int)i0, (int)i1, work);
}

/* The product (prod, path) on the calling thread and its helpers. */
static void run(product prod, path path, int m, int n, int k, const crl_real *A,
                int lda, const crl_real *B, int ldb, crl_real *C, int ldc,
                int acc, const crl__gemm_post *post, crl_real *work) {
  job jb = {.prod = prod,
            .path = path,
            .m = m,
            .n = n,
            .k = k,
            .A = A,
            .lda = lda,
            .B = B,
            .ldb = ldb,
            .C = C,
            .ldc = ldc,
            .acc = acc,
            .post = post};
  crl__pool *pool = crl__pool_current();
  jb.parts = row_blocks(pool, &jb);
  if (jb.parts == 1) { /* most products of a small network: no hand-over */
    run_rows(&jb, 0, m, work);
    return;
  }
  /* a helper's scratch: what the largest block's shape needs */
  const int rows = (m / ROW_ALIGN / jb.parts + 1) * ROW_ALIGN;
  const size_t scratch =
      path == PATH_PANELS || path == PATH_CT || path == PATH_AT
          ? crl_gemm_work_size(rows, n, k)
          : 0;
  crl__pool_run(pool, jb.parts, run_block, &jb, scratch, work);
}

void crl__gemm_nt(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post, crl_real *work) {
  if (m <= 0 || n <= 0)
    return;
  run(NT, nt_path(m, n, k, ldc), m, n, k, A, lda, B, ldb, C, ldc, acc, post,
      work);
}

void crl__gemm_nt_bt(int m, int n, int k, const crl_real *A, int lda,
                     const crl_real *B, int ldb, const crl_real *BT, int ldbt,
                     crl_real *C, int ldc, int acc,
                     const crl__gemm_post *post) {
  if (m <= 0 || n <= 0)
    return;
  path p = nt_path(m, n, k, ldc);
  /* nt's sums from whichever of B and B^T they run best on: the dot
   * products of many columns along B^T's rows (a dot tile reduces across
   * lanes, which costs a few-row product most of its time), those of four
   * columns or fewer on B as nt runs them; the sequential sums on B^T,
   * which nt transposes B into or (short k) walks B for. */
  if (p == PATH_DOT && n > 4)
    p = PATH_TDOT;
  else if (p == PATH_PANELS || p == PATH_SHORTK)
    p = PATH_BT_NN;
  const job jb = {.prod = NT,
                  .path = p,
                  .m = m,
                  .n = n,
                  .k = k,
                  .A = A,
                  .lda = lda,
                  .B = B,
                  .ldb = ldb,
                  .BT = BT,
                  .ldbt = ldbt,
                  .C = C,
                  .ldc = ldc,
                  .acc = acc,
                  .post = post,
                  .parts = 1};
  run_rows(&jb, 0, m, NULL);
}

void crl__gemm_nn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc, int acc,
                  const crl__gemm_post *post) {
  if (m <= 0 || n <= 0)
    return;
  run(NN, use_blas(m, n, k) ? PATH_BLAS : PATH_NN, m, n, k, A, lda, B, ldb, C,
      ldc, acc, post, NULL);
}

void crl__gemm_tn(int m, int n, int k, const crl_real *A, int lda,
                  const crl_real *B, int ldb, crl_real *C, int ldc,
                  crl_real *work) {
  if (m <= 0 || n <= 0)
    return;
  run(TN, tn_path(m, n, k), m, n, k, A, lda, B, ldb, C, ldc, 1, NULL, work);
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
