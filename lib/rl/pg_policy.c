/* Policy and state value for REINFORCE/VPG and the book's actor-critics:
 * an MLP actor-critic or a linear softmax, with an optional probability
 * floor (see pg_policy.h for the definitions). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/dist.h"
#include "crl/error.h"
#include "crl/normalizer.h"
#include "crl/state.h"
#include "io/policy_internal.h"
#include "rl/pg_policy.h"

/* ---- linear maps ------------------------------------------------------- */

void crl__linear_forward(int B, int in, int out, const crl_real *W,
                         const crl_real *x, crl_real *y) {
  for (int i = 0; i < B; i++)
    for (int k = 0; k < out; k++) {
      double s = 0.0;
      for (int d = 0; d < in; d++)
        s += (double)W[(size_t)k * in + d] * (double)x[(size_t)i * in + d];
      y[(size_t)i * out + k] = (crl_real)s;
    }
}

void crl__linear_backward(int B, int in, int out, const crl_real *x,
                          const crl_real *dy, crl_real *dW) {
  for (int i = 0; i < B; i++)
    for (int k = 0; k < out; k++) {
      crl_real g = dy[(size_t)i * out + k];
      for (int d = 0; d < in; d++)
        dW[(size_t)k * in + d] += g * x[(size_t)i * in + d];
    }
}

/* ---- the floor --------------------------------------------------------- */

void crl__floor_softmax(int K, const crl_real *logits, double floor,
                        crl_real *probs) {
  double m = logits[0];
  for (int k = 1; k < K; k++)
    if (logits[k] > m)
      m = logits[k];
  double z = 0.0;
  for (int k = 0; k < K; k++)
    z += exp((double)logits[k] - m);
  for (int k = 0; k < K; k++)
    probs[k] = (crl_real)(exp((double)logits[k] - m) / z);
  if (floor <= 0.0)
    return;
  /* Raise the ones below the floor; scale the rest into the remaining
   * mass. Scaling down can push another below the floor: repeat (at most K
   * rounds, each fixes at least one more). */
  for (int round = 0; round < K; round++) {
    int n_low = 0;
    double free_mass = 0.0;
    for (int k = 0; k < K; k++) {
      if (probs[k] <= (crl_real)floor)
        n_low++;
      else
        free_mass += probs[k];
    }
    if (n_low == 0 || free_mass <= 0.0)
      return;
    double scale = (1.0 - n_low * floor) / free_mass;
    int changed = 0;
    for (int k = 0; k < K; k++) {
      if (probs[k] <= (crl_real)floor) {
        changed |= probs[k] != (crl_real)floor;
        probs[k] = (crl_real)floor;
      } else {
        probs[k] = (crl_real)(probs[k] * scale);
      }
    }
    if (!changed)
      return;
  }
}

void crl__floor_score(int K, const crl_real *probs, int a, crl_real coef,
                      crl_real *dlogits) {
  for (int b = 0; b < K; b++)
    dlogits[b] = coef * ((b == a ? (crl_real)1 : 0) - probs[b]);
}

/* ---- allocation ---------------------------------------------------------- */

static int check_spec(const crl__pgp_spec *s, const crl_space *obs,
                      const crl_space *act) {
  int discrete = act->kind == CRL_SPACE_DISCRETE;
  if (obs->kind != CRL_SPACE_BOX)
    return crl_fail(CRL_EUNSUPPORTED, "policy: observations must be a Box");
  if (s->linear && !discrete)
    return crl_fail(CRL_EUNSUPPORTED,
                    "policy: the linear softmax needs discrete actions (use "
                    "the MLP policy for a Box action space)");
  if (s->prob_floor > 0.0 && !discrete)
    return crl_fail(CRL_EUNSUPPORTED,
                    "policy: prob_floor applies to discrete actions only");
  if (discrete && s->prob_floor * act->n >= 1.0)
    return crl_fail(CRL_EINVAL, "policy: prob_floor %g must be below 1/K = %g",
                    s->prob_floor, 1.0 / act->n);
  size_t want = (size_t)act->n * (size_t)obs->dim;
  if (s->theta_init.n > 0 && (!s->linear || (size_t)s->theta_init.n != want))
    return crl_fail(CRL_EINVAL,
                    "policy: theta_init needs the linear policy and K*D = %zu "
                    "values (theta[a][d], action-major), got %d",
                    s->linear ? want : (size_t)0, s->theta_init.n);
  return 0;
}

