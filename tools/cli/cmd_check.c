/* crl check CONFIG.yaml: validate an experiment and print its resolved
 * configuration. crl check DIR: compare a finished run with its `expect:`
 * block, one verdict per expectation; exit status 3 when one fails. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "config/expect.h"
#include "run/fsutil.h"

static int is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int check_file(const cli_train_args *a) {
  cli_experiment x;
  char err[CLI_ERR_SIZE];
  if (cli_experiment_load(a->config, a->sets, a->n_sets,
                          a->has_seed ? a->seed : -1, &x, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return CLI_EXIT_USAGE;
  }
  int rc =
      cli_experiment_write_yaml(&x, stdout) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
  cli_experiment_free(&x);
  return rc;
}

static int check_run(const cli_train_args *a) {
  char path[CLI_PATH_MAX], err[CLI_ERR_SIZE];
  if (a->n_sets || a->has_seed) {
    fprintf(stderr, "crl check: a run directory takes no --set or --seed\n");
    return CLI_EXIT_USAGE;
  }
  if (cli_path_join(path, sizeof path, a->config, "config.yaml")) {
    fprintf(stderr, "crl check: '%s' is too long a path\n", a->config);
    return CLI_EXIT_USAGE;
  }
  cli_experiment x;
  if (cli_experiment_load(path, NULL, 0, -1, &x, err, sizeof err)) {
    fprintf(stderr, "crl check: %s is not a run directory: %s\n", a->config,
            err);
    return CLI_EXIT_USAGE;
  }
  int checked = 0;
  int failed =
      cli_expect_check(&x, a->config, stdout, &checked, err, sizeof err);
  cli_experiment_free(&x);
  if (failed < 0) {
    fprintf(stderr, "crl check: %s\n", err);
    return CLI_EXIT_FAILURE;
  }
  if (checked == 0 && failed == 0)
    printf("%s: the experiment has no expect: block\n", a->config);
  return failed ? CLI_EXIT_EXPECT : CLI_EXIT_OK;
}

int cli_cmd_check(int argc, char **argv) {
  cli_train_args a;
  int rc = cli_parse_train_args("check", argc, argv, 0, &a);
  if (rc)
    return rc;
  return is_directory(a.config) ? check_run(&a) : check_file(&a);
}
