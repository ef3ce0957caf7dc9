/* CrossQ's actor passes and gradient step (see crossq.c). */
#include <math.h>
#include <string.h>

#include "algos/crossq.h"
#include "crl/dist.h"
#include "crl/error.h"

/* Actor on obs [B, obs_dim] (train: batch statistics): mean, log_std;
 * with gSDE the mean clamped to +-clip_mean, the features and sde's
 * variances. */
int crl__crossq_actor_forward(crossq *c, crl__sde *sde, const crl_real *obs,
                              int B, int train) {
  int rc = crl__brn_net_forward(c->actor, obs, B, train, c->out);
  if (rc)
    return rc;
  crl__sac_split_outputs(c->cfg.use_sde, c->cfg.clip_mean, B, c->act_dim,
                         c->out, c->mean, c->log_std);
  if (c->cfg.use_sde) {
    c->phi = crl__brn_net_features(c->actor);
    crl__sde_prepare(sde, c->sde_log_std, c->phi, B);
  }
  return 0;
}

void crl__crossq_sample(crossq *c, crl__sde *sde, int B, gsl_rng *rng,
                        crl_real *act, crl_real *logp) {
  if (c->cfg.use_sde)
    crl__sde_squashed_sample(sde, c->mean, c->phi, B, act, logp);
  else
    crl_squashed_sample(B, c->act_dim, c->mean, c->log_std, c->cfg.log_std_min,
                        c->cfg.log_std_max, rng, c->eps, act, logp);
}

/* ---- the gradient step --------------------------------------------------- */

static double alpha_now(const crossq *c) {
  return c->temp.learn ? exp((double)c->log_alpha[0]) : c->temp.alpha_fixed;
}

/* qin rows [r0, r0 + n) = [obs | act]. */
static void put_inputs(crossq *c, int r0, int n, const crl_real *obs,
                       const crl_real *act) {
  const size_t O = (size_t)c->obs_dim, A = (size_t)c->act_dim;
  for (int i = 0; i < n; i++) {
    crl_real *row = c->qin + (size_t)(r0 + i) * (O + A);
    memcpy(row, obs + (size_t)i * O, O * sizeof *row);
    memcpy(row + O, act + (size_t)i * A, A * sizeof *row);
  }
}

/* min over critics of q [n, stride] at row i, and which gave it (the first
 * on ties, as torch.min). */
static double q_min(const crossq *c, int stride, int i, int *which) {
  double m = c->q[i];
  *which = 0;
  for (int k = 1; k < c->cfg.n_critics; k++)
    if (c->q[(size_t)k * stride + i] < m) {
      m = c->q[(size_t)k * stride + i];
      *which = k;
    }
  return m;
}

/* The critics' step on the joint batch; also their loss. */
static int critic_step(crossq *c, const crl_replay_batch *b, double alpha,
                       crl__offpolicy_losses *acc) {
  const int M = b->n, n = c->cfg.n_critics;
  int rc = crl__crossq_actor_forward(c, c->sde_train, b->next_obs, M, 0);
  if (rc)
    return rc;
  if (c->cfg.use_sde) /* a new matrix per gradient step */
    crl__sde_resample(c->sde_train, c->noise_rng);
  crl__crossq_sample(c, c->sde_train, M, c->noise_rng, c->act, c->logp);
  put_inputs(c, 0, M, b->obs, b->actions);
  put_inputs(c, M, M, b->next_obs, c->act);
  for (int k = 0; k < n && rc == 0; k++)
    rc = crl__brn_net_forward(c->critic[k], c->qin, 2 * M, 1,
                              c->q + (size_t)k * 2 * M);
  if (rc)
    return rc;
  memset(c->critic_grads, 0, c->n_critic_params * sizeof *c->critic_grads);
  double loss = 0.0;
  for (int k = 0; k < n && rc == 0; k++) {
    const crl_real *qk = c->q + (size_t)k * 2 * M;
    for (int i = 0; i < M; i++) {
      int which;
      const double next = q_min(c, 2 * M, M + i, &which);
      const double y = b->rewards[i] + c->cfg.off.gamma *
                                           (1.0 - b->terminated[i]) *
                                           (next - alpha * (double)c->logp[i]);
      const double e = (double)qk[i] - y;
      loss += 0.5 * e * e / M;
      c->dq[i] = (crl_real)(e / M);
      c->dq[M + i] = 0; /* the target half is held constant */
    }
    rc = crl__brn_net_backward(c->critic[k], c->dq, 2 * M, NULL);
  }
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "crossq: critic loss is not finite (%g)",
                    loss);
  crl_adam_step(c->critic_adam, c->critic_params, c->critic_grads, c->lr);
  acc->critic_loss += loss;
  acc->n_critic++;
  return 0;
}

