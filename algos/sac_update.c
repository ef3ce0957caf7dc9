/* The gradient steps of SAC and TQC (see sac.h). SAC's critics are trained
 * towards
 *   y = r + gamma (1 - terminated) (min_k Q'_k(s', a') - alpha log pi(a'|s')),
 *   a' ~ pi(.|s'),
 * with 0.5 * the sum over critics of their mean squared errors, and the
 * actor minimises mean(alpha log pi(a|s) - min_k Q_k(s, a)). TQC's targets
 * are the smallest n_keep of the pooled target quantiles, each
 * r + gamma (1 - terminated) (z - alpha log pi(a'|s')); its critics
 * minimise the mean over rows, critics, quantiles and targets of the
 * quantile Huber loss, and its actor uses the mean over critics and
 * quantiles in place of the minimum. alpha = exp(log_alpha) either is fixed
 * or descends -mean(log_alpha (log pi + target_entropy)). */
#include <math.h>
#include <string.h>

#include "algos/sac.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "rl/quantile.h"

void crl__sac_split_outputs(int sde, double clip_mean, int B, int A,
                            const crl_real *out, crl_real *mean,
                            crl_real *log_std) {
  const double c = clip_mean;
  if (sde) {
    for (size_t k = 0; k < (size_t)B * A; k++) {
      const crl_real m = out[k];
      mean[k] = c > 0 && m > c    ? (crl_real)c
                : c > 0 && m < -c ? (crl_real)-c
                                  : m;
    }
    return;
  }
  for (int i = 0; i < B; i++) {
    const crl_real *row = out + (size_t)i * 2 * A; /* [mean | log_std] */
    memcpy(mean + (size_t)i * A, row, (size_t)A * sizeof(crl_real));
    memcpy(log_std + (size_t)i * A, row + A, (size_t)A * sizeof(crl_real));
  }
}

void crl__sac_join_grads(int sde, double clip_mean, int B, int A,
                         const crl_real *out, const crl_real *dmean,
                         const crl_real *dlog_std, crl_real *dout) {
  const double c = clip_mean;
  if (sde) {
    for (size_t k = 0; k < (size_t)B * A; k++)
      dout[k] = c > 0 && !(out[k] > -c && out[k] < c) ? 0 : dmean[k];
    return;
  }
  for (int i = 0; i < B; i++) {
    crl_real *row = dout + (size_t)i * 2 * A; /* [dmean | dlog_std] */
    memcpy(row, dmean + (size_t)i * A, (size_t)A * sizeof(crl_real));
    memcpy(row + A, dlog_std + (size_t)i * A, (size_t)A * sizeof(crl_real));
  }
}

int crl__sac_actor_forward(crl__sac *s, crl__sde *sde, const crl_real *obs,
                           int B) {
  int rc = crl_mlp_forward(s->actor, obs, B, s->out);
  if (rc)
    return rc;
  crl__sac_split_outputs(s->cfg.use_sde, s->cfg.clip_mean, B, s->act_dim,
                         s->out, s->mean, s->log_std);
  if (s->cfg.use_sde) {
    const int last = crl_mlp_get_spec(s->actor)->n_layers - 1;
    s->phi = crl_mlp_layer_input(s->actor, last); /* [B, L] */
    crl__sde_prepare(sde, s->sde_log_std, s->phi, B);
  }
  return 0;
}

void crl__sac_sample(crl__sac *s, crl__sde *sde, int B, gsl_rng *rng,
                     crl_real *act, crl_real *logp) {
  if (s->cfg.use_sde)
    crl__sde_squashed_sample(sde, s->mean, s->phi, B, act, logp);
  else
    crl_squashed_sample(B, s->act_dim, s->mean, s->log_std, s->cfg.log_std_min,
                        s->cfg.log_std_max, rng, s->eps, act, logp);
}

static double alpha_now(const crl__sac *s) {
  return s->learn_alpha ? exp((double)s->log_alpha[0]) : s->alpha_fixed;
}

/* min over critics of q [n, M] for row i, and which critic gave it (the
 * first on ties, as torch.min). */
static double q_min(const crl__sac *s, int M, int i, int *which) {
  double m = s->q[i];
  *which = 0;
  for (int k = 1; k < s->cfg.n_critics; k++)
    if (s->q[(size_t)k * M + i] < m) {
      m = s->q[(size_t)k * M + i];
      *which = k;
    }
  return m;
}

/* y [M, n_keep]: SAC's min-of-critics targets, or TQC's kept quantiles
 * (y first holds the quantiles, then the targets made from them). */
