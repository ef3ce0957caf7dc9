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

static int check_file(const crl_train_args *a) {
  crl_experiment x;
  char err[CRL_ERR_SIZE];
  if (crl_experiment_load(a->config, a->sets, a->n_sets,
                          a->has_seed ? a->seed : -1, &x, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return CRL_EXIT_USAGE;
  }
  int rc =
      crl_experiment_write_yaml(&x, stdout) ? CRL_EXIT_FAILURE : CRL_EXIT_OK;
  crl_experiment_free(&x);
  return rc;
}

static int check_run(const crl_train_args *a) {
  char path[CRL_PATH_MAX], err[CRL_ERR_SIZE];
  if (a->n_sets || a->has_seed) {
    fprintf(stderr, "crl check: a run directory takes no --set or --seed\n");
    return CRL_EXIT_USAGE;
  }
  if (crl_path_join(path, sizeof path, a->config, "config.yaml")) {
    fprintf(stderr, "crl check: '%s' is too long a path\n", a->config);
    return CRL_EXIT_USAGE;
  }
  crl_experiment x;
  if (crl_experiment_load(path, NULL, 0, -1, &x, err, sizeof err)) {
    fprintf(stderr, "crl check: %s is not a run directory: %s\n", a->config,
            err);
    return CRL_EXIT_USAGE;
  }
  int checked = 0;
  int failed =
      crl_expect_check(&x, a->config, stdout, &checked, err, sizeof err);
  crl_experiment_free(&x);
  if (failed < 0) {
    fprintf(stderr, "crl check: %s\n", err);
    return CRL_EXIT_FAILURE;
  }
  if (checked == 0 && failed == 0)
    printf("%s: the experiment has no expect: block\n", a->config);
  return failed ? CRL_EXIT_EXPECT : CRL_EXIT_OK;
}

int crl_cmd_check(int argc, char **argv) {
  crl_train_args a;
  int rc = crl_parse_train_args("check", argc, argv, 0, &a);
  if (rc)
    return rc;
  return is_directory(a.config) ? check_run(&a) : check_file(&a);
}
