/* Small-matrix kernels (lib/gemm.c) against a naive triple loop in double
 * (long double, so that the reference's own rounding stays far below the
 * double build's bound).
 *
 * Every kernel set this CPU can run (plain C, AVX2, AVX-512, and CBLAS for
 * comparison) is forced in turn and checked on many shapes, odd sizes
 * included, with padded and tight leading dimensions and buffers
 * deliberately misaligned. The error bound is the classical one for a sum
 * of k products, (k + 2) u sum_t |a_t b_t| (+ |C| when accumulating), with
 * u the unit roundoff of crl_real. The AVX2 and AVX-512 kernels must also
 * agree bit for bit (gemm.h promises the same summation order on both), the
 * fused epilogues must equal the separate arithmetic, and whole networks
 * must agree across the kernel sets. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "crl/crl.h"
#include "nn/gemm.h"
#include "nn/mlp_frozen.h"

#if CRL_REAL_IS_DOUBLE
#define UNIT_ROUNDOFF (DBL_EPSILON / 2)
#else
#define UNIT_ROUNDOFF (FLT_EPSILON / 2)
#endif

enum { NT, NN, TN };
static const char *const op_name[] = {"nt", "nn", "tn"};

/* Sizes with vector tails of every kind: 1, below, at and above the
 * 8/16-lane widths, and one past 256. */
static const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 16, 17, 63, 64, 65, 257};
#define N_SIZES (int)(sizeof sizes / sizeof sizes[0])

#define GUARD ((crl_real)12345.0)
#define PAD 3  /* extra columns in padded leading dimensions */
#define SKEW 1 /* elements by which each buffer starts off its allocation */

typedef struct bufs {
  crl_real *a, *b, *c, *c0, *work; /* misaligned views */
  void *raw[5];
  int lda, ldb, ldc;
} bufs;

static crl_real *alloc_view(size_t n, void **raw) {
  crl_real *p = malloc((n + SKEW + 1) * sizeof *p);
  assert_non_null(p);
  *raw = p;
  return p + SKEW;
}

static void fill(crl_real *v, size_t n, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)(2.0 * gsl_rng_uniform(rng) - 1.0);
}

/* A(i, t) and B(t, j) of the product C = A B, whatever the storage. */
static double a_at(int op, const bufs *s, int i, int t) {
  return op == TN ? s->a[(size_t)t * s->lda + i] : s->a[(size_t)i * s->lda + t];
}
static double b_at(int op, const bufs *s, int t, int j) {
  return op == NT ? s->b[(size_t)j * s->ldb + t] : s->b[(size_t)t * s->ldb + j];
}

/* One product on one shape with the kernel set in force; returns the worst
 * error relative to its bound (must be <= 1). */
static double check_one(int op, int m, int n, int k, int acc, gsl_rng *rng,
                        crl_real *out) {
  bufs s;
  const int ar = op == TN ? k : m, ac = op == TN ? m : k; /* A [ar, ac] */
  const int br = op == NT ? n : k, bc = op == NT ? k : n; /* B [br, bc] */
  /* Padded leading dimensions for odd k, tight ones for even k (some
   * paths depend on ldc == n). */
  const int pad = k % 2 ? PAD : 0;
  s.lda = ac + pad;
  s.ldb = bc + pad;
  s.ldc = n + pad;
  const size_t na = (size_t)ar * s.lda, nb = (size_t)br * s.ldb;
  const size_t nc = (size_t)m * s.ldc;
  s.a = alloc_view(na, &s.raw[0]);
  s.b = alloc_view(nb, &s.raw[1]);
  s.c = alloc_view(nc, &s.raw[2]);
  s.c0 = alloc_view(nc, &s.raw[3]);
  s.work = alloc_view(crl_gemm_work_size(m, n, k), &s.raw[4]);
  fill(s.a, na, rng);
  fill(s.b, nb, rng);
  fill(s.c0, nc, rng);
  if (op == TN)
    acc = 1; /* tn always accumulates */
  for (int i = 0; i < m; i++)
    for (int j = 0; j < s.ldc; j++) {
      size_t x = (size_t)i * s.ldc + j;
      /* Without acc, C must not be read: NaN there would show. */
      s.c[x] = j >= n ? GUARD : acc ? s.c0[x] : (crl_real)NAN;
    }
  switch (op) {
  case NT:
    crl__gemm_nt(m, n, k, s.a, s.lda, s.b, s.ldb, s.c, s.ldc, acc, NULL,
                 s.work);
    break;
  case NN:
    crl__gemm_nn(m, n, k, s.a, s.lda, s.b, s.ldb, s.c, s.ldc, acc, NULL);
    break;
  default:
    crl__gemm_tn(m, n, k, s.a, s.lda, s.b, s.ldb, s.c, s.ldc, s.work);
    break;
  }
  double worst = 0.0;
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < n; j++) {
      long double ref = acc ? s.c0[(size_t)i * s.ldc + j] : 0.0;
      long double mag = fabsl(ref);
      for (int t = 0; t < k; t++) {
        long double p = (long double)a_at(op, &s, i, t) * b_at(op, &s, t, j);
        ref += p;
        mag += fabsl(p);
      }
      double got = s.c[(size_t)i * s.ldc + j];
      double bound = (double)((k + 2) * UNIT_ROUNDOFF * mag) + DBL_MIN;
      double e = (double)fabsl(got - ref) / bound;
      if (!(e <= worst)) /* NaN too */
        worst = isnan(e) ? INFINITY : e;
      if (out)
        out[(size_t)i * n + j] = (crl_real)got;
    }
    for (int j = n; j < s.ldc; j++) /* padding untouched */
      assert_true(s.c[(size_t)i * s.ldc + j] == GUARD);
  }
  for (int i = 0; i < 5; i++)
    free(s.raw[i]);
  return worst;
}

