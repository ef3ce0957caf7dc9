/* The runner's experiment files: YAML flattening, every kind of bad input
 * with its FILE:LINE:COL message, --set overrides, seeds, the resolved
 * config round trip, and a small training run with a toy algorithm on a
 * toy env (progress.csv columns, evaluation rows, determinism). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/commands.h"
#include "config/run_config.h"
#include "crl/crl.h"
#include "plot/plot.h"
#include "run/runner.h"
#include "toy.h"

/* ---- helpers ------------------------------------------------------------ */

static char tmp_dir[256];
static char yaml_path[300];

static int setup_group(void **state) {
  (void)state;
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/crl-test-config-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL)
    return -1;
  snprintf(yaml_path, sizeof yaml_path, "%s/exp.yaml", tmp_dir);
  return toy_register();
}

static int teardown_group(void **state) {
  (void)state;
  char command[400];
  snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
  return system(command) == 0 ? 0 : -1;
}

static void write_yaml(const char *text) {
  FILE *f = fopen(yaml_path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

#define BASE "env: Toy-v0\nalgo: toy\nn_timesteps: 160\n"

/* Load text with --set options; returns the rc, message in err. */
static int load(const char *text, const char *const *sets, int n_sets,
                cli_run_config *cfg, char *err) {
  write_yaml(text);
  err[0] = '\0';
  return cli_config_load(yaml_path, sets, n_sets, cfg, err, CLI_ERR_SIZE);
}

/* The load fails with "PATH:" + tail exactly. */
static void expect_error(const char *text, const char *tail) {
  cli_run_config cfg;
  char err[CLI_ERR_SIZE], expected[CLI_ERR_SIZE];
  assert_int_equal(load(text, NULL, 0, &cfg, err), -1);
  snprintf(expected, sizeof expected, "%s:%s", yaml_path, tail);
  assert_string_equal(err, expected);
}

static void expect_set_error(const char *set, const char *message) {
  cli_run_config cfg;
  char err[CLI_ERR_SIZE];
  const char *sets[1] = {set};
  assert_int_equal(load(BASE, sets, 1, &cfg, err), -1);
  assert_string_equal(err, message);
}

static const toy_spec *spec_of(const cli_run_config *cfg) {
  return cfg->algo_spec;
}

/* ---- flattening --------------------------------------------------------- */

static void test_flatten_positions(void **state) {
  (void)state;
  write_yaml("env: Toy-v0   # comment\n"
             "policy_kwargs:\n"
             "  net_arch: [64, 64]\n"
             "  activation: tanh\n"
             "seeds:\n  - 1\n  - 2\n"
             "eval: {every: 40, episodes: 2}\n"
             "target: \n"
             "n_timesteps: !!float 1e3\n");
  cli_cfg_entries e = {0};
  char err[CLI_ERR_SIZE];
  assert_int_equal(cli_cfg_load_yaml(yaml_path, &e, err, sizeof err), 0);
  assert_int_equal(e.n, 8);
  const char *keys[] = {"env",
                        "policy_kwargs.net_arch",
                        "policy_kwargs.activation",
                        "seeds",
                        "eval.every",
                        "eval.episodes",
                        "target",
                        "n_timesteps"};
  const char *values[] = {"Toy-v0", "[64, 64]", "tanh", "[1, 2]",
                          "40",     "2",        "",     "1e3"};
  for (int i = 0; i < 8; i++) {
    assert_string_equal(e.v[i].key, keys[i]);
    assert_string_equal(e.v[i].value, values[i]);
  }
  assert_int_equal(e.v[1].key_line, 3);
  assert_int_equal(e.v[1].key_col, 3);
  assert_int_equal(e.v[1].value_line, 3);
  assert_int_equal(e.v[1].value_col, 13);
  assert_int_equal(e.v[5].value_line, 8);
  assert_int_equal(e.v[5].value_col, 29);
  assert_int_equal(cli_cfg_find(&e, "eval.every"), 4);
  assert_int_equal(cli_cfg_find(&e, "eval"), -1);
  cli_cfg_entries_free(&e);
}

static void test_valid_config(void **state) {
  (void)state;
  cli_run_config cfg;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load(BASE
                        "n_envs: 2\nseeds: [3, 4]\naction: -0.25\n"
                        "policy_kwargs: {net_arch: [8], activation: relu}\n"
                        "name: \"a: b\"\n",
                        NULL, 0, &cfg, err),
                   0);
  assert_string_equal(cfg.keys.env, "Toy-v0");
  assert_int_equal(cfg.keys.n_timesteps, 160);
  assert_int_equal(cfg.keys.n_envs, 2);
  assert_int_equal(cfg.keys.seeds.n, 2);
  assert_int_equal(cfg.keys.seeds.v[1], 4);
  assert_int_equal(cfg.keys.eval_every, 8); /* 160 / 20 */
  assert_int_equal(cfg.keys.eval_episodes, 10);
  assert_string_equal(cfg.keys.name, "a: b");
  assert_true(spec_of(&cfg)->action == -0.25);
  assert_int_equal(spec_of(&cfg)->net_arch.n, 1);
  assert_int_equal(spec_of(&cfg)->activation, 1);
  cli_config_free(&cfg);
}

/* ---- every kind of bad input -------------------------------------------- */

static void test_unknown_keys(void **state) {
  (void)state;
  expect_error(BASE "actoin: 0.1\n",
               "4:1: error: unknown key 'actoin' (did you mean 'action'?)");
  expect_error(BASE "n_timestep: 5\n",
               "4:1: error: unknown key 'n_timestep' (did you mean "
               "'n_timesteps'?)");
  expect_error(BASE "policy_kwargs:\n  net_arc: [1]\n",
               "5:3: error: unknown key 'policy_kwargs.net_arc' (did you "
               "mean 'policy_kwargs.net_arch'?)");
  expect_error(BASE "zzzzzzzzzzzz: 1\n",
               "4:1: error: unknown key 'zzzzzzzzzzzz' (`crl algos toy` lists "
               "the algorithm's keys)");
  expect_error(BASE "eval: 5\n",
               "4:7: error: 'eval' expects a mapping with keys every, "
               "episodes, deterministic, got \"5\"");
  expect_error(BASE "policy_kwargs: \"dict(net_arch=[64])\"\n",
               "4:16: error: 'policy_kwargs' expects a mapping with keys "
               "net_arch, activation, got \"dict(net_arch=[64])\"");
  expect_error(BASE "action: {x: 1}\n",
               "4:10: error: 'action' is a single value, not a mapping (found "
               "'action.x')");
}

static void test_bad_values(void **state) {
  (void)state;
  expect_error(BASE "n_steps: abc\n",
               "4:10: error: 'n_steps' expects an integer in [1, 1000], got "
               "\"abc\"");
  expect_error(BASE "n_steps: 5000\n",
               "4:10: error: 'n_steps' expects an integer in [1, 1000], got "
               "\"5000\"");
  expect_error(BASE "n_envs: 0\n",
               "4:9: error: 'n_envs' expects an integer in [1, 4096], got "
               "\"0\"");
  expect_error("env: Toy-v0\nalgo: toy\nn_timesteps: [1, 2]\n",
               "3:14: error: 'n_timesteps' expects an integer >= 1, got "
               "\"[1, 2]\"");
  expect_error(BASE "policy_kwargs:\n  activation: tahn\n",
               "5:15: error: 'policy_kwargs.activation' expects one of "
               "tanh|relu, got \"tahn\" (did you mean 'tanh'?)");
  expect_error(BASE "seeds: [1, -2]\n",
               "4:8: error: 'seeds' expects a list of at most 16 integers "
               ">= 0, like [64, 64], got \"[1, -2]\"");
  expect_error(BASE "policy: CnnPolicy\n",
               "4:9: error: 'policy' expects one of MlpPolicy, got "
               "\"CnnPolicy\" (did you mean 'MlpPolicy'?)");
  expect_error(BASE "seeds: [[1], {a: 2}]\n",
               "4:14: error: 'seeds' lists a mapping; a list may hold only "
               "numbers, strings or lists");
}

static void test_missing_and_unknown_names(void **state) {
  (void)state;
  expect_error("algo: toy\nn_timesteps: 10\n",
               "1:1: error: missing required key 'env': environment name "
               "(required; `crl envs` lists them)");
  expect_error("env: Toy-v0\nalgo: toy\n",
               "1:1: error: missing required key 'n_timesteps': env steps to "
               "train for, all copies together (required)");
  expect_error("env: Toy-v1\nalgo: toy\nn_timesteps: 10\n",
               "1:6: error: unknown env 'Toy-v1' (did you mean 'Toy-v0'?)");
  expect_error("env: Nothing-v9\nalgo: toy\nn_timesteps: 10\n",
               "1:6: error: unknown env 'Nothing-v9' (`crl envs` lists them)");
  expect_error("env: Toy-v0\nalgo: toyy\nn_timesteps: 10\n",
               "2:7: error: unknown algo 'toyy' (did you mean 'toy'?)");
}

static void test_malformed_yaml(void **state) {
  (void)state;
  expect_error(BASE "seeds: [1, 2\n",
               "5:1: error: malformed YAML: did not find expected ',' or ']' "
               "(while parsing a flow sequence that started at line 4)");
  expect_error("env: Toy-v0\n  algo: toy\n",
               "2:7: error: malformed YAML: mapping values are not allowed in "
               "this context");
  expect_error("", "1:1: error: the file is empty; an experiment needs at "
                   "least env, algo and n_timesteps");
  expect_error("- env\n- algo\n",
               "1:1: error: an experiment file must be a mapping of keys "
               "(env: ..., algo: ..., ...)");
  expect_error(BASE "---\nenv: Toy-v0\n",
               "5:1: error: a second YAML document; an experiment file holds "
               "one");
  expect_error(BASE "[a]: 1\n", "4:1: error: keys must be plain names");
  cli_run_config cfg;
  char err[CLI_ERR_SIZE];
  assert_int_equal(
      cli_config_load("/nonexistent/x.yaml", NULL, 0, &cfg, err, sizeof err),
      -1);
  assert_string_equal(err, "/nonexistent/x.yaml: error: cannot open: No such "
                           "file or directory");
}

static void test_duplicates(void **state) {
  (void)state;
  expect_error(BASE "n_envs: 2\nn_envs: 3\n",
               "5:1: error: duplicate key 'n_envs' (first given at line 4)");
  expect_error(BASE "eval:\n  every: 2\n  every: 3\n",
               "6:3: error: duplicate key 'eval.every' (first given at line "
               "5)");
  expect_error(BASE "policy_kwargs: {activation: relu}\n"
                    "policy_kwargs.activation: tanh\n",
               "5:1: error: duplicate key 'policy_kwargs.activation' (first "
               "given at line 4)");
  expect_error(BASE "seed: 1\nseeds: [2]\n",
               "5:1: error: give either 'seed' or 'seeds', not both");
  expect_error(BASE "seeds: []\n",
               "4:8: error: 'seeds' expects at least one seed");
}

static void test_trial_construction(void **state) {
  (void)state;
  expect_error(BASE "n_steps: 13\n", " error: toy: n_steps 13 is unlucky");
}

/* ---- overrides and seeds ------------------------------------------------ */

static void test_set_overrides(void **state) {
  (void)state;
  cli_run_config cfg;
  char err[CLI_ERR_SIZE];
  const char *sets[] = {"n_envs=3",
                        "policy_kwargs.net_arch=[32,32]",
                        "policy_kwargs={activation: relu}",
                        "eval.every=0",
                        "learning_rate=3e-4",
                        "name=hello world"};
  assert_int_equal(load(BASE "n_envs: 2\npolicy_kwargs: {net_arch: [8]}\n",
                        sets, 6, &cfg, err),
                   0);
  assert_int_equal(cfg.keys.n_envs, 3);
  assert_int_equal(spec_of(&cfg)->net_arch.n, 2);
  assert_int_equal(spec_of(&cfg)->net_arch.v[1], 32);
  assert_int_equal(spec_of(&cfg)->activation, 1);
  assert_int_equal(cfg.keys.eval_every, 0);
  assert_int_equal(spec_of(&cfg)->learning_rate.linear, 0);
  assert_string_equal(cfg.keys.name, "hello world");
  cli_config_free(&cfg);

  expect_set_error("n_envs", "--set n_envs: error: expected KEY=VALUE, like "
                             "--set n_envs=4");
  expect_set_error("=3", "--set =3: error: expected KEY=VALUE, like --set "
                         "n_envs=4");
  expect_set_error("zzzz=1", "--set zzzz=1: error: unknown key 'zzzz' "
                             "(`crl algos toy` lists the algorithm's keys)");
  expect_set_error("actio=1", "--set actio=1: error: unknown key 'actio' "
                              "(did you mean 'action'?)");
  expect_set_error("action=2", "--set action=2: error: 'action' expects a "
                               "number in [-1, 1], got \"2\"");
  expect_set_error("seeds=[1, 2", "--set seeds=[1, 2: error: malformed "
                                  "value: did not find expected ',' or ']'");
}

static void test_seeds(void **state) {
  (void)state;
  cli_run_config cfg;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load(BASE, NULL, 0, &cfg, err), 0);
  assert_int_equal(cfg.keys.seeds.n, 1); /* default: seed 0 */
  assert_int_equal(cfg.keys.seeds.v[0], 0);
  cli_config_free(&cfg);
  assert_int_equal(load(BASE "seed: 7\n", NULL, 0, &cfg, err), 0);
  assert_int_equal(cfg.keys.seeds.n, 1);
  assert_int_equal(cfg.keys.seeds.v[0], 7);
  cli_config_set_single_seed(&cfg, 9); /* --seed 9 */
  assert_int_equal(cfg.keys.seeds.n, 1);
  assert_int_equal(cfg.keys.seeds.v[0], 9);
  cli_config_free(&cfg);
  /* An override of one form replaces the file's other form. */
  const char *set_seed[] = {"seed=5"};
  assert_int_equal(load(BASE "seeds: [1, 2, 3]\n", set_seed, 1, &cfg, err), 0);
  assert_int_equal(cfg.keys.seeds.n, 1);
  assert_int_equal(cfg.keys.seeds.v[0], 5);
  cli_config_free(&cfg);
  const char *set_seeds[] = {"seeds=[4, 5]"};
  assert_int_equal(load(BASE "seed: 1\n", set_seeds, 1, &cfg, err), 0);
  assert_int_equal(cfg.keys.seeds.n, 2);
  assert_int_equal(cfg.keys.seeds.v[1], 5);
  cli_config_free(&cfg);
}

