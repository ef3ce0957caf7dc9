/* The runner's training runs with a toy algorithm: exact resume after an
 * interruption (Ctrl-C's flag) and after a crash (from an older checkpoint,
 * progress.csv cut back), damaged and foreign checkpoints, non-finite
 * values, the schedules' progress_remaining, worker processes giving the
 * same files as one process, a failing grid point that does not stop the
 * others, and the expectations checked from the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <dirent.h>

#include "io/ckpt.h"
#include "plot/expect.h"
#include "run/jobs.h"
#include "run/summary.h"
#include "toy.h"

static char tmp_dir[256];

static int setup_group(void **state) {
  (void)state;
  snprintf(tmp_dir, sizeof tmp_dir, "/tmp/crl-test-runner-XXXXXX");
  if (mkdtemp(tmp_dir) == NULL)
    return -1;
  return toy_register();
}

static int teardown_group(void **state) {
  (void)state;
  char command[400];
  snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
  return system(command) == 0 ? 0 : -1;
}

/* An experiment from YAML text (written under tmp_dir/name.yaml). */
static void load(const char *name, const char *text, cli_experiment *x) {
  char path[400], err[CLI_ERR_SIZE];
  snprintf(path, sizeof path, "%s/%s.yaml", tmp_dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  if (cli_experiment_load(path, NULL, 0, -1, x, err, sizeof err))
    fail_msg("%s", err);
}

static void read_text(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    fail_msg("cannot read %s", path);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* progress.csv without its last column (wall_seconds). */
static void read_csv(const char *dir, char *buf, size_t size) {
  char path[600], raw[65536];
  snprintf(path, sizeof path, "%s/progress.csv", dir);
  read_text(path, raw, sizeof raw);
  size_t n = 0;
  for (char *line = raw; *line && n + 1 < size;) {
    size_t len = strcspn(line, "\n"), keep = len;
    while (keep > 0 && line[keep - 1] != ',')
      keep--;
    for (size_t i = 0; i + 1 < keep && n + 2 < size; i++)
      buf[n++] = line[i];
    buf[n++] = '\n';
    line += len + (line[len] == '\n');
  }
  buf[n] = '\0';
}

/* monitor.csv's rows without t (from the column line on), and how many. */
static int read_monitor(const char *dir, char *buf, size_t size) {
  char path[600], raw[65536];
  snprintf(path, sizeof path, "%s/monitor.csv", dir);
  read_text(path, raw, sizeof raw);
  assert_true(raw[0] == '#');
  size_t n = 0;
  int rows = -1;
  for (char *line = strchr(raw, '\n') + 1; *line && n + 1 < size; rows++) {
    size_t len = strcspn(line, "\n"), keep = len;
    while (keep > 0 && line[keep - 1] != ',')
      keep--;
    for (size_t i = 0; i + 1 < keep && n + 2 < size; i++)
      buf[n++] = line[i];
    buf[n++] = '\n';
    line += len + (line[len] == '\n');
  }
  buf[n] = '\0';
  return rows;
}

static int run(const cli_run_config *cfg, const char *dir, int resume,
               cli_seed_result *r, char *err) {
  cli_run_opts o = {.stop = &toy_stop, .resume = resume};
  return cli_run_seed_ex(cfg, 3, dir, &o, r, err, CLI_ERR_SIZE);
}

#define RESUMABLE                                                              \
  "env: Toy-v0\nalgo: toy\nn_timesteps: 320\nn_envs: 2\nseed: 3\n"             \
  "eval: {every: 48, episodes: 2}\nnoise: 0.3\n"

/* ---- exact resume -------------------------------------------------------- */

static void test_resume_after_interrupt(void **state) {
  (void)state;
  cli_experiment x;
  load("resume", RESUMABLE, &x);
  char full[400], part[400], err[CLI_ERR_SIZE];
  char a[65536], b[65536];
  cli_seed_result r1, r2;
  snprintf(full, sizeof full, "%s/full/seed_3", tmp_dir);
  snprintf(part, sizeof part, "%s/part/seed_3", tmp_dir);
  toy_stop = 0;
  toy_stop_after = 0;
  assert_int_equal(run(&x.points[0], full, 0, &r1, err), CLI_RUN_OK);
  /* Ctrl-C's flag after 160 steps: a checkpoint at that boundary. */
  toy_stop_after = 160;
  assert_int_equal(run(&x.points[0], part, 0, &r2, err), CLI_RUN_INTERRUPTED);
  assert_int_equal(r2.steps, 160);
  assert_non_null(strstr(err, "seed 3: stopped at step 160"));
  char ckpt[600];
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_0000000160.ckpt", part);
  assert_int_equal(access(ckpt, R_OK), 0);
  toy_stop = 0;
  toy_stop_after = 0;
  assert_int_equal(run(&x.points[0], part, 1, &r2, err), CLI_RUN_OK);
  read_csv(full, a, sizeof a);
  read_csv(part, b, sizeof b);
  assert_string_equal(a, b);
  assert_true(r1.final_eval_mean == r2.final_eval_mean);
  assert_int_equal(r2.steps, 320);
  /* monitor.csv continues without a lost or repeated episode: 320 steps
   * of 2 copies are 32 episodes of 10 steps. */
  assert_int_equal(read_monitor(full, a, sizeof a), 32);
  assert_int_equal(read_monitor(part, b, sizeof b), 32);
  assert_string_equal(a, b);
  /* The best evaluation is the same run's. */
  assert_true(r1.best_eval_step > 0);
  assert_int_equal(r1.best_eval_step, r2.best_eval_step);
  assert_true(r1.best_eval_mean == r2.best_eval_mean);
  char p1[600], p2[600];
  snprintf(p1, sizeof p1, "%s/best.json", full);
  snprintf(p2, sizeof p2, "%s/best.json", part);
  read_text(p1, a, sizeof a);
  read_text(p2, b, sizeof b);
  assert_string_equal(a, b);
  cli_experiment_free(&x);
}

static void test_resume_after_crash(void **state) {
  (void)state;
  cli_experiment x;
  load("crash", RESUMABLE "checkpoint: {every: 100, keep: 10}\n", &x);
  char dir[400], path[600], err[CLI_ERR_SIZE], a[65536], b[65536];
  cli_seed_result r;
  snprintf(dir, sizeof dir, "%s/crash/seed_3", tmp_dir);
  toy_stop = 0;
  toy_stop_after = 0;
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_OK);
  read_csv(dir, a, sizeof a);
  /* Checkpoints where 100, 200, 300 were crossed, and the final one. */
  const long steps[] = {112, 208, 304, 320};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/checkpoints/step_%010ld.ckpt", dir,
             steps[i]);
    assert_int_equal(access(path, R_OK), 0);
  }
  /* As if the process died after step 208's checkpoint: progress.csv
   * holds later rows, the later checkpoints are gone. */
  for (int i = 2; i < 4; i++) {
    snprintf(path, sizeof path, "%s/checkpoints/step_%010ld.ckpt", dir,
             steps[i]);
    remove(path);
  }
  assert_int_equal(run(&x.points[0], dir, 1, &r, err), CLI_RUN_OK);
  read_csv(dir, b, sizeof b);
  assert_string_equal(a, b);
  /* A damaged newest checkpoint: the one before it is used. */
  snprintf(path, sizeof path, "%s/checkpoints/step_%010ld.ckpt", dir, 320L);
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, 40, SEEK_SET);
  fputc('X', f);
  fclose(f);
  assert_int_equal(run(&x.points[0], dir, 1, &r, err), CLI_RUN_OK);
  read_csv(dir, b, sizeof b);
  assert_string_equal(a, b);
  cli_experiment_free(&x);
}

