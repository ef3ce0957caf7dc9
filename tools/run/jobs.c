/* Running the jobs of an experiment (see jobs.h). MAP_ANONYMOUS is not
 * in POSIX 2008; glibc shows it with _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE
#include "run/jobs.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run/ranks.h"
#include "run/signals.h"

int cli_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n >= 1 ? (int)(n > 4096 ? 4096 : n) : 1;
}

int cli_threads_auto(int workers, int runs) {
  if (cli_ranks_size() > 1)
    return 1;
  const int at_once = workers < runs ? workers : runs;
  const int t = cli_cpu_count() / (at_once > 1 ? at_once : 1);
  return t > 1 ? (t < CRL_THREADS_MAX ? t : CRL_THREADS_MAX) : 1;
}

int cli_jobs_make(const cli_experiment *x, const char *run_dir, cli_job **out,
                  int *n) {
  int total = 0;
  for (int p = 0; p < x->n_points; p++)
    total += cli_config_seed_count(&x->points[p]);
  cli_job *jobs = calloc((size_t)(total ? total : 1), sizeof *jobs);
  if (jobs == NULL)
    return -1;
  int k = 0;
  for (int p = 0; p < x->n_points; p++)
    for (int i = 0; i < cli_config_seed_count(&x->points[p]); i++, k++) {
      cli_job *j = &jobs[k];
      j->point = p;
      j->seed = cli_config_seed_at(&x->points[p], i);
      const char *point = x->names[p];
      int a = snprintf(j->label, sizeof j->label, "%s%sseed_%d", point,
                       point[0] ? "/" : "", j->seed);
      int b = snprintf(j->dir, sizeof j->dir, "%s/%s", run_dir, j->label);
      if (a < 0 || b < 0 || (size_t)b >= sizeof j->dir) {
        free(jobs);
        return -1;
      }
      j->result = (cli_seed_result){.seed = j->seed,
                                    .status = CLI_RUN_NOT_RUN,
                                    .final_eval_mean = NAN,
                                    .final_eval_std = NAN};
    }
  *out = jobs;
  *n = total;
  return 0;
}

/* ---- one job ------------------------------------------------------------- */

static long job_budget(const cli_run_config *cfg) {
  const cli_run_keys *k = &cfg->keys;
  return k->n_timesteps == INT_MAX && k->n_episodes > 0 ? k->n_episodes
                                                        : k->n_timesteps;
}

/* A finished job of an earlier, interrupted invocation. */
static int done_before(cli_job *j, const cli_jobs_opts *o) {
  cli_seed_result r;
  if (!o->resume || cli_result_read(j->dir, &r) || r.status != CLI_RUN_OK)
    return 0;
  j->result = r;
  return 1;
}

static void run_job(const cli_experiment *x, cli_job *j, const cli_jobs_opts *o,
                    cli_progress *p) {
  char err[CLI_ERR_SIZE];
  cli_run_opts ro = {.progress = p,
                     .stop = &cli_stop_requested,
                     .resume = o->resume,
                     .threads_auto = o->threads_auto};
  cli_run_seed_ex(&x->points[j->point], j->seed, j->dir, &ro, &j->result, err,
                  sizeof err);
  if (cli_result_write(j->dir, &j->result) != 0 &&
      j->result.status == CLI_RUN_OK) {
    j->result.status = CLI_RUN_FAILED;
    snprintf(j->result.error, sizeof j->result.error,
             "cannot write %.600s/result.json: %s", j->dir, strerror(errno));
  }
}

static void report_end(const cli_job *j, int index, int n, FILE *out) {
  const cli_seed_result *r = &j->result;
  char when[32];
  cli_format_duration(r->wall_seconds, when, sizeof when);
  if (r->status == CLI_RUN_OK)
    fprintf(out,
            "run %d/%d (%s): final eval return %.1f ± %.1f in %s "
            "(%.0f steps/s)\n",
            index + 1, n, j->label, r->final_eval_mean, r->final_eval_std, when,
            r->steps_per_second);
  else
    fprintf(out, "run %d/%d (%s): %s: %s\n", index + 1, n, j->label,
            r->status == CLI_RUN_INTERRUPTED ? "interrupted" : "FAILED",
            r->error);
  fflush(out);
}

