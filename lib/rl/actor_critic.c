/* The actor-critic policy shared by on-policy algorithms (see the header). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "rl/actor_critic.h"
#include "rl/sde.h"

static crl_mlp_spec net_spec(const crl__ac_spec *s, int in, int out, int B) {
  return crl_mlp_spec_make(in, s->net_arch.n, s->net_arch.v, out,
                           (crl_activation)s->activation, CRL_ACT_IDENTITY, B);
}

/* Initialise as SB3's ActorCriticPolicy: orthogonal weights with gain
 * sqrt(2) in hidden layers, 0.01 for the action head and 1 for the value
 * head; or PyTorch's default when ortho_init is off. */
static int init_params(crl__ac *ac, const crl__ac_spec *s, gsl_rng *rng) {
  crl_init kind = s->ortho_init ? CRL_INIT_ORTHOGONAL : CRL_INIT_TORCH;
  int rc = crl_mlp_init(ac->actor, kind, sqrt(2.0), 0.01, rng);
  if (rc == 0)
    rc = crl_mlp_init(ac->critic, kind, sqrt(2.0), 1.0, rng);
  const int n_log_std =
      ac->sde ? crl__sde_n_log_std(ac->sde->L, ac->act_dim, s->full_std)
              : ac->act_dim;
  if (ac->log_std)
    for (int j = 0; j < n_log_std; j++)
      ac->log_std[j] = (crl_real)s->log_std_init;
  return rc;
}

/* gSDE's features: the actor's last hidden layer (its input without one). */
static int sde_features(const crl__ac_spec *s, int obs_dim) {
  return s->net_arch.n > 0 ? s->net_arch.v[s->net_arch.n - 1] : obs_dim;
}

static const crl_real *sde_phi(const crl__ac *ac) {
  return crl_mlp_layer_input(ac->actor,
                             crl_mlp_get_spec(ac->actor)->n_layers - 1);
}

static int check_spaces(const crl_space *obs, const crl_space *act) {
  if (obs->kind != CRL_SPACE_BOX)
    return crl_fail(CRL_EUNSUPPORTED,
                    "actor-critic: observation space must be a Box");
  if (act->kind == CRL_SPACE_DISCRETE && act->n < 2)
    return crl_fail(CRL_EINVAL,
                    "actor-critic: a discrete action space needs n >= 2");
  return 0;
}

int crl__ac_alloc(const crl__ac_spec *spec, const crl_space *obs,
                  const crl_space *act, gsl_rng *init_rng, crl__ac **out) {
  *out = NULL;
  int rc = check_spaces(obs, act);
  if (rc)
    return rc;
  if (spec->max_batch < 1)
    return crl_fail(CRL_EINVAL, "actor-critic: max_batch must be >= 1");
  crl__ac *ac = calloc(1, sizeof *ac);
  if (ac == NULL)
    return crl_fail(CRL_ENOMEM, "actor-critic: out of memory");
  ac->obs_space = *obs;
  ac->act_space = *act;
  ac->obs_dim = obs->dim;
  ac->discrete = act->kind == CRL_SPACE_DISCRETE;
  ac->act_dim = ac->discrete ? 1 : act->dim;
  ac->n_out = ac->discrete ? act->n : act->dim;
  ac->max_batch = spec->max_batch;

  crl_mlp_spec as = net_spec(spec, ac->obs_dim, ac->n_out, spec->max_batch);
  crl_mlp_spec cs = net_spec(spec, ac->obs_dim, 1, spec->max_batch);
  size_t n_actor = crl_mlp_param_count(&as);
  const int sde = spec->use_sde && !ac->discrete;
  const int L = sde_features(spec, ac->obs_dim);
  size_t n_log_std =
      ac->discrete ? 0
      : sde        ? (size_t)crl__sde_n_log_std(L, ac->act_dim, spec->full_std)
                   : (size_t)ac->act_dim;
  size_t n_critic = crl_mlp_param_count(&cs);
  ac->n_params = n_actor + n_log_std + n_critic;
  const size_t B = (size_t)spec->max_batch, K = (size_t)ac->n_out;
  const size_t P = ac->n_params;
  const size_t n_bounds = ac->discrete ? 0 : 2 * (size_t)ac->act_dim;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&ac->params,     CRL__BUF_REAL,   P},        /* [n_params] */
    {(void **)&ac->grads,      CRL__BUF_REAL,   P},        /* [n_params] */
    {(void **)&ac->dout,       CRL__BUF_REAL,   B * K},    /* [B, n_out] */
    {(void **)&ac->ent,        CRL__BUF_REAL,   B},        /* [B] */
    {(void **)&ac->dent,       CRL__BUF_REAL,   B},        /* [B] */
    {(void **)&ac->act_bounds, CRL__BUF_DOUBLE, n_bounds}, /* [2, act_dim] */
  };
  /* clang-format on */
  rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &ac->block, "actor-critic");
  if (rc) {
    free(ac);
    return rc;
  }
  if (!ac->discrete) {
    memcpy(ac->act_bounds, act->low, (size_t)ac->act_dim * sizeof(double));
    memcpy(ac->act_bounds + ac->act_dim, act->high,
           (size_t)ac->act_dim * sizeof(double));
    ac->act_space.low = ac->act_bounds;
    ac->act_space.high = ac->act_bounds + ac->act_dim;
  }
  ac->obs_space.low = ac->obs_space.high = NULL; /* not kept */
  rc = crl_mlp_alloc(&as, ac->params, ac->grads, &ac->actor);
  if (rc == 0 && !ac->discrete) {
    ac->log_std = ac->params + n_actor;
    ac->dlog_std = ac->grads + n_actor;
  }
  if (rc == 0)
    rc = crl_mlp_alloc(&cs, ac->params + n_actor + n_log_std,
                       ac->grads + n_actor + n_log_std, &ac->critic);
  if (rc == 0 && spec->normalize_obs)
    rc = crl_normalizer_alloc(ac->obs_dim, 10.0, &ac->norm);
  if (rc == 0 && sde)
    rc = crl__sde_alloc(L, ac->act_dim, spec->full_std, spec->use_expln,
                        spec->max_batch,
                        spec->sde_rows > 0 ? spec->sde_rows : 1, &ac->sde);
  ac->sde_sample_freq = spec->sde_sample_freq;
  if (rc == 0)
    rc = init_params(ac, spec, init_rng);
  if (rc) {
    crl__ac_free(ac);
    return rc;
  }
  *out = ac;
  return 0;
}

