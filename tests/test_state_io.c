/* Checkpointed library objects continue exactly where they stopped. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/internal.h"
#include "crl/crl.h"
#include "io/ckpt.h"

static char path[256];

static void random_actions(const crl_space *a, gsl_rng *rng, int n,
                           crl_real *act) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j < a->dim; j++)
      act[i * a->dim + j] =
          a->kind == CRL_SPACE_DISCRETE
              ? (crl_real)gsl_rng_uniform_int(rng, (unsigned long)a->n)
              : (crl_real)(a->low[j] +
                           (a->high[j] - a->low[j]) * gsl_rng_uniform(rng));
}

static void write_checkpoint(const crl_vec_env *v) {
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  assert_int_equal(crl_state_save(w, "venv", crl__vec_env_sections, (void *)v),
                   0);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
}

static void read_checkpoint(crl_vec_env *v) {
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  assert_int_equal(crl_state_load(r, "venv", crl__vec_env_sections, v), 0);
  crl__ckpt_reader_free(r);
}

/* Run `a` for a while, checkpoint, restore into `b` (built from another
 * seed), then drive both with the same actions: everything must agree. */
static void check_env(const char *name) {
  enum { N = 3 };
  crl_vec_env *a = NULL, *b = NULL;
  assert_int_equal(crl_vec_env_make(name, N, 1, &a), 0);
  assert_int_equal(crl_vec_env_make(name, N, 99, &b), 0);
  assert_int_equal(crl_vec_env_reset(a), 0);
  assert_int_equal(crl_vec_env_reset(b), 0);
  const crl_space *as = crl_vec_env_act_space(a);
  const int od = crl_vec_env_obs_space(a)->dim;
  gsl_rng *rng = crl_rng_alloc(5, 0);
  crl_real act[N * 8];
  for (int t = 0; t < 700; t++) {
    random_actions(as, rng, N, act);
    assert_int_equal(crl_vec_env_step(a, act), 0);
  }
  write_checkpoint(a);
  read_checkpoint(b);
  for (int t = 0; t < 1500; t++) { /* crosses episode ends and resets */
    random_actions(as, rng, N, act);
    assert_int_equal(crl_vec_env_step(a, act), 0);
    assert_int_equal(crl_vec_env_step(b, act), 0);
    assert_memory_equal(crl_vec_env_obs(a), crl_vec_env_obs(b),
                        N * od * sizeof(crl_real));
    assert_memory_equal(crl_vec_env_rewards(a), crl_vec_env_rewards(b),
                        N * sizeof(double));
    assert_memory_equal(crl_vec_env_truncated(a), crl_vec_env_truncated(b),
                        N * sizeof(int));
    assert_memory_equal(crl_vec_env_terminated(a), crl_vec_env_terminated(b),
                        N * sizeof(int));
  }
  assert_int_equal(crl_vec_env_episodes(a), crl_vec_env_episodes(b));
  assert_true(crl_vec_env_episodes(a) > 3);
  double ra = crl_vec_env_recent_return(a), rb = crl_vec_env_recent_return(b);
  assert_memory_equal(&ra, &rb, sizeof ra);
  gsl_rng_free(rng);
  crl_vec_env_free(a);
  crl_vec_env_free(b);
}

static void test_vec_envs_resume_exactly(void **state) {
  (void)state;
  const char *names[] = {"Pendulum-v1", "CartPole-v1", "CartPoleContinuous-v1",
                         "MountainCarContinuous-v0", "Acrobot-v1"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    check_env(names[i]);
}

static void test_wrong_env_or_count_is_refused(void **state) {
  (void)state;
  crl_vec_env *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 2, 0, &a), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 3, 0, &b), 0);
  assert_int_equal(crl_vec_env_make("CartPole-v1", 2, 0, &c), 0);
  assert_int_equal(crl_vec_env_reset(a), 0);
  write_checkpoint(a);
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  assert_int_equal(crl_state_load(r, "venv", crl__vec_env_sections, b),
                   CRL_EFORMAT);
  assert_int_equal(crl_state_load(r, "venv", crl__vec_env_sections, c),
                   CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "Pendulum-v1"));
  crl__ckpt_reader_free(r);
  crl_vec_env_free(a);
  crl_vec_env_free(b);
  crl_vec_env_free(c);
}