static int compute_targets(crl__sac *s, const crl_replay_batch *b,
                           double alpha) {
  const int M = b->n;
  int rc = crl__sac_actor_forward(s, s->sde_train, b->next_obs, M);
  if (rc)
    return rc;
  if (s->cfg.use_sde) /* SB3: a new matrix per gradient step (reset_noise) */
    crl__sde_resample(s->sde_train, s->noise_rng);
  crl__sac_sample(s, s->sde_train, M, s->noise_rng, s->act, s->logp);
  rc = crl__qcritic_set_input(s->critic_target, b->next_obs, s->act, M);
  if (rc == 0)
    rc = crl__qcritic_forward_all(s->critic_target, s->q);
  if (rc)
    return rc;
  if (s->cfg.n_quantiles > 0)
    crl__quantile_truncate(M, s->cfg.n_critics, s->nq, s->n_keep, s->q,
                           s->pooled, s->y);
  for (int i = 0; i < M; i++) {
    const double keep = s->cfg.off.gamma * (1.0 - b->terminated[i]);
    for (int j = 0; j < s->n_keep; j++) {
      crl_real *y = s->y + (size_t)i * s->n_keep + j;
      int which;
      const double z =
          s->cfg.n_quantiles > 0 ? (double)*y : q_min(s, M, i, &which);
      *y = (crl_real)(b->rewards[i] + keep * (z - alpha * s->logp[i]));
    }
  }
  return 0;
}

/* Critic k's loss against y [M, n_keep] (crl__qcritic_loss_fn): SAC's
 * share 0.5 * mean (Q_k - y)^2, or TQC's quantile Huber loss. */
typedef struct critic_loss {
  const crl__sac *s;
  double scale; /* TQC: 1 / (M n_critics nq n_keep) */
} critic_loss;

static double critic_loss_of(void *ctx, int k, const crl_real *q, int M,
                             crl_real *dq) {
  (void)k;
  const critic_loss *c = ctx;
  const crl__sac *s = c->s;
  if (s->cfg.n_quantiles > 0)
    return crl__quantile_huber(M, s->nq, s->n_keep, q, s->y, c->scale, dq);
  double loss = 0.0;
  for (int i = 0; i < M; i++) {
    const double e = (double)q[i] - s->y[i];
    loss += 0.5 * e * e / M;
    dq[i] = (crl_real)(e / M);
  }
  return loss;
}

/* One Adam step of the critics on their loss, the critics on the pool's
 * threads (their losses summed in critic order). */
static int critic_step(crl__sac *s, const crl_replay_batch *b,
                       crl__offpolicy_losses *acc) {
  const int M = b->n, n = s->cfg.n_critics;
  int rc = crl__qcritic_set_input(s->critic, b->obs, b->actions, M);
  if (rc)
    return rc;
  crl__qcritic_zero_grad(s->critic);
  critic_loss c = {s, 1.0 / ((double)M * n * s->nq * s->n_keep)};
  double losses[CRL_QCRITIC_MAX];
  rc = crl__qcritic_train_all(s->critic, s->q, critic_loss_of, &c, losses);
  if (rc)
    return rc;
  double loss = 0.0;
  for (int k = 0; k < n; k++)
    loss += losses[k];
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "%s: critic loss is not finite (%g)",
                    s->name, loss);
  rc = crl__offpolicy_average(s->loop, s->critic->grads, s->critic->n_params);
  if (rc)
    return rc;
  crl_adam_step(s->critic_adam, s->critic->params, s->critic->grads, s->lr);
  acc->critic_loss += loss;
  acc->n_critic++;
  return 0;
}

/* Temperature: d/dlog_alpha of -mean(log_alpha (logp + target)) is
 * -mean(logp + target), with logp of the current actor's samples. */
static int alpha_step(crl__sac *s, int M) {
  double g = 0.0;
  for (int i = 0; i < M; i++)
    g -= ((double)s->logp[i] + s->target_entropy) / M;
  s->dlog_alpha[0] = (crl_real)g;
  int rc = crl__offpolicy_average(s->loop, s->dlog_alpha, 1);
  if (rc == 0)
    crl_adam_step(s->alpha_adam, s->log_alpha, s->dlog_alpha, s->lr);
  return rc;
}

/* dact [M, act_dim] = d/da of -mean_i min_k Q_k(s_i, a_i): the gradient
 * reaches, per row, the critic that gave the minimum. Also the loss. */
static int min_q_backward(crl__sac *s, int M, double alpha, double *loss) {
  const int n = s->cfg.n_critics;
  int rc = crl__qcritic_forward_all(s->critic, s->q);
  if (rc)
    return rc;
  const crl_real *dq[CRL_QCRITIC_MAX] = {NULL};
  for (int k = 0; k < n; k++)
    dq[k] = s->dq + (size_t)k * M;
  *loss = 0.0;
  for (int i = 0; i < M; i++) {
    int which;
    const double m = q_min(s, M, i, &which);
    *loss += (alpha * s->logp[i] - m) / M;
    for (int k = 0; k < n; k++)
      s->dq[(size_t)k * M + i] = (crl_real)(which == k ? -1.0 / M : 0.0);
  }
  for (int k = 0; k < n; k++) { /* a critic no row used adds nothing */
    int used = 0;
    for (int i = 0; i < M && !used; i++)
      used = dq[k][i] != 0;
    if (!used)
      dq[k] = NULL;
  }
  return crl__qcritic_action_grad_all(s->critic, dq, s->dact);
}

