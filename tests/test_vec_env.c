/* Vec env auto-reset, final observations, episode statistics and seeding,
 * on a toy env whose behaviour is known exactly; and the env handle's
 * TimeLimit and registry rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"

/* Counter env: obs = (start, t); reward = action; terminates when the
 * action is 2; TimeLimit 5. start is drawn from the reset RNG. */
typedef struct counter {
  double start;
  int t;
} counter;

static const double lo[2] = {0, 0}, hi[2] = {1, 100};
static const double alo[1] = {-10}, ahi[1] = {10};

static int counter_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 2, 0, lo, hi};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, alo, ahi};
  return 0;
}
static int counter_reset(void *self, gsl_rng *rng) {
  counter *c = self;
  c->start = gsl_rng_uniform(rng);
  c->t = 0;
  return 0;
}
static int counter_step(void *self, const crl_real *a, double *r, int *term) {
  counter *c = self;
  c->t++;
  *r = a[0];
  *term = a[0] == 2;
  return 0;
}
static void counter_observe(const void *self, crl_real *obs) {
  const counter *c = self;
  obs[0] = (crl_real)c->start;
  obs[1] = (crl_real)c->t;
}
static const crl_env_type counter_type = {.name = "Counter-test",
                                          .doc = "toy",
                                          .self_size = sizeof(counter),
                                          .max_episode_steps = 5,
                                          .init = counter_init,
                                          .reset = counter_reset,
                                          .step = counter_step,
                                          .observe = counter_observe};

static void test_auto_reset_and_final_obs(void **state) {
  (void)state;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_alloc(&counter_type, 2, 7, &v), 0);
  assert_int_equal(crl_vec_env_reset(v), 0);
  crl_real start1 = crl_vec_env_obs(v)[2];
  /* Copy 0 terminates at its 3rd step; copy 1 runs into the limit of 5. */
  for (int t = 1; t <= 5; t++) {
    crl_real a[2] = {t == 3 ? 2 : 1, 1};
    assert_int_equal(crl_vec_env_step(v, a), 0);
    const int *term = crl_vec_env_terminated(v),
              *trunc = crl_vec_env_truncated(v);
    assert_int_equal(term[0], t == 3);
    assert_int_equal(trunc[0], 0);
    assert_int_equal(term[1], 0);
    assert_int_equal(trunc[1], t == 5);
    if (t == 3) {
      assert_true(crl_vec_env_final_obs(v)[1] == 3); /* last obs of episode */
      assert_true(crl_vec_env_obs(v)[1] == 0);       /* already reset */
    }
    if (t == 5) {
      assert_true(crl_vec_env_final_obs(v)[3] == 5);
      assert_true(crl_vec_env_final_obs(v)[2] == start1);
      assert_true(crl_vec_env_obs(v)[3] == 0);
    }
  }
  assert_int_equal(crl_vec_env_episodes(v), 2);
  assert_int_equal(crl_vec_env_steps(v), 10);
  /* Returns: copy 0: 1 + 1 + 2 = 4; copy 1: 5. */
  assert_true(fabs(crl_vec_env_recent_return(v) - 4.5) < 1e-12);
  assert_true(fabs(crl_vec_env_recent_length(v) - 4.0) < 1e-12);
  crl_vec_env_free(v);
  crl_vec_env_free(NULL);
}

static void first_obs(uint64_t seed, crl_real *out) {
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_alloc(&counter_type, 3, seed, &v), 0);
  assert_int_equal(crl_vec_env_reset(v), 0);
  memcpy(out, crl_vec_env_obs(v), 6 * sizeof *out);
  crl_vec_env_free(v);
}

static void test_one_seed_fixes_every_copy(void **state) {
  (void)state;
  crl_real a[6], b[6], c[6];
  first_obs(11, a);
  first_obs(11, b);
  first_obs(12, c);
  assert_memory_equal(a, b, sizeof a);
  assert_true(a[0] != a[2] && a[2] != a[4]); /* copies differ */
  assert_true(a[0] != c[0]);                 /* seeds differ */
}

/* No env copy's reset stream may coincide with the evaluation stream (or
 * any other) of the same run seed, however many copies there are. */
static void test_streams_are_distinct(void **state) {
  (void)state;
  enum { N = 300 };
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_alloc(&counter_type, N, 4, &v), 0);
  assert_int_equal(crl_vec_env_reset(v), 0);
  for (uint64_t stream = 0; stream < 1010; stream++) {
    crl_env *e = NULL;
    assert_int_equal(crl_env_alloc(&counter_type, &e), 0);
    crl_env_seed(e, crl_seed_derive(4, stream));
    crl_real obs[2];
    assert_int_equal(crl_env_reset(e, obs), 0);
    for (int i = 0; i < N; i++)
      assert_true(obs[0] != crl_vec_env_obs(v)[2 * i]);
    crl_env_free(e);
  }
  crl_vec_env_free(v);
}

