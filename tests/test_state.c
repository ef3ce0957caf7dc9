/* The public state API (crl/state.h): an algorithm registered by a user,
 * written against crl/crl.h alone, checkpoints and resumes bit for bit;
 * tables refuse tampered counts, non-finite and out-of-range values,
 * foreign identities and duplicate names; old checkpoints are refused with
 * a message that says why. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/crl.h"

static char path[256], path2[256];

/* ---- a user's algorithm, public API only --------------------------------- */

/* A linear Gaussian policy on normalised observations, trained by a
 * REINFORCE-like step with Adam, and a "value" vector trained with RMSprop:
 * every library object a user algorithm would hold, and all of its state
 * matters for what the next iteration does. */
typedef struct lin_spec {
  double learning_rate;
  int n_steps;
  int features; /* copies of the features: changes the parameter count */
} lin_spec;

static const crl_param_def lin_params[] = {
    {"learning_rate", CRL_PARAM_REAL, offsetof(lin_spec, learning_rate), "0.01",
     0, 1, NULL, "Adam and RMSprop step size"},
    {"n_steps", CRL_PARAM_INT, offsetof(lin_spec, n_steps), "16", 1, 1000, NULL,
     "steps of every copy per iteration"},
    {"features", CRL_PARAM_INT, offsetof(lin_spec, features), "1", 1, 4, NULL,
     "copies of the normalised observation in the features"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

enum { VALUE_N = 3 };

typedef struct lin {
  lin_spec spec;
  int obs_dim, act_dim, n_envs, n_feat, n_params;
  const double *low, *high; /* [act_dim] the env's bounds (static data) */
  crl_real *params;         /* [act_dim, n_feat + 1] weights then bias */
  crl_real *grads;          /* [n_params] */
  crl_real value[VALUE_N], dvalue[VALUE_N];
  crl_real *z;   /* [n_envs, obs_dim] normalised observations */
  crl_real *eps; /* [n_envs, act_dim] exploration noise */
  crl_real *act; /* [n_envs, act_dim] */
  crl_adam *adam;
  crl_rmsprop *rms;
  crl_normalizer *norm;
  gsl_rng *rng;
  long iterations;
} lin;

static void lin_destroy(void *self) {
  lin *l = self;
  if (l == NULL)
    return;
  crl_adam_free(l->adam);
  crl_rmsprop_free(l->rms);
  crl_normalizer_free(l->norm);
  if (l->rng)
    gsl_rng_free(l->rng);
  free(l->params);
  free(l->grads);
  free(l->z);
  free(l->eps);
  free(l->act);
  free(l);
}

static int lin_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  lin *l = calloc(1, sizeof *l);
  if (l == NULL)
    return CRL_ENOMEM;
  l->spec = *(const lin_spec *)spec;
  l->obs_dim = obs->dim;
  l->act_dim = act->dim;
  l->low = act->low;
  l->high = act->high;
  l->n_envs = n_envs;
  l->n_feat = obs->dim * l->spec.features;
  l->n_params = act->dim * (l->n_feat + 1);
  l->params = calloc((size_t)l->n_params, sizeof(crl_real));
  l->grads = calloc((size_t)l->n_params, sizeof(crl_real));
  l->z = calloc((size_t)n_envs * obs->dim, sizeof(crl_real));
  l->eps = calloc((size_t)n_envs * act->dim, sizeof(crl_real));
  l->act = calloc((size_t)n_envs * act->dim, sizeof(crl_real));
  l->rng = crl_rng_alloc(seed, 1000);
  int rc = l->params && l->grads && l->z && l->eps && l->act && l->rng
               ? 0
               : CRL_ENOMEM;
  rc = rc ? rc : crl_adam_alloc((size_t)l->n_params, NULL, &l->adam);
  rc = rc ? rc : crl_rmsprop_alloc(VALUE_N, NULL, &l->rms);
  rc = rc ? rc : crl_normalizer_alloc(obs->dim, 10.0, &l->norm);
  for (int k = 0; rc == 0 && k < l->n_params; k++)
    l->params[k] = (crl_real)gsl_ran_gaussian(l->rng, 0.1);
  if (rc) {
    lin_destroy(l);
    return rc;
  }
  *self = l;
  return 0;
}

/* act [B, act_dim] = W features(z) + b (+ eps when given), clipped. */
static void lin_policy(const lin *l, const crl_real *z, int B,
                       const crl_real *eps, crl_real *act) {
  const int F = l->n_feat, O = l->obs_dim;
  for (int i = 0; i < B; i++)
    for (int j = 0; j < l->act_dim; j++) {
      const crl_real *w = l->params + (size_t)j * (F + 1); /* [F + 1] */
      double a = (double)w[F];
      for (int k = 0; k < F; k++)
        a += (double)w[k] * (double)z[(size_t)i * O + k % O];
      if (eps)
        a += (double)eps[(size_t)i * l->act_dim + j];
      a = a < l->low[j] ? l->low[j] : (a > l->high[j] ? l->high[j] : a);
      act[(size_t)i * l->act_dim + j] = (crl_real)a;
    }
}

static int lin_iterate(void *self, crl_vec_env *venv, double remaining,
                       crl_algo_stats *stats) {
  (void)remaining;
  lin *l = self;
  const int N = l->n_envs, F = l->n_feat, O = l->obs_dim, A = l->act_dim;
  memset(l->grads, 0, (size_t)l->n_params * sizeof(crl_real));
  double total = 0.0;
  for (int t = 0; t < l->spec.n_steps; t++) {
    const crl_real *obs = crl_vec_env_obs(venv);
    crl_normalizer_update(l->norm, obs, N);
    crl_normalizer_apply(l->norm, obs, N, l->z);
    for (int k = 0; k < N * A; k++)
      l->eps[k] = (crl_real)gsl_ran_gaussian(l->rng, 0.3);
    lin_policy(l, l->z, N, l->eps, l->act);
    int rc = crl_vec_env_step(venv, l->act);
    if (rc)
      return rc;
    const double *r = crl_vec_env_rewards(venv);
    for (int i = 0; i < N; i++) {
      total += r[i];
      for (int j = 0; j < A; j++) {
        crl_real *g = l->grads + (size_t)j * (F + 1); /* [F + 1] */
        const double c = -r[i] * (double)l->eps[(size_t)i * A + j] / N;
        for (int k = 0; k < F; k++)
          g[k] += (crl_real)(c * (double)l->z[(size_t)i * O + k % O]);
        g[F] += (crl_real)c;
      }
    }
  }
  crl_adam_step(l->adam, l->params, l->grads, l->spec.learning_rate);
  for (int k = 0; k < VALUE_N; k++)
    l->dvalue[k] = (crl_real)((double)l->value[k] - total / 1000.0 * (k + 1));
  crl_rmsprop_step(l->rms, l->value, l->dvalue, l->spec.learning_rate);
  l->iterations++;
  stats->steps = (long)l->spec.n_steps * N;
  stats->policy_loss = total;
  stats->value_loss = (double)l->value[0];
  return 0;
}

static int lin_act(void *self, const crl_real *obs, int B, int det,
                   crl_real *action) {
  (void)det;
  lin *l = self;
  for (int i = 0; i < B; i++) {
    crl_real z[8];
    crl_normalizer_apply(l->norm, obs + (size_t)i * l->obs_dim, 1, z);
    lin_policy(l, z, 1, NULL, action + (size_t)i * l->act_dim);
  }
  return 0;
}

/* The whole state, once. */
static int lin_sections(void *self, crl_state_io *io) {
  lin *l = self;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "params", l->params, (size_t)l->n_params, 0),
      CRL_STATE(REAL, "value", l->value, VALUE_N, 0),
      CRL_STATE(LONG, "iterations", &l->iterations, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("adam", crl_adam_sections, l->adam),
      CRL_STATE_OBJ("rmsprop", crl_rmsprop_sections, l->rms),
      CRL_STATE_OBJ("norm", crl_normalizer_sections, l->norm),
      CRL_STATE_OBJ("rng", crl_rng_sections, l->rng),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int lin_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "user-linear", lin_sections, self);
}

