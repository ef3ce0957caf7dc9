/* crl_threads_set (lib/core/pool.c): the calling thread's helpers.
 *
 * The promise is that results have the same bits for every number of
 * threads. Checked here on every product path of gemm.c (each kernel set
 * this CPU runs, CBLAS included, with and without the fused epilogues),
 * on Adam and Polyak averaging, and on the critics run at once (one per
 * thread); plus the row split itself, the pool's tasks (and the first
 * failure's report) and the argument checks. (Whole training runs:
 * cli_edges_test.sh.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "core/pool.h"
#include "crl/crl.h"
#include "nn/gemm.h"
#include "nn/optim_groups.h"
#include "rl/qcritic.h"

static void fill(crl_real *v, size_t n, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)(2.0 * gsl_rng_uniform(rng) - 1.0);
}

static crl_real *alloc_real(size_t n) {
  crl_real *p = malloc((n ? n : 1) * sizeof *p);
  assert_non_null(p);
  return p;
}

static void test_split(void **state) {
  (void)state;
  static const size_t ns[] = {0, 1, 15, 16, 17, 100, 1000, 4097};
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (int parts = 1; parts <= 7; parts++) {
      size_t next = 0;
      for (int t = 0; t < parts; t++) {
        size_t lo, hi;
        crl__pool_split(ns[a], parts, t, 16, &lo, &hi);
        assert_int_equal(lo, next); /* contiguous, in order */
        assert_true(hi >= lo && hi <= ns[a]);
        assert_true(lo % 16 == 0 && (hi % 16 == 0 || hi == ns[a]));
        next = hi;
      }
      assert_int_equal(next, ns[a]); /* and covering */
    }
}

static void test_set_get(void **state) {
  (void)state;
  assert_int_equal(crl_threads_get(), 1);
  assert_int_equal(crl_threads_set(0), CRL_EINVAL);
  assert_int_equal(crl_threads_set(CRL_THREADS_MAX + 1), CRL_EINVAL);
  assert_int_equal(crl_threads_get(), 1);
  assert_int_equal(crl_threads_set(3), CRL_OK);
  assert_int_equal(crl_threads_get(), 3);
  assert_int_equal(crl_threads_set(2), CRL_OK);
  assert_int_equal(crl_threads_get(), 2);
  assert_int_equal(crl_threads_set(1), CRL_OK);
  assert_int_equal(crl_threads_get(), 1);
}

/* Every task runs once, on some thread, with scratch of the size asked. */
typedef struct count_ctx {
  int hits[8];
  size_t scratch;
} count_ctx;

static void count_task(void *ctx, int task, crl_real *scratch) {
  count_ctx *c = ctx;
  c->hits[task]++;
  for (size_t i = 0; i < c->scratch; i++) /* all of it writable */
    scratch[i] = (crl_real)task;
}

static void test_pool_runs_each_task_once(void **state) {
  (void)state;
  crl__pool *pool = crl__pool_alloc(4);
  assert_non_null(pool);
  crl_real caller[64];
  for (int round = 0; round < 2000; round++) {
    count_ctx c = {{0}, (size_t)(round % 3) * 32};
    const int n_tasks = 1 + round % 4;
    crl__pool_run(pool, n_tasks, count_task, &c, c.scratch, caller);
    for (int t = 0; t < 8; t++)
      assert_int_equal(c.hits[t], t < n_tasks ? 1 : 0);
  }
  crl__pool_free(pool);
}

/* ---- products ------------------------------------------------------------ */

enum { NT, NN, TN };

typedef struct shape {
  int op, m, n, k;
  crl__gemm_post_op post;
} shape;

/* One or more shapes for each path of gemm.c, all big enough to split
 * (blocks of 2^20 multiply-adds and 64 rows). */
