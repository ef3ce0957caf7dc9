/* Declared hyperparameters: every kind, ranges, bad text, suggestions and
 * the format/parse round trip. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crl/error.h"
#include "crl/params.h"

typedef struct spec {
  int n_steps;
  double gamma;
  double target_kl;
  int normalize;
  int activation;
  crl_schedule learning_rate;
  crl_int_list net_arch;
  char name[CRL_STRING_MAX];
  int anything;
  double free_real;
  crl_schedule clip_vf;
} spec;

static const crl_param_def defs[] = {
    {"n_steps", CRL_PARAM_INT, offsetof(spec, n_steps), "2048", 1, 1000000,
     NULL, "steps per env per update"},
    {"gamma", CRL_PARAM_REAL, offsetof(spec, gamma), "0.99", 0, 1, NULL,
     "discount"},
    {"target_kl", CRL_PARAM_REAL_OPT, offsetof(spec, target_kl), "null", 0,
     INFINITY, NULL, "KL early stop"},
    {"normalize", CRL_PARAM_BOOL, offsetof(spec, normalize), "false", 0, 0,
     NULL, "normalise observations"},
    {"policy_kwargs.activation", CRL_PARAM_ENUM, offsetof(spec, activation),
     "tanh", 0, 0, "tanh|relu|identity", "hidden activation"},
    {"learning_rate", CRL_PARAM_SCHEDULE, offsetof(spec, learning_rate),
     "0.0003", 0, 1, NULL, "Adam step size"},
    {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, offsetof(spec, net_arch),
     "[64, 64]", 1, 4096, NULL, "hidden layer sizes"},
    {"name", CRL_PARAM_STRING, offsetof(spec, name), "run", 0, 0, NULL,
     "a label"},
    {"anything", CRL_PARAM_INT, offsetof(spec, anything), "-5", 0, 0, NULL,
     "no range"},
    {"free_real", CRL_PARAM_REAL, offsetof(spec, free_real), "1", -INFINITY,
     INFINITY, NULL, "open range"},
    {"clip_vf", CRL_PARAM_SCHEDULE, offsetof(spec, clip_vf), "null", 0, 10,
     NULL, "a schedule that may be off"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

static spec fresh(void) {
  spec s;
  memset(&s, 0xAB, sizeof s);
  assert_int_equal(crl_params_defaults(defs, &s), 0);
  return s;
}

static void expect_error(const char *key, const char *value, int code,
                         const char *message) {
  spec s = fresh();
  spec before = s;
  assert_int_equal(crl_params_set(defs, &s, key, value), code);
  assert_string_equal(crl_last_error(), message);
  assert_memory_equal(&s, &before, sizeof s); /* unchanged on failure */
}

static void test_defaults(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(s.n_steps, 2048);
  assert_true(s.gamma == 0.99);
  assert_true(isnan(s.target_kl));
  assert_int_equal(s.normalize, 0);
  assert_int_equal(s.activation, 0);
  assert_true(s.learning_rate.start == 0.0003);
  assert_int_equal(s.learning_rate.linear, 0);
  assert_int_equal(s.net_arch.n, 2);
  assert_int_equal(s.net_arch.v[0], 64);
  assert_int_equal(s.net_arch.v[1], 64);
  assert_string_equal(s.name, "run");
  assert_int_equal(s.anything, -5);
}