static void test_rng_and_adam_resume(void **state) {
  (void)state;
  gsl_rng *g = crl_rng_alloc(3, 7), *h = crl_rng_alloc(4, 8);
  for (int i = 0; i < 1000; i++)
    gsl_rng_get(g);
  enum { P = 5 };
  crl_adam *x = NULL, *y = NULL;
  assert_int_equal(crl_adam_alloc(P, NULL, &x), 0);
  assert_int_equal(crl_adam_alloc(P, NULL, &y), 0);
  crl_real px[P] = {1, 2, 3, 4, 5}, py[P], grad[P] = {0.1f, -1, 2, 0, 3};
  for (int i = 0; i < 7; i++)
    crl_adam_step(x, px, grad, 0.01);
  memcpy(py, px, sizeof px);
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  assert_int_equal(crl_state_save(w, "rng", crl_rng_sections, g), 0);
  assert_int_equal(crl_state_save(w, "adam", crl_adam_sections, x), 0);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  assert_int_equal(crl_state_load(r, "rng", crl_rng_sections, h), 0);
  assert_int_equal(crl_state_load(r, "adam", crl_adam_sections, y), 0);
  crl__ckpt_reader_free(r);
  for (int i = 0; i < 100; i++)
    assert_int_equal(gsl_rng_get(g), gsl_rng_get(h));
  crl_adam_step(x, px, grad, 0.01);
  crl_adam_step(y, py, grad, 0.01);
  assert_memory_equal(px, py, sizeof px);
  crl_adam_free(x);
  crl_adam_free(y);
  gsl_rng_free(g);
  gsl_rng_free(h);
}

/* Rewrite the checkpoint at `path` with section `name` replaced: a file a
 * person edited by hand, with a valid checksum. */
static void tamper(const char *name, crl__ckpt_type type, uint64_t count,
                   const void *data) {
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  int found = 0;
  for (uint64_t i = 0; i < crl__ckpt_n_sections(r); i++) {
    const char *sname;
    int nl;
    crl__ckpt_type t;
    uint64_t c;
    const void *d;
    crl__ckpt_section_at(r, i, &sname, &nl, &t, &c, &d);
    char key[256];
    snprintf(key, sizeof key, "%.*s", nl, sname);
    if (strcmp(key, name) == 0) {
      found = 1;
      assert_int_equal(crl__ckpt_put(w, key, type, count, data), 0);
    } else {
      assert_int_equal(crl__ckpt_put(w, key, t, c, d), 0);
    }
  }
  assert_true(found);
  crl__ckpt_reader_free(r);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
}

static void expect_refused(const char *name, crl__ckpt_type type,
                           uint64_t count, const void *data) {
  crl_vec_env *a = NULL;
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 2, 0, &a), 0);
  assert_int_equal(crl_vec_env_reset(a), 0);
  write_checkpoint(a);
  tamper(name, type, count, data);
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  int rc = crl_state_load(r, "venv", crl__vec_env_sections, a);
  if (rc != CRL_EFORMAT)
    fail_msg("tampered '%s' was accepted (rc %d)", name, rc);
  crl__ckpt_reader_free(r);
  crl_vec_env_free(a);
}

static void test_tampered_checkpoints_are_refused(void **state) {
  (void)state;
  int64_t neg = -5;
  expect_refused("venv.episodes", CRL_CKPT_I64, 1, &neg);
  expect_refused("venv.steps", CRL_CKPT_I64, 1, &neg);
  int64_t ints[2] = {-1, 0};
  expect_refused("venv.ep_length", CRL_CKPT_I64, 2, ints);
  double nan2[2] = {NAN, 0};
  expect_refused("venv.env0.state", CRL_CKPT_F64, 2, nan2);
  /* A generator whose index points far outside its table. */
  gsl_rng *g = crl_rng_alloc(0, 0);
  size_t size = gsl_rng_size(g);
  unsigned char *bytes = malloc(size);
  memcpy(bytes, gsl_rng_state(g), size);
  int mti = 100000;
  memcpy(bytes + 624 * sizeof(unsigned long), &mti, sizeof mti);
  expect_refused("venv.env1.rng.state", CRL_CKPT_U8, size, bytes);
  free(bytes);
  gsl_rng_free(g);
  /* Wrong sizes. */
  expect_refused("venv.obs", CRL_CKPT_F64, 1, nan2);
}

/* ---- algorithms ---------------------------------------------------------- */