/* ---- in this process ----------------------------------------------------- */

static void run_here(const cli_experiment *x, cli_job *jobs, int n,
                     const cli_jobs_opts *o) {
  const int grid = x->n_axes > 0;
  for (int i = 0; i < n && !cli_stop_requested; i++) {
    cli_job *j = &jobs[i];
    if (done_before(j, o))
      continue;
    const cli_run_config *cfg = &x->points[j->point];
    cli_progress p;
    cli_progress_init(&p, cli_progress_pick_mode(stderr, o->quiet), stderr, n,
                      job_budget(cfg));
    if (cfg->keys.n_timesteps == INT_MAX && cfg->keys.n_episodes > 0)
      p.unit = "episodes";
    p.label = grid ? j->label : NULL;
    cli_progress_seed_begin(&p, i, j->seed);
    run_job(x, j, o, &p);
    if (j->result.status == CLI_RUN_OK)
      cli_progress_seed_end(&p, j->result.final_eval_mean,
                            j->result.final_eval_std, j->result.wall_seconds,
                            j->result.steps_per_second);
    else {
      cli_progress_end_line(&p); /* the message gets a line of its own */
      if (!o->quiet_failures)
        report_end(j, i, n, stderr);
    }
  }
}

/* ---- in worker processes ------------------------------------------------- */

typedef struct pool {
  const cli_experiment *x;
  cli_job *jobs;
  int n;
  const cli_jobs_opts *o;
  cli_progress_slot *slots; /* shared with the workers */
  pid_t *pids;              /* [n] 0 when not running */
  char *ran;                /* [n] started by this invocation */
  int running, finished, next;
  cli_progress_mode mode;
  double t0, last_draw;
  int drawn, next_tenth;
} pool;

static void worker_main(pool *pl, int i) {
  cli_job *j = &pl->jobs[i];
  cli_progress p;
  cli_progress_init(&p, CLI_PROGRESS_QUIET, stderr, pl->n,
                    job_budget(&pl->x->points[j->point]));
  p.slot = &pl->slots[i];
  cli_progress_seed_begin(&p, i, j->seed);
  run_job(pl->x, j, pl->o, &p);
  fflush(NULL);
  _exit(j->result.status == CLI_RUN_OK ? 0 : 1);
}

static int start_one(pool *pl, int i) {
  pid_t pid = cli_signals_fork_worker();
  if (pid == 0)
    worker_main(pl, i);
  if (pid < 0) {
    cli_seed_result *r = &pl->jobs[i].result;
    r->status = CLI_RUN_FAILED;
    snprintf(r->error, sizeof r->error, "cannot start a worker: %s",
             strerror(errno));
    return -1;
  }
  pl->pids[i] = pid;
  pl->ran[i] = 1;
  pl->running++;
  return 0;
}

/* A worker ended: its result is in its result.json. */
static void collect(pool *pl, pid_t pid, int status) {
  int i = 0;
  while (i < pl->n && pl->pids[i] != pid)
    i++;
  if (i == pl->n)
    return;
  cli_signals_remove_child(pid);
  pl->pids[i] = 0;
  pl->running--;
  pl->finished++;
  cli_job *j = &pl->jobs[i];
  if (cli_result_read(j->dir, &j->result) != 0) {
    j->result.status = CLI_RUN_FAILED;
    if (WIFSIGNALED(status))
      snprintf(j->result.error, sizeof j->result.error,
               "the worker was killed by signal %d", WTERMSIG(status));
    else
      snprintf(j->result.error, sizeof j->result.error,
               "the worker exited with status %d without a result",
               WEXITSTATUS(status));
  }
  if (pl->drawn)
    fputs("\r\033[K", stderr);
  pl->drawn = 0;
  if (pl->mode != CLI_PROGRESS_QUIET || j->result.status == CLI_RUN_FAILED)
    report_end(j, i, pl->n, stderr);
}

/* Steps done over all jobs, the total, and the steps this invocation
 * took (a resumed run starts at its checkpoint, a finished one is done). */