/* Rewrite the checkpoint at path with runner.format set to format (as an
 * older or newer crl would have written it), checksum and all. */
static void set_runner_format(const char *path, int64_t format) {
  crl_ckpt_reader *r = NULL;
  crl_ckpt_writer *w = NULL;
  assert_int_equal(crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r), 0);
  assert_int_equal(crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w), 0);
  int found = 0;
  for (uint64_t i = 0; i < crl__ckpt_n_sections(r); i++) {
    const char *name;
    int len;
    crl__ckpt_type type;
    uint64_t count;
    const void *data;
    crl__ckpt_section_at(r, i, &name, &len, &type, &count, &data);
    char copy[256];
    snprintf(copy, sizeof copy, "%.*s", len, name);
    if (strcmp(copy, "runner.format") == 0) {
      data = &format;
      found = 1;
    }
    assert_int_equal(crl__ckpt_put(w, copy, type, count, data), 0);
  }
  assert_true(found);
  crl__ckpt_reader_free(r);
  assert_int_equal(crl__ckpt_write_file(w, path), 0);
  crl__ckpt_writer_free(w);
}

/* The newest checkpoint of a seed directory. */
static void newest_checkpoint(const char *dir, char *path, size_t size) {
  char cdir[600], best[256] = "";
  snprintf(cdir, sizeof cdir, "%s/checkpoints", dir);
  DIR *d = opendir(cdir);
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strncmp(e->d_name, "step_", 5) == 0 && strcmp(e->d_name, best) > 0)
      snprintf(best, sizeof best, "%s", e->d_name);
  closedir(d);
  assert_true(best[0] != '\0');
  snprintf(path, size, "%s/%s", cdir, best);
}

