/* Experiment files beyond the basic keys: grids, expect blocks, env_kwargs,
 * checkpoint keys, the configuration carried as text by checkpoints, and
 * the input that used to get past validation or hang it (empty mappings,
 * duplicate seeds, huge files and networks, a second --set document, hex
 * numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/experiment.h"
#include "config/run_config.h"
#include "toy.h"

static char tmp_dir[256];
static char yaml_path[300];

static int setup_group(void **state) {
  (void)state;
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/crl-test-experiment-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL)
    return -1;
  snprintf(yaml_path, sizeof yaml_path, "%s/exp.yaml", tmp_dir);
  return toy_register();
}

static int teardown_group(void **state) {
  (void)state;
  remove(yaml_path);
  return rmdir(tmp_dir);
}

static void write_yaml(const char *text) {
  FILE *f = fopen(yaml_path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

#define BASE "env: Toy-v0\nalgo: toy\nn_timesteps: 160\n"

static int load_x(const char *text, const char *const *sets, int n_sets,
                  cli_experiment *x, char *err) {
  write_yaml(text);
  err[0] = '\0';
  return cli_experiment_load(yaml_path, sets, n_sets, -1, x, err, CLI_ERR_SIZE);
}

/* Loading fails with a message that contains `part`. */
static void expect_failure(const char *text, const char *part) {
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load_x(text, NULL, 0, &x, err), -1);
  if (strstr(err, part) == NULL)
    fail_msg("'%s' not in '%s'", part, err);
}

static void expect_set_failure(const char *set, const char *part) {
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  const char *sets[1] = {set};
  assert_int_equal(load_x(BASE, sets, 1, &x, err), -1);
  if (strstr(err, part) == NULL)
    fail_msg("'%s' not in '%s'", part, err);
}

/* ---- grids --------------------------------------------------------------- */

static void test_grid_points(void **state) {
  (void)state;
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load_x(BASE
                          "seeds: [1, 2]\n"
                          "grid:\n  action: [0.25, -0.5]\n"
                          "  policy_kwargs.net_arch: [[64, 64], [8], []]\n",
                          NULL, 0, &x, err),
                   0);
  assert_int_equal(x.n_axes, 2);
  assert_int_equal(x.n_points, 6);
  assert_string_equal(x.names[0], "action=0.25_policy_kwargs.net_arch=64-64");
  assert_string_equal(x.names[2], "action=0.25_policy_kwargs.net_arch=empty");
  assert_string_equal(x.names[4], "action=-0.5_policy_kwargs.net_arch=8");
  const toy_spec *s = x.points[4].algo_spec;
  assert_true(s->action == -0.5);
  assert_int_equal(s->net_arch.n, 1);
  assert_int_equal(s->net_arch.v[0], 8);
  assert_int_equal(cli_config_seed_count(&x.points[5]), 2);
  /* The resolved experiment reads back to the same points. */
  char text[8192];
  FILE *f = fmemopen(text, sizeof text, "w");
  assert_int_equal(cli_experiment_write_yaml(&x, f), 0);
  fclose(f);
  cli_experiment y;
  assert_int_equal(load_x(text, NULL, 0, &y, err), 0);
  assert_int_equal(y.n_points, 6);
  for (int p = 0; p < 6; p++) {
    assert_string_equal(x.names[p], y.names[p]);
    assert_memory_equal(x.points[p].algo_spec, y.points[p].algo_spec,
                        sizeof(toy_spec));
  }
  cli_experiment_free(&x);
  cli_experiment_free(&y);
  /* No grid: one point without a name; grid: {} is no grid. */
  assert_int_equal(load_x(BASE "grid: {}\n", NULL, 0, &x, err), 0);
  assert_int_equal(x.n_points, 1);
  assert_string_equal(x.names[0], "");
  cli_experiment_free(&x);
}

/* Grid values and names hold any characters: a comma or '#' inside a
 * quoted item stays part of it, and the resolved file (config.yaml) reads
 * back to the same bytes, control characters included. */