/* name with key/value overrides (NULL-terminated) on n copies of
 * Pendulum-v1, after one iteration. */
static crl_algo *iterated_algo(const char *name, const char *const *kv, int n,
                               crl_vec_env **venv) {
  const crl_algo_type *t = crl_algo_find(name);
  assert_non_null(t);
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i] != NULL; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", n, 3, venv), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(*venv),
                                  crl_vec_env_act_space(*venv), n, 3, &algo),
                   0);
  crl_algo_spec_free(spec);
  assert_int_equal(crl_vec_env_reset(*venv), 0);
  assert_int_equal(crl_algo_iterate(algo, *venv, 1.0, NULL), 0);
  return algo;
}

/* A checkpoint of `name` whose section `section` has its first value
 * replaced by `bad` (as the section's type) is refused, naming the
 * section; the untouched file loads. */
static void expect_algo_refuses(const char *name, const char *const *kv, int n,
                                const char *section, double bad) {
  crl_vec_env *venv = NULL;
  crl_algo *algo = iterated_algo(name, kv, n, &venv);
  assert_int_equal(crl_algo_checkpoint_save(algo, venv, path), 0);
  assert_int_equal(crl_algo_checkpoint_load(algo, venv, path), 0);
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  crl__ckpt_type t;
  uint64_t count;
  const void *data;
  if (crl__ckpt_section(r, section, &t, &count, &data) != 0)
    fail_msg("%s: no section '%s'", name, section);
  const size_t size = t == CRL_CKPT_F32 ? 4 : 8;
  unsigned char *copy = malloc((size_t)count * size);
  assert_non_null(copy);
  memcpy(copy, data, (size_t)count * size);
  crl__ckpt_reader_free(r);
  const float f = (float)bad;
  const int64_t i = t == CRL_CKPT_I64 ? (int64_t)bad : 0;
  memcpy(copy,
         t == CRL_CKPT_F32   ? (const void *)&f
         : t == CRL_CKPT_I64 ? (const void *)&i
                             : (const void *)&bad,
         size);
  tamper(section, t, count, copy);
  free(copy);
  int rc = crl_algo_checkpoint_load(algo, venv, path);
  if (rc != CRL_EFORMAT)
    fail_msg("tampered '%s' was accepted (rc %d)", section, rc);
  assert_non_null(strstr(crl_last_error(), section));
  crl_algo_free(algo);
  crl_vec_env_free(venv);
}

/* The checks the on-policy algorithms' tables make on a hand-edited file. */
static void test_tampered_algorithm_checkpoints_are_refused(void **state) {
  (void)state;
  static const char *const a2c[] = {
      "n_steps", "8", "normalize", "true", "normalize_reward", "true", NULL};
  expect_algo_refuses("a2c", a2c, 2, "a2c.params", NAN);
  expect_algo_refuses("a2c", a2c, 2, "a2c.rmsprop.v", -1.0);
  expect_algo_refuses("a2c", a2c, 2, "a2c.ret", INFINITY);
  expect_algo_refuses("a2c", a2c, 2, "a2c.ret_norm.var", -1.0);
  static const char *const ppo[] = {
      "n_steps",          "8",    "batch_size", "16", "normalize", "true",
      "normalize_reward", "true", NULL};
  expect_algo_refuses("ppo", ppo, 2, "ppo.ret", NAN);
  expect_algo_refuses("ppo", ppo, 2, "ppo.ret_norm.count", -1.0);
  static const char *const grpo[] = {"group_size", "2",  "n_groups", "1",
                                     "batch_size", "64", NULL};
  expect_algo_refuses("grpo", grpo, 1, "grpo.groups", -1.0);
  static const char *const reinforce[] = {NULL};
  expect_algo_refuses("reinforce", reinforce, 1, "reinforce.policy.params",
                      NAN);
}

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/crl_test_state_io_%d.ckpt", (int)getpid());
  return 0;
}
static int teardown(void **state) {
  (void)state;
  unlink(path);
  return 0;
}

/* ---- replay buffer ------------------------------------------------------- */

/* Buffer of capacity 8 holding n transitions numbered from 0 (field values
 * encode the number; every third is terminal). */
