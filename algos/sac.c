/* SAC (Haarnoja et al. 2018, with the learned temperature of the second
 * paper) as Stable-Baselines3 has it: a tanh-squashed Gaussian actor whose
 * network outputs mean and log-std (clamped to [log_std_min, log_std_max]),
 * n critics (twins) with Polyak-averaged targets, trained towards
 *   y = r + gamma (1 - terminated) (min_k Q'_k(s', a') - alpha log pi(a'|s')),
 *   a' ~ pi(.|s'),
 * with 0.5 * the sum over critics of their mean squared errors; the actor
 * minimises mean(alpha log pi(a|s) - min_k Q_k(s, a)) through the
 * reparameterised sample a, and alpha = exp(log_alpha) either is fixed or
 * descends -mean(log_alpha (log pi + target_entropy)). Every gradient step
 * updates critics, actor and alpha; targets move every
 * target_update_interval steps. Collection and replay are the shared
 * off-policy loop's (lib/offpolicy.c). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "io/policy_internal.h"
#include "rl/offpolicy.h"
#include "rl/qcritic.h"

typedef struct sac_spec {
  crl__offpolicy_spec off;
  crl_schedule learning_rate;
  char ent_coef[CRL_STRING_MAX];       /* auto, auto_<init>, or a number */
  char target_entropy[CRL_STRING_MAX]; /* auto (-dim A) or a number */
  int target_update_interval;
  crl_int_list net_arch;
  int activation;
  int n_critics;
  double log_std_min, log_std_max;
} sac_spec;