static void test_strings_round_trip(void **state) {
  (void)state;
  cli_experiment x, y;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load_x(BASE "name: \"del\\x7f c1\\x80\\x9f nel\\N ls\\L\"\n"
                               "grid:\n  description: [\"a, b\", c, \"x #y\", "
                               "\"[q]\", \"say \\\"hi\\\"\"]\n",
                          NULL, 0, &x, err),
                   0);
  assert_int_equal(x.n_points, 5);
  const char *want[] = {"a, b", "c", "x #y", "[q]", "say \"hi\""};
  for (int p = 0; p < 5; p++)
    assert_string_equal(x.points[p].keys.description, want[p]);
  assert_string_equal(x.points[0].keys.name,
                      "del\x7f c1\xc2\x80\xc2\x9f nel\xc2\x85 ls\xe2\x80\xa8");
  char text[8192];
  FILE *f = fmemopen(text, sizeof text, "w");
  assert_int_equal(cli_experiment_write_yaml(&x, f), 0);
  fclose(f);
  if (load_x(text, NULL, 0, &y, err) != 0)
    fail_msg("%s\n%s", err, text);
  assert_int_equal(y.n_points, 5);
  for (int p = 0; p < 5; p++) {
    assert_string_equal(y.points[p].keys.description, want[p]);
    assert_string_equal(y.points[p].keys.name, x.points[0].keys.name);
    assert_string_equal(x.names[p], y.names[p]);
  }
  cli_experiment_free(&x);
  cli_experiment_free(&y);
}

/* 100,000 nested '[' took libyaml over a minute to load before the depth
 * was checked: the events are read first and the file is refused at the
 * 35th level, at once. A directory is not "malformed YAML". */
static void test_deep_nesting_refused_early(void **state) {
  (void)state;
  enum { DEPTH = 100000 };
  const char *head = BASE "grid:\n  gamma: ";
  const size_t h = strlen(head);
  char *text = malloc(h + 2 * (size_t)DEPTH + 1);
  assert_non_null(text);
  memcpy(text, head, h);
  memset(text + h, '[', DEPTH);
  memset(text + h + DEPTH, ']', DEPTH);
  text[h + 2 * (size_t)DEPTH] = '\0';
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  expect_failure(text, ":5:42: error: mappings and lists nested more than 34 "
                       "levels deep");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double seconds = (double)(t1.tv_sec - t0.tv_sec) +
                   1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  if (seconds > 10.0) /* a bound on a denial of service, not a benchmark */
    fail_msg("refusing took %.1f s", seconds);
  free(text);
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(
      cli_experiment_load(tmp_dir, NULL, 0, -1, &x, err, sizeof err), -1);
  if (strstr(err, "cannot read: Is a directory") == NULL)
    fail_msg("'%s'", err);
}

static void test_grid_errors(void **state) {
  (void)state;
  expect_failure(BASE "grid: {action: 0.5}\n",
                 "4:16: error: 'grid.action' expects a list of values");
  expect_failure(BASE "grid: {seed: [1, 2]}\n", "'grid' cannot vary seeds");
  expect_failure(BASE "grid: {actoin: [0.1]}\n",
                 "4:8: error: unknown key 'actoin' (did you mean 'action'?)");
  /* One bad point: its location and name. */
  expect_failure(BASE "grid: {action: [0.5, 2]}\n",
                 "4:16: error: 'action' expects a number in [-1, 1], got \"2\" "
                 "(grid point action=2)");
  expect_failure(BASE "grid: {n_steps: [8, 13]}\n",
                 "toy: n_steps 13 is unlucky (grid point n_steps=13)");
  expect_failure(BASE "grid: 3\n", "'grid' expects a mapping");
}

/* ---- expect -------------------------------------------------------------- */

static void test_expect_blocks(void **state) {
  (void)state;
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(
      load_x(BASE
             "expect:\n  final_eval_return_mean: {min: -200}\n"
             "  eval_return_mean: {min: 475, by_step: 100000}\n"
             "  episode_return: {max: -1.5e1, smooth: 10, by_episode: 100}\n",
             NULL, 0, &x, err),
      0);
  const cli_run_config *c = &x.points[0];
  assert_int_equal(c->n_expect, 3);
  assert_string_equal(c->expect[0].metric, "final_eval_return_mean");
  assert_true(c->expect[0].min == -200 && isnan(c->expect[0].max));
  assert_int_equal(c->expect[1].by_step, 100000);
  assert_true(c->expect[2].max == -15 && c->expect[2].smooth == 10);
  assert_int_equal(c->expect[2].by_episode, 100);
  char text[8192];
  FILE *f = fmemopen(text, sizeof text, "w");
  assert_int_equal(cli_config_write_body(c, f), 0);
  fclose(f);
  assert_non_null(strstr(text,
                         "expect:\n  final_eval_return_mean: {min: -200}\n"
                         "  eval_return_mean: {min: 475, by_step: 100000}\n"
                         "  episode_return: {max: -15, by_episode: 100, "
                         "smooth: 10}\n"));
  cli_run_config back;
  assert_int_equal(cli_config_from_text(text, "text", &back, err, sizeof err),
                   0);
  assert_memory_equal(back.expect, c->expect, sizeof c->expect);
  assert_memory_equal(&back.keys, &c->keys, sizeof c->keys);
  cli_config_free(&back);
  cli_experiment_free(&x);
}

