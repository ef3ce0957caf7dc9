/* Internal: the vector kernels of gemm.c, written once and compiled once
 * per ISA. gemm.c includes this file after defining, for one ISA:
 *   KFN(name)      the function name for that ISA (name##_avx512, ...)
 *   KTARGET        __attribute__((target(...))) for that ISA
 *   V, VL          the vector type of crl_real and its lane count
 *   MASK_T, MK_MASK(n)   a mask selecting the first n lanes (0 <= n <= VL)
 *   LOADU(p) MLOAD(p, m) STOREU(p, v) MSTORE(p, m, v)   unaligned loads and
 *                  stores; the masked ones never touch the lanes left out
 *   BCAST(x) ZERO() FMA(a, b, c)   splat, zero, a * b + c rounded once
 *   POST(op, c, x)  the crl__gemm_post epilogue on a vector c of results
 *                  with x the matching bias or layer-output vector
 *   HSUM4(p0, p1, p2, p3)   the sums of the DL = DV * VL lanes of four
 *                  accumulators (each V[DV]), in the halving order gemm.h
 *                  documents, as the first four lanes of an R4 vector
 *   store4(c, r, nr, acc)   c [nr] (=|+=) the first nr lanes of r
 *   MR, NV         nn tile: MR rows of C by NV vectors of columns
 *   DV, DMR        dot: DV vectors per partial-sum accumulator (DV * VL =
 *                  64 bytes of lanes on every ISA, which is what makes the
 *                  sums ISA-independent), tiles of DMR rows of A by 4 rows
 *                  of B
 *   SFMA(a, b, c)  the scalar a * b + c rounded once
 * It defines KFN(nn), KFN(dot), KFN(tdot) and KFN(shortk), with the
 * semantics in gemm_impl.h (nn and tdot also apply the epilogue, the
 * others leave it to the caller). The tile kernels take their tile shape
 * as compile-time constants (they are always inlined into a switch), so the
 * accumulators live in registers. */

#define KINLINE static inline __attribute__((always_inline)) KTARGET

/* C [mr, nc] (=|+=) sum_t A(i, t) B [t, :] for one tile of nv vectors of
 * columns, the last one masked by ml. A(i, t) = A[i * rsa + t * csa]. Each
 * element is a sequential sum over t, one FMA per step. */
KINLINE void KFN(tile)(const int mr, const int nv, int k, const crl_real *A,
                       ptrdiff_t rsa, ptrdiff_t csa, const crl_real *B,
                       ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc, int acc,
                       MASK_T ml, int op, const crl_real *E, ptrdiff_t lde,
                       const crl_real *pc, const crl_real *pe) {
  V c[MR][NV]; /* the tile of C, in registers */
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
      crl_real *p = C + i * ldc + v * VL;
      c[i][v] = !acc ? ZERO() : v == nv - 1 ? MLOAD(p, ml) : LOADU(p);
    }
  /* The next tile's rows of C (read when accumulating, else written) and
   * of the epilogue's y (pc, pe; NULL for none), which in an update are
   * usually out of L2 (dW of a 400 x 300 layer is 480 KB): fetched now,
   * they arrive while this tile's k steps run instead of stalling the next
   * tile's first loads. */
  if (pc != NULL)
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
      for (int b = 0; b < NV * VL * (int)sizeof(crl_real); b += 64)
        __builtin_prefetch((const char *)(pc + i * ldc) + b, 0, 3);
  if (pe != NULL)
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
      for (int b = 0; b < NV * VL * (int)sizeof(crl_real); b += 64)
        __builtin_prefetch((const char *)(pe + i * lde) + b, 0, 3);
  for (int t = 0; t < k; t++) {
    V b[NV]; /* row t of the B panel */
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
      b[v] = v == nv - 1 ? MLOAD(B + v * VL, ml) : LOADU(B + v * VL);
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
      const V a = BCAST(A[i * rsa]);
#pragma GCC unroll 8
      for (int v = 0; v < nv; v++)
        c[i][v] = FMA(a, b[v], c[i][v]);
    }
    A += csa;
    B += ldb;
  }
  if (op != CRL_POST_NONE) /* the epilogue, on the tile in registers */
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
      for (int v = 0; v < nv; v++) {
        const crl_real *e = E + i * lde + v * VL; /* bias (lde 0) or y */
        const V x = v == nv - 1 ? MLOAD(e, ml) : LOADU(e);
        c[i][v] = POST(op, c[i][v], x);
      }
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
      crl_real *p = C + i * ldc + v * VL;
      if (v == nv - 1)
        MSTORE(p, ml, c[i][v]);
      else
        STOREU(p, c[i][v]);
    }
}

