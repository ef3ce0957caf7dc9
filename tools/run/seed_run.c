/* What the loop (runner.c) and the checkpoints (runner_ckpt.c) of one
 * training run share besides its state (runner_internal.h): the message of
 * a run that diverged, which names the checkpoint it can go back to. */
#include <string.h>

#include "run/runner_internal.h"

/* "...; the last good checkpoint is X (kept)" for failure messages. */
static void append_last_checkpoint(const seed_run *r, char *err, size_t size) {
  size_t n = strlen(err);
  if (r->last_ckpt[0])
    snprintf(err + n, size - n, "; last good checkpoint: %s (kept)",
             r->last_ckpt);
  else
    snprintf(err + n, size - n, "; no checkpoint was written before it");
}

int cli_run_fail_nonfinite(seed_run *r, const char *what, char *err,
                           size_t size) {
  snprintf(err, size, "seed %d: non-finite value at step %ld: %s", r->seed,
           r->steps, what);
  append_last_checkpoint(r, err, size);
  return -1;
}