static void overall(const pool *pl, double *done, double *total, double *now) {
  *done = *total = *now = 0.0;
  for (int i = 0; i < pl->n; i++) {
    double b = (double)job_budget(&pl->x->points[pl->jobs[i].point]);
    double start = (double)pl->slots[i].start_steps;
    double d = pl->pids[i] != 0 ? fmin((double)pl->slots[i].steps, b)
               : pl->jobs[i].result.status != CLI_RUN_NOT_RUN ? b
                                                              : 0.0;
    *total += b;
    *done += d;
    if (pl->ran[i] && d > start)
      *now += d - start;
  }
}

static void draw_status(pool *pl) {
  double now = cli_now(), done, total, here;
  if (pl->mode == CLI_PROGRESS_QUIET || now - pl->last_draw < 0.2)
    return;
  pl->last_draw = now;
  overall(pl, &done, &total, &here);
  double frac = total > 0 ? done / total : 0.0;
  double rate = here / fmax(now - pl->t0, 1e-9);
  char eta[32];
  cli_format_duration(rate > 0 ? (total - done) / rate : NAN, eta, sizeof eta);
  if (pl->mode == CLI_PROGRESS_BAR) {
    char bar[25];
    for (int k = 0; k < 24; k++)
      bar[k] = k < (int)(frac * 24) ? '#' : '.';
    bar[24] = '\0';
    fprintf(stderr,
            "\rruns %d/%d done, %d running [%s] %3.0f%%  %.0f/s  "
            "ETA %s\033[K",
            pl->finished, pl->n, pl->running, bar, 100 * frac, rate, eta);
    pl->drawn = 1;
  } else if (frac * 10 >= pl->next_tenth + 1 && frac < 1.0) {
    pl->next_tenth = (int)(frac * 10);
    fprintf(stderr, "runs %d/%d done, %d running: %3.0f%%, %.0f/s, ETA %s\n",
            pl->finished, pl->n, pl->running, 100 * frac, rate, eta);
  }
  fflush(stderr);
}

static void pool_loop(pool *pl) {
  while (pl->next < pl->n || pl->running > 0) {
    while (!cli_stop_requested && pl->running < pl->o->workers &&
           pl->next < pl->n) {
      int i = pl->next++;
      if (done_before(&pl->jobs[i], pl->o))
        pl->finished++;
      else
        start_one(pl, i);
    }
    if (cli_stop_requested)
      pl->next = pl->n; /* start nothing more */
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      collect(pl, pid, status);
      continue;
    }
    if (pid < 0 && errno == ECHILD && pl->running > 0)
      pl->running = 0; /* cannot happen, but never spin forever */
    draw_status(pl);
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
  }
  if (pl->drawn)
    fputs("\r\033[K", stderr);
}

static void run_pool(const cli_experiment *x, cli_job *jobs, int n,
                     const cli_jobs_opts *o) {
  pool pl = {.x = x, .jobs = jobs, .n = n, .o = o};
  size_t bytes = (size_t)n * sizeof *pl.slots;
  pl.slots = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pl.pids = calloc((size_t)n, sizeof *pl.pids);
  pl.ran = calloc((size_t)n, 1);
  if (pl.slots == MAP_FAILED || pl.pids == NULL || pl.ran == NULL) {
    if (pl.slots != MAP_FAILED)
      munmap(pl.slots, bytes);
    free(pl.pids);
    free(pl.ran);
    run_here(x, jobs, n, o); /* no room for workers: one at a time */
    return;
  }
  memset(pl.slots, 0, bytes);
  pl.mode = cli_progress_pick_mode(stderr, o->quiet);
  pl.t0 = cli_now();
  pl.last_draw = -1.0;
  pool_loop(&pl);
  munmap(pl.slots, bytes);
  free(pl.pids);
  free(pl.ran);
}

static void run_local(const cli_experiment *x, cli_job *jobs, int n,
                      const cli_jobs_opts *o) {
  if (o->workers <= 1 || n <= 1)
    run_here(x, jobs, n, o);
  else
    run_pool(x, jobs, n, o);
}

/* ---- over MPI ranks ------------------------------------------------------ */

/* Rank r runs jobs r, r + K, r + 2K, ... (each with its own workers), then
 * every rank gets every job's result from the rank that ran it. Which
 * rank runs a job changes nothing in its files: a run's bits depend only
 * on its config and seed. */
