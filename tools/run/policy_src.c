/* Trained policies from checkpoints or policy files (see policy_src.h). */
#include "run/policy_src.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run/runner_internal.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The one seed_<k> directory of a run directory; -1 when there are none
 * or several (err says which). */
static int only_seed_dir(const char *dir, char *buf, size_t size, char *err,
                         size_t err_size) {
  DIR *d = opendir(dir);
  int n = 0;
  char first[256] = "";
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "seed_", 5) == 0 && n++ == 0)
      snprintf(first, sizeof first, "%s", e->d_name);
  if (d)
    closedir(d);
  if (n == 1)
    return cli_path_join(buf, size, dir, first);
  if (n == 0)
    snprintf(err, err_size,
             "%s: no checkpoint here (give a .ckpt file, a seed_<k> "
             "directory or a .crlp policy file)",
             dir);
  else
    snprintf(err, err_size, "%s has %d seeds; name one, e.g. %s/%s", dir, n,
             dir, first);
  return -1;
}

/* arg -> a checkpoint file: itself, or the newest one of a seed dir. */
static int resolve_checkpoint(const char *arg, char *path, size_t size,
                              char *err, size_t err_size) {
  if (!is_dir(arg))
    return snprintf(path, size, "%s", arg) >= (int)size ? -1 : 0;
  char seed_dir[CLI_PATH_MAX], ckpt_dir[CLI_PATH_MAX];
  if (cli_path_join(ckpt_dir, sizeof ckpt_dir, arg, "checkpoints") == 0 &&
      is_dir(ckpt_dir))
    snprintf(seed_dir, sizeof seed_dir, "%s", arg);
  else if (only_seed_dir(arg, seed_dir, sizeof seed_dir, err, err_size))
    return -1;
  if (cli_run_latest_checkpoint(seed_dir, path, size) == 0)
    return 0;
  snprintf(err, err_size, "%s: no checkpoint in %s/checkpoints", arg, seed_dir);
  return -1;
}

/* Rebuild the run a checkpoint belongs to and restore its state. */
static int open_checkpoint(cli_policy_source *s, const crl_ckpt_reader *rd,
                           char *err, size_t size) {
  char *text = NULL;
  long seed = 0, steps = 0;
  const crl_state_item where[] = {
      CRL_STATE_RANGED(LONG, "seed", &seed, 1, 0, INT_MAX),
      CRL_STATE_RANGED(LONG, "steps", &steps, 1, 0, LONG_MAX / 2),
  };
  if (cli_run_ckpt_config_text(rd, &text) ||
      crl_state_load_items(rd, "runner", where, CRL_STATE_COUNT(where))) {
    free(text);
    snprintf(err, size, "%s: %s", s->path, crl_last_error());
    return -1;
  }
  int rc = cli_config_from_text(text, s->path, &s->cfg, err, size);
  free(text);
  if (rc)
    return -1;
  s->seed = (int)seed;
  s->steps = (long)steps;
  const cli_run_config *c = &s->cfg;
  if (crl_vec_env_make(c->env_name, c->keys.n_envs, (uint64_t)seed, &s->venv) ||
      crl_algo_alloc(c->algo, c->algo_spec, crl_vec_env_obs_space(s->venv),
                     crl_vec_env_act_space(s->venv), c->keys.n_envs,
                     (uint64_t)seed, &s->algo) ||
      crl_algo_checkpoint_read(s->algo, s->venv, rd)) {
    snprintf(err, size, "%s: %s", s->path, crl_last_error());
    return -1;
  }
  return 0;
}

int cli_policy_source_open(const char *arg, cli_policy_source *s, char *err,
                           size_t size) {
  memset(s, 0, sizeof *s);
  if (ends_with(arg, ".crlp")) {
    snprintf(s->path, sizeof s->path, "%s", arg);
    if (crl_policy_load(arg, 1, &s->policy) == 0)
      return 0;
    snprintf(err, size, "%s: %s", arg, crl_last_error());
    return -1;
  }
  if (resolve_checkpoint(arg, s->path, sizeof s->path, err, size))
    return -1;
  crl_ckpt_reader *rd = NULL;
  if (crl_ckpt_reader_open(s->path, &rd)) {
    snprintf(err, size, "%s: %s", s->path, crl_last_error());
    return -1;
  }
  s->from_checkpoint = 1;
  int rc = open_checkpoint(s, rd, err, size);
  crl_ckpt_reader_free(rd);
  if (rc)
    cli_policy_source_close(s);
  return rc;
}

void cli_policy_source_close(cli_policy_source *s) {
  crl_policy_free(s->policy);
  crl_algo_free(s->algo);
  crl_vec_env_free(s->venv);
  if (s->from_checkpoint)
    cli_config_free(&s->cfg);
  memset(s, 0, sizeof *s);
}

int cli_policy_source_act(cli_policy_source *s, const crl_real *obs,
                          crl_real *action) {
  if (s->policy)
    return crl_policy_act(s->policy, obs, action);
  return crl_algo_act(s->algo, obs, 1, 1, action);
}

int cli_policy_source_fits(const cli_policy_source *s, const crl_env *env,
                           char *err, size_t size) {
  const crl_space *o = crl_env_obs_space(env), *a = crl_env_act_space(env);
  const crl_space *pa = s->policy ? crl_policy_act_space(s->policy)
                                  : crl_vec_env_act_space(s->venv);
  int obs_dim = s->policy ? crl_policy_obs_dim(s->policy)
                          : crl_vec_env_obs_space(s->venv)->dim;
  if (obs_dim == o->dim && pa->kind == a->kind && pa->dim == a->dim &&
      pa->n == a->n)
    return 0;
  snprintf(err, size,
           "the policy (%d observations, %d actions) does not fit env '%s' "
           "(%d observations, %d actions)",
           obs_dim, pa->kind == CRL_SPACE_DISCRETE ? pa->n : pa->dim,
           crl_env_get_type(env)->name, o->dim,
           a->kind == CRL_SPACE_DISCRETE ? a->n : a->dim);
  return -1;
}

int cli_play_episode(cli_policy_source *s, crl_env *env, cli_frame_fn frame,
                     void *ctx, int max_steps, double *ret, int *len) {
  const crl_space *as = crl_env_act_space(env);
  crl_real *obs = calloc((size_t)crl_env_obs_space(env)->dim, sizeof *obs);
  crl_real *act = calloc((size_t)as->dim, sizeof *act);
  int rc = obs && act ? crl_env_reset(env, obs) : CRL_ENOMEM;
  int terminated = 0, truncated = 0;
  *ret = 0.0;
  *len = 0;
  if (rc == 0 && frame)
    frame(ctx, env, 0, act, 0.0);
  while (rc == 0 && !terminated && !truncated &&
         (max_steps <= 0 || *len < max_steps) && *len < 100000000) {
    rc = cli_policy_source_act(s, obs, act);
    if (rc)
      break;
    crl_space_clip(as, act);
    double r = 0.0;
    rc = crl_env_step(env, act, obs, &r, &terminated, &truncated);
    *ret += r;
    (*len)++;
    if (rc == 0 && frame)
      frame(ctx, env, *len, act, r);
  }
  free(obs);
  free(act);
  return rc;
}
