/* The crl program: dispatch to a command (see tools/commands.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "config/plugins.h"
#include "crl/crl.h"
#include "run/ranks.h"

#ifdef CRL_USE_OPENBLAS
void openblas_set_num_threads(int);
#endif

/* Small networks gain nothing from BLAS threads and lose determinism of
 * timing; one thread unless the user asked for more. */
static void limit_blas_threads(void) {
#ifdef CRL_USE_OPENBLAS
  if (getenv("OPENBLAS_NUM_THREADS") == NULL)
    openblas_set_num_threads(1);
#endif
}

static int print_version(void) {
  printf("crl %s (%s, %s, %s kernels)\n", crl_version(), crl_real_name(),
#ifdef CRL_USE_OPENBLAS
         "OpenBLAS",
#else
         "GSL CBLAS",
#endif
         crl_gemm_isa_name(crl_gemm_isa_active()));
  return CLI_EXIT_OK;
}

/* CRL_MAX_ISA (crl/kernels.h) names a kernel set, or the run would use
 * other kernels than its user asked for: refused. */
static int check_max_isa(void) {
  if (crl_gemm_max_isa() >= 0)
    return 0;
  fprintf(stderr,
          "crl: error: CRL_MAX_ISA=%s: expected generic, avx2 or avx512\n",
          getenv("CRL_MAX_ISA"));
  return CLI_EXIT_USAGE;
}

/* "crl: unknown command 'trian' (did you mean 'train'?)" and the usage. */
static void unknown_command(const char *name) {
  const char *near = cli_nearest_command(name);
  fprintf(stderr, "crl: unknown command '%s'%s%s%s\n\n", name,
          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
  cli_print_usage(NULL, stderr);
}

static int help(int argc, char **argv) {
  if (argc > 1) {
    fprintf(stderr, "crl help: takes at most one COMMAND\n");
    return CLI_EXIT_USAGE;
  }
  const char *name = argc ? argv[0] : NULL;
  if (name != NULL && !cli_is_command(name)) {
    unknown_command(name);
    return CLI_EXIT_USAGE;
  }
  cli_print_usage(name, stdout);
  return CLI_EXIT_OK;
}

/* --plugin PATH (or --plugin=PATH), on every command: loaded now, so that
 * the command sees its envs and algorithms, and taken out of argv. A
 * training lists them in its resolved config.yaml. */
static int load_plugin_options(const char *command, int *argc, char **argv) {
  int kept = 0;
  for (int i = 0; i < *argc; i++) {
    const char *path = NULL;
    if (strcmp(argv[i], "--plugin") == 0) {
      if (i + 1 == *argc) {
        fprintf(stderr, "crl %s: --plugin needs a file\n", command);
        return CLI_EXIT_USAGE;
      }
      path = argv[++i];
    } else if (strncmp(argv[i], "--plugin=", 9) == 0) {
      path = argv[i] + 9;
    } else {
      argv[kept++] = argv[i];
      continue;
    }
    char why[8192];
    const char *resolved;
    if (cli_plugin_load(path, 1, &resolved, why, sizeof why)) {
      fprintf(stderr, "crl %s: --plugin: error: %s\n", command, why);
      return CLI_EXIT_USAGE;
    }
  }
  *argc = kept;
  return CLI_EXIT_OK;
}

typedef int (*command_fn)(int argc, char **argv);

static const struct {
  const char *name;
  command_fn run;
} commands[] = {
    {"train", cli_cmd_train},
    {"tune", cli_cmd_tune},
    {"check", cli_cmd_check},
    {"plot", cli_cmd_plot},
    {"eval", cli_cmd_eval},
    {"export", cli_cmd_export},
    {"render", cli_cmd_render},
    {"envs", cli_cmd_envs},
    {"check-env", cli_cmd_check_env},
    {"algos", cli_cmd_algos},
    {"help", help},
};

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    cli_print_usage(NULL, stderr);
    return CLI_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0)
    return print_version();
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
    return help(0, NULL);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    /* A command's own --help. */
    for (int j = 2; j < argc; j++)
      if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
        cli_print_usage(name, stdout);
        return CLI_EXIT_OK;
      }
    int n = argc - 2;
    if (cli_ranks_size() > 1 && commands[i].run != cli_cmd_train &&
        commands[i].run != cli_cmd_tune) {
      fprintf(stderr,
              "crl %s: runs as one process; of the commands, only `crl "
              "train` and `crl tune` spread their work over MPI ranks\n",
              name);
      return CLI_EXIT_USAGE;
    }
    if (commands[i].run != help) {
      int rc = load_plugin_options(name, &n, argv + 2);
      if (rc)
        return rc;
    }
    return commands[i].run(n, argv + 2);
  }
  unknown_command(name);
  return CLI_EXIT_USAGE;
}

int main(int argc, char **argv) {
  if (check_max_isa())
    return CLI_EXIT_USAGE;
  limit_blas_threads();
  char why[512];
  if (cli_ranks_init(&argc, &argv, why, sizeof why)) {
    fprintf(stderr, "crl: error: %s\n", why);
    return CLI_EXIT_USAGE;
  }
  int rc = dispatch(argc, argv);
  cli_ranks_finalize();
  return rc;
}
