/* The x86-64 vector kernels of gemm.c: gemm_kern.h compiled for AVX-512
 * and for AVX2+FMA, plus the pieces it needs per ISA (register-block
 * transposes, four-way reductions of dot accumulators, the epilogue on one
 * vector). Each function carries its target attribute, so this file builds
 * with the project's baseline flags; gemm.c calls into it only after
 * checking the CPU. */
#include "nn/gemm_impl.h"

#if CRL_GEMM_X86
#include <immintrin.h>

/* The same transpose in register blocks (8 x 8 floats or 4 x 4 doubles)
 * with AVX shuffles, the right edge with AVX2 gathers, the bottom edge by
 * the plain loop. (AVX2 is what both vector kernel sets have.) */
#if CRL_REAL_IS_DOUBLE
enum { TB = 4 };
static inline __attribute__((always_inline, target("avx2"))) void
tblock(const double *s, ptrdiff_t lds, double *d, ptrdiff_t ldd) {
  __m256d r0 = _mm256_loadu_pd(s), r1 = _mm256_loadu_pd(s + lds);
  __m256d r2 = _mm256_loadu_pd(s + 2 * lds), r3 = _mm256_loadu_pd(s + 3 * lds);
  __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
  __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(d, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(d + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(d + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(d + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#else
enum { TB = 8 };
static inline __attribute__((always_inline, target("avx2"))) void
tblock(const float *s, ptrdiff_t lds, float *d, ptrdiff_t ldd) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++)
    r[i] = _mm256_loadu_ps(s + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4)
    for (int h = 0; h < 2; h++) {
      u[i + 2 * h] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0x44);
      u[i + 2 * h + 1] = _mm256_shuffle_ps(t[i + h], t[i + h + 2], 0xEE);
    }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(d + i * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(d + (i + 4) * ldd,
                     _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}
#endif

/* The right edge, fewer than TB columns (all of a layer with 3 inputs):
 * each column gathered TB rows at a time. */
static __attribute__((target("avx2"))) void tcols(int rows, int cols,
                                                  const crl_real *src,
                                                  ptrdiff_t lds, crl_real *dst,
                                                  ptrdiff_t ldd) {
  const int rb = rows - rows % TB;
  const int s = (int)lds;
#if CRL_REAL_IS_DOUBLE
  const __m128i idx = _mm_setr_epi32(0, s, 2 * s, 3 * s);
#else
  const __m256i idx =
      _mm256_setr_epi32(0, s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s);
#endif
  for (int c = 0; c < cols; c++) {
    for (int r0 = 0; r0 < rb; r0 += TB)
#if CRL_REAL_IS_DOUBLE
      _mm256_storeu_pd(dst + c * ldd + r0,
                       _mm256_i32gather_pd(src + r0 * lds + c, idx, 8));
#else
      _mm256_storeu_ps(dst + c * ldd + r0,
                       _mm256_i32gather_ps(src + r0 * lds + c, idx, 4));
#endif
    for (int r = rb; r < rows; r++)
      dst[c * ldd + r] = src[r * lds + c];
  }
}

static __attribute__((target("avx2"))) void
transpose_avx(int rows, int cols, const crl_real *restrict src, ptrdiff_t lds,
              crl_real *restrict dst, ptrdiff_t ldd) {
  const int rb = rows - rows % TB, cb = cols - cols % TB;
  for (int r0 = 0; r0 < rb; r0 += TB)
    for (int c0 = 0; c0 < cb; c0 += TB)
      tblock(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
  if (cb < cols && lds * TB < 0x7fffffff) /* right edge, 32-bit offsets */
    tcols(rows, cols - cb, src + cb, lds, dst + cb * ldd, ldd);
  else if (cb < cols) /* right edge: columns cb.., all rows */
    crl__gemm_transpose_generic(rows, cols - cb, src + cb, lds, dst + cb * ldd,
                                ldd);
  if (rb < rows) /* bottom edge: rows rb.., columns before cb */
    crl__gemm_transpose_generic(rows - rb, cb, src + rb * lds, lds, dst + rb,
                                ldd);
}

/* The scalar FMA of both sets' short-k kernel (their targets have FMA, so
 * it is one instruction). */
#if CRL_REAL_IS_DOUBLE
#define SFMA __builtin_fma
#else
#define SFMA __builtin_fmaf
#endif

/* AVX-512F */
#define KFN(name) name##_avx512
#define KTARGET __attribute__((target("avx512f,fma")))
#if CRL_REAL_IS_DOUBLE
#define V __m512d
#define VL 8
#define MASK_T __mmask8
#define MK_MASK(n) ((__mmask8)((1u << (n)) - 1u))
#define LOADU _mm512_loadu_pd
#define MLOAD(p, m) _mm512_maskz_loadu_pd((m), (p))
#define STOREU _mm512_storeu_pd
#define MSTORE _mm512_mask_storeu_pd
#define BCAST _mm512_set1_pd
#define ZERO _mm512_setzero_pd
#define FMA _mm512_fmadd_pd
#else
#define V __m512
#define VL 16
#define MASK_T __mmask16
#define MK_MASK(n) ((__mmask16)((1u << (n)) - 1u))
#define LOADU _mm512_loadu_ps
#define MLOAD(p, m) _mm512_maskz_loadu_ps((m), (p))
#define STOREU _mm512_storeu_ps
#define MSTORE _mm512_mask_storeu_ps
#define BCAST _mm512_set1_ps
#define ZERO _mm512_setzero_ps
#define FMA _mm512_fmadd_ps
#endif
#define MR 6
#define NV 4
#define DV 1
#define DMR 4

/* Reductions of four dot accumulators at once. Each step adds lane l to
 * lane l + w, for w = lanes/2, lanes/4, ..., 1, exactly as a halving sum
 * of each accumulator alone (hsum_generic), but with the four packed
 * together so that a step costs one or two shuffles and one add for all of
 * them. The four sums come out in lanes 0-3 of an R4 vector, to be added
 * to / stored into four consecutive elements of C by store4. */
#define AI static inline __attribute__((always_inline))
#if CRL_REAL_IS_DOUBLE
typedef __m256d R4;
AI __attribute__((target("avx2"))) void store4(double *c, R4 r, int nr,
                                               int acc) {
  const __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x(nr),
                                       _mm256_setr_epi64x(0, 1, 2, 3));
  if (acc)
    r = _mm256_add_pd(_mm256_maskload_pd(c, m), r);
  _mm256_maskstore_pd(c, m, r);
}
AI KTARGET R4 hsum4_avx512(const __m512d *p0, const __m512d *p1,
                           const __m512d *p2, const __m512d *p3) {
  /* w = 4: pairs of accumulators, 128-bit chunks [q c0+c2, q c1+c3] */
  __m512d s01 = _mm512_shuffle_f64x2(p0[0], p1[0], 0x44) +
                _mm512_shuffle_f64x2(p0[0], p1[0], 0xEE);
  __m512d s23 = _mm512_shuffle_f64x2(p2[0], p3[0], 0x44) +
                _mm512_shuffle_f64x2(p2[0], p3[0], 0xEE);
  /* w = 2: chunk q holds accumulator q's two lanes */
  __m512d s = _mm512_shuffle_f64x2(s01, s23, 0x88) +
              _mm512_shuffle_f64x2(s01, s23, 0xDD);
  s = s + _mm512_permute_pd(s, 0x55); /* w = 1 */
  return _mm512_castpd512_pd256(
      _mm512_permutexvar_pd(_mm512_setr_epi64(0, 2, 4, 6, 0, 0, 0, 0), s));
}
#else
typedef __m128 R4;
AI __attribute__((target("avx2"))) void store4(float *c, R4 r, int nr,
                                               int acc) {
  const __m128i m =
      _mm_cmpgt_epi32(_mm_set1_epi32(nr), _mm_setr_epi32(0, 1, 2, 3));
  if (acc)
    r = _mm_add_ps(_mm_maskload_ps(c, m), r);
  _mm_maskstore_ps(c, m, r);
}
AI KTARGET R4 hsum4_avx512(const __m512 *p0, const __m512 *p1, const __m512 *p2,
                           const __m512 *p3) {
  /* w = 8: pairs of accumulators, 128-bit chunks [q c0+c2, q c1+c3] */
  __m512 s01 = _mm512_shuffle_f32x4(p0[0], p1[0], 0x44) +
               _mm512_shuffle_f32x4(p0[0], p1[0], 0xEE);
  __m512 s23 = _mm512_shuffle_f32x4(p2[0], p3[0], 0x44) +
               _mm512_shuffle_f32x4(p2[0], p3[0], 0xEE);
  /* w = 4: chunk q holds accumulator q's four lanes */
  __m512 s = _mm512_shuffle_f32x4(s01, s23, 0x88) +
             _mm512_shuffle_f32x4(s01, s23, 0xDD);
  s = s + _mm512_shuffle_ps(s, s, _MM_SHUFFLE(3, 2, 3, 2)); /* w = 2 */
  s = s + _mm512_shuffle_ps(s, s, _MM_SHUFFLE(1, 1, 1, 1)); /* w = 1 */
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(
      _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s));
}
#endif
#define HSUM4(a, b, c, d) hsum4_avx512(a, b, c, d)

/* The epilogue on one vector: max(t, 0) is t > 0 ? t : 0 exactly (NaN and
 * -0 give +0), and the DRELU select keeps c's bits or gives +0. */
#if CRL_REAL_IS_DOUBLE
AI KTARGET __m512d post_avx512(int op, __m512d c, __m512d x) {
  const __m512d z = _mm512_setzero_pd();
  switch (op) {
  case CRL_POST_BIAS:
    return _mm512_add_pd(c, x);
  case CRL_POST_BIAS_RELU:
    return _mm512_max_pd(_mm512_add_pd(c, x), z);
  case CRL_POST_DRELU:
    return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(x, z, _CMP_GT_OQ), c);
  case CRL_POST_DTANH:
    return _mm512_mul_pd(c,
                         _mm512_sub_pd(_mm512_set1_pd(1), _mm512_mul_pd(x, x)));
  default:
    return c;
  }
}
#else
AI KTARGET __m512 post_avx512(int op, __m512 c, __m512 x) {
  const __m512 z = _mm512_setzero_ps();
  switch (op) {
  case CRL_POST_BIAS:
    return _mm512_add_ps(c, x);
  case CRL_POST_BIAS_RELU:
    return _mm512_max_ps(_mm512_add_ps(c, x), z);
  case CRL_POST_DRELU:
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, z, _CMP_GT_OQ), c);
  case CRL_POST_DTANH:
    return _mm512_mul_ps(c,
                         _mm512_sub_ps(_mm512_set1_ps(1), _mm512_mul_ps(x, x)));
  default:
    return c;
  }
}
#endif
#define POST post_avx512

