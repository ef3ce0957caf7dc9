/* RL Zoo files (tools/config/zoo.c and pyliteral.c): the Python literals of
 * policy_kwargs and normalize as YAML, `<<:` merges, and each convention
 * of the zoo translated or refused with the zoo file's line and column, on
 * the files of tests/data/zoo/ (written in the zoo's layout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/experiment.h"
#include "config/pyliteral.h"
#include "config/run_config.h"
#include "config/zoo.h"
#include "crl/crl.h"

/* ---- Python literals ------------------------------------------------------
 */

static void test_pyliteral_values(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"dict(net_arch=[64, 64], activation_fn=nn.ReLU)",
       "{net_arch: [64, 64], activation_fn: nn.ReLU}"},
      {"dict(\n  log_std_init=-3.29,\n  ortho_init=False,\n)",
       "{log_std_init: -3.29, ortho_init: false}"},
      {"{'norm_obs': False, \"norm_reward\": True}",
       "{norm_obs: false, norm_reward: true}"},
      {"dict(net_arch=dict(pi=[256], vf=[256]))",
       "{net_arch: {pi: [256], vf: [256]}}"},
      {"dict(a=(1, 2), b=None, c='x, y', d=1e-5, e=1_000)",
       "{a: [1, 2], b: null, c: \"x, y\", d: 1e-5, e: 1000}"},
      {"[]", "[]"},
      {"dict()", "{}"},
      {"dict(optimizer_kwargs=dict(eps=1e-5, alpha=0.99))",
       "{optimizer_kwargs: {eps: 1e-5, alpha: 0.99}}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[512], why[128];
    int offset = -1;
    int rc = cli_pyliteral_to_yaml(cases[i][0], out, sizeof out, &offset, why,
                                   sizeof why);
    if (rc != 0)
      fail_msg("%s: %s at %d", cases[i][0], why, offset);
    assert_string_equal(out, cases[i][1]);
  }
}

/* Each malformed literal: the reason and the offset where it was found. */
static void test_pyliteral_errors(void **state) {
  (void)state;
  static const struct {
    const char *src, *why;
    int offset;
  } cases[] = {
      {"dict(a=1", "expected ',' or ')'", 8},
      {"dict(a=1 b=2)", "expected ',' or ')'", 9},
      {"dict(a=RMSpropTFLike(eps=1))",
       "'RMSpropTFLike(...)' is a call; only dict(...) is understood", 7},
      {"{a: 1}", "a dictionary key must be a quoted string", 1},
      {"dict(a='x)", "a string that does not end", 10},
      {"dict(a=1e)", "a number with an empty exponent", 9},
      {"dict(a=[1, 2]) x", "unexpected 'x' after the value", 15},
      {"dict(a=@)", "expected a value", 7},
      {"dict(a='\\t')", "an escape other than", 9},
      {"dict(=1)", "expected a name", 5},
      {"dict(a='\xff')", "the byte 0xff (only printable ASCII", 8},
      {"dict(a=\x01)", "the byte 0x01", 7},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[512], why[128];
    int offset = -1;
    assert_int_equal(cli_pyliteral_to_yaml(cases[i].src, out, sizeof out,
                                           &offset, why, sizeof why),
                     -1);
    if (strstr(why, cases[i].why) == NULL || offset != cases[i].offset)
      fail_msg("%s: got \"%s\" at %d, wanted \"%s\" at %d", cases[i].src, why,
               offset, cases[i].why, cases[i].offset);
  }
  char deep[64] = "", out[512], why[128];
  for (int i = 0; i < 20; i++)
    strcat(deep, "[");
  int offset;
  assert_int_equal(
      cli_pyliteral_to_yaml(deep, out, sizeof out, &offset, why, sizeof why),
      -1);
  assert_non_null(strstr(why, "nested more than"));
  assert_int_equal(
      cli_pyliteral_to_yaml("[1, 2, 3]", out, 6, &offset, why, sizeof why), -1);
  assert_non_null(strstr(why, "longer than"));
}

/* ---- merge keys -----------------------------------------------------------
 */

static const char *value_of(const cli_cfg_entries *e, const char *key) {
  int i = cli_cfg_find(e, key);
  return i >= 0 ? e->v[i].value : NULL;
}