static int lin_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "user-linear", lin_sections, self);
}

static const crl_algo_type lin_type = {
    .name = "user-linear",
    .doc = "a user's linear policy (tests/test_state.c)",
    .params = lin_params,
    .spec_size = sizeof(lin_spec),
    .create = lin_create,
    .iterate = lin_iterate,
    .act = lin_act,
    .destroy = lin_destroy,
    .save = lin_save,
    .load = lin_load,
};

/* ---- resume ---------------------------------------------------------------
 */

typedef struct run {
  crl_vec_env *venv;
  crl_algo *algo;
} run;

static run make_run(uint64_t seed, const char *features) {
  run r;
  void *spec = NULL;
  const crl_algo_type *t = crl_algo_find("user-linear");
  assert_non_null(t);
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  assert_int_equal(crl_algo_spec_set(t, spec, "features", features), 0);
  assert_int_equal(crl_vec_env_make("Pendulum-v1", 2, seed, &r.venv), 0);
  assert_int_equal(crl_vec_env_reset(r.venv), 0);
  assert_int_equal(crl_algo_alloc(t, spec, crl_vec_env_obs_space(r.venv),
                                  crl_vec_env_act_space(r.venv), 2, seed,
                                  &r.algo),
                   0);
  crl_algo_spec_free(spec);
  return r;
}