static void test_expect_errors(void **state) {
  (void)state;
  expect_failure(BASE "expect: {final_eval_return: {min: 1}}\n",
                 "4:30: error: unknown expectation 'final_eval_return' (did "
                 "you mean 'final_eval_return_mean'?)");
  expect_failure(BASE "expect: {eval_return_mean: {mni: 1}}\n",
                 "unknown key 'expect.eval_return_mean.mni' (did you mean "
                 "'min'?)");
  expect_failure(
      BASE "expect: {eval_return_mean: -200}\n",
      "'expect.eval_return_mean' expects a mapping like {min: -200}");
  expect_failure(BASE "expect: {eval_return_mean: {by_step: 5}}\n",
                 "'expect.eval_return_mean' needs min or max");
  expect_failure(BASE
                 "expect: {final_eval_return_mean: {min: 1, by_step: 5}}\n",
                 "by_step, by_episode and smooth apply to progress.csv");
  expect_failure(BASE "expect: {eval_return_mean: {min: abc}}\n",
                 "4:34: error: 'min' expects a number or null");
  expect_failure(BASE "expect: {wall_seconds: {max: 1}}\n",
                 "unknown expectation 'wall_seconds'");
}

/* ---- env_kwargs, checkpoint keys ----------------------------------------- */

static void test_env_kwargs(void **state) {
  (void)state;
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load_x(BASE "env_kwargs: {speed: 0.5}\n", NULL, 0, &x, err),
                   0);
  assert_string_equal(x.points[0].env_name, "Toy-v0{speed=0.5}");
  assert_non_null(crl_env_find("Toy-v0{speed=0.5}"));
  crl_env *env = NULL;
  crl_real obs[1], a[1] = {1};
  double r;
  int term, trunc;
  assert_int_equal(crl_env_make(x.points[0].env_name, &env), 0);
  assert_int_equal(crl_env_reset(env, obs), 0);
  double x0 = obs[0];
  assert_int_equal(crl_env_step(env, a, obs, &r, &term, &trunc), 0);
  assert_true(fabs(obs[0] - x0 - 0.5) < 1e-6); /* moved by the setting */
  crl_env_free(env);
  /* Loading it again reuses the registered type. */
  cli_experiment y;
  assert_int_equal(load_x(BASE "env_kwargs: {speed: 0.5}\n", NULL, 0, &y, err),
                   0);
  char text[8192];
  FILE *f = fmemopen(text, sizeof text, "w");
  assert_int_equal(cli_config_write_body(&y.points[0], f), 0);
  fclose(f);
  assert_non_null(strstr(text, "env: Toy-v0\n"));
  assert_non_null(strstr(text, "env_kwargs:\n  speed: \"0.5\"\n"));
  cli_experiment_free(&x);
  cli_experiment_free(&y);
  expect_failure(BASE "env_kwargs: {sped: 1}\n",
                 "4:14: error: env 'Toy-v0' has no setting 'sped' (did you "
                 "mean 'speed'?)");
  expect_failure(
      BASE "env_kwargs: {speed: 20}\n",
      "4:21: error: env_kwargs: 'speed' expects a number in [0, 10]");
  expect_failure("env: Pendulum-v1\nalgo: toy\nn_timesteps: 10\n"
                 "env_kwargs: {g: 9.8}\n",
                 "env 'Pendulum-v1' has no settings");
}

