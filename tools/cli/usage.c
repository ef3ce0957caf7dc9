/* crl help: what each command does and takes. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "config/run_config.h"

typedef struct command_help {
  const char *name;
  const char *synopsis;
  const char *details;
} command_help;

static const command_help commands[] = {
    {"train",
     "crl train CONFIG.yaml [-o DIR] [-j N] [--seed N] "
     "[--set KEY=VALUE]... [--force] [--check] [--quiet] "
     "[--no-plot]\n  crl train --zoo ZOO.yml --env ID [--algo NAME] [...]\n"
     "  crl train --resume DIR [-j N] [--check] [--quiet] [--no-plot]",
     "Train every grid point and seed of an experiment file and write\n"
     "DIR/config.yaml, DIR/[POINT/]seed_<k>/progress.csv, monitor.csv,\n"
     "best.crlp, checkpoints, DIR/summary.json and DIR/curve.png.\n"
     "  -o DIR           run directory (default runs/<folder>_<file stem>)\n"
     "  -j N             run N seeds / grid points at once in worker\n"
     "                   processes (default: the number of cores)\n"
     "  --seed N         run only seed N instead of the file's seeds\n"
     "  --set KEY=VALUE  override a key; dotted keys reach nested ones, and\n"
     "                   VALUE is YAML: --set policy_kwargs.net_arch=[32,32]\n"
     "  --force          write into an existing non-empty DIR (what an\n"
     "                   earlier run wrote there is removed first)\n"
     "  --resume DIR     continue an interrupted run from its checkpoints;\n"
     "                   its progress.csv ends as if never interrupted\n"
     "  --check          compare the results with the file's expect: block\n"
     "                   (exit status 3 when an expectation fails)\n"
     "  --quiet          print only the final result\n"
     "  --no-plot        do not draw curve.png\n"
     "  --plugin FILE    load a plugin first; config.yaml lists it\n"
     "  --zoo ZOO.yml    run an RL Zoo hyperparameter file's entry as it is\n"
     "  --env ID         (hyperparams/ppo.yml ...): the entry of env ID, or\n"
     "                   its default: (docs/zoo.md); DIR defaults to\n"
     "                   runs/zoo_<algo>_<ID>\n"
     "  --algo NAME      the algorithm, when the file's name is not it\n"
     "Ctrl-C (or SIGTERM) writes a checkpoint at the next iteration and\n"
     "exits with status 130; a second Ctrl-C exits at once.\n"},
    {"tune",
     "crl tune CONFIG.yaml --trials N [-j N] [--sampler tpe|random] "
     "[--pruner median|none] [--tune-seed N] [-o DIR] [--set KEY=VALUE]... "
     "[--force] [--quiet] [--no-plot]\n"
     "  crl tune --resume DIR [--trials N] [--quiet] [--no-plot]",
     "Search the settings of the file's search: block: N trials, each\n"
     "training the file's seeds with sampled values, -j at a time. Writes\n"
     "DIR/trials.csv (one row per trial), DIR/best.yaml (the best trial's\n"
     "configuration, for crl train), DIR/search.png and\n"
     "DIR/trial_<i>/ (params.yaml, config.yaml, seed_<k>/); docs/tuning.md.\n"
     "  --trials N       trials to run (with --resume: a larger total adds\n"
     "                   trials)\n"
     "  -j N             trials at once (default: the number of cores); the\n"
     "                   study is the same for the same N and --tune-seed\n"
     "  --sampler S      tpe (default; random for the first 10 trials) or\n"
     "                   random\n"
     "  --pruner P       median (default): stop a trial whose best\n"
     "                   evaluation is below the median of the finished\n"
     "                   trials' at the same step (after 5 trials, and not\n"
     "                   in the first third of the budget); none\n"
     "  --tune-seed N    the sampler's seed (default 0)\n"
     "  -o DIR           study directory (default runs/<folder>_<stem>_tune)\n"
     "  --set, --force, --quiet, --no-plot  as for crl train\n"
     "  --resume DIR     continue an interrupted study with its settings\n"
     "Ctrl-C stops the running trials with checkpoints (exit status 130).\n"},
    {"check",
     "crl check CONFIG.yaml [--seed N] [--set KEY=VALUE]...\n"
     "  crl check --zoo ZOO.yml --env ID [--algo NAME] [--set ...]\n"
     "  crl check DIR",
     "With an experiment file: validate it and print the resolved\n"
     "configuration (what `crl train` would write as config.yaml); with\n"
     "--zoo, an RL Zoo file's entry as a crl experiment file.\n"
     "With a run directory: compare its results with the expect: block,\n"
     "one PASS/FAIL line per expectation (exit status 3 when one fails).\n"},
    {"plot",
     "crl plot DIR... -o FILE.png|FILE.svg [--title TEXT] [--x "
     "timesteps|episodes|wall_seconds] [--y COLUMN] [--smooth N] "
     "[--band std|sem|none] [--key WORDS]",
     "Draw one or more run directories, one curve per run (and one per\n"
     "grid point for a grid run): a progress.csv column (default\n"
     "eval_return_mean) against env steps, episodes or wall time, the mean\n"
     "over the run's seeds with a band, and the runs' reference lines.\n"
     "  --x timesteps|episodes|wall_seconds  x column (default timesteps)\n"
     "  --y COLUMN              y column, e.g. episode_return\n"
     "  --smooth N              trailing moving average over N points\n"
     "  --band std|sem|none     spread over seeds (default std)\n"
     "  --key WORDS             legend place, e.g. 'bottom right'\n"
     "Needs gnuplot.\n"},
    {"eval",
     "crl eval CKPT|POLICY.crlp [--episodes N] [--env NAME] "
     "[--seed N] [--set KEY=VALUE]...",
     "Deterministic evaluation of a trained policy: mean and std of the\n"
     "return, episode lengths. CKPT is a checkpoint file, a seed_<k>\n"
     "directory (its newest checkpoint) or a run directory with one seed;\n"
     "by default it repeats the run's own final evaluation (its env and\n"
     "env_kwargs, number of episodes and seed). A policy file needs --env,\n"
     "and for an env with settings the run's env_kwargs as\n"
     "--set env_kwargs.KEY=VALUE (as `crl train --set` takes them).\n"},
    {"export", "crl export CKPT|POLICY.crlp -o FILE [--format crlp|c|onnx]",
     "Write the policy of a checkpoint or a policy file (network,\n"
     "observation normaliser, action scaling) in one of these formats:\n"
     "  crlp  (default) a small file for crl_policy_load (docs/\n"
     "        policy-format.md; python/crl_policy.py reads it)\n"
     "  c     dependency-free C99, FILE.c and FILE.h, with\n"
     "        int policy_act(const float *obs, float *action): the actions\n"
     "        of crl_policy_act bit for bit (compile with -ffp-contract=off;\n"
     "        docs/embedding.md)\n"
     "  onnx  an ONNX model (opset 13): input obs float [N, obs_dim],\n"
     "        output action float [N, act_dim] (int64 [N, 1], the index,\n"
     "        for a discrete policy); crl's actions within float rounding;\n"
     "        non-finite observations are not refused (docs/embedding.md)\n"
     "Files are written whole or not at all. Exit status 1 when the file\n"
     "cannot be written, 2 for a usage error or an unreadable source.\n"},
    {"render",
     "crl render CKPT|POLICY.crlp -o FILE.svg|FILE.gif|FILE.png "
     "[--env NAME] [--set KEY=VALUE]... [--seed N] [--every K] [--frame I]",
     "Draw one deterministic episode: an animated SVG (written directly),\n"
     "an animated GIF or a PNG of frame I (default the last; gnuplot).\n"
     "Drawings exist for Pendulum, CartPole, MountainCarContinuous,\n"
     "Acrobot and, in a -Dmujoco=enabled build, every MuJoCo env (its\n"
     "geoms projected: side, top or fixed camera view). --every K keeps every "
     "K-th step (default: about 250\n"
     "frames); --seed picks the episode's reset seed; --env and --set\n"
     "choose the env as for crl eval.\n"},
    {"envs", "crl envs", "List the environments and their spaces.\n"},
    {"check-env",
     "crl check-env NAME [--steps N] [--seed N] "
     "[--set KEY=VALUE]...",
     "Check an environment with crl_env_check: its spaces, that reset\n"
     "writes obs_dim finite values and is reproducible for a seed, that N\n"
     "random actions (default 10000) give finite observations and rewards,\n"
     "that truncation comes at the time limit, and that get_state/set_state\n"
     "round-trip. Prints every problem, one line each, or `NAME: ok (...)`;\n"
     "exit status 1 when a problem was found, 2 for an unknown env.\n"
     "  --steps N        random steps to take (default 10000)\n"
     "  --seed N         seed of the resets and random actions (default 0)\n"
     "  --set KEY=VALUE  one of the env's declared settings (what env_kwargs:\n"
     "                   gives in an experiment file), e.g. for MuJoCo:\n"
     "                   crl check-env mujoco --set model=arm.xml\n"
     "NAME is a built-in env or one compiled into this program (`crl envs`\n"
     "lists them); an env your own program registers is checked from C with\n"
     "crl_env_check (docs/embedding.md).\n"},
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

/* The keys that are not in the table. */
static void print_sections(FILE *f) {
  fprintf(f, "\nand three mappings of their own:\n"
             "  grid: {KEY: [V1, V2], ...}   every combination of the values "
             "is a run\n"
             "  expect: {METRIC: {min: X, max: Y, by_step: N, by_episode: N, "
             "smooth: W}}\n"
             "                               what --check and `crl check DIR` "
             "verify;\n"
             "                               METRIC is final_eval_return_mean "
             "or a\n"
             "                               progress.csv column\n"
             "  env_kwargs: {KEY: VALUE}     the env's declared settings\n"
             "and a list:\n"
             "  plugins: [FILE.so, ...]      shared objects that register "
             "envs and\n"
             "                               algorithms (crl/plugin.h), "
             "relative to\n"
             "                               the file's directory\n");
}

static void print_runner_keys(FILE *f) {
  fprintf(f, "\nExperiment file keys of the runner (all other keys go to the "
             "algorithm;\nnested mappings are dotted keys):\n\n");
  fflush(f);
  cli_print_param_table(cli_run_key_defs, runner_default_label);
  print_sections(stdout);
  fflush(stdout);
}

void cli_print_usage(const char *name, FILE *f) {
  if (name == NULL) {
    fprintf(f,
            "crl %s: reinforcement learning from YAML experiments\n\n"
            "usage:\n",
            crl_version());
    for (int i = 0; i < N_COMMANDS; i++)
      fprintf(f, "  %s\n", commands[i].synopsis);
    fprintf(f, "  crl --version\n\nEvery command takes --plugin FILE.so "
               "(repeatable): a shared object\nthat registers envs and "
               "algorithms (crl/plugin.h) first.\n"
               "`crl help COMMAND` tells more.\n");
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
}

int cli_is_command(const char *name) {
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return 1;
  return 0;
}

const char *cli_nearest_command(const char *name) {
  const char *names[N_COMMANDS];
  for (int i = 0; i < N_COMMANDS; i++)
    names[i] = commands[i].name;
  return crl_nearest_name(name, names, N_COMMANDS);
}