static const crl_gemm_isa isas[] = {CRL_GEMM_GENERIC, CRL_GEMM_AVX2,
                                    CRL_GEMM_AVX512, CRL_GEMM_BLAS};

/* Shapes: every (m, n, k) from sizes[] whose volume stays moderate, so the
 * run takes seconds even under ASan. */
static int shape_ok(int m, int n, int k) {
  return (double)m * n * k <= 300000.0;
}

static void test_kernels_vs_naive(void **state) {
  (void)state;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (!crl_gemm_isa_supported(isas[ii])) {
      print_message("# %s: not supported here, skipped\n",
                    crl_gemm_isa_name(isas[ii]));
      continue;
    }
    assert_int_equal(crl_gemm_isa_force(isas[ii]), 0);
    int count = 0;
    double worst = 0.0;
    for (int op = NT; op <= TN; op++)
      for (int im = 0; im < N_SIZES; im++)
        for (int in = 0; in < N_SIZES; in++)
          for (int ik = 0; ik < N_SIZES; ik++)
            for (int acc = 0; acc <= 1; acc++) {
              int m = sizes[im], n = sizes[in], k = sizes[ik];
              if (!shape_ok(m, n, k))
                continue;
              double e = check_one(op, m, n, k, acc, rng, NULL);
              if (e > 1.0)
                print_message("%s %s m %d n %d k %d acc %d: error %.3g x "
                              "bound\n",
                              crl_gemm_isa_name(isas[ii]), op_name[op], m, n, k,
                              acc, e);
              assert_true(e <= 1.0);
              worst = fmax(worst, e);
              count++;
            }
    print_message("# %s: %d products, worst error %.3g of the bound\n",
                  crl_gemm_isa_name(isas[ii]), count, worst);
  }
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  gsl_rng_free(rng);
}

/* Same inputs through AVX2 and AVX-512: the same bits. */
static void test_avx2_equals_avx512(void **state) {
  (void)state;
  if (!crl_gemm_isa_supported(CRL_GEMM_AVX2) ||
      !crl_gemm_isa_supported(CRL_GEMM_AVX512)) {
    skip();
    return;
  }
  static const int shapes[][3] = {
      {1, 64, 64},  {1, 65, 3},    {4, 64, 64},  {7, 63, 65},   {256, 64, 64},
      {256, 1, 64}, {64, 3, 256},  {17, 257, 5}, {64, 64, 256}, {9, 2, 300},
      {1, 1, 1},    {33, 400, 17}, {40, 150, 70}};
  for (int op = NT; op <= TN; op++)
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int acc = 0; acc <= 1; acc++) {
        const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        crl_real *x = malloc((size_t)m * n * sizeof *x);
        crl_real *y = malloc((size_t)m * n * sizeof *y);
        gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng *r2 = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r1, 100 + s);
        gsl_rng_set(r2, 100 + s);
        assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AVX2), 0);
        assert_true(check_one(op, m, n, k, acc, r1, x) <= 1.0);
        assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AVX512), 0);
        assert_true(check_one(op, m, n, k, acc, r2, y) <= 1.0);
        if (memcmp(x, y, (size_t)m * n * sizeof *x) != 0)
          fail_msg("%s m %d n %d k %d acc %d: AVX2 and AVX-512 differ",
                   op_name[op], m, n, k, acc);
        free(x);
        free(y);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
      }
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
}

