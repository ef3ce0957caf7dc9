/* Built-in environments against Gymnasium v0.29.1's golden trajectories
 * (tests/data/gymnasium, see its README for provenance): every value is
 * compared bit for bit (==), teacher-forced and free-running, in both the float
 * and the double build, and the first observations after reset. Resets'
 * distributions, action validation and the registry: test_env_api.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "crl/env.h"
#include "crl/error.h"

/* ---- reference directory ------------------------------------------------- */

static char ref_dir[4096];

/* CRL_REFERENCE_DIR (set by tests/meson.build to tests/data/gymnasium),
 * else that directory under CRL_SOURCE_ROOT or the working directory. A
 * missing directory is a failure, not a skip: a silently skipped
 * bit-exactness test would hide every regression. */
static const char *reference_dir(void) {
  if (ref_dir[0] == '\0') {
    const char *env = getenv("CRL_REFERENCE_DIR");
    const char *root = getenv("CRL_SOURCE_ROOT");
    if (env != NULL && env[0] != '\0')
      snprintf(ref_dir, sizeof ref_dir, "%s", env);
    else if (root != NULL && root[0] != '\0')
      snprintf(ref_dir, sizeof ref_dir, "%s/tests/data/gymnasium", root);
    else
      snprintf(ref_dir, sizeof ref_dir, "tests/data/gymnasium");
  }
  struct stat st;
  if (stat(ref_dir, &st) != 0 || !S_ISDIR(st.st_mode))
    fail_msg("reference directory '%s' not found: set CRL_REFERENCE_DIR to "
             "tests/data/gymnasium (the golden Gymnasium trajectories)",
             ref_dir);
  return ref_dir;
}

/* ---- a small CSV reader: a header line, then numbers (%.17g) ------------- */

typedef struct csv {
  int ncols, nrows;
  char **names; /* [ncols] */
  double *data; /* [nrows * ncols]; an empty or text field is NaN */
  char **keys;  /* [nrows]: each row's first field as text */
} csv;

