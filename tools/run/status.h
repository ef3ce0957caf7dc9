/* How the crl program and its runs end: the process exit statuses every
 * command returns, and the status of one training run (result.json). */
#ifndef TOOLS_STATUS_H
#define TOOLS_STATUS_H

/* Exit statuses: 0 success, 1 failure while running, 2 bad usage or bad
 * configuration (nothing was written), 3 an expectation of the experiment
 * was not met, 130 interrupted (Ctrl-C or SIGTERM; a checkpoint was
 * written). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_EXPECT 3
#define CLI_EXIT_INTERRUPTED 130

/* How a run ended. */
typedef enum cli_run_status {
  CLI_RUN_OK = 0,
  CLI_RUN_FAILED = 1,
  CLI_RUN_INTERRUPTED = 2, /* stopped by a signal, checkpoint written */
  CLI_RUN_NOT_RUN = 3      /* no result yet (a job never started) */
} cli_run_status;

#endif