static void test_bad_default_is_reported(void **state) {
  (void)state;
  int x;
  const crl_param_def bad[] = {{"k", CRL_PARAM_INT, 0, "zero", 0, 10, NULL, ""},
                               {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
  assert_int_equal(crl_params_defaults(bad, &x), CRL_EFORMAT);
  assert_non_null(strstr(crl_last_error(), "default of 'k' is invalid"));
}

static void test_int(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "n_steps", "512"), 0);
  assert_int_equal(s.n_steps, 512);
  assert_int_equal(crl_params_set(defs, &s, "n_steps", "1e6"), 0);
  assert_int_equal(s.n_steps, 1000000);
  assert_int_equal(crl_params_set(defs, &s, "n_steps", " 7 "), 0);
  assert_int_equal(s.n_steps, 7);
  assert_int_equal(crl_params_set(defs, &s, "anything", "-123456"), 0);
  assert_int_equal(s.anything, -123456);
  expect_error("n_steps", "abc", CRL_EFORMAT,
               "'n_steps' expects an integer in [1, 1000000], got \"abc\"");
  expect_error("n_steps", "0", CRL_ERANGE,
               "'n_steps' expects an integer in [1, 1000000], got \"0\"");
  expect_error("n_steps", "1000001", CRL_ERANGE,
               "'n_steps' expects an integer in [1, 1000000], got \"1000001\"");
  expect_error("n_steps", "1.5", CRL_EFORMAT,
               "'n_steps' expects an integer in [1, 1000000], got \"1.5\"");
  expect_error("n_steps", "", CRL_EFORMAT,
               "'n_steps' expects an integer in [1, 1000000], got \"\"");
  expect_error("n_steps", "12abc", CRL_EFORMAT,
               "'n_steps' expects an integer in [1, 1000000], got \"12abc\"");
  expect_error("anything", "99999999999", CRL_ERANGE,
               "'anything' expects an integer, got \"99999999999\" "
               "(integers go up to 2147483647)");
}

static void test_real(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "gamma", "0.9"), 0);
  assert_true(s.gamma == 0.9);
  assert_int_equal(crl_params_set(defs, &s, "gamma", "1"), 0);
  assert_true(s.gamma == 1.0);
  assert_int_equal(crl_params_set(defs, &s, "free_real", "-1e300"), 0);
  assert_true(s.free_real == -1e300);
  expect_error("gamma", "1.01", CRL_ERANGE,
               "'gamma' expects a number in [0, 1], got \"1.01\"");
  expect_error("gamma", "high", CRL_EFORMAT,
               "'gamma' expects a number in [0, 1], got \"high\"");
  expect_error("gamma", "nan", CRL_EFORMAT,
               "'gamma' expects a number in [0, 1], got \"nan\"");
  expect_error("free_real", "inf", CRL_EFORMAT,
               "'free_real' expects a number, got \"inf\"");
  expect_error("gamma", "null", CRL_EFORMAT,
               "'gamma' expects a number in [0, 1], got \"null\"");
}

static void test_real_opt(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "target_kl", "0.02"), 0);
  assert_true(s.target_kl == 0.02);
  const char *nulls[] = {"null", "~", "None", "NULL", ""};
  for (int i = 0; i < 5; i++) {
    s.target_kl = 1;
    assert_int_equal(crl_params_set(defs, &s, "target_kl", nulls[i]), 0);
    assert_true(isnan(s.target_kl));
  }
  expect_error("target_kl", "-0.1", CRL_ERANGE,
               "'target_kl' expects a number >= 0 or null, got \"-0.1\"");
  expect_error("target_kl", "x", CRL_EFORMAT,
               "'target_kl' expects a number >= 0 or null, got \"x\"");
}

static void test_bool(void **state) {
  (void)state;
  spec s = fresh();
  const char *yes[] = {"true", "True", "yes", "on", "1"};
  const char *no[] = {"false", "FALSE", "no", "off", "0"};
  for (int i = 0; i < 5; i++) {
    assert_int_equal(crl_params_set(defs, &s, "normalize", yes[i]), 0);
    assert_int_equal(s.normalize, 1);
    assert_int_equal(crl_params_set(defs, &s, "normalize", no[i]), 0);
    assert_int_equal(s.normalize, 0);
  }
  expect_error("normalize", "maybe", CRL_EFORMAT,
               "'normalize' expects a boolean (true or false), got \"maybe\"");
}

static void test_enum(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "policy_kwargs.activation", "relu"),
                   0);
  assert_int_equal(s.activation, 1);
  assert_int_equal(
      crl_params_set(defs, &s, "policy_kwargs.activation", "identity"), 0);
  assert_int_equal(s.activation, 2);
  expect_error("policy_kwargs.activation", "tahn", CRL_EFORMAT,
               "'policy_kwargs.activation' expects one of tanh|relu|identity, "
               "got \"tahn\" (did you mean 'tanh'?)");
  expect_error("policy_kwargs.activation", "sigmoid", CRL_EFORMAT,
               "'policy_kwargs.activation' expects one of tanh|relu|identity, "
               "got \"sigmoid\"");
  expect_error("policy_kwargs.activation", "tan", CRL_EFORMAT,
               "'policy_kwargs.activation' expects one of tanh|relu|identity, "
               "got \"tan\" (did you mean 'tanh'?)");
}