static void free_run(run *r) {
  crl_algo_free(r->algo);
  crl_vec_env_free(r->venv);
}

static void iterate(run *r, int n, crl_algo_stats *stats) {
  for (int i = 0; i < n; i++)
    assert_int_equal(crl_algo_iterate(r->algo, r->venv, 1.0, &stats[i]), 0);
}

static unsigned char *slurp(const char *p, long *n) {
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)*n);
  assert_non_null(b);
  assert_int_equal(fread(b, 1, (size_t)*n, f), (size_t)*n);
  fclose(f);
  return b;
}

/* Interrupted after 5 iterations and resumed into an instance built from
 * another seed: the next 40 iterations, the actions and the checkpoint
 * after them are the same bits as those of the run that went on. */
static void test_user_algorithm_resumes_exactly(void **state) {
  (void)state;
  enum { K = 40 };
  run a = make_run(7, "2"), b = make_run(99, "2");
  crl_algo_stats sa[K], sb[K];
  iterate(&a, 5, sa);
  assert_int_equal(crl_algo_checkpoint_save(a.algo, a.venv, path), 0);
  assert_int_equal(crl_algo_checkpoint_load(b.algo, b.venv, path), 0);
  iterate(&a, K, sa);
  iterate(&b, K, sb);
  for (int i = 0; i < K; i++) {
    assert_memory_equal(&sa[i].policy_loss, &sb[i].policy_loss, sizeof(double));
    assert_memory_equal(&sa[i].value_loss, &sb[i].value_loss, sizeof(double));
  }
  const crl_real obs[3] = {0.5f, -0.25f, 2.0f};
  crl_real x, y;
  assert_int_equal(crl_algo_act(a.algo, obs, 1, 1, &x), 0);
  assert_int_equal(crl_algo_act(b.algo, obs, 1, 1, &y), 0);
  assert_memory_equal(&x, &y, sizeof x);
  assert_int_equal(crl_algo_checkpoint_save(a.algo, a.venv, path), 0);
  assert_int_equal(crl_algo_checkpoint_save(b.algo, b.venv, path2), 0);
  long na, nb;
  unsigned char *fa = slurp(path, &na), *fb = slurp(path2, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(fa, fb, (size_t)na);
  free(fa);
  free(fb);
  /* Another network shape: the parameter count is refused. */
  run c = make_run(7, "1");
  assert_int_equal(crl_algo_checkpoint_load(c.algo, c.venv, path), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "user-linear.params"));
  free_run(&a);
  free_run(&b);
  free_run(&c);
}

