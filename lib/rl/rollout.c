/* On-policy rollout storage and GAE(lambda). */
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/rollout.h"

int crl_rollout_alloc(int n_steps, int n_envs, int obs_dim, int act_dim,
                      crl_rollout **out) {
  *out = NULL;
  if (n_steps < 1 || n_envs < 1 || obs_dim < 1 || act_dim < 1)
    return crl_fail(CRL_EINVAL,
                    "rollout: n_steps, n_envs, obs_dim and act_dim must be "
                    ">= 1 (got %d, %d, %d, %d)",
                    n_steps, n_envs, obs_dim, act_dim);
  size_t tn, tno, tna;
  if (__builtin_mul_overflow((size_t)n_steps, (size_t)n_envs, &tn) ||
      __builtin_mul_overflow(tn, (size_t)obs_dim, &tno) ||
      __builtin_mul_overflow(tn, (size_t)act_dim, &tna) ||
      tno > ((size_t)1 << 40) / sizeof(crl_real))
    return crl_fail(CRL_ENOMEM, "rollout: %d steps x %d envs is too large",
                    n_steps, n_envs);
  crl_rollout *r = calloc(1, sizeof *r);
  if (r == NULL)
    return crl_fail(CRL_ENOMEM, "rollout: out of memory");
  r->n_steps = n_steps;
  r->n_envs = n_envs;
  r->obs_dim = obs_dim;
  r->act_dim = act_dim;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&r->obs,        CRL__BUF_REAL,   tno}, /* [T, N, obs_dim] */
    {(void **)&r->actions,    CRL__BUF_REAL,   tna}, /* [T, N, act_dim] */
    {(void **)&r->log_probs,  CRL__BUF_REAL,   tn},  /* [T, N] */
    {(void **)&r->values,     CRL__BUF_REAL,   tn},  /* [T, N] */
    {(void **)&r->rewards,    CRL__BUF_DOUBLE, tn},  /* [T, N] */
    {(void **)&r->dones,      CRL__BUF_U8,     tn},  /* [T, N] */
    {(void **)&r->advantages, CRL__BUF_REAL,   tn},  /* [T, N] */
    {(void **)&r->returns,    CRL__BUF_REAL,   tn},  /* [T, N] */
  };
  /* clang-format on */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &r->block, "rollout");
  if (rc) {
    free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void crl_rollout_free(crl_rollout *r) {
  if (r == NULL)
    return;
  free(r->block);
  free(r);
}

void crl_rollout_clear(crl_rollout *r) {
  r->pos = 0;
}

int crl_rollout_add(crl_rollout *r, const crl_real *obs,
                    const crl_real *actions, const crl_real *log_probs,
                    const crl_real *values, const double *rewards,
                    const int *terminated, const int *truncated,
                    const crl_real *final_values, double gamma) {
  if (r->pos >= r->n_steps)
    return crl_fail(CRL_ESHAPE, "rollout: full (%d steps)", r->n_steps);
  const int N = r->n_envs;
  size_t row = (size_t)r->pos * (size_t)N;
  memcpy(r->obs + row * r->obs_dim, obs, (size_t)N * r->obs_dim * sizeof *obs);
  memcpy(r->actions + row * r->act_dim, actions,
         (size_t)N * r->act_dim * sizeof *actions);
  memcpy(r->log_probs + row, log_probs, (size_t)N * sizeof *log_probs);
  if (values != NULL)
    memcpy(r->values + row, values, (size_t)N * sizeof *values);
  for (int i = 0; i < N; i++) {
    double rew = rewards[i];
    int time_limit_end = truncated[i] && !terminated[i];
    if (time_limit_end) {
      if (final_values == NULL)
        return crl_fail(CRL_EINVAL,
                        "rollout: copy %d was truncated but no final values "
                        "were given to bootstrap from",
                        i);
      /* The episode did not really end: fold the value of the state it was
       * cut off in into the last reward, then treat it as ended. */
      rew += gamma * (double)final_values[i];
    }
    r->rewards[row + i] = rew;
    r->dones[row + i] = (unsigned char)(terminated[i] || truncated[i]);
  }
  r->pos++;
  return 0;
}

int crl_rollout_compute_gae(crl_rollout *r, const crl_real *last_values,
                            double gamma, double lambda) {
  if (r->pos != r->n_steps)
    return crl_fail(CRL_ESTATE, "rollout: GAE needs a full buffer (%d of %d)",
                    r->pos, r->n_steps);
  const int N = r->n_envs, T = r->n_steps;
  for (int i = 0; i < N; i++) {
    double gae = 0.0;
    double next_value = (double)last_values[i];
    for (int t = T - 1; t >= 0; t--) {
      size_t k = (size_t)t * N + i;
      double live = r->dones[k] ? 0.0 : 1.0;
      double delta =
          r->rewards[k] + gamma * next_value * live - (double)r->values[k];
      gae = delta + gamma * lambda * live * gae;
      r->advantages[k] = (crl_real)gae;
      r->returns[k] = (crl_real)(gae + (double)r->values[k]);
      next_value = (double)r->values[k];
    }
  }
  return 0;
}