static void test_recent_return_nan_before_any_episode(void **state) {
  (void)state;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_alloc(&counter_type, 1, 0, &v), 0);
  assert_true(isnan(crl_vec_env_recent_return(v)));
  crl_vec_env_free(v);
  assert_int_equal(crl_vec_env_alloc(&counter_type, 0, 0, &v), CRL_EINVAL);
  assert_null(v);
}

static void test_env_handle_rules(void **state) {
  (void)state;
  crl_env *e = NULL;
  assert_int_equal(crl_env_alloc(&counter_type, &e), 0);
  crl_real obs[2], a[1] = {1};
  double r;
  int term, trunc;
  assert_int_equal(crl_env_step(e, a, obs, &r, &term, &trunc), CRL_ESTATE);
  assert_int_equal(crl_env_reset(e, obs), 0);
  for (int t = 1; t <= 7; t++) { /* past the limit: truncated stays set */
    assert_int_equal(crl_env_step(e, a, obs, &r, &term, &trunc), 0);
    assert_int_equal(trunc, t >= 5);
  }
  assert_int_equal(crl_env_elapsed_steps(e), 7);
  crl_env_free(e);
  assert_int_equal(crl_env_register(&counter_type), 0);
  assert_int_equal(crl_env_register(&counter_type), CRL_EINVAL);
  assert_ptr_equal(crl_env_find("Counter-test"), &counter_type);
  assert_int_equal(crl_env_make("Counter-tset", &e), CRL_ENOTFOUND);
  assert_non_null(strstr(crl_last_error(), "Counter-test"));
  crl_env_type broken = counter_type;
  broken.name = "Broken";
  broken.step = NULL;
  assert_int_equal(crl_env_register(&broken), CRL_EINVAL);
}