// clang-format off
static const shape shapes[] = {
    {NT, 256, 256, 256, CRL_POST_BIAS_RELU}, /* panels */
    {NT, 300, 400, 256, CRL_POST_BIAS},      /* panels, or CBLAS */
    {NT, 512, 256, 256, CRL_POST_NONE},      /* CBLAS in blocks under AUTO */
    {NT, 16384, 1, 256, CRL_POST_NONE},      /* a value head */
    {NT, 8192, 3, 128, CRL_POST_BIAS},       /* dot products */
    {NT, 1000, 70, 33, CRL_POST_BIAS_RELU},  /* ragged rows, B whole */
    {NN, 256, 256, 256, CRL_POST_DRELU},     /* sequential sums */
    {NN, 333, 129, 300, CRL_POST_DTANH},
    {NN, 512, 256, 256, CRL_POST_DRELU},     /* CBLAS under AUTO */
    {TN, 256, 256, 256, CRL_POST_NONE},      /* A transposed */
    {TN, 1024, 8, 256, CRL_POST_NONE},       /* C^T */
    {TN, 400, 300, 256, CRL_POST_NONE},      /* CBLAS under AUTO */
};
// clang-format on
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

/* C of one product with the calling thread's pool as it is. */
static void product(const shape *s, const crl_real *a, const crl_real *b,
                    const crl_real *v, const crl_real *c0, crl_real *c,
                    crl_real *work) {
  const size_t nc = (size_t)s->m * s->n;
  memcpy(c, c0, nc * sizeof *c);
  const crl__gemm_post post = {s->post, v, s->n};
  const crl__gemm_post *pp = s->post == CRL_POST_NONE ? NULL : &post;
  switch (s->op) {
  case NT:
    crl__gemm_nt(s->m, s->n, s->k, a, s->k, b, s->k, c, s->n, 1, pp, work);
    break;
  case NN:
    crl__gemm_nn(s->m, s->n, s->k, a, s->k, b, s->n, c, s->n, 1, pp);
    break;
  default:
    crl__gemm_tn(s->m, s->n, s->k, a, s->m, b, s->n, c, s->n, work);
    break;
  }
}

static const crl_gemm_isa isas[] = {CRL_GEMM_AUTO, CRL_GEMM_GENERIC,
                                    CRL_GEMM_AVX2, CRL_GEMM_AVX512,
                                    CRL_GEMM_BLAS};

static void test_products_same_bits(void **state) {
  (void)state;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  for (size_t si = 0; si < N_SHAPES; si++) {
    const shape *s = &shapes[si];
    const size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n;
    const size_t nc = (size_t)s->m * s->n;
    crl_real *a = alloc_real(na), *b = alloc_real(nb), *v = alloc_real(nc);
    crl_real *c0 = alloc_real(nc), *c1 = alloc_real(nc), *ct = alloc_real(nc);
    crl_real *work = alloc_real(crl_gemm_work_size(s->m, s->n, s->k));
    fill(a, na, rng);
    fill(b, nb, rng);
    fill(v, nc, rng);
    fill(c0, nc, rng);
    for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
      if (!crl_gemm_isa_supported(isas[ii]))
        continue;
      assert_int_equal(crl_gemm_isa_force(isas[ii]), 0);
      assert_int_equal(crl_threads_set(1), CRL_OK);
      product(s, a, b, v, c0, c1, work);
      for (int threads = 2; threads <= 4; threads++) {
        assert_int_equal(crl_threads_set(threads), CRL_OK);
        product(s, a, b, v, c0, ct, work);
        if (memcmp(c1, ct, nc * sizeof *c1) != 0)
          fail_msg("%s op %d %d x %d x %d, %d threads: other bits",
                   crl_gemm_isa_name(isas[ii]), s->op, s->m, s->n, s->k,
                   threads);
      }
    }
    free(a), free(b), free(v), free(c0), free(c1), free(ct), free(work);
  }
  assert_int_equal(crl_threads_set(1), CRL_OK);
  assert_int_equal(crl_gemm_isa_force(CRL_GEMM_AUTO), 0);
  gsl_rng_free(rng);
}

/* ---- optimiser steps ----------------------------------------------------- */

