/* Fisher-vector products and KL terms of the actor-critic policy (see
 * actor_critic_fvp.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "rl/actor_critic_fvp.h"

static size_t n_log_std(const crl__ac *ac) {
  return ac->discrete ? 0
         : ac->sde    ? (size_t)crl__sde_n_log_std(ac->sde->L, ac->act_dim,
                                                   ac->sde->full_std)
                      : (size_t)ac->act_dim;
}

size_t crl__ac_policy_size(const crl__ac *ac) {
  return crl_mlp_n_params(ac->actor) + n_log_std(ac);
}

/* What the kept pass depends on: the MLP, and with gSDE log_std too. */
static size_t n_point(const crl__ac *ac) {
  return ac->sde ? crl__ac_policy_size(ac) : crl_mlp_n_params(ac->actor);
}

static const crl_real *chunk_phi(const crl__ac_fisher *f, int c) {
  const crl_mlp *net = f->chunk[c];
  return crl_mlp_layer_input(net, crl_mlp_get_spec(net)->n_layers - 1);
}

int crl__ac_fisher_alloc(crl__ac *ac, int max_rows, crl__ac_fisher **out) {
  *out = NULL;
  if (max_rows < 1)
    return crl_fail(CRL_EINVAL, "fisher: max_rows %d, must be >= 1", max_rows);
  crl__ac_fisher *f = calloc(1, sizeof *f);
  if (f == NULL)
    return crl_fail(CRL_ENOMEM, "fisher: out of memory");
  const size_t K = (size_t)ac->n_out;
  const size_t n_at = n_point(ac);
  const size_t SV = ac->sde ? (size_t)max_rows * ac->act_dim : 0;
  const size_t SA = ac->sde ? n_log_std(ac) : 0;
  f->ac = ac;
  f->max_rows = max_rows;
  /* Chunks of the actor's capacity, as its own forward passes take the
   * batch. (Smaller chunks, whose activations would stay in L2 from the
   * tangent to the backward pass, measured no faster at 2048 x 64 x 64.) */
  f->rows = ac->max_batch;
  f->n_chunks = (max_rows + f->rows - 1) / f->rows;
  const size_t R = (size_t)max_rows, O = (size_t)ac->obs_dim;
  const size_t D = (size_t)ac->act_dim, T = (size_t)f->rows * K;
  /* The table has no pointer type: the chunk array is counted in bytes. */
  const size_t CB = (size_t)f->n_chunks * sizeof *f->chunk;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&f->chunk,    CRL__BUF_U8,   CB},      /* [n_chunks] */
    {(void **)&f->obs_at,   CRL__BUF_REAL, R * O},   /* [max_rows, obs_dim] */
    {(void **)&f->theta_at, CRL__BUF_REAL, n_at},    /* [n_point] */
    {(void **)&f->dist,     CRL__BUF_REAL, R * K},   /* [max_rows, n_out] */
    {(void **)&f->tangent,  CRL__BUF_REAL, T},       /* [rows, n_out] */
    {(void **)&f->inv_var,  CRL__BUF_REAL, 2 * D},   /* [2, act_dim] */
    {(void **)&f->var,      CRL__BUF_DOUBLE, SV},    /* [max_rows, act_dim] */
    {(void **)&f->acc,      CRL__BUF_DOUBLE, SA},    /* [n_log_std] */
  };
  /* clang-format on */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &f->block, "fisher");
  if (rc) {
    free(f);
    return rc;
  }
  crl_mlp_spec spec = *crl_mlp_get_spec(ac->actor);
  for (int c = 0; c < f->n_chunks; c++) {
    const int left = max_rows - c * f->rows;
    spec.max_batch = left < f->rows ? left : f->rows;
    rc = crl_mlp_alloc(&spec, crl_mlp_params(ac->actor),
                       crl_mlp_grads(ac->actor), &f->chunk[c]);
    if (rc) {
      crl__ac_fisher_free(f);
      return rc;
    }
  }
  *out = f;
  return 0;
}

void crl__ac_fisher_free(crl__ac_fisher *f) {
  if (f == NULL)
    return;
  for (int c = 0; f->chunk != NULL && c < f->n_chunks; c++)
    crl_mlp_free(f->chunk[c]);
  free(f->block);
  free(f);
}

/* dout [b, n_out] = M_i t_i / B for each row of the chunk whose outputs
 * are dist [b, n_out] and tangents f->tangent [b, n_out]: the
 * distribution's Fisher matrix (in mean or logit coordinates) times the
 * tangent, with the 1/B of the batch mean folded in. */
