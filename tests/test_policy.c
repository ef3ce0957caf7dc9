/* Policy files and inference: actions equal the training-side computation
 * bit for bit, survive save/load (also across float/double), and damaged,
 * truncated or foreign files are rejected with an error, never a crash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "crl/policy.h"
#include "io/ckpt.h"
#include "io/policy_internal.h"
#include "rl/actor_critic.h"

enum { OBS = 3, B = 6 };
static const double lo[2] = {-2, -0.5}, hi[2] = {2, 0.5};
static const double olo[OBS] = {-1, -1, -8}, ohi[OBS] = {1, 1, 8};

static char tmp_path[256];

static int setup(void **state) {
  (void)state;
  snprintf(tmp_path, sizeof tmp_path, "/tmp/crl_test_policy_%d.crlp",
           (int)getpid());
  return 0;
}
static int teardown(void **state) {
  (void)state;
  unlink(tmp_path);
  return 0;
}

/* A trained-looking actor-critic: random parameters and fitted normaliser. */
static crl__ac *make_ac(const crl_space *act, gsl_rng *rng) {
  crl__ac_spec spec = {.net_arch = {2, {16, 8}},
                       .activation = CRL_ACT_TANH,
                       .ortho_init = 1,
                       .normalize_obs = 1,
                       .max_batch = B};
  crl_space obs = {CRL_SPACE_BOX, OBS, 0, olo, ohi};
  crl__ac *ac = NULL;
  assert_int_equal(crl__ac_alloc(&spec, &obs, act, rng, &ac), 0);
  for (size_t k = 0; k < ac->n_params; k++)
    ac->params[k] = (crl_real)(2 * gsl_rng_uniform(rng) - 1);
  crl_real x[B * OBS];
  for (int i = 0; i < B * OBS; i++)
    x[i] = (crl_real)(3 * gsl_rng_uniform(rng) + i % 3);
  crl__ac_normalize(ac, x, B, x, 1);
  return ac;
}

static void random_obs(gsl_rng *rng, crl_real *obs, int n) {
  for (int i = 0; i < n * OBS; i++)
    obs[i] = (crl_real)(6 * gsl_rng_uniform(rng) - 3);
}

/* The action the training code takes deterministically, then clipped. */
static void training_side(crl__ac *ac, const crl_real *obs, int n,
                          crl_real *action) {
  crl_real z[B * OBS], dist[B * 3];
  crl__ac_normalize(ac, obs, n, z, 0);
  assert_int_equal(crl__ac_actor_forward(ac, z, n, dist), 0);
  crl__ac_sample(ac, dist, n, 1, NULL, action);
  crl__ac_clip_actions(ac, action, n, action);
}

static void test_gaussian_policy_matches_training_and_round_trips(void **st) {
  (void)st;
  gsl_rng *rng = crl_rng_alloc(1, 0);
  crl_space act = {CRL_SPACE_BOX, 2, 0, lo, hi};
  crl__ac *ac = make_ac(&act, rng);
  crl_policy *p = NULL;
  assert_int_equal(
      crl__policy_from_parts(ac->actor, ac->norm, &act, CRL_POLICY_CLIP, B, &p),
      0);
  crl_real obs[B * OBS], want[B * 2], got[B * 2], one[2];
  random_obs(rng, obs, B);
  training_side(ac, obs, B, want);
  assert_int_equal(crl_policy_act_batch(p, obs, B, got), 0);
  assert_memory_equal(want, got, sizeof want);
  assert_int_equal(crl_policy_save(p, tmp_path), 0);
  crl_policy *q = NULL;
  assert_int_equal(crl_policy_load(tmp_path, 1, &q), 0);
  assert_int_equal(crl_policy_obs_dim(q), OBS);
  assert_int_equal(crl_policy_act_space(q)->dim, 2);
  /* One row at a time (the network may sum in another order for B = 1
   * than for a batch, so compare like with like). */
  for (int i = 0; i < B; i++) {
    crl_real single[2];
    training_side(ac, obs + i * OBS, 1, single);
    assert_int_equal(crl_policy_act(q, obs + i * OBS, one), 0);
    assert_memory_equal(one, single, sizeof one);
  }
  assert_int_equal(crl_policy_act_batch(q, obs, 2, got), CRL_ESHAPE);
  crl_policy_free(q);
  crl_policy_free(p);
  crl_policy_free(NULL);
  crl__ac_free(ac);
  gsl_rng_free(rng);
}

