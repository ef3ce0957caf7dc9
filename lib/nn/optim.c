/* Adam and gradient-norm clipping on flat vectors. */
#include <math.h>
#include <stdlib.h>

#include "core/bufs.h"
#include "core/pool.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "nn/gemm.h" /* CRL_CLONES */
#include "nn/optim_groups.h"

#if CRL_REAL_IS_DOUBLE
#define REAL_SQRT sqrt
#else
#define REAL_SQRT sqrtf
#endif

struct crl_adam {
  size_t n;
  crl_adam_spec spec;
  long t;      /* steps taken */
  crl_real *m; /* [n] first moment */
  crl_real *v; /* [n] second moment */
  void *block; /* m and v */
};

crl_adam_spec crl_adam_spec_default(void) {
  crl_adam_spec s = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
  return s;
}

int crl_adam_alloc(size_t n, const crl_adam_spec *spec, crl_adam **out) {
  *out = NULL;
  crl_adam_spec s = spec ? *spec : crl_adam_spec_default();
  if (!(s.beta1 >= 0.0 && s.beta1 < 1.0) ||
      !(s.beta2 >= 0.0 && s.beta2 < 1.0) || !(s.eps > 0.0))
    return crl_fail(CRL_ERANGE,
                    "adam: need 0 <= beta1, beta2 < 1 and eps > 0 "
                    "(got %g, %g, %g)",
                    s.beta1, s.beta2, s.eps);
  crl_adam *a = calloc(1, sizeof *a);
  if (a == NULL)
    return crl_fail(CRL_ENOMEM, "adam: out of memory");
  const crl__buf bufs[] = {
      {(void **)&a->m, CRL__BUF_REAL, n}, /* [n] */
      {(void **)&a->v, CRL__BUF_REAL, n}, /* [n] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &a->block, "adam");
  if (rc) {
    free(a);
    return rc;
  }
  a->n = n;
  a->spec = s;
  *out = a;
  return 0;
}

void crl_adam_free(crl_adam *adam) {
  if (adam == NULL)
    return;
  free(adam->block);
  free(adam);
}

/* The Adam update of elements [i0, n), in crl_real arithmetic:
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g g,
 *   p -= step m / (sqrt(v) inv_bc2 + eps).
 * Every operation is a correctly rounded IEEE one (no FMA), so the vector
 * versions below give the same bits as this loop on any ISA.
 *
 * On x86 the whole update (vector loop and scalar tail alike) runs with
 * subnormals flushed to zero (MXCSR FTZ and DAZ), restored afterwards.
 * A weight whose gradient stays 0 (a dead ReLU unit's row and column)
 * has m decay by b1 each step into the subnormal range, where every
 * multiply takes a microcode assist of ~100 cycles: that tripled Adam's
 * time in a TD3 update of 400-300 nets (10 % of the update instead of
 * 4 %). Flushing changes only values below 2^-126 (2^-1022 in double),
 * which become 0: a subnormal m moves p by under step 2^-126 / eps, about
 * 1e-33 for lr 1e-3 and eps 1e-8 in float, less than half an ulp of any
 * |p| above 1e-25, so p keeps its bits in practice; m and v may not. */
typedef struct adam_consts {
  crl_real b1, c1, b2, c2, step, inv_bc2, eps; /* c = 1 - b */
} adam_consts;

/* Not inlined, so that the compiler cannot move its arithmetic across the
 * MXCSR writes around the call (GCC does not order FP code with them). */
#if defined(__GNUC__)
#define ADAM_NOINLINE __attribute__((noinline))
#else
#define ADAM_NOINLINE
#endif
static ADAM_NOINLINE void adam_scalar(size_t i0, size_t n, crl_real *restrict p,
                                      const crl_real *restrict g,
                                      crl_real *restrict m,
                                      crl_real *restrict v,
                                      const adam_consts *k) {
  for (size_t i = i0; i < n; i++) {
    m[i] = k->b1 * m[i] + k->c1 * g[i];
    v[i] = k->b2 * v[i] + k->c2 * g[i] * g[i];
    p[i] -= k->step * m[i] / (REAL_SQRT(v[i]) * k->inv_bc2 + k->eps);
  }
}

/* Vector versions: plain C would not vectorise, because sqrt may set errno
 * (the project does not build with -fno-math-errno). Each returns how many
 * elements it did; adam_scalar does the rest. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define ADAM_VEC(NAME, TARGET, V, W, LD, ST, SET1, ADD, SUB, MUL, DIV, SQRT)   \
  static __attribute__((target(TARGET))) size_t NAME(                          \
      size_t n, crl_real *p, const crl_real *g, crl_real *m, crl_real *v,      \
      const adam_consts *k) {                                                  \
    const V b1 = SET1(k->b1), c1 = SET1(k->c1), b2 = SET1(k->b2);              \
    const V c2 = SET1(k->c2), step = SET1(k->step);                            \
    const V inv = SET1(k->inv_bc2), eps = SET1(k->eps);                        \
    size_t i = 0;                                                              \
    for (; i + W <= n; i += W) {                                               \
      const V gi = LD(g + i);                                                  \
      const V mi = ADD(MUL(b1, LD(m + i)), MUL(c1, gi));                       \
      const V vi = ADD(MUL(b2, LD(v + i)), MUL(MUL(c2, gi), gi));              \
      const V d = DIV(MUL(step, mi), ADD(MUL(SQRT(vi), inv), eps));            \
      ST(m + i, mi);                                                           \
      ST(v + i, vi);                                                           \
      ST(p + i, SUB(LD(p + i), d));                                            \
    }                                                                          \
    return i;                                                                  \
  }
#if CRL_REAL_IS_DOUBLE
ADAM_VEC(adam_avx512, "avx512f", __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd,
         _mm512_set1_pd, _mm512_add_pd, _mm512_sub_pd, _mm512_mul_pd,
         _mm512_div_pd, _mm512_sqrt_pd)
ADAM_VEC(adam_avx, "avx", __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd,
         _mm256_set1_pd, _mm256_add_pd, _mm256_sub_pd, _mm256_mul_pd,
         _mm256_div_pd, _mm256_sqrt_pd)
#else
ADAM_VEC(adam_avx512, "avx512f", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps,
         _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_mul_ps,
         _mm512_div_ps, _mm512_sqrt_ps)
ADAM_VEC(adam_avx, "avx", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
         _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_mul_ps,
         _mm256_div_ps, _mm256_sqrt_ps)
#endif
/* MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) */
#define ADAM_FTZ_DAZ 0x8040u
static unsigned adam_fp_enter(void) {
  const unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | ADAM_FTZ_DAZ);
  return csr;
}
static void adam_fp_leave(unsigned csr) {
  _mm_setcsr(csr);
}

static size_t adam_vector(size_t n, crl_real *p, const crl_real *g, crl_real *m,
                          crl_real *v, const adam_consts *k) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return adam_avx512(n, p, g, m, v, k);
  if (__builtin_cpu_supports("avx"))
    return adam_avx(n, p, g, m, v, k);
  return 0;
}
#else
static size_t adam_vector(size_t n, crl_real *p, const crl_real *g, crl_real *m,
                          crl_real *v, const adam_consts *k) {
  (void)n, (void)p, (void)g, (void)m, (void)v, (void)k;
  return 0;
}
static unsigned adam_fp_enter(void) {
  return 0;
}
static void adam_fp_leave(unsigned csr) {
  (void)csr;
}
#endif

