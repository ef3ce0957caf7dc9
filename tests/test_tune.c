/* crl tune: the samplers (random search's distributions, TPE's pull
 * towards good regions against random search, the same draws for the
 * same seed and trial), the search: block read back from what it writes,
 * and a small study run end to end whose pruning and sampling are
 * recomputed from its files: every trial pruned exactly where the median
 * rule says, none elsewhere, each sampled from the trials W places back. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/experiment.h"
#include "tune/sampler.h"
#include "tune/study.h"
#include "tune/tune_run.h"

/* ---- a search space from YAML -----------------------------------------------
 */

static char err[CLI_ERR_SIZE];

#define PENDULUM                                                               \
  "env: Pendulum-v1\nalgo: ppo\nn_timesteps: 4096\nn_envs: 2\nseed: 0\n"       \
  "eval: {every: 1024, episodes: 2}\nn_steps: 256\nbatch_size: 64\n"           \
  "n_epochs: 2\npolicy_kwargs: {net_arch: [8, 8]}\n"

/* A study's experiment from text (not run). */
static int study_from(const char *text, cli_study *st) {
  cli_cfg_entries e = {0};
  memset(st, 0, sizeof *st);
  st->pruner = CLI_PRUNER_MEDIAN;
  st->sampler = CLI_SAMPLER_TPE;
  int rc = cli_cfg_load_yaml_text(text, "test.yaml", &e, err, sizeof err);
  if (rc == 0)
    rc = cli_study_init(st, &e, "test.yaml", err, sizeof err);
  cli_cfg_entries_free(&e);
  return rc;
}

static void test_space_reads_back(void **state) {
  (void)state;
  cli_study st, again;
  assert_int_equal(
      study_from(PENDULUM
                 "search:\n"
                 "  learning_rate: {log_uniform: [1e-5, 1e-2]}\n"
                 "  gamma: {uniform: [0.9, 0.9999]}\n"
                 "  n_epochs: {int_uniform: [2, 6]}\n"
                 "  n_steps: {int_log_uniform: [64, 512]}\n"
                 "  policy_kwargs.net_arch: {choice: [[8, 8], [16]]}\n"
                 "  policy_kwargs.activation: {choice: [tanh, relu]}\n",
                 &st),
      0);
  assert_int_equal(st.space.n, 6);
  assert_int_equal(st.space.p[0].kind, CLI_DIST_LOG_UNIFORM);
  assert_true(st.space.p[0].low == 1e-5 && st.space.p[0].high == 1e-2);
  assert_int_equal(st.space.p[4].choices.n, 2);
  assert_string_equal(st.space.p[4].choices.values[1], "[16]");
  /* What it writes is read back to the same space. */
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_int_equal(cli_experiment_write_yaml(&st.base, f), 0);
  cli_search_write_yaml(&st.space, f);
  fclose(f);
  assert_int_equal(study_from(text, &again), 0);
  free(text);
  assert_int_equal(again.space.n, st.space.n);
  for (int i = 0; i < st.space.n; i++) {
    assert_string_equal(again.space.p[i].key, st.space.p[i].key);
    assert_int_equal(again.space.p[i].kind, st.space.p[i].kind);
    assert_true(again.space.p[i].low == st.space.p[i].low);
    assert_true(again.space.p[i].high == st.space.p[i].high);
    assert_int_equal(again.space.p[i].choices.n, st.space.p[i].choices.n);
  }
  /* Values go to text and back. */
  double x[6] = {3.0625e-4, 0.95, 4, 100, 1, 0}, back;
  for (int i = 0; i < 6; i++) {
    char v[CRL_STRING_MAX];
    assert_int_equal(cli_search_value_text(&st.space, i, x[i], v, sizeof v), 0);
    assert_int_equal(cli_search_value_parse(&st.space, i, v, &back), 0);
    assert_true(back == x[i]);
  }
  assert_int_equal(cli_search_value_parse(&st.space, 2, "7", &back), -1);
  assert_int_equal(cli_search_value_parse(&st.space, 5, "elu", &back), -1);
  cli_study_free(&st);
  cli_study_free(&again);
}