/* Its own table refuses a hand-made file whose sections have the right
 * names but a wrong count or a non-finite value. */
static void test_user_table_refuses_tampering(void **state) {
  (void)state;
  run a = make_run(7, "1");
  lin *l = NULL;
  /* The instance behind the handle, through the user's own create. */
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(&lin_type, &spec), 0);
  assert_int_equal(lin_create(spec, crl_vec_env_obs_space(a.venv),
                              crl_vec_env_act_space(a.venv), 2, 7, (void **)&l),
                   0);
  crl_algo_spec_free(spec);
  const size_t n = (size_t)l->n_params;
  double *bad = calloc(n + 1, sizeof *bad);
  assert_non_null(bad);
  struct {
    size_t count;
    double value;
  } cases[] = {{n - 1, 0.0}, {n + 1, 0.0}, {n, NAN}, {n, INFINITY}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    for (size_t k = 0; k < n + 1; k++)
      bad[k] = k == 1 ? cases[c].value : 0.5;
    crl_ckpt_writer *w = NULL;
    assert_int_equal(crl_ckpt_writer_alloc(&w), 0);
    const crl_state_item forged[] = {
        CRL_STATE(F64, "params", bad, cases[c].count, 0),
    };
    assert_int_equal(crl_state_save_items(w, "user-linear", forged, 1), 0);
    assert_int_equal(crl_ckpt_writer_write(w, path), 0);
    crl_ckpt_writer_free(w);
    crl_ckpt_reader *r = NULL;
    assert_int_equal(crl_ckpt_reader_open(path, &r), 0);
    const crl_real before = l->params[1];
    assert_int_equal(crl_state_load(r, "user-linear", lin_sections, l),
                     CRL_EFORMAT);
    assert_non_null(strstr(crl_last_error(), "user-linear.params"));
    assert_memory_equal(&before, &l->params[1], sizeof before); /* untouched */
    crl_ckpt_reader_free(r);
  }
  /* A diverged parameter is not written at all. */
  l->params[0] = (crl_real)NAN;
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl_ckpt_writer_alloc(&w), 0);
  assert_int_equal(crl_state_save(w, "user-linear", lin_sections, l),
                   CRL_ENONFINITE);
  assert_non_null(strstr(crl_last_error(), "user-linear.params[0] is nan"));
  crl_ckpt_writer_free(w);
  free(bad);
  lin_destroy(l);
  free_run(&a);
}

/* ---- the checks of a table ------------------------------------------------
 */

typedef struct record {
  int n;        /* an identity */
  char who[16]; /* an identity */
  long count;   /* >= 0 */
  int flags[3]; /* 0 or 1 */
  double level; /* in [0, 1] */
  int small;    /* an int */
  long rows;    /* rows of grid */
  crl_real grid[4][2];
  char note[8];
  crl_normalizer *norm; /* optional */
} record;