static void test_schedule(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "learning_rate", "lin_0.001"), 0);
  assert_int_equal(s.learning_rate.linear, 1);
  assert_true(s.learning_rate.start == 0.001);
  assert_true(crl_schedule_value(&s.learning_rate, 1.0) == 0.001);
  assert_true(crl_schedule_value(&s.learning_rate, 0.5) == 0.0005);
  assert_true(crl_schedule_value(&s.learning_rate, 0.0) == 0.0);
  assert_int_equal(crl_params_set(defs, &s, "learning_rate", "3e-4"), 0);
  assert_int_equal(s.learning_rate.linear, 0);
  assert_true(crl_schedule_value(&s.learning_rate, 0.1) == 3e-4);
  expect_error("learning_rate", "lin_", CRL_EFORMAT,
               "'learning_rate' expects a number in [0, 1] or lin_<number>, "
               "got \"lin_\"");
  expect_error("learning_rate", "exp_0.1", CRL_EFORMAT,
               "'learning_rate' expects a number in [0, 1] or lin_<number>, "
               "got \"exp_0.1\"");
  expect_error("learning_rate", "lin_2", CRL_ERANGE,
               "'learning_rate' expects a number in [0, 1] or lin_<number>, "
               "got \"lin_2\"");
  /* null only where the default is null (PPO's clip_range_vf) */
  expect_error("learning_rate", "null", CRL_EFORMAT,
               "'learning_rate' expects a number in [0, 1] or lin_<number>, "
               "got \"null\"");
  assert_true(isnan(s.clip_vf.start));
  assert_true(isnan(crl_schedule_value(&s.clip_vf, 0.5)));
  char buf[64];
  assert_int_equal(crl_params_format(defs, &s, "clip_vf", buf, sizeof buf), 0);
  assert_string_equal(buf, "null");
  assert_int_equal(crl_params_set(defs, &s, "clip_vf", "lin_0.2"), 0);
  assert_true(crl_schedule_value(&s.clip_vf, 0.5) == 0.1);
  assert_int_equal(crl_params_format(defs, &s, "clip_vf", buf, sizeof buf), 0);
  assert_string_equal(buf, "lin_0.2");
  assert_int_equal(crl_params_set(defs, &s, "clip_vf", "null"), 0);
  assert_true(isnan(s.clip_vf.start));
  expect_error("clip_vf", "lin_11", CRL_ERANGE,
               "'clip_vf' expects a number in [0, 10] or lin_<number>, or "
               "null, got \"lin_11\"");
}

static void test_int_list(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(
      crl_params_set(defs, &s, "policy_kwargs.net_arch", "[32,16, 8]"), 0);
  assert_int_equal(s.net_arch.n, 3);
  assert_int_equal(s.net_arch.v[2], 8);
  assert_int_equal(crl_params_set(defs, &s, "policy_kwargs.net_arch", "[]"), 0);
  assert_int_equal(s.net_arch.n, 0);
  assert_int_equal(crl_params_set(defs, &s, "policy_kwargs.net_arch", "256"),
                   0);
  assert_int_equal(s.net_arch.n, 1);
  assert_int_equal(s.net_arch.v[0], 256);
  const char *expected =
      "'policy_kwargs.net_arch' expects a list of at most 16 integers in "
      "[1, 4096], like [64, 64], got \"%s\"";
  const char *bad[] = {"[64, x]",
                       "[64,]",
                       "[64",
                       "64]",
                       "[1.5]",
                       "",
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]"};
  char message[512];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(message, sizeof message, expected, bad[i]);
    expect_error("policy_kwargs.net_arch", bad[i], CRL_EFORMAT, message);
  }
  snprintf(message, sizeof message, expected, "[64, 0]");
  expect_error("policy_kwargs.net_arch", "[64, 0]", CRL_ERANGE, message);
}

/* A REAL_LIST takes inf, +inf, -inf and YAML's .inf, -.inf only on the
 * sides where its range is open (a Gymnasium range like (0.7, inf)). */
typedef struct ranges {
  crl_real_list open, closed, half;
} ranges;