static void test_discrete_and_tanh_outputs(void **st) {
  (void)st;
  gsl_rng *rng = crl_rng_alloc(2, 0);
  crl_space dact = {CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  crl__ac *ac = make_ac(&dact, rng);
  crl_policy *p = NULL;
  assert_int_equal(crl__policy_from_parts(ac->actor, ac->norm, &dact,
                                          CRL_POLICY_ARGMAX, B, &p),
                   0);
  crl_real obs[B * OBS], want[B], got[B];
  random_obs(rng, obs, B);
  training_side(ac, obs, B, want);
  assert_int_equal(crl_policy_act_batch(p, obs, B, got), 0);
  assert_memory_equal(want, got, sizeof want);
  /* A discrete space with a clip transform is inconsistent. */
  crl_policy *bad = NULL;
  assert_int_equal(
      crl__policy_from_parts(ac->actor, NULL, &dact, CRL_POLICY_CLIP, 1, &bad),
      CRL_EFORMAT);
  assert_null(bad);
  crl_policy_free(p);
  crl__ac_free(ac);

  crl_space act = {CRL_SPACE_BOX, 2, 0, lo, hi};
  ac = make_ac(&act, rng);
  assert_int_equal(
      crl__policy_from_parts(ac->actor, NULL, &act, CRL_POLICY_TANH, B, &p), 0);
  crl_real a[B * 2];
  assert_int_equal(crl_policy_act_batch(p, obs, B, a), 0);
  crl_real y[B * 2];
  assert_int_equal(crl__ac_actor_forward(ac, obs, B, y), 0);
  for (int i = 0; i < B * 2; i++) {
    int j = i % 2;
    double w = lo[j] + (tanh((double)y[i]) + 1) / 2 * (hi[j] - lo[j]);
    assert_true(fabs((double)a[i] - w) < 1e-6);
  }
  crl_policy_free(p);
  crl__ac_free(ac);
  gsl_rng_free(rng);
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(*n);
  assert_int_equal(fread(b, 1, *n, f), *n);
  fclose(f);
  return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

static void save_sample_policy(void) {
  gsl_rng *rng = crl_rng_alloc(3, 0);
  crl_space act = {CRL_SPACE_BOX, 2, 0, lo, hi};
  crl__ac *ac = make_ac(&act, rng);
  crl_policy *p = NULL;
  assert_int_equal(
      crl__policy_from_parts(ac->actor, ac->norm, &act, CRL_POLICY_CLIP, 1, &p),
      0);
  assert_int_equal(crl_policy_save(p, tmp_path), 0);
  crl_policy_free(p);
  crl__ac_free(ac);
  gsl_rng_free(rng);
}

static void test_damaged_files_are_rejected(void **st) {
  (void)st;
  save_sample_policy();
  size_t n;
  unsigned char *good = slurp(tmp_path, &n);
  unsigned char *bad = malloc(n);
  crl_policy *p = NULL;
  /* Every truncation. */
  for (size_t len = 0; len < n; len += 1 + len / 64) {
    spit(tmp_path, good, len);
    assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
    assert_null(p);
  }
  /* A flipped bit anywhere. */
  for (size_t pos = 0; pos < n; pos += 1 + pos / 32) {
    memcpy(bad, good, n);
    bad[pos] ^= 0x10;
    spit(tmp_path, bad, n);
    assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
  }
  /* Missing file; a checkpoint-kind file. */
  assert_int_equal(crl_policy_load("/nonexistent/x.crlp", 1, &p), CRL_EIO);
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  const int64_t one = 1;
  assert_int_equal(crl__ckpt_put(w, "x", CRL_CKPT_I64, 1, &one), 0);
  assert_int_equal(crl__ckpt_write_file(w, tmp_path), 0);
  crl__ckpt_writer_free(w);
  assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "not a policy"));
  free(bad);
  free(good);
}

/* A policy file with these action bounds, whatever they are (the saver
 * refuses meaningless ones too): saved with placeholder bounds, which are
 * then replaced in the file and the checksum (FNV-1a 64 of every byte
 * before it, io/ckpt.h) recomputed, as a forger would. */
static void save_with_bounds(crl__ac *ac, int output, const double *blo,
                             const double *bhi) {
  const double plo[2] = {-3.25, -1.75}, phi[2] = {3.25, 1.75};
  const double want[4] = {blo[0], blo[1], bhi[0], bhi[1]};
  crl_space act = {CRL_SPACE_BOX, 2, 0, plo, phi};
  crl_policy *p = NULL;
  assert_int_equal(crl__policy_from_parts(ac->actor, NULL, &act, output, 1, &p),
                   0);
  assert_int_equal(crl_policy_save(p, tmp_path), 0);
  crl_policy_free(p);
  size_t n;
  unsigned char *b = slurp(tmp_path, &n);
  const double place[4] = {plo[0], plo[1], phi[0], phi[1]};
  size_t at = 0;
  while (at + sizeof place <= n && memcmp(b + at, place, sizeof place) != 0)
    at++;
  assert_true(at + sizeof place <= n);
  memcpy(b + at, want, sizeof want);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n - 8; i++)
    h = (h ^ b[i]) * 0x100000001b3ULL;
  for (int k = 0; k < 8; k++)
    b[n - 8 + k] = (unsigned char)(h >> (8 * k));
  spit(tmp_path, b, n);
  free(b);
}

