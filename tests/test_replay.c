/* Replay buffer invariants (the compact buffer samples what the plain one
 * does, bit for bit, through episode ends, time-limit cuts and wraps),
 * exploration noise and Polyak averaging. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "crl/rng.h"

enum { O = 3, A = 2 };

/* Transition number t: every field encodes t, so rows can be identified. */
static void make_rows(int t0, int B, crl_real *obs, crl_real *act, double *rew,
                      crl_real *next, int *term) {
  for (int i = 0; i < B; i++) {
    const int t = t0 + i;
    for (int j = 0; j < O; j++) {
      obs[i * O + j] = (crl_real)(t + 0.125 * j);
      next[i * O + j] = (crl_real)(t + 1 + 0.125 * j);
    }
    for (int j = 0; j < A; j++)
      act[i * A + j] = (crl_real)(-t - 0.5 * j);
    rew[i] = 0.25 * t;
    term[i] = t % 3 == 0;
  }
}

static void add_range(crl_replay *rb, int t0, int B) {
  crl_real obs[8 * O], act[8 * A], next[8 * O];
  double rew[8];
  int term[8];
  assert_true(B <= 8);
  make_rows(t0, B, obs, act, rew, next, term);
  assert_int_equal(crl_replay_add(rb, B, obs, act, rew, next, term), 0);
}

/* The transition number stored in sampled row i, checking its fields agree. */
static int row_id(const crl_replay_batch *b, int i) {
  const int t = (int)b->obs[i * O];
  for (int j = 0; j < O; j++) {
    assert_true(b->obs[i * O + j] == (crl_real)(t + 0.125 * j));
    assert_true(b->next_obs[i * O + j] == (crl_real)(t + 1 + 0.125 * j));
  }
  for (int j = 0; j < A; j++)
    assert_true(b->actions[i * A + j] == (crl_real)(-t - 0.5 * j));
  assert_true(b->rewards[i] == (crl_real)(0.25 * t));
  assert_true(b->terminated[i] == (t % 3 == 0 ? 1 : 0));
  return t;
}

static void test_wrap_around(void **state) {
  (void)state;
  crl_replay *rb = NULL;
  assert_int_equal(crl_replay_alloc(5, O, A, &rb), 0);
  assert_int_equal(rb->size, 0);
  add_range(rb, 0, 3);
  assert_int_equal(rb->size, 3);
  assert_int_equal(rb->pos, 3);
  add_range(rb, 3, 4); /* 7 rows into 5: rows 0, 1 now hold t = 5, 6 */
  assert_int_equal(rb->size, 5);
  assert_int_equal(rb->pos, 2);
  const int expect[5] = {5, 6, 2, 3, 4};
  for (int k = 0; k < 5; k++) {
    assert_true(rb->obs[k * O] == (crl_real)expect[k]);
    assert_true(rb->rewards[k] == (crl_real)(0.25 * expect[k]));
  }
  crl_replay_clear(rb);
  assert_int_equal(rb->size, 0);
  assert_int_equal(rb->pos, 0);
  crl_replay_free(rb);
}

static void test_samples_only_filled_rows(void **state) {
  (void)state;
  crl_replay *rb = NULL;
  crl_replay_batch *b = NULL;
  assert_int_equal(crl_replay_alloc(100, O, A, &rb), 0);
  assert_int_equal(crl_replay_batch_alloc(64, O, A, &b), 0);
  gsl_rng *rng = crl_rng_alloc(1, CRL_STREAM_BATCH);
  assert_int_equal(crl_replay_sample(rb, rng, b), CRL_ESTATE); /* empty */
  add_range(rb, 10, 7);
  int seen[7] = {0};
  for (int rep = 0; rep < 20; rep++) {
    assert_int_equal(crl_replay_sample(rb, rng, b), 0);
    for (int i = 0; i < b->n; i++) {
      const int t = row_id(b, i);
      assert_true(t >= 10 && t < 17);
      seen[t - 10]++;
    }
  }
  /* uniform: each of 7 rows about 1280 / 7 = 183 times */
  for (int k = 0; k < 7; k++)
    assert_true(seen[k] > 120 && seen[k] < 250);
  gsl_rng_free(rng);
  crl_replay_batch_free(b);
  crl_replay_free(rb);
}