/* The epilogue gives the same bits as the plain product followed by the
 * documented elementwise arithmetic, on every kernel set and path (dot,
 * transposed, plain C, CBLAS). */
static crl_real post_ref(crl__gemm_post_op op, crl_real c, crl_real x) {
  crl_real t;
  switch (op) {
  case CRL_POST_BIAS:
    return c + x;
  case CRL_POST_BIAS_RELU:
    t = c + x;
    return t > 0 ? t : 0;
  case CRL_POST_DRELU:
    return x > 0 ? c : 0;
  case CRL_POST_DTANH:
    return c * (1 - x * x);
  default:
    return c;
  }
}

static void test_epilogue(void **state) {
  (void)state;
  /* ({40, 150, 70}: nt in column panels, each with its slice of v) */
  static const int shapes[][3] = {{1, 64, 64},  {4, 64, 3},  {256, 64, 64},
                                  {256, 1, 64}, {9, 65, 17}, {33, 7, 5},
                                  {3, 3, 70},   {17, 33, 1}, {40, 150, 70},
                                  {1, 64, 3},   {2, 33, 15}};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (!crl_gemm_isa_supported(isas[ii]))
      continue;
    assert_int_equal(crl_gemm_isa_force(isas[ii]), 0);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (int nn = 0; nn <= 1; nn++)
        for (int op = CRL_POST_BIAS; op <= CRL_POST_DTANH; op++) {
          const int m = shapes[si][0], n = shapes[si][1], k = shapes[si][2];
          const int ldb = nn ? n : k, ldv = n + 2;
          crl_real *a = malloc((size_t)m * k * sizeof *a);
          crl_real *b = malloc((size_t)k * n * sizeof *b);
          crl_real *v = malloc((size_t)m * ldv * sizeof *v);
          crl_real *c1 = malloc((size_t)m * n * sizeof *c1);
          crl_real *c2 = malloc((size_t)m * n * sizeof *c2);
          crl_real *w = malloc(crl_gemm_work_size(m, n, k) * sizeof *w);
          fill(a, (size_t)m * k, rng);
          fill(b, (size_t)k * n, rng);
          fill(v, (size_t)m * ldv, rng);
          const crl__gemm_post post = {(crl__gemm_post_op)op, v, ldv};
          if (nn) {
            crl__gemm_nn(m, n, k, a, k, b, ldb, c1, n, 0, NULL);
            crl__gemm_nn(m, n, k, a, k, b, ldb, c2, n, 0, &post);
          } else {
            crl__gemm_nt(m, n, k, a, k, b, ldb, c1, n, 0, NULL, w);
            crl__gemm_nt(m, n, k, a, k, b, ldb, c2, n, 0, &post, w);
          }
          const int per_row = op >= CRL_POST_DRELU;
          for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
              const crl_real x = v[(per_row ? (size_t)i * ldv : 0) + j];
              const crl_real want = post_ref(op, c1[(size_t)i * n + j], x);
              if (memcmp(&want, &c2[(size_t)i * n + j], sizeof want) != 0)
                fail_msg("%s %s op %d m %d n %d k %d: (%d, %d) %.9g vs %.9g",
                         crl_gemm_isa_name(isas[ii]), nn ? "nn" : "nt", op, m,
                         n, k, i, j, (double)c2[(size_t)i * n + j],
                         (double)want);
            }
          free(a), free(b), free(v), free(c1), free(c2), free(w);
        }
  }
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  gsl_rng_free(rng);
}

/* nt's short-k path (a row or two of A, k < 16: a first layer at batch 1)
 * reads B as it is, where the panel path transposes it: both must give the
 * sequential sums nn gives on the explicit transpose, bit for bit, on every
 * kernel set, accumulating or not; and the rows of a many-row product
 * (the panel path) the same bits as the same rows alone. */