/* dact [M, A] = d/da of -mean_i min_k Q_k(s_i, a_i), critics in
 * evaluation mode; also the actor's loss. */
static int min_q_backward(crossq *c, int M, double alpha, double *loss) {
  const int n = c->cfg.n_critics, O = c->obs_dim, A = c->act_dim;
  int rc = 0;
  for (int k = 0; k < n && rc == 0; k++)
    rc = crl__brn_net_forward(c->critic[k], c->qin, M, 0, c->q + (size_t)k * M);
  *loss = 0.0;
  memset(c->dact, 0, (size_t)M * A * sizeof *c->dact);
  for (int k = 0; k < n && rc == 0; k++) {
    int used = 0;
    for (int i = 0; i < M; i++) {
      int which;
      const double m = q_min(c, M, i, &which);
      if (k == 0)
        *loss += (alpha * c->logp[i] - m) / M;
      c->dq[i] = (crl_real)(which == k ? -1.0 / M : 0.0);
      used |= which == k;
    }
    if (!used)
      continue;
    rc = crl__brn_net_backward(c->critic[k], c->dq, M, c->dqin);
    for (int i = 0; rc == 0 && i < M; i++)
      for (int j = 0; j < A; j++)
        c->dact[(size_t)i * A + j] += c->dqin[(size_t)i * (O + A) + O + j];
  }
  return rc;
}

/* The actor's gradients (zeroed by the caller) from dact and dlogp through
 * the reparameterised sample of its last forward; with gSDE also through
 * the features, which sb3-contrib's CrossQ learns (learn_features). */
static int actor_backward(crossq *c, int M) {
  const int A = c->act_dim;
  if (c->cfg.use_sde)
    crl__sde_squashed_backward(c->sde_train, c->phi, c->act, M, c->dact,
                               c->dlogp, c->dmean, c->sde_dlog_std, c->dphi);
  else
    crl_squashed_sample_backward(M, A, c->mean, c->log_std, c->cfg.log_std_min,
                                 c->cfg.log_std_max, c->eps, c->dact, c->dlogp,
                                 c->dmean, c->dlog_std);
  crl__sac_join_grads(c->cfg.use_sde, c->cfg.clip_mean, M, A, c->out, c->dmean,
                      c->dlog_std, c->dout);
  return crl__brn_net_backward_features(
      c->actor, c->dout, c->cfg.use_sde ? c->dphi : NULL, M, NULL);
}

static int actor_step(crossq *c, const crl_replay_batch *b, double alpha,
                      crl__offpolicy_losses *acc) {
  const int M = b->n;
  int rc = crl__crossq_actor_forward(c, c->sde_train, b->obs, M, 1);
  if (rc)
    return rc;
  crl__crossq_sample(c, c->sde_train, M, c->noise_rng, c->act, c->logp);
  double ent = 0.0, g = 0.0;
  for (int i = 0; i < M; i++) {
    ent -= (double)c->logp[i] / M;
    g -= ((double)c->logp[i] + c->temp.target_entropy) / M;
  }
  if (c->temp.learn) { /* d/dlog_alpha of -mean(log_alpha (logp + H)) */
    c->dlog_alpha[0] = (crl_real)g;
    crl_adam_step(c->alpha_adam, c->log_alpha, c->dlog_alpha, c->lr);
  }
  put_inputs(c, 0, M, b->obs, c->act);
  double loss = 0.0;
  rc = min_q_backward(c, M, alpha, &loss);
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "crossq: actor loss is not finite (%g)",
                    loss);
  for (int i = 0; i < M; i++)
    c->dlogp[i] = (crl_real)(alpha / M);
  memset(c->pi_grads, 0, c->n_pi * sizeof *c->pi_grads);
  rc = actor_backward(c, M);
  if (rc)
    return rc;
  crl_adam_step(c->actor_adam, c->pi_params, c->pi_grads, c->lr);
  acc->actor_loss += loss;
  acc->n_actor++;
  acc->entropy += ent;
  acc->n_entropy++;
  return 0;
}

int crl__crossq_update(void *self, const crl_replay_batch *b,
                       crl__offpolicy_losses *acc) {
  crossq *c = self;
  c->n_updates++;
  const double alpha = alpha_now(c); /* before this step's alpha update */
  acc->ent_coef += alpha;
  acc->n_ent_coef++;
  int rc = critic_step(c, b, alpha, acc);
  if (rc == 0 && c->n_updates % c->cfg.policy_delay == 0)
    rc = actor_step(c, b, alpha, acc);
  return rc;
}
