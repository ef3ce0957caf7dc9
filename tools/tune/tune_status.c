/* The live line of a running study (see tune_status.h). MAP_ANONYMOUS is
 * not in POSIX 2008; glibc shows it with _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE
#include "tune/tune_status.h"

#include <math.h>
#include <string.h>
#include <sys/mman.h>

#define REDRAW_SECONDS 0.2

int cli_tune_status_init(cli_tune_status *s, int n_slots, int quiet) {
  memset(s, 0, sizeof *s);
  s->mode = cli_progress_pick_mode(stderr, quiet);
  s->t0 = cli_now();
  s->last_draw = -1.0;
  size_t bytes = (size_t)n_slots * sizeof *s->slots;
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    s->mode = CLI_PROGRESS_QUIET;
    return -1;
  }
  s->slots = m;
  s->n_slots = n_slots;
  for (int k = 0; k < n_slots; k++)
    s->slots[k].trial = -1;
  return 0;
}

void cli_tune_status_free(cli_tune_status *s) {
  if (s->slots)
    munmap(s->slots, (size_t)s->n_slots * sizeof *s->slots);
  s->slots = NULL;
}

cli_tune_slot *cli_tune_status_take(cli_tune_status *s, int i) {
  for (int k = 0; k < s->n_slots; k++)
    if (s->slots[k].trial < 0) {
      memset((void *)&s->slots[k].run, 0, sizeof s->slots[k].run);
      s->slots[k].seed_index = 0;
      s->slots[k].trial = i;
      return &s->slots[k];
    }
  return NULL;
}

void cli_tune_status_release(cli_tune_status *s, int i) {
  for (int k = 0; k < s->n_slots; k++)
    if (s->slots[k].trial == i)
      s->slots[k].trial = -1;
}

/* How far a running trial is, in [0, 1]. */
static double trial_fraction(const cli_tune_slot *slot, const cli_study *st) {
  long budget = st->base.points[0].keys.n_timesteps;
  double seed = budget > 0 ? fmin((double)slot->run.steps / budget, 1.0) : 0.0;
  return (slot->seed_index + seed) / st->n_seeds;
}

/* "trials 12/50 done (3 pruned) | running 12 (31%), 13 (5%) | best
 * -150.2 (trial 7) | 1:05, about 3:10 left"; *frac: the study's fraction
 * done. */
static void status_text(const cli_tune_status *s, const cli_study *st,
                        char *buf, size_t size, double *frac) {
  int done = 0, pruned = 0;
  for (int i = 0; i < st->n_trials; i++) {
    done += CLI_TRIAL_DONE(&st->trials[i]);
    pruned += st->trials[i].status == CLI_TRIAL_PRUNED;
  }
  double units = done;
  size_t n = (size_t)snprintf(buf, size, "trials %d/%d done (%d pruned)", done,
                              st->n_trials, pruned);
  const char *sep = " | running ";
  for (int k = 0; k < s->n_slots && n < size; k++) {
    if (s->slots[k].trial < 0)
      continue;
    double f = trial_fraction(&s->slots[k], st);
    units += f;
    n += (size_t)snprintf(buf + n, size - n, "%s%d (%.0f%%)", sep,
                          s->slots[k].trial, 100 * f);
    sep = ", ";
  }
  int best = cli_study_best(st);
  if (n < size && best >= 0)
    n += (size_t)snprintf(buf + n, size - n, " | best %.1f (trial %d)",
                          st->trials[best].objective, best);
  double elapsed = cli_now() - s->t0;
  *frac = st->n_trials > 0 ? units / st->n_trials : 1.0;
  char when[32], left[32];
  cli_format_duration(elapsed, when, sizeof when);
  cli_format_duration(*frac > 0.01 ? elapsed / *frac - elapsed : NAN, left,
                      sizeof left);
  if (n < size)
    snprintf(buf + n, size - n, " | %s, about %s left", when, left);
}

/* A terminal is redrawn at most every REDRAW_SECONDS; a pipe gets a line
 * at each tenth of the study, whenever it is crossed, however fast the
 * trials end (at most ten lines, so it needs no clock). */
void cli_tune_status_draw(cli_tune_status *s, const cli_study *st) {
  double now = cli_now();
  if (s->mode == CLI_PROGRESS_QUIET ||
      (s->mode == CLI_PROGRESS_BAR && now - s->last_draw < REDRAW_SECONDS))
    return;
  s->last_draw = now;
  char line[1024];
  double frac;
  status_text(s, st, line, sizeof line, &frac);
  if (s->mode == CLI_PROGRESS_BAR) {
    fprintf(stderr, "\r%s\033[K", line);
    s->drawn = 1;
  } else if (frac * 10 >= s->next_tenth + 1 && frac < 1.0) {
    s->next_tenth = (int)(frac * 10);
    fprintf(stderr, "%s\n", line);
  }
  fflush(stderr);
}

void cli_tune_status_clear(cli_tune_status *s) {
  if (s->drawn)
    fputs("\r\033[K", stderr);
  s->drawn = 0;
}