static void test_short_k_is_the_panel_sum(void **state) {
  (void)state;
  enum { M = 9, N = 37 };
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (isas[ii] == CRL_GEMM_BLAS || !crl_gemm_isa_supported(isas[ii]))
      continue;
    assert_int_equal(crl_gemm_isa_force(isas[ii]), 0);
    for (int k = 0; k < 16; k++)
      for (int acc = 0; acc <= 1; acc++) {
        crl_real a[M * 16], b[N * 16], bt[16 * N], c0[M * N];
        crl_real many[M * N], few[M * N], want[M * N];
        crl_real w[16 * N + 64];
        fill(a, M * 16, rng);
        fill(b, N * 16, rng);
        fill(c0, M * N, rng);
        for (int j = 0; j < N; j++)
          for (int t = 0; t < k; t++)
            bt[t * N + j] = b[j * k + t];
        memcpy(many, c0, sizeof many);
        memcpy(want, c0, sizeof want);
        crl__gemm_nt(M, N, k, a, k, b, k, many, N, acc, NULL, w);
        crl__gemm_nn(M, N, k, a, k, bt, N, want, N, acc, NULL);
        assert_memory_equal(many, want, sizeof want);
        for (int m = 1; m <= 2; m++)
          for (int i0 = 0; i0 + m <= M; i0 += m) {
            memcpy(few, c0, sizeof few);
            crl__gemm_nt(m, N, k, a + i0 * k, k, b, k, few + i0 * N, N, acc,
                         NULL, w);
            if (memcmp(few + i0 * N, want + i0 * N,
                       (size_t)m * N * sizeof *few) != 0)
              fail_msg("%s k %d acc %d: rows %d..%d alone differ",
                       crl_gemm_isa_name(isas[ii]), k, acc, i0, i0 + m - 1);
          }
      }
  }
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  gsl_rng_free(rng);
}

/* crl__gemm_nt_bt, given B transposed ahead of time too, gives
 * crl__gemm_nt's bits on every kernel set,
 * on the shapes of both of nt's kinds of sums (dot products: n <= 4, or
 * m < 8 and k >= 16; sequential sums otherwise; CBLAS), ragged vector
 * tails and partial dot blocks, padded strides, every epilogue,
 * accumulating or not.
 * Row 0 of A is -tiny against +tiny B, so that every product underflows
 * to -0: the dot's lanes past k in a partial block then turn the sum's
 * -0 into +0 (a zero product added), which the transposed path must copy. */
static void test_nt_on_a_transposed_b(void **state) {
  (void)state;
  static const int ms[] = {1, 2, 3, 7, 8, 9};
  static const int ns[] = {1, 2, 4, 5, 16, 17, 64, 65};
  static const int ks[] = {1, 3, 15, 16, 17, 31, 64, 65};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (!crl_gemm_isa_supported(isas[ii]))
      continue;
    assert_int_equal(crl_gemm_isa_force(isas[ii]), 0);
    for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
      for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
          for (int op = CRL_POST_NONE; op <= CRL_POST_DTANH; op++) {
            const int m = ms[mi], n = ns[ni], k = ks[ki], acc = op % 2;
            const int lda = k + 1, ldb = k + 2, ldbt = n + 3, ldc = n + 1;
            const int ldv = n + 2;
            crl_real *a = malloc((size_t)m * lda * sizeof *a);
            crl_real *b = malloc((size_t)n * ldb * sizeof *b);
            crl_real *bt = malloc((size_t)k * ldbt * sizeof *bt);
            crl_real *v = malloc((size_t)m * ldv * sizeof *v);
            crl_real *c1 = malloc((size_t)m * ldc * sizeof *c1);
            crl_real *c2 = malloc((size_t)m * ldc * sizeof *c2);
            crl_real *w = malloc(crl_gemm_work_size(m, n, k) * sizeof *w);
            fill(a, (size_t)m * lda, rng);
            fill(b, (size_t)n * ldb, rng);
            fill(v, (size_t)m * ldv, rng);
            fill(c1, (size_t)m * ldc, rng);
            for (int t = 0; t < k; t++)
              a[t] = (crl_real)-1e-30;
            if (m == 1 && n <= 2)
              for (size_t e = 0; e < (size_t)n * ldb; e++)
                b[e] = (crl_real)1e-30;
            for (int t = 0; t < k; t++)
              for (int j = 0; j < n; j++)
                bt[(size_t)t * ldbt + j] = b[(size_t)j * ldb + t];
            memcpy(c2, c1, (size_t)m * ldc * sizeof *c1);
            const crl__gemm_post post = {(crl__gemm_post_op)op, v, ldv};
            const crl__gemm_post *pp = op == CRL_POST_NONE ? NULL : &post;
            crl__gemm_nt(m, n, k, a, lda, b, ldb, c1, ldc, acc, pp, w);
            crl__gemm_nt_bt(m, n, k, a, lda, b, ldb, bt, ldbt, c2, ldc, acc,
                            pp);
            for (int i = 0; i < m; i++)
              if (memcmp(c1 + (size_t)i * ldc, c2 + (size_t)i * ldc,
                         (size_t)n * sizeof *c1) != 0)
                fail_msg("%s m %d n %d k %d op %d acc %d: row %d differs",
                         crl_gemm_isa_name(isas[ii]), m, n, k, op, acc, i);
            free(a), free(b), free(bt), free(v), free(c1), free(c2), free(w);
          }
  }
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  gsl_rng_free(rng);
}

