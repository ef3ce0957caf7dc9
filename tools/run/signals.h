/* Ctrl-C and SIGTERM for the crl program: the first one asks the training
 * loops to write a checkpoint at their next iteration boundary and stop
 * (exit status CLI_EXIT_INTERRUPTED); a second one exits at once. A parent
 * running worker processes forwards each signal to them (they run in their
 * own process groups, so a terminal's Ctrl-C reaches them only once). */
#ifndef TOOLS_SIGNALS_H
#define TOOLS_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

/* Non-zero (the signal number) once SIGINT or SIGTERM arrived. */
extern volatile sig_atomic_t cli_stop_requested;

/* Install the handlers for SIGINT, SIGTERM and SIGUSR1 (the first one
 * prints, in the top-level process, that the run stops at the end of the
 * current iteration), and ignore SIGXFSZ (a write past `ulimit -f` fails
 * with EFBIG and is reported). */
void cli_signals_install(void);

/* The duration of the last iteration, for the first signal's note ("the
 * last one took 3.2 s"); in-process runs call it after each iteration. */
void cli_signals_set_iteration_time(double seconds);

/* The most workers signals are forwarded to (and so the most -j). */
#define CLI_MAX_WORKERS 1024

/* Hold back SIGINT, SIGTERM and SIGUSR1 around a fork, so that one
 * arriving between the fork and cli_signals_add_child still reaches the
 * new worker (delivered, and forwarded, when unblocked); in the worker,
 * unblock after cli_signals_in_child. */
void cli_signals_hold(sigset_t *saved);
void cli_signals_release(const sigset_t *saved);

/* The parent's list of workers that signals are forwarded to. */
void cli_signals_add_child(pid_t pid);
void cli_signals_remove_child(pid_t pid);

/* In a freshly forked worker: forward nothing, get a process group of
 * its own, and be told (SIGTERM) when the parent dies. */
void cli_signals_in_child(void);

#endif