static void test_same_seed_same_batch(void **state) {
  (void)state;
  crl_replay *rb = NULL;
  crl_replay_batch *b1 = NULL, *b2 = NULL;
  assert_int_equal(crl_replay_alloc(16, O, A, &rb), 0);
  assert_int_equal(crl_replay_batch_alloc(32, O, A, &b1), 0);
  assert_int_equal(crl_replay_batch_alloc(32, O, A, &b2), 0);
  add_range(rb, 0, 8);
  add_range(rb, 8, 8);
  gsl_rng *r1 = crl_rng_alloc(7, CRL_STREAM_BATCH);
  gsl_rng *r2 = crl_rng_alloc(7, CRL_STREAM_BATCH);
  gsl_rng *r3 = crl_rng_alloc(8, CRL_STREAM_BATCH);
  assert_int_equal(crl_replay_sample(rb, r1, b1), 0);
  assert_int_equal(crl_replay_sample(rb, r2, b2), 0);
  assert_memory_equal(b1->obs, b2->obs, 32 * O * sizeof(crl_real));
  assert_memory_equal(b1->actions, b2->actions, 32 * A * sizeof(crl_real));
  assert_int_equal(crl_replay_sample(rb, r3, b2), 0);
  assert_memory_not_equal(b1->obs, b2->obs, 32 * O * sizeof(crl_real));
  gsl_rng_free(r1);
  gsl_rng_free(r2);
  gsl_rng_free(r3);
  crl_replay_batch_free(b1);
  crl_replay_batch_free(b2);
  crl_replay_free(rb);
}

static void test_capacity_errors(void **state) {
  (void)state;
  crl_replay *rb = NULL;
  crl_replay_batch *b = NULL;
  assert_int_equal(crl_replay_alloc(0, O, A, &rb), CRL_EINVAL);
  assert_null(rb);
  assert_int_equal(crl_replay_alloc(4, 0, A, &rb), CRL_EINVAL);
  assert_int_equal(crl_replay_batch_alloc(0, O, A, &b), CRL_EINVAL);
  assert_null(b);
  assert_int_equal(crl_replay_alloc(4, O, A, &rb), 0);
  crl_real obs[5 * O] = {0}, act[5 * A] = {0};
  double rew[5] = {0};
  int term[5] = {0};
  assert_int_equal(crl_replay_add(rb, 5, obs, act, rew, obs, term), CRL_ESHAPE);
  assert_int_equal(rb->size, 0);
  assert_int_equal(crl_replay_add(rb, 4, obs, act, rew, obs, term), 0);
  assert_int_equal(crl_replay_batch_alloc(2, O + 1, A, &b), 0);
  gsl_rng *rng = crl_rng_alloc(1, 0);
  assert_int_equal(crl_replay_sample(rb, rng, b), CRL_ESHAPE);
  gsl_rng_free(rng);
  crl_replay_batch_free(b);
  crl_replay_free(rb);
  crl_replay_free(NULL);
  crl_replay_batch_free(NULL);
}

/* ---- noise --------------------------------------------------------------- */

/* ---- the compact buffer ------------------------------------------------- */

enum { NS = 3 }; /* streams */

/* NS env streams of episodes of random length (from min_len), whose
 * observations all differ except that a reset may repeat the final one
 * (its bytes: then the buffer need not keep it), some ended by a time
 * limit (not terminated). */
typedef struct streams {
  gsl_rng *rng;
  int min_len, span;
  crl_real obs[NS * O];
  int left[NS];
  long counter;
} streams;

static void fresh_obs(streams *st, crl_real *o) {
  for (int j = 0; j < O; j++)
    o[j] = (crl_real)(++st->counter * 0.5 + 0.25 * j);
}

static void step_streams(streams *st, crl_real *obs, crl_real *act, double *rew,
                         crl_real *next, int *term) {
  memcpy(obs, st->obs, sizeof st->obs);
  for (int i = 0; i < NS; i++) {
    fresh_obs(st, next + i * O);
    for (int j = 0; j < A; j++)
      act[i * A + j] = (crl_real)gsl_rng_uniform(st->rng);
    rew[i] = gsl_rng_uniform(st->rng);
    const int ends = --st->left[i] <= 0;
    term[i] = ends && gsl_rng_uniform(st->rng) < 0.5; /* else a time limit */
    crl_real *o = st->obs + i * O;
    if (!ends)
      memcpy(o, next + i * O, O * sizeof *o);
    else if (gsl_rng_uniform(st->rng) < 0.2) /* a reset to the same bytes */
      memcpy(o, next + i * O, O * sizeof *o);
    else
      fresh_obs(st, o);
    if (ends)
      st->left[i] =
          st->min_len + (int)gsl_rng_uniform_int(st->rng, (unsigned)st->span);
  }
}