#include "nn/gemm_kern.h"

#undef KFN
#undef KTARGET
#undef V
#undef VL
#undef MASK_T
#undef MK_MASK
#undef LOADU
#undef MLOAD
#undef STOREU
#undef MSTORE
#undef BCAST
#undef ZERO
#undef FMA
#undef MR
#undef NV
#undef DV
#undef DMR
#undef HSUM4
#undef POST

/* AVX2 + FMA: half the vector width, half the registers; the dot
 * accumulators take two vectors so that they still have 64 bytes of lanes. */
#define KFN(name) name##_avx2
#define KTARGET __attribute__((target("avx2,fma")))
#if CRL_REAL_IS_DOUBLE
#define V __m256d
#define VL 4
#define MASK_T __m256i
#define MK_MASK(n)                                                             \
  _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))
#define LOADU _mm256_loadu_pd
#define MLOAD(p, m) _mm256_maskload_pd((p), (m))
#define STOREU _mm256_storeu_pd
#define MSTORE _mm256_maskstore_pd
#define BCAST _mm256_set1_pd
#define ZERO _mm256_setzero_pd
#define FMA _mm256_fmadd_pd
AI KTARGET R4 hsum4_avx2(const __m256d *p0, const __m256d *p1,
                         const __m256d *p2, const __m256d *p3) {
  /* w = 4: the two vectors of each accumulator */
  __m256d s0 = p0[0] + p0[1], s1 = p1[0] + p1[1];
  __m256d s2 = p2[0] + p2[1], s3 = p3[0] + p3[1];
  /* w = 2: pairs, 128-bit halves [q lanes 0-1 + lanes 2-3] */
  __m256d s01 = _mm256_permute2f128_pd(s0, s1, 0x20) +
                _mm256_permute2f128_pd(s0, s1, 0x31);
  __m256d s23 = _mm256_permute2f128_pd(s2, s3, 0x20) +
                _mm256_permute2f128_pd(s2, s3, 0x31);
  s01 = s01 + _mm256_permute_pd(s01, 0x5); /* w = 1 */
  s23 = s23 + _mm256_permute_pd(s23, 0x5);
  /* [p0, p2, p1, p3] -> [p0, p1, p2, p3] */
  return _mm256_permute4x64_pd(_mm256_unpacklo_pd(s01, s23),
                               _MM_SHUFFLE(3, 1, 2, 0));
}
#else
#define V __m256
#define VL 8
#define MASK_T __m256i
#define MK_MASK(n)                                                             \
  _mm256_cmpgt_epi32(_mm256_set1_epi32(n),                                     \
                     _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define LOADU _mm256_loadu_ps
#define MLOAD(p, m) _mm256_maskload_ps((p), (m))
#define STOREU _mm256_storeu_ps
#define MSTORE _mm256_maskstore_ps
#define BCAST _mm256_set1_ps
#define ZERO _mm256_setzero_ps
#define FMA _mm256_fmadd_ps
AI KTARGET R4 hsum4_avx2(const __m256 *p0, const __m256 *p1, const __m256 *p2,
                         const __m256 *p3) {
  /* w = 8: the two vectors of each accumulator */
  __m256 s0 = p0[0] + p0[1], s1 = p1[0] + p1[1];
  __m256 s2 = p2[0] + p2[1], s3 = p3[0] + p3[1];
  /* w = 4: pairs, 128-bit halves [q lanes 0-3 + lanes 4-7] */
  __m256 s01 = _mm256_permute2f128_ps(s0, s1, 0x20) +
               _mm256_permute2f128_ps(s0, s1, 0x31);
  __m256 s23 = _mm256_permute2f128_ps(s2, s3, 0x20) +
               _mm256_permute2f128_ps(s2, s3, 0x31);
  s01 = s01 + _mm256_shuffle_ps(s01, s01, _MM_SHUFFLE(3, 2, 3, 2)); /* w = 2 */
  s23 = s23 + _mm256_shuffle_ps(s23, s23, _MM_SHUFFLE(3, 2, 3, 2));
  s01 = s01 + _mm256_shuffle_ps(s01, s01, _MM_SHUFFLE(1, 1, 1, 1)); /* w = 1 */
  s23 = s23 + _mm256_shuffle_ps(s23, s23, _MM_SHUFFLE(1, 1, 1, 1));
  /* p0 p1 in lanes 0, 4 of s01; p2 p3 in lanes 0, 4 of s23 */
  __m256 r = _mm256_shuffle_ps(s01, s23, _MM_SHUFFLE(0, 0, 0, 0));
  return _mm256_castps256_ps128(
      _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 2, 6, 0, 0, 0, 0)));
}
#endif
#define MR 6
#define NV 2
#define DV 2
#define DMR 1
#define HSUM4(a, b, c, d) hsum4_avx2(a, b, c, d)
#if CRL_REAL_IS_DOUBLE
AI KTARGET __m256d post_avx2(int op, __m256d c, __m256d x) {
  const __m256d z = _mm256_setzero_pd();
  switch (op) {
  case CRL_POST_BIAS:
    return _mm256_add_pd(c, x);
  case CRL_POST_BIAS_RELU:
    return _mm256_max_pd(_mm256_add_pd(c, x), z);
  case CRL_POST_DRELU:
    return _mm256_and_pd(_mm256_cmp_pd(x, z, _CMP_GT_OQ), c);
  case CRL_POST_DTANH:
    return _mm256_mul_pd(c,
                         _mm256_sub_pd(_mm256_set1_pd(1), _mm256_mul_pd(x, x)));
  default:
    return c;
  }
}
#else
AI KTARGET __m256 post_avx2(int op, __m256 c, __m256 x) {
  const __m256 z = _mm256_setzero_ps();
  switch (op) {
  case CRL_POST_BIAS:
    return _mm256_add_ps(c, x);
  case CRL_POST_BIAS_RELU:
    return _mm256_max_ps(_mm256_add_ps(c, x), z);
  case CRL_POST_DRELU:
    return _mm256_and_ps(_mm256_cmp_ps(x, z, _CMP_GT_OQ), c);
  case CRL_POST_DTANH:
    return _mm256_mul_ps(c,
                         _mm256_sub_ps(_mm256_set1_ps(1), _mm256_mul_ps(x, x)));
  default:
    return c;
  }
}
#endif
#define POST post_avx2

#include "nn/gemm_kern.h"

#undef KFN
#undef KTARGET
#undef V
#undef VL
#undef MASK_T
#undef MK_MASK
#undef LOADU
#undef MLOAD
#undef STOREU
#undef MSTORE
#undef BCAST
#undef ZERO
#undef FMA
#undef MR
#undef NV
#undef DV
#undef DMR
#undef HSUM4
#undef POST

#undef AI
#undef SFMA
const crl__gemm_kernels crl__gemm_kernels_avx2 = {
    transpose_avx, nn_avx2, dot_avx2, tdot_avx2, shortk_avx2};
const crl__gemm_kernels crl__gemm_kernels_avx512 = {
    transpose_avx, nn_avx512, dot_avx512, tdot_avx512, shortk_avx512};

#else
typedef int crl_gemm_x86_empty; /* ISO C wants a declaration in every file */
#endif /* CRL_GEMM_X86 */