/* The automatic choice is a supported vector set on this machine, and the
 * same call twice gives the same bits. */
static void test_auto_and_repeatable(void **state) {
  (void)state;
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  crl_gemm_isa isa = crl_gemm_isa_active();
  assert_true(isa == CRL_GEMM_GENERIC || isa == CRL_GEMM_AVX2 ||
              isa == CRL_GEMM_AVX512);
  assert_true(crl_gemm_isa_supported(isa));
  print_message("# auto: %s\n", crl_gemm_isa_name(isa));
  assert_int_equal(crl_gemm_isa_force((crl_gemm_isa)99), -1);
  crl_real x[65 * 63], y[65 * 63];
  gsl_rng *r1 = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng *r2 = gsl_rng_alloc(gsl_rng_mt19937);
  assert_true(check_one(NT, 65, 63, 33, 1, r1, x) <= 1.0);
  assert_true(check_one(NT, 65, 63, 33, 1, r2, y) <= 1.0);
  assert_memory_equal(x, y, sizeof x);
  gsl_rng_free(r1);
  gsl_rng_free(r2);
}

/* CRL_MAX_ISA caps what AUTO resolves to (read again after
 * crl_gemm_isa_force(CRL_GEMM_AUTO)); the three sets' names in any case,
 * other values cap nothing and read as -1. */
static void test_max_isa(void **state) {
  (void)state;
  assert_int_equal(unsetenv("CRL_MAX_ISA"), 0);
  assert_int_equal(crl_gemm_max_isa(), CRL_GEMM_AUTO);
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  const crl_gemm_isa best = crl_gemm_isa_active();
  static const struct {
    const char *value;
    int named;
  } cases[] = {{"generic", CRL_GEMM_GENERIC},
               {"avx2", CRL_GEMM_AVX2},
               {"avx512", CRL_GEMM_AVX512},
               {"AVX2", CRL_GEMM_AVX2},
               {"blas", -1},
               {"", -1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(setenv("CRL_MAX_ISA", cases[i].value, 1), 0);
    assert_int_equal(crl_gemm_max_isa(), cases[i].named);
    assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
    const int named = cases[i].named;
    const crl_gemm_isa want =
        named < 0 || (int)best <= named ? best : (crl_gemm_isa)named;
    if (crl_gemm_isa_active() != want)
      fail_msg("CRL_MAX_ISA=%s: %s, expected %s", cases[i].value,
               crl_gemm_isa_name(crl_gemm_isa_active()),
               crl_gemm_isa_name(want));
  }
  /* The CBLAS rule follows the cap: a CPU without AVX2 sends every
   * product to OpenBLAS (GSL's CBLAS never), so under CRL_MAX_ISA=generic
   * a product already computed under AUTO gives the bits of the forced
   * set that rule names. */
  enum { D = 33 };
  crl_real a[D * D], b[D * D], w[D * D], got[D * D], want[D * D];
  for (int i = 0; i < D * D; i++) {
    a[i] = (crl_real)(0.01 * (i % 17) - 0.07);
    b[i] = (crl_real)(0.013 * (i % 23) - 0.1);
  }
  crl__gemm_nt(D, D, D, a, D, b, D, got, D, 0, NULL, w); /* under AUTO */
  assert_int_equal(setenv("CRL_MAX_ISA", "generic", 1), 0);
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  crl__gemm_nt(D, D, D, a, D, b, D, got, D, 0, NULL, w);
#ifdef CRL_USE_OPENBLAS
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_BLAS), 0);
#else
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_GENERIC), 0);
#endif
  crl__gemm_nt(D, D, D, a, D, b, D, want, D, 0, NULL, w);
  assert_memory_equal(got, want, sizeof got);
  assert_int_equal(unsetenv("CRL_MAX_ISA"), 0);
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  assert_int_equal(crl_gemm_isa_active(), best);
}