static int alloc_buffers(crl__pgp *p) {
  const size_t B = (size_t)p->max_batch, K = (size_t)p->n_out;
  const size_t D = (size_t)p->obs_dim;
  const size_t L = p->linear ? K * D + D : 0, X = p->linear ? B * D : 0;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&p->own_params, CRL__BUF_REAL, L},     /* [K*D + D] or [0] */
    {(void **)&p->own_grads,  CRL__BUF_REAL, L},     /* [K*D + D] or [0] */
    {(void **)&p->x_pi,       CRL__BUF_REAL, X},     /* [max_batch, D] or [0] */
    {(void **)&p->x_v,        CRL__BUF_REAL, X},     /* [max_batch, D] or [0] */
    {(void **)&p->probs,      CRL__BUF_REAL, B * K}, /* [max_batch, K] */
    {(void **)&p->dout,       CRL__BUF_REAL, B * K}, /* [max_batch, n_out] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "policy");
}

/* theta [K, D] then w [D], theta_0 from the spec (or 0) and w_0 = 0. */
static void init_linear(crl__pgp *p, const crl__pgp_spec *s) {
  size_t K = (size_t)p->n_out, D = (size_t)p->obs_dim;
  p->n_pi = K * D;
  p->n_params = K * D + D;
  for (int i = 0; i < s->theta_init.n; i++)
    p->own_params[i] = (crl_real)s->theta_init.v[i];
  p->params = p->own_params;
  p->grads = p->own_grads;
}

static int alloc_mlp(crl__pgp *p, const crl__pgp_spec *s, const crl_space *obs,
                     const crl_space *act, gsl_rng *rng) {
  int rc = crl__ac_alloc(&s->ac, obs, act, rng, &p->ac);
  if (rc)
    return rc;
  p->params = p->ac->params;
  p->grads = p->ac->grads;
  p->n_params = p->ac->n_params;
  p->n_pi = p->ac->n_params - crl_mlp_n_params(p->ac->critic);
  return 0;
}