static void test_adam_polyak_same_bits(void **state) {
  (void)state;
  const size_t n = 100003; /* split, with a ragged last part */
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  crl_real *g = alloc_real(n), *p0 = alloc_real(n);
  crl_real *p[2] = {alloc_real(n), alloc_real(n)};
  crl_real *t[2] = {alloc_real(n), alloc_real(n)};
  fill(p0, n, rng);
  for (int run = 0; run < 2; run++) {
    assert_int_equal(crl_threads_set(run == 0 ? 1 : 3), CRL_OK);
    crl_adam_spec spec = crl_adam_spec_default();
    crl_adam *adam = NULL;
    assert_int_equal(crl_adam_alloc(n, &spec, &adam), CRL_OK);
    memcpy(p[run], p0, n * sizeof *p0);
    memcpy(t[run], p0, n * sizeof *p0);
    gsl_rng_set(rng, 7);
    for (int step = 0; step < 5; step++) {
      fill(g, n, rng);
      crl_adam_step(adam, p[run], g, 1e-3);
      crl_polyak_update(n, t[run], p[run], 0.005);
    }
    crl_adam_free(adam);
  }
  assert_memory_equal(p[0], p[1], n * sizeof *p0);
  assert_memory_equal(t[0], t[1], n * sizeof *p0);
  assert_int_equal(crl_threads_set(1), CRL_OK);
  free(g), free(p0), free(p[0]), free(p[1]), free(t[0]), free(t[1]);
  gsl_rng_free(rng);
}

/* The clipped Adam step by groups (nn/optim_groups.h) on 1-3 threads
 * against the serial steps it stands for: each group's sum of squares
 * (crl__sumsq), the clip factor of their total, then crl_adam_step over the
 * whole vector. One group is crl_clip_grad_norm and crl_adam_step, bit for
 * bit. The boundary (4483) is inside a vector, the gradients are large
 * enough to be clipped, and they stay unclipped on the last steps. */
static void group_steps(int n_groups, int threads, const crl_real *p0,
                        crl_real *p, double *norms) {
  enum { N = 9000, STEPS = 6 };
  const crl__groups two = {2, {0, 4483, N}}, one = {1, {0, N}};
  assert_int_equal(crl_threads_set(threads), CRL_OK);
  crl_adam *adam = NULL;
  assert_int_equal(crl_adam_alloc(N, NULL, &adam), CRL_OK);
  memcpy(p, p0, N * sizeof *p);
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  crl_real *g = alloc_real(N);
  for (int step = 0; step < STEPS; step++) {
    fill(g, N, rng);
    for (size_t i = 0; step >= STEPS - 2 && i < N; i++)
      g[i] *= (crl_real)1e-3; /* norm below 1: no clip */
    const crl__groups *gr = n_groups == 2 ? &two : &one;
    double sumsq[2];
    for (int k = 0; k < gr->n; k++)
      sumsq[k] =
          crl__sumsq(gr->bounds[k + 1] - gr->bounds[k], g + gr->bounds[k]);
    norms[step] = crl__adam_clip_groups(adam, gr, sumsq, p, g, 1.0, 1e-2);
  }
  crl_adam_free(adam);
  free(g);
  gsl_rng_free(rng);
}

