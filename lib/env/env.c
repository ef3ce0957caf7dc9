/* Environment handles: TimeLimit bookkeeping, reset RNG and the registry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/builtins.h"
#include "core/internal.h"
#include "crl/error.h"
#include "crl/rng.h"

struct crl_env {
  const crl_env_type *type;
  void *self;   /* type->self_size bytes */
  gsl_rng *rng; /* reset distribution */
  crl_space obs_space;
  crl_space act_space;
  int elapsed_steps; /* TimeLimit counter, zeroed by reset */
  int has_reset;     /* stepping before the first reset is an error */
};

/* ---- registry ------------------------------------------------------------ */

#define CRL_MAX_USER_ENVS 64
static const crl_env_type *user_env_types[CRL_MAX_USER_ENVS];
static int user_env_count;

/* Built-in configured types (the MuJoCo models) are registered through the
 * ordinary path on the registry's first use; the flag is set first so that
 * their registration, which looks names up, does not recurse. */
static void register_builtin_configured(void) {
  static int done;
  if (done)
    return;
  done = 1;
  if (crl__builtins.register_presets != NULL)
    crl__builtins.register_presets();
}

int crl_env_count(void) {
  register_builtin_configured();
  return crl__builtins.n_env_types + user_env_count;
}

const crl_env_type *crl_env_at(int i) {
  if (i < 0 || i >= crl_env_count())
    return NULL;
  if (i < crl__builtins.n_env_types)
    return crl__builtins.env_types[i];
  return user_env_types[i - crl__builtins.n_env_types];
}

const crl_env_type *crl_env_find(const char *name) {
  if (name == NULL)
    return NULL;
  for (int i = 0; i < crl_env_count(); i++)
    if (strcmp(crl_env_at(i)->name, name) == 0)
      return crl_env_at(i);
  return NULL;
}

static int check_type(const crl_env_type *t) {
  if (t == NULL || t->name == NULL || t->name[0] == '\0')
    return crl_fail(CRL_EINVAL, "env type: missing name");
  if (t->reset == NULL || t->step == NULL || t->observe == NULL ||
      t->init == NULL)
    return crl_fail(CRL_EINVAL,
                    "env type '%s': init, reset, step and observe are required",
                    t->name);
  if (t->max_episode_steps < 0 || t->state_dim < 0)
    return crl_fail(CRL_EINVAL,
                    "env type '%s': negative max_episode_steps or state_dim",
                    t->name);
  return 0;
}

int crl_env_register(const crl_env_type *type) {
  int rc = check_type(type);
  if (rc)
    return rc;
  if (crl_env_find(type->name) != NULL)
    return crl_fail(CRL_EINVAL, "env '%s' is already registered", type->name);
  if (user_env_count >= CRL_MAX_USER_ENVS)
    return crl_fail(CRL_ENOMEM, "env registry is full (%d user envs)",
                    CRL_MAX_USER_ENVS);
  user_env_types[user_env_count++] = type;
  return 0;
}

/* A configured variant of a registered type; lives as long as the process,
 * like every registration. */
typedef struct configured_type {
  crl_env_type type;
  char name[128];
  unsigned char template_self[]; /* base->self_size bytes */
} configured_type;

int crl_env_register_configured(const char *name, const char *base_name, int n,
                                const char *const *keys,
                                const char *const *values) {
  const crl_env_type *base = crl_env_find(base_name);
  if (base == NULL) {
    crl_env *probe = NULL;
    return crl_env_make(base_name, &probe); /* sets the "did you mean" */
  }
  if (name == NULL || strlen(name) >= sizeof((configured_type *)0)->name)
    return crl_fail(CRL_EINVAL, "configured env: missing or too long name");
  if (n > 0 && base->params == NULL)
    return crl_fail(CRL_ENOTFOUND, "env '%s' has no settings (got '%s')",
                    base->name, keys[0]);
  configured_type *c =
      calloc(1, sizeof *c + (base->self_size ? base->self_size : 1));
  if (c == NULL)
    return crl_fail(CRL_ENOMEM, "configured env: out of memory");
  int rc = 0;
  if (base->self_template != NULL)
    memcpy(c->template_self, base->self_template, base->self_size);
  else if (base->params != NULL)
    rc = crl_params_defaults(base->params, c->template_self);
  for (int i = 0; rc == 0 && i < n; i++) {
    rc = crl_params_set(base->params, c->template_self, keys[i], values[i]);
    if (rc) {
      char why[512]; /* crl_fail writes the buffer crl_last_error reads */
      snprintf(why, sizeof why, "%s", crl_last_error());
      crl_fail(rc, "env '%s': %s", base->name, why);
    }
  }
  if (rc == 0) {
    strcpy(c->name, name);
    c->type = *base;
    c->type.name = c->name;
    c->type.self_template = c->template_self;
    if (base->configure != NULL)
      rc = base->configure(&c->type, c->template_self);
    if (rc == 0)
      rc = crl_env_register(&c->type);
  }
  if (rc)
    free(c);
  return rc;
}