/* A checkpoint of another runner format is refused with the way out. */
static void test_resume_refuses_other_formats(void **state) {
  (void)state;
  cli_experiment x;
  load("format", RESUMABLE, &x);
  char dir[400], path[900], err[CLI_ERR_SIZE];
  cli_seed_result r;
  snprintf(dir, sizeof dir, "%s/format/seed_3", tmp_dir);
  toy_stop = 0;
  toy_stop_after = 64;
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_INTERRUPTED);
  toy_stop_after = 0;
  newest_checkpoint(dir, path, sizeof path);
  set_runner_format(path, 1);
  toy_stop = 0;
  assert_int_equal(run(&x.points[0], dir, 1, &r, err), CLI_RUN_FAILED);
  assert_non_null(strstr(err, "written by an older crl (runner format 1"));
  assert_non_null(strstr(err, "--force"));
  set_runner_format(path, 7);
  toy_stop = 0;
  assert_int_equal(run(&x.points[0], dir, 1, &r, err), CLI_RUN_FAILED);
  assert_non_null(strstr(err, "written by a newer crl"));
  cli_experiment_free(&x);
}

static void test_resume_refuses_other_settings(void **state) {
  (void)state;
  cli_experiment x, y;
  load("mine", RESUMABLE, &x);
  load("other", RESUMABLE "action: 0.25\n", &y);
  char dir[400], err[CLI_ERR_SIZE];
  cli_seed_result r;
  snprintf(dir, sizeof dir, "%s/mine/seed_3", tmp_dir);
  toy_stop = 0;
  toy_stop_after = 64;
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_INTERRUPTED);
  toy_stop = 0;
  toy_stop_after = 0;
  assert_int_equal(run(&y.points[0], dir, 1, &r, err), CLI_RUN_FAILED);
  assert_non_null(strstr(err, "with other settings"));
  /* Resuming a directory without checkpoints starts from scratch. */
  snprintf(dir, sizeof dir, "%s/fresh/seed_3", tmp_dir);
  assert_int_equal(run(&x.points[0], dir, 1, &r, err), CLI_RUN_OK);
  assert_int_equal(r.steps, 320);
  cli_experiment_free(&x);
  cli_experiment_free(&y);
}

