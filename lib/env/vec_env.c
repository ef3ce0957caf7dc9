/* N copies of one environment, stepped in lockstep with auto-reset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "core/internal.h"
#include "core/pool.h"
#include "crl/error.h"
#include "crl/rng.h"
#include "crl/vec_env.h"

#define RECENT 100 /* episodes averaged for the recent return (as SB3) */

struct crl_vec_env {
  int n, obs_dim, act_dim;
  crl_env **envs;      /* [n] */
  crl_real *obs;       /* [n, obs_dim] current observation */
  crl_real *final_obs; /* [n, obs_dim] last obs of an episode that just ended */
  double *rewards;     /* [n] */
  int *terminated;     /* [n] */
  int *truncated;      /* [n] */
  double *ep_return;   /* [n] running return of the current episode */
  int *ep_length;      /* [n] */
  void *block;         /* envs and the arrays above */
  double recent_return[RECENT];
  double recent_length[RECENT];
  long episodes;
  long steps;
  crl_vec_env_episode_fn on_episode; /* NULL: no hook */
  void *on_episode_ctx;
  /* Shared among processes (crl_vec_env_share): this one steps copies
   * [lo, hi); records holds one outcome record per copy. */
  const crl_group *group; /* NULL: not shared */
  int lo, hi;
  unsigned char *records; /* [n, record_bytes] */
  size_t record_bytes;
};

int crl_vec_env_alloc(const crl_env_type *type, int n, uint64_t seed,
                      crl_vec_env **out) {
  *out = NULL;
  if (n < 1)
    return crl_fail(CRL_EINVAL, "vec env: need at least one copy (got %d)", n);
  crl_vec_env *v = calloc(1, sizeof *v);
  if (v == NULL)
    return crl_fail(CRL_ENOMEM, "vec env: out of memory");
  v->n = n;
  /* obs_dim and act_dim from a first copy, so that the table can size the
   * arrays; it becomes copy 0. */
  crl_env *first = NULL;
  int rc = crl_env_alloc(type, &first);
  if (rc) {
    free(v);
    return rc;
  }
  v->obs_dim = crl_env_obs_space(first)->dim;
  v->act_dim = crl_env_act_space(first)->dim;
  const size_t N = (size_t)n, no = N * (size_t)v->obs_dim;
  const crl__buf bufs[] = {
      {(void **)&v->envs, CRL__BUF_PTR, N},         /* [n] */
      {(void **)&v->obs, CRL__BUF_REAL, no},        /* [n, obs_dim] */
      {(void **)&v->final_obs, CRL__BUF_REAL, no},  /* [n, obs_dim] */
      {(void **)&v->rewards, CRL__BUF_DOUBLE, N},   /* [n] */
      {(void **)&v->terminated, CRL__BUF_INT, N},   /* [n] */
      {(void **)&v->truncated, CRL__BUF_INT, N},    /* [n] */
      {(void **)&v->ep_return, CRL__BUF_DOUBLE, N}, /* [n] */
      {(void **)&v->ep_length, CRL__BUF_INT, N},    /* [n] */
  };
  rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &v->block, "vec env");
  if (rc) {
    crl_env_free(first);
    free(v);
    return rc;
  }
  v->envs[0] = first;
  for (int i = 0; i < n; i++) {
    if (i > 0 && (rc = crl_env_alloc(type, &v->envs[i])) != 0) {
      crl_vec_env_free(v);
      return rc;
    }
    /* Copies get their own id space under the ENV stream, so that no copy
     * index can coincide with another stream of the same run seed. */
    crl_env_seed(
        v->envs[i],
        crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_ENV), (uint64_t)i));
  }
  *out = v;
  return 0;
}

int crl_vec_env_make(const char *name, int n, uint64_t seed,
                     crl_vec_env **out) {
  *out = NULL;
  crl_env *probe = NULL;
  int rc = crl_env_make(name, &probe); /* for the error message on a typo */
  if (rc)
    return rc;
  const crl_env_type *type = crl_env_get_type(probe);
  crl_env_free(probe);
  return crl_vec_env_alloc(type, n, seed, out);
}

void crl_vec_env_free(crl_vec_env *v) {
  if (v != NULL)
    free(v->records);
  if (v == NULL)
    return;
  if (v->envs)
    for (int i = 0; i < v->n; i++)
      crl_env_free(v->envs[i]);
  free(v->block);
  free(v);
}