/* ---- instances ----------------------------------------------------------- */

static int check_space(const char *env, const char *which, const crl_space *s) {
  if (s->kind == CRL_SPACE_DISCRETE) {
    if (s->dim != 1 || s->n < 1)
      return crl_fail(CRL_EINVAL,
                      "env '%s': discrete %s space needs dim 1 and n >= 1", env,
                      which);
    return 0;
  }
  if (s->kind != CRL_SPACE_BOX || s->dim < 1 || s->low == NULL ||
      s->high == NULL)
    return crl_fail(CRL_EINVAL,
                    "env '%s': box %s space needs dim >= 1, low and high", env,
                    which);
  for (int i = 0; i < s->dim; i++) {
    if (isnan(s->low[i]) || isnan(s->high[i]))
      return crl_fail(CRL_EINVAL, "env '%s': %s space bound %d is NaN", env,
                      which, i);
    if (!(s->low[i] <= s->high[i]))
      return crl_fail(CRL_EINVAL,
                      "env '%s': %s space has low[%d] = %g > high[%d] = %g",
                      env, which, i, s->low[i], i, s->high[i]);
  }
  return 0;
}

int crl_env_alloc(const crl_env_type *type, crl_env **out) {
  *out = NULL;
  int rc = check_type(type);
  if (rc)
    return rc;
  crl_env *env = calloc(1, sizeof *env);
  if (env == NULL)
    return crl_fail(CRL_ENOMEM, "env '%s': out of memory", type->name);
  env->type = type;
  env->self = calloc(1, type->self_size > 0 ? type->self_size : 1);
  env->rng = crl_rng_alloc(0, CRL_STREAM_ENV);
  if (env->self != NULL && type->self_template != NULL && type->self_size > 0)
    memcpy(env->self, type->self_template, type->self_size);
  else if (env->self != NULL && type->params != NULL &&
           crl_params_defaults(type->params, env->self) != 0) {
    crl_env_free(env);
    return CRL_EINVAL; /* the message is already set */
  }
  if (env->self == NULL || env->rng == NULL) {
    crl_env_free(env);
    return crl_fail(CRL_ENOMEM, "env '%s': out of memory", type->name);
  }
  rc = type->init(env->self, &env->obs_space, &env->act_space);
  if (rc == 0)
    rc = check_space(type->name, "observation", &env->obs_space);
  if (rc == 0)
    rc = check_space(type->name, "action", &env->act_space);
  if (rc) {
    crl_env_free(env);
    return rc;
  }
  *out = env;
  return 0;
}

int crl_env_make(const char *name, crl_env **out) {
  *out = NULL;
  const crl_env_type *type = crl_env_find(name);
  if (type == NULL) {
    const char *names[256];
    int n = crl_env_count() < 256 ? crl_env_count() : 256;
    for (int i = 0; i < n; i++)
      names[i] = crl_env_at(i)->name;
    const char *near = crl_nearest_name(name ? name : "", names, n);
    if (near)
      return crl_fail(CRL_ENOTFOUND, "unknown env '%s' (did you mean '%s'?)",
                      name ? name : "(null)", near);
    return crl_fail(CRL_ENOTFOUND, "unknown env '%s' (`crl envs` lists them)",
                    name ? name : "(null)");
  }
  return crl_env_alloc(type, out);
}

void crl_env_free(crl_env *env) {
  if (env == NULL)
    return;
  if (env->self != NULL && env->type->fini != NULL)
    env->type->fini(env->self);
  free(env->self);
  if (env->rng)
    gsl_rng_free(env->rng);
  free(env);
}

const crl_env_type *crl_env_get_type(const crl_env *env) {
  return env->type;
}
const crl_space *crl_env_obs_space(const crl_env *env) {
  return &env->obs_space;
}
const crl_space *crl_env_act_space(const crl_env *env) {
  return &env->act_space;
}

void crl_env_seed(crl_env *env, uint64_t seed) {
  /* Reseed in place: no allocation. */
  uint64_t s = crl_seed_derive(seed, CRL_STREAM_ENV);
  unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffUL);
  gsl_rng_set(env->rng, s32 ? s32 : 4357);
}

/* A callback that fails without crl_fail must not be reported with the
 * message of an earlier, unrelated failure: the message is cleared before
 * the call and, when still empty after it, names the env and the code. */
