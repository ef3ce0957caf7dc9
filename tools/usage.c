/* crl help: what each command does and takes. */
#include <stdio.h>
#include <string.h>

#include "tools/commands.h"
#include "tools/run_config.h"

typedef struct command_help {
  const char *name;
  const char *synopsis;
  const char *details;
} command_help;

static const command_help commands[] = {
    {"train", "crl train CONFIG.yaml [-o DIR] [--seed N] [--set KEY=VALUE]... "
              "[--force] [--quiet] [--no-plot]",
     "Train on every seed of an experiment file and write DIR/config.yaml,\n"
     "DIR/seed_<k>/progress.csv, DIR/summary.json and DIR/curve.png.\n"
     "  -o DIR           run directory (default runs/<folder>_<file stem>)\n"
     "  --seed N         run only seed N instead of the file's seeds\n"
     "  --set KEY=VALUE  override a key; dotted keys reach nested ones, and\n"
     "                   VALUE is YAML: --set policy_kwargs.net_arch=[32,32]\n"
     "  --force          write into an existing non-empty DIR\n"
     "  --quiet          print only the final result\n"
     "  --no-plot        do not draw curve.png\n"},
    {"check", "crl check CONFIG.yaml [--seed N] [--set KEY=VALUE]...",
     "Validate an experiment file and print the resolved configuration\n"
     "(what `crl train` would write as config.yaml) without training.\n"},
    {"plot", "crl plot DIR... -o FILE.png|FILE.svg [--title TEXT] [--x "
             "timesteps|episodes] [--y COLUMN] [--smooth N] [--band "
             "std|sem|none] [--key WORDS]",
     "Draw one or more run directories, one curve per run: a progress.csv\n"
     "column (default eval_return_mean) against env steps or episodes, the\n"
     "mean over the run's seeds with a band, and the runs' reference lines.\n"
     "  --x timesteps|episodes  x column (default timesteps)\n"
     "  --y COLUMN              y column, e.g. episode_return\n"
     "  --smooth N              trailing moving average over N points\n"
     "  --band std|sem|none     spread over seeds (default std)\n"
     "  --key WORDS             legend place, e.g. 'bottom right'\n"
     "Needs gnuplot.\n"},
    {"envs", "crl envs", "List the environments and their spaces.\n"},
    {"algos", "crl algos [NAME]",
     "List the algorithms, or the parameters of one.\n"},
    {"help", "crl help [COMMAND]", "Show this help, or one command's.\n"},
};
#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

/* Defaults the runner computes or does not have. */
static const char *runner_default_label(const char *key) {
  if (strcmp(key, "env") == 0 || strcmp(key, "algo") == 0 ||
      strcmp(key, "n_timesteps") == 0)
    return "required";
  if (strcmp(key, "eval.every") == 0)
    return "n/20";
  if (strcmp(key, "seed") == 0 || strcmp(key, "seeds") == 0)
    return "[0]";
  return NULL;
}

static void print_runner_keys(FILE *f) {
  fprintf(f, "\nExperiment file keys of the runner (all other keys go to the "
             "algorithm;\nnested mappings are dotted keys):\n\n");
  fflush(f);
  crl_print_param_table(crl_run_key_defs, runner_default_label);
  fflush(stdout);
}

void crl_print_usage(const char *name, FILE *f) {
  if (name == NULL) {
    fprintf(f, "crl %s: reinforcement learning from YAML experiments\n\n"
               "usage:\n",
            crl_version());
    for (int i = 0; i < N_COMMANDS; i++)
      fprintf(f, "  %s\n", commands[i].synopsis);
    fprintf(f, "  crl --version\n\n`crl help COMMAND` tells more.\n");
    return;
  }
  for (int i = 0; i < N_COMMANDS; i++) {
    if (strcmp(commands[i].name, name) != 0)
      continue;
    fprintf(f, "usage: %s\n\n%s", commands[i].synopsis, commands[i].details);
    if (strcmp(name, "train") == 0 && f == stdout)
      print_runner_keys(f);
    return;
  }
  fprintf(f, "crl: no command '%s'\n", name);
}