static void csv_free(csv *t) {
  if (t == NULL)
    return;
  for (int j = 0; j < t->ncols; j++)
    free(t->names[j]);
  for (int i = 0; i < t->nrows; i++)
    free(t->keys[i]);
  free(t->names);
  free(t->keys);
  free(t->data);
  free(t);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    fail_msg("cannot open reference file '%s'", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  size_t got = fread(buf, 1, (size_t)n, f);
  fclose(f);
  assert_int_equal(got, (size_t)n);
  buf[n] = '\0';
  return buf;
}

static csv *csv_load(const char *file) {
  char path[4600];
  snprintf(path, sizeof path, "%s/%s", reference_dir(), file);
  char *buf = read_file(path);
  csv *t = calloc(1, sizeof *t);
  assert_non_null(t);

  /* Header: count the commas, then copy the names. */
  char *line_end = strchr(buf, '\n');
  assert_non_null(line_end);
  *line_end = '\0';
  t->ncols = 1;
  for (char *p = buf; *p; p++)
    t->ncols += *p == ',';
  t->names = calloc((size_t)t->ncols, sizeof *t->names);
  assert_non_null(t->names);
  char *p = buf;
  for (int j = 0; j < t->ncols; j++) {
    size_t len = strcspn(p, ",\r");
    t->names[j] = strndup(p, len);
    assert_non_null(t->names[j]);
    p += len + (p[len] == ',');
  }

  int cap = 0;
  for (char *q = line_end + 1; *q; q++)
    cap += *q == '\n';
  t->data = malloc(((size_t)cap + 1) * (size_t)t->ncols * sizeof(double));
  t->keys = calloc((size_t)cap + 1, sizeof *t->keys);
  assert_non_null(t->data);
  assert_non_null(t->keys);
  for (p = line_end + 1; *p != '\0';) {
    if (*p == '\n' || *p == '\r') {
      p++;
      continue;
    }
    double *row = t->data + (size_t)t->nrows * (size_t)t->ncols;
    for (int j = 0; j < t->ncols; j++) {
      size_t len = strcspn(p, ",\r\n");
      if (j == 0) /* the row's key: resets.csv names its env there */
        t->keys[t->nrows] = strndup(p, len);
      if (len == 0) {
        row[j] = NAN;
      } else {
        char *end;
        row[j] = strtod(p, &end);
        if (end != p + len) {
          if (j != 0)
            fail_msg("%s: row %d column %s: not a number", file, t->nrows + 1,
                     t->names[j]);
          row[j] = NAN;
        }
      }
      p += len;
      if (j + 1 < t->ncols) {
        if (*p != ',')
          fail_msg("%s: row %d has fewer than %d fields", file, t->nrows + 1,
                   t->ncols);
        p++;
      }
    }
    while (*p == '\r' || *p == '\n')
      p++;
    t->nrows++;
  }
  free(buf);
  return t;
}

static int csv_col(const csv *t, const char *name) {
  for (int j = 0; j < t->ncols; j++)
    if (strcmp(t->names[j], name) == 0)
      return j;
  fail_msg("reference CSV has no column '%s'", name);
  return -1;
}

/* Indices of the columns whose name starts with prefix, in header order
 * (the header order is the state order). */
static int csv_cols_with_prefix(const csv *t, const char *prefix, int *cols,
                                int max) {
  int n = 0;
  size_t lp = strlen(prefix);
  for (int j = 0; j < t->ncols && n < max; j++)
    if (strncmp(t->names[j], prefix, lp) == 0)
      cols[n++] = j;
  return n;
}

static double cell(const csv *t, int row, int col) {
  return t->data[(size_t)row * (size_t)t->ncols + (size_t)col];
}

/* ---- golden trajectories ------------------------------------------------- */

typedef struct golden {
  const char *env;
  const char *file;
  int continuous_cartpole; /* map the discrete action 1 -> +1.0, 0 -> -1.0 */
} golden;

static const golden goldens[] = {
    {"Pendulum-v1", "pendulum.csv", 0},
    {"CartPole-v1", "cartpole.csv", 0},
    {"CartPoleContinuous-v1", "cartpole.csv", 1},
    {"MountainCarContinuous-v0", "mountain_car_continuous.csv", 0},
    {"Acrobot-v1", "acrobot.csv", 0},
};

typedef struct columns {
  int episode, step, action, reward, terminated, truncated;
  int ns, nobs;
  int s[8], next_s[8], obs[8];
} columns;

static columns find_columns(const csv *t, const crl_env *env) {
  columns c;
  c.episode = csv_col(t, "episode");
  c.step = csv_col(t, "step");
  c.action = csv_col(t, "action");
  c.reward = csv_col(t, "reward");
  c.terminated = csv_col(t, "terminated");
  c.truncated = csv_col(t, "truncated");
  c.ns = csv_cols_with_prefix(t, "s_", c.s, 8);
  c.nobs = csv_cols_with_prefix(t, "obs_", c.obs, 8);
  int nn = csv_cols_with_prefix(t, "next_s_", c.next_s, 8);
  assert_int_equal(c.ns, crl_env_get_type(env)->state_dim);
  assert_int_equal(nn, c.ns);
  assert_int_equal(c.nobs, crl_env_obs_space(env)->dim);
  return c;
}

static crl_real action_of(const golden *g, double a) {
  if (g->continuous_cartpole)
    return a == 1.0 ? (crl_real)1.0 : (crl_real)-1.0;
  return (crl_real)a; /* continuous actions are float32-exact */
}

#define CHECK_EQ(got, want, what)                                              \
  do {                                                                         \
    double got_ = (got), want_ = (want);                                       \
    if (!(got_ == want_))                                                      \
      fail_msg("%s (%s) episode %d step %d: %s is %.17g, Gymnasium %.17g",     \
               g->env, mode, ep, st, what, got_, want_);                       \
  } while (0)

/* Compare one step's outputs with row r. */
static void check_row(const golden *g, const char *mode, const csv *t,
                      const columns *c, int r, crl_env *env,
                      const crl_real *obs, double reward, int term, int trunc) {
  int ep = (int)cell(t, r, c->episode), st = (int)cell(t, r, c->step);
  double state[8];
  assert_int_equal(crl_env_get_state(env, state), 0);
  for (int i = 0; i < c->ns; i++)
    CHECK_EQ(state[i], cell(t, r, c->next_s[i]), t->names[c->next_s[i]]);
  for (int i = 0; i < c->nobs; i++)
    CHECK_EQ((double)obs[i], cell(t, r, c->obs[i]), t->names[c->obs[i]]);
  CHECK_EQ(reward, cell(t, r, c->reward), "reward");
  CHECK_EQ(term, cell(t, r, c->terminated), "terminated");
  CHECK_EQ(trunc, cell(t, r, c->truncated), "truncated");
}

/* teacher_forced: set the row's state before every step (one-step test);
 * otherwise only at the first row of each episode (free-running). Either
 * way the handle was reset at the episode start, so its TimeLimit counter
 * gives `truncated`. */
static void run_golden(const golden *g, int teacher_forced) {
  const char *mode = teacher_forced ? "one-step" : "free-running";
  csv *t = csv_load(g->file);
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(g->env, &env), 0);
  columns c = find_columns(t, env);
  crl_real obs[8];
  double state[8];
  int episodes = 0;
  for (int r = 0; r < t->nrows; r++) {
    int ep = (int)cell(t, r, c.episode), st = (int)cell(t, r, c.step);
    for (int i = 0; i < c.ns; i++)
      state[i] = cell(t, r, c.s[i]);
    if (st == 0) {
      episodes++;
      assert_int_equal(crl_env_reset(env, obs), 0);
      assert_int_equal(crl_env_set_state(env, state), 0);
    } else if (teacher_forced) {
      assert_int_equal(crl_env_set_state(env, state), 0);
    } else {
      /* Free-running: the env's own state must already be the row's. */
      double cur[8];
      assert_int_equal(crl_env_get_state(env, cur), 0);
      for (int i = 0; i < c.ns; i++)
        CHECK_EQ(cur[i], state[i], t->names[c.s[i]]);
    }
    assert_int_equal(crl_env_elapsed_steps(env), st);
    crl_real a = action_of(g, cell(t, r, c.action));
    double reward;
    int term, trunc;
    int rc = crl_env_step(env, &a, obs, &reward, &term, &trunc);
    if (rc)
      fail_msg("%s episode %d step %d: step failed: %s", g->env, ep, st,
               crl_last_error());
    check_row(g, mode, t, &c, r, env, obs, reward, term, trunc);
    /* Each golden episode runs exactly until terminated or truncated. */
    int last = r + 1 == t->nrows || cell(t, r + 1, c.step) == 0;
    CHECK_EQ(term || trunc, last, "end of episode");
  }
  assert_int_equal(episodes, 5);
  crl_env_free(env);
  csv_free(t);
}

