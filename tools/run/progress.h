/* Training progress on the terminal: a single redrawn line on a TTY, a
 * plain line every ~10% of the budget otherwise, nothing with --quiet.
 * Progress goes to a stream (stderr) and never into files: it is the one
 * place that shows wall-clock figures besides the wall_seconds column. */
#ifndef TOOLS_PROGRESS_H
#define TOOLS_PROGRESS_H

#include <stdio.h>

typedef enum cli_progress_mode {
  CLI_PROGRESS_BAR = 0,   /* TTY: one line redrawn at most ~10x/s */
  CLI_PROGRESS_LINES = 1, /* pipe or file: a line every ~10% */
  CLI_PROGRESS_QUIET = 2  /* nothing */
} cli_progress_mode;

/* Where a worker process publishes its progress (shared memory the parent
 * reads to draw one line for all workers). */
typedef struct cli_progress_slot {
  volatile long start_steps; /* where this invocation started (resume) */
  volatile long steps;       /* steps (or episodes) done */
  volatile double elapsed;   /* seconds */
  volatile double recent_return;
  volatile double last_eval;
} cli_progress_slot;

typedef struct cli_progress {
  cli_progress_mode mode;
  cli_progress_slot *slot; /* when set, updates go there and nothing is
                              printed */
  const char *label;       /* "point/seed_k" for grid runs; NULL: "seed k" */
  FILE *out;
  int n_seeds;
  int seed_index; /* 0-based */
  int seed;
  long total;          /* steps (or episodes) per seed */
  const char *unit;    /* "steps", or "episodes" for an episode budget */
  double last_draw;    /* seconds, monotonic */
  long next_line_step; /* LINES: print when steps reach this */
  int drawn;           /* BAR: a partial line is on screen */
} cli_progress;

/* Seconds from an arbitrary fixed point (CLOCK_MONOTONIC). */
double cli_now(void);

/* BAR when out is a terminal, else LINES; QUIET when quiet. */
cli_progress_mode cli_progress_pick_mode(FILE *out, int quiet);

void cli_progress_init(cli_progress *p, cli_progress_mode mode, FILE *out,
                       int n_seeds, long total);
void cli_progress_seed_begin(cli_progress *p, int seed_index, int seed);

/* The run starts (or resumes) at `steps`. */
void cli_progress_start(cli_progress *p, long steps);

/* After each iteration. recent_return and last_eval may be NAN. */
void cli_progress_update(cli_progress *p, long steps, double elapsed,
                         double recent_return, double last_eval);

/* Clear the bar, if one is drawn, so that the next message starts a line
 * of its own (the bar leaves the cursor at its end). */
void cli_progress_end_line(cli_progress *p);

/* The seed is done: clear the bar and print one line for it. */
void cli_progress_seed_end(cli_progress *p, double final_eval,
                           double final_eval_std, double elapsed,
                           double steps_per_second);

/* "4.2s", "1:05", "12:03:09" */
void cli_format_duration(double seconds, char *buf, size_t size);

#endif