int crl__ac_worker_alloc(const crl__ac *ac, int max_batch, crl__ac **out) {
  *out = NULL;
  if (ac->sde != NULL)
    return crl_fail(CRL_EUNSUPPORTED,
                    "actor-critic: no worker copies with gSDE (its "
                    "exploration state is the policy's own)");
  crl__ac *w = calloc(1, sizeof *w);
  if (w == NULL)
    return crl_fail(CRL_ENOMEM, "actor-critic: out of memory");
  *w = *ac; /* spaces, sizes; the pointers are set below */
  w->max_batch = max_batch;
  w->norm = NULL;
  const size_t B = (size_t)max_batch, K = (size_t)ac->n_out;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&w->grads, CRL__BUF_REAL, ac->n_params}, /* [n_params] */
    {(void **)&w->dout,  CRL__BUF_REAL, B * K},        /* [B, n_out] */
    {(void **)&w->ent,   CRL__BUF_REAL, B},            /* [B] */
    {(void **)&w->dent,  CRL__BUF_REAL, B},            /* [B] */
  };
  /* clang-format on */
  w->actor = w->critic = NULL;
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &w->block, "actor-critic");
  if (rc) {
    free(w);
    return rc;
  }
  crl_mlp_spec as = *crl_mlp_get_spec(ac->actor);
  crl_mlp_spec cs = *crl_mlp_get_spec(ac->critic);
  as.max_batch = cs.max_batch = max_batch;
  const size_t n_actor = crl_mlp_n_params(ac->actor);
  const size_t critic_at = ac->n_params - crl_mlp_n_params(ac->critic);
  rc = crl_mlp_alloc(&as, ac->params, w->grads, &w->actor);
  if (rc == 0 && ac->log_std != NULL)
    w->dlog_std = w->grads + n_actor;
  if (rc == 0)
    rc = crl_mlp_alloc(&cs, ac->params + critic_at, w->grads + critic_at,
                       &w->critic);
  if (rc) {
    crl__ac_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

void crl__ac_free(crl__ac *ac) {
  if (ac == NULL)
    return;
  crl_mlp_free(ac->actor);
  crl_mlp_free(ac->critic);
  crl_normalizer_free(ac->norm);
  crl__sde_free(ac->sde);
  free(ac->block);
  free(ac);
}

void crl__ac_zero_grad(crl__ac *ac) {
  memset(ac->grads, 0, ac->n_params * sizeof *ac->grads);
}

void crl__ac_normalize(crl__ac *ac, const crl_real *obs, int B, crl_real *out,
                       int update) {
  if (ac->norm == NULL) {
    if (out != obs)
      memcpy(out, obs, (size_t)B * ac->obs_dim * sizeof *obs);
    return;
  }
  if (update)
    crl_normalizer_update(ac->norm, obs, B);
  crl_normalizer_apply(ac->norm, obs, B, out);
}

/* With gSDE the density's variances follow from this forward's features,
 * so they are computed here once for the log-prob, entropy and backward
 * calls on the same rows that follow. */
int crl__ac_actor_forward(crl__ac *ac, const crl_real *obs_norm, int B,
                          crl_real *dist) {
  int rc = crl_mlp_forward(ac->actor, obs_norm, B, dist);
  if (rc == 0 && ac->sde)
    crl__sde_prepare(ac->sde, ac->log_std, sde_phi(ac), B);
  return rc;
}

int crl__ac_critic_forward(crl__ac *ac, const crl_real *obs_norm, int B,
                           crl_real *values) {
  /* The critic's output is [B, 1], which is the same memory as [B]. */
  return crl_mlp_forward(ac->critic, obs_norm, B, values);
}

void crl__ac_sample(const crl__ac *ac, const crl_real *dist, int B,
                    int deterministic, gsl_rng *rng, crl_real *actions) {
  if (ac->discrete) {
    if (deterministic)
      crl_cat_mode(B, ac->n_out, dist, actions);
    else
      crl_cat_sample(B, ac->n_out, dist, rng, actions);
  } else if (deterministic) {
    memcpy(actions, dist, (size_t)B * ac->act_dim * sizeof *actions);
  } else if (ac->sde) {
    crl__sde_sample(ac->sde, dist, sde_phi(ac), B, actions);
  } else {
    crl_gauss_sample(B, ac->act_dim, dist, ac->log_std, rng, actions);
  }
}

void crl__ac_sde_resample(crl__ac *ac, gsl_rng *rng) {
  if (ac->sde == NULL)
    return;
  crl__sde_redraw(ac->sde, ac->log_std, rng);
}

void crl__ac_log_prob(const crl__ac *ac, const crl_real *dist,
                      const crl_real *actions, int B, crl_real *logp) {
  if (ac->discrete) {
    crl_cat_log_prob(B, ac->n_out, dist, actions, logp);
  } else if (ac->sde) {
    crl__sde_log_prob(ac->sde, dist, actions, B, logp);
  } else {
    crl_gauss_log_prob(B, ac->act_dim, dist, ac->log_std, actions, logp);
  }
}

double crl__ac_entropy_mean(crl__ac *ac, const crl_real *dist, int B) {
  if (ac->sde) {
    return crl__sde_entropy_mean(ac->sde, B);
  }
  if (!ac->discrete)
    return (double)crl_gauss_entropy(ac->act_dim, ac->log_std);
  /* In chunks of the scratch's rows: TRPO asks for its whole batch, which
   * may exceed them (the sum runs in row order either way). */
  double s = 0.0;
  for (int c = 0; c < B; c += ac->max_batch) {
    int n = B - c < ac->max_batch ? B - c : ac->max_batch;
    crl_cat_entropy(n, ac->n_out, dist + (size_t)c * ac->n_out, ac->ent);
    for (int i = 0; i < n; i++)
      s += (double)ac->ent[i];
  }
  return s / B;
}

int crl__ac_actor_backward(crl__ac *ac, const crl_real *dist,
                           const crl_real *actions, int B,
                           const crl_real *dlogp, double dent_mean) {
  if (B > ac->max_batch)
    return crl_fail(CRL_ESHAPE, "actor-critic: batch %d exceeds capacity %d", B,
                    ac->max_batch);
  if (ac->discrete) {
    crl_cat_log_prob_backward(B, ac->n_out, dist, actions, dlogp, ac->dout);
    if (dent_mean != 0.0) {
      for (int i = 0; i < B; i++)
        ac->dent[i] = (crl_real)(dent_mean / B);
      crl_cat_entropy_backward(B, ac->n_out, dist, ac->dent, ac->dout);
    }
  } else if (ac->sde) {
    crl__sde_backward(ac->sde, ac->log_std, dist, actions, sde_phi(ac), B,
                      dlogp, dent_mean, ac->dout, ac->dlog_std);
  } else {
    crl_gauss_log_prob_backward(B, ac->act_dim, dist, ac->log_std, actions,
                                dlogp, ac->dout, ac->dlog_std);
    /* The Gaussian's entropy does not depend on the state: its mean over
     * the batch is the entropy itself. */
    if (dent_mean != 0.0)
      crl_gauss_entropy_backward(ac->act_dim, (crl_real)dent_mean,
                                 ac->dlog_std);
  }
  return crl_mlp_backward(ac->actor, ac->dout, B, NULL);
}

int crl__ac_critic_backward(crl__ac *ac, const crl_real *dv, int B) {
  return crl_mlp_backward(ac->critic, dv, B, NULL);
}

void crl__ac_clip_actions(const crl__ac *ac, const crl_real *actions, int B,
                          crl_real *out) {
  size_t n = (size_t)B * ac->act_dim;
  if (ac->discrete) {
    if (out != actions)
      memcpy(out, actions, n * sizeof *out);
    return;
  }
  for (int i = 0; i < B; i++)
    for (int j = 0; j < ac->act_dim; j++) {
      crl_real a = actions[(size_t)i * ac->act_dim + j];
      crl_real lo = (crl_real)ac->act_space.low[j];
      crl_real hi = (crl_real)ac->act_space.high[j];
      out[(size_t)i * ac->act_dim + j] = a < lo ? lo : (a > hi ? hi : a);
    }
}

int crl__ac_forward_logp(crl__ac *ac, const crl_real *obs_norm,
                         const crl_real *actions, int B, crl_real *dist,
                         crl_real *values, crl_real *logp) {
  int rc = crl__ac_actor_forward(ac, obs_norm, B, dist);
  if (rc == 0)
    rc = crl__ac_critic_forward(ac, obs_norm, B, values);
  if (rc == 0)
    crl__ac_log_prob(ac, dist, actions, B, logp);
  return rc;
}
