/* Algorithm handles and registry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/builtins.h"
#include "core/internal.h"
#include "crl/error.h"
#include "io/checkpoint.h"

struct crl_algo {
  const crl_algo_type *type;
  void *self;
};

#define CRL_MAX_USER_ALGOS 32
static const crl_algo_type *user_algo_types[CRL_MAX_USER_ALGOS];
static int user_algo_count;

int crl_algo_count(void) {
  return crl__builtins.n_algo_types + user_algo_count;
}

const crl_algo_type *crl_algo_at(int i) {
  if (i < 0 || i >= crl_algo_count())
    return NULL;
  if (i < crl__builtins.n_algo_types)
    return crl__builtins.algo_types[i];
  return user_algo_types[i - crl__builtins.n_algo_types];
}

const crl_algo_type *crl_algo_find(const char *name) {
  if (name == NULL)
    return NULL;
  for (int i = 0; i < crl_algo_count(); i++)
    if (strcmp(crl_algo_at(i)->name, name) == 0)
      return crl_algo_at(i);
  return NULL;
}

int crl_algo_register(const crl_algo_type *type) {
  if (type == NULL || type->name == NULL || type->params == NULL ||
      type->create == NULL || type->iterate == NULL || type->act == NULL ||
      type->destroy == NULL)
    return crl_fail(CRL_EINVAL, "algo type: name, params, create, iterate, "
                                "act and destroy are required");
  if (crl_algo_find(type->name) != NULL)
    return crl_fail(CRL_EINVAL, "algo '%s' is already registered", type->name);
  if (user_algo_count >= CRL_MAX_USER_ALGOS)
    return crl_fail(CRL_ENOMEM, "algo registry is full");
  user_algo_types[user_algo_count++] = type;
  return 0;
}

int crl_algo_spec_alloc(const crl_algo_type *type, void **spec) {
  *spec = calloc(1, type->spec_size > 0 ? type->spec_size : 1);
  if (*spec == NULL)
    return crl_fail(CRL_ENOMEM, "algo '%s': out of memory", type->name);
  int rc = crl_params_defaults(type->params, *spec);
  if (rc) {
    free(*spec);
    *spec = NULL;
  }
  return rc;
}

void crl_algo_spec_free(void *spec) {
  free(spec);
}

int crl_algo_spec_set(const crl_algo_type *type, void *spec, const char *key,
                      const char *value) {
  return crl_params_set(type->params, spec, key, value);
}

int crl_algo_alloc(const crl_algo_type *type, const void *spec,
                   const crl_space *obs, const crl_space *act, int n_envs,
                   uint64_t seed, crl_algo **out) {
  *out = NULL;
  if (n_envs < 1)
    return crl_fail(CRL_EINVAL, "algo '%s': n_envs must be >= 1", type->name);
  crl_algo *a = calloc(1, sizeof *a);
  if (a == NULL)
    return crl_fail(CRL_ENOMEM, "algo '%s': out of memory", type->name);
  a->type = type;
  int rc = type->create(spec, obs, act, n_envs, seed, &a->self);
  if (rc) {
    free(a);
    return rc;
  }
  *out = a;
  return 0;
}

void crl_algo_free(crl_algo *algo) {
  if (algo == NULL)
    return;
  algo->type->destroy(algo->self);
  free(algo);
}

int crl_algo_set_group(crl_algo *algo, const crl_group *g, int *own_envs) {
  int own = 0;
  if (own_envs == NULL)
    own_envs = &own;
  *own_envs = 0;
  if (algo->type->set_group == NULL) {
    if (g == NULL || g->size <= 1)
      return 0;
    return crl_fail(CRL_EUNSUPPORTED,
                    "algo '%s' cannot run data parallel (over %d processes)",
                    algo->type->name, g->size);
  }
  return algo->type->set_group(algo->self, g, own_envs);
}

const crl_algo_type *crl_algo_get_type(const crl_algo *algo) {
  return algo->type;
}

void *crl__algo_self(crl_algo *algo) {
  return algo->self;
}

int crl_algo_iterate(crl_algo *algo, crl_vec_env *venv,
                     double progress_remaining, crl_algo_stats *stats) {
  crl_algo_stats local;
  crl_algo_stats *s = stats ? stats : &local;
  s->steps = 0;
  s->n_updates = 0;
#define SET_NAN(name, diverged_if_infinite, doc) s->name = NAN;
  CRL_ALGO_STATS(SET_NAN)
#undef SET_NAN
  if (progress_remaining < 0.0)
    progress_remaining = 0.0;
  if (progress_remaining > 1.0)
    progress_remaining = 1.0;
  return algo->type->iterate(algo->self, venv, progress_remaining, s);
}

int crl_algo_act(crl_algo *algo, const crl_real *obs, int B, int deterministic,
                 crl_real *action) {
  return algo->type->act(algo->self, obs, B, deterministic, action);
}