/* One call per (mr, nv): constants, so each case is its own unrolled
 * kernel. */
static KTARGET void KFN(tile_any)(int mr, int nv, int k, const crl_real *A,
                                  ptrdiff_t rsa, ptrdiff_t csa,
                                  const crl_real *B, ptrdiff_t ldb, crl_real *C,
                                  ptrdiff_t ldc, int acc, MASK_T ml, int op,
                                  const crl_real *E, ptrdiff_t lde,
                                  const crl_real *pc, const crl_real *pe) {
#define KCASE(R, N)                                                            \
  case R * 8 + N:                                                              \
    if (N <= NV)                                                               \
      KFN(tile)                                                                \
    (R, N <= NV ? N : 1, k, A, rsa, csa, B, ldb, C, ldc, acc, ml, op, E, lde,  \
     pc, pe);                                                                  \
    break;
#define KROW(R) KCASE(R, 1) KCASE(R, 2) KCASE(R, 3) KCASE(R, 4)
  switch (mr * 8 + nv) {
    KROW(1) KROW(2) KROW(3) KROW(4) KROW(5) KROW(6) default : break;
  }
#undef KROW
#undef KCASE
}

#if MR > 6 || NV > 4
#error "gemm_kern.h: tile_any covers MR <= 6 and NV <= 4"
#endif

/* C [m, n] (=|+=) A [m, k] B [k, n], A(i, t) = A[i * rsa + t * csa], B rows
 * contiguous. Column blocks of NV * VL outside, row blocks of MR inside, so
 * that one k x (NV * VL) panel of B is reused by all the row blocks; the
 * other way round when all of B is small. (The order of the tiles changes
 * no sum: each element is one tile's.) */
static KTARGET void KFN(nn)(int m, int n, int k, const crl_real *A,
                            ptrdiff_t rsa, ptrdiff_t csa, const crl_real *B,
                            ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc, int acc,
                            const crl__gemm_post *post) {
  const int op = post ? (int)post->op : CRL_POST_NONE;
  const crl_real *E = post ? post->v : NULL;
  const ptrdiff_t lde = op == CRL_POST_BIAS || op == CRL_POST_BIAS_RELU ? 0
                        : post ? post->ldv
                               : 0;
  if ((size_t)k * (size_t)n * sizeof(crl_real) <= 16384) {
    /* B fits in L1 and there is little to reuse (a first layer, k = 3):
     * the time goes into writing C, usually out of L2 in an update. Row
     * blocks outside, so that C is written in address order, which the
     * hardware prefetchers follow, instead of in strided column strips. */
    for (int i0 = 0; i0 < m; i0 += MR) {
      const int mr = m - i0 < MR ? m - i0 : MR;
      for (int j0 = 0; j0 < n; j0 += NV * VL) {
        const int nc = n - j0 < NV * VL ? n - j0 : NV * VL;
        const int nv = (nc + VL - 1) / VL;
        const MASK_T ml = MK_MASK(nc - (nv - 1) * VL);
        KFN(tile_any)
        (mr, nv, k, A + i0 * rsa, rsa, csa, B + j0, ldb, C + i0 * ldc + j0, ldc,
         acc, ml, op, E ? E + i0 * lde + j0 : NULL, lde, NULL, NULL);
      }
    }
    return;
  }
  for (int j0 = 0; j0 < n; j0 += NV * VL) {
    const int nc = n - j0 < NV * VL ? n - j0 : NV * VL;
    const int nv = (nc + VL - 1) / VL;
    const MASK_T ml = MK_MASK(nc - (nv - 1) * VL);
    for (int i0 = 0; i0 < m; i0 += MR) {
      const int mr = m - i0 < MR ? m - i0 : MR;
      /* The next tile: the next rows, else the top of the next columns.
       * Prefetched only when it is a full one (the addresses stay inside
       * the arrays) and this tile is long enough to hide the fetch. */
      const int i1 = i0 + MR < m ? i0 + MR : 0;
      const int j1 = i0 + MR < m ? j0 : j0 + NV * VL;
      const int full = i1 + MR <= m && j1 + NV * VL <= n && k > 64;
      KFN(tile_any)
      (mr, nv, k, A + i0 * rsa, rsa, csa, B + j0, ldb, C + i0 * ldc + j0, ldc,
       acc, ml, op, E ? E + i0 * lde + j0 : NULL, lde,
       full ? C + i1 * ldc + j1 : NULL,
       full && E != NULL && lde != 0 ? E + i1 * lde + j1 : NULL);
    }
  }
}

