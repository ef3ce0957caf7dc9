/* Adapter: an environment given as plain reset/step callbacks becomes a
 * crl_env_type. Each registration gets its own type whose self_template
 * points at a private copy of the callbacks. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"

typedef struct cb_env {
  const crl_env_callbacks *cb; /* from the template */
  void *inst;                  /* create(user), or user itself */
  crl_real *obs;               /* [obs_dim] last observation */
} cb_env;

/* What one registration owns; kept for the life of the process, like every
 * registered type. */
typedef struct cb_registration {
  crl_env_type type;
  crl_env_callbacks cb;
  cb_env template_self;
  char name[128];
  char doc[256];
} cb_registration;

static int cb_init(void *self, crl_space *obs, crl_space *act) {
  cb_env *e = self;
  const crl_env_callbacks *cb = e->cb;
  e->inst = cb->create ? cb->create(cb->user) : cb->user;
  if (cb->create && e->inst == NULL)
    return crl_fail(CRL_ENOMEM, "env '%s': create() returned NULL", cb->name);
  e->obs = calloc((size_t)cb->obs_space.dim, sizeof *e->obs);
  if (e->obs == NULL)
    return crl_fail(CRL_ENOMEM, "env '%s': out of memory", cb->name);
  *obs = cb->obs_space;
  *act = cb->act_space;
  return 0;
}

static int cb_reset(void *self, gsl_rng *rng) {
  cb_env *e = self;
  /* A 64-bit seed from two 32-bit draws of the env's reset stream. */
  uint64_t hi = gsl_rng_get(rng) & 0xffffffffUL;
  uint64_t lo = gsl_rng_get(rng) & 0xffffffffUL;
  return e->cb->reset(e->inst, (hi << 32) | lo, e->obs);
}

static int cb_step(void *self, const crl_real *action, double *reward,
                   int *terminated) {
  cb_env *e = self;
  return e->cb->step(e->inst, action, e->obs, reward, terminated);
}

static void cb_observe(const void *self, crl_real *obs) {
  const cb_env *e = self;
  memcpy(obs, e->obs, (size_t)e->cb->obs_space.dim * sizeof *obs);
}

/* The state of a callback env: the user's doubles, then the last
 * observation, which only reset and step write and observe hands out. */
static void cb_get_state(const void *self, double *state) {
  const cb_env *e = self;
  e->cb->get_state(e->inst, state);
  double *obs = state + e->cb->state_dim;
  for (int i = 0; i < e->cb->obs_space.dim; i++)
    obs[i] = (double)e->obs[i];
}

static void cb_set_state(void *self, const double *state) {
  cb_env *e = self;
  e->cb->set_state(e->inst, state);
  const double *obs = state + e->cb->state_dim;
  for (int i = 0; i < e->cb->obs_space.dim; i++)
    e->obs[i] = (crl_real)obs[i]; /* exact: it was a crl_real */
}

static void cb_fini(void *self) {
  cb_env *e = self;
  if (e->cb->create && e->cb->destroy && e->inst)
    e->cb->destroy(e->inst);
  free(e->obs);
}

int crl_env_register_callbacks(const crl_env_callbacks *cb) {
  if (cb == NULL || cb->name == NULL || cb->reset == NULL || cb->step == NULL)
    return crl_fail(CRL_EINVAL,
                    "callback env: name, reset and step are required");
  if (strlen(cb->name) >= sizeof((cb_registration *)0)->name)
    return crl_fail(CRL_EINVAL, "callback env: name '%s' is too long",
                    cb->name);
  if (crl_env_find(cb->name) != NULL)
    return crl_fail(CRL_EINVAL, "env '%s' is already registered", cb->name);
  if (cb->obs_space.kind != CRL_SPACE_BOX || cb->obs_space.dim < 1)
    return crl_fail(CRL_EINVAL,
                    "callback env '%s': the observation space must be a Box "
                    "with dim >= 1",
                    cb->name);
  const int has_state = cb->get_state != NULL || cb->set_state != NULL;
  if (has_state &&
      (cb->get_state == NULL || cb->set_state == NULL || cb->state_dim < 1 ||
       cb->state_dim > INT_MAX - cb->obs_space.dim))
    return crl_fail(CRL_EINVAL,
                    "callback env '%s': get_state and set_state go together, "
                    "with state_dim >= 1 (got %d)",
                    cb->name, cb->state_dim);
  cb_registration *r = calloc(1, sizeof *r);
  if (r == NULL)
    return crl_fail(CRL_ENOMEM, "callback env: out of memory");
  r->cb = *cb;
  strcpy(r->name, cb->name);
  snprintf(r->doc, sizeof r->doc, "%s", cb->doc ? cb->doc : "user env");
  r->cb.name = r->name;
  r->cb.doc = r->doc;
  r->template_self.cb = &r->cb;
  r->type = (crl_env_type){.name = r->name,
                           .doc = r->doc,
                           .self_size = sizeof(cb_env),
                           .max_episode_steps = cb->max_episode_steps,
                           .init = cb_init,
                           .reset = cb_reset,
                           .step = cb_step,
                           .observe = cb_observe,
                           .fini = cb_fini,
                           .self_template = &r->template_self};
  if (has_state) {
    r->type.state_dim = cb->state_dim + cb->obs_space.dim;
    r->type.get_state = cb_get_state;
    r->type.set_state = cb_set_state;
  }
  int rc = crl_env_register(&r->type);
  if (rc)
    free(r);
  return rc;
}