static void streams_init(streams *st, int min_len, int span, uint64_t seed) {
  memset(st, 0, sizeof *st);
  st->rng = crl_rng_alloc(seed, 0);
  st->min_len = min_len, st->span = span;
  for (int i = 0; i < NS; i++) {
    fresh_obs(st, st->obs + i * O);
    st->left[i] = min_len + (int)gsl_rng_uniform_int(st->rng, (unsigned)span);
  }
}

static void assert_same_batch(const crl_replay_batch *a,
                              const crl_replay_batch *b) {
  const size_t n = (size_t)a->n;
  assert_memory_equal(a->obs, b->obs, n * O * sizeof(crl_real));
  assert_memory_equal(a->next_obs, b->next_obs, n * O * sizeof(crl_real));
  assert_memory_equal(a->actions, b->actions, n * A * sizeof(crl_real));
  assert_memory_equal(a->rewards, b->rewards, n * sizeof(crl_real));
  assert_memory_equal(a->terminated, b->terminated, n * sizeof(crl_real));
}

static void test_compact_matches_plain(void **state) {
  (void)state;
  /* 200 rows (not a multiple of 3) wrap eight times; episodes of 5..44 */
  crl_replay *plain = NULL, *compact = NULL;
  assert_int_equal(crl_replay_alloc(200, O, A, &plain), 0);
  assert_int_equal(crl_replay_alloc_compact(200, O, A, NS, &compact), 0);
  assert_null(compact->next_obs);
  crl_replay_batch *b1 = NULL, *b2 = NULL;
  assert_int_equal(crl_replay_batch_alloc(64, O, A, &b1), 0);
  assert_int_equal(crl_replay_batch_alloc(64, O, A, &b2), 0);
  gsl_rng *r1 = crl_rng_alloc(9, 1), *r2 = crl_rng_alloc(9, 1);
  streams st;
  streams_init(&st, 5, 40, 3);
  crl_real obs[NS * O], act[NS * A], next[NS * O];
  double rew[NS];
  int term[NS];
  for (int t = 0; t < 600; t++) {
    step_streams(&st, obs, act, rew, next, term);
    assert_int_equal(crl_replay_add(plain, NS, obs, act, rew, next, term), 0);
    assert_int_equal(crl_replay_add(compact, NS, obs, act, rew, next, term), 0);
    assert_int_equal(compact->size, plain->size);
    assert_int_equal(crl_replay_sample(plain, r1, b1), 0);
    assert_int_equal(crl_replay_sample(compact, r2, b2), 0);
    assert_same_batch(b1, b2);
  }
  /* one stream too few or many per add */
  assert_int_equal(crl_replay_add(compact, NS - 1, obs, act, rew, next, term),
                   CRL_ESHAPE);
  gsl_rng_free(st.rng);
  gsl_rng_free(r1);
  gsl_rng_free(r2);
  crl_replay_batch_free(b1);
  crl_replay_batch_free(b2);
  crl_replay_free(plain);
  crl_replay_free(compact);
}

/* Episodes of 1 or 2 steps end more often than the kept final
 * observations allow: an add says so rather than overwrite one that is
 * still used; the buffer needs 1 <= streams <= capacity. */
static void test_compact_limits(void **state) {
  (void)state;
  crl_replay *rb = NULL;
  assert_int_equal(crl_replay_alloc_compact(4, O, A, 5, &rb), CRL_EINVAL);
  assert_int_equal(crl_replay_alloc_compact(4, O, A, 0, &rb), CRL_EINVAL);
  assert_null(rb);
  assert_int_equal(crl_replay_alloc_compact(160, O, A, NS, &rb), 0);
  streams st;
  streams_init(&st, 1, 2, 4);
  crl_real obs[NS * O], act[NS * A], next[NS * O];
  double rew[NS];
  int term[NS], rc = 0, t = 0;
  for (; t < 1000 && rc == 0; t++) {
    step_streams(&st, obs, act, rew, next, term);
    rc = crl_replay_add(rb, NS, obs, act, rew, next, term);
  }
  assert_int_equal(rc, CRL_ENOMEM);
  assert_non_null(strstr(crl_last_error(), "optimize_memory_usage: false"));
  gsl_rng_free(st.rng);
  crl_replay_free(rb);
}