static const crl_param_def range_defs[] = {
    {"open", CRL_PARAM_REAL_LIST, offsetof(ranges, open), "[0.7, inf]",
     -INFINITY, INFINITY, NULL, "open both sides"},
    {"closed", CRL_PARAM_REAL_LIST, offsetof(ranges, closed), "[0, 1]", -10, 10,
     NULL, "bounded"},
    {"half", CRL_PARAM_REAL_LIST, offsetof(ranges, half), "[0]", 0, INFINITY,
     NULL, "open above"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};

static void test_real_list_infinities(void **state) {
  (void)state;
  ranges r;
  assert_int_equal(crl_params_defaults(range_defs, &r), 0);
  assert_int_equal(r.open.n, 2);
  assert_true(r.open.v[0] == 0.7 && isinf(r.open.v[1]) && r.open.v[1] > 0);
  assert_int_equal(
      crl_params_set(range_defs, &r, "open", "[-.inf, +inf, .inf, -inf, 2]"),
      0);
  assert_int_equal(r.open.n, 5);
  assert_true(r.open.v[0] == -INFINITY && r.open.v[1] == INFINITY &&
              r.open.v[2] == INFINITY && r.open.v[3] == -INFINITY &&
              r.open.v[4] == 2);
  char buf[64];
  assert_int_equal(crl_params_format(range_defs, &r, "open", buf, sizeof buf),
                   0);
  assert_string_equal(buf, "[-inf, inf, inf, -inf, 2]");
  assert_int_equal(crl_params_set(range_defs, &r, "half", "[1, inf]"), 0);
  assert_int_equal(crl_params_set(range_defs, &r, "half", "[-inf]"),
                   CRL_EFORMAT);
  assert_int_equal(crl_params_set(range_defs, &r, "closed", "[0, inf]"),
                   CRL_EFORMAT);
  assert_int_equal(crl_params_set(range_defs, &r, "open", "[0, infinity]"),
                   CRL_EFORMAT);
  assert_int_equal(crl_params_set(range_defs, &r, "open", "[0, nan]"),
                   CRL_EFORMAT);
  assert_int_equal(crl_params_set(range_defs, &r, "open", "[0, in f]"),
                   CRL_EFORMAT);
}

static void test_string(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, "name", "my run: 1"), 0);
  assert_string_equal(s.name, "my run: 1");
  char long_text[400];
  memset(long_text, 'x', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  expect_error("name", long_text, CRL_ERANGE,
               "'name' expects a string of at most 255 characters, got 399");
}

static void test_unknown_key_suggests(void **state) {
  (void)state;
  expect_error("learning_rat", "1", CRL_ENOTFOUND,
               "unknown key 'learning_rat' (did you mean 'learning_rate'?)");
  expect_error("n_step", "1", CRL_ENOTFOUND,
               "unknown key 'n_step' (did you mean 'n_steps'?)");
  expect_error("policy_kwargs.net_arc", "[1]", CRL_ENOTFOUND,
               "unknown key 'policy_kwargs.net_arc' (did you mean "
               "'policy_kwargs.net_arch'?)");
  expect_error("zzzzzzzz", "1", CRL_ENOTFOUND, "unknown key 'zzzzzzzz'");
  assert_string_equal(crl_params_suggest(defs, "gamm"), "gamma");
  assert_null(crl_params_suggest(defs, "qqqqqqqqqq"));
  assert_non_null(crl_params_find(defs, "gamma"));
  assert_null(crl_params_find(defs, "gamm"));
}

static void expect_format(const spec *s, const char *key, const char *text) {
  char buf[128];
  assert_int_equal(crl_params_format(defs, s, key, buf, sizeof buf), 0);
  assert_string_equal(buf, text);
}