static int record_sections(void *obj, crl_state_io *io) {
  record *x = obj;
  const crl_state_item items[] = {
      CRL_STATE(INT, "n", &x->n, 1, CRL_STATE_MATCH),
      CRL_STATE(STRING, "who", x->who, 0, CRL_STATE_MATCH),
      CRL_STATE(LONG, "count", &x->count, 1, CRL_STATE_NONNEG),
      CRL_STATE(INT, "flags", x->flags, 3, CRL_STATE_BOOL),
      CRL_STATE_RANGED(F64, "level", &x->level, 1, 0, 1),
      CRL_STATE(INT, "small", &x->small, 1, 0),
      CRL_STATE_RANGED(LONG, "rows", &x->rows, 1, 0, 4),
      CRL_STATE_ROWS(REAL, "grid", x->grid, 2, &x->rows, 0),
      CRL_STATE(STRING, "note", x->note, sizeof x->note, 0),
      CRL_STATE_OBJ("norm", crl_normalizer_sections, x->norm),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static record a_record(void) {
  record x = {.n = 3, .who = "me", .count = 5, .flags = {1, 0, 1}};
  x.level = 0.5;
  x.small = -7;
  x.rows = 3;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 2; j++)
      x.grid[i][j] = (crl_real)(10 * i + j);
  snprintf(x.note, sizeof x.note, "hello");
  return x;
}

static void save_record(record *x) {
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl_ckpt_writer_alloc(&w), 0);
  assert_int_equal(crl_state_save(w, "rec", record_sections, x), 0);
  assert_int_equal(crl_ckpt_writer_write(w, path), 0);
  crl_ckpt_writer_free(w);
}

static int load_record(record *x) {
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl_ckpt_reader_open(path, &r), 0);
  int rc = crl_state_load(r, "rec", record_sections, x);
  crl_ckpt_reader_free(r);
  return rc;
}

/* A file of the record's names, one section replaced by a forged one. */
static void forge(const crl_state_item *item) {
  record x = a_record();
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl_ckpt_writer_alloc(&w), 0);
  crl_state_item items[16];
  int n = 0;
  const crl_state_item all[] = {
      CRL_STATE(INT, "n", &x.n, 1, 0),
      CRL_STATE(STRING, "who", x.who, 0, 0),
      CRL_STATE(LONG, "count", &x.count, 1, 0),
      CRL_STATE(INT, "flags", x.flags, 3, 0),
      CRL_STATE(F64, "level", &x.level, 1, 0),
      CRL_STATE(INT, "small", &x.small, 1, 0),
      CRL_STATE(LONG, "rows", &x.rows, 1, 0),
      CRL_STATE(REAL, "grid", x.grid, 6, 0),
      CRL_STATE(STRING, "note", x.note, sizeof x.note, 0),
  };
  for (int i = 0; i < CRL_STATE_COUNT(all); i++)
    items[n++] = strcmp(all[i].name, item->name) == 0 ? *item : all[i];
  assert_int_equal(crl_state_save_items(w, "rec", items, n), 0);
  assert_int_equal(crl_ckpt_writer_write(w, path), 0);
  crl_ckpt_writer_free(w);
}