/* Dot tile: C [i, j] (=|+=) sum_t A [i, t] B [j, t] for mr rows of A and nr
 * rows of B, each sum kept in DL = DV * VL lane-wise partial sums (lane l
 * takes every t = l mod DL) and reduced four at a time by HSUM4, whose
 * shuffles add the same lanes in the same order as a halving sum of each
 * accumulator alone. */
KINLINE void KFN(dtile)(const int mr, const int nr, int k, const crl_real *A,
                        ptrdiff_t lda, const crl_real *B, ptrdiff_t ldb,
                        crl_real *C, ptrdiff_t ldc, int acc) {
  V p[DMR][4][DV]; /* DNR is 4: columns past nr stay zero */
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
#pragma GCC unroll 4
      for (int d = 0; d < DV; d++)
        p[i][j][d] = ZERO();
  const int DL = DV * VL;
  int t = 0;
  for (; t + DL <= k; t += DL) {
    V a[DMR][DV];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
      for (int d = 0; d < DV; d++)
        a[i][d] = LOADU(A + i * lda + t + d * VL);
#pragma GCC unroll 4
    for (int j = 0; j < nr; j++)
#pragma GCC unroll 4
      for (int d = 0; d < DV; d++) {
        const V b = LOADU(B + j * ldb + t + d * VL);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++)
          p[i][j][d] = FMA(a[i][d], b, p[i][j][d]);
      }
  }
  if (t < k) { /* the last k mod DL terms; lanes past k load as zero */
    MASK_T mk[DV];
#pragma GCC unroll 4
    for (int d = 0; d < DV; d++) {
      int lanes = k - t - d * VL;
      mk[d] = MK_MASK(lanes < 0 ? 0 : lanes > VL ? VL : lanes);
    }
    V a[DMR][DV];
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
      for (int d = 0; d < DV; d++)
        a[i][d] = MLOAD(A + i * lda + t + d * VL, mk[d]);
#pragma GCC unroll 4
    for (int j = 0; j < nr; j++)
#pragma GCC unroll 4
      for (int d = 0; d < DV; d++) {
        const V b = MLOAD(B + j * ldb + t + d * VL, mk[d]);
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++)
          p[i][j][d] = FMA(a[i][d], b, p[i][j][d]);
      }
  }
#pragma GCC unroll 8
  for (int i = 0; i < mr; i++)
    store4(C + i * ldc, HSUM4(p[i][0], p[i][1], p[i][2], p[i][3]), nr, acc);
}

static KTARGET void KFN(dtile_any)(int mr, int nr, int k, const crl_real *A,
                                   ptrdiff_t lda, const crl_real *B,
                                   ptrdiff_t ldb, crl_real *C, ptrdiff_t ldc,
                                   int acc) {
#define KCASE(R, N)                                                            \
  case R * 8 + N:                                                              \
    if (R <= DMR)                                                              \
      KFN(dtile)(R <= DMR ? R : 1, N, k, A, lda, B, ldb, C, ldc, acc);         \
    break;
#define KROW(R) KCASE(R, 1) KCASE(R, 2) KCASE(R, 3) KCASE(R, 4)
  switch (mr * 8 + nr) { KROW(1) KROW(2) KROW(3) KROW(4) default : break; }
#undef KROW
#undef KCASE
}