/* Each bad block is one error at its entry. */
static void test_space_errors(void **state) {
  (void)state;
  static const struct {
    const char *block, *message;
  } cases[] = {
      {"  gamma: {uniform: [0.99, 0.9]}", "test.yaml:12:20: error: "
                                          "'search.gamma.uniform': the range"},
      {"  learning_rate: {log_uniform: [-1, 1]}", "bounds above 0"},
      {"  learnin_rate: {uniform: [0, 1]}", "did you mean 'learning_rate'"},
      {"  n_steps: {uniform: [64, 512]}", "takes integers"},
      {"  n_steps: {choice: [64, 1.5]}", "choice 2 (1.5)"},
      {"  gamma: {uniform: [0.9]}", "expects two numbers"},
      {"  gamma: {normal: [0.9, 1]}", "needs a distribution"},
      {"  n_timesteps: {choice: [10, 20]}", "does not vary 'n_timesteps'"},
      {"  gamma: 0.9", "needs a distribution"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[2048];
    cli_study st;
    snprintf(text, sizeof text, "%ssearch:\n%s\n", PENDULUM, cases[i].block);
    assert_int_equal(study_from(text, &st), -1);
    if (strstr(err, cases[i].message) == NULL)
      fail_msg("%s: got '%s'", cases[i].block, err);
    cli_study_free(&st);
  }
  cli_study st;
  assert_int_equal(study_from(PENDULUM, &st), -1);
  assert_non_null(strstr(err, "no search: block"));
  cli_study_free(&st);
  assert_int_equal(
      study_from("env: Pendulum-v1\nalgo: ppo\nn_timesteps: 4096\n"
                 "eval: {every: 0}\nsearch: {gamma: {uniform: [0.9, 1]}}\n",
                 &st),
      -1);
  assert_non_null(strstr(err, "the median pruner compares evaluations"));
  cli_study_free(&st);
}

/* ---- the samplers
 * ---------------------------------------------------------------- */

static cli_search_space one_param(cli_dist_kind kind, double low, double high) {
  cli_search_space s = {.n = 1};
  snprintf(s.p[0].key, sizeof s.p[0].key, "x");
  s.p[0].kind = kind;
  s.p[0].low = low;
  s.p[0].high = high;
  return s;
}

static void test_random_distributions(void **state) {
  (void)state;
  cli_search_space lg = one_param(CLI_DIST_LOG_UNIFORM, 1e-5, 1e-1);
  cli_search_space in = one_param(CLI_DIST_INT_UNIFORM, 2, 6);
  int below = 0, counts[7] = {0};
  const int n = 4000;
  for (int t = 0; t < n; t++) {
    double x, y, again;
    assert_int_equal(
        cli_sampler_suggest(&lg, CLI_SAMPLER_RANDOM, 7, t, NULL, 0, &x), 0);
    assert_true(x >= 1e-5 && x <= 1e-1);
    below += x < 1e-3; /* half of the log range */
    assert_int_equal(
        cli_sampler_suggest(&in, CLI_SAMPLER_RANDOM, 7, t, NULL, 0, &y), 0);
    assert_true(y == floor(y) && y >= 2 && y <= 6);
    counts[(int)y]++;
    /* The same seed and trial draw the same, whatever else happened. */
    cli_sampler_suggest(&lg, CLI_SAMPLER_RANDOM, 7, t, NULL, 0, &again);
    assert_true(again == x);
  }
  /* Binomial(4000, 1/2): 5 standard deviations are 158. */
  assert_true(abs(below - n / 2) < 160);
  for (int k = 2; k <= 6; k++) /* each 800 +- 5 sd (126) */
    assert_true(abs(counts[k] - n / 5) < 130);
}

/* A study of f run one trial at a time; the mean distance of the last 20
 * suggestions from the best point, on the sampler's scale. */
typedef double (*objective)(double x);

static double study_distance(const cli_search_space *s, cli_sampler_kind kind,
                             uint64_t seed, objective f, double best,
                             int is_log) {
  enum { N = 40 };
  double xs[N], values[N], dist = 0.0;
  cli_sampler_obs obs[N];
  for (int t = 0; t < N; t++) {
    assert_int_equal(cli_sampler_suggest(s, kind, seed, t, obs, t, &xs[t]), 0);
    values[t] = f(xs[t]);
    obs[t] = (cli_sampler_obs){.x = &xs[t], .value = values[t]};
    if (t >= N - 20)
      dist += is_log ? fabs(log10(xs[t]) - log10(best)) : fabs(xs[t] - best);
  }
  return dist / 20;
}

static double bowl(double x) {
  return -(x - 0.3) * (x - 0.3);
}
static double log_bowl(double x) {
  return -fabs(log10(x) + 3.0); /* best at 1e-3 */
}

/* A choice of 4 whose third value is best: how often the last 20 pick it. */
static double best_choice_share(cli_sampler_kind kind, uint64_t seed) {
  enum { N = 40 };
  static char *values[4] = {"a", "b", "c", "d"};
  cli_search_space s = {.n = 1};
  s.p[0].kind = CLI_DIST_CHOICE;
  s.p[0].choices = (cli_grid_axis){.n = 4, .values = values};
  double xs[N], share = 0.0;
  cli_sampler_obs obs[N];
  for (int t = 0; t < N; t++) {
    assert_int_equal(cli_sampler_suggest(&s, kind, seed, t, obs, t, &xs[t]), 0);
    obs[t] = (cli_sampler_obs){.x = &xs[t], .value = xs[t] == 2 ? 1.0 : 0.0};
    share += t >= N - 20 && xs[t] == 2;
  }
  return share / 20;
}

/* Over 12 seeds (and so on average, which is what TPE promises), TPE's
 * late suggestions are at most 0.7x random search's distance from the
 * best point (measured 0.39-0.50x on seeds 0-11 and 100-111), and pick
 * the best choice more than twice as often (0.89-0.90 of the time against
 * random search's 0.20-0.26). */
static void test_tpe_beats_random(void **state) {
  (void)state;
  cli_search_space u = one_param(CLI_DIST_UNIFORM, 0, 1);
  cli_search_space lg = one_param(CLI_DIST_LOG_UNIFORM, 1e-5, 1e-1);
  double sum[2][3] = {{0}};
  for (uint64_t seed = 0; seed < 12; seed++)
    for (int k = 0; k < 2; k++) {
      cli_sampler_kind kind = k ? CLI_SAMPLER_TPE : CLI_SAMPLER_RANDOM;
      sum[k][0] += study_distance(&u, kind, seed, bowl, 0.3, 0);
      sum[k][1] += study_distance(&lg, kind, seed, log_bowl, 1e-3, 1);
      sum[k][2] += best_choice_share(kind, seed);
    }
  print_message("distance uniform tpe %.3f random %.3f, log tpe %.3f random "
                "%.3f; best choice tpe %.2f random %.2f\n",
                sum[1][0] / 12, sum[0][0] / 12, sum[1][1] / 12, sum[0][1] / 12,
                sum[1][2] / 12, sum[0][2] / 12);
  assert_true(sum[1][0] < 0.7 * sum[0][0]);
  assert_true(sum[1][1] < 0.7 * sum[0][1]);
  assert_true(sum[1][2] > 2.0 * sum[0][2]);
}

/* Shown fewer than CLI_TPE_STARTUP trials, TPE draws what random search
 * draws for the same seed and trial. */
static void test_tpe_starts_random(void **state) {
  (void)state;
  cli_search_space u = one_param(CLI_DIST_UNIFORM, 0, 1);
  double xs[CLI_TPE_STARTUP], r;
  cli_sampler_obs obs[CLI_TPE_STARTUP];
  for (int t = 0; t < CLI_TPE_STARTUP; t++) {
    cli_sampler_suggest(&u, CLI_SAMPLER_TPE, 3, t, obs, t, &xs[t]);
    cli_sampler_suggest(&u, CLI_SAMPLER_RANDOM, 3, t, NULL, 0, &r);
    assert_true(xs[t] == r);
    obs[t] = (cli_sampler_obs){.x = &xs[t], .value = bowl(xs[t])};
  }
}

/* ---- a study, recomputed from its files
 * --------------------------------------- */

/* A seed's evaluation rows: (timesteps, eval_return_mean), columns 0 and
 * 5 of progress.csv, read here independently of the program's reader. */
static int read_evals(const char *path, long *steps, double *evals, int max) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[4096];
  int n = 0;
  assert_non_null(fgets(line, sizeof line, f)); /* header */
  static const char head[] = "timesteps,episodes,episode_return,episode_"
                             "return_mean,episode_length_mean,eval_return_"
                             "mean,";
  assert_int_equal(strncmp(line, head, sizeof head - 1), 0);
  while (fgets(line, sizeof line, f) && n < max) {
    char *field = line;
    for (int c = 0; c < 5; c++)
      field = strchr(field, ',') + 1;
    if (*field == ',')
      continue; /* no evaluation in this row */
    steps[n] = atol(line);
    evals[n++] = atof(field);
  }
  fclose(f);
  return n;
}

