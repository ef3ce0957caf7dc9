/* monitor.csv: one row per finished training episode, in SB3's Monitor
 * layout, so that tools written for SB3 logs read it:
 *
 *   #{"t_start": 1717171717.123456, "env_id": "CartPole-v1"}
 *   r,l,t
 *   22.0,22,0.013458
 *
 * r is the episode's undiscounted return of the env's own rewards (before
 * any reward normalisation), l its length, t the training time in seconds
 * when it ended (both rounded to 6 decimals, as SB3 does). Rows come from
 * the vec env's episode hook (crl_vec_env_on_episode), so every copy's
 * episodes are there in the order they ended. The file is flushed after
 * every iteration, and a checkpoint records how many rows and bytes belong
 * to it: a resume cuts the file back to them and the episodes after it are
 * written again (identically, but for t). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/runner_internal.h"

#define HEADER_COLUMNS "r,l,t"

/* x rounded to 6 decimals, as Python prints round(x, 6): trailing zeros
 * dropped, one digit kept after the point ("22.0", "-1234.567891"). */
static void format_rounded(double x, char *buf, size_t size) {
  snprintf(buf, size, "%.6f", x);
  char *dot = strchr(buf, '.');
  if (dot == NULL)
    return;
  char *end = buf + strlen(buf) - 1;
  while (end > dot + 1 && *end == '0')
    *end-- = '\0';
}

static void note_failure(seed_run *r) {
  if (!r->mon_failed) {
    r->mon_failed = 1;
    r->mon_errno = errno ? errno : EIO;
  }
}

/* The vec env's hook: one row. */
static void on_episode(void *ctx, int copy, double episode_return,
                       long length) {
  (void)copy;
  seed_run *r = ctx;
  if (r->mon == NULL || r->mon_failed)
    return;
  char ret[64], t[64];
  format_rounded(episode_return, ret, sizeof ret);
  format_rounded(cli_now() - r->t0, t, sizeof t);
  int n = fprintf(r->mon, "%s,%ld,%s\n", ret, length, t);
  if (n < 0) {
    note_failure(r);
    return;
  }
  r->mon_bytes += n;
  r->mon_rows++;
}

void cli_run_monitor_attach(seed_run *r) {
  crl_vec_env_on_episode(r->venv, on_episode, r);
}

static int monitor_path(seed_run *r) {
  return cli_path_join(r->mon_path, sizeof r->mon_path, r->seed_dir,
                       "monitor.csv");
}

int cli_run_monitor_open_fresh(seed_run *r, char *err, size_t size) {
  if (monitor_path(r) || (r->mon = fopen(r->mon_path, "w")) == NULL) {
    snprintf(err, size, "cannot write in %s: %s", r->seed_dir, strerror(errno));
    return -1;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  fprintf(r->mon, "#{\"t_start\": %.6f, \"env_id\": ",
          (double)now.tv_sec + 1e-9 * (double)now.tv_nsec);
  cli_json_string(r->mon, r->cfg->env_name);
  fputs("}\n" HEADER_COLUMNS "\n", r->mon);
  long bytes;
  if (fflush(r->mon) != 0 || (bytes = ftell(r->mon)) < 0) {
    snprintf(err, size, "cannot write %s: %s", r->mon_path, strerror(errno));
    return -1;
  }
  r->mon_bytes = bytes;
  r->mon_rows = 0;
  r->mon_failed = 0;
  return 0;
}

int cli_run_monitor_flush(seed_run *r, int sync) {
  if (r->mon == NULL)
    return 0;
  if (r->mon_failed) {
    errno = r->mon_errno;
    return -1;
  }
  if (fflush(r->mon) != 0 || ferror(r->mon) ||
      (sync && fsync(fileno(r->mon)) != 0)) {
    note_failure(r);
    return -1;
  }
  return 0;
}

/* The first `bytes` bytes of the file are the comment line, the column
 * line and `rows` complete rows. */
static int prefix_ok(FILE *f, long bytes, long rows) {
  long lines = 0;
  int c = '\n';
  char second[sizeof HEADER_COLUMNS + 1];
  size_t n2 = 0;
  for (long i = 0; i < bytes; i++) {
    if ((c = getc(f)) == EOF || (i == 0 && c != '#'))
      return 0;
    if (lines == 1 && c != '\n' && n2 + 1 < sizeof second)
      second[n2++] = (char)c;
    lines += c == '\n';
  }
  second[n2] = '\0';
  return c == '\n' && lines == rows + 2 && strcmp(second, HEADER_COLUMNS) == 0;
}

int cli_run_monitor_truncate(seed_run *r, char *err, size_t size) {
  if (monitor_path(r)) {
    snprintf(err, size, "%s: path too long", r->seed_dir);
    return -1;
  }
  FILE *f = fopen(r->mon_path, "r");
  int ok = f != NULL && prefix_ok(f, r->mon_bytes, r->mon_rows);
  if (f)
    fclose(f);
  if (!ok) {
    snprintf(err, size,
             "%s does not hold the %ld episodes the checkpoint %s counts; "
             "cannot resume (remove the seed directory to start it over)",
             r->mon_path, r->mon_rows, r->last_ckpt);
    return -1;
  }
  if (truncate(r->mon_path, (off_t)r->mon_bytes) != 0 ||
      (r->mon = fopen(r->mon_path, "a")) == NULL) {
    snprintf(err, size, "cannot write %s: %s", r->mon_path, strerror(errno));
    return -1;
  }
  r->mon_failed = 0;
  return 0;
}