static void test_table_round_trip_and_checks(void **state) {
  (void)state;
  record x = a_record(), y = {.n = 3, .who = "me"};
  save_record(&x);
  assert_int_equal(load_record(&y), 0);
  assert_int_equal(y.count, 5);
  assert_int_equal(y.flags[2], 1);
  assert_true(y.level == 0.5);
  assert_int_equal(y.small, -7);
  assert_int_equal(y.rows, 3);
  assert_memory_equal(y.grid, x.grid, 3 * 2 * sizeof(crl_real));
  assert_string_equal(y.note, "hello");
  /* Another identity. */
  record z = {.n = 4, .who = "me"};
  assert_int_equal(load_record(&z), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "rec.n is 3"));
  z = (record){.n = 3, .who = "you"};
  assert_int_equal(load_record(&z), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "rec.who is 'me'"));
  /* Values a table refuses. */
  long neg = -1, five = 5;
  int two[3] = {0, 2, 1};
  double high = 1.5, nan = NAN;
  int64_t big = (int64_t)1 << 40;
  crl_real row[4] = {0, 1, 2, 3};
  const char *longer = "far too long";
  const crl_state_item bad[] = {
      CRL_STATE(LONG, "count", &neg, 1, 0),
      CRL_STATE(INT, "flags", two, 3, 0),
      CRL_STATE(F64, "level", &high, 1, 0),
      CRL_STATE(F64, "level", &nan, 1, 0),
      CRL_STATE(I64, "small", &big, 1, 0),
      CRL_STATE(LONG, "rows", &five, 1, 0),
      CRL_STATE(REAL, "grid", row, 4, 0),   /* 2 rows where 3 are counted */
      CRL_STATE(F64, "count", &high, 1, 0), /* another kind */
      CRL_STATE(STRING, "note", longer, 0, 0),
  };
  for (int i = 0; i < CRL_STATE_COUNT(bad); i++) {
    forge(&bad[i]);
    record v = {.n = 3, .who = "me", .count = 77};
    int rc = load_record(&v);
    if (rc != CRL_EFORMAT)
      fail_msg("forged '%s' (%d) was accepted (rc %d)", bad[i].name, i, rc);
    assert_non_null(strstr(crl_last_error(), path));
  }
  /* A missing section, and an optional object present in one file only. */
  crl_normalizer *norm = NULL;
  assert_int_equal(crl_normalizer_alloc(3, 5.0, &norm), 0);
  save_record(&x); /* without one */
  record w = a_record();
  w.norm = norm;
  assert_int_equal(load_record(&w), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "missing section 'rec.norm.mean'"));
  norm->mean[1] = 0.25;
  norm->count = 42.0;
  save_record(&w);
  crl_normalizer *back = NULL;
  assert_int_equal(crl_normalizer_alloc(3, 1.0, &back), 0);
  record u = {.n = 3, .who = "me", .norm = back};
  assert_int_equal(load_record(&u), 0);
  assert_true(back->mean[1] == 0.25 && back->count == 42.0);
  assert_true(back->clip == 5.0); /* the settings travel with it */
  crl_normalizer_free(norm);
  crl_normalizer_free(back);
}

static void test_duplicate_names_refused(void **state) {
  (void)state;
  long v = 1;
  const crl_state_item twice[] = {
      CRL_STATE(LONG, "v", &v, 1, 0),
      CRL_STATE(LONG, "v", &v, 1, 0),
  };
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl_ckpt_writer_alloc(&w), 0);
  assert_int_equal(crl_state_save_items(w, "x", twice, 2), CRL_EINVAL);
  assert_non_null(strstr(crl_last_error(), "'x.v' written twice"));
  crl_ckpt_writer_free(w);
}

/* A checkpoint of format 1 (before named vec env sections): refused, and
 * the message says it is an older format. */
static void test_old_format_refused(void **state) {
  (void)state;
  unsigned char b[32] = {'C', 'R', 'L', 'F', 'I', 'L', 'E', 0};
  const uint32_t version = 1, kind = 2;
  memcpy(b + 8, &version, 4);
  memcpy(b + 12, &kind, 4);
  /* n_sections = 0 at 16..23; FNV-1a 64 of the 24 bytes at 24. */
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int i = 0; i < 24; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  memcpy(b + 24, &h, 8);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, sizeof b, f), sizeof b);
  fclose(f);
  crl_ckpt_reader *r = NULL;
  assert_int_equal(crl_ckpt_reader_open(path, &r), CRL_EFORMAT);
  assert_null(r);
  assert_non_null(strstr(crl_last_error(), "format version 1"));
  assert_non_null(strstr(crl_last_error(), "older"));
}

static int setup(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/crl_test_state_%d.ckpt", (int)getpid());
  snprintf(path2, sizeof path2, "/tmp/crl_test_state_%d_b.ckpt", (int)getpid());
  return crl_algo_register(&lin_type);
}

static int teardown(void **state) {
  (void)state;
  unlink(path);
  unlink(path2);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_user_algorithm_resumes_exactly),
      cmocka_unit_test(test_user_table_refuses_tampering),
      cmocka_unit_test(test_table_round_trip_and_checks),
      cmocka_unit_test(test_duplicate_names_refused),
      cmocka_unit_test(test_old_format_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