static void test_golden_one_step(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++)
    run_golden(&goldens[i], 1);
}

static void test_golden_free_running(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++)
    run_golden(&goldens[i], 0);
}

/* Stepping on after termination: physics continues, terminated stays 1,
 * the reward drops to 0 after the terminating step; reset clears it. */
static void check_after_termination(const golden *g) {
  const char *mode = "after termination";
  csv *t = csv_load("cartpole_after_termination.csv");
  crl_env *env = NULL;
  assert_int_equal(crl_env_make(g->env, &env), 0);
  int s[4], o[4];
  assert_int_equal(csv_cols_with_prefix(t, "s_", s, 4), 4);
  assert_int_equal(csv_cols_with_prefix(t, "obs_", o, 4), 4);
  int ca = csv_col(t, "action"), cr = csv_col(t, "reward");
  int cterm = csv_col(t, "terminated"), ctrunc = csv_col(t, "truncated");
  int cbeyond = csv_col(t, "steps_beyond_terminated");
  assert_int_equal(t->nrows, 12);
  double state[4];
  crl_real obs[4];
  int ep = 0;
  for (int i = 0; i < 4; i++)
    state[i] = cell(t, 0, s[i]);
  assert_int_equal(crl_env_reset(env, NULL), 0);
  assert_int_equal(crl_env_set_state(env, state), 0);
  for (int st = 0; st < t->nrows; st++) {
    assert_int_equal(crl_env_get_state(env, state), 0);
    for (int i = 0; i < 4; i++)
      CHECK_EQ(state[i], cell(t, st, s[i]), t->names[s[i]]);
    crl_real a = action_of(g, cell(t, st, ca));
    double reward;
    int term, trunc;
    assert_int_equal(crl_env_step(env, &a, obs, &reward, &term, &trunc), 0);
    for (int i = 0; i < 4; i++)
      CHECK_EQ((double)obs[i], cell(t, st, o[i]), t->names[o[i]]);
    CHECK_EQ(reward, cell(t, st, cr), "reward");
    CHECK_EQ(term, cell(t, st, cterm), "terminated");
    CHECK_EQ(trunc, cell(t, st, ctrunc), "truncated");
    /* The counter is not exposed; the reward shows it: set from row 7. */
    double beyond = cell(t, st, cbeyond);
    CHECK_EQ(reward, isnan(beyond) || beyond == 0 ? 1.0 : 0.0, "reward");
  }
  /* set_state starts a fresh episode: the next terminating step pays 1. */
  assert_int_equal(crl_env_get_state(env, state), 0);
  assert_int_equal(crl_env_set_state(env, state), 0);
  crl_real a = (crl_real)1.0;
  double reward;
  int term, trunc;
  assert_int_equal(crl_env_step(env, &a, obs, &reward, &term, &trunc), 0);
  assert_int_equal(term, 1);
  assert_true(reward == 1.0);
  assert_int_equal(crl_env_step(env, &a, obs, &reward, &term, &trunc), 0);
  assert_true(reward == 0.0);
  /* So does reset: pushing right from a reset state falls within 20 steps,
   * and that step pays 1 again. */
  assert_int_equal(crl_env_reset(env, NULL), 0);
  term = 0;
  for (int i = 0; i < 20 && !term; i++) {
    assert_int_equal(crl_env_step(env, &a, obs, &reward, &term, &trunc), 0);
    assert_true(reward == 1.0);
  }
  assert_int_equal(term, 1);
  crl_env_free(env);
  csv_free(t);
}

