/* A trained policy to evaluate, export or render: a checkpoint (a file, a
 * seed directory's newest, or a run directory with one seed), rebuilt
 * from the configuration the checkpoint carries, or a policy file (.crlp).
 * Either way it acts deterministically. */
#ifndef TOOLS_POLICY_SRC_H
#define TOOLS_POLICY_SRC_H

#include "config/run_config.h"
#include "run/fsutil.h"

typedef struct cli_policy_source {
  int from_checkpoint;
  char path[CLI_PATH_MAX]; /* the file that was read */
  cli_run_config cfg;      /* checkpoint: the run's settings */
  int seed;                /* checkpoint: the run's seed */
  long steps;              /* checkpoint: env steps trained */
  crl_vec_env *venv;       /* checkpoint: restored with the algorithm */
  crl_algo *algo;
  crl_policy *policy; /* policy file */
} cli_policy_source;

/* Open what arg names. 0, or -1 with a message in err (and everything
 * released). */
int cli_policy_source_open(const char *arg, cli_policy_source *s, char *err,
                           size_t size);
void cli_policy_source_close(cli_policy_source *s);

/* The deterministic action for one observation. */
int cli_policy_source_act(cli_policy_source *s, const crl_real *obs,
                          crl_real *action);

/* The policy's spaces fit the env (its observation size and action
 * space); otherwise err names both shapes and how to pick the right env. */
int cli_policy_source_fits(const cli_policy_source *s, const crl_env *env,
                           char *err, size_t size);

/* The env crl eval and crl render play a policy in, from --env NAME and
 * --set KEY=VALUE options. */
#define CLI_ENV_CHOICE_MAX_SETS 32
typedef struct cli_env_choice {
  const char *env; /* NULL: a checkpoint's run's env */
  const char *sets[CLI_ENV_CHOICE_MAX_SETS];
  int n_sets;
} cli_env_choice;

/* argv[*i] is --env or --set (also --env=NAME, --set=K=V): 0 after taking
 * it and its value, 1 when it is another argument, -1 with a message in
 * err when its value is missing or there are too many --set. */
int cli_env_choice_option(cli_env_choice *c, int argc, char **argv, int *i,
                          char *err, size_t size);

/* Make that env: c->env with a checkpoint's env_kwargs when it is the
 * run's env, then each --set as `crl train --set` reads it (only env and
 * env_kwargs.* keys), validated and registered as crl train does; checked
 * to fit the policy. 0, or -1 with the message in err. */
int cli_policy_env_open(const cli_policy_source *s, const cli_env_choice *c,
                        crl_env **out, char *err, size_t size);

/* Called after reset (t = 0) and after each step with the env. */
typedef void (*cli_frame_fn)(void *ctx, const crl_env *env, int t,
                             const crl_real *action, double reward);

/* One episode of env with the policy (actions clipped to a Box's bounds,
 * as crl_evaluate does); frame may be NULL. At most max_steps steps when
 * max_steps > 0. 0, or a CRL_E* code. */
int cli_play_episode(cli_policy_source *s, crl_env *env, cli_frame_fn frame,
                     void *ctx, int max_steps, double *ret, int *len);

#endif