/* One Adam step, split over the calling thread's helpers when the vector
 * is long (core/pool.h); each element's update is the same wherever it
 * runs. */
typedef struct adam_job {
  crl_adam *adam;
  crl_real *params;
  const crl_real *grads;
  const adam_consts *k;
  int parts;
} adam_job;

/* Advance the step count and compute this step's constants. */
static adam_consts adam_begin(crl_adam *adam, double lr) {
  adam->t++;
  const double b1 = adam->spec.beta1, b2 = adam->spec.beta2;
  /* PyTorch's form: step = lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) +
   * eps) */
  const double bc1 = 1.0 - pow(b1, (double)adam->t);
  const double bc2_sqrt = sqrt(1.0 - pow(b2, (double)adam->t));
  adam_consts k;
  k.b1 = (crl_real)b1;
  k.b2 = (crl_real)b2;
  k.c1 = 1 - k.b1;
  k.c2 = 1 - k.b2;
  k.step = (crl_real)(lr / bc1);
  k.inv_bc2 = (crl_real)(1.0 / bc2_sqrt);
  k.eps = (crl_real)adam->spec.eps;
  return k;
}

/* The update of elements [lo, hi). MXCSR is per thread: each call sets and
 * restores its own (for the vector and scalar parts, see adam_scalar). */
static void adam_range(crl_adam *a, const adam_consts *k, size_t lo, size_t hi,
                       crl_real *params, const crl_real *grads) {
  const unsigned csr = adam_fp_enter();
  size_t done = lo + adam_vector(hi - lo, params + lo, grads + lo, a->m + lo,
                                 a->v + lo, k);
  adam_scalar(done, hi, params, grads, a->m, a->v, k);
  adam_fp_leave(csr);
}

