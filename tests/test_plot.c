/* The gnuplot script of `crl plot`, read as text (no gnuplot needed): the
 * legends say what ran (the run's name, else "ALGO on ENV", else the
 * directory) and over how many seeds, a single seed is "seed N" without a
 * band or "over seeds" in the axis label, two runs that would share a
 * legend are told apart by their directories, and the legend sits below
 * the graph unless --key puts it inside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "plot/plot.h"

static char tmp_dir[256];

static void write_file(const char *dir, const char *name, const char *text) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* tmp_dir/name with config.yaml (when config is not NULL) and one
 * seed_<k>/progress.csv per seed listed. */
static void make_run(const char *name, const char *config, const int *seeds,
                     int n_seeds, char *dir, size_t size) {
  snprintf(dir, size, "%s/%s", tmp_dir, name);
  assert_int_equal(mkdir(dir, 0755), 0);
  if (config)
    write_file(dir, "config.yaml", config);
  for (int i = 0; i < n_seeds; i++) {
    char seed_dir[512];
    snprintf(seed_dir, sizeof seed_dir, "%s/seed_%d", dir, seeds[i]);
    assert_int_equal(mkdir(seed_dir, 0755), 0);
    char rows[256];
    snprintf(rows, sizeof rows,
             "timesteps,eval_return_mean\n100,%d\n200,\n300,%d\n", -500 + i,
             -200 - i);
    write_file(seed_dir, "progress.csv", rows);
  }
}

/* The script for these directories, in a string the caller frees. */
static char *script(const char *const *dirs, int n, const cli_plot_options *o) {
  cli_curve curves[8];
  char err[512];
  for (int i = 0; i < n; i++)
    if (cli_curve_read_opts(dirs[i], o, &curves[i], err, sizeof err))
      fail_msg("%s", err);
  char *text = NULL;
  size_t len = 0;
  FILE *g = open_memstream(&text, &len);
  assert_non_null(g);
  cli_plot_write_script(g, curves, n, "x.png", "x.png.tmp", o);
  fclose(g);
  for (int i = 0; i < n; i++)
    cli_curve_free(&curves[i]);
  return text;
}

static void assert_has(const char *text, const char *what) {
  if (text == NULL)
    fail_msg("no script");
  else if (strstr(text, what) == NULL)
    fail_msg("no \"%s\" in:\n%s", what, text);
}

static void assert_lacks(const char *text, const char *what) {
  if (text == NULL)
    fail_msg("no script");
  else if (strstr(text, what) != NULL)
    fail_msg("\"%s\" in:\n%s", what, text);
}

static const char ppo_config[] = "env: Pendulum-v1\nalgo: ppo\n";

static void several_seeds(void **state) {
  (void)state;
  char dir[400];
  make_run("three", ppo_config, (int[]){0, 1, 2}, 3, dir, sizeof dir);
  cli_plot_options o = cli_plot_options_default();
  const char *dirs[] = {dir};
  char *s = script(dirs, 1, &o);
  assert_has(s, "title 'ppo on Pendulum-v1 (3 seeds)'");
  assert_has(s, "with filledcurves");
  assert_has(s, "set ylabel 'evaluation return (mean +/- std over seeds)'");
  assert_has(s, "set key below Left reverse\n");
  free(s);
}

static void one_seed(void **state) {
  (void)state;
  char dir[400], seed_dir[600];
  make_run("one", ppo_config, (int[]){4, 7}, 2, dir, sizeof dir);
  snprintf(seed_dir, sizeof seed_dir, "%s/seed_7", dir);
  cli_plot_options o = cli_plot_options_default();
  /* A seed directory given directly, labelled from its run's config. */
  const char *dirs[] = {seed_dir};
  char *s = script(dirs, 1, &o);
  assert_has(s, "title 'ppo on Pendulum-v1 (seed 7)'");
  assert_lacks(s, "filledcurves");
  assert_lacks(s, "over seeds");
  assert_has(s, "set ylabel 'evaluation return'\n");
  free(s);
  /* A run directory that holds one seed, smoothed. */
  char single[400];
  make_run("single", "name: \"my run\"\nenv: Pendulum-v1\nalgo: sac\n",
           (int[]){5}, 1, single, sizeof single);
  o.smooth = 2;
  const char *dirs2[] = {single};
  s = script(dirs2, 1, &o);
  assert_has(s, "title 'my run (seed 5)'");
  assert_has(s, "set ylabel 'evaluation return (smoothed)'\n");
  assert_lacks(s, "filledcurves");
  free(s);
}

static void same_legend_told_apart(void **state) {
  (void)state;
  char a[400], b[400], c[400];
  make_run("ppo_a", ppo_config, (int[]){0, 1}, 2, a, sizeof a);
  make_run("ppo_b", ppo_config, (int[]){0, 1}, 2, b, sizeof b);
  make_run("no_config", NULL, (int[]){0, 1}, 2, c, sizeof c);
  cli_plot_options o = cli_plot_options_default();
  o.band = CLI_BAND_SEM;
  const char *dirs[] = {a, b, c};
  char *s = script(dirs, 3, &o);
  assert_has(s, "title 'ppo on Pendulum-v1 (ppo_a, 2 seeds)'");
  assert_has(s, "title 'ppo on Pendulum-v1 (ppo_b, 2 seeds)'");
  assert_has(s, "title 'no_config (2 seeds)'");
  assert_has(s, "(mean +/- s.e. over seeds)");
  free(s);
}

static void key_inside(void **state) {
  (void)state;
  char dir[400];
  make_run("inside", ppo_config, (int[]){0, 1}, 2, dir, sizeof dir);
  cli_plot_options o = cli_plot_options_default();
  o.key = "bottom right";
  const char *dirs[] = {dir};
  char *s = script(dirs, 1, &o);
  assert_has(s, "set key bottom right opaque\n");
  free(s);
  o.key = "outside right top";
  s = script(dirs, 1, &o);
  assert_has(s, "set key outside right top Left reverse\n");
  free(s);
}

static int setup_group(void **state) {
  (void)state;
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/crl-test-plot-XXXXXX");
  return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_group(void **state) {
  (void)state;
  char command[400];
  snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
  return system(command) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(several_seeds),
      cmocka_unit_test(one_seed),
      cmocka_unit_test(same_legend_told_apart),
      cmocka_unit_test(key_inside),
  };
  return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