static void test_merge_keys(void **state) {
  (void)state;
  static const char text[] = "base: &base\n"
                             "  a: 1\n"
                             "  b: 2\n"
                             "  nested: {x: 1, y: 2}\n"
                             "more: &more\n"
                             "  b: 20\n"
                             "  c: 30\n"
                             "one:\n"
                             "  <<: *base\n"
                             "  a: 10\n"
                             "two:\n"
                             "  <<: [*more, *base]\n"
                             "three:\n"
                             "  <<: *base\n"
                             "  nested: {z: 3}\n"
                             "four:\n"
                             "  deeper: &deeper\n"
                             "    <<: *more\n"
                             "    d: 4\n"
                             "five:\n"
                             "  <<: *deeper\n";
  cli_cfg_entries e = {0};
  char err[CLI_ERR_SIZE];
  if (cli_cfg_load_yaml_text(text, "m.yaml", &e, err, sizeof err))
    fail_msg("%s", err);
  /* the mapping's own keys win over merged ones */
  assert_string_equal(value_of(&e, "one.a"), "10");
  assert_string_equal(value_of(&e, "one.b"), "2");
  assert_string_equal(value_of(&e, "one.nested.y"), "2");
  /* in a list of merges, the earlier mapping wins */
  assert_string_equal(value_of(&e, "two.b"), "20");
  assert_string_equal(value_of(&e, "two.a"), "1");
  assert_string_equal(value_of(&e, "two.c"), "30");
  /* a merge is shallow: an own nested mapping replaces the merged one */
  assert_string_equal(value_of(&e, "three.nested.z"), "3");
  assert_null(value_of(&e, "three.nested.x"));
  /* merges inside merged mappings */
  assert_string_equal(value_of(&e, "five.b"), "20");
  assert_string_equal(value_of(&e, "five.d"), "4");
  assert_null(value_of(&e, "one.<<"));
  /* where a merged value came from: the anchored mapping's line */
  int i = cli_cfg_find(&e, "one.b");
  assert_int_equal(e.v[i].key_line, 3);
  cli_cfg_entries_free(&e);

  static const char *const bad[][2] = {
      {"a: 1\nb:\n  <<: 3\n", "m.yaml:3:7: error: '<<' merges a mapping"},
      {"x: &x {k: 1}\nb:\n  <<: [*x, 2]\n",
       "m.yaml:3:7: error: '<<' merges a mapping"},
      {"x: &x {k: 1}\nb:\n  <<: *x\n  k: 2\n  k: 3\n",
       "m.yaml:5:3: error: duplicate key 'b.k'"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    cli_cfg_entries f = {0};
    assert_int_equal(
        cli_cfg_load_yaml_text(bad[k][0], "m.yaml", &f, err, sizeof err), -1);
    if (strstr(err, bad[k][1]) == NULL)
      fail_msg("%s: got \"%s\"", bad[k][0], err);
    cli_cfg_entries_free(&f);
  }
}

/* ---- zoo entries ----------------------------------------------------------
 */

static char zoo_dir[1024];

static const char *zoo_file(const char *name) {
  static char path[1200];
  snprintf(path, sizeof path, "%s/%s", zoo_dir, name);
  return path;
}

static cli_cfg_entries entries;
static char note[4096], err[CLI_ERR_SIZE];

static int zoo(const char *file, const char *env, const char *algo) {
  cli_cfg_entries_free(&entries);
  note[0] = err[0] = '\0';
  return cli_zoo_entries(zoo_file(file), env, algo, &entries, note, sizeof note,
                         err, sizeof err);
}

static void assert_value(const char *key, const char *want) {
  const char *got = value_of(&entries, key);
  if (got == NULL || strcmp(got, want) != 0)
    fail_msg("%s: got %s, wanted %s", key, got ? got : "(none)", want);
}

/* err holds "ppo.yml:LINE:COL: error: " and then the text. */
static void assert_error_at(const char *file, int line, const char *text) {
  char where[64];
  snprintf(where, sizeof where, "%s:%d:", file, line);
  if (strstr(err, where) == NULL || strstr(err, text) == NULL)
    fail_msg("got \"%s\", wanted %s... %s", err, where, text);
}

static void test_zoo_translations(void **state) {
  (void)state;
  assert_int_equal(zoo("ppo.yml", "CartPole-v1", NULL), 0);
  assert_string_equal(note, "");
  assert_value("env", "CartPole-v1");
  assert_value("algo", "ppo");
  assert_value("n_timesteps", "2000"); /* !!float 2e3 */
  assert_value("learning_rate", "lin_0.001");
  assert_value("policy_kwargs.net_arch", "[16]");
  assert_value("policy_kwargs.activation", "relu");
  assert_value("policy_kwargs.ortho_init", "false");
  assert_null(value_of(&entries, "policy_kwargs"));
  assert_null(value_of(&entries, "normalize"));

  assert_int_equal(zoo("ppo.yml", "Acrobot-v1", NULL), 0);
  assert_value("normalize", "true"); /* the zoo's true: both */
  assert_value("normalize_reward", "true");

  assert_int_equal(zoo("ppo.yml", "MountainCarContinuous-v0", NULL), 0);
  assert_value("normalize", "false");
  assert_value("normalize_reward", "true");
  assert_value("policy_kwargs.log_std_init", "-1.5");
  assert_value("policy_kwargs.net_arch", "[8, 8]"); /* pi == vf */

  /* td3: a merged default, [N, "step"], noise as crl names it */
  assert_int_equal(zoo("td3.yml", "Pendulum-v1", NULL), 0);
  assert_value("algo", "td3");
  assert_value("train_freq", "1");
  assert_value("gradient_steps", "1");
  assert_value("noise_type", "normal");
  assert_value("n_timesteps", "1500");
  assert_value("policy_kwargs.net_arch", "[32, 32]");

  /* gSDE goes to PPO and A2C as it is; without use_sde its settings go */
  assert_int_equal(zoo("ppo.yml", "Pendulum-v1", NULL), 0);
  assert_value("use_sde", "True");
  assert_value("sde_sample_freq", "4");
  assert_int_equal(zoo("td3.yml", "Pendulum-v1", NULL), 0);
  assert_null(value_of(&entries, "use_sde"));
}

static void test_zoo_entry_choice(void **state) {
  (void)state;
  /* another version of the env id: its entry runs on crl's version */
  assert_int_equal(zoo("ppo.yml", "Pendulum-v0", NULL), 0);
  assert_value("env", "Pendulum-v1");
  assert_non_null(strstr(note, "crl has Pendulum-v1, not Pendulum-v0"));
  assert_value("normalize", "true"); /* from the merged anchor */
  assert_value("n_timesteps", "200000");
  if (crl_env_find("Ant-v5") != NULL) { /* -Dmujoco=enabled */
    assert_int_equal(zoo("ppo.yml", "Ant-v4", NULL), 0);
    assert_value("env", "Ant-v5");
    /* crl's id when the file has another version's entry: the way to it */
    assert_int_equal(zoo("ppo.yml", "Ant-v5", NULL), -1);
    assert_non_null(strstr(err, "no entry for 'Ant-v5', but one for 'Ant-v4'"));
  }
  /* no entry: default:, said in the note */
  assert_int_equal(zoo("ppo.yml", "ShortCorridor-v0", NULL), 0);
  assert_non_null(strstr(note, "using its 'default' entry"));
  assert_value("n_timesteps", "1000000");
  assert_value("env", "ShortCorridor-v0");
  assert_int_equal(zoo("td3.yml", "ShortCorridor-v0", NULL), 0);
  assert_value("noise_std", "0.1");
  /* an env crl does not have, an algorithm it does not have */
  assert_int_equal(zoo("ppo.yml", "LunarLander-v3", NULL), -1);
  assert_non_null(strstr(err, "crl has no env 'LunarLander-v3'"));
  assert_int_equal(zoo("ppo.yml", "CartPole-v1", "dqn"), -1);
  assert_non_null(strstr(err, "crl has no algorithm 'dqn' (--algo"));
  assert_int_equal(zoo("missing.yml", "CartPole-v1", "ppo"), -1);
  assert_non_null(strstr(err, "cannot open"));
}

/* What crl cannot do: one error naming the zoo key, at its place. */
static void test_zoo_refusals(void **state) {
  (void)state;
  assert_int_equal(zoo("ppo.yml", "Pendulum-v1", "td3"), -1);
  assert_error_at("ppo.yml", 47,
                  "RL Zoo key 'use_sde': crl has gSDE (generalized "
                  "state-dependent exploration) for ppo, a2c, trpo, sac, "
                  "tqc and crossq only");
  assert_int_equal(zoo("ppo.yml", "CartPoleContinuous-v1", NULL), -1);
  assert_error_at("ppo.yml", 71, "VecNormalize's 'clip_obs' is 10 in crl");
  assert_int_equal(zoo("td3.yml", "Pendulum-v0", NULL), -1);
  assert_error_at("td3.yml", 22,
                  "net_arch gives the actor [64, 64] and the critic "
                  "[400, 300]");
  /* train_freq in episodes is SB3's TrainFreq(1, "episode") */
  assert_int_equal(zoo("td3.yml", "MountainCarContinuous-v0", NULL), 0);
  assert_value("train_freq", "1");
  assert_value("train_freq_unit", "episode");
  assert_int_equal(zoo("td3.yml", "CartPole-v1", NULL), -1);
  assert_error_at("td3.yml", 32, "RL Zoo key 'callback'");
}

/* The whole path: entries validated against the algorithm, positions in
 * the zoo file; a batch_size that does not divide the rollout is SB3's. */
/* CrossQ's actor and critics have layers of their own: the zoo's one
 * list gives both, dict(pi=, qf=) each; 1_000_000 is YAML 1.1's int. */
static void test_zoo_crossq(void **state) {
  (void)state;
  assert_int_equal(zoo("crossq.yml", "Pendulum-v1", NULL), 0);
  assert_value("algo", "crossq");
  assert_value("policy_delay", "2");
  assert_value("policy_kwargs.net_arch.pi", "[32, 32]");
  assert_value("policy_kwargs.net_arch.qf", "[32, 32]");
  assert_int_equal(zoo("crossq.yml", "CartPoleContinuous-v1", NULL), 0);
  assert_value("buffer_size", "1000000");
  assert_value("learning_starts", "5000");
  assert_value("policy_kwargs.net_arch.pi", "[64, 64]");
  assert_value("policy_kwargs.net_arch.qf", "[128, 128]");
}

static void test_zoo_experiment(void **state) {
  (void)state;
  cli_experiment x;
  assert_int_equal(cli_experiment_load_zoo(zoo_file("ppo.yml"), "CartPole-v1",
                                           NULL, NULL, 0, 7, &x, note,
                                           sizeof note, err, sizeof err),
                   0);
  assert_int_equal(x.n_points, 1);
  assert_int_equal(x.points[0].keys.n_timesteps, 2000);
  assert_int_equal(x.points[0].keys.n_envs, 2);
  assert_int_equal(cli_config_seed_at(&x.points[0], 0), 7);
  cli_experiment_free(&x);
  const char *sets[] = {"n_envs=4"};
  assert_int_equal(cli_experiment_load_zoo(zoo_file("ppo.yml"), "CartPole-v1",
                                           NULL, sets, 1, -1, &x, note,
                                           sizeof note, err, sizeof err),
                   0);
  assert_int_equal(x.points[0].keys.n_envs, 4);
  cli_experiment_free(&x);
  /* a2c has no batch_size: the key is named where the zoo file has it */
  assert_int_equal(cli_experiment_load_zoo(zoo_file("ppo.yml"), "CartPole-v1",
                                           "a2c", NULL, 0, -1, &x, note,
                                           sizeof note, err, sizeof err),
                   -1);
  assert_error_at("ppo.yml", 17, "unknown key 'batch_size'");
  /* td3 on the default entry of a discrete env: the algorithm says no */
  assert_int_equal(cli_experiment_load_zoo(zoo_file("td3.yml"), "CartPole-v1",
                                           NULL, NULL, 0, -1, &x, note,
                                           sizeof note, err, sizeof err),
                   -1);
}

static void test_zoo_hint(void **state) {
  (void)state;
  char hint[4096];
  assert_int_equal(cli_zoo_hint(zoo_file("ppo.yml"), hint, sizeof hint), 1);
  assert_non_null(strstr(hint, "looks like an RL Zoo hyperparameter file"));
  assert_non_null(strstr(hint, "--env CartPole-v1"));
  char path[1200];
  snprintf(path, sizeof path, "%s/../../../experiments/pendulum/ppo.yaml",
           zoo_dir);
  assert_int_equal(cli_zoo_hint(path, hint, sizeof hint), 0);
  assert_int_equal(cli_zoo_hint(zoo_file("missing.yml"), hint, sizeof hint), 0);
}

static int setup(void **state) {
  (void)state;
  const char *root = getenv("CRL_SOURCE_ROOT");
  snprintf(zoo_dir, sizeof zoo_dir, "%s/tests/data/zoo", root ? root : ".");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  cli_cfg_entries_free(&entries);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pyliteral_values),
      cmocka_unit_test(test_pyliteral_errors),
      cmocka_unit_test(test_merge_keys),
      cmocka_unit_test(test_zoo_translations),
      cmocka_unit_test(test_zoo_entry_choice),
      cmocka_unit_test(test_zoo_refusals),
      cmocka_unit_test(test_zoo_crossq),
      cmocka_unit_test(test_zoo_experiment),
      cmocka_unit_test(test_zoo_hint),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