static void apply_metric(const crl__ac_fisher *f, const crl_real *dist, int b,
                         crl_real *dout) {
  const crl__ac *ac = f->ac;
  const int K = ac->n_out;
  const double inv_B = 1.0 / f->B;
  if (ac->sde) { /* the kept variances of dist's rows (n_out = act_dim) */
    const double *var = f->var + (dist - f->dist);
    for (size_t k = 0; k < (size_t)b * K; k++)
      dout[k] = (crl_real)((double)f->tangent[k] / var[k] * inv_B);
    return;
  }
  if (ac->discrete) {
    crl_cat_fisher_vp(b, K, dist, f->tangent, dout);
    for (size_t k = 0; k < (size_t)b * K; k++)
      dout[k] = (crl_real)((double)dout[k] * inv_B);
    return;
  }
  for (int i = 0; i < b; i++)
    for (int j = 0; j < K; j++) {
      size_t k = (size_t)i * K + j;
      dout[k] =
          (crl_real)((double)f->tangent[k] * (double)f->inv_var[j] * inv_B);
    }
}

/* Make the chunks' activations those of f->obs at the current parameters,
 * running the forward pass only if the kept one was at another point. */
static int keep_point(crl__ac_fisher *f) {
  crl__ac *ac = f->ac;
  if (f->B < 1 || f->B > f->max_rows)
    return crl_fail(CRL_ESHAPE, "fisher: batch %d outside [1, %d]", f->B,
                    f->max_rows);
  const size_t n_obs = (size_t)f->B * ac->obs_dim;
  const size_t n_at = n_point(ac);
  const crl_real *theta = ac->params; /* [n_point] the actor, log_std */
  if (f->rows_at == f->B &&
      memcmp(f->obs_at, f->obs, n_obs * sizeof *f->obs) == 0 &&
      memcmp(f->theta_at, theta, n_at * sizeof *theta) == 0)
    return 0;
  if (ac->sde) /* the std of the current log_std, for the variances */
    crl__sde_prepare(ac->sde, ac->log_std, NULL, 0);
  f->rows_at = 0; /* nothing kept if a forward fails halfway */
  for (int c = 0, start = 0; start < f->B; c++, start += f->rows) {
    const int b = f->B - start < f->rows ? f->B - start : f->rows;
    int rc = crl_mlp_forward(f->chunk[c], f->obs + (size_t)start * ac->obs_dim,
                             b, f->dist + (size_t)start * ac->n_out);
    if (rc)
      return rc;
    if (ac->sde)
      crl__sde_var(ac->sde, chunk_phi(f, c), b,
                   f->var + (size_t)start * ac->act_dim);
  }
  memcpy(f->obs_at, f->obs, n_obs * sizeof *f->obs);
  memcpy(f->theta_at, theta, n_at * sizeof *theta);
  f->rows_at = f->B;
  return 0;
}

int crl__ac_fisher_point(crl__ac_fisher *f, const crl_real **dist) {
  int rc = keep_point(f);
  *dist = rc == 0 ? f->dist : NULL;
  return rc;
}

const double *crl__ac_fisher_var(const crl__ac_fisher *f) {
  return f->ac->sde ? f->var : NULL;
}

int crl__ac_fisher_vp(void *ctx, const crl_real *v, crl_real *out) {
  crl__ac_fisher *f = ctx;
  crl__ac *ac = f->ac;
  const size_t n_actor = crl_mlp_n_params(ac->actor);
  const int D = ac->act_dim;
  crl_real *fisher_log_std = f->inv_var + D;
  if (!ac->discrete && !ac->sde)
    crl_gauss_fisher(D, ac->log_std, f->inv_var, fisher_log_std);
  if (ac->sde) { /* the std of the current log_std, for its block */
    crl__sde_prepare(ac->sde, ac->log_std, NULL, 0);
    memset(f->acc, 0, n_log_std(ac) * sizeof *f->acc);
  }
  int rc = keep_point(f);
  if (rc)
    return rc;
  memset(ac->grads, 0, n_actor * sizeof *ac->grads);
  for (int c = 0, start = 0; start < f->B; c++, start += f->rows) {
    const int b = f->B - start < f->rows ? f->B - start : f->rows;
    /* tangent [b, n_out] = J v: how the distribution parameters move. */
    rc = crl_mlp_jvp_cached(f->chunk[c], b, v, NULL, f->tangent);
    if (rc)
      return rc;
    apply_metric(f, f->dist + (size_t)start * ac->n_out, b, ac->dout);
    /* grads += J^T (M J v) / B through the same activations. */
    rc = crl_mlp_backward(f->chunk[c], ac->dout, b, NULL);
    if (rc)
      return rc;
    if (ac->sde)
      crl__sde_fisher_log_std(ac->sde, chunk_phi(f, c),
                              f->var + (size_t)start * D, b, 1.0 / f->B,
                              v + n_actor, f->acc);
  }
  for (size_t k = 0; k < n_actor; k++)
    out[k] = (crl_real)((double)ac->grads[k] + f->damping * (double)v[k]);
  if (ac->sde) {
    for (size_t k = 0; k < n_log_std(ac); k++)
      out[n_actor + k] =
          (crl_real)(f->acc[k] + f->damping * (double)v[n_actor + k]);
    return 0;
  }
  /* log_std is a parameter of every row's distribution directly (J = I)
   * and its Fisher block is constant, so its rows need no network pass;
   * the mean/log_std cross terms of a diagonal Gaussian are zero. */
  for (int j = 0; !ac->discrete && j < D; j++) {
    size_t k = n_actor + (size_t)j;
    out[k] =
        (crl_real)(((double)fisher_log_std[j] + f->damping) * (double)v[k]);
  }
  return 0;
}