/* ---- stopping on non-finite values --------------------------------------- */

static void test_nonfinite(void **state) {
  (void)state;
  cli_experiment x;
  char dir[400], err[CLI_ERR_SIZE], ckpt[600];
  cli_seed_result r;
  toy_stop = 0;
  toy_stop_after = 0;
  load("nan", RESUMABLE "checkpoint: {every: 64, keep: 1}\nnan_at: 200\n", &x);
  snprintf(dir, sizeof dir, "%s/nan/seed_3", tmp_dir);
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_FAILED);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_0000000192.ckpt", dir);
  assert_non_null(strstr(err, "non-finite value at step 208: toy: the loss "
                              "is not finite (nan); last good checkpoint: "));
  assert_non_null(strstr(err, ckpt));
  assert_int_equal(access(ckpt, R_OK), 0); /* kept */
  assert_int_equal(r.status, CLI_RUN_FAILED);
  cli_experiment_free(&x);
  load("inf", RESUMABLE "inf_at: 40\n", &x);
  snprintf(dir, sizeof dir, "%s/inf/seed_3", tmp_dir);
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_FAILED);
  assert_non_null(strstr(err, "non-finite value at step 48: value_loss is "
                              "inf; no checkpoint was written before it"));
  cli_experiment_free(&x);
  /* A parameter gone NaN while every loss stays finite: the checkpoint
   * that would hold it is refused, the previous one stays. */
  load("pnan",
       RESUMABLE "checkpoint: {every: 64, keep: 1}\n"
                 "param_nan_at: 100\n",
       &x);
  snprintf(dir, sizeof dir, "%s/pnan/seed_3", tmp_dir);
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_FAILED);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_0000000064.ckpt", dir);
  assert_non_null(strstr(err, "non-finite value at step 128: toy.param[0] "
                              "is nan"));
  assert_non_null(strstr(err, "last good checkpoint: "));
  assert_non_null(strstr(err, ckpt));
  assert_int_equal(access(ckpt, R_OK), 0);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_0000000128.ckpt", dir);
  assert_int_equal(access(ckpt, F_OK), -1); /* nor a partial file */
  cli_experiment_free(&x);
}

/* ---- schedules ----------------------------------------------------------- */

static void test_progress_remaining(void **state) {
  (void)state;
  cli_run_keys k = {.n_timesteps = 160, .n_episodes = 0};
  /* SB3: 1 - num_timesteps / total after the collection. */
  assert_true(cli_run_progress_remaining(&k, 0, 0, 16, 0) == 0.9);
  assert_true(cli_run_progress_remaining(&k, 144, 0, 16, 0) == 0.0);
  assert_true(cli_run_progress_remaining(&k, 150, 0, 16, 0) == 0.0);
  k.n_episodes = 10;
  assert_true(cli_run_progress_remaining(&k, 16, 4, 16, 1) == 0.5);
  /* In a run: the first iteration already knows its size (n_steps). */
  cli_experiment x;
  char dir[400], err[CLI_ERR_SIZE], csv[65536];
  cli_seed_result r;
  toy_stop = 0;
  toy_stop_after = 0;
  load("remaining",
       "env: Toy-v0\nalgo: toy\nn_timesteps: 160\nn_envs: 2\n"
       "seed: 3\neval: {every: 0}\n",
       &x);
  snprintf(dir, sizeof dir, "%s/remaining/seed_3", tmp_dir);
  assert_int_equal(run(&x.points[0], dir, 0, &r, err), CLI_RUN_OK);
  read_csv(dir, csv, sizeof csv);
  assert_non_null(strstr(csv, "\n16,0,,,,,,0.0009,0.9,"));
  assert_non_null(strstr(csv, "\n160,"));
  assert_true(toy_last_remaining == 0.0);
  cli_experiment_free(&x);
}

/* ---- jobs ---------------------------------------------------------------- */