/* TQC: the same with the mean over critics and quantiles of Q(s_i, a_i). */
static int mean_q_backward(crl__sac *s, int M, double alpha, double *loss) {
  const int n = s->cfg.n_critics, nq = s->nq;
  int rc = crl__qcritic_forward_all(s->critic, s->q);
  if (rc)
    return rc;
  *loss = 0.0;
  for (int i = 0; i < M; i++) {
    double qbar = 0.0;
    for (int k = 0; k < n; k++)
      for (int q = 0; q < nq; q++)
        qbar += s->q[((size_t)k * M + i) * nq + q];
    *loss += (alpha * s->logp[i] - qbar / ((double)n * nq)) / M;
  }
  for (int r = 0; r < M * nq; r++)
    s->dq[r] = (crl_real)(-1.0 / ((double)M * n * nq));
  const crl_real *dq[CRL_QCRITIC_MAX];
  for (int k = 0; k < n; k++) /* the same for every critic */
    dq[k] = s->dq;
  return crl__qcritic_action_grad_all(s->critic, dq, s->dact);
}

/* Gradients of the actor's parameters (zeroed by the caller) from dact and
 * dlogp, through the reparameterised sample of the last forward. */
static int actor_backward(crl__sac *s, int M) {
  const int A = s->act_dim;
  if (s->cfg.use_sde) {
    memset(s->sde_dlog_std, 0,
           (s->n_pi - crl_mlp_n_params(s->actor)) * sizeof *s->sde_dlog_std);
    crl__sde_squashed_backward(s->sde_train, s->phi, s->act, M, s->dact,
                               s->dlogp, s->dmean, s->sde_dlog_std, NULL);
  } else {
    crl_squashed_sample_backward(M, A, s->mean, s->log_std, s->cfg.log_std_min,
                                 s->cfg.log_std_max, s->eps, s->dact, s->dlogp,
                                 s->dmean, s->dlog_std);
  }
  crl__sac_join_grads(s->cfg.use_sde, s->cfg.clip_mean, M, A, s->out, s->dmean,
                      s->dlog_std, s->dout);
  return crl_mlp_backward(s->actor, s->dout, M, NULL);
}

/* Actor: minimise mean(alpha log pi(a|s) - Q(s, a)), a reparameterised. */
static int actor_step(crl__sac *s, const crl_replay_batch *b, double alpha,
                      crl__offpolicy_losses *acc) {
  const int M = b->n, A = s->act_dim;
  int rc = crl__sac_actor_forward(s, s->sde_train, b->obs, M);
  if (rc)
    return rc;
  crl__sac_sample(s, s->sde_train, M, s->noise_rng, s->act, s->logp);
  double ent = 0.0;
  for (int i = 0; i < M; i++)
    ent -= (double)s->logp[i] / M;
  if (s->learn_alpha && (rc = alpha_step(s, M)) != 0)
    return rc;
  double loss = 0.0;
  memset(s->dact, 0, (size_t)M * A * sizeof *s->dact);
  rc = crl__qcritic_set_input(s->critic, b->obs, s->act, M);
  if (rc == 0)
    rc = s->cfg.n_quantiles > 0 ? mean_q_backward(s, M, alpha, &loss)
                                : min_q_backward(s, M, alpha, &loss);
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "%s: actor loss is not finite (%g)",
                    s->name, loss);
  for (int i = 0; i < M; i++)
    s->dlogp[i] = (crl_real)(alpha / M);
  crl_mlp_zero_grad(s->actor);
  rc = actor_backward(s, M);
  if (rc == 0)
    rc = crl__offpolicy_average(s->loop, s->pi_grads, s->n_pi);
  if (rc)
    return rc;
  crl_adam_step(s->actor_adam, s->pi_params, s->pi_grads, s->lr);
  acc->actor_loss += loss;
  acc->n_actor++;
  acc->entropy += ent;
  acc->n_entropy++;
  return 0;
}

/* The actor's forward on next_obs (targets) runs before the one on obs, so
 * that the activations backward needs are the last ones; the actor does
 * not change in between, so this is SB3's update in another order. */
int crl__sac_update(void *self, const crl_replay_batch *b,
                    crl__offpolicy_losses *acc) {
  crl__sac *s = self;
  s->n_updates++;
  const double alpha = alpha_now(s); /* before this step's alpha update */
  acc->ent_coef += alpha; /* SB3 logs the mean of these as train/ent_coef */
  acc->n_ent_coef++;
  int rc = compute_targets(s, b, alpha);
  if (rc == 0)
    rc = critic_step(s, b, acc);
  if (rc == 0)
    rc = actor_step(s, b, alpha, acc);
  if (rc == 0 && s->n_updates % s->cfg.target_update_interval == 0)
    crl_polyak_update(s->critic->n_params, s->critic_target->params,
                      s->critic->params, s->cfg.off.tau);
  return rc;
}