int crl_vec_env_n(const crl_vec_env *v) {
  return v->n;
}
const crl_space *crl_vec_env_obs_space(const crl_vec_env *v) {
  return crl_env_obs_space(v->envs[0]);
}
const crl_space *crl_vec_env_act_space(const crl_vec_env *v) {
  return crl_env_act_space(v->envs[0]);
}
crl_env *crl_vec_env_get(crl_vec_env *v, int i) {
  return i >= 0 && i < v->n ? v->envs[i] : NULL;
}

/* What an env hands to training is checked where it enters: a NaN would
 * otherwise pass silently through ReLU networks (ReLU maps it to 0). The
 * env itself may return them, as Gymnasium's do for a non-finite action. */
static int check_finite(const crl_vec_env *v, int i, const char *what,
                        double reward) {
  const crl_real *obs = v->obs + (size_t)i * v->obs_dim;
  const char *name = crl_env_get_type(v->envs[i])->name;
  for (int j = 0; j < v->obs_dim; j++)
    if (!isfinite((double)obs[j]))
      return crl_fail(CRL_ENONFINITE,
                      "env '%s' (copy %d) returned a non-finite observation "
                      "from %s at vec-env step %ld (obs[%d] = %g)",
                      name, i, what, v->steps, j, (double)obs[j]);
  if (!isfinite(reward))
    return crl_fail(CRL_ENONFINITE,
                    "env '%s' (copy %d) returned a non-finite reward at "
                    "vec-env step %ld (%g)",
                    name, i, v->steps, reward);
  return 0;
}

/* ---- copies shared among processes -------------------------------------- */

/* One copy's outcome as a record: reward, terminated, truncated, obs,
 * final_obs (memcpy'd: the record is bytes on the wire). */
static void pack(const crl_vec_env *v, int i) {
  const size_t D = (size_t)v->obs_dim, row = D * sizeof(crl_real);
  unsigned char *r = v->records + (size_t)i * v->record_bytes;
  memcpy(r, &v->rewards[i], sizeof(double));
  memcpy(r + 8, &v->terminated[i], sizeof(int));
  memcpy(r + 12, &v->truncated[i], sizeof(int));
  memcpy(r + 16, v->obs + (size_t)i * D, row);
  memcpy(r + 16 + row, v->final_obs + (size_t)i * D, row);
}

static void unpack(crl_vec_env *v, int i) {
  const size_t D = (size_t)v->obs_dim, row = D * sizeof(crl_real);
  const unsigned char *r = v->records + (size_t)i * v->record_bytes;
  memcpy(&v->rewards[i], r, sizeof(double));
  memcpy(&v->terminated[i], r + 8, sizeof(int));
  memcpy(&v->truncated[i], r + 12, sizeof(int));
  memcpy(v->obs + (size_t)i * D, r + 16, row);
  memcpy(v->final_obs + (size_t)i * D, r + 16 + row, row);
}

int crl_vec_env_share(crl_vec_env *v, const crl_group *g) {
  if (g == NULL || g->size <= 1) {
    v->group = NULL;
    v->lo = 0;
    v->hi = v->n;
    return 0;
  }
  if (g->rank < 0 || g->rank >= g->size || v->n % g->size != 0)
    return crl_fail(CRL_EINVAL,
                    "vec env: %d copies cannot be shared equally by %d "
                    "processes (rank %d)",
                    v->n, g->size, g->rank);
  size_t bytes = 16 + 2 * (size_t)v->obs_dim * sizeof(crl_real);
  unsigned char *rec = calloc((size_t)v->n, bytes);
  if (rec == NULL)
    return crl_fail(CRL_ENOMEM, "vec env: out of memory");
  free(v->records);
  v->records = rec;
  v->record_bytes = bytes;
  v->group = g;
  v->lo = g->rank * (v->n / g->size);
  v->hi = v->lo + v->n / g->size;
  return 0;
}

/* Every block's outcome from the process that stepped it. */
static int exchange(crl_vec_env *v) {
  for (int i = v->lo; i < v->hi; i++)
    pack(v, i);
  const size_t block = (size_t)(v->hi - v->lo) * v->record_bytes;
  if (v->group->gather(v->group->ctx, v->records, block) != 0)
    return crl_fail(CRL_EIO,
                    "vec env: process %d could not exchange the copies' "
                    "outcomes with the others",
                    v->group->rank);
  for (int i = 0; i < v->n; i++)
    if (i < v->lo || i >= v->hi)
      unpack(v, i);
  return 0;
}

