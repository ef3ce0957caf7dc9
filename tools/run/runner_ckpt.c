/* The runner's checkpoints: the algorithm and its vec env (the library's
 * crl__algo_save_into), plus the runner's own sections: counters, the last
 * evaluation, how much of progress.csv belongs to this state, and the
 * resolved configuration as text. Files are seed_dir/checkpoints/
 * step_<steps>.ckpt, written atomically; only the newest checkpoint.keep
 * are kept, and an older one is removed only after a newer one is in
 * place. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/checkpoint.h"
#include "run/runner_internal.h"

#define RUNNER_FORMAT 1
#define MAX_LISTED 4096

/* ---- file names ---------------------------------------------------------- */

static int checkpoint_dir(const char *seed_dir, char *buf, size_t size) {
  return cli_path_join(buf, size, seed_dir, "checkpoints");
}

/* "step_0000010240.ckpt" -> 10240; -1 for other names. */
static long step_of(const char *name) {
  if (strncmp(name, "step_", 5) != 0)
    return -1;
  char *end;
  long v = strtol(name + 5, &end, 10);
  return end != name + 5 && strcmp(end, ".ckpt") == 0 && v >= 0 ? v : -1;
}

static int compare_desc(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x < y) - (x > y);
}

/* Step numbers of the checkpoints in seed_dir, newest first. */
static int list_steps(const char *seed_dir, long *steps, int max) {
  char dir[CLI_PATH_MAX];
  if (checkpoint_dir(seed_dir, dir, sizeof dir))
    return 0;
  DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < max) {
    long s = step_of(e->d_name);
    if (s >= 0)
      steps[n++] = s;
  }
  closedir(d);
  qsort(steps, (size_t)n, sizeof *steps, compare_desc);
  return n;
}

static int checkpoint_path(const char *seed_dir, long step, char *buf,
                           size_t size) {
  int n =
      snprintf(buf, size, "%s/checkpoints/step_%010ld.ckpt", seed_dir, step);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

int cli_run_latest_checkpoint(const char *seed_dir, char *buf, size_t size) {
  long steps[MAX_LISTED];
  int n = list_steps(seed_dir, steps, MAX_LISTED);
  return n > 0 ? checkpoint_path(seed_dir, steps[0], buf, size) : -1;
}

/* Remove all but the newest `keep` checkpoints. */
static void prune(const char *seed_dir, int keep) {
  long steps[MAX_LISTED];
  int n = list_steps(seed_dir, steps, MAX_LISTED);
  char path[CLI_PATH_MAX];
  for (int i = keep; i < n; i++)
    if (checkpoint_path(seed_dir, steps[i], path, sizeof path) == 0)
      remove(path);
}

/* ---- saving -------------------------------------------------------------- */

static int put_runner_sections(const seed_run *r, crl_ckpt_writer *w) {
  int rc = crl__ckpt_put_i64(w, "runner.format", RUNNER_FORMAT);
  rc = rc ? rc : crl__ckpt_put_string(w, "runner.config", r->config_text);
  rc = rc ? rc : crl__ckpt_put_i64(w, "runner.seed", r->seed);
  rc = rc ? rc : crl__ckpt_put_i64(w, "runner.steps", r->steps);
  rc = rc ? rc : crl__ckpt_put_i64(w, "runner.rows", r->rows);
  rc = rc ? rc : crl__ckpt_put_i64(w, "runner.csv_bytes", r->csv_bytes);
  rc = rc ? rc
          : crl__ckpt_put_i64(w, "runner.last_iter_steps", r->last_iter_steps);
  rc = rc ? rc
          : crl__ckpt_put_i64(w, "runner.last_iter_episodes",
                              r->last_iter_episodes);
  rc = rc ? rc : crl__ckpt_put_f64(w, "runner.eval_mean", r->eval_mean);
  rc = rc ? rc : crl__ckpt_put_f64(w, "runner.eval_std", r->eval_std);
  return rc ? rc : crl__ckpt_put_f64(w, "runner.wall", cli_now() - r->t0);
}

/* The rows the checkpoint counts must be on disk before it is. */
static int sync_csv(seed_run *r) {
  return fflush(r->csv) != 0 || fsync(fileno(r->csv)) != 0 ? -1 : 0;
}

int cli_run_checkpoint_save(seed_run *r, char *err, size_t size) {
  char dir[CLI_PATH_MAX], path[CLI_PATH_MAX];
  if (checkpoint_dir(r->seed_dir, dir, sizeof dir) || cli_mkdir_p(dir) ||
      checkpoint_path(r->seed_dir, r->steps, path, sizeof path) ||
      sync_csv(r)) {
    snprintf(err, size, "seed %d: cannot write a checkpoint in %s: %s", r->seed,
             r->seed_dir, strerror(errno));
    return -1;
  }
  crl_ckpt_writer *w = NULL;
  int rc = crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w);
  rc = rc ? rc : crl__algo_save_into(r->algo, r->venv, w);
  rc = rc ? rc : put_runner_sections(r, w);
  rc = rc ? rc : crl__ckpt_write_file(w, path);
  crl__ckpt_writer_free(w);
  if (rc == CRL_ENONFINITE) /* a parameter or optimiser state diverged */
    return cli_run_fail_nonfinite(r, crl_last_error(), err, size);
  if (rc) {
    snprintf(err, size, "seed %d: checkpoint at step %ld: %s", r->seed,
             r->steps, crl_last_error());
    return -1;
  }
  snprintf(r->last_ckpt, sizeof r->last_ckpt, "%s", path);
  prune(r->seed_dir, r->cfg->keys.checkpoint_keep);
  return 0;
}