static void test_format(void **state) {
  (void)state;
  spec s = fresh();
  expect_format(&s, "n_steps", "2048");
  expect_format(&s, "gamma", "0.99");
  expect_format(&s, "target_kl", "null");
  expect_format(&s, "normalize", "false");
  expect_format(&s, "policy_kwargs.activation", "tanh");
  expect_format(&s, "learning_rate", "0.0003");
  expect_format(&s, "policy_kwargs.net_arch", "[64, 64]");
  expect_format(&s, "name", "run");
  assert_int_equal(crl_params_set(defs, &s, "learning_rate", "lin_1e-3"), 0);
  expect_format(&s, "learning_rate", "lin_0.001");
  assert_int_equal(crl_params_set(defs, &s, "policy_kwargs.net_arch", "[]"), 0);
  expect_format(&s, "policy_kwargs.net_arch", "[]");
  s.free_real = 0.1 + 0.2; /* needs 17 digits to read back */
  expect_format(&s, "free_real", "0.30000000000000004");

  char small[4];
  assert_int_equal(
      crl_params_format(defs, &s, "policy_kwargs.activation", small, 4),
      CRL_ERANGE);
  assert_int_equal(crl_params_format(defs, &s, "gama", small, 4),
                   CRL_ENOTFOUND);
  assert_int_equal(
      crl_params_set(defs, &s, "policy_kwargs.net_arch", "[1000, 1000, 1000]"),
      0);
  assert_int_equal(
      crl_params_format(defs, &s, "policy_kwargs.net_arch", small, 4),
      CRL_ERANGE);
}

/* Every field formatted and parsed back gives the same spec. */
static void test_round_trip(void **state) {
  (void)state;
  spec a = fresh();
  assert_int_equal(crl_params_set(defs, &a, "n_steps", "77"), 0);
  assert_int_equal(crl_params_set(defs, &a, "gamma", "0.123456789012345"), 0);
  assert_int_equal(crl_params_set(defs, &a, "target_kl", "0.015"), 0);
  assert_int_equal(crl_params_set(defs, &a, "normalize", "yes"), 0);
  assert_int_equal(
      crl_params_set(defs, &a, "policy_kwargs.activation", "identity"), 0);
  assert_int_equal(crl_params_set(defs, &a, "learning_rate", "lin_7.3e-4"), 0);
  assert_int_equal(
      crl_params_set(defs, &a, "policy_kwargs.net_arch", "[400, 300, 1]"), 0);
  assert_int_equal(crl_params_set(defs, &a, "name", "x y"), 0);
  a.free_real = 1.0 / 3.0;
  spec b = fresh();
  for (const crl_param_def *d = defs; d->name; d++) {
    char buf[256];
    assert_int_equal(crl_params_format(defs, &a, d->name, buf, sizeof buf), 0);
    assert_int_equal(crl_params_set(defs, &b, d->name, buf), 0);
  }
  assert_int_equal(a.n_steps, b.n_steps);
  assert_true(a.gamma == b.gamma);
  assert_true(a.target_kl == b.target_kl);
  assert_int_equal(a.normalize, b.normalize);
  assert_int_equal(a.activation, b.activation);
  assert_true(a.learning_rate.start == b.learning_rate.start);
  assert_int_equal(a.learning_rate.linear, b.learning_rate.linear);
  assert_memory_equal(&a.net_arch, &b.net_arch, sizeof a.net_arch);
  assert_string_equal(a.name, b.name);
  assert_true(a.free_real == b.free_real);
}

static void test_kind_names(void **state) {
  (void)state;
  assert_string_equal(crl_param_kind_name(CRL_PARAM_INT), "integer");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_REAL), "number");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_REAL_OPT),
                      "number or null");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_BOOL), "boolean");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_ENUM), "choice");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_SCHEDULE), "schedule");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_INT_LIST),
                      "list of integers");
  assert_string_equal(crl_param_kind_name(CRL_PARAM_STRING), "string");
}

static void test_null_arguments(void **state) {
  (void)state;
  spec s = fresh();
  assert_int_equal(crl_params_set(defs, &s, NULL, "1"), CRL_EINVAL);
  assert_int_equal(crl_params_set(defs, &s, "gamma", NULL), CRL_EINVAL);
  assert_int_equal(crl_params_defaults(NULL, &s), CRL_EINVAL);
  assert_null(crl_params_find(NULL, "gamma"));
  assert_null(crl_params_suggest(defs, NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_bad_default_is_reported),
      cmocka_unit_test(test_int),
      cmocka_unit_test(test_real),
      cmocka_unit_test(test_real_opt),
      cmocka_unit_test(test_bool),
      cmocka_unit_test(test_enum),
      cmocka_unit_test(test_schedule),
      cmocka_unit_test(test_int_list),
      cmocka_unit_test(test_real_list_infinities),
      cmocka_unit_test(test_string),
      cmocka_unit_test(test_unknown_key_suggests),
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_kind_names),
      cmocka_unit_test(test_null_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
