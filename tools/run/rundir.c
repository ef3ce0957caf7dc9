/* The run directory (see rundir.h). */
#include "run/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/fsutil.h"
#include "run/ranks.h"
#include "run/status.h"

/* ---- removing an earlier run (--force) ----------------------------------- */

/* crl train's files, and crl tune's (its trials are run directories). */
static const char *const run_files[] = {
    "config.yaml", "summary.json", "curve.png",   "tune.yaml", "trials.csv",
    "best.yaml",   "search.png",   "params.yaml", "failed.txt"};

const char *cli_rundir_command = "train";
static const char *const seed_files[] = {
    "progress.csv",    "progress.csv.tmp", "result.json",
    "result.json.tmp", "monitor.csv",      "best.crlp",
    "best.crlp.tmp",   "best.json",        "best.json.tmp"};

static void remove_names(const char *dir, const char *const *names, int n) {
  char path[CLI_PATH_MAX];
  for (int i = 0; i < n; i++)
    if (cli_path_join(path, sizeof path, dir, names[i]) == 0)
      remove(path);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The checkpoint files crl writes (step_*.ckpt and their .tmp). */
static void remove_checkpoints(const char *seed_dir) {
  char dir[CLI_PATH_MAX], path[CLI_PATH_MAX];
  if (cli_path_join(dir, sizeof dir, seed_dir, "checkpoints"))
    return;
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "step_", 5) == 0 &&
        strstr(e->d_name, ".ckpt") != NULL &&
        cli_path_join(path, sizeof path, dir, e->d_name) == 0)
      remove(path);
  closedir(d);
  rmdir(dir); /* only if now empty */
}

static void remove_seed_dir(const char *seed_dir) {
  remove_names(seed_dir, seed_files,
               (int)(sizeof seed_files / sizeof seed_files[0]));
  remove_checkpoints(seed_dir);
  rmdir(seed_dir); /* only if now empty */
}

/* What an earlier run wrote in dir, and in its grid points' directories
 * (the subdirectories that hold a config.yaml). Nothing else is touched. */
static int holds(const char *dir, const char *name) {
  char path[CLI_PATH_MAX];
  return cli_path_join(path, sizeof path, dir, name) == 0 &&
         access(path, F_OK) == 0;
}

static void remove_previous_run(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *e;
  char path[CLI_PATH_MAX];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' ||
        cli_path_join(path, sizeof path, dir, e->d_name) || !is_dir(path))
      continue;
    if (strncmp(e->d_name, "seed_", 5) == 0)
      remove_seed_dir(path);
    else if (depth == 0 &&
             (holds(path, "config.yaml") || holds(path, "params.yaml"))) {
      remove_previous_run(path, 1);
      rmdir(path);
    }
  }
  closedir(d);
  remove_names(dir, run_files, (int)(sizeof run_files / sizeof *run_files));
}

/* The directory itself is locked (flock on its descriptor): no file of the
 * run's is added, the lock goes with the process however it ends (the
 * kernel releases it), and worker processes inherit it. The descriptor is
 * kept open for the life of the process. */
int cli_rundir_lock(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    fprintf(stderr, "crl %s: cannot open '%s': %s\n", cli_rundir_command, dir,
            strerror(errno));
    return CLI_EXIT_FAILURE;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int busy = errno == EWOULDBLOCK;
    if (busy)
      fprintf(stderr,
              "crl %s: '%s' is being written by another crl process; wait "
              "for it to finish or stop it (one writer per run directory)\n",
              cli_rundir_command, dir);
    else
      fprintf(stderr, "crl %s: cannot lock '%s': %s\n", cli_rundir_command, dir,
              strerror(errno));
    close(fd);
    return busy ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

int cli_rundir_prepare(const char *dir, int force) {
  int state = cli_dir_is_free(dir);
  if (state < 0) {
    fprintf(stderr, "crl %s: '%s' exists and is not a directory\n",
            cli_rundir_command, dir);
    return CLI_EXIT_USAGE;
  }
  if (state == 0 && !force) {
    fprintf(stderr,
            "crl %s: output directory '%s' already exists and is not "
            "empty; use --resume %s to continue it, --force to overwrite it "
            "or -o DIR to choose another\n",
            cli_rundir_command, dir, dir);
    return CLI_EXIT_USAGE;
  }
  if (cli_mkdir_p(dir) != 0) {
    fprintf(stderr, "crl %s: cannot create '%s': %s\n", cli_rundir_command, dir,
            strerror(errno));
    return CLI_EXIT_FAILURE;
  }
  /* Locked before --force removes anything another process is writing. */
  int rc = cli_rundir_lock(dir);
  if (rc == CLI_EXIT_OK && state == 0)
    remove_previous_run(dir, 0);
  return rc;
}

int cli_rundir_agree(const char *dir, const char *file, int rc) {
  if (cli_ranks_size() == 1)
    return rc;
  if (cli_ranks_bcast(&rc, sizeof rc, 0))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  if (rc)
    return rc;
  char path[CLI_PATH_MAX];
  int unseen = cli_path_join(path, sizeof path, dir, file) != 0 ||
               access(path, R_OK) != 0;
  if (unseen)
    fprintf(stderr,
            "crl %s: rank %d: error: cannot see the directory %s that rank 0 "
            "made: the ranks need a file system they all share\n",
            cli_rundir_command, cli_ranks_rank(), dir);
  int any;
  if (cli_ranks_max(unseen, &any))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return any ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* ---- configs ------------------------------------------------------------- */

int cli_rundir_point(const cli_experiment *x, int p, const char *dir, char *buf,
                     size_t size) {
  if (x->names[p][0] == '\0')
    return snprintf(buf, size, "%s", dir) >= (int)size ? -1 : 0;
  return cli_path_join(buf, size, dir, x->names[p]);
}

static int write_file(const char *dir, const cli_experiment *x, int point) {
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_mkdir_p(dir) ||
      cli_path_join(path, sizeof path, dir, "config.yaml") ||
      cli_atomic_open(&af, path))
    return -1;
  int rc = point < 0 ? cli_experiment_write_yaml(x, af.f)
                     : cli_config_write_yaml(&x->points[point], af.f);
  if (rc) {
    cli_atomic_abort(&af);
    return -1;
  }
  return cli_atomic_commit(&af);
}

int cli_rundir_write_configs(const cli_experiment *x, const char *dir) {
  char point[CLI_PATH_MAX];
  int rc = write_file(dir, x, -1);
  for (int p = 0; rc == 0 && x->n_axes > 0 && p < x->n_points; p++)
    rc = cli_rundir_point(x, p, dir, point, sizeof point) ||
         write_file(point, x, p);
  if (rc)
    fprintf(stderr, "crl %s: cannot write the config.yaml files in %s: %s\n",
            cli_rundir_command, dir, strerror(errno));
  return rc;
}