/* An env with one declared setting. */
typedef struct scaled {
  double scale;
  int t;
} scaled;
static const crl_param_def scaled_params[] = {
    {"scale", CRL_PARAM_REAL, offsetof(scaled, scale), "1.0", 0, 10, NULL,
     "reward multiplier"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
static int scaled_reset(void *self, gsl_rng *rng) {
  (void)rng;
  ((scaled *)self)->t = 0;
  return 0;
}
static int scaled_step(void *self, const crl_real *a, double *r, int *term) {
  *r = ((scaled *)self)->scale * a[0];
  *term = 0;
  return 0;
}
static const crl_env_type scaled_type = {.name = "Scaled-test",
                                         .self_size = sizeof(scaled),
                                         .init = counter_init,
                                         .reset = scaled_reset,
                                         .step = scaled_step,
                                         .observe = counter_observe,
                                         .params = scaled_params};

static double one_reward(const char *name) {
  crl_env *e = NULL;
  assert_int_equal(crl_env_make(name, &e), 0);
  crl_real obs[2], a[1] = {2};
  double r = 0;
  int term, trunc;
  assert_int_equal(crl_env_reset(e, obs), 0);
  assert_int_equal(crl_env_step(e, a, obs, &r, &term, &trunc), 0);
  crl_env_free(e);
  return r;
}

static void test_configured_env(void **state) {
  (void)state;
  assert_int_equal(crl_env_register(&scaled_type), 0);
  const char *k[] = {"scale"}, *v[] = {"3"}, *bad[] = {"30"},
             *typo[] = {"scal"};
  assert_int_equal(
      crl_env_register_configured("Scaled-x3", "Scaled-test", 1, k, v), 0);
  assert_true(one_reward("Scaled-test") == 2.0); /* the default, 1 */
  assert_true(one_reward("Scaled-x3") == 6.0);
  assert_int_equal(crl_env_register_configured("S2", "Scaled-test", 1, k, bad),
                   CRL_ERANGE);
  assert_int_equal(crl_env_register_configured("S3", "Scaled-test", 1, typo, v),
                   CRL_ENOTFOUND);
  assert_non_null(strstr(crl_last_error(), "scale"));
  assert_null(crl_env_find("S3"));
  assert_int_equal(
      crl_env_register_configured("S4", "Scaled-tset", 0, NULL, NULL),
      CRL_ENOTFOUND);
  assert_int_equal(crl_env_register_configured("S5", "Counter-test", 1, k, v),
                   CRL_ENOTFOUND); /* no settings */
}

/* ---- the episode hook ---------------------------------------------------- */

#define MAX_EPISODES 256
typedef struct episode_log {
  int n;
  long step[MAX_EPISODES]; /* vec-env step at which it ended */
  int copy[MAX_EPISODES];
  double ret[MAX_EPISODES];
  long len[MAX_EPISODES];
  long now; /* the step being taken, set by the test */
} episode_log;

static void log_episode(void *ctx, int copy, double ret, long len) {
  episode_log *g = ctx;
  assert_true(g->n < MAX_EPISODES);
  g->step[g->n] = g->now;
  g->copy[g->n] = copy;
  g->ret[g->n] = ret;
  g->len[g->n] = len;
  g->n++;
}

/* The action copy i takes at vec-env step t (CartPole: 0 or 1), varied so
 * that the copies' episodes end at different steps. */
static crl_real action_of(int i, long t) {
  return (crl_real)(((t * 7 + i * 3) / (i + 2)) % 2);
}

/* CartPole-v1 on 3 copies: every episode that ends is reported once, in
 * the order they end (copy order within a step), with the return and
 * length of an independent replay of each copy as a lone env seeded as
 * the vec env seeds it. Without a hook nothing changes. */
static void test_episode_hook(void **state) {
  (void)state;
  enum { N = 3, T = 400 };
  const uint64_t seed = 11;
  crl_vec_env *v = NULL;
  assert_int_equal(crl_vec_env_make("CartPole-v1", N, seed, &v), 0);
  static episode_log got;
  memset(&got, 0, sizeof got);
  crl_vec_env_on_episode(v, log_episode, &got);
  assert_int_equal(crl_vec_env_reset(v), 0);
  crl_real act[N];
  for (long t = 0; t < T; t++) {
    for (int i = 0; i < N; i++)
      act[i] = action_of(i, t);
    got.now = t;
    assert_int_equal(crl_vec_env_step(v, act), 0);
  }
  assert_int_equal(got.n, crl_vec_env_episodes(v));
  assert_true(got.n > 3 * N);     /* short episodes: many end */
  for (int k = 1; k < got.n; k++) /* by step, then by copy */
    assert_true(
        got.step[k] > got.step[k - 1] ||
        (got.step[k] == got.step[k - 1] && got.copy[k] > got.copy[k - 1]));
  /* The replay, copy by copy. */
  static episode_log want;
  memset(&want, 0, sizeof want);
  for (int i = 0; i < N; i++) {
    crl_env *e = NULL;
    assert_int_equal(crl_env_make("CartPole-v1", &e), 0);
    crl_env_seed(
        e, crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_ENV), (uint64_t)i));
    crl_real obs[4];
    assert_int_equal(crl_env_reset(e, obs), 0);
    double ret = 0.0;
    long len = 0;
    for (long t = 0; t < T; t++) {
      double r;
      int term, trunc;
      crl_real a = action_of(i, t);
      assert_int_equal(crl_env_step(e, &a, obs, &r, &term, &trunc), 0);
      ret += r;
      len++;
      if (term || trunc) {
        want.now = t;
        log_episode(&want, i, ret, len);
        ret = 0.0;
        len = 0;
        assert_int_equal(crl_env_reset(e, obs), 0);
      }
    }
    crl_env_free(e);
  }
  assert_int_equal(want.n, got.n);
  for (int k = 0; k < got.n; k++) { /* find got's k-th in want */
    int found = 0;
    for (int j = 0; j < want.n && !found; j++)
      found = want.step[j] == got.step[k] && want.copy[j] == got.copy[k] &&
              want.ret[j] == got.ret[k] && want.len[j] == got.len[k];
    assert_true(found);
  }
  /* Removing the hook: nothing more is reported. */
  crl_vec_env_on_episode(v, NULL, NULL);
  int before = got.n;
  for (long t = 0; t < 100; t++)
    assert_int_equal(crl_vec_env_step(v, act), 0);
  assert_int_equal(got.n, before);
  crl_vec_env_free(v);
}

static void test_error_table(void **state) {
  (void)state;
  assert_string_equal(crl_errname(CRL_ESHAPE), "CRL_ESHAPE");
  assert_string_equal(crl_strerror(CRL_ENOMEM), "out of memory");
  assert_string_equal(crl_errname(12345), "CRL_E?");
  assert_int_equal(crl_fail(CRL_EIO, "disk %d", 3), CRL_EIO);
  assert_string_equal(crl_last_error(), "disk 3");
  crl_clear_error();
  assert_string_equal(crl_last_error(), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_auto_reset_and_final_obs),
      cmocka_unit_test(test_one_seed_fixes_every_copy),
      cmocka_unit_test(test_streams_are_distinct),
      cmocka_unit_test(test_recent_return_nan_before_any_episode),
      cmocka_unit_test(test_env_handle_rules),
      cmocka_unit_test(test_error_table),
      cmocka_unit_test(test_episode_hook),
      cmocka_unit_test(test_configured_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
