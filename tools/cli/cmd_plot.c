/* crl plot DIR... -o FILE.png|.svg [--title T] [--x COL] [--y COL]
 * [--smooth N] [--band std|sem|none] [--key WORDS]: one curve per run
 * directory, one per grid point for a grid run's directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "config/run_config.h"
#include "plot/plot.h"

#define MAX_RUNS 64

static int plot_usage(const char *what, const char *arg) {
  fprintf(stderr, "crl plot: %s%s\n(run `crl help plot` for usage)\n", what,
          arg);
  return CLI_EXIT_USAGE;
}

/* --x, --y, --smooth, --band, --key: 0 when argv[*i] is one of them (and took
 * its value), 1 when it is not, or the usage status on a bad value. */
static int parse_curve_option(int argc, char **argv, int *i,
                              cli_plot_options *o) {
  const char *opt = argv[*i];
  int known = strcmp(opt, "--x") == 0 || strcmp(opt, "--y") == 0 ||
              strcmp(opt, "--smooth") == 0 || strcmp(opt, "--band") == 0 ||
              strcmp(opt, "--key") == 0;
  if (!known)
    return 1;
  if (++*i == argc)
    return plot_usage("a value is missing after ", opt);
  const char *v = argv[*i];
  if (strcmp(opt, "--x") == 0) {
    if (strcmp(v, "timesteps") != 0 && strcmp(v, "episodes") != 0 &&
        strcmp(v, "wall_seconds") != 0)
      return plot_usage("--x takes timesteps, episodes or wall_seconds, not ",
                        v);
    o->x = v;
  } else if (strcmp(opt, "--y") == 0) {
    o->y = v;
  } else if (strcmp(opt, "--key") == 0) {
    /* Passed to gnuplot's `set key`: letters and spaces only. */
    if (v[0] == '\0' || strspn(v, "abcdefghijklmnopqrstuvwxyz ") != strlen(v))
      return plot_usage("--key takes gnuplot words like 'bottom right', not ",
                        v);
    o->key = v;
  } else if (strcmp(opt, "--smooth") == 0) {
    char *end;
    long w = strtol(v, &end, 10);
    if (end == v || *end != '\0' || w < 1 || w > 1000000)
      return plot_usage("--smooth takes a window of 1 or more points, not ", v);
    o->smooth = (int)w;
  } else {
    static const char *const bands[] = {"std", "sem", "none"};
    int b = 0;
    while (b < 3 && strcmp(v, bands[b]) != 0)
      b++;
    if (b == 3)
      return plot_usage("--band takes std, sem or none, not ", v);
    o->band = (cli_band)b;
  }
  return 0;
}

int cli_cmd_plot(int argc, char **argv) {
  const char *dirs[MAX_RUNS], *out = NULL;
  cli_plot_options o = cli_plot_options_default();
  int n = 0;
  for (int i = 0; i < argc; i++) {
    int rc;
    if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
      if (++i == argc)
        return plot_usage("-o needs a file name", "");
      out = argv[i];
    } else if (strcmp(argv[i], "--title") == 0) {
      if (++i == argc)
        return plot_usage("--title needs a text", "");
      o.title = argv[i];
    } else if ((rc = parse_curve_option(argc, argv, &i, &o)) != 1) {
      if (rc)
        return rc;
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
  char err[CLI_ERR_SIZE];
  int rc = cli_plot_runs_opts(dirs, n, out, &o, err, sizeof err);
  if (rc) {
    fprintf(stderr, "crl plot: error: %s\n", err);
    return rc == CLI_PLOT_BAD_INPUT ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
  }
  printf("wrote %s\n", out);
  return CLI_EXIT_OK;
}