enum { TRIALS = 24, WORKERS = 2, MAX_EVALS = 8, BUDGET = 4096, EVERY = 1024 };

typedef struct trial_file {
  int n;
  long steps[MAX_EVALS];
  double evals[MAX_EVALS];
} trial_file;

/* The median of the finished trials' evaluations at `step`'s multiple of
 * EVERY, over trials 0 .. i - WORKERS; NAN with fewer than 5 of them. */
static double reference_median(const cli_study *st, const trial_file *files,
                               int i, long step) {
  double v[TRIALS];
  int n = 0, finished = 0;
  for (int j = 0; j <= i - WORKERS; j++) {
    if (st->trials[j].status != CLI_TRIAL_COMPLETE)
      continue;
    finished++;
    for (int k = 0; k < files[j].n; k++)
      if (files[j].steps[k] / EVERY == step / EVERY)
        v[n] = files[j].evals[k], n += 1;
  }
  return finished < CLI_MEDIAN_STARTUP ? NAN : cli_median(v, n);
}

/* One study of TRIALS trials, WORKERS at a time, checked trial by trial;
 * adds its outcomes to *pruned and *complete. */
static void check_study(uint64_t tune_seed, int *pruned, int *complete) {
  cli_study st;
  assert_int_equal(study_from(PENDULUM
                              "search:\n"
                              "  learning_rate: {log_uniform: [1e-5, 3e-2]}\n"
                              "  gamma: {uniform: [0.8, 0.9999]}\n"
                              "  n_steps: {choice: [128, 256]}\n",
                              &st),
                   0);
  snprintf(st.dir, sizeof st.dir, "/tmp/crl-test-tune-XXXXXX");
  assert_non_null(mkdtemp(st.dir));
  st.n_trials = TRIALS;
  st.workers = WORKERS;
  st.tune_seed = tune_seed;
  assert_int_equal(cli_study_alloc_trials(&st), 0);
  assert_int_equal(cli_study_write_settings(&st), 0);
  assert_int_equal(cli_tune_run(&st, 1), 0);

  trial_file files[TRIALS];
  for (int i = 0; i < TRIALS; i++) {
    char path[CLI_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/trial_%04d/seed_0/progress.csv", st.dir, i);
    files[i].n = read_evals(path, files[i].steps, files[i].evals, MAX_EVALS);
    const cli_trial *t = &st.trials[i];
    /* Pruned at the first evaluation (past a third of the budget, before
     * the last) whose best so far is below the reference median. */
    double best = -HUGE_VAL;
    long due = 0;
    for (int k = 0; k < files[i].n && due == 0; k++) {
      best = fmax(best, files[i].evals[k]);
      long step = files[i].steps[k];
      double median = reference_median(&st, files, i, step);
      if (step >= BUDGET / 3 && step < BUDGET && !isnan(median) &&
          best < median)
        due = step;
    }
    if (due) {
      assert_int_equal(t->status, CLI_TRIAL_PRUNED);
      assert_int_equal(t->pruned_at, due);
      assert_int_equal(files[i].steps[files[i].n - 1], due); /* stopped */
      ++*pruned;
    } else {
      assert_int_equal(t->status, CLI_TRIAL_COMPLETE);
      /* progress.csv holds 10 significant digits */
      double last = files[i].evals[files[i].n - 1];
      assert_true(fabs(t->objective - last) <= 1e-9 * fabs(last));
      ++*complete;
    }
    /* Sampled from the trials WORKERS places back, and only those. */
    cli_sampler_obs obs[TRIALS];
    int n = 0;
    for (int j = 0; j <= i - WORKERS; j++)
      obs[n++] =
          (cli_sampler_obs){.x = st.trials[j].x,
                            .pruned = st.trials[j].status == CLI_TRIAL_PRUNED,
                            .progress = (double)st.trials[j].steps,
                            .value = st.trials[j].status == CLI_TRIAL_PRUNED
                                         ? files[j].evals[files[j].n - 1]
                                         : st.trials[j].objective};
    double x[CLI_MAX_SEARCH];
    assert_int_equal(cli_sampler_suggest(&st.space, CLI_SAMPLER_TPE, tune_seed,
                                         i, obs, n, x),
                     0);
    for (int p = 0; p < st.space.n; p++)
      assert_true(x[p] == t->x[p]);
  }
  char command[CLI_PATH_MAX + 16];
  snprintf(command, sizeof command, "rm -rf '%s'", st.dir);
  assert_int_equal(system(command), 0);
  cli_study_free(&st);
}

static void test_study_follows_its_rules(void **state) {
  (void)state;
  int pruned = 0, complete = 0;
  for (uint64_t seed = 1; seed <= 4; seed++)
    check_study(seed, &pruned, &complete);
  print_message("%d complete, %d pruned\n", complete, pruned);
  /* The studies exercised both outcomes, and TPE (after 10 trials). */
  assert_true(pruned >= 2 && complete >= 4 * CLI_MEDIAN_STARTUP);
}

static void test_median(void **state) {
  (void)state;
  double a[] = {3, 1, 2}, b[] = {4, 1, 3, 2};
  assert_true(cli_median(a, 3) == 2.0);
  assert_true(cli_median(b, 4) == 2.5);
  assert_true(isnan(cli_median(b, 0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_space_reads_back),
      cmocka_unit_test(test_space_errors),
      cmocka_unit_test(test_random_distributions),
      cmocka_unit_test(test_tpe_beats_random),
      cmocka_unit_test(test_tpe_starts_random),
      cmocka_unit_test(test_median),
      cmocka_unit_test(test_study_follows_its_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
