/* crl: environments.
 *
 * An environment is a vtable (crl_env_type) plus a registry by name. The
 * handle crl_env wraps one instance with Gymnasium's TimeLimit rule and an
 * RNG for resets. Built-in envs keep their internal state in double so that
 * they match Gymnasium to the last bit; observations are handed out as
 * crl_real. Actions come in as crl_real too: a discrete action is the index
 * stored as a crl_real (exact for any realistic number of actions). */
#ifndef CRL_ENV_H
#define CRL_ENV_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/params.h"

CRL_BEGIN_DECLS

typedef enum crl_space_kind {
  CRL_SPACE_BOX = 0,     /* dim reals, each in [low[i], high[i]] */
  CRL_SPACE_DISCRETE = 1 /* one integer in {0, ..., n-1}; dim is 1 */
} crl_space_kind;

typedef struct crl_space {
  crl_space_kind kind;
  int dim;            /* number of reals (Box) or 1 (Discrete) */
  int n;              /* number of choices (Discrete), 0 for Box */
  const double *low;  /* [dim] (Box); NULL for Discrete */
  const double *high; /* [dim] (Box); NULL for Discrete */
} crl_space;

/* crl_env_type.flags. */
enum {
  /* Distinct instances share no mutable state, so that one may step (or
   * reset) on one thread while another does on a second; and a step costs
   * far more than handing it to another thread (microseconds, not tens of
   * nanoseconds). A vec env then steps its copies on the calling thread's
   * helpers (crl_threads_set in crl/kernels.h), with the same results.
   * The MuJoCo tasks and models have it; the classic-control envs, whose
   * steps cost less than the hand-over, do not. */
  CRL_ENV_PARALLEL_STEP = 1u << 0
};

/* The vtable an environment implements. `self` points to `self_size` bytes
 * that the handle allocates (zeroed) and passes to every call. */
typedef struct crl_env_type {
  const char *name; /* registry name, e.g. "Pendulum-v1" */
  const char *doc;  /* one line for `crl envs` */
  size_t self_size; /* bytes of the env's own state struct */
  /* TimeLimit: truncate after this many steps; 0 = never. */
  int max_episode_steps;
  int state_dim; /* number of doubles in get_state/set_state */
  /* Fill in the observation and action spaces (their arrays may point into
   * self or static storage). Called once after allocation; required. */
  int (*init)(void *self, crl_space *obs_space, crl_space *act_space);
  /* Sample an initial state from rng (Gymnasium's reset distribution).
   * Returns 0 or a negative CRL_E* code (e.g. a user simulator failing). */
  int (*reset)(void *self, gsl_rng *rng);
  /* Advance one step. Sets *reward and *terminated (0/1). Returns 0 or a
   * negative CRL_E* code for an invalid action. */
  int (*step)(void *self, const crl_real *action, double *reward,
              int *terminated);
  /* Write the current observation, obs_space.dim values. */
  void (*observe)(const void *self, crl_real *obs);
  /* Copy the internal state out / in (state_dim doubles). set_state also
   * clears per-episode bookkeeping, as a fresh reset would. */
  void (*get_state)(const void *self, double *state);
  void (*set_state)(void *self, const double *state);
  /* Release what init acquired (may be NULL). */
  void (*fini)(void *self);
  /* Optional: when non-NULL, every instance's self starts as a copy of
   * these self_size bytes instead of zeros. One set of functions can then
   * serve several registered types that differ in their data (the callback
   * adapter below uses it to find its callbacks). */
  const void *self_template;
  /* Optional: settings declared as a parameter table whose offsets point
   * into the self struct (NULL-terminated). They are filled with their
   * defaults, then with what crl_env_register_configured was given, before
   * init runs; init reads them from self. */
  const crl_param_def *params;
  /* Optional: called by crl_env_register_configured on the new type once
   * its settings are in self_template, before it is registered. It may
   * reject the settings (its error is the registration's) and set the
   * type's fields that depend on them: state_dim, max_episode_steps,
   * get_state/set_state, doc (which may point into self_template). A MuJoCo
   * env uses it to load the model once and declare its state size. */
  int (*configure)(struct crl_env_type *type, void *self_template);
  /* Optional: CRL_ENV_* bits (0: none). A configured type has its base's. */
  unsigned flags;
} crl_env_type;

typedef struct crl_env crl_env;

/* The registry is not locked: register types before starting threads that
 * create envs. (Its first use also registers the built-in configured types,
 * e.g. the MuJoCo models, so make that first call from one thread too.) */

/** Add an environment type to the registry (the pointer must stay valid).
 *  Fails with CRL_EINVAL when the name is taken or the type is incomplete. */
CRL_API int crl_env_register(const crl_env_type *type);

/** Register `name` as `base` with some of its declared settings changed:
 *  keys[i] = values[i] for i < n, validated against base's parameter table
 *  (unknown key → CRL_ENOTFOUND naming the nearest, bad value →
 *  CRL_EFORMAT/CRL_ERANGE), then by base's configure hook if it has one.
 *  The new type is `base` with those settings built in, so vec envs,
 *  evaluation and YAML use it by name. */
CRL_API int crl_env_register_configured(const char *name, const char *base,
                                        int n, const char *const *keys,
                                        const char *const *values);

