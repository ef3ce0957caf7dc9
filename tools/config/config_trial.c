/* The last step of validation: build the env and the algorithm once and
 * throw them away, so that settings only the algorithm can judge
 * (batch_size vs n_steps * n_envs) fail before anything is written.
 *
 * Building the real networks can be slow (orthogonal initialisation is
 * cubic in the layer width) or exhaust memory, so the trial builds them
 * narrow, and the widths themselves are checked against a weight budget
 * here, with the place of the key in the message. */
#include <math.h>
#include <string.h>

#include "config/run_config.h"

/* Weights of one network, a little over 2^26 (256 MiB of floats before
 * gradients and Adam's moments): far beyond what trains on a laptop. */
#define MAX_WEIGHTS 67108864.0

/* Widths of the trial networks: enough to run every shape check. */
#define TRIAL_WIDTH 8

static int is_net_arch(const crl_param_def *d) {
  size_t n = strlen(d->name), m = strlen("net_arch");
  return d->kind == CRL_PARAM_INT_LIST && n >= m &&
         strcmp(d->name + n - m, "net_arch") == 0;
}

static crl_int_list *list_at(void *spec, const crl_param_def *d) {
  return (crl_int_list *)((char *)spec + d->offset);
}

/* Weights of an MLP obs -> widths -> out, biases included. */
static double mlp_weights(int in, const crl_int_list *widths, int out) {
  double total = 0.0, prev = in;
  for (int i = 0; i < widths->n; i++) {
    total += (prev + 1.0) * widths->v[i];
    prev = widths->v[i];
  }
  return total + (prev + 1.0) * out;
}

/* The entry that set key, or NULL when it has its default. */
static const cli_cfg_entry *entry_of(const cli_cfg_entries *entries,
                                     const char *key) {
  int i = cli_cfg_find(entries, key);
  return i >= 0 ? &entries->v[i] : NULL;
}

static int check_network_sizes(const cli_cfg_entries *entries,
                               const cli_run_config *cfg, const crl_env *env,
                               char *err, size_t size) {
  int in = crl_env_obs_space(env)->dim;
  int out = crl_env_act_space(env)->dim;
  for (const crl_param_def *d = cfg->algo->params; d->name; d++) {
    if (!is_net_arch(d))
      continue;
    double w = mlp_weights(in, list_at(cfg->algo_spec, d), out);
    if (w <= MAX_WEIGHTS)
      continue;
    const cli_cfg_entry *e = entry_of(entries, d->name);
    if (e)
      cli_cfg_where(e, 1, err, size);
    else
      snprintf(err, size, "%s: error: ", cfg->source);
    size_t n = strlen(err);
    snprintf(err + n, size - n,
             "'%s' makes networks of about %.2g weights; at most %.2g are "
             "supported",
             d->name, w, MAX_WEIGHTS);
    return -1;
  }
  return 0;
}

/* A copy of the spec with every network narrowed to TRIAL_WIDTH. */
static void *narrow_spec(const cli_run_config *cfg) {
  void *spec = NULL;
  if (crl_algo_spec_alloc(cfg->algo, &spec))
    return NULL;
  memcpy(spec, cfg->algo_spec, cfg->algo->spec_size);
  for (const crl_param_def *d = cfg->algo->params; d->name; d++) {
    if (!is_net_arch(d))
      continue;
    crl_int_list *l = list_at(spec, d);
    for (int i = 0; i < l->n; i++)
      if (l->v[i] > TRIAL_WIDTH)
        l->v[i] = TRIAL_WIDTH;
  }
  return spec;
}

int cli_config_trial(const cli_cfg_entries *entries, const cli_run_config *cfg,
                     char *err, size_t size) {
  crl_env *env = NULL;
  crl_algo *algo = NULL;
  void *spec = NULL;
  int rc = crl_env_make(cfg->env_name, &env);
  if (rc == 0 && check_network_sizes(entries, cfg, env, err, size)) {
    crl_env_free(env);
    return -1;
  }
  if (rc == 0 && (spec = narrow_spec(cfg)) == NULL)
    rc = -1;
  if (rc == 0)
    rc = crl_algo_alloc(cfg->algo, spec, crl_env_obs_space(env),
                        crl_env_act_space(env), cfg->keys.n_envs,
                        (uint64_t)cli_config_seed_at(cfg, 0), &algo);
  if (rc)
    snprintf(err, size, "%s: error: %s", cfg->source, crl_last_error());
  crl_algo_free(algo);
  crl_algo_spec_free(spec);
  crl_env_free(env);
  return rc ? -1 : 0;
}