static crl_replay *filled_replay(int n) {
  crl_replay *rb = NULL;
  assert_int_equal(crl_replay_alloc(8, 2, 1, &rb), 0);
  for (int t = 0; t < n; t++) {
    crl_real o[2] = {(crl_real)t, (crl_real)(t + 0.5)}, a = (crl_real)-t;
    crl_real next[2] = {(crl_real)(t + 1), (crl_real)(t + 1.5)};
    double r = 0.25 * t;
    int term = t % 3 == 0;
    assert_int_equal(crl_replay_add(rb, 1, o, &a, &r, next, &term), 0);
  }
  return rb;
}

static void save_replay(const crl_replay *rb) {
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  assert_int_equal(crl_state_save(w, "rb", crl_replay_sections, (void *)rb), 0);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
}

static int load_replay(crl_replay *rb) {
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  int rc = crl_state_load(r, "rb", crl_replay_sections, rb);
  crl__ckpt_reader_free(r);
  return rc;
}

/* Before and after wrapping: the restored buffer holds the same rows,
 * continues writing at the same position and samples the same batches; a
 * hand-edited size, position, value or flag is refused. */
static void test_replay_resumes_and_refuses_damage(void **state) {
  (void)state;
  for (int n = 5; n <= 13; n += 8) { /* 13 wraps a capacity of 8 */
    crl_replay *a = filled_replay(n), *b = filled_replay(0);
    save_replay(a);
    assert_int_equal(load_replay(b), 0);
    assert_int_equal(b->size, a->size);
    assert_int_equal(b->pos, a->pos);
    const size_t rows = (size_t)a->size;
    assert_memory_equal(a->obs, b->obs, rows * 2 * sizeof(crl_real));
    assert_memory_equal(a->actions, b->actions, rows * sizeof(crl_real));
    assert_memory_equal(a->rewards, b->rewards, rows * sizeof(crl_real));
    assert_memory_equal(a->next_obs, b->next_obs, rows * 2 * sizeof(crl_real));
    assert_memory_equal(a->terminated, b->terminated, rows * sizeof(crl_real));
    crl_replay_batch *x = NULL, *y = NULL;
    assert_int_equal(crl_replay_batch_alloc(4, 2, 1, &x), 0);
    assert_int_equal(crl_replay_batch_alloc(4, 2, 1, &y), 0);
    gsl_rng *g = crl_rng_alloc(3, 0), *h = crl_rng_alloc(3, 0);
    assert_int_equal(crl_replay_sample(a, g, x), 0);
    assert_int_equal(crl_replay_sample(b, h, y), 0);
    assert_memory_equal(x->obs, y->obs, 4 * 2 * sizeof(crl_real));
    gsl_rng_free(g);
    gsl_rng_free(h);
    crl_replay_batch_free(x);
    crl_replay_batch_free(y);
    crl_replay_free(a);
    crl_replay_free(b);
  }
  crl_replay *a = filled_replay(5), *b = filled_replay(0);
  int64_t big = 9, pos_off = 3, neg = -1;
  crl_real nan_row[5] = {0, 1, NAN, 3, 4}, flag[5] = {1, 0, 0, 0.5f, 0};
  const crl__ckpt_type rt = sizeof(crl_real) == 8 ? CRL_CKPT_F64 : CRL_CKPT_F32;
  struct {
    const char *name;
    crl__ckpt_type type;
    uint64_t count;
    const void *data;
  } bad[] = {
      {"rb.size", CRL_CKPT_I64, 1, &big},    {"rb.size", CRL_CKPT_I64, 1, &neg},
      {"rb.pos", CRL_CKPT_I64, 1, &pos_off}, /* not wrapped: pos = size */
      {"rb.rewards", rt, 5, nan_row},        {"rb.terminated", rt, 5, flag},
      {"rb.actions", rt, 4, nan_row}}; /* one row short */
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    save_replay(a);
    tamper(bad[i].name, bad[i].type, bad[i].count, bad[i].data);
    int rc = load_replay(b);
    if (rc != CRL_EFORMAT)
      fail_msg("tampered '%s' was accepted (rc %d)", bad[i].name, rc);
  }
  crl_replay_free(a);
  crl_replay_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vec_envs_resume_exactly),
      cmocka_unit_test(test_wrong_env_or_count_is_refused),
      cmocka_unit_test(test_rng_and_adam_resume),
      cmocka_unit_test(test_tampered_checkpoints_are_refused),
      cmocka_unit_test(test_tampered_algorithm_checkpoints_are_refused),
      cmocka_unit_test(test_replay_resumes_and_refuses_damage),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