/* The resolved config reads back to the same settings. */
static void test_resolved_round_trip(void **state) {
  (void)state;
  cli_run_config a, b;
  char err[CLI_ERR_SIZE];
  assert_int_equal(load(BASE
                        "seeds: [1, 2]\naction: 0.1\nlearning_rate: "
                        "lin_3e-4\ndescription: 'it''s \"quoted\"'\n"
                        "policy_kwargs: {net_arch: [], activation: relu}\n",
                        NULL, 0, &a, err),
                   0);
  char text[4096];
  FILE *f = fmemopen(text, sizeof text, "w");
  assert_int_equal(cli_config_write_yaml(&a, f), 0);
  fclose(f);
  assert_non_null(strstr(text, "eval:\n  every: 8\n  episodes: 10\n"));
  assert_non_null(strstr(text, "policy_kwargs:\n  net_arch: []\n"
                               "  activation: relu\n"));
  assert_null(strstr(text, "\nseed:"));
  assert_int_equal(load(text, NULL, 0, &b, err), 0);
  assert_memory_equal(&a.keys, &b.keys, sizeof a.keys);
  assert_memory_equal(a.algo_spec, b.algo_spec, sizeof(toy_spec));
  cli_config_free(&a);
  cli_config_free(&b);
}

static void test_default_run_dir(void **state) {
  (void)state;
  char dir[256];
  cli_default_run_dir("experiments/pendulum/ppo.yaml", dir, sizeof dir);
  assert_string_equal(dir, "runs/pendulum_ppo");
  cli_default_run_dir("ppo.yaml", dir, sizeof dir);
  assert_string_equal(dir, "runs/ppo");
  cli_default_run_dir("./my.exp.yaml", dir, sizeof dir);
  assert_string_equal(dir, "runs/my.exp");
  cli_default_run_dir("/abs/cart/a2c.yml", dir, sizeof dir);
  assert_string_equal(dir, "runs/cart_a2c");
}