/* Elements of part `task` of jb->parts, in multiples of 16 (whole vectors
 * of every ISA). */
static void adam_part(void *ctx, int task, crl_real *scratch) {
  (void)scratch;
  const adam_job *jb = ctx;
  size_t lo, hi;
  crl__pool_split(jb->adam->n, jb->parts, task, 16, &lo, &hi);
  adam_range(jb->adam, jb->k, lo, hi, jb->params, jb->grads);
}

void crl_adam_step(crl_adam *adam, crl_real *params, const crl_real *grads,
                   double lr) {
  const adam_consts k = adam_begin(adam, lr);
  crl__pool *pool = crl__pool_current();
  adam_job jb = {adam, params, grads, &k,
                 crl__pool_vector_parts(pool, adam->n)};
  crl__pool_run(pool, jb.parts, adam_part, &jb, 0, NULL);
}

long crl_adam_steps(const crl_adam *adam) {
  return adam->t;
}
crl_real *crl_adam_m(crl_adam *adam) {
  return adam->m;
}
crl_real *crl_adam_v(crl_adam *adam) {
  return adam->v;
}

/* Sixteen partial sums (element i goes to i mod 16), added pairwise at the
 * end: a fixed order, so the loop vectorises (CRL_CLONES) without changing
 * a bit between ISAs, and it does not wait on one long dependency chain. */
CRL_CLONES static double sumsq16(size_t n, const crl_real *g) {
  enum { L = 16 };
  double p[L] = {0};
  size_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; l++)
      p[l] += (double)g[i + l] * (double)g[i + l];
  for (int l = 0; i < n; i++, l++)
    p[l] += (double)g[i] * (double)g[i];
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; l++)
      p[l] += p[l + w];
  return p[0];
}

/* Plain entry points: clang does not resolve a target_clones set called
 * from another file. */
double crl__sumsq(size_t n, const crl_real *g) {
  return sumsq16(n, g);
}

double crl_vec_norm(size_t n, const crl_real *g) {
  return sqrt(sumsq16(n, g));
}

/* PyTorch's clip_grad_norm_ factor, below 1 when g is to be scaled. */
static double clip_factor(double norm, double max_norm) {
  return max_norm / (norm + 1e-6);
}

CRL_CLONES static void scale(size_t n, crl_real *g, double coef) {
  const crl_real c = (crl_real)coef;
  for (size_t i = 0; i < n; i++)
    g[i] *= c;
}

double crl_clip_grad_norm(size_t n, crl_real *g, double max_norm) {
  const double norm = crl_vec_norm(n, g);
  const double coef = clip_factor(norm, max_norm);
  if (coef < 1.0)
    scale(n, g, coef);
  return norm;
}

/* crl__adam_clip_groups' job: task k scales and updates group k. */
typedef struct groups_job {
  crl_adam *adam;
  const crl__groups *groups;
  const adam_consts *k;
  double coef;
  crl_real *params, *grads;
} groups_job;

static int group_task(void *ctx, int g) {
  const groups_job *jb = ctx;
  const size_t lo = jb->groups->bounds[g], hi = jb->groups->bounds[g + 1];
  if (jb->coef < 1.0)
    scale(hi - lo, jb->grads + lo, jb->coef);
  adam_range(jb->adam, jb->k, lo, hi, jb->params, jb->grads);
  return 0;
}

double crl__adam_clip_groups(crl_adam *adam, const crl__groups *groups,
                             const double *sumsq, crl_real *params,
                             crl_real *grads, double max_norm, double lr) {
  double total = 0.0;
  for (int g = 0; g < groups->n; g++)
    total += sumsq[g];
  const double norm = sqrt(total);
  const adam_consts k = adam_begin(adam, lr);
  groups_job jb = {adam,   groups, &k, clip_factor(norm, max_norm),
                   params, grads};
  (void)crl__pool_each(groups->n, group_task, &jb); /* tasks cannot fail */
  return norm;
}

void crl_adam_set_steps(crl_adam *adam, long steps) {
  adam->t = steps;
}

int crl_adam_sections(void *obj, crl_state_io *io) {
  crl_adam *a = obj;
  const crl_state_item items[] = {
      CRL_STATE(LONG, "t", &a->t, 1, CRL_STATE_NONNEG),
      CRL_STATE(REAL, "m", a->m, a->n, 0),
      CRL_STATE(REAL, "v", a->v, a->n, CRL_STATE_NONNEG),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
