/* SIGINT / SIGTERM handling (see signals.h). Everything the handler does
 * is async-signal-safe: set a flag, kill(), _exit(). */
#include "cli/signals.h"

#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "cli/commands.h"

#define MAX_CHILDREN 1024

volatile sig_atomic_t cli_stop_requested = 0;

static volatile pid_t children[MAX_CHILDREN];
static volatile sig_atomic_t n_children = 0;

static void forward(int sig) {
  for (int i = 0; i < n_children; i++)
    if (children[i] > 0)
      kill(children[i], sig);
}

static void on_signal(int sig) {
  forward(sig);
  if (cli_stop_requested)
    _exit(CLI_EXIT_INTERRUPTED); /* the second one: at once */
  cli_stop_requested = sig;
}

void cli_signals_install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* file writes of the loop are not cut short */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

/* The list is changed with the signals blocked, so that the handler never
 * sees it half-updated. */
static void block(sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
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

void cli_signals_in_child(void) {
  n_children = 0;
  setpgid(0, 0);
#if defined(__linux__)
  prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
}