static void test_adam_groups_same_bits(void **state) {
  (void)state;
  enum { N = 9000, STEPS = 6 };
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 3);
  crl_real *p0 = alloc_real(N), *want = alloc_real(N), *got = alloc_real(N);
  crl_real *g = alloc_real(N);
  fill(p0, N, rng);
  for (int n_groups = 1; n_groups <= 2; n_groups++) {
    /* the serial steps */
    assert_int_equal(crl_threads_set(1), CRL_OK);
    crl_adam *adam = NULL;
    assert_int_equal(crl_adam_alloc(N, NULL, &adam), CRL_OK);
    memcpy(want, p0, N * sizeof *p0);
    gsl_rng *grng = gsl_rng_alloc(gsl_rng_mt19937);
    double want_norm[STEPS], got_norm[STEPS];
    int clipped = 0;
    for (int step = 0; step < STEPS; step++) {
      fill(g, N, grng);
      for (size_t i = 0; step >= STEPS - 2 && i < N; i++)
        g[i] *= (crl_real)1e-3;
      if (n_groups == 1) {
        want_norm[step] = crl_clip_grad_norm(N, g, 1.0);
      } else {
        const double s = crl__sumsq(4483, g) + crl__sumsq(N - 4483, g + 4483);
        want_norm[step] = sqrt(s);
        const double coef = 1.0 / (want_norm[step] + 1e-6);
        for (size_t i = 0; coef < 1.0 && i < N; i++)
          g[i] *= (crl_real)coef;
      }
      clipped += want_norm[step] > 1.0;
      crl_adam_step(adam, want, g, 1e-2);
    }
    assert_int_equal(clipped, STEPS - 2);
    crl_adam_free(adam);
    gsl_rng_free(grng);
    for (int threads = 1; threads <= 3; threads++) {
      group_steps(n_groups, threads, p0, got, got_norm);
      assert_memory_equal(got, want, N * sizeof *got);
      assert_memory_equal(got_norm, want_norm, sizeof got_norm);
    }
  }
  assert_int_equal(crl_threads_set(1), CRL_OK);
  free(p0), free(want), free(got), free(g);
  gsl_rng_free(rng);
}

/* ---- tasks that can fail, and the critics at once ------------------------ */

typedef struct failing {
  int ran[8];
} failing;

/* Tasks 2 and 4 fail, each with its own code and message. */
static int failing_task(void *ctx, int task) {
  failing *f = ctx;
  f->ran[task]++;
  if (task == 2)
    return crl_fail(CRL_ERANGE, "task %d failed", task);
  if (task == 4)
    return crl_fail(CRL_EFORMAT, "task %d failed", task);
  return 0;
}

static void test_pool_each_reports_first_failure(void **state) {
  (void)state;
  for (int threads = 1; threads <= 3; threads++) {
    assert_int_equal(crl_threads_set(threads), CRL_OK);
    failing f = {{0}};
    assert_int_equal(crl__pool_each(5, failing_task, &f), CRL_ERANGE);
    assert_string_equal(crl_last_error(), "task 2 failed");
    /* the round with task 2 ends the run: no task after it starts */
    const int rounds_end = (2 / threads + 1) * threads;
    for (int t = 0; t < 5; t++)
      assert_int_equal(f.ran[t], t < rounds_end ? 1 : 0);
    failing ok = {{0}};
    assert_int_equal(crl__pool_each(2, failing_task, &ok), 0);
    assert_int_equal(ok.ran[0] + ok.ran[1], 2);
  }
  assert_int_equal(crl_threads_set(1), CRL_OK);
}

enum { QN = 3, QO = 5, QA = 2, QB = 40 };

/* Critic k's loss: mean (q - y_k)^2 with y_k = k (crl__qcritic_loss_fn). */
static double to_k(void *ctx, int k, const crl_real *q, int B, crl_real *dq) {
  (void)ctx;
  double loss = 0.0;
  for (int i = 0; i < B; i++) {
    loss += ((double)q[i] - k) * ((double)q[i] - k) / B;
    dq[i] = (crl_real)(2 * ((double)q[i] - k) / B);
  }
  return loss;
}

/* The _all functions against the networks one at a time on one thread:
 * outputs, losses, parameter gradients and the action gradient summed in
 * critic order. */