/* ---- a run --------------------------------------------------------------- */

static void read_file(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* Drop the last column (wall_seconds) of every line. */
static void strip_wall_seconds(char *text) {
  char *out = text;
  for (char *line = text; *line;) {
    size_t len = strcspn(line, "\n");
    size_t keep = len;
    while (keep > 0 && line[keep - 1] != ',')
      keep--;
    keep = keep > 0 ? keep - 1 : 0; /* the comma too */
    memmove(out, line, keep);
    out += keep;
    *out++ = '\n';
    line += len + (line[len] == '\n');
  }
  *out = '\0';
}

static void run_once(const char *dir, char *csv, size_t size,
                     cli_seed_result *r) {
  cli_run_config cfg;
  char err[CLI_ERR_SIZE], path[512];
  assert_int_equal(load(BASE "n_envs: 2\neval: {every: 50, episodes: 2}\n",
                        NULL, 0, &cfg, err),
                   0);
  cli_progress p;
  cli_progress_init(&p, CLI_PROGRESS_QUIET, stderr, 1, 160);
  cli_progress_seed_begin(&p, 0, 3);
  int rc = cli_run_seed(&cfg, 3, dir, &p, r, err, sizeof err);
  if (rc)
    fail_msg("%s", err);
  snprintf(path, sizeof path, "%s/progress.csv", dir);
  read_file(path, csv, size);
  cli_config_free(&cfg);
}

static void test_run_seed(void **state) {
  (void)state;
  char dir1[300], dir2[300], csv1[8192], csv2[8192];
  snprintf(dir1, sizeof dir1, "%s/run1/seed_3", tmp_dir);
  snprintf(dir2, sizeof dir2, "%s/run2/seed_3", tmp_dir);
  cli_seed_result r1, r2;
  run_once(dir1, csv1, sizeof csv1, &r1);
  run_once(dir2, csv2, sizeof csv2, &r2);
  /* 16 steps per iteration (8 x 2 copies): 10 rows; evals where a multiple
   * of 50 is crossed (64, 112, 160) and at the end (160). */
  const char *header =
      "timesteps,episodes,episode_return,episode_return_mean,"
      "episode_length_mean,"
      "eval_return_mean,eval_return_std,learning_rate,policy_loss,"
      "value_loss,entropy,approx_kl,clip_fraction,explained_variance,ent_coef,"
      "wall_seconds\n";
  assert_memory_equal(csv1, header, strlen(header));
  int rows = 0, evals = 0;
  for (char *line = strchr(csv1, '\n') + 1; *line;
       line = strchr(line, '\n') + 1) {
    rows++;
    long t = strtol(line, NULL, 10);
    char *eval = line;
    for (int k = 0; k < 5; k++)
      eval = strchr(eval, ',') + 1;
    if (*eval != ',') {
      evals++;
      assert_true(t == 64 || t == 112 || t == 160);
    }
  }
  assert_int_equal(rows, 10);
  assert_int_equal(evals, 3);
  /* The schedules see the budget left after the iteration's collection,
   * as SB3 computes it: 1 - 16/160 in the first iteration. */
  assert_non_null(strstr(csv1, "\n16,0,,,,,,0.0009,0.9,"));
  assert_non_null(strstr(csv1, "\n32,2,")); /* 2 copies x 10-step episodes */
  assert_int_equal(r1.steps, 160);
  assert_true(isfinite(r1.final_eval_mean));
  assert_true(r1.final_eval_mean == r2.final_eval_mean);
  strip_wall_seconds(csv1);
  strip_wall_seconds(csv2);
  assert_string_equal(csv1, csv2);
}

static void test_summary_and_curve(void **state) {
  (void)state;
  cli_run_config cfg;
  char err[CLI_ERR_SIZE], path[400], text[4096];
  assert_int_equal(load(BASE, NULL, 0, &cfg, err), 0);
  cli_seed_result r[2] = {
      {0, 160, -1.0, 0.5, 1.0, 160.0, CLI_RUN_OK, "", NAN, 0, 0, 0, 0},
      {1, 160, -3.0, 0.5, 2.0, 80.0, CLI_RUN_OK, "", NAN, 0, 0, 0, 0}};
  snprintf(path, sizeof path, "%s/summary.json", tmp_dir);
  assert_int_equal(cli_write_summary(path, &cfg, r, 2, err, sizeof err), 0);
  read_file(path, text, sizeof text);
  assert_non_null(strstr(text, "\"env\": \"Toy-v0\""));
  assert_non_null(strstr(text, "\"n_timesteps\": 160"));
  assert_non_null(strstr(text, "\"final_eval_return_mean\": -2,"));
  assert_non_null(strstr(text, "\"final_eval_return_std\": 1,"));
  assert_non_null(strstr(text, "{\"seed\": 1, \"steps\": 160, "
                               "\"final_eval_return\": -3, "
                               "\"final_eval_return_std\": 0.5, "
                               "\"wall_seconds\": 2.000, "
                               "\"steps_per_second\": 80.0}"));
  cli_config_free(&cfg);

  /* Two seeds' eval rows (run1, run2 from test_run_seed are one seed each):
   * the curve of a directory with seed dirs aligns by eval index. */
  cli_curve c;
  snprintf(path, sizeof path, "%s/run1", tmp_dir);
  assert_int_equal(cli_curve_read(path, &c, err, sizeof err), 0);
  assert_int_equal(c.n_seeds, 1);
  assert_int_equal(c.n_points, 3);
  assert_true(c.steps[0] == 64 && c.steps[2] == 160);
  assert_true(c.std[1] == 0.0);
  assert_string_equal(c.label, "run1");
  cli_curve_free(&c);
  assert_int_equal(cli_curve_read(tmp_dir, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "no seed_<k>/progress.csv here"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flatten_positions),
      cmocka_unit_test(test_valid_config),
      cmocka_unit_test(test_unknown_keys),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_missing_and_unknown_names),
      cmocka_unit_test(test_malformed_yaml),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_trial_construction),
      cmocka_unit_test(test_set_overrides),
      cmocka_unit_test(test_seeds),
      cmocka_unit_test(test_resolved_round_trip),
      cmocka_unit_test(test_default_run_dir),
      cmocka_unit_test(test_run_seed),
      cmocka_unit_test(test_summary_and_curve),
  };
  return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
