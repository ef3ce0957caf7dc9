/* Training progress on the terminal (see progress.h). */
#include "run/progress.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define REDRAW_SECONDS 0.1

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

cli_progress_mode cli_progress_pick_mode(FILE *out, int quiet) {
  if (quiet)
    return CLI_PROGRESS_QUIET;
  return isatty(fileno(out)) ? CLI_PROGRESS_BAR : CLI_PROGRESS_LINES;
}

void cli_format_duration(double seconds, char *buf, size_t size) {
  if (!isfinite(seconds) || seconds < 0) {
    snprintf(buf, size, "?");
    return;
  }
  if (seconds < 60) {
    snprintf(buf, size, "%.1fs", seconds);
    return;
  }
  long s = lround(seconds);
  if (s >= 3600)
    snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

static void format_return(double v, char *buf, size_t size) {
  if (isnan(v))
    snprintf(buf, size, "-");
  else
    snprintf(buf, size, "%.1f", v);
}

void cli_progress_init(cli_progress *p, cli_progress_mode mode, FILE *out,
                       int n_seeds, long total) {
  memset(p, 0, sizeof *p);
  p->mode = mode;
  p->out = out;
  p->n_seeds = n_seeds;
  p->total = total > 0 ? total : 1;
  p->unit = "steps";
}

void cli_progress_seed_begin(cli_progress *p, int seed_index, int seed) {
  p->seed_index = seed_index;
  p->seed = seed;
  p->last_draw = -1.0;
  p->next_line_step = (p->total + 9) / 10;
}

/* "seed 2/3 (seed 1)", or "run 2/6 (lr=1e-3/seed_1)" for grid runs. */
static void describe_run(const cli_progress *p, char *buf, size_t size) {
  if (p->label)
    snprintf(buf, size, "run %d/%d (%s)", p->seed_index + 1, p->n_seeds,
             p->label);
  else
    snprintf(buf, size, "seed %d/%d (seed %d)", p->seed_index + 1, p->n_seeds,
             p->seed);
}

static void draw_bar(cli_progress *p, long steps, double elapsed,
                     double recent_return, double last_eval) {
  double frac = (double)steps / (double)p->total;
  if (frac > 1.0)
    frac = 1.0;
  char bar[BAR_WIDTH + 1];
  int filled = (int)(frac * BAR_WIDTH);
  for (int i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  double rate = elapsed > 0 ? (double)steps / elapsed : 0.0;
  char eta[32], ret[32], eval[32];
  cli_format_duration(rate > 0 ? (double)(p->total - steps) / rate : NAN, eta,
                      sizeof eta);
  format_return(recent_return, ret, sizeof ret);
  format_return(last_eval, eval, sizeof eval);
  fprintf(p->out,
          "\rseed %d/%d [%s] %ld/%ld %.0f %s/s  return %s  eval %s  "
          "ETA %s\033[K",
          p->seed_index + 1, p->n_seeds, bar, steps, p->total, rate, p->unit,
          ret, eval, eta);
  fflush(p->out);
  p->drawn = 1;
}

static void print_line(cli_progress *p, long steps, double elapsed,
                       double recent_return, double last_eval) {
  double rate = elapsed > 0 ? (double)steps / elapsed : 0.0;
  char ret[32], eval[32];
  format_return(recent_return, ret, sizeof ret);
  format_return(last_eval, eval, sizeof eval);
  char who[320];
  describe_run(p, who, sizeof who);
  fprintf(p->out,
          "%s: %ld/%ld %s (%3.0f%%), %.0f %s/s, "
          "return %s, eval %s\n",
          who, steps, p->total, p->unit,
          100.0 * (double)steps / (double)p->total, rate, p->unit, ret, eval);
  fflush(p->out);
}

void cli_progress_start(cli_progress *p, long steps) {
  if (p->slot != NULL) {
    p->slot->start_steps = steps;
    p->slot->steps = steps;
  }
}

void cli_progress_update(cli_progress *p, long steps, double elapsed,
                         double recent_return, double last_eval) {
  if (p->slot != NULL) {
    p->slot->elapsed = elapsed;
    p->slot->recent_return = recent_return;
    p->slot->last_eval = last_eval;
    p->slot->steps = steps;
    return;
  }
  if (p->mode == CLI_PROGRESS_BAR) {
    if (p->last_draw >= 0 && elapsed - p->last_draw < REDRAW_SECONDS &&
        steps < p->total)
      return;
    p->last_draw = elapsed;
    draw_bar(p, steps, elapsed, recent_return, last_eval);
  } else if (p->mode == CLI_PROGRESS_LINES && steps >= p->next_line_step &&
             steps < p->total) {
    while (p->next_line_step <= steps)
      p->next_line_step += (p->total + 9) / 10;
    print_line(p, steps, elapsed, recent_return, last_eval);
  }
}

void cli_progress_end_line(cli_progress *p) {
  if (p->drawn) {
    fputs("\r\033[K", p->out);
    fflush(p->out);
  }
  p->drawn = 0;
}

void cli_progress_seed_end(cli_progress *p, double final_eval,
                           double final_eval_std, double elapsed,
                           double steps_per_second) {
  if (p->mode == CLI_PROGRESS_QUIET)
    return;
  cli_progress_end_line(p);
  char when[32];
  cli_format_duration(elapsed, when, sizeof when);
  char who[320];
  describe_run(p, who, sizeof who);
  fprintf(p->out, "%s: final eval return %.1f ± %.1f in %s (%.0f steps/s)\n",
          who, final_eval, final_eval_std, when, steps_per_second);
  fflush(p->out);
}