static void test_critics_at_once_same_bits(void **state) {
  (void)state;
  const crl_int_list hidden = {2, {64, 48}};
  crl__qcritic *qc = NULL;
  assert_int_equal(
      crl__qcritic_alloc(QN, QO, QA, &hidden, CRL_ACT_RELU, QB, &qc), 0);
  crl_real q[QN * QB], q_ref[QN * QB], dq_in[QN * QB];
  assert_int_equal(crl__qcritic_forward_all(qc, q), CRL_ESTATE); /* no input */
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  assert_int_equal(crl__qcritic_init(qc, rng), 0);
  crl_real obs[QB * QO], act[QB * QA];
  fill(obs, QB * QO, rng);
  fill(act, QB * QA, rng);
  fill(dq_in, QN * QB, rng);
  const size_t P = qc->n_params;
  crl_real *g_ref = alloc_real(P);
  /* dact is ADDED to: from a base that is not zero the order of the
   * additions shows in the bits even with two critics used */
  crl_real base[QB * QA], dact_ref[QB * QA], dact[QB * QA];
  fill(base, QB * QA, rng);
  memcpy(dact_ref, base, sizeof base);
  double loss_ref[QN], loss[QN];
  const crl_real *dq[QN] = {dq_in, NULL, dq_in + 2 * QB}; /* critic 1 unused */

  assert_int_equal(crl__qcritic_set_input(qc, obs, act, QB), 0);
  crl__qcritic_zero_grad(qc);
  for (int k = 0; k < QN; k++) {
    crl_real d[QB];
    assert_int_equal(crl__qcritic_forward(qc, k, q_ref + k * QB), 0);
    loss_ref[k] = to_k(NULL, k, q_ref + k * QB, QB, d);
    assert_int_equal(crl__qcritic_backward(qc, k, d, NULL), 0);
  }
  memcpy(g_ref, qc->grads, P * sizeof *g_ref);
  for (int k = 0; k < QN; k++)
    if (dq[k] != NULL)
      assert_int_equal(crl__qcritic_action_grad(qc, k, dq[k], dact_ref), 0);

  for (int threads = 1; threads <= 3; threads++) {
    assert_int_equal(crl_threads_set(threads), CRL_OK);
    memset(q, 0, sizeof q);
    assert_int_equal(crl__qcritic_forward_all(qc, q), 0);
    assert_memory_equal(q, q_ref, sizeof q);
    crl__qcritic_zero_grad(qc);
    memset(q, 0, sizeof q);
    assert_int_equal(crl__qcritic_train_all(qc, q, to_k, NULL, loss), 0);
    assert_memory_equal(q, q_ref, sizeof q);
    assert_memory_equal(loss, loss_ref, sizeof loss);
    assert_memory_equal(qc->grads, g_ref, P * sizeof *g_ref);
    memcpy(dact, base, sizeof base);
    assert_int_equal(crl__qcritic_action_grad_all(qc, dq, dact), 0);
    assert_memory_equal(dact, dact_ref, sizeof dact);
  }
  assert_int_equal(crl_threads_set(1), CRL_OK);
  free(g_ref);
  crl__qcritic_free(qc);
  gsl_rng_free(rng);
}

/* ---- env copies stepped on the threads ------------------------------------
 */

/* A walk on the line: x += a + 0.1 sin x, reward -x^2, terminated past
 * |x| > 2, truncated after 7 steps, reset uniform on [-1, 1]; a push
 * beyond 100 is refused. */
typedef struct walk {
  double x;
} walk;

static const double walk_low[1] = {-10}, walk_high[1] = {10};

static int walk_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 1, 0, walk_low, walk_high};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, walk_low, walk_high};
  return 0;
}
static int walk_reset(void *self, gsl_rng *rng) {
  ((walk *)self)->x = 2 * gsl_rng_uniform(rng) - 1;
  return 0;
}
static int walk_step(void *self, const crl_real *a, double *reward,
                     int *terminated) {
  walk *w = self;
  if (a[0] > 100)
    return crl_fail(CRL_ERANGE, "walk: push %g too strong", (double)a[0]);
  w->x += a[0] + 0.1 * sin(w->x);
  *reward = -w->x * w->x;
  *terminated = fabs(w->x) > 2;
  return 0;
}
static void walk_observe(const void *self, crl_real *obs) {
  obs[0] = (crl_real)((const walk *)self)->x;
}