static int callback_failed(const crl_env *env, const char *what, int rc) {
  if (crl_last_error()[0] == '\0')
    crl_fail(rc, "env '%s': %s failed with %s (%s) and no message",
             env->type->name, what, crl_errname(rc), crl_strerror(rc));
  return rc;
}

int crl_env_reset(crl_env *env, crl_real *obs) {
  crl_clear_error();
  int rc = env->type->reset(env->self, env->rng);
  if (rc)
    return callback_failed(env, "reset", rc);
  env->elapsed_steps = 0;
  env->has_reset = 1;
  if (obs != NULL)
    env->type->observe(env->self, obs);
  return 0;
}

int crl_env_step(crl_env *env, const crl_real *action, crl_real *obs,
                 double *reward, int *terminated, int *truncated) {
  if (!env->has_reset)
    return crl_fail(CRL_ESTATE, "env '%s': step before the first reset",
                    env->type->name);
  double r = 0.0;
  int term = 0;
  crl_clear_error();
  int rc = env->type->step(env->self, action, &r, &term);
  if (rc)
    return callback_failed(env, "step", rc);
  env->elapsed_steps++;
  int limit = env->type->max_episode_steps;
  if (obs != NULL)
    env->type->observe(env->self, obs);
  if (reward)
    *reward = r;
  if (terminated)
    *terminated = term != 0;
  if (truncated)
    *truncated = limit > 0 && env->elapsed_steps >= limit;
  return 0;
}

int crl_env_elapsed_steps(const crl_env *env) {
  return env->elapsed_steps;
}

void *crl__env_self(crl_env *env) {
  return env->self;
}

int crl_env_get_state(const crl_env *env, double *state) {
  if (env->type->get_state == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "env '%s' does not expose its state",
                    env->type->name);
  env->type->get_state(env->self, state);
  return 0;
}

int crl_env_set_state(crl_env *env, const double *state) {
  if (env->type->set_state == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "env '%s' cannot set its state",
                    env->type->name);
  env->type->set_state(env->self, state);
  env->has_reset = 1;
  return 0;
}

int crl_env_observe(const crl_env *env, crl_real *obs) {
  env->type->observe(env->self, obs);
  return 0;
}

void crl_space_clip(const crl_space *s, crl_real *action) {
  if (s->kind != CRL_SPACE_BOX)
    return;
  for (int j = 0; j < s->dim; j++) {
    if (action[j] < s->low[j])
      action[j] = (crl_real)s->low[j];
    if (action[j] > s->high[j])
      action[j] = (crl_real)s->high[j];
  }
}

/* ---- checkpoints --------------------------------------------------------- */

/* An env without get_state/set_state is saved without its state, so that
 * the checkpoint still holds the policy and the counters. Loaded, the
 * copy needs a reset before it steps again (stepping fails with
 * CRL_ESTATE), rather than continuing from a state it does not have;
 * the "no_state" mark keeps such a file from loading into an env that
 * does keep state. */
static int stateless_sections(crl_env *env, crl_state_io *io) {
  int no_state = 1;
  const crl_state_item items[] = {
      CRL_STATE(STRING, "name", env->type->name, 0, CRL_STATE_MATCH),
      CRL_STATE(INT, "no_state", &no_state, 1, CRL_STATE_MATCH),
      CRL_STATE(INT, "elapsed", &env->elapsed_steps, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("rng", crl_rng_sections, env->rng),
  };
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  if (rc == 0 && crl_state_loading(io))
    env->has_reset = 0;
  return rc;
}

/* The env's own state goes through get_state/set_state, so the table
 * points at a copy: filled before saving, handed back after loading. */
int crl__env_sections(void *obj, crl_state_io *io) {
  crl_env *env = obj;
  const crl_env_type *t = env->type;
  if (t->get_state == NULL || t->set_state == NULL || t->state_dim < 1)
    return stateless_sections(env, io);
  double *state = malloc((size_t)t->state_dim * sizeof *state);
  if (state == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  const int loading = crl_state_loading(io);
  if (!loading)
    t->get_state(env->self, state);
  const crl_state_item items[] = {
      CRL_STATE(STRING, "name", t->name, 0, CRL_STATE_MATCH),
      CRL_STATE(F64, "state", state, (size_t)t->state_dim, CRL_STATE_NOT_NAN),
      CRL_STATE(INT, "elapsed", &env->elapsed_steps, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("rng", crl_rng_sections, env->rng),
  };
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  if (rc == 0 && loading) {
    t->set_state(env->self, state);
    env->has_reset = 1;
  }
  free(state);
  return rc;
}