static void run_jobs(const cli_experiment *x, const char *dir, int workers,
                     cli_job **jobs, int *n) {
  assert_int_equal(cli_jobs_make(x, dir, jobs, n), 0);
  cli_jobs_opts o = {.workers = workers, .quiet = 1};
  cli_jobs_run(x, *jobs, *n, &o);
}

static void test_workers_and_failures(void **state) {
  (void)state;
  cli_experiment x;
  load("grid",
       "env: Toy-v0\nalgo: toy\nn_timesteps: 96\nn_envs: 2\n"
       "seeds: [0, 1]\nnoise: 0.2\n"
       "grid: {nan_at: [0, 40], action: [0.5, -0.5]}\n"
       "expect: {final_eval_return_mean: {max: -1}, "
       "eval_return_mean: {min: -100, by_step: 50}}\n",
       &x);
  char one[400], two[400], csv1[65536], csv2[65536];
  snprintf(one, sizeof one, "%s/grid1", tmp_dir);
  snprintf(two, sizeof two, "%s/grid2", tmp_dir);
  cli_job *j1, *j2;
  int n1, n2;
  toy_stop = 0;
  toy_stop_after = 0;
  run_jobs(&x, one, 1, &j1, &n1);
  run_jobs(&x, two, 3, &j2, &n2);
  assert_int_equal(n1, 8);
  for (int i = 0; i < n1; i++) {
    /* nan_at 40 fails, the others finish, in either mode. */
    const toy_spec *spec = x.points[j1[i].point].algo_spec;
    int should_fail = spec->nan_at == 40;
    assert_int_equal(j1[i].result.status,
                     should_fail ? CLI_RUN_FAILED : CLI_RUN_OK);
    assert_int_equal(j2[i].result.status, j1[i].result.status);
    assert_true(j1[i].result.steps == j2[i].result.steps);
    read_csv(j1[i].dir, csv1, sizeof csv1);
    read_csv(j2[i].dir, csv2, sizeof csv2);
    assert_string_equal(csv1, csv2);
  }
  assert_string_equal(j1[7].label, "nan_at=40_action=-0.5/seed_1");
  assert_non_null(strstr(j2[7].result.error, "non-finite value at step 48"));
  /* The summary names the failed runs; the expectations fail for them. */
  char err[CLI_ERR_SIZE], text[65536], path[600];
  assert_int_equal(cli_summary_write(&x, j2, n2, two, err, sizeof err), 0);
  snprintf(path, sizeof path, "%s/summary.json", two);
  read_text(path, text, sizeof text);
  assert_non_null(strstr(text, "\"name\": \"nan_at=40_action=0.5\""));
  assert_non_null(strstr(text, "\"status\": \"failed\", \"error\": "
                               "\"non-finite value at step 48"));
  FILE *out = fmemopen(text, sizeof text, "w");
  int checked = 0;
  int failed = cli_expect_check(&x, two, out, &checked, err, sizeof err);
  fclose(out);
  assert_int_equal(checked, 8);
  /* Two points x two seeds did not finish, and their final evaluations
   * are missing; their rows before step 50 still reach the threshold. */
  assert_int_equal(failed, 6);
  assert_non_null(strstr(text, "nan_at=0_action=0.5: PASS  "
                               "final_eval_return_mean = "));
  assert_non_null(strstr(text, "nan_at=40_action=0.5: FAIL  seed 0 did not "
                               "finish: non-finite value"));
  free(j1);
  free(j2);
  cli_experiment_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resume_after_interrupt),
      cmocka_unit_test(test_resume_after_crash),
      cmocka_unit_test(test_resume_refuses_other_settings),
      cmocka_unit_test(test_resume_refuses_other_formats),
      cmocka_unit_test(test_nonfinite),
      cmocka_unit_test(test_progress_remaining),
      cmocka_unit_test(test_workers_and_failures),
  };
  return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
