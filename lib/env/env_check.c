/* crl_env_check: exercise an environment type and report every problem. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"
#include "crl/rng.h"

#define GUARD 4 /* canary values written past obs_dim */
#define CANARY ((crl_real)-12345.678)

typedef struct report {
  char *buf;
  size_t size, used;
  int problems;
  int outside_reported; /* an observation outside the box was noted */
} report;

static void note(report *r, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(report *r, const char *fmt, ...) {
  r->problems++;
  if (r->buf == NULL || r->used + 1 >= r->size)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->buf + r->used, r->size - r->used, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  r->used += (size_t)n;
  if (r->used + 1 < r->size) {
    r->buf[r->used++] = '\n';
    r->buf[r->used] = '\0';
  } else {
    r->used = r->size - 1;
  }
}

static void check_spaces(report *r, const crl_env *env) {
  const crl_space *a = crl_env_act_space(env);
  if (a->kind == CRL_SPACE_BOX)
    for (int j = 0; j < a->dim; j++)
      if (!isfinite(a->low[j]) || !isfinite(a->high[j]))
        note(r,
             "action space: bound %d is not finite ([%g, %g]); random "
             "actions and clipping need finite bounds",
             j, a->low[j], a->high[j]);
}

/* An observation outside its declared Box (reported once per env, at the
 * first element out of bounds: a policy normalising by the bounds, or a
 * user trusting them, would be misled). */
static void check_in_box(report *r, const crl_env *env, const crl_real *obs,
                         const char *what, const char *when) {
  const crl_space *s = crl_env_obs_space(env);
  if (s->kind != CRL_SPACE_BOX || r->outside_reported)
    return;
  for (int j = 0; j < s->dim; j++)
    if ((double)obs[j] < s->low[j] || (double)obs[j] > s->high[j]) {
      note(r,
           "%s %s: observation[%d] = %g is outside the declared box "
           "[%g, %g]",
           what, when, j, (double)obs[j], s->low[j], s->high[j]);
      r->outside_reported = 1;
      return;
    }
}

/* Reset into a buffer with canaries after obs_dim; check size and values. */
static int checked_reset(report *r, crl_env *env, crl_real *obs, int dim,
                         const char *when) {
  for (int j = 0; j < dim + GUARD; j++)
    obs[j] = CANARY;
  int rc = crl_env_reset(env, obs);
  if (rc) {
    note(r, "reset (%s) failed: %s", when, crl_last_error());
    return rc;
  }
  for (int j = 0; j < dim; j++)
    if (!isfinite((double)obs[j]))
      note(r, "reset (%s): observation[%d] is not finite", when, j);
  check_in_box(r, env, obs, "reset", when);
  for (int j = dim; j < dim + GUARD; j++)
    if (obs[j] != CANARY) {
      note(r, "reset (%s): wrote past the %d observation values", when, dim);
      break;
    }
  return 0;
}

static void random_action(const crl_space *a, gsl_rng *rng, crl_real *act) {
  if (a->kind == CRL_SPACE_DISCRETE) {
    act[0] = (crl_real)gsl_rng_uniform_int(rng, (unsigned long)a->n);
    return;
  }
  for (int j = 0; j < a->dim; j++)
    act[j] =
        (crl_real)(a->low[j] + (a->high[j] - a->low[j]) * gsl_rng_uniform(rng));
}

static void check_state_round_trip(report *r, crl_env *env, int dim,
                                   crl_real *obs, crl_real *obs2) {
  const crl_env_type *t = crl_env_get_type(env);
  if (t->get_state == NULL || t->set_state == NULL || t->state_dim < 1)
    return;
  double *state = malloc((size_t)t->state_dim * sizeof *state);
  if (state == NULL)
    return;
  crl_env_observe(env, obs);
  crl_env_get_state(env, state);
  crl_env_set_state(env, state);
  crl_env_observe(env, obs2);
  if (memcmp(obs, obs2, (size_t)dim * sizeof *obs) != 0)
    note(r, "get_state/set_state: the observation changes after restoring "
            "the same state");
  free(state);
}

/* Step with random actions; check values, flags and the time limit. */
static void check_steps(report *r, crl_env *env, int steps, gsl_rng *rng,
                        crl_real *obs, crl_real *act, int dim) {
  const int limit = crl_env_get_type(env)->max_episode_steps;
  int t_in_episode = 0;
  for (int k = 0; k < steps; k++) {
    random_action(crl_env_act_space(env), rng, act);
    for (int j = dim; j < dim + GUARD; j++)
      obs[j] = CANARY;
    double reward = 0;
    int term = -1, trunc = -1;
    int rc = crl_env_step(env, act, obs, &reward, &term, &trunc);
    if (rc) {
      note(r, "step %d: failed on a valid random action: %s", k,
           crl_last_error());
      return;
    }
    t_in_episode++;
    for (int j = 0; j < dim; j++)
      if (!isfinite((double)obs[j])) {
        note(r, "step %d: observation[%d] is not finite", k, j);
        return;
      }
    if (obs[dim] != CANARY)
      note(r, "step %d: wrote past the %d observation values", k, dim);
    char when[32];
    snprintf(when, sizeof when, "%d", k);
    check_in_box(r, env, obs, "step", when);
    if (!isfinite(reward))
      note(r, "step %d: reward is not finite", k);
    if (limit > 0 && (trunc != 0) != (t_in_episode >= limit))
      note(r, "step %d: truncated is %d at episode step %d (limit %d)", k,
           trunc, t_in_episode, limit);
    if (term || trunc) {
      if (checked_reset(r, env, obs, dim, "after an episode"))
        return;
      t_in_episode = 0;
    }
  }
}

int crl_env_check(const crl_env_type *type, int steps, uint64_t seed, char *buf,
                  size_t size) {
  report r = {buf, size, 0, 0, 0};
  if (buf && size)
    buf[0] = '\0';
  crl_env *env = NULL;
  int rc = crl_env_alloc(type, &env);
  if (rc) {
    note(&r, "cannot create the env: %s", crl_last_error());
    return rc;
  }
  const int dim = crl_env_obs_space(env)->dim;
  const int adim = crl_env_act_space(env)->dim;
  crl_real *obs = malloc((size_t)(dim + GUARD) * sizeof *obs);
  crl_real *first = malloc((size_t)(dim + GUARD) * sizeof *first);
  crl_real *act = malloc((size_t)adim * sizeof *act);
  gsl_rng *rng = crl_rng_alloc(seed, 1000);
  if (!obs || !first || !act || !rng) {
    rc = crl_fail(CRL_ENOMEM, "env check: out of memory");
    goto done;
  }
  check_spaces(&r, env);
  crl_env_seed(env, seed);
  if (checked_reset(&r, env, first, dim, "seeded") == 0) {
    crl_env_seed(env, seed);
    if (checked_reset(&r, env, obs, dim, "same seed again") == 0 &&
        memcmp(first, obs, (size_t)dim * sizeof *obs) != 0)
      note(&r, "reset: the same seed gave a different first observation");
    check_state_round_trip(&r, env, dim, obs, first);
    check_steps(&r, env, steps, rng, obs, act, dim);
  }
  rc = r.problems ? crl_fail(CRL_EINVAL, "env '%s': %d problem(s) found",
                             type->name, r.problems)
                  : 0;
done:
  free(obs);
  free(first);
  free(act);
  if (rng)
    gsl_rng_free(rng);
  crl_env_free(env);
  return rc;
}
