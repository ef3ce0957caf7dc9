/* N copies of one environment, stepped in lockstep with auto-reset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"
#include "crl/rng.h"
#include "crl/vec_env.h"
#include "io/state_io.h"

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
  double recent_return[RECENT];
  double recent_length[RECENT];
  long episodes;
  long steps;
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
  v->envs = calloc((size_t)n, sizeof *v->envs);
  if (v->envs == NULL) {
    free(v);
    return crl_fail(CRL_ENOMEM, "vec env: out of memory");
  }
  for (int i = 0; i < n; i++) {
    int rc = crl_env_alloc(type, &v->envs[i]);
    if (rc) {
      crl_vec_env_free(v);
      return rc;
    }
    /* Copies get their own id space under the ENV stream, so that no copy
     * index can coincide with another stream of the same run seed. */
    crl_env_seed(
        v->envs[i],
        crl_seed_derive(crl_seed_derive(seed, CRL_STREAM_ENV), (uint64_t)i));
  }
  v->obs_dim = crl_env_obs_space(v->envs[0])->dim;
  v->act_dim = crl_env_act_space(v->envs[0])->dim;
  size_t no = (size_t)n * (size_t)v->obs_dim;
  v->obs = calloc(no, sizeof *v->obs);
  v->final_obs = calloc(no, sizeof *v->final_obs);
  v->rewards = calloc((size_t)n, sizeof *v->rewards);
  v->terminated = calloc((size_t)n, sizeof *v->terminated);
  v->truncated = calloc((size_t)n, sizeof *v->truncated);
  v->ep_return = calloc((size_t)n, sizeof *v->ep_return);
  v->ep_length = calloc((size_t)n, sizeof *v->ep_length);
  if (!v->obs || !v->final_obs || !v->rewards || !v->terminated ||
      !v->truncated || !v->ep_return || !v->ep_length) {
    crl_vec_env_free(v);
    return crl_fail(CRL_ENOMEM, "vec env: out of memory");
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
  if (v == NULL)
    return;
  if (v->envs)
    for (int i = 0; i < v->n; i++)
      crl_env_free(v->envs[i]);
  free(v->envs);
  free(v->obs);
  free(v->final_obs);
  free(v->rewards);
  free(v->terminated);
  free(v->truncated);
  free(v->ep_return);
  free(v->ep_length);
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

int crl_vec_env_reset(crl_vec_env *v) {
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
  int slot = (int)(v->episodes % RECENT);
  v->recent_return[slot] = v->ep_return[i];
  v->recent_length[slot] = v->ep_length[i];
  v->episodes++;
  v->ep_return[i] = 0.0;
  v->ep_length[i] = 0;
}

int crl_vec_env_step(crl_vec_env *v, const crl_real *actions) {
  const int D = v->obs_dim;
  for (int i = 0; i < v->n; i++) {
    crl_real *obs = v->obs + (size_t)i * D;
    int rc = crl_env_step(v->envs[i], actions + (size_t)i * v->act_dim, obs,
                          &v->rewards[i], &v->terminated[i], &v->truncated[i]);
    rc = rc ? rc : check_finite(v, i, "step", v->rewards[i]);
    if (rc)
      return rc;
    v->ep_return[i] += v->rewards[i];
    v->ep_length[i]++;
    if (v->terminated[i] || v->truncated[i]) {
      memcpy(v->final_obs + (size_t)i * D, obs, (size_t)D * sizeof *obs);
      record_episode(v, i);
      rc = crl_env_reset(v->envs[i], obs);
      rc = rc ? rc : check_finite(v, i, "reset", 0.0);
      if (rc)
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

static const char *vkey(char *buf, size_t n, const char *prefix,
                        const char *field) {
  snprintf(buf, n, "%s.%s", prefix, field);
  return buf;
}

int crl__vec_env_save(const crl_vec_env *v, crl_ckpt_writer *w,
                      const char *prefix) {
  char k[256];
  const size_t no = (size_t)v->n * v->obs_dim;
  int rc = crl__ckpt_put_i64(w, vkey(k, sizeof k, prefix, "n"), v->n);
  rc = rc ? rc
          : crl__ckpt_put_string(w, vkey(k, sizeof k, prefix, "env"),
                                 crl_env_get_type(v->envs[0])->name);
  rc = rc ? rc
          : crl__ckpt_put_real(w, vkey(k, sizeof k, prefix, "obs"), no, v->obs);
  rc = rc ? rc
          : crl__ckpt_put_real(w, vkey(k, sizeof k, prefix, "final_obs"), no,
                               v->final_obs);
  rc = rc ? rc
          : crl__ckpt_put(w, vkey(k, sizeof k, prefix, "ep_return"),
                          CRL_CKPT_F64, (uint64_t)v->n, v->ep_return);
  int64_t *ints = malloc((size_t)v->n * 3 * sizeof *ints);
  if (ints == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  for (int i = 0; i < v->n; i++) {
    ints[i] = v->ep_length[i];
    ints[v->n + i] = v->terminated[i];
    ints[2 * v->n + i] = v->truncated[i];
  }
  rc = rc ? rc
          : crl__ckpt_put(w, vkey(k, sizeof k, prefix, "ints"), CRL_CKPT_I64,
                          3 * (uint64_t)v->n, ints);
  free(ints);
  rc = rc ? rc
          : crl__ckpt_put(w, vkey(k, sizeof k, prefix, "rewards"), CRL_CKPT_F64,
                          (uint64_t)v->n, v->rewards);
  rc = rc ? rc
          : crl__ckpt_put(w, vkey(k, sizeof k, prefix, "recent_return"),
                          CRL_CKPT_F64, RECENT, v->recent_return);
  rc = rc ? rc
          : crl__ckpt_put(w, vkey(k, sizeof k, prefix, "recent_length"),
                          CRL_CKPT_F64, RECENT, v->recent_length);
  rc = rc ? rc
          : crl__ckpt_put_i64(w, vkey(k, sizeof k, prefix, "episodes"),
                              v->episodes);
  rc = rc ? rc
          : crl__ckpt_put_i64(w, vkey(k, sizeof k, prefix, "steps"), v->steps);
  for (int i = 0; rc == 0 && i < v->n; i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s.env%d", prefix, i);
    rc = crl__env_save(v->envs[i], w, sub);
  }
  return rc;
}

int crl__vec_env_load(crl_vec_env *v, const crl_ckpt_reader *r,
                      const char *prefix) {
  char k[256];
  int64_t n = 0, episodes = 0, steps = 0;
  const size_t no = (size_t)v->n * v->obs_dim;
  char name[128];
  const char *want = crl_env_get_type(v->envs[0])->name;
  int rc = crl__ckpt_get_string(r, vkey(k, sizeof k, prefix, "env"), name,
                                sizeof name);
  if (rc == 0 && strcmp(name, want) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: holds env '%s', not '%s'", name,
                    want);
  rc = rc ? rc : crl__ckpt_get_i64(r, vkey(k, sizeof k, prefix, "n"), &n);
  if (rc == 0 && n != v->n)
    return crl_fail(CRL_EFORMAT, "checkpoint: %lld env copies, expected %d",
                    (long long)n, v->n);
  int64_t *ints = malloc((size_t)v->n * 3 * sizeof *ints);
  if (ints == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  rc = rc ? rc
          : crl__ckpt_get_real(r, vkey(k, sizeof k, prefix, "obs"), no, v->obs);
  rc = rc ? rc
          : crl__ckpt_get_real(r, vkey(k, sizeof k, prefix, "final_obs"), no,
                               v->final_obs);
  rc = rc ? rc
          : crl__ckpt_get_f64_array(r, vkey(k, sizeof k, prefix, "ep_return"),
                                    (uint64_t)v->n, v->ep_return);
  rc = rc ? rc
          : crl__ckpt_get_i64_array(r, vkey(k, sizeof k, prefix, "ints"),
                                    3 * (uint64_t)v->n, ints);
  rc = rc ? rc
          : crl__ckpt_get_f64_array(r, vkey(k, sizeof k, prefix, "rewards"),
                                    (uint64_t)v->n, v->rewards);
  rc = rc ? rc
          : crl__ckpt_get_f64_array(r,
                                    vkey(k, sizeof k, prefix, "recent_return"),
                                    RECENT, v->recent_return);
  rc = rc ? rc
          : crl__ckpt_get_f64_array(r,
                                    vkey(k, sizeof k, prefix, "recent_length"),
                                    RECENT, v->recent_length);
  rc = rc ? rc
          : crl__ckpt_get_i64(r, vkey(k, sizeof k, prefix, "episodes"),
                              &episodes);
  rc = rc ? rc
          : crl__ckpt_get_i64(r, vkey(k, sizeof k, prefix, "steps"), &steps);
  if (rc == 0 && (episodes < 0 || steps < 0))
    rc = crl_fail(CRL_EFORMAT, "checkpoint: negative episode or step count");
  for (int i = 0; rc == 0 && i < v->n; i++)
    if (ints[i] < 0 || ints[i] > 2147483647)
      rc = crl_fail(CRL_EFORMAT, "checkpoint: bad episode length");
  if (rc == 0) {
    for (int i = 0; i < v->n; i++) {
      v->ep_length[i] = (int)ints[i];
      v->terminated[i] = ints[v->n + i] != 0;
      v->truncated[i] = ints[2 * v->n + i] != 0;
    }
    v->episodes = episodes;
    v->steps = steps;
  }
  free(ints);
  for (int i = 0; rc == 0 && i < v->n; i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s.env%d", prefix, i);
    rc = crl__env_load(v->envs[i], r, sub);
  }
  return rc;
}