#if DMR > 4
#error "gemm_kern.h: dtile_any covers DMR <= 4"
#endif

static KTARGET void KFN(dot)(int m, int n, int k, const crl_real *A,
                             ptrdiff_t lda, const crl_real *B, ptrdiff_t ldb,
                             crl_real *C, ptrdiff_t ldc, int acc) {
  for (int i0 = 0; i0 < m; i0 += DMR) {
    const int mr = m - i0 < DMR ? m - i0 : DMR;
    const crl_real *Ai = A + i0 * lda;
    crl_real *Ci = C + i0 * ldc;
    int j0 = 0;
    /* Whole tiles of 4 columns inlined in one loop per row count, so that
     * one tile's reduction overlaps the next tile's multiply-adds (a call
     * per tile made them wait on each other: batch-1 inference). */
    // clang-format off
#define DCASE(R)                                                               \
  case R:                                                                      \
    if (R <= DMR)                                                              \
      for (; j0 + 4 <= n; j0 += 4)                                             \
        KFN(dtile)(R <= DMR ? R : 1, 4, k, Ai, lda, B + j0 * ldb, ldb,        \
                   Ci + j0, ldc, acc);                                         \
    break;
    switch (mr) { DCASE(1) DCASE(2) DCASE(3) DCASE(4) default: break; }
#undef DCASE
    if (j0 < n)
      KFN(dtile_any)(mr, n - j0, k, Ai, lda, B + j0 * ldb, ldb, Ci + j0, ldc,
                     acc);
    // clang-format on
  }
}

#define DL (DV * VL)
#if DL != 8 && DL != 16
#error "gemm_kern.h: tdot's halving tree takes 8 or 16 lanes"
#endif
/* Column j0's VL sums of tdot: row a [k] against BT's columns at b (row t
 * at b + t * ldb), the loads masked by ml unless full. */
KINLINE V KFN(tdot_vec)(const int full, MASK_T ml, int k, const crl_real *a,
                        const crl_real *b, ptrdiff_t ldb) {
  V p[DL]; /* p[l]: lane l's partial sums of VL columns */
#pragma GCC unroll 16
  for (int l = 0; l < DL; l++)
    p[l] = ZERO();
  int t = 0;
  for (; t + DL <= k; t += DL)
#pragma GCC unroll 16
    for (int l = 0; l < DL; l++) {
      const crl_real *bt = b + (t + l) * ldb;
      p[l] = FMA(BCAST(a[t + l]), full ? LOADU(bt) : MLOAD(bt, ml), p[l]);
    }
  if (t < k)
#pragma GCC unroll 16
    for (int l = 0; l < DL; l++) {
      const crl_real *bt = b + (t + l) * ldb;
      if (t + l < k)
        p[l] = FMA(BCAST(a[t + l]), full ? LOADU(bt) : MLOAD(bt, ml), p[l]);
      else
        p[l] = FMA(ZERO(), ZERO(), p[l]);
    }
    /* the halving tree, w = DL / 2, ..., 1 */
#pragma GCC unroll 8
  for (int l = 0; l < DL / 2; l++)
    p[l] = p[l] + p[l + DL / 2];
#pragma GCC unroll 4
  for (int l = 0; l < DL / 4; l++)
    p[l] = p[l] + p[l + DL / 4];
#pragma GCC unroll 2
  for (int l = 0; l < DL / 8; l++)
    p[l] = p[l] + p[l + DL / 8];
  if (DL == 16)
    p[0] = p[0] + p[1];
  return p[0];
}