/* What a run of steps shows: every step's outcomes and the episode hook's
 * calls, in order. */
enum { WN = 5, WT = 40 };
typedef struct walk_trace {
  crl_real obs[WT][WN], final_obs[WT][WN];
  double rewards[WT][WN];
  int ends[WT][WN];
  double hook[4 * WT * WN];
  int n_hook;
} walk_trace;

static void on_walk_episode(void *ctx, int copy, double ret, long len) {
  walk_trace *t = ctx;
  t->hook[t->n_hook++] = copy;
  t->hook[t->n_hook++] = ret;
  t->hook[t->n_hook++] = (double)len;
}

static void walk_run(unsigned flags, int threads, walk_trace *t) {
  const crl_env_type type = {.name = "Walk-v0",
                             .self_size = sizeof(walk),
                             .max_episode_steps = 7,
                             .init = walk_init,
                             .reset = walk_reset,
                             .step = walk_step,
                             .observe = walk_observe,
                             .flags = flags};
  memset(t, 0, sizeof *t);
  assert_int_equal(crl_threads_set(threads), CRL_OK);
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_alloc(&type, WN, 11, &v), CRL_OK);
  crl_vec_env_on_episode(v, on_walk_episode, t);
  assert_int_equal(crl_vec_env_reset(v), CRL_OK);
  for (int s = 0; s < WT; s++) {
    crl_real a[WN];
    for (int i = 0; i < WN; i++)
      a[i] = (crl_real)(0.8 * sin(0.7 * s + i));
    assert_int_equal(crl_vec_env_step(v, a), CRL_OK);
    for (int i = 0; i < WN; i++) {
      t->obs[s][i] = crl_vec_env_obs(v)[i];
      t->final_obs[s][i] = crl_vec_env_final_obs(v)[i];
      t->rewards[s][i] = crl_vec_env_rewards(v)[i];
      t->ends[s][i] =
          crl_vec_env_terminated(v)[i] + 2 * crl_vec_env_truncated(v)[i];
    }
  }
  assert_int_equal(crl_vec_env_steps(v), (long)WN * WT);
  /* a refused push in copy 3: the step fails with the copy's message */
  crl_real bad[WN] = {0, 0, 0, 1000, 0};
  assert_int_equal(crl_vec_env_step(v, bad), CRL_ERANGE);
  assert_non_null(strstr(crl_last_error(), "too strong"));
  crl_vec_env_free(v);
  assert_int_equal(crl_threads_set(1), CRL_OK);
}

/* Copies stepped on 1-3 threads (CRL_ENV_PARALLEL_STEP) give what the
 * serial step gives: observations, final observations, rewards, ends,
 * and the episodes reported in the same order. */
static void test_env_copies_on_threads(void **state) {
  (void)state;
  walk_trace *ref = malloc(sizeof *ref), *t = malloc(sizeof *t);
  walk_run(0, 1, ref);
  int kinds[4] = {0};
  for (int s = 0; s < WT; s++)
    for (int i = 0; i < WN; i++)
      kinds[ref->ends[s][i]]++;
  /* both kinds of end happened, and the hook saw every one */
  assert_true(kinds[1] > 0 && kinds[2] > 0);
  assert_int_equal(ref->n_hook, 3 * (kinds[1] + kinds[2] + kinds[3]));
  for (int threads = 1; threads <= 3; threads++) {
    walk_run(CRL_ENV_PARALLEL_STEP, threads, t);
    assert_memory_equal(t, ref, sizeof *t);
  }
  free(ref);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_split),
      cmocka_unit_test(test_set_get),
      cmocka_unit_test(test_pool_runs_each_task_once),
      cmocka_unit_test(test_products_same_bits),
      cmocka_unit_test(test_adam_polyak_same_bits),
      cmocka_unit_test(test_adam_groups_same_bits),
      cmocka_unit_test(test_pool_each_reports_first_failure),
      cmocka_unit_test(test_critics_at_once_same_bits),
      cmocka_unit_test(test_env_copies_on_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