static void test_cartpole_after_termination(void **state) {
  (void)state;
  check_after_termination(&goldens[1]);
  check_after_termination(&goldens[2]);
}

/* The observation of each state in resets.csv, including MountainCar's
 * float32 view of its double reset state and Acrobot's float32 state. */
static void test_reset_observations(void **state) {
  (void)state;
  csv *t = csv_load("resets.csv");
  int cs[4], co[6];
  assert_int_equal(csv_cols_with_prefix(t, "state", cs, 4), 4);
  assert_int_equal(csv_cols_with_prefix(t, "obs", co, 6), 6);
  assert_int_equal(t->nrows, 20);
  for (int r = 0; r < t->nrows; r++) {
    crl_env *env = NULL;
    assert_int_equal(crl_env_make(t->keys[r], &env), 0);
    int ns = crl_env_get_type(env)->state_dim;
    int nobs = crl_env_obs_space(env)->dim;
    double st[4];
    crl_real obs[6];
    for (int i = 0; i < ns; i++)
      st[i] = cell(t, r, cs[i]);
    assert_int_equal(crl_env_reset(env, NULL), 0);
    assert_int_equal(crl_env_set_state(env, st), 0);
    assert_int_equal(crl_env_observe(env, obs), 0);
    for (int i = 0; i < nobs; i++)
      if (!((double)obs[i] == cell(t, r, co[i])))
        fail_msg("%s seed %d: reset obs%d is %.17g, Gymnasium %.17g",
                 t->keys[r], (int)cell(t, r, 1), i, (double)obs[i],
                 cell(t, r, co[i]));
    crl_env_free(env);
  }
  csv_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_one_step),
      cmocka_unit_test(test_golden_free_running),
      cmocka_unit_test(test_cartpole_after_termination),
      cmocka_unit_test(test_reset_observations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
