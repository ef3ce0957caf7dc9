/* The runner's checkpoints: the algorithm and its vec env
 * (crl_algo_checkpoint_write), plus the runner's own sections, declared as
 * tables of crl/state.h: the resolved configuration as text and the seed
 * (what the run is), the counters, the last evaluation and how much of
 * progress.csv belongs to this state. Only the public API is used. Files are
 * seed_dir/checkpoints/ step_<steps>.ckpt, written atomically; only the newest
 * checkpoint.keep are kept, and an older one is removed only after a newer one
 * is in place. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crl/crl.h"
#include "run/runner_internal.h"

/* 2: monitor.csv's rows and bytes, the best evaluation and the early stop
 * joined the counters; a format-1 checkpoint is refused. */
#define RUNNER_FORMAT 2
#define MAX_LISTED 4096
#define MAX_CONFIG_TEXT (1 << 20)
#define MAX_COUNTER ((long)1 << 50)

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

/* ---- the runner's sections ---------------------------------------------- */

/* What the run is: its resolved configuration and its seed ("runner.config",
 * "runner.seed"), read before anything else to tell whether a checkpoint
 * belongs to this run. */
typedef struct run_identity {
  char *config; /* [size] */
  size_t size;
  long seed;
} run_identity;

static int identity_sections(void *obj, crl_state_io *io) {
  run_identity *id = obj;
  const crl_state_item items[] = {
      CRL_STATE(STRING, "config", id->config, id->size, 0),
      CRL_STATE_RANGED(LONG, "seed", &id->seed, 1, 0, MAX_COUNTER),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

/* Where the run is. wall is the time trained so far, so that wall_seconds
 * continues from the interrupted run's. */
typedef struct run_counters {
  seed_run *r;
  long format;
  double wall;
} run_counters;

static int counter_sections(void *obj, crl_state_io *io) {
  run_counters *c = obj;
  seed_run *r = c->r;
  const long M = MAX_COUNTER;
  const crl_state_item items[] = {
      CRL_STATE(LONG, "format", &c->format, 1, CRL_STATE_MATCH),
      CRL_STATE_RANGED(LONG, "steps", &r->steps, 1, 0, M),
      CRL_STATE_RANGED(LONG, "rows", &r->rows, 1, 0, M),
      CRL_STATE_RANGED(LONG, "csv_bytes", &r->csv_bytes, 1, 0, M),
      CRL_STATE_RANGED(LONG, "last_iter_steps", &r->last_iter_steps, 1, 0, M),
      CRL_STATE_RANGED(LONG, "last_iter_episodes", &r->last_iter_episodes, 1, 0,
                       M),
      CRL_STATE(F64, "eval_mean", &r->eval_mean, 1, 0), /* NAN: none yet */
      CRL_STATE(F64, "eval_std", &r->eval_std, 1, 0),
      CRL_STATE_RANGED(F64, "wall", &c->wall, 1, 0, 1e12),
      CRL_STATE_RANGED(LONG, "monitor_rows", &r->mon_rows, 1, 0, M),
      CRL_STATE_RANGED(LONG, "monitor_bytes", &r->mon_bytes, 1, 0, M),
      CRL_STATE(F64, "best_eval", &r->best_eval, 1, 0), /* NAN: none yet */
      CRL_STATE_RANGED(LONG, "best_step", &r->best_step, 1, 0, M),
      CRL_STATE_RANGED(LONG, "stopped_early", &r->stopped_early, 1, 0, M),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

/* ---- saving -------------------------------------------------------------- */

/* The rows the checkpoint counts (progress.csv's and monitor.csv's) must
 * be on disk before it is. */
static int sync_csv(seed_run *r) {
  return fflush(r->csv) != 0 || fsync(fileno(r->csv)) != 0 ||
                 cli_run_monitor_flush(r, 1) != 0
             ? -1
             : 0;
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
  run_identity id = {r->config_text, strlen(r->config_text) + 1, r->seed};
  run_counters c = {r, RUNNER_FORMAT, cli_now() - r->t0};
  crl_ckpt_writer *w = NULL;
  int rc = crl_ckpt_writer_alloc(&w);
  rc = rc ? rc : crl_algo_checkpoint_write(r->algo, r->venv, w);
  rc = rc ? rc : crl_state_save(w, "runner", identity_sections, &id);
  rc = rc ? rc : crl_state_save(w, "runner", counter_sections, &c);
  rc = rc ? rc : crl_ckpt_writer_write(w, path);
  crl_ckpt_writer_free(w);
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

/* ---- resuming ------------------------------------------------------------ */

/* The identity, with a buffer sized from the file (config malloc'd). */
static int read_identity(const crl_ckpt_reader *rd, run_identity *id) {
  *id = (run_identity){NULL, 0, -1};
  size_t count = 0;
  if (crl_state_find(rd, "runner.config", &count) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: no runner.config section (not "
                                 "written by crl train)");
  if (count > MAX_CONFIG_TEXT)
    return crl_fail(CRL_EFORMAT, "checkpoint: runner.config is not a "
                                 "configuration");
  id->size = count + 1;
  if ((id->config = malloc(id->size)) == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  int rc = crl_state_load(rd, "runner", identity_sections, id);
  if (rc) {
    free(id->config);
    id->config = NULL;
  }
  return rc;
}

int cli_run_ckpt_config_text(const crl_ckpt_reader *rd, char **out) {
  run_identity id;
  int rc = read_identity(rd, &id);
  *out = id.config;
  return rc;
}

/* Why a checkpoint was not loaded: unreadable or damaged (an older one may
 * do), or another run's (no checkpoint of this directory will do). */
typedef enum load_result {
  LOADED = 0,
  LOAD_FAILED = -1,
  LOAD_FOREIGN = -2
} load_result;

/* The checkpoint belongs to this run: same seed and same settings. */
static load_result check_identity(const seed_run *r, const crl_ckpt_reader *rd,
                                  const char *path, char *err, size_t size) {
  run_identity id;
  if (read_identity(rd, &id) != 0) {
    snprintf(err, size, "%s: %s", path, crl_last_error());
    return LOAD_FAILED;
  }
  const int ok = id.seed == r->seed && strcmp(id.config, r->config_text) == 0;
  if (!ok)
    snprintf(err, size,
             "%s: written by seed %ld with other settings than %s's "
             "config.yaml; it cannot continue this run",
             path, id.seed, r->seed_dir);
  free(id.config);
  return ok ? LOADED : LOAD_FOREIGN;
}

/* "PATH: why", unless why names the path already. */
static void fail_path(const char *path, char *err, size_t size) {
  const char *why = crl_last_error();
  if (strstr(why, path) != NULL)
    snprintf(err, size, "%s", why);
  else
    snprintf(err, size, "%s: %s", path, why);
}

/* A checkpoint of another runner format (an older crl's) is named as
 * such, with the way out, before its sections are read. */
static int check_format(const crl_ckpt_reader *rd, const char *path, char *err,
                        size_t size) {
  long format = 0;
  const crl_state_item items[] = {
      CRL_STATE_RANGED(LONG, "format", &format, 1, 0, MAX_COUNTER)};
  if (crl_state_load_items(rd, "runner", items, 1) != 0 ||
      format == RUNNER_FORMAT)
    return 0; /* a damaged file: the full load says what is wrong */
  snprintf(err, size,
           "%s: written by %s crl (runner format %ld; this one reads %d): "
           "resume it with the crl that wrote it, or start again with "
           "--force",
           path, format < RUNNER_FORMAT ? "an older" : "a newer", format,
           RUNNER_FORMAT);
  return -1;
}

/* Load one checkpoint file (that of step `step`) into r, or say why not in
 * err. */
static load_result load_one(seed_run *r, const char *path, long step, char *err,
                            size_t size) {
  crl_ckpt_reader *rd = NULL;
  if (crl_ckpt_reader_open(path, &rd) != 0) {
    fail_path(path, err, size);
    return LOAD_FAILED;
  }
  load_result res = check_identity(r, rd, path, err, size);
  if (res != LOADED) {
    crl_ckpt_reader_free(rd);
    return res;
  }
  if (check_format(rd, path, err, size)) {
    crl_ckpt_reader_free(rd);
    return LOAD_FAILED;
  }
  run_counters c = {r, RUNNER_FORMAT, 0.0};
  int rc = crl_algo_checkpoint_read(r->algo, r->venv, rd);
  rc = rc ? rc : crl_state_load(rd, "runner", counter_sections, &c);
  if (rc)
    fail_path(path, err, size);
  else if (r->steps != step) { /* a hand-edited count would skip training */
    snprintf(err, size, "%s: runner.steps is %ld, but the file is step %ld's",
             path, r->steps, step);
    rc = -1;
  } else /* wall_seconds continues from where the interrupted run was */
    r->t0 = cli_now() - c.wall;
  crl_ckpt_reader_free(rd);
  return rc ? LOAD_FAILED : LOADED;
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

/* A write cut short (a second Ctrl-C, a kill) leaves PATH.tmp beside the
 * checkpoints; it is never read, and removed before resuming. */
static void remove_temporaries(const char *seed_dir) {
  char dir[CLI_PATH_MAX], path[CLI_PATH_MAX];
  if (checkpoint_dir(seed_dir, dir, sizeof dir))
    return;
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n > 9 && strcmp(e->d_name + n - 9, ".ckpt.tmp") == 0 &&
        cli_path_join(path, sizeof path, dir, e->d_name) == 0)
      remove(path);
  }
  closedir(d);
}

/* An env without get_state/set_state is checkpointed without its state
 * (the policy only): continuing from there would not be the same run. */
static int refuse_stateless(const seed_run *r, char *err, size_t size) {
  const crl_env_type *t = crl_env_find(r->cfg->env_name);
  if (t == NULL || (t->get_state && t->set_state && t->state_dim > 0))
    return 0;
  snprintf(err, size,
           "seed %d: env '%s' has no get_state/set_state, so its checkpoints "
           "hold the policy but not the env: the run cannot be resumed "
           "(give the env get_state/set_state, docs/embedding.md)",
           r->seed, t->name);
  return -1;
}

int cli_run_checkpoint_resume(seed_run *r, char *err, size_t size) {
  remove_temporaries(r->seed_dir);
  long steps[MAX_LISTED];
  int n = list_steps(r->seed_dir, steps, MAX_LISTED);
  if (n > 0 && refuse_stateless(r, err, size))
    return -1;
  char path[CLI_PATH_MAX], first_err[CLI_ERR_SIZE] = "";
  for (int i = 0; i < n; i++) {
    if (checkpoint_path(r->seed_dir, steps[i], path, sizeof path))
      continue;
    const load_result res = load_one(r, path, steps[i], err, size);
    if (res == LOADED) {
      if (i > 0)
        fprintf(stderr, "warning: %s; resuming from %s\n", first_err, path);
      snprintf(r->last_ckpt, sizeof r->last_ckpt, "%s", path);
      return 1;
    }
    if (i == 0)
      snprintf(first_err, sizeof first_err, "%s", err);
    if (res == LOAD_FOREIGN || rebuild(r, err, size))
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