/* ---- resuming
 * ---------------------------------------------------------------- */

static int get_i64(const crl_ckpt_reader *rd, const char *name, long *out) {
  int64_t v;
  int rc = crl__ckpt_get_i64(rd, name, &v);
  if (rc == 0 && (v < 0 || v > (int64_t)1 << 50))
    rc = crl_fail(CRL_EFORMAT, "checkpoint: %s out of range", name);
  if (rc == 0)
    *out = (long)v;
  return rc;
}

#define MAX_CONFIG_TEXT (1 << 20)

int cli_run_ckpt_config_text(const crl_ckpt_reader *rd, char **out) {
  crl__ckpt_type type;
  uint64_t count = 0;
  *out = NULL;
  int rc = crl__ckpt_find(rd, "runner.config", &type, &count);
  if (rc)
    return crl_fail(CRL_EFORMAT, "checkpoint: no runner.config section (not "
                                 "written by crl train)");
  if (type != CRL_CKPT_U8 || count > MAX_CONFIG_TEXT)
    return crl_fail(CRL_EFORMAT, "checkpoint: runner.config is not a "
                                 "configuration");
  if ((*out = malloc((size_t)count + 1)) == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  rc = crl__ckpt_get_string(rd, "runner.config", *out, (size_t)count + 1);
  if (rc) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

/* The checkpoint belongs to this run: same seed and same settings. */
static int check_identity(const seed_run *r, const crl_ckpt_reader *rd,
                          const char *path, char *err, size_t size) {
  long seed = -1;
  char *text = NULL;
  int rc = cli_run_ckpt_config_text(rd, &text);
  rc = rc ? rc : get_i64(rd, "runner.seed", &seed);
  if (rc)
    snprintf(err, size, "%s: %s", path, crl_last_error());
  int ok = rc == 0 && seed == r->seed && strcmp(text, r->config_text) == 0;
  if (rc == 0 && !ok)
    snprintf(err, size,
             "%s: written by seed %ld with other settings than %s's "
             "config.yaml; it cannot continue this run",
             path, seed, r->seed_dir);
  free(text);
  return ok ? 0 : -1;
}

static int restore_runner(seed_run *r, const crl_ckpt_reader *rd) {
  double wall = 0.0;
  int rc = get_i64(rd, "runner.steps", &r->steps);
  rc = rc ? rc : get_i64(rd, "runner.rows", &r->rows);
  rc = rc ? rc : get_i64(rd, "runner.csv_bytes", &r->csv_bytes);
  rc = rc ? rc : get_i64(rd, "runner.last_iter_steps", &r->last_iter_steps);
  rc = rc ? rc
          : get_i64(rd, "runner.last_iter_episodes", &r->last_iter_episodes);
  rc = rc ? rc : crl__ckpt_get_f64(rd, "runner.eval_mean", &r->eval_mean);
  rc = rc ? rc : crl__ckpt_get_f64(rd, "runner.eval_std", &r->eval_std);
  rc = rc ? rc : crl__ckpt_get_f64(rd, "runner.wall", &wall);
  if (rc == 0 && !(wall >= 0.0 && wall < 1e12))
    rc = crl_fail(CRL_EFORMAT, "checkpoint: runner.wall out of range");
  /* wall_seconds continues from where the interrupted run was. */
  r->t0 = cli_now() - (rc == 0 ? wall : 0.0);
  return rc;
}

/* "PATH: why", unless why names the path already. */
static void fail_path(const char *path, char *err, size_t size) {
  const char *why = crl_last_error();
  if (strstr(why, path) != NULL)
    snprintf(err, size, "%s", why);
  else
    snprintf(err, size, "%s: %s", path, why);
}

/* Load one checkpoint file into r: 0, or -1 with the reason in err. */
static int load_one(seed_run *r, const char *path, char *err, size_t size) {
  crl_ckpt_reader *rd = NULL;
  int rc = crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &rd);
  if (rc) {
    fail_path(path, err, size);
    return -1;
  }
  if (check_identity(r, rd, path, err, size)) {
    crl__ckpt_reader_free(rd);
    return -1;
  }
  rc = crl__algo_load_from(r->algo, r->venv, rd);
  rc = rc ? rc : restore_runner(r, rd);
  if (rc)
    fail_path(path, err, size);
  crl__ckpt_reader_free(rd);
  return rc ? -1 : 0;
}

/* A failed load leaves the algorithm's state unspecified: build it anew
 * before trying an older file. */
static int rebuild(seed_run *r, char *err, size_t size) {
  crl_algo_free(r->algo);
  crl_vec_env_free(r->venv);
  r->algo = NULL;
  r->venv = NULL;
  const cli_run_keys *k = &r->cfg->keys;
  if (crl_vec_env_make(r->cfg->env_name, k->n_envs, (uint64_t)r->seed,
                       &r->venv) ||
      crl_algo_alloc(r->cfg->algo, r->cfg->algo_spec,
                     crl_vec_env_obs_space(r->venv),
                     crl_vec_env_act_space(r->venv), k->n_envs,
                     (uint64_t)r->seed, &r->algo)) {
    snprintf(err, size, "seed %d: %s", r->seed, crl_last_error());
    return -1;
  }
  return 0;
}

int cli_run_checkpoint_resume(seed_run *r, char *err, size_t size) {
  long steps[MAX_LISTED];
  int n = list_steps(r->seed_dir, steps, MAX_LISTED);
  char path[CLI_PATH_MAX], first_err[CLI_ERR_SIZE] = "";
  for (int i = 0; i < n; i++) {
    if (checkpoint_path(r->seed_dir, steps[i], path, sizeof path))
      continue;
    if (load_one(r, path, err, size) == 0) {
      if (i > 0)
        fprintf(stderr, "warning: %s; resuming from %s\n", first_err, path);
      snprintf(r->last_ckpt, sizeof r->last_ckpt, "%s", path);
      return 1;
    }
    if (i == 0)
      snprintf(first_err, sizeof first_err, "%s", err);
    if (strstr(err, "other settings") != NULL || rebuild(r, err, size))
      return -1;
  }
  if (n > 0) {
    snprintf(err, size, "%s (and no older checkpoint could be read)",
             first_err);
    return -1;
  }
  return 0;
}

/* ---- progress.csv back to the checkpoint --------------------------------- */

/* The first `bytes` bytes of the file hold the header and `rows` complete
 * rows. */
static int csv_prefix_ok(FILE *f, long bytes, long rows) {
  long lines = 0;
  int c = '\n';
  for (long i = 0; i < bytes; i++) {
    if ((c = getc(f)) == EOF)
      return 0;
    lines += c == '\n';
  }
  return c == '\n' && lines == rows + 1;
}

int cli_run_csv_truncate(seed_run *r, char *err, size_t size) {
  if (cli_path_join(r->csv_path, sizeof r->csv_path, r->seed_dir,
                    "progress.csv")) {
    snprintf(err, size, "%s: path too long", r->seed_dir);
    return -1;
  }
  FILE *f = fopen(r->csv_path, "r");
  int ok = f != NULL && csv_prefix_ok(f, r->csv_bytes, r->rows);
  if (f)
    fclose(f);
  if (!ok) {
    snprintf(err, size,
             "%s does not hold the %ld rows the checkpoint %s counts; "
             "cannot resume (remove the seed directory to start it over)",
             r->csv_path, r->rows, r->last_ckpt);
    return -1;
  }
  if (truncate(r->csv_path, (off_t)r->csv_bytes) != 0 ||
      (r->csv = fopen(r->csv_path, "a")) == NULL) {
    snprintf(err, size, "cannot write %s: %s", r->csv_path, strerror(errno));
    return -1;
  }
  return 0;
}
