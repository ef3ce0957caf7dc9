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

/* "Box(3)" or "Discrete(2)". */
static void describe_space(const crl_space *sp, char *buf, size_t size) {
  if (sp->kind == CRL_SPACE_DISCRETE)
    snprintf(buf, size, "Discrete(%d)", sp->n);
  else
    snprintf(buf, size, "Box(%d)", sp->dim);
}

/* What to do about a mismatch, for the message: a checkpoint knows its
 * env, a policy file does not. */
static const char *mismatch_hint(const cli_policy_source *s) {
  if (s->from_checkpoint)
    return "without --env a checkpoint plays in its run's own env; --set "
           "env_kwargs.KEY=VALUE changes that env's settings";
  return "give the env the policy was trained in: --env NAME and the run's "
         "env_kwargs as --set env_kwargs.KEY=VALUE (see its config.yaml)";
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
  char policy_act[32], env_act[32];
  describe_space(pa, policy_act, sizeof policy_act);
  describe_space(a, env_act, sizeof env_act);
  snprintf(err, size,
           "the policy (observations Box(%d), actions %s) does not fit env "
           "'%s' (observations Box(%d), actions %s); %s",
           obs_dim, policy_act, crl_env_get_type(env)->name, o->dim, env_act,
           mismatch_hint(s));
  return -1;
}

/* The entries that describe the env: env, and a checkpoint's env_kwargs
 * when the env is its run's (they are settings of that env only). */
static int base_entries(const cli_policy_source *s, const char *env,
                        cli_cfg_entries *e) {
  cli_cfg_entry from = {.origin = (char *)"--env"};
  if (cli_cfg_put(e, &from, "env", env))
    return -1;
  if (!s->from_checkpoint || strcmp(env, s->cfg.keys.env) != 0)
    return 0;
  from.origin = (char *)s->path;
  for (int i = 0; i < s->cfg.n_env_kwargs; i++) {
    char key[128];
    snprintf(key, sizeof key, "env_kwargs.%s", s->cfg.env_kwargs[i].key);
    if (cli_cfg_put(e, &from, key, s->cfg.env_kwargs[i].value))
      return -1;
  }
  return 0;
}

/* --set may give env and env_kwargs; the rest of an experiment's keys
 * (n_envs, gamma, ...) mean nothing to one episode of a trained policy. */
static int check_set_keys(const cli_cfg_entries *e, char *err, size_t size) {
  for (int i = 0; i < e->n; i++) {
    const char *k = e->v[i].key;
    if (strcmp(k, "env") != 0 && strcmp(k, "env_kwargs") != 0 &&
        strncmp(k, "env_kwargs.", 11) != 0)
      return cli_cfg_fail(&e->v[i], 0, err, size,
                          "'%s' is not a setting of the env; --set takes "
                          "env_kwargs.KEY=VALUE here, the env's settings as "
                          "in the run's config.yaml",
                          k);
  }
  return 0;
}

int cli_env_choice_option(cli_env_choice *c, int argc, char **argv, int *i,
                          char *err, size_t size) {
  const char *o = argv[*i];
  int is_env = strncmp(o, "--env", 5) == 0 && (o[5] == '\0' || o[5] == '=');
  int is_set = strncmp(o, "--set", 5) == 0 && (o[5] == '\0' || o[5] == '=');
  if (!is_env && !is_set)
    return 1;
  const char *value = o[5] == '=' ? o + 6 : *i + 1 < argc ? argv[++*i] : NULL;
  if (value == NULL || value[0] == '\0') {
    snprintf(err, size, "%s needs %s", is_env ? "--env" : "--set",
             is_env ? "an env NAME" : "KEY=VALUE");
    return -1;
  }
  if (is_env) {
    c->env = value;
  } else if (c->n_sets == CLI_ENV_CHOICE_MAX_SETS) {
    snprintf(err, size, "more than %d --set options", CLI_ENV_CHOICE_MAX_SETS);
    return -1;
  } else {
    c->sets[c->n_sets++] = value;
  }
  return 0;
}

int cli_policy_env_open(const cli_policy_source *s, const cli_env_choice *c,
                        crl_env **out, char *err, size_t size) {
  *out = NULL;
  const char *env = c->env;
  if (env == NULL && s->from_checkpoint)
    env = s->cfg.keys.env;
  if (env == NULL) {
    snprintf(err, size,
             "a policy file needs --env NAME (and, for an env with settings, "
             "--set env_kwargs.KEY=VALUE as in the run's config.yaml)");
    return -1;
  }
  cli_cfg_entries e = {0};
  char name[128];
  int rc = base_entries(s, env, &e);
  if (rc)
    snprintf(err, size, "out of memory");
  for (int i = 0; rc == 0 && i < c->n_sets; i++)
    rc = cli_cfg_apply_set(&e, c->sets[i], err, size);
  if (rc == 0)
    rc = check_set_keys(&e, err, size) ||
         cli_config_env_from_entries(&e, name, sizeof name, err, size);
  cli_cfg_entries_free(&e);
  if (rc == 0 && crl_env_make(name, out) != 0) {
    snprintf(err, size, "%s", crl_last_error());
    rc = -1;
  }
  if (rc == 0 && cli_policy_source_fits(s, *out, err, size) != 0) {
    crl_env_free(*out);
    *out = NULL;
    rc = -1;
  }
  return rc ? -1 : 0;
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