/* Issue 15, F4: files whose checksum is right but whose values make every
 * action inf or NaN are refused when loaded (found again by
 * fuzz/fuzz_policy.c: bounds [1e-308, 6.5e199]
 * under tanh, infinite as floats), and a non-finite action is an error. */
static void test_meaningless_values_are_refused(void **st) {
  (void)st;
  gsl_rng *rng = crl_rng_alloc(5, 0);
  crl_space act = {CRL_SPACE_BOX, 2, 0, lo, hi};
  crl__ac *ac = make_ac(&act, rng);
  crl_policy *p = NULL;
  /* tanh: infinite bounds, or an infinite width. */
  const double tlo[2][2] = {{-1e308, -1}, {-INFINITY, -1}};
  const double thi[2][2] = {{1e308, 1}, {1, 1}};
  for (int c = 0; c < 2; c++) {
    save_with_bounds(ac, CRL_POLICY_TANH, tlo[c], thi[c]);
    assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
    assert_null(p);
    assert_non_null(strstr(crl_last_error(), "action bound 0"));
  }
  /* Clipped outputs may have infinite bounds. */
  const double clo[2] = {-INFINITY, -1}, chi[2] = {INFINITY, 1};
  save_with_bounds(ac, CRL_POLICY_CLIP, clo, chi);
  assert_int_equal(crl_policy_load(tmp_path, 1, &p), 0);
  /* A NaN observation gives an error (refused as input), not a NaN
   * action. */
  crl_real obs[OBS] = {0, NAN, 0}, a[2];
  assert_int_equal(crl_policy_act(p, obs, a), CRL_EINVAL);
  obs[1] = 0;
  assert_int_equal(crl_policy_act(p, obs, a), 0);
  crl_policy_free(p);
#if !CRL_REAL_IS_DOUBLE
  /* The fuzzer's file: a bound that is a finite double, an infinite float,
   * refused under either transform. */
  const double blo[2] = {1e-308, -1}, bhi[2] = {6.5e199, 1};
  for (int out = CRL_POLICY_CLIP; out <= CRL_POLICY_TANH; out++) {
    save_with_bounds(ac, out, blo, bhi);
    assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
  }
#endif
  crl__ac_free(ac);
  gsl_rng_free(rng);
}

/* Rewrite a policy file section by section through edit, which writes
 * each one (changed or not) into w; the checksum stays valid, so the
 * loader sees what edit made. */
typedef void (*section_edit)(crl_ckpt_writer *w, const char *key,
                             crl__ckpt_type t, uint64_t count, const void *data,
                             void *ctx);

static void rewrite_policy(const char *path, section_edit edit, void *ctx) {
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_POLICY, &r), 0);
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_POLICY, &w), 0);
  for (uint64_t i = 0; i < crl__ckpt_n_sections(r); i++) {
    const char *name;
    int nl;
    crl__ckpt_type t;
    uint64_t count;
    const void *data;
    crl__ckpt_section_at(r, i, &name, &nl, &t, &count, &data);
    char key[256];
    snprintf(key, sizeof key, "%.*s", nl, name);
    edit(w, key, t, count, data, ctx);
  }
  crl__ckpt_reader_free(r);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
}

/* One section replaced by other values (a valid checksum: the loader must
 * check meaning, not bytes). */
typedef struct replacement {
  const char *key;
  crl__ckpt_type type;
  uint64_t count;
  const void *values;
  int done;
} replacement;

static void replace_one(crl_ckpt_writer *w, const char *key, crl__ckpt_type t,
                        uint64_t count, const void *data, void *ctx) {
  replacement *rep = ctx;
  if (strcmp(key, rep->key) == 0) {
    assert_int_equal(crl__ckpt_put(w, key, rep->type, rep->count, rep->values),
                     0);
    rep->done = 1;
  } else {
    assert_int_equal(crl__ckpt_put(w, key, t, count, data), 0);
  }
}

static void replace_section(const char *path, const char *key, crl__ckpt_type t,
                            uint64_t count, const void *values) {
  replacement rep = {key, t, count, values, 0};
  rewrite_policy(path, replace_one, &rep);
  assert_true(rep.done);
}

/* Files whose every action would be NaN are refused at load; a non-finite
 * observation is refused at act, with the action left alone. */