static void test_checkpoint_keys(void **state) {
  (void)state;
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(
      load_x(BASE "checkpoint: {every: 32, keep: 3}\n", NULL, 0, &x, err), 0);
  assert_int_equal(x.points[0].keys.checkpoint_every, 32);
  assert_int_equal(x.points[0].keys.checkpoint_keep, 3);
  cli_experiment_free(&x);
  assert_int_equal(load_x(BASE, NULL, 0, &x, err), 0);
  assert_int_equal(x.points[0].keys.checkpoint_every, 0);
  assert_int_equal(x.points[0].keys.checkpoint_keep, 1);
  cli_experiment_free(&x);
  expect_failure(BASE "checkpoint: {every: 32, keep: 0}\n",
                 "'checkpoint.keep' expects an integer in [1, 1000]");
}

/* ---- input that used to get through or hang ------------------------------ */

static void test_empty_mappings(void **state) {
  (void)state;
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load_x(BASE "policy_kwargs: {}\neval: {}\nexpect: {}\n"
                               "env_kwargs: {}\n",
                          NULL, 0, &x, err),
                   0);
  cli_experiment_free(&x);
  expect_failure(BASE "foo: {}\n", "4:1: error: unknown key 'foo'");
  expect_failure(BASE "learnign_rate: {}\n",
                 "4:1: error: unknown key 'learnign_rate' (did you mean "
                 "'learning_rate'?)");
  expect_failure(BASE "action: {}\n", "'action' expects a number");
}

static void test_duplicate_seeds(void **state) {
  (void)state;
  expect_failure(BASE "seeds: [0, 1, 0]\n",
                 "4:8: error: 'seeds' lists seed 0 twice");
}

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_many_keys_fail_fast(void **state) {
  (void)state;
  FILE *f = fopen(yaml_path, "w");
  assert_non_null(f);
  fputs(BASE, f);
  for (int i = 0; i < 200000; i++)
    fprintf(f, "k%d: {}\n", i);
  fclose(f);
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  double t0 = seconds();
  assert_int_equal(
      cli_experiment_load(yaml_path, NULL, 0, -1, &x, err, sizeof err), -1);
  assert_true(seconds() - t0 < 10.0);
  assert_non_null(strstr(err, "more than 4096 keys"));
  /* Many distinct keys in one mapping: duplicates found by sorting. */
  f = fopen(yaml_path, "w");
  fputs(BASE "policy_kwargs:\n", f);
  for (int i = 0; i < 4000; i++)
    fprintf(f, "  k%d: 1\n", i);
  fputs("  k17: 2\n", f);
  fclose(f);
  assert_int_equal(
      cli_experiment_load(yaml_path, NULL, 0, -1, &x, err, sizeof err), -1);
  assert_non_null(strstr(err, "duplicate key 'policy_kwargs.k17' (first "
                              "given at line 22)"));
}

static void test_network_size(void **state) {
  (void)state;
  expect_failure(BASE "policy_kwargs: {net_arch: [65536, 65536]}\n",
                 "4:27: error: 'policy_kwargs.net_arch' makes networks of "
                 "about 4.3e+09 weights");
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  double t0 = seconds();
  assert_int_equal(load_x(BASE "policy_kwargs: {net_arch: [3000, 3000]}\n",
                          NULL, 0, &x, err),
                   0);
  assert_true(seconds() - t0 < 5.0); /* the trial networks are narrow */
  cli_experiment_free(&x);
}

static void test_set_values(void **state) {
  (void)state;
  expect_set_failure("action=--- 0.5\n--- 0.2",
                     "error: the value holds more than one YAML document");
  expect_set_failure("n_steps=0x10", "'n_steps' expects an integer");
  expect_set_failure("action=0x1p-2", "'action' expects a number");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grid_points),
      cmocka_unit_test(test_strings_round_trip),
      cmocka_unit_test(test_deep_nesting_refused_early),
      cmocka_unit_test(test_grid_errors),
      cmocka_unit_test(test_expect_blocks),
      cmocka_unit_test(test_expect_errors),
      cmocka_unit_test(test_env_kwargs),
      cmocka_unit_test(test_checkpoint_keys),
      cmocka_unit_test(test_empty_mappings),
      cmocka_unit_test(test_duplicate_seeds),
      cmocka_unit_test(test_many_keys_fail_fast),
      cmocka_unit_test(test_network_size),
      cmocka_unit_test(test_set_values),
  };
  return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