int crl_vec_env_reset(crl_vec_env *v) {
  if (v->group != NULL) {
    for (int i = v->lo; i < v->hi; i++) {
      int rc = crl_env_reset(v->envs[i], v->obs + (size_t)i * v->obs_dim);
      rc = rc ? rc : check_finite(v, i, "reset", 0.0);
      if (rc)
        return rc;
      v->terminated[i] = v->truncated[i] = 0;
      v->rewards[i] = 0.0;
    }
    int rc = exchange(v);
    if (rc)
      return rc;
    for (int i = 0; i < v->n; i++) {
      v->ep_return[i] = 0.0;
      v->ep_length[i] = 0;
    }
    return 0;
  }
  for (int i = 0; i < v->n; i++) {
    int rc = crl_env_reset(v->envs[i], v->obs + (size_t)i * v->obs_dim);
    rc = rc ? rc : check_finite(v, i, "reset", 0.0);
    if (rc)
      return rc;
    v->ep_return[i] = 0.0;
    v->ep_length[i] = 0;
    v->terminated[i] = v->truncated[i] = 0;
    v->rewards[i] = 0.0;
  }
  return 0;
}

static void record_episode(crl_vec_env *v, int i) {
  if (v->on_episode)
    v->on_episode(v->on_episode_ctx, i, v->ep_return[i], v->ep_length[i]);
  int slot = (int)(v->episodes % RECENT);
  v->recent_return[slot] = v->ep_return[i];
  v->recent_length[slot] = v->ep_length[i];
  v->episodes++;
  v->ep_return[i] = 0.0;
  v->ep_length[i] = 0;
}

/* Step copy i with its action. */
static int step_copy(crl_vec_env *v, int i, const crl_real *actions) {
  crl_real *obs = v->obs + (size_t)i * v->obs_dim;
  int rc = crl_env_step(v->envs[i], actions + (size_t)i * v->act_dim, obs,
                        &v->rewards[i], &v->terminated[i], &v->truncated[i]);
  return rc ? rc : check_finite(v, i, "step", v->rewards[i]);
}

/* Copy i's episode ended: keep its final observation, start the next. */
static int restart_copy(crl_vec_env *v, int i) {
  const size_t D = (size_t)v->obs_dim;
  crl_real *obs = v->obs + (size_t)i * D;
  memcpy(v->final_obs + (size_t)i * D, obs, D * sizeof *obs);
  int rc = crl_env_reset(v->envs[i], obs);
  return rc ? rc : check_finite(v, i, "reset", 0.0);
}

static int ended(const crl_vec_env *v, int i) {
  return v->terminated[i] || v->truncated[i];
}

/* Copies [lo, hi) stepped, and restarted where their episode ended. */
static int step_block(crl_vec_env *v, int lo, int hi, const crl_real *actions) {
  for (int i = lo; i < hi; i++) {
    int rc = step_copy(v, i, actions);
    if (rc == 0 && ended(v, i))
      rc = restart_copy(v, i);
    if (rc)
      return rc;
  }
  return 0;
}

/* The episodes' bookkeeping of a step of every copy, in copy order: what
 * the serial step below does copy by copy (a restart touches neither the
 * return nor the length). */
static void account_step(crl_vec_env *v) {
  for (int i = 0; i < v->n; i++) {
    v->ep_return[i] += v->rewards[i];
    v->ep_length[i]++;
    if (ended(v, i))
      record_episode(v, i);
  }
  v->steps += v->n;
}

/* The shared step: this process's block of copies, then the outcomes of
 * all, then the bookkeeping. */
static int step_shared(crl_vec_env *v, const crl_real *actions) {
  int rc = step_block(v, v->lo, v->hi, actions);
  if (rc == 0)
    rc = exchange(v);
  if (rc == 0)
    account_step(v);
  return rc;
}

/* CRL_ENV_PARALLEL_STEP: block t of the copies is task t on the calling
 * thread's pool, then the bookkeeping. Each copy's step is what it is
 * alone, so the results do not depend on the number of threads. */
typedef struct parallel_step {
  crl_vec_env *v;
  const crl_real *actions;
  int parts;
} parallel_step;

static int parallel_block(void *ctx, int t) {
  const parallel_step *p = ctx;
  size_t lo, hi;
  crl__pool_split((size_t)p->v->n, p->parts, t, 1, &lo, &hi);
  return step_block(p->v, (int)lo, (int)hi, p->actions);
}

static int step_parallel(crl_vec_env *v, const crl_real *actions, int parts) {
  parallel_step p = {v, actions, parts};
  int rc = crl__pool_each(parts, parallel_block, &p);
  if (rc == 0)
    account_step(v);
  return rc;
}

/* How many blocks a step runs in: one but for a type that declares its
 * steps worth it, with helpers to run them. */