static void test_meaningless_files_and_inputs(void **st) {
  (void)st;
  gsl_rng *rng = crl_rng_alloc(4, 0);
  crl_space act = {CRL_SPACE_BOX, 2, 0, lo, hi};
  crl__ac *ac = make_ac(&act, rng);
  crl_policy *p = NULL;
  assert_int_equal(
      crl__policy_from_parts(ac->actor, ac->norm, &act, CRL_POLICY_TANH, 1, &p),
      0);
  assert_int_equal(crl_policy_save(p, tmp_path), 0);
  /* non-finite observations */
  crl_real obs[OBS] = {0.1f, 0.2f, 0.3f}, a[2] = {7, 7};
  assert_int_equal(crl_policy_act(p, obs, a), 0);
  for (int k = 0; k < 2; k++) {
    crl_real bad_obs[OBS] = {0.1f, k ? (crl_real)INFINITY : (crl_real)NAN,
                             0.3f};
    crl_real b[2] = {7, 7};
    assert_int_equal(crl_policy_act(p, bad_obs, b), CRL_EINVAL);
    assert_non_null(strstr(crl_last_error(), "value 1 of row 0"));
    assert_true(b[0] == 7 && b[1] == 7);
  }
  crl_policy_free(p);
  /* an infinite bound under the tanh head */
  const double bounds[4] = {-INFINITY, -0.5, 2, 0.5};
  replace_section(tmp_path, "act.bounds", CRL_CKPT_F64, 4, bounds);
  assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
  assert_null(p);
  assert_non_null(strstr(crl_last_error(), "outside what a tanh output can give"));
  /* a negative normaliser epsilon */
  p = NULL;
  assert_int_equal(
      crl__policy_from_parts(ac->actor, ac->norm, &act, CRL_POLICY_TANH, 1, &p),
      0);
  assert_int_equal(crl_policy_save(p, tmp_path), 0);
  crl_policy_free(p);
  const double eps[2] = {-1e-8, 0}; /* 0: a constant input divides by 0 */
  for (int k = 0; k < 2; k++) {
    replace_section(tmp_path, "norm.eps", CRL_CKPT_F64, 1, &eps[k]);
    assert_int_equal(crl_policy_load(tmp_path, 1, &p), CRL_EFORMAT);
    assert_null(p);
  }
  crl__ac_free(ac);
  gsl_rng_free(rng);
}

/* Rewrite a policy file with its reals in the other precision, as a build
 * with the other crl_real would have written it. */
static void to_other_precision(crl_ckpt_writer *w, const char *key,
                               crl__ckpt_type t, uint64_t count,
                               const void *data, void *ctx) {
  (void)ctx;
  if (strcmp(key, "net.params") != 0) {
    assert_int_equal(crl__ckpt_put(w, key, t, count, data), 0);
    return;
  }
  if (t == CRL_CKPT_F32) {
    double *d = malloc(count * sizeof *d);
    for (uint64_t k = 0; k < count; k++) {
      float f;
      memcpy(&f, (const char *)data + 4 * k, 4);
      d[k] = f;
    }
    assert_int_equal(crl__ckpt_put(w, key, CRL_CKPT_F64, count, d), 0);
    free(d);
  } else {
    float *f = malloc(count * sizeof *f);
    for (uint64_t k = 0; k < count; k++) {
      double d;
      memcpy(&d, (const char *)data + 8 * k, 8);
      f[k] = (float)d;
    }
    assert_int_equal(crl__ckpt_put(w, key, CRL_CKPT_F32, count, f), 0);
    free(f);
  }
}

static void convert_precision(const char *path) {
  rewrite_policy(path, to_other_precision, NULL);
}

static void test_other_precision_loads(void **st) {
  (void)st;
  save_sample_policy();
  crl_policy *a = NULL, *b = NULL;
  assert_int_equal(crl_policy_load(tmp_path, 1, &a), 0);
  convert_precision(tmp_path);
  assert_int_equal(crl_policy_load(tmp_path, 1, &b), 0);
  crl_real obs[OBS] = {0.3f, -0.2f, 1.5f}, x[2], y[2];
  assert_int_equal(crl_policy_act(a, obs, x), 0);
  assert_int_equal(crl_policy_act(b, obs, y), 0);
  /* float -> double is exact; double -> float rounds the parameters. */
  for (int j = 0; j < 2; j++)
    assert_true(fabs((double)x[j] - (double)y[j]) < 1e-5);
  crl_policy_free(a);
  crl_policy_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gaussian_policy_matches_training_and_round_trips),
      cmocka_unit_test(test_discrete_and_tanh_outputs),
      cmocka_unit_test(test_damaged_files_are_rejected),
      cmocka_unit_test(test_meaningless_files_and_inputs),
      cmocka_unit_test(test_meaningless_values_are_refused),
      cmocka_unit_test(test_other_precision_loads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