static void test_noise(void **state) {
  (void)state;
  enum { N = 2, T = 20000 };
  crl_noise *g = NULL, *ou = NULL, *none = NULL;
  assert_int_equal(crl_noise_alloc(CRL_NOISE_NORMAL, N, A, 0.3, &g), 0);
  assert_int_equal(crl_noise_alloc(CRL_NOISE_OU, N, A, 0.5, &ou), 0);
  assert_int_equal(crl_noise_alloc(CRL_NOISE_NONE, N, A, 0.5, &none), 0);
  crl_noise *bad = NULL;
  assert_int_equal(crl_noise_alloc(CRL_NOISE_NORMAL, N, A, -1, &bad),
                   CRL_EINVAL);
  assert_null(bad);
  assert_int_equal(crl_noise_alloc((crl_noise_kind)7, N, A, 1, &bad),
                   CRL_EINVAL);
  gsl_rng *rng = crl_rng_alloc(3, CRL_STREAM_ACT);
  crl_real x[N * A];
  double s2 = 0, lag = 0, prev = 0;
  for (int t = 0; t < T; t++) {
    crl_noise_sample(g, rng, x);
    s2 += (double)x[0] * x[0];
  }
  assert_true(fabs(sqrt(s2 / T) - 0.3) < 0.3 * 5 / sqrt(2.0 * T));
  /* OU: first step from 0 has std sigma sqrt(dt); strongly correlated */
  s2 = 0;
  for (int t = 0; t < T; t++) {
    crl_noise_sample(ou, rng, x);
    lag += prev * x[0];
    s2 += (double)x[0] * x[0];
    prev = x[0];
  }
  assert_true(lag / s2 > 0.99);
  crl_noise_reset(ou, 0);
  crl_real y[N * A];
  crl_noise_sample(ou, rng, y);
  assert_true(fabs(y[0]) < 0.5 * 0.1 * 6);        /* restarted at 0 */
  assert_true(fabs(y[2] - x[2]) < 0.5 * 0.1 * 6); /* copy 1 continued */
  crl_noise_sample(none, rng, y);
  for (int i = 0; i < N * A; i++)
    assert_true(y[i] == 0);
  crl_real acts[4] = {0.95f, -0.95f, 0.2f, 0.0f};
  const crl_real nz[4] = {0.2f, -0.2f, 0.1f, -0.3f};
  crl_noise_add_clip(2, 2, nz, acts);
  assert_true(acts[0] == 1 && acts[1] == -1);
  assert_true(fabs(acts[2] - 0.3) < 1e-6 && fabs(acts[3] + 0.3) < 1e-6);
  crl_real u[1000];
  crl_uniform_actions(500, 2, rng, u);
  double lo = 1, hi = -1;
  for (int i = 0; i < 1000; i++)
    lo = fmin(lo, u[i]), hi = fmax(hi, u[i]);
  assert_true(lo >= -1 && lo < -0.95 && hi <= 1 && hi > 0.95);
  gsl_rng_free(rng);
  crl_noise_free(g);
  crl_noise_free(ou);
  crl_noise_free(none);
  crl_noise_free(NULL);
}

static void test_polyak(void **state) {
  (void)state;
  crl_real t[3] = {1, 2, 3};
  const crl_real s[3] = {5, -2, 3};
  crl_polyak_update(3, t, s, 0.25);
  assert_true(t[0] == 2 && t[1] == 1 && t[2] == 3);
  crl_polyak_update(3, t, s, 0.0);
  assert_true(t[0] == 2 && t[1] == 1 && t[2] == 3);
  crl_polyak_update(3, t, s, 1.0);
  assert_memory_equal(t, s, sizeof t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrap_around),
      cmocka_unit_test(test_samples_only_filled_rows),
      cmocka_unit_test(test_same_seed_same_batch),
      cmocka_unit_test(test_capacity_errors),
      cmocka_unit_test(test_compact_matches_plain),
      cmocka_unit_test(test_compact_limits),
      cmocka_unit_test(test_noise),
      cmocka_unit_test(test_polyak),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