int crl__pgp_alloc(const crl__pgp_spec *spec, const crl_space *obs,
                   const crl_space *act, gsl_rng *init_rng, crl__pgp **out) {
  *out = NULL;
  int rc = check_spec(spec, obs, act);
  if (rc)
    return rc;
  if (spec->ac.max_batch < 1)
    return crl_fail(CRL_EINVAL, "policy: max_batch must be >= 1");
  crl__pgp *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "policy: out of memory");
  p->linear = spec->linear;
  p->discrete = act->kind == CRL_SPACE_DISCRETE;
  p->obs_dim = obs->dim;
  p->act_dim = p->discrete ? 1 : act->dim;
  p->n_out = p->discrete ? act->n : act->dim;
  p->max_batch = spec->ac.max_batch;
  p->floor = spec->prob_floor;
  rc = alloc_buffers(p);
  if (rc == 0 && p->linear)
    init_linear(p, spec);
  else if (rc == 0)
    rc = alloc_mlp(p, spec, obs, act, init_rng);
  if (rc) {
    crl__pgp_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

void crl__pgp_free(crl__pgp *p) {
  if (p == NULL)
    return;
  crl__ac_free(p->ac);
  free(p->block);
  free(p);
}

void crl__pgp_zero_grad(crl__pgp *p) {
  memset(p->grads, 0, p->n_params * sizeof *p->grads);
}

/* ---- actor ------------------------------------------------------------- */

static int check_batch(const crl__pgp *p, int B) {
  if (B < 1 || B > p->max_batch)
    return crl_fail(CRL_ESHAPE, "policy: batch %d outside [1, %d]", B,
                    p->max_batch);
  return 0;
}

int crl__pgp_actor_forward(crl__pgp *p, const crl_real *obs, int B,
                           crl_real *dist) {
  int rc = check_batch(p, B);
  if (rc)
    return rc;
  if (!p->linear)
    return crl__ac_actor_forward(p->ac, obs, B, dist);
  /* Keep x for the backward pass: theta's gradient is dh x^T. */
  memcpy(p->x_pi, obs, (size_t)B * p->obs_dim * sizeof *obs);
  crl__linear_forward(B, p->obs_dim, p->n_out, p->params, obs, dist);
  return 0;
}

void crl__pgp_probs(const crl__pgp *p, const crl_real *dist, int B,
                    crl_real *probs) {
  const int K = p->n_out;
  for (int i = 0; i < B; i++)
    crl__floor_softmax(K, dist + (size_t)i * K, p->floor,
                       probs + (size_t)i * K);
}

/* An index drawn from one row of probabilities. */
static int draw(int K, const crl_real *probs, gsl_rng *rng) {
  double u = gsl_rng_uniform(rng), c = 0.0;
  for (int k = 0; k < K - 1; k++) {
    c += probs[k];
    if (u < c)
      return k;
  }
  return K - 1;
}

void crl__pgp_sample(crl__pgp *p, const crl_real *dist, int B,
                     int deterministic, gsl_rng *rng, crl_real *actions) {
  const int K = p->n_out;
  if (!p->discrete) {
    crl__ac_sample(p->ac, dist, B, deterministic, rng, actions);
  } else if (deterministic) {
    crl_cat_mode(B, K, dist, actions); /* the floor keeps the order */
  } else {
    crl__pgp_probs(p, dist, B, p->probs);
    for (int i = 0; i < B; i++)
      actions[i] = (crl_real)draw(K, p->probs + (size_t)i * K, rng);
  }
}

void crl__pgp_log_prob(crl__pgp *p, const crl_real *dist,
                       const crl_real *actions, int B, crl_real *logp) {
  const int K = p->n_out;
  if (!p->discrete || p->floor <= 0.0) {
    if (p->discrete)
      crl_cat_log_prob(B, K, dist, actions, logp); /* stable log-softmax */
    else
      crl__ac_log_prob(p->ac, dist, actions, B, logp);
    return;
  }
  crl__pgp_probs(p, dist, B, p->probs);
  for (int i = 0; i < B; i++) {
    int a = (int)actions[i];
    logp[i] = a >= 0 && a < K ? (crl_real)log(p->probs[(size_t)i * K + a])
                              : (crl_real)NAN;
  }
}

double crl__pgp_entropy_mean(crl__pgp *p, const crl_real *dist, int B) {
  if (!p->discrete)
    return crl__ac_entropy_mean(p->ac, dist, B);
  const int K = p->n_out;
  crl__pgp_probs(p, dist, B, p->probs);
  double s = 0.0;
  for (size_t j = 0; j < (size_t)B * K; j++)
    if (p->probs[j] > 0)
      s -= (double)p->probs[j] * log((double)p->probs[j]);
  return s / B;
}

/* dL/dh [B, K] for L = sum_i dlogp[i] ln pi(a_i|s_i), floored or not. */
static void discrete_dout(crl__pgp *p, const crl_real *dist,
                          const crl_real *actions, int B,
                          const crl_real *dlogp) {
  const int K = p->n_out;
  crl__pgp_probs(p, dist, B, p->probs);
  for (int i = 0; i < B; i++) {
    int a = (int)actions[i];
    crl__floor_score(K, p->probs + (size_t)i * K, a, dlogp[i],
                     p->dout + (size_t)i * K);
  }
}

int crl__pgp_actor_backward(crl__pgp *p, const crl_real *dist,
                            const crl_real *actions, int B,
                            const crl_real *dlogp) {
  int rc = check_batch(p, B);
  if (rc)
    return rc;
  if (!p->discrete)
    return crl__ac_actor_backward(p->ac, dist, actions, B, dlogp, 0.0);
  discrete_dout(p, dist, actions, B, dlogp);
  if (p->linear) {
    crl__linear_backward(B, p->obs_dim, p->n_out, p->x_pi, p->dout, p->grads);
    return 0;
  }
  return crl_mlp_backward(p->ac->actor, p->dout, B, NULL);
}

/* ---- state value --------------------------------------------------------- */

int crl__pgp_value_forward(crl__pgp *p, const crl_real *obs, int B,
                           crl_real *values) {
  int rc = check_batch(p, B);
  if (rc)
    return rc;
  if (!p->linear)
    return crl__ac_critic_forward(p->ac, obs, B, values);
  memcpy(p->x_v, obs, (size_t)B * p->obs_dim * sizeof *obs);
  crl__linear_forward(B, p->obs_dim, 1, p->params + p->n_pi, obs, values);
  return 0;
}

int crl__pgp_value_backward(crl__pgp *p, const crl_real *dv, int B) {
  int rc = check_batch(p, B);
  if (rc)
    return rc;
  if (!p->linear)
    return crl__ac_critic_backward(p->ac, dv, B);
  crl__linear_backward(B, p->obs_dim, 1, p->x_v, dv, p->grads + p->n_pi);
  return 0;
}

void crl__pgp_env_actions(const crl__pgp *p, const crl_real *actions, int B,
                          crl_real *out) {
  if (p->ac != NULL) {
    crl__ac_clip_actions(p->ac, actions, B, out);
    return;
  }
  memcpy(out, actions, (size_t)B * p->act_dim * sizeof *out);
}

/* ---- checkpoints and export ---------------------------------------------- */

int crl__pgp_sections(void *pgp, crl_state_io *io) {
  crl__pgp *p = pgp;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "params", p->params, p->n_params, 0),
      CRL_STATE_OBJ("norm", crl_normalizer_sections,
                    p->ac ? p->ac->norm : NULL),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

/* The linear softmax as a one-layer network with zero biases: its argmax
 * is the policy's most likely action (the floor keeps the order). */
static int export_linear(const crl__pgp *p, int max_batch, crl_policy **out) {
  const size_t KD = (size_t)p->n_out * (size_t)p->obs_dim;
  crl_mlp_spec spec = {.n_layers = 1,
                       .sizes = {p->obs_dim, p->n_out},
                       .hidden_activation = CRL_ACT_IDENTITY,
                       .output_activation = CRL_ACT_IDENTITY,
                       .max_batch = 1};
  crl_mlp *net = NULL;
  int rc = crl_mlp_alloc(&spec, NULL, NULL, &net);
  if (rc)
    return rc;
  crl_real *w = crl_mlp_params(net); /* W [K, D] then b [K] */
  memcpy(w, p->params, KD * sizeof *w);
  memset(w + KD, 0, (size_t)p->n_out * sizeof *w);
  const crl_space act = {CRL_SPACE_DISCRETE, 1, p->n_out, NULL, NULL};
  rc = crl__policy_from_parts(net, NULL, &act, CRL_POLICY_ARGMAX, max_batch,
                              out);
  crl_mlp_free(net);
  return rc;
}

int crl__pgp_export(const crl__pgp *p, int max_batch, crl_policy **out) {
  if (p->linear)
    return export_linear(p, max_batch, out);
  const crl__ac *ac = p->ac;
  return crl__policy_from_parts(
      ac->actor, ac->norm, &ac->act_space,
      ac->discrete ? CRL_POLICY_ARGMAX : CRL_POLICY_CLIP, max_batch, out);
}