/* ---- whole networks on each kernel set -------------------------------- */

#if CRL_REAL_IS_DOUBLE
#define NET_TOL 1e-11 /* max difference relative to the largest output */
#else
#define NET_TOL 1e-4
#endif

typedef struct net_case {
  int sizes[4]; /* in, hidden, hidden, out */
  crl_activation act, out_act;
  int B;
} net_case;

static void fill_gauss(crl_real *v, size_t n, double sd, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)gsl_ran_gaussian(rng, sd);
}

/* One network run through forward, backward and jvp at batch B with the
 * kernel set in force; all outputs concatenated into out [len]. */
static size_t run_all(crl_mlp *net, int B, int in, int o, const crl_real *x,
                      const crl_real *r, const crl_real *v, crl_real *out) {
  const size_t n = crl_mlp_n_params(net);
  crl_real *y = out, *dx = y + (size_t)B * o, *g = dx + (size_t)B * in;
  crl_real *dy = g + n;
  crl_mlp_zero_grad(net);
  assert_int_equal(crl_mlp_forward(net, x, B, y), 0);
  assert_int_equal(crl_mlp_backward(net, r, B, dx), 0);
  memcpy(g, crl_mlp_grads(net), n * sizeof *g);
  assert_int_equal(crl_mlp_jvp(net, x, B, v, x, NULL, dy), 0);
  return (size_t)B * (2 * o + in) + n;
}

/* Every kernel set agrees with the plain-C one within rounding, through
 * forward, backward and jvp of networks whose widths and batches take
 * every path of lib/gemm.c (batch 1, a few rows, many rows, ragged widths,
 * the fused epilogues); and AVX2 and AVX-512 agree bit for bit. */
static void test_networks(void **state) {
  (void)state;
  static const net_case cases[] = {
      {{3, 64, 64, 1}, CRL_ACT_RELU, CRL_ACT_IDENTITY, 1},
      {{3, 64, 64, 1}, CRL_ACT_TANH, CRL_ACT_IDENTITY, 4},
      {{4, 65, 33, 2}, CRL_ACT_TANH, CRL_ACT_TANH, 7},
      {{17, 64, 63, 5}, CRL_ACT_RELU, CRL_ACT_RELU, 64},
  };
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const net_case *c = &cases[ci];
    const int B = c->B, in = c->sizes[0], o = c->sizes[3];
    crl_mlp_spec spec =
        crl_mlp_spec_make(in, 2, c->sizes + 1, o, c->act, c->out_act, B);
    crl_mlp *net = NULL;
    assert_int_equal(crl_mlp_alloc(&spec, NULL, NULL, &net), 0);
    const size_t n = crl_mlp_n_params(net);
    const size_t len = (size_t)B * (2 * o + in) + n;
    fill_gauss(crl_mlp_params(net), n, 0.3, rng);
    crl_real *x = malloc((size_t)B * in * sizeof *x);
    crl_real *r = malloc((size_t)B * o * sizeof *r);
    crl_real *v = malloc(n * sizeof *v);
    crl_real *ref = malloc(len * sizeof *ref), *got = malloc(len * sizeof *got);
    crl_real *avx2 = malloc(len * sizeof *avx2);
    fill_gauss(x, (size_t)B * in, 1.0, rng);
    fill_gauss(r, (size_t)B * o, 1.0, rng);
    fill_gauss(v, n, 1.0, rng);
    assert_int_equal(crl_gemm_isa_force(CRL_GEMM_GENERIC), 0);
    assert_int_equal(run_all(net, B, in, o, x, r, v, ref), len);
    int have_avx2 = 0;
    for (size_t si = 1; si < sizeof isas / sizeof isas[0]; si++) {
      if (crl_gemm_isa_force(isas[si]) != 0)
        continue;
      run_all(net, B, in, o, x, r, v, got);
      double scale = 0.0, worst = 0.0;
      for (size_t i = 0; i < len; i++)
        scale = fmax(scale, fabs((double)ref[i]));
      for (size_t i = 0; i < len; i++)
        worst = fmax(worst, fabs((double)got[i] - ref[i]));
      if (worst > NET_TOL * scale)
        print_message("case %zu %s: max diff %.3g (scale %.3g)\n", ci,
                      crl_gemm_isa_name(isas[si]), worst, scale);
      assert_true(worst <= NET_TOL * scale);
      if (isas[si] == CRL_GEMM_AVX2) {
        memcpy(avx2, got, len * sizeof *got);
        have_avx2 = 1;
      }
      if (isas[si] == CRL_GEMM_AVX512 && have_avx2)
        assert_memory_equal(avx2, got, len * sizeof *got);
    }
    assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
    free(x), free(r), free(v), free(ref), free(got), free(avx2);
    crl_mlp_free(net);
  }
  gsl_rng_free(rng);
}

