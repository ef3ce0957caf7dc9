/* SIGINT / SIGTERM / SIGUSR1 handling (see signals.h). Everything the handler
 * does is async-signal-safe: set a flag, kill(), write(), _exit(). */
#include "run/signals.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "run/status.h"

#define MAX_CHILDREN CLI_MAX_WORKERS

volatile sig_atomic_t cli_stop_requested = 0;

static volatile pid_t children[MAX_CHILDREN];
static volatile sig_atomic_t n_children = 0;

static void forward(int sig) {
  for (int i = 0; i < n_children; i++)
    if (children[i] > 0)
      kill(children[i], sig);
}

/* What the first signal says, on a line of its own (a progress bar may
 * hold the cursor): written by the handler with write(), which is
 * async-signal-safe, and updated between iterations with the signals
 * blocked so that it is never seen half-written. */
static char stop_note[256] =
    "\ncrl: stopping at the end of the current iteration, with a checkpoint "
    "(press Ctrl-C again to stop at once, without one)\n";
static volatile sig_atomic_t stop_note_len = 0;
static volatile sig_atomic_t top_level = 1; /* 0 in a worker */

static void on_signal(int sig) {
  forward(sig);
  if (cli_stop_requested)
    _exit(CLI_EXIT_INTERRUPTED); /* the second one: at once */
  cli_stop_requested = sig;
  if (top_level) {
    size_t n = stop_note_len > 0 ? (size_t)stop_note_len : strlen(stop_note);
    ssize_t w = write(STDERR_FILENO, stop_note, n);
    (void)w; /* nothing to do if stderr is gone */
  }
}

pid_t cli_signals_fork_worker(void) {
  fflush(NULL); /* nothing buffered may be written twice */
  sigset_t set, saved;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, &saved);
  pid_t pid = fork();
  if (pid == 0)
    cli_signals_in_child();
  else if (pid > 0)
    cli_signals_add_child(pid);
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return pid;
}

void cli_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* file writes of the loop are not cut short */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* SIGUSR1 too: mpirun passes it on to every rank and, unlike Ctrl-C,
   * does not kill them a second later (docs/distributed.md). */
  sigaction(SIGUSR1, &sa, NULL);
  /* Past a file size limit (ulimit -f) a write fails with EFBIG, which is
   * reported, instead of the process dying silently. */
  signal(SIGXFSZ, SIG_IGN);
}

/* The list is changed with the signals blocked, so that the handler never
 * sees it half-updated. */
static void block(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, old);
}

void cli_signals_add_child(pid_t pid) {
  sigset_t old;
  block(&old);
  for (int i = 0; i < n_children; i++)
    if (children[i] <= 0) {
      children[i] = pid;
      pid = 0;
      break;
    }
  if (pid > 0 && n_children < MAX_CHILDREN)
    children[n_children++] = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
}

void cli_signals_remove_child(pid_t pid) {
  sigset_t old;
  block(&old);
  for (int i = 0; i < n_children; i++)
    if (children[i] == pid)
      children[i] = 0;
  sigprocmask(SIG_SETMASK, &old, NULL);
}

void cli_signals_set_iteration_time(double seconds) {
  sigset_t old;
  block(&old);
  int n = snprintf(stop_note, sizeof stop_note,
                   "\ncrl: stopping at the end of the current iteration, "
                   "with a checkpoint (the last one took %.1f s; press Ctrl-C "
                   "again to stop at once, without one)\n",
                   seconds);
  stop_note_len = n > 0 && (size_t)n < sizeof stop_note ? n : 0;
  sigprocmask(SIG_SETMASK, &old, NULL);
}

void cli_signals_in_child(void) {
  n_children = 0;
  top_level = 0;
  setpgid(0, 0);
#if defined(__linux__)
  prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
}
