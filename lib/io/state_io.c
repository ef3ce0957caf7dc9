/* Saving and restoring library objects in checkpoints (see state_io.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"
#include "io/state_io.h"

/* prefix + "." + field, in a caller buffer. */
static const char *key(char *buf, size_t n, const char *prefix,
                       const char *field) {
  snprintf(buf, n, "%s.%s", prefix, field);
  return buf;
}
#define KEY(field) key(k, sizeof k, prefix, field)

int crl__rng_save(const gsl_rng *rng, crl_ckpt_writer *w, const char *name) {
  char k[256];
  const char *prefix = name;
  int rc = crl__ckpt_put_string(w, KEY("type"), gsl_rng_name(rng));
  return rc ? rc
            : crl__ckpt_put(w, KEY("state"), CRL_CKPT_U8, gsl_rng_size(rng),
                            gsl_rng_state(rng));
}

int crl__rng_load(gsl_rng *rng, const crl_ckpt_reader *r, const char *name) {
  char k[256], type[64];
  const char *prefix = name;
  int rc = crl__ckpt_get_string(r, KEY("type"), type, sizeof type);
  if (rc)
    return rc;
  if (strcmp(type, gsl_rng_name(rng)) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: %s is a '%s' generator, not '%s'",
                    name, type, gsl_rng_name(rng));
  /* The library only makes MT19937 generators; their state holds an index
   * that must be checked before the generator may run on it. */
  if (strcmp(type, "mt19937") != 0)
    return crl_fail(CRL_EUNSUPPORTED,
                    "checkpoint: cannot restore a '%s' "
                    "generator",
                    type);
  size_t size = gsl_rng_size(rng);
  if (size < 624 * sizeof(unsigned long) + sizeof(int))
    return crl_fail(CRL_EUNSUPPORTED, "checkpoint: unexpected MT19937 layout");
  unsigned char *tmp = malloc(size);
  if (tmp == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  rc = crl__ckpt_get_bytes(r, KEY("state"), size, tmp);
  if (rc == 0) {
    /* GSL's layout: unsigned long mt[624]; int mti; (mti <= 624). */
    int mti;
    memcpy(&mti, tmp + 624 * sizeof(unsigned long), sizeof mti);
    if (mti < 0 || mti > 624)
      rc = crl_fail(CRL_EFORMAT, "checkpoint: %s holds an invalid state", name);
  }
  if (rc == 0)
    memcpy(gsl_rng_state(rng), tmp, size);
  free(tmp);
  return rc;
}

int crl__env_save(const crl_env *env, crl_ckpt_writer *w, const char *prefix) {
  const crl_env_type *t = crl_env_get_type(env);
  if (t->get_state == NULL || t->set_state == NULL || t->state_dim < 1)
    return crl_fail(CRL_EUNSUPPORTED,
                    "env '%s' cannot be checkpointed: it has no "
                    "get_state/set_state",
                    t->name);
  char k[256];
  double *state = malloc((size_t)t->state_dim * sizeof *state);
  if (state == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  crl_env_get_state(env, state);
  int rc = crl__ckpt_put_string(w, KEY("name"), t->name);
  rc = rc ? rc
          : crl__ckpt_put(w, KEY("state"), CRL_CKPT_F64, (uint64_t)t->state_dim,
                          state);
  rc = rc ? rc
          : crl__ckpt_put_i64(w, KEY("elapsed"), crl_env_elapsed_steps(env));
  rc = rc ? rc : crl__rng_save(crl__env_rng((crl_env *)env), w, KEY("rng"));
  free(state);
  return rc;
}

int crl__env_load(crl_env *env, const crl_ckpt_reader *r, const char *prefix) {
  const crl_env_type *t = crl_env_get_type(env);
  if (t->get_state == NULL || t->set_state == NULL || t->state_dim < 1)
    return crl_fail(CRL_EUNSUPPORTED, "env '%s' cannot be restored", t->name);
  char k[256], name[128];
  int rc = crl__ckpt_get_string(r, KEY("name"), name, sizeof name);
  if (rc == 0 && strcmp(name, t->name) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: holds env '%s', not '%s'", name,
                    t->name);
  double *state = malloc((size_t)t->state_dim * sizeof *state);
  if (state == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  int64_t elapsed = 0;
  rc = rc ? rc
          : crl__ckpt_get_f64_array(r, KEY("state"), (uint64_t)t->state_dim,
                                    state);
  rc = rc ? rc : crl__ckpt_get_i64(r, KEY("elapsed"), &elapsed);
  rc = rc ? rc : crl__rng_load(crl__env_rng(env), r, KEY("rng"));
  if (rc == 0 && (elapsed < 0 || elapsed > 2147483647))
    rc = crl_fail(CRL_EFORMAT, "checkpoint: bad step counter");
  for (int i = 0; rc == 0 && i < t->state_dim; i++)
    if (isnan(state[i]))
      rc = crl_fail(CRL_EFORMAT, "checkpoint: env state is NaN");
  if (rc == 0) {
    crl_env_set_state(env, state);
    crl__env_set_elapsed_steps(env, (int)elapsed);
  }
  free(state);
  return rc;
}

int crl__adam_save(crl_adam *adam, size_t n, crl_ckpt_writer *w,
                   const char *prefix) {
  char k[256];
  int rc = crl__ckpt_put_i64(w, KEY("t"), crl_adam_steps(adam));
  rc = rc ? rc : crl__ckpt_put_real(w, KEY("m"), n, crl_adam_m(adam));
  return rc ? rc : crl__ckpt_put_real(w, KEY("v"), n, crl_adam_v(adam));
}

int crl__adam_load(crl_adam *adam, size_t n, const crl_ckpt_reader *r,
                   const char *prefix) {
  char k[256];
  int64_t t = 0;
  crl_real *m = malloc(2 * (n ? n : 1) * sizeof *m);
  if (m == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  crl_real *v = m + n;
  int rc = crl__ckpt_get_i64(r, KEY("t"), &t);
  rc = rc ? rc : crl__ckpt_get_real(r, KEY("m"), n, m);
  rc = rc ? rc : crl__ckpt_get_real(r, KEY("v"), n, v);
  if (rc == 0 && t < 0)
    rc = crl_fail(CRL_EFORMAT, "checkpoint: negative Adam step count");
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (!isfinite((double)m[i]) || !((double)v[i] >= 0.0) ||
        !isfinite((double)v[i]))
      rc = crl_fail(CRL_EFORMAT, "checkpoint: Adam moments are not finite");
  if (rc == 0) {
    memcpy(crl_adam_m(adam), m, n * sizeof *m);
    memcpy(crl_adam_v(adam), v, n * sizeof *v);
    crl_adam_set_steps(adam, (long)t);
  }
  free(m);
  return rc;
}

int crl__normalizer_save(const crl_normalizer *n, crl_ckpt_writer *w,
                         const char *prefix) {
  char k[256];
  int rc =
      crl__ckpt_put(w, KEY("mean"), CRL_CKPT_F64, (uint64_t)n->dim, n->mean);
  rc =
      rc ? rc
         : crl__ckpt_put(w, KEY("var"), CRL_CKPT_F64, (uint64_t)n->dim, n->var);
  return rc ? rc : crl__ckpt_put_f64(w, KEY("count"), n->count);
}

int crl__normalizer_load(crl_normalizer *n, const crl_ckpt_reader *r,
                         const char *prefix) {
  char k[256];
  double *mean = malloc(2 * (size_t)n->dim * sizeof *mean), count = 0;
  if (mean == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  double *var = mean + n->dim;
  int rc = crl__ckpt_get_f64_array(r, KEY("mean"), (uint64_t)n->dim, mean);
  rc = rc ? rc : crl__ckpt_get_f64_array(r, KEY("var"), (uint64_t)n->dim, var);
  rc = rc ? rc : crl__ckpt_get_f64(r, KEY("count"), &count);
  if (rc == 0 && !(count > 0.0 && isfinite(count)))
    rc = crl_fail(CRL_EFORMAT, "checkpoint: normaliser count is invalid");
  for (int j = 0; rc == 0 && j < n->dim; j++)
    if (!isfinite(mean[j]) || !(var[j] >= 0.0) || !isfinite(var[j]))
      rc = crl_fail(CRL_EFORMAT, "checkpoint: normaliser statistics are "
                                 "invalid");
  if (rc == 0) {
    memcpy(n->mean, mean, (size_t)n->dim * sizeof *mean);
    memcpy(n->var, var, (size_t)n->dim * sizeof *var);
    n->count = count;
  }
  free(mean);
  return rc;
}

/* ---- replay buffer ------------------------------------------------------- */

/* The buffer's arrays, each [capacity, width]. */
typedef struct replay_part {
  const char *what;
  crl_real *data;
  int width;
} replay_part;

enum { N_REPLAY_PARTS = 5 };

static void replay_parts(const crl_replay *rb, replay_part *p) {
  p[0] = (replay_part){"obs", rb->obs, rb->obs_dim};
  p[1] = (replay_part){"actions", rb->actions, rb->act_dim};
  p[2] = (replay_part){"rewards", rb->rewards, 1};
  p[3] = (replay_part){"next_obs", rb->next_obs, rb->obs_dim};
  p[4] = (replay_part){"terminated", rb->terminated, 1};
}

int crl__replay_save(const crl_replay *rb, crl_ckpt_writer *w,
                     const char *prefix) {
  char k[128];
  replay_part parts[N_REPLAY_PARTS];
  replay_parts(rb, parts);
  int rc = crl__ckpt_put_i64(w, KEY("size"), rb->size);
  rc = rc ? rc : crl__ckpt_put_i64(w, KEY("pos"), rb->pos);
  for (int i = 0; rc == 0 && i < N_REPLAY_PARTS; i++)
    rc = crl__ckpt_put_real(w, KEY(parts[i].what),
                            (uint64_t)rb->size * (uint64_t)parts[i].width,
                            parts[i].data);
  return rc;
}

int crl__replay_load(crl_replay *rb, const crl_ckpt_reader *r,
                     const char *prefix) {
  char k[128];
  int64_t size = -1, pos = -1;
  int rc = crl__ckpt_get_i64(r, KEY("size"), &size);
  rc = rc ? rc : crl__ckpt_get_i64(r, KEY("pos"), &pos);
  if (rc)
    return rc;
  if (size < 0 || size > rb->capacity || pos < 0 || pos >= rb->capacity ||
      (size < rb->capacity && pos != size))
    return crl_fail(CRL_EFORMAT,
                    "checkpoint: %s: size %lld / position %lld do not fit a "
                    "buffer of %ld rows",
                    prefix, (long long)size, (long long)pos, rb->capacity);
  replay_part parts[N_REPLAY_PARTS];
  replay_parts(rb, parts);
  for (int i = 0; rc == 0 && i < N_REPLAY_PARTS; i++)
    rc = crl__ckpt_get_real_finite(r, KEY(parts[i].what),
                                   (uint64_t)size * (uint64_t)parts[i].width,
                                   parts[i].data);
  for (int64_t i = 0; rc == 0 && i < size; i++)
    if (rb->terminated[i] != 0 && rb->terminated[i] != 1)
      rc = crl_fail(CRL_EFORMAT, "checkpoint: %s.terminated[%lld] is %g",
                    prefix, (long long)i, (double)rb->terminated[i]);
  if (rc == 0) {
    rb->size = (long)size;
    rb->pos = (long)pos;
  }
  return rc;
}