/** Look up a registered type by name; NULL when there is none. */
CRL_API const crl_env_type *crl_env_find(const char *name);

/** Number of registered types, and the i-th one (built-ins first). */
CRL_API int crl_env_count(void);
CRL_API const crl_env_type *crl_env_at(int i);

/** Create an instance of the named environment. *out is NULL on failure;
 *  an unknown name fails with CRL_ENOTFOUND and suggests the nearest one. */
CRL_API int crl_env_make(const char *name, crl_env **out);

/** Create an instance from a type that need not be registered. */
CRL_API int crl_env_alloc(const crl_env_type *type, crl_env **out);

/** Free an instance; crl_env_free(NULL) does nothing. */
CRL_API void crl_env_free(crl_env *env);

CRL_API const crl_env_type *crl_env_get_type(const crl_env *env);
CRL_API const crl_space *crl_env_obs_space(const crl_env *env);
CRL_API const crl_space *crl_env_act_space(const crl_env *env);

/** Clip action [s->dim] to a Box space's bounds in place (what a Gymnasium
 *  user does before step); nothing for a Discrete space. */
CRL_API void crl_space_clip(const crl_space *s, crl_real *action);

/** Re-seed the env's reset RNG, as Gymnasium's reset(seed=k) does; later
 *  resets continue the same stream. */
CRL_API void crl_env_seed(crl_env *env, uint64_t seed);

/** Start an episode: sample an initial state, zero the step counter and
 *  write the first observation. */
CRL_API int crl_env_reset(crl_env *env, crl_real *obs);

/** One step: obs [obs_dim] receives the next observation; *truncated is set
 *  when the TimeLimit is reached, independently of *terminated. Stepping
 *  after the end of an episode is allowed, as in Gymnasium. Stepping before
 *  the first reset fails with CRL_ESTATE. */
CRL_API int crl_env_step(crl_env *env, const crl_real *action, crl_real *obs,
                         double *reward, int *terminated, int *truncated);

/** Steps taken since the last reset. */
CRL_API int crl_env_elapsed_steps(const crl_env *env);

/** Internal state as doubles (state_dim of them) and back; set_state does
 *  not touch the TimeLimit counter. */
CRL_API int crl_env_get_state(const crl_env *env, double *state);
CRL_API int crl_env_set_state(crl_env *env, const double *state);

/** Write the current observation without stepping. */
CRL_API int crl_env_observe(const crl_env *env, crl_real *obs);

/* ---- plain callbacks --------------------------------------------------- */

/* For code that already has reset/step functions. Each env instance (each
 * copy in a vec env) gets its own state from create(user), or shares `user`
 * itself when create is NULL (then use one copy at a time). */
typedef struct crl_env_callbacks {
  const char *name;      /* registry name; copied */
  const char *doc;       /* one line; copied (may be NULL) */
  crl_space obs_space;   /* Box; bounds arrays must outlive the registration */
  crl_space act_space;   /* Box or Discrete; same rule */
  int max_episode_steps; /* TimeLimit; 0 = never truncate */
  void *user;            /* passed to create (or to every call without it) */
  void *(*create)(void *user); /* optional: per-instance state, NULL = fail */
  void (*destroy)(void *inst); /* optional: frees what create made */
  /* Start an episode from a seed drawn from the env's reset stream; write
   * obs_space.dim values. Return 0 or a negative CRL_E* code. */
  int (*reset)(void *inst, uint64_t seed, crl_real *obs);
  /* One step: write the next observation, the reward and terminated. */
  int (*step)(void *inst, const crl_real *action, crl_real *obs, double *reward,
              int *terminated);
  /* Optional, for checkpoints: state_dim doubles (not NaN) holding all that
   * the next reset and step depend on, the simulator's own random state
   * included. get_state writes them, set_state puts them back into an
   * instance (which may have just been created). Give both or neither. A
   * run on an env without them still trains, and its checkpoints hold the
   * policy (crl eval), but `crl train --resume` refuses to continue it. */
  int state_dim;
  void (*get_state)(const void *inst, double *state);
  void (*set_state)(void *inst, const double *state);
} crl_env_callbacks;

/** Register an environment given by callbacks (copied; the name must be
 *  new). After this, crl_env_make(name) and YAML `env: name` use it. */
CRL_API int crl_env_register_callbacks(const crl_env_callbacks *cb);

/* ---- checking an environment --------------------------------------------- */

/** Check an environment type the way a user would hope it behaves: spaces
 *  consistent (dims >= 1, low <= high, finite action bounds), reset writes
 *  exactly obs_dim finite values, the same seed reproduces the same first
 *  observation, `steps` random actions give finite observations and
 *  rewards, terminated is 0/1, truncation comes at max_episode_steps, and
 *  get_state/set_state (if present) round-trip. Every problem found is
 *  appended to report (one line each, NUL-terminated, truncated to size).
 *  Returns 0 when all is well, CRL_EINVAL when a problem was found, or
 *  another code when the env could not even be created. */
CRL_API int crl_env_check(const crl_env_type *type, int steps, uint64_t seed,
                          char *report, size_t size);

CRL_END_DECLS

#endif