static int step_parts(const crl_vec_env *v) {
  if (!(crl_env_get_type(v->envs[0])->flags & CRL_ENV_PARALLEL_STEP))
    return 1;
  const int threads = crl__pool_threads(crl__pool_current());
  return threads < v->n ? threads : v->n;
}

int crl__vec_env_steps_on_threads(const crl_vec_env *v) {
  return v->group == NULL && step_parts(v) > 1;
}

int crl_vec_env_step(crl_vec_env *v, const crl_real *actions) {
  if (v->group != NULL)
    return step_shared(v, actions);
  const int parts = step_parts(v);
  if (parts > 1)
    return step_parallel(v, actions, parts);
  for (int i = 0; i < v->n; i++) {
    int rc = step_copy(v, i, actions);
    if (rc)
      return rc;
    v->ep_return[i] += v->rewards[i];
    v->ep_length[i]++;
    if (ended(v, i)) {
      record_episode(v, i);
      if ((rc = restart_copy(v, i)) != 0)
        return rc;
    }
  }
  v->steps += v->n;
  return 0;
}

const crl_real *crl_vec_env_obs(const crl_vec_env *v) {
  return v->obs;
}
const crl_real *crl_vec_env_final_obs(const crl_vec_env *v) {
  return v->final_obs;
}
const double *crl_vec_env_rewards(const crl_vec_env *v) {
  return v->rewards;
}
const int *crl_vec_env_terminated(const crl_vec_env *v) {
  return v->terminated;
}
const int *crl_vec_env_truncated(const crl_vec_env *v) {
  return v->truncated;
}
void crl_vec_env_on_episode(crl_vec_env *v, crl_vec_env_episode_fn fn,
                            void *ctx) {
  v->on_episode = fn;
  v->on_episode_ctx = ctx;
}

long crl_vec_env_episodes(const crl_vec_env *v) {
  return v->episodes;
}
long crl_vec_env_steps(const crl_vec_env *v) {
  return v->steps;
}

/* Mean of the filled part of a ring of the last RECENT episodes. */
static double recent_mean(const crl_vec_env *v, const double *ring) {
  long k = v->episodes < RECENT ? v->episodes : RECENT;
  if (k == 0)
    return NAN;
  double s = 0.0;
  for (long j = 0; j < k; j++)
    s += ring[j];
  return s / (double)k;
}

double crl_vec_env_recent_return(const crl_vec_env *v) {
  return recent_mean(v, v->recent_return);
}

double crl_vec_env_recent_length(const crl_vec_env *v) {
  return recent_mean(v, v->recent_length);
}

double crl_vec_env_last_returns(const crl_vec_env *v, long k) {
  if (k > v->episodes)
    k = v->episodes;
  if (k > RECENT)
    k = RECENT;
  if (k < 1)
    return NAN;
  double s = 0.0;
  for (long j = 1; j <= k; j++) /* the newest is in slot (episodes - 1) */
    s += v->recent_return[(v->episodes - j) % RECENT];
  return s / (double)k;
}

/* ---- checkpoints --------------------------------------------------------- */

int crl__vec_env_sections(void *obj, crl_state_io *io) {
  crl_vec_env *v = obj;
  const size_t N = (size_t)v->n, no = N * (size_t)v->obs_dim;
  const crl_state_item items[] = {
      CRL_STATE(STRING, "env", crl_env_get_type(v->envs[0])->name, 0,
                CRL_STATE_MATCH),
      CRL_STATE(INT, "n", &v->n, 1, CRL_STATE_MATCH),
      CRL_STATE(REAL, "obs", v->obs, no, 0),
      CRL_STATE(REAL, "final_obs", v->final_obs, no, 0),
      CRL_STATE(F64, "ep_return", v->ep_return, N, 0),
      CRL_STATE(INT, "ep_length", v->ep_length, N, CRL_STATE_NONNEG),
      CRL_STATE(INT, "terminated", v->terminated, N, CRL_STATE_BOOL),
      CRL_STATE(INT, "truncated", v->truncated, N, CRL_STATE_BOOL),
      CRL_STATE(F64, "rewards", v->rewards, N, 0),
      CRL_STATE(F64, "recent_return", v->recent_return, RECENT, 0),
      CRL_STATE(F64, "recent_length", v->recent_length, RECENT, 0),
      CRL_STATE(LONG, "episodes", &v->episodes, 1, CRL_STATE_NONNEG),
      CRL_STATE(LONG, "steps", &v->steps, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJS("env", crl__env_sections, v->envs, N),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}