#define F(field) offsetof(sac_spec, field)
static const crl_param_def sac_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 1, NULL,
     "Adam step size of actor, critics and temperature; lin_<v> decays it"},
    CRL_OFFPOLICY_PARAMS(sac_spec, off),
    {"ent_coef", CRL_PARAM_STRING, F(ent_coef), "auto", 0, 0, NULL,
     "temperature alpha: auto (learned from 1), auto_<init> (learned from "
     "init) or a fixed number >= 0"},
    {"target_entropy", CRL_PARAM_STRING, F(target_entropy), "auto", 0, 0, NULL,
     "entropy the learned alpha aims at: auto (-action dim) or a number"},
    {"target_update_interval", CRL_PARAM_INT, F(target_update_interval), "1", 1,
     1e6, NULL, "move the target critics every this many gradient steps"},
    {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, F(net_arch), "[256, 256]", 1,
     65536, NULL, "hidden layer sizes of actor and critics"},
    {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "relu", 0, 0,
     "identity|tanh|relu", "hidden activation"},
    {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "2", 1,
     CRL_QCRITIC_MAX, NULL, "number of critics; targets use their minimum"},
    {"policy_kwargs.log_std_min", CRL_PARAM_REAL, F(log_std_min), "-20", -100,
     100, NULL, "lower clamp of the actor's log std"},
    {"policy_kwargs.log_std_max", CRL_PARAM_REAL, F(log_std_max), "2", -100,
     100, NULL, "upper clamp of the actor's log std"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

typedef struct sac {
  sac_spec cfg;
  crl__offpolicy *loop;
  crl_mlp *actor; /* obs -> net_arch -> [mean | log_std], 2 act_dim */
  crl__qcritic *critic, *critic_target;
  crl_adam *actor_adam, *critic_adam, *alpha_adam;
  gsl_rng *noise_rng; /* reparameterisation noise inside updates */
  int learn_alpha;
  double alpha_fixed; /* when not learned */
  double target_entropy;
  crl_real log_alpha[1], dlog_alpha[1];
  double lr;
  long n_updates;
  int obs_dim, act_dim, max_batch;
  crl_real *out;      /* [max_batch, 2 act_dim] actor outputs */
  crl_real *mean;     /* [max_batch, act_dim] */
  crl_real *log_std;  /* [max_batch, act_dim] unclamped */
  crl_real *eps;      /* [max_batch, act_dim] sampling noise */
  crl_real *act;      /* [max_batch, act_dim] squashed actions */
  crl_real *logp;     /* [max_batch] */
  crl_real *q;        /* [n_critics, batch] */
  crl_real *y;        /* [batch] TD targets */
  crl_real *dq;       /* [batch] */
  crl_real *dact;     /* [batch, act_dim] */
  crl_real *dlogp;    /* [batch] */
  crl_real *dmean;    /* [batch, act_dim] */
  crl_real *dlog_std; /* [batch, act_dim] */
  crl_real *dout;     /* [batch, 2 act_dim] */
  void *block;        /* out ... dout */
} sac;

static void sac_destroy(void *self) {
  sac *s = self;
  if (s == NULL)
    return;
  crl__offpolicy_free(s->loop);
  crl_mlp_free(s->actor);
  crl__qcritic_free(s->critic);
  crl__qcritic_free(s->critic_target);
  crl_adam_free(s->actor_adam);
  crl_adam_free(s->critic_adam);
  crl_adam_free(s->alpha_adam);
  if (s->noise_rng)
    gsl_rng_free(s->noise_rng);
  free(s->block);
  free(s);
}

/* A whole string as a finite number. */
static int parse_number(const char *text, double *out) {
  char *end = NULL;
  *out = strtod(text, &end);
  return end != text && *end == '\0' && isfinite(*out);
}

/* ent_coef and target_entropy, as SB3 reads them. */
static int parse_entropy_keys(sac *s) {
  const char *e = s->cfg.ent_coef;
  double v = 1.0;
  if (strcmp(e, "auto") == 0 ||
      (strncmp(e, "auto_", 5) == 0 && parse_number(e + 5, &v) && v > 0)) {
    s->learn_alpha = 1;
    s->log_alpha[0] = (crl_real)log(v);
  } else if (parse_number(e, &v) && v >= 0) {
    s->alpha_fixed = v;
  } else {
    return crl_fail(CRL_EINVAL,
                    "sac: ent_coef '%s' must be auto, auto_<initial value > "
                    "0> (e.g. auto_0.1) or a number >= 0",
                    e);
  }
  const char *t = s->cfg.target_entropy;
  if (strcmp(t, "auto") == 0)
    s->target_entropy = -(double)s->act_dim;
  else if (!parse_number(t, &s->target_entropy))
    return crl_fail(CRL_EINVAL,
                    "sac: target_entropy '%s' must be auto or a number", t);
  if (!(s->cfg.log_std_min <= s->cfg.log_std_max))
    return crl_fail(CRL_EINVAL,
                    "sac: policy_kwargs.log_std_min %g exceeds log_std_max %g",
                    s->cfg.log_std_min, s->cfg.log_std_max);
  return 0;
}

static int alloc_networks(sac *s, uint64_t seed) {
  const sac_spec *c = &s->cfg;
  crl_mlp_spec as = crl_mlp_spec_make(
      s->obs_dim, c->net_arch.n, c->net_arch.v, 2 * s->act_dim,
      (crl_activation)c->activation, CRL_ACT_IDENTITY, s->max_batch);
  int rc = crl_mlp_alloc(&as, NULL, NULL, &s->actor);
  for (int k = 0; k < 2 && rc == 0; k++)
    rc = crl__qcritic_alloc(c->n_critics, s->obs_dim, s->act_dim, &c->net_arch,
                            (crl_activation)c->activation, s->max_batch,
                            k == 0 ? &s->critic : &s->critic_target);
  if (rc)
    return rc;
  gsl_rng *init = crl_rng_alloc(seed, CRL_STREAM_INIT);
  if (init == NULL)
    return crl_fail(CRL_ENOMEM, "sac: out of memory");
  /* PyTorch's default initialisation, as SB3's SAC policy. */
  rc = crl_mlp_init(s->actor, CRL_INIT_TORCH, 1.0, 1.0, init);
  if (rc == 0)
    rc = crl__qcritic_init(s->critic, init);
  gsl_rng_free(init);
  if (rc)
    return rc;
  crl_polyak_update(s->critic->n_params, s->critic_target->params,
                    s->critic->params, 1.0);
  crl_adam_spec adam = crl_adam_spec_default();
  adam.eps = c->off.adam_eps;
  rc = crl_adam_alloc(crl_mlp_n_params(s->actor), &adam, &s->actor_adam);
  if (rc == 0)
    rc = crl_adam_alloc(s->critic->n_params, &adam, &s->critic_adam);
  if (rc == 0)
    rc = crl_adam_alloc(1, &adam, &s->alpha_adam);
  return rc;
}

static int alloc_scratch(sac *s, uint64_t seed) {
  const size_t W = (size_t)s->max_batch, M = (size_t)s->cfg.off.batch_size;
  const size_t A = (size_t)s->act_dim, K = (size_t)s->cfg.n_critics;
  const crl__buf bufs[] = {
      {(void **)&s->out, CRL__BUF_REAL, W * 2 * A},  /* [max_batch, 2 A] */
      {(void **)&s->mean, CRL__BUF_REAL, W * A},     /* [max_batch, A] */
      {(void **)&s->log_std, CRL__BUF_REAL, W * A},  /* [max_batch, A] */
      {(void **)&s->eps, CRL__BUF_REAL, W * A},      /* [max_batch, A] */
      {(void **)&s->act, CRL__BUF_REAL, W * A},      /* [max_batch, A] */
      {(void **)&s->logp, CRL__BUF_REAL, W},         /* [max_batch] */
      {(void **)&s->q, CRL__BUF_REAL, K * M},        /* [n_critics, batch] */
      {(void **)&s->y, CRL__BUF_REAL, M},            /* [batch] */
      {(void **)&s->dq, CRL__BUF_REAL, M},           /* [batch] */
      {(void **)&s->dact, CRL__BUF_REAL, M * A},     /* [batch, A] */
      {(void **)&s->dlogp, CRL__BUF_REAL, M},        /* [batch] */
      {(void **)&s->dmean, CRL__BUF_REAL, M * A},    /* [batch, A] */
      {(void **)&s->dlog_std, CRL__BUF_REAL, M * A}, /* [batch, A] */
      {(void **)&s->dout, CRL__BUF_REAL, M * 2 * A}, /* [batch, 2 A] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &s->block, "sac");
  if (rc)
    return rc;
  s->noise_rng = crl_rng_alloc(seed, CRL_STREAM_UPDATE_NOISE);
  return s->noise_rng ? 0 : crl_fail(CRL_ENOMEM, "sac: out of memory");
}

static int sac_explore(void *self, const crl_real *obs, int B,
                       crl_real *action);
static int sac_update(void *self, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc);

static int sac_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  *self = NULL;
  int rc = crl__offpolicy_check_spaces("sac", obs, act);
  if (rc)
    return rc;
  sac *s = calloc(1, sizeof *s);
  if (s == NULL)
    return crl_fail(CRL_ENOMEM, "sac: out of memory");
  s->cfg = *(const sac_spec *)spec;
  s->obs_dim = obs->dim;
  s->act_dim = act->dim;
  s->max_batch =
      s->cfg.off.batch_size > n_envs ? s->cfg.off.batch_size : n_envs;
  const crl__offpolicy_ops ops = {sac_explore, sac_update};
  rc = parse_entropy_keys(s);
  if (rc == 0)
    rc = crl__offpolicy_alloc(&s->cfg.off, "sac", obs, act, n_envs, seed, &ops,
                              s, &s->loop);
  if (rc == 0)
    rc = alloc_networks(s, seed);
  if (rc == 0)
    rc = alloc_scratch(s, seed);
  if (rc) {
    sac_destroy(s);
    return rc;
  }
  *self = s;
  return 0;
}

/* ---- the policy ---------------------------------------------------------- */

/* Actor on obs [B, obs_dim]: split its output rows into mean and log_std. */
static int actor_forward(sac *s, const crl_real *obs, int B) {
  int rc = crl_mlp_forward(s->actor, obs, B, s->out);
  if (rc)
    return rc;
  const size_t A = (size_t)s->act_dim;
  for (int i = 0; i < B; i++) {
    const crl_real *row = s->out + (size_t)i * 2 * A; /* [mean | log_std] */
    memcpy(s->mean + (size_t)i * A, row, A * sizeof(crl_real));
    memcpy(s->log_std + (size_t)i * A, row + A, A * sizeof(crl_real));
  }
  return 0;
}

/* act [B, act_dim], logp [B] and eps: reparameterised samples. */
static void sample(sac *s, int B, gsl_rng *rng) {
  crl_squashed_sample(B, s->act_dim, s->mean, s->log_std, s->cfg.log_std_min,
                      s->cfg.log_std_max, rng, s->eps, s->act, s->logp);
}

static double alpha_now(const sac *s) {
  return s->learn_alpha ? exp((double)s->log_alpha[0]) : s->alpha_fixed;
}

/* ---- update -------------------------------------------------------------- */

/* min over critics of q [n, M] for row i, and which critic gave it (the
 * first on ties, as torch.min). */
static double q_min(const sac *s, int M, int i, int *which) {
  double m = s->q[i];
  *which = 0;
  for (int k = 1; k < s->cfg.n_critics; k++)
    if (s->q[(size_t)k * M + i] < m) {
      m = s->q[(size_t)k * M + i];
      *which = k;
    }
  return m;
}

/* y [M] = r + gamma (1 - terminated) (min_k Q'_k(s', a') - alpha log
 * pi(a'|s')). */
static int compute_targets(sac *s, const crl_replay_batch *b, double alpha) {
  const int M = b->n;
  int rc = actor_forward(s, b->next_obs, M);
  if (rc)
    return rc;
  sample(s, M, s->noise_rng);
  rc = crl__qcritic_set_input(s->critic_target, b->next_obs, s->act, M);
  for (int k = 0; k < s->cfg.n_critics && rc == 0; k++)
    rc = crl__qcritic_forward(s->critic_target, k, s->q + (size_t)k * M);
  if (rc)
    return rc;
  for (int i = 0; i < M; i++) {
    int which;
    const double v = q_min(s, M, i, &which) - alpha * s->logp[i];
    s->y[i] = (crl_real)(b->rewards[i] +
                         s->cfg.off.gamma * (1.0 - b->terminated[i]) * v);
  }
  return 0;
}

/* 0.5 * sum over critics of mean (Q_k(s, a) - y)^2, one Adam step. */
static int critic_step(sac *s, const crl_replay_batch *b,
                       crl__offpolicy_losses *acc) {
  const int M = b->n;
  int rc = crl__qcritic_set_input(s->critic, b->obs, b->actions, M);
  if (rc)
    return rc;
  crl__qcritic_zero_grad(s->critic);
  double loss = 0.0;
  for (int k = 0; k < s->cfg.n_critics && rc == 0; k++) {
    rc = crl__qcritic_forward(s->critic, k, s->q);
    for (int i = 0; i < M && rc == 0; i++) {
      const double e = (double)s->q[i] - s->y[i];
      loss += 0.5 * e * e / M;
      s->dq[i] = (crl_real)(e / M);
    }
    if (rc == 0)
      rc = crl__qcritic_backward(s->critic, k, s->dq, NULL);
  }
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "sac: critic loss is not finite (%g)",
                    loss);
  crl_adam_step(s->critic_adam, s->critic->params, s->critic->grads, s->lr);
  acc->critic_loss += loss;
  acc->n_critic++;
  return 0;
}

/* Temperature: d/dlog_alpha of -mean(log_alpha (logp + target)) is
 * -mean(logp + target), with logp of the current actor's samples. */
static void alpha_step(sac *s, int M) {
  double g = 0.0;
  for (int i = 0; i < M; i++)
    g -= ((double)s->logp[i] + s->target_entropy) / M;
  s->dlog_alpha[0] = (crl_real)g;
  crl_adam_step(s->alpha_adam, s->log_alpha, s->dlog_alpha, s->lr);
}

/* dact [M, act_dim] = d/da of -mean_i min_k Q_k(s_i, a_i): the gradient
 * reaches, per row, the critic that gave the minimum. Also the loss. */
static int min_q_backward(sac *s, int M, double alpha, double *loss) {
  const int n = s->cfg.n_critics;
  int rc = 0;
  for (int k = 0; k < n && rc == 0; k++)
    rc = crl__qcritic_forward(s->critic, k, s->q + (size_t)k * M);
  if (rc)
    return rc;
  memset(s->dact, 0, (size_t)M * s->act_dim * sizeof *s->dact);
  *loss = 0.0;
  for (int k = 0; k < n && rc == 0; k++) {
    int used = 0;
    for (int i = 0; i < M; i++) {
      int which;
      const double m = q_min(s, M, i, &which);
      if (k == 0)
        *loss += (alpha * s->logp[i] - m) / M;
      s->dq[i] = (crl_real)(which == k ? -1.0 / M : 0.0);
      used |= which == k;
    }
    if (used)
      rc = crl__qcritic_action_grad(s->critic, k, s->dq, s->dact);
  }
  return rc;
}

/* Actor: minimise mean(alpha log pi(a|s) - min_k Q_k(s, a)), a reparameterised.
 */
static int actor_step(sac *s, const crl_replay_batch *b, double alpha,
                      crl__offpolicy_losses *acc) {
  const int M = b->n, A = s->act_dim;
  int rc = actor_forward(s, b->obs, M);
  if (rc)
    return rc;
  sample(s, M, s->noise_rng);
  double ent = 0.0;
  for (int i = 0; i < M; i++)
    ent -= (double)s->logp[i] / M;
  if (s->learn_alpha)
    alpha_step(s, M);
  double loss = 0.0;
  rc = crl__qcritic_set_input(s->critic, b->obs, s->act, M);
  if (rc == 0)
    rc = min_q_backward(s, M, alpha, &loss);
  if (rc)
    return rc;
  if (!isfinite(loss))
    return crl_fail(CRL_ENONFINITE, "sac: actor loss is not finite (%g)", loss);
  for (int i = 0; i < M; i++)
    s->dlogp[i] = (crl_real)(alpha / M);
  crl_squashed_sample_backward(M, A, s->mean, s->log_std, s->cfg.log_std_min,
                               s->cfg.log_std_max, s->eps, s->dact, s->dlogp,
                               s->dmean, s->dlog_std);
  for (int i = 0; i < M; i++) {
    crl_real *row = s->dout + (size_t)i * 2 * A; /* [dmean | dlog_std] */
    memcpy(row, s->dmean + (size_t)i * A, (size_t)A * sizeof(crl_real));
    memcpy(row + A, s->dlog_std + (size_t)i * A, (size_t)A * sizeof(crl_real));
  }
  crl_mlp_zero_grad(s->actor);
  rc = crl_mlp_backward(s->actor, s->dout, M, NULL);
  if (rc)
    return rc;
  crl_adam_step(s->actor_adam, crl_mlp_params(s->actor),
                crl_mlp_grads(s->actor), s->lr);
  acc->actor_loss += loss;
  acc->n_actor++;
  acc->entropy += ent;
  acc->n_entropy++;
  return 0;
}

/* The actor's forward on next_obs (targets) runs before the one on obs, so
 * that the activations backward needs are the last ones; the actor does
 * not change in between, so this is SB3's update in another order. */
static int sac_update(void *self, const crl_replay_batch *b,
                      crl__offpolicy_losses *acc) {
  sac *s = self;
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

/* ---- acting -------------------------------------------------------------- */

static int sac_explore(void *self, const crl_real *obs, int B,
                       crl_real *action) {
  sac *s = self;
  int rc = actor_forward(s, obs, B);
  if (rc)
    return rc;
  crl_squashed_sample(B, s->act_dim, s->mean, s->log_std, s->cfg.log_std_min,
                      s->cfg.log_std_max, s->loop->act_rng, s->eps, action,
                      NULL);
  return 0;
}

static int sac_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *stats) {
  sac *s = self;
  s->lr = crl_schedule_value(&s->cfg.learning_rate, progress_remaining);
  stats->learning_rate = s->lr;
  return crl__offpolicy_iterate(s->loop, venv, stats);
}

/* tanh(mean) when deterministic, else a sample; in the env's bounds. */
static int sac_act(void *self, const crl_real *obs, int B, int deterministic,
                   crl_real *action) {
  sac *s = self;
  for (int start = 0; start < B; start += s->max_batch) {
    const int b = B - start < s->max_batch ? B - start : s->max_batch;
    int rc = actor_forward(
        s, crl__offpolicy_input(s->loop, obs + (size_t)start * s->obs_dim, b),
        b);
    if (rc)
      return rc;
    if (deterministic)
      crl_squashed_mode(b, s->act_dim, s->mean, s->act);
    else
      crl_squashed_sample(b, s->act_dim, s->mean, s->log_std,
                          s->cfg.log_std_min, s->cfg.log_std_max,
                          s->loop->act_rng, s->eps, s->act, NULL);
    crl__offpolicy_unscale(s->loop, s->act, b,
                           action + (size_t)start * s->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

static int sac_sections(void *self, crl_state_io *io) {
  sac *s = self;
  const size_t na = crl_mlp_n_params(s->actor), nc = s->critic->n_params;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "actor", crl_mlp_params(s->actor), na, 0),
      CRL_STATE(REAL, "critic", s->critic->params, nc, 0),
      CRL_STATE(REAL, "critic_target", s->critic_target->params, nc, 0),
      CRL_STATE(REAL, "log_alpha", s->log_alpha, 1, 0),
      CRL_STATE_OBJ("actor_adam", crl_adam_sections, s->actor_adam),
      CRL_STATE_OBJ("critic_adam", crl_adam_sections, s->critic_adam),
      CRL_STATE_OBJ("alpha_adam", crl_adam_sections, s->alpha_adam),
      CRL_STATE(LONG, "n_updates", &s->n_updates, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("noise_rng", crl_rng_sections, s->noise_rng),
      CRL_STATE_OBJ("loop", crl__offpolicy_sections, s->loop),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int sac_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "sac", sac_sections, self);
}

static int sac_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "sac", sac_sections, self);
}

/* The deterministic policy tanh(mean): a copy of the actor that keeps only
 * the mean rows of its last layer (W_L [2A, in] row-major, then b_L [2A]:
 * the first A rows of each), with the policy file's tanh-to-bounds output. */
static int sac_export(void *self, int max_batch, crl_policy **out) {
  sac *s = self;
  const crl_mlp_spec *full = crl_mlp_get_spec(s->actor);
  crl_mlp_spec spec = *full;
  const int L = spec.n_layers, A = s->act_dim, in = spec.sizes[L - 1];
  spec.sizes[L] = A;
  spec.max_batch = 1;
  crl_mlp *mean = NULL;
  int rc = crl_mlp_alloc(&spec, NULL, NULL, &mean);
  if (rc)
    return rc;
  const crl_real *src = crl_mlp_params(s->actor);
  crl_real *dst = crl_mlp_params(mean);
  const size_t body = crl_mlp_n_params(s->actor) -
                      (size_t)2 * A * ((size_t)in + 1); /* layers before L */
  const size_t w = (size_t)A * in;
  memcpy(dst, src, body * sizeof *dst);
  memcpy(dst + body, src + body, w * sizeof *dst);             /* W rows */
  memcpy(dst + body + w, src + body + 2 * w, A * sizeof *dst); /* b */
  const crl_space act = crl__offpolicy_act_space(s->loop);
  rc = crl__policy_from_parts(mean, s->loop->obs_norm, &act, CRL_POLICY_TANH,
                              max_batch, out);
  crl_mlp_free(mean);
  return rc;
}

static long sac_steps_per_iteration(const void *spec, int n_envs) {
  return crl__offpolicy_steps_per_iteration(&((const sac_spec *)spec)->off,
                                            n_envs);
}

const crl_algo_type crl__algo_sac = {
    .name = "sac",
    .doc = "Soft Actor-Critic with learned temperature (SB3 semantics)",
    .params = sac_params,
    .spec_size = sizeof(sac_spec),
    .create = sac_create,
    .iterate = sac_iterate,
    .act = sac_act,
    .destroy = sac_destroy,
    .save = sac_save,
    .load = sac_load,
    .export_policy = sac_export,
    .steps_per_iteration = sac_steps_per_iteration,
};