static int run_ranked(const cli_experiment *x, cli_job *jobs, int n,
                      const cli_jobs_opts *o) {
  const int size = cli_ranks_size(), rank = cli_ranks_rank();
  int mine_n = 0;
  cli_job *mine = calloc((size_t)(n / size + 1), sizeof *mine);
  if (mine == NULL)
    return -1;
  for (int i = rank; i < n; i += size)
    mine[mine_n++] = jobs[i];
  cli_jobs_opts here = *o;
  here.quiet = o->quiet || rank > 0; /* one progress display: rank 0's */
  run_local(x, mine, mine_n, &here);
  for (int k = 0; k < mine_n; k++)
    jobs[rank + k * size] = mine[k];
  free(mine);
  int all_done;
  if (cli_ranks_max(0, &all_done))
    return -1;
  for (int i = 0; i < n; i++)
    if (cli_ranks_bcast(&jobs[i].result, sizeof jobs[i].result, i % size))
      return -1;
  return 0;
}

/* Data parallel: every rank runs every job, one after the other, rank r > 0
 * in the job's rank_<r>/; rank 0's files are the job's. A failure the
 * ranks agreed on (the run's set-up) is reported once; a rank that fails
 * alone takes the others down at once (they may be waiting for it in a
 * collective), naming itself, the seed and the cause. */
static void run_together(const cli_experiment *x, cli_job *jobs, int n,
                         const cli_jobs_opts *o) {
  const int rank = cli_ranks_rank();
  cli_jobs_opts here = *o;
  here.workers = 1;
  here.quiet = o->quiet || rank > 0;
  here.quiet_failures = rank > 0; /* below, with the rank's name */
  for (int i = 0; i < n; i++) {
    int stop; /* the ranks go on, or stop, together */
    if (cli_ranks_max(cli_stop_requested != 0, &stop))
      cli_ranks_abort(CLI_EXIT_FAILURE);
    if (stop)
      break;
    cli_job j = jobs[i];
    if (rank > 0) {
      char dir[CLI_PATH_MAX];
      int len = snprintf(dir, sizeof dir, "%s/rank_%d", j.dir, rank);
      if (len < 0 || (size_t)len >= sizeof dir) {
        fprintf(stderr, "crl train: rank %d: %s/rank_%d: path too long\n", rank,
                j.dir, rank);
        cli_ranks_abort(CLI_EXIT_FAILURE);
      }
      memcpy(j.dir, dir, sizeof dir);
    }
    run_local(x, &j, 1, &here);
    const cli_seed_result *res = &j.result;
    if (res->status == CLI_RUN_FAILED &&
        (res->failed_together == 0 ||
         (rank > 0 && res->failed_together == CLI_FAILED_HERE)))
      fprintf(stderr, "crl train: rank %d of %d: %s: step %ld: %s\n", rank,
              cli_ranks_size(), j.label, res->steps, res->error);
    if (res->status == CLI_RUN_FAILED && !res->failed_together) {
      fflush(stderr);
      cli_ranks_abort(CLI_EXIT_FAILURE);
    }
    if (rank == 0)
      jobs[i].result = j.result;
  }
}

/* Every point of the experiment is data parallel (checked when the
 * experiment is read: all or none). */
static int data_parallel(const cli_experiment *x) {
  return x->n_points > 0 && x->points[0].keys.data_parallel;
}

void cli_jobs_run(const cli_experiment *x, cli_job *jobs, int n,
                  const cli_jobs_opts *opts) {
  cli_jobs_opts here = *opts;
  here.threads_auto = cli_threads_auto(opts->workers, n);
  const cli_jobs_opts *o = &here;
  if (cli_ranks_size() == 1) {
    run_local(x, jobs, n, o);
    return;
  }
  if (data_parallel(x)) {
    run_together(x, jobs, n, o);
    return;
  }
  if (run_ranked(x, jobs, n, o)) {
    fprintf(stderr,
            "crl train: rank %d: error: MPI failed while the ranks "
            "exchanged their results\n",
            cli_ranks_rank());
    cli_ranks_abort(CLI_EXIT_FAILURE);
  }
}
