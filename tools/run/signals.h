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

/* fork() a worker: 0 in the worker (cli_signals_in_child done), its pid
 * in the parent (added to the forwarding list), -1 (errno) when it could
 * not. Buffered output is flushed first, and SIGINT, SIGTERM and SIGUSR1
 * are held back around the fork, so that one arriving in between still
 * reaches the new worker. */
pid_t cli_signals_fork_worker(void);

/* The parent's list of workers that signals are forwarded to. */
void cli_signals_add_child(pid_t pid);
void cli_signals_remove_child(pid_t pid);

/* In a freshly forked worker: forward nothing, get a process group of
 * its own, and be told (SIGTERM) when the parent dies. */
void cli_signals_in_child(void);

#endif