double crl__ac_kl(const crl__ac *ac, const crl_real *dist_ref,
                  const crl_real *log_std_ref, const crl_real *dist, int B,
                  crl_real *kl) {
  if (ac->discrete)
    crl_cat_kl(B, ac->n_out, dist_ref, dist, kl);
  else
    crl_gauss_kl(B, ac->act_dim, dist_ref, log_std_ref, dist, ac->log_std, kl);
  double s = 0.0;
  for (int i = 0; i < B; i++)
    s += (double)kl[i];
  return B > 0 ? s / B : 0.0;
}

/* dout [B, n_out] and dlog_std from the log-prob and entropy terms. */
static void logp_entropy_terms(crl__ac *ac, const crl_real *dist,
                               const crl_real *actions, int B,
                               const crl_real *dlogp, double dent_mean) {
  const int K = ac->n_out;
  if (dlogp == NULL)
    memset(ac->dout, 0, (size_t)B * K * sizeof *ac->dout);
  if (ac->discrete) {
    if (dlogp != NULL)
      crl_cat_log_prob_backward(B, K, dist, actions, dlogp, ac->dout);
    if (dent_mean != 0.0) {
      for (int i = 0; i < B; i++)
        ac->dent[i] = (crl_real)(dent_mean / B);
      crl_cat_entropy_backward(B, K, dist, ac->dent, ac->dout);
    }
    return;
  }
  if (dlogp != NULL)
    crl_gauss_log_prob_backward(B, ac->act_dim, dist, ac->log_std, actions,
                                dlogp, ac->dout, ac->dlog_std);
  /* The Gaussian's entropy does not depend on the state. */
  if (dent_mean != 0.0)
    crl_gauss_entropy_backward(ac->act_dim, (crl_real)dent_mean, ac->dlog_std);
}

int crl__ac_fisher_logp_backward(crl__ac_fisher *f, const crl_real *actions,
                                 const crl_real *dlogp) {
  crl__ac *ac = f->ac;
  int rc = keep_point(f);
  for (int c = 0, start = 0; rc == 0 && start < f->B; c++, start += f->rows) {
    const int b = f->B - start < f->rows ? f->B - start : f->rows;
    const size_t r = (size_t)start * ac->act_dim;
    if (ac->sde)
      crl__sde_backward_var(ac->sde, f->var + r, ac->log_std,
                            f->dist + (size_t)start * ac->n_out, actions + r,
                            chunk_phi(f, c), b, dlogp + start, 0.0, ac->dout,
                            ac->dlog_std);
    else
      logp_entropy_terms(ac, f->dist + (size_t)start * ac->n_out, actions + r,
                         b, dlogp + start, 0.0);
    rc = crl_mlp_backward(f->chunk[c], ac->dout, b, NULL);
  }
  return rc;
}

int crl__ac_actor_backward_kl(crl__ac *ac, const crl_real *dist,
                              const crl_real *actions, int B,
                              const crl_real *dlogp, double dent_mean,
                              const crl_real *dist_ref,
                              const crl_real *log_std_ref, double dkl_mean,
                              crl_real *scratch) {
  if (B > ac->max_batch)
    return crl_fail(CRL_ESHAPE, "actor-critic: batch %d exceeds capacity %d", B,
                    ac->max_batch);
  logp_entropy_terms(ac, dist, actions, B, dlogp, dent_mean);
  if (dkl_mean != 0.0) {
    const int K = ac->n_out;
    crl_real *dq = scratch, *dkl = scratch + (size_t)B * K;
    for (int i = 0; i < B; i++)
      dkl[i] = (crl_real)(dkl_mean / B);
    if (ac->discrete)
      crl_cat_kl_backward_q(B, K, dist_ref, dist, dkl, dq);
    else
      crl_gauss_kl_backward_q(B, ac->act_dim, dist_ref, log_std_ref, dist,
                              ac->log_std, dkl, dq, ac->dlog_std);
    for (size_t k = 0; k < (size_t)B * K; k++)
      ac->dout[k] += dq[k];
  }
  return crl_mlp_backward(ac->actor, ac->dout, B, NULL);
}