/* A frozen network (an inference policy's, nn/mlp_frozen.h) gives
 * crl_mlp_forward's bits on every kernel set, CBLAS included, at every
 * batch size up to its max_batch: one row, a few (nt's dot products),
 * eight and more (its sequential sums), on widths that take every path
 * (k < 16, n <= 4, ragged vectors), each activation. The parameters are
 * changed after a first sync: a second sync must pick them up. */
static void test_frozen_networks(void **state) {
  (void)state;
  static const net_case cases[] = {
      {{3, 64, 64, 1}, CRL_ACT_TANH, CRL_ACT_IDENTITY, 12},
      {{3, 64, 64, 1}, CRL_ACT_RELU, CRL_ACT_IDENTITY, 3},
      {{17, 256, 256, 6}, CRL_ACT_RELU, CRL_ACT_TANH, 9},
      {{4, 65, 33, 2}, CRL_ACT_TANH, CRL_ACT_TANH, 8},
      {{15, 5, 17, 5}, CRL_ACT_TANH, CRL_ACT_RELU, 10},
      {{348, 400, 300, 17}, CRL_ACT_RELU, CRL_ACT_IDENTITY, 2},
  };
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const net_case *c = &cases[ci];
    const int M = c->B, in = c->sizes[0], o = c->sizes[3];
    crl_mlp_spec spec =
        crl_mlp_spec_make(in, 2, c->sizes + 1, o, c->act, c->out_act, M);
    crl_mlp *net = NULL;
    crl__mlp_frozen *fz = NULL;
    assert_int_equal(crl_mlp_alloc(&spec, NULL, NULL, &net), 0);
    assert_int_equal(crl__mlp_frozen_alloc(net, &fz), 0);
    const size_t n = crl_mlp_n_params(net);
    fill_gauss(crl_mlp_params(net), n, 0.3, rng);
    crl__mlp_frozen_sync(fz);
    fill_gauss(crl_mlp_params(net), n, 0.3, rng);
    crl__mlp_frozen_sync(fz);
    crl_real *x = malloc((size_t)M * in * sizeof *x);
    crl_real *want = malloc((size_t)M * o * sizeof *want);
    crl_real *got = malloc((size_t)M * o * sizeof *got);
    fill_gauss(x, (size_t)M * in, 1.0, rng);
    for (size_t si = 0; si < sizeof isas / sizeof isas[0]; si++) {
      if (crl_gemm_isa_force(isas[si]) != 0)
        continue;
      for (int B = 1; B <= M; B++) {
        assert_int_equal(crl_mlp_forward(net, x, B, want), 0);
        assert_int_equal(crl__mlp_frozen_forward(fz, x, B, got), 0);
        if (memcmp(want, got, (size_t)B * o * sizeof *got) != 0)
          fail_msg("case %zu %s batch %d: frozen forward differs", ci,
                   crl_gemm_isa_name(isas[si]), B);
      }
    }
    assert_int_equal(crl__mlp_frozen_forward(fz, x, M + 1, got), CRL_ESHAPE);
    assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
    free(x), free(want), free(got);
    crl__mlp_frozen_free(fz);
    crl_mlp_free(net);
  }
  gsl_rng_free(rng);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kernels_vs_naive),
      cmocka_unit_test(test_avx2_equals_avx512),
      cmocka_unit_test(test_epilogue),
      cmocka_unit_test(test_short_k_is_the_panel_sum),
      cmocka_unit_test(test_nt_on_a_transposed_b),
      cmocka_unit_test(test_networks),
      cmocka_unit_test(test_frozen_networks),
      cmocka_unit_test(test_auto_and_repeatable),
      cmocka_unit_test(test_max_isa),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
