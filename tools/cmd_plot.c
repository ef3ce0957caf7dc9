/* crl plot DIR... -o FILE.png|.svg [--title T] */
#include <stdio.h>
#include <string.h>

#include "tools/commands.h"
#include "tools/plot.h"
#include "tools/run_config.h"

#define MAX_RUNS 64

static int plot_usage(const char *what, const char *arg) {
  fprintf(stderr, "crl plot: %s%s\n(run `crl help plot` for usage)\n", what,
          arg);
  return CRL_EXIT_USAGE;
}

int crl_cmd_plot(int argc, char **argv) {
  const char *dirs[MAX_RUNS], *out = NULL, *title = NULL;
  int n = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
      if (++i == argc)
        return plot_usage("-o needs a file name", "");
      out = argv[i];
    } else if (strcmp(argv[i], "--title") == 0) {
      if (++i == argc)
        return plot_usage("--title needs a text", "");
      title = argv[i];
    } else if (argv[i][0] == '-') {
      return plot_usage("unknown option ", argv[i]);
    } else if (n == MAX_RUNS) {
      return plot_usage("too many run directories", "");
    } else {
      dirs[n++] = argv[i];
    }
  }
  if (n == 0)
    return plot_usage("missing run directory", "");
  if (out == NULL)
    return plot_usage("missing -o FILE.png or -o FILE.svg", "");
  char err[CRL_ERR_SIZE];
  if (crl_plot_runs(dirs, n, out, title, err, sizeof err)) {
    fprintf(stderr, "crl plot: error: %s\n", err);
    return CRL_EXIT_FAILURE;
  }
  printf("wrote %s\n", out);
  return CRL_EXIT_OK;
}
