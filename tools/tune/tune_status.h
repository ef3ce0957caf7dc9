/* The live line of a running study: on a terminal one line redrawn a few
 * times a second (trials done and pruned, each running trial's progress,
 * the best so far, elapsed time and an estimate of what is left), in a
 * pipe the same line at each tenth of the study. The workers publish
 * their progress in shared memory, one slot per trial running at once. */
#ifndef TOOLS_TUNE_STATUS_H
#define TOOLS_TUNE_STATUS_H

#include "run/progress.h"
#include "tune/study.h"

typedef struct cli_tune_slot {
  cli_progress_slot run;   /* the running seed's progress (run/progress.h) */
  volatile int seed_index; /* which of the trial's seeds */
  volatile int trial;      /* -1: free */
} cli_tune_slot;

typedef struct cli_tune_status {
  cli_progress_mode mode;
  cli_tune_slot *slots; /* [n_slots] shared with the workers */
  int n_slots;
  double t0, last_draw;
  int drawn, next_tenth;
} cli_tune_status;

/* n_slots slots in shared memory. 0, or -1 (then nothing is drawn and
 * cli_tune_status_slot gives NULL). */
int cli_tune_status_init(cli_tune_status *s, int n_slots, int quiet);
void cli_tune_status_free(cli_tune_status *s);

/* A free slot for trial i (marked taken), or NULL. */
cli_tune_slot *cli_tune_status_take(cli_tune_status *s, int i);
/* Trial i's slot is free again. */
void cli_tune_status_release(cli_tune_status *s, int i);

/* Redraw (at most every 0.2 s; in a pipe at each tenth). */
void cli_tune_status_draw(cli_tune_status *s, const cli_study *st);

/* Clear a drawn line, so that a message starts a line of its own. */
void cli_tune_status_clear(cli_tune_status *s);

#endif