/* C [m, n] (=|+=) A [m, k] BT [k, n] with dot's sums, for B = BT^T given
 * transposed (a frozen policy's W^T): each element in DL lane-wise partial
 * sums from zero (lane l takes every t = l mod DL; in a last partial block
 * the lanes past k take a zero product, as dot's masked loads give them),
 * added in the halving tree, then to C when acc; then the epilogue. The
 * vectors run along n, VL columns at once, so that one lane's partial sums
 * are a vector of VL columns and the tree adds whole vectors: no shuffles
 * and no reductions across lanes, where dot spends most of a few-row
 * product. The same bits as dot, element by element. */
static KTARGET void KFN(tdot)(int m, int n, int k, const crl_real *A,
                              ptrdiff_t lda, const crl_real *BT, ptrdiff_t ldb,
                              crl_real *C, ptrdiff_t ldc, int acc,
                              const crl__gemm_post *post) {
  const int op = post ? (int)post->op : CRL_POST_NONE;
  const int per_row = op == CRL_POST_DRELU || op == CRL_POST_DTANH;
  const MASK_T all = MK_MASK(VL), ml = MK_MASK(n % VL);
  for (int i = 0; i < m; i++) {
    const crl_real *a = A + i * lda; /* [k] */
    crl_real *c = C + i * ldc;       /* [n] */
    const crl_real *e = op == CRL_POST_NONE ? NULL
                        : per_row           ? post->v + i * post->ldv
                                            : post->v; /* [n] */
    int j0 = 0;
    for (; j0 + VL <= n; j0 += VL) {
      V s = KFN(tdot_vec)(1, all, k, a, BT + j0, ldb);
      if (acc)
        s = LOADU(c + j0) + s;
      if (e != NULL)
        s = POST(op, s, LOADU(e + j0));
      STOREU(c + j0, s);
    }
    if (j0 < n) {
      V s = KFN(tdot_vec)(0, ml, k, a, BT + j0, ldb);
      if (acc)
        s = MLOAD(c + j0, ml) + s;
      if (e != NULL)
        s = POST(op, s, MLOAD(e + j0, ml));
      MSTORE(c + j0, ml, s);
    }
  }
}
#undef DL

/* C [m, n] (=|+=) A [m, k] B [n, k]^T as sequential sums over t, on B's
 * rows as they are: each element the FMA chain nn's tiles compute, so the
 * same bits as transposing B and running nn. For a few rows of A and a
 * short k (a first layer at batch 1: 64 x 3), where transposing B took
 * two thirds of the product's time. Scalar, k a constant of each case so that
 * the chains unroll and those of consecutive elements overlap. No epilogue. */
KINLINE void KFN(shortk_k)(const int k, int m, int n, const crl_real *A,
                           ptrdiff_t lda, const crl_real *B, ptrdiff_t ldb,
                           crl_real *C, ptrdiff_t ldc, int acc) {
  for (int i = 0; i < m; i++) {
    crl_real a[16]; /* row i of A */
#pragma GCC unroll 16
    for (int t = 0; t < k; t++)
      a[t] = A[i * lda + t];
    crl_real *c = C + i * ldc; /* [n] */
    for (int j = 0; j < n; j++) {
      const crl_real *b = B + j * ldb; /* [k] */
      crl_real s = acc ? c[j] : 0;
#pragma GCC unroll 16
      for (int t = 0; t < k; t++)
        s = SFMA(a[t], b[t], s);
      c[j] = s;
    }
  }
}

static KTARGET void KFN(shortk)(int m, int n, int k, const crl_real *A,
                                ptrdiff_t lda, const crl_real *B, ptrdiff_t ldb,
                                crl_real *C, ptrdiff_t ldc, int acc) {
#define SCASE(K)                                                               \
  case K:                                                                      \
    KFN(shortk_k)(K, m, n, A, lda, B, ldb, C, ldc, acc);                       \
    break;
  // clang-format off
  switch (k) {
  SCASE(0) SCASE(1) SCASE(2) SCASE(3) SCASE(4) SCASE(5) SCASE(6) SCASE(7)
  SCASE(8) SCASE(9) SCASE(10) SCASE(11) SCASE(12) SCASE(13) SCASE(14)
  SCASE(15)
  default: /* k < 16 is the path's condition (gemm.c) */
    break;
  }
  // clang-format on
#undef SCASE
}

#undef KINLINE
