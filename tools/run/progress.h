/* Training progress on the terminal: a single redrawn line on a TTY, a
 * plain line every ~10% of the budget otherwise, nothing with --quiet.
 * Progress goes to a stream (stderr) and never into files: it is the one
 * place that shows wall-clock figures besides the wall_seconds column. */
#ifndef CRL_TOOLS_PROGRESS_H
#define CRL_TOOLS_PROGRESS_H

#include <stdio.h>

typedef enum crl_progress_mode {
  CRL_PROGRESS_BAR = 0,   /* TTY: one line redrawn at most ~10x/s */
  CRL_PROGRESS_LINES = 1, /* pipe or file: a line every ~10% */
  CRL_PROGRESS_QUIET = 2  /* nothing */
} crl_progress_mode;

/* Where a worker process publishes its progress (shared memory the parent
 * reads to draw one line for all workers). */
typedef struct crl_progress_slot {
  volatile long start_steps; /* where this invocation started (resume) */
  volatile long steps;       /* steps (or episodes) done */
  volatile double elapsed;   /* seconds */
  volatile double recent_return;
  volatile double last_eval;
} crl_progress_slot;

typedef struct crl_progress {
  crl_progress_mode mode;
  crl_progress_slot *slot; /* when set, updates go there and nothing is
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
} crl_progress;

/* Seconds from an arbitrary fixed point (CLOCK_MONOTONIC). */
double crl_now(void);

/* BAR when out is a terminal, else LINES; QUIET when quiet. */
crl_progress_mode crl_progress_pick_mode(FILE *out, int quiet);

void crl_progress_init(crl_progress *p, crl_progress_mode mode, FILE *out,
                       int n_seeds, long total);
void crl_progress_seed_begin(crl_progress *p, int seed_index, int seed);

/* The run starts (or resumes) at `steps`. */
void crl_progress_start(crl_progress *p, long steps);

/* After each iteration. recent_return and last_eval may be NAN. */
void crl_progress_update(crl_progress *p, long steps, double elapsed,
                         double recent_return, double last_eval);

/* The seed is done: clear the bar and print one line for it. */
void crl_progress_seed_end(crl_progress *p, double final_eval,
                           double final_eval_std, double elapsed,
                           double steps_per_second);

/* "4.2s", "1:05", "12:03:09" */
void crl_format_duration(double seconds, char *buf, size_t size);

#endif
