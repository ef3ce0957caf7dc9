/* crl check CONFIG.yaml: validate an experiment (its search: block too)
 * and print its resolved configuration. crl check DIR: compare a finished run
 * with its `expect:` block, one verdict per expectation; exit status 3 when one
 * fails. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/train_args.h"
#include "plot/expect.h"
#include "run/fsutil.h"
#include "tune/space.h"

static int is_directory(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every point's env and algorithm can be built (a replay buffer larger
 * than the machine's memory, a batch that does not divide the rollout):
 * what training would otherwise find only once it starts. */
static int check_buildable(const cli_experiment *x, const char *source) {
  for (int p = 0; p < x->n_points; p++) {
    const cli_run_config *c = &x->points[p];
    crl_vec_env *venv = NULL;
    crl_algo *algo = NULL;
    int rc = crl_vec_env_make(c->env_name, c->keys.n_envs, 0, &venv);
    if (rc == 0)
      rc =
          crl_algo_alloc(c->algo, c->algo_spec, crl_vec_env_obs_space(venv),
                         crl_vec_env_act_space(venv), c->keys.n_envs, 0, &algo);
    if (rc)
      fprintf(stderr, "%s: error: %s%s%s cannot be built: %s\n", source,
              x->names[p][0] ? "grid point " : "", x->names[p],
              x->names[p][0] ? ":" : "the experiment", crl_last_error());
    crl_algo_free(algo);
    crl_vec_env_free(venv);
    if (rc)
      return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* The file's search: block, if it has one, checked as crl tune checks it
 * (s->n is 0 without one). 0, or -1 with the message printed. */
static int check_search(const cli_train_args *a, const cli_experiment *x,
                        cli_search_space *s) {
  char err[CLI_ERR_SIZE];
  cli_cfg_entries e = {0};
  int rc = cli_cfg_load_yaml(a->config, &e, err, sizeof err);
  for (int i = 0; rc == 0 && i < a->n_sets; i++)
    rc = cli_cfg_apply_set(&e, a->sets[i], err, sizeof err);
  int has = 0;
  for (int i = 0; rc == 0 && i < e.n; i++)
    has |= cli_cfg_key_in(e.v[i].key, "search");
  memset(s, 0, sizeof *s);
  if (rc == 0 && has)
    rc = cli_search_read(&e, x, s, err, sizeof err);
  cli_cfg_entries_free(&e);
  if (rc)
    fprintf(stderr, "%s\n", err);
  return rc;
}

static int check_file(const cli_train_args *a) {
  cli_experiment x;
  cli_search_space s = {0};
  if (cli_train_args_load(a, a->config, &x))
    return CLI_EXIT_USAGE;
  if (check_buildable(&x, a->zoo ? a->zoo : a->config) ||
      (a->zoo == NULL && check_search(a, &x, &s))) {
    cli_experiment_free(&x);
    cli_search_free(&s);
    return CLI_EXIT_USAGE;
  }
  int rc =
      cli_experiment_write_yaml(&x, stdout) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
  if (s.n > 0)
    cli_search_write_yaml(&s, stdout);
  cli_experiment_free(&x);
  cli_search_free(&s);
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
  return a.config && is_directory(a.config) ? check_run(&a) : check_file(&a);
}
