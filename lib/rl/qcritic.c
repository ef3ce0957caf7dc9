/* n Q(obs, act) networks on one flat parameter vector. */
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "core/pool.h"
#include "crl/error.h"
#include "rl/qcritic.h"

int crl__qcritic_alloc(int n, int obs_dim, int act_dim,
                       const crl_int_list *hidden, crl_activation act,
                       int max_batch, crl__qcritic **out) {
  return crl__qcritic_alloc_outputs(n, obs_dim, act_dim, hidden, act, 1,
                                    max_batch, out);
}

int crl__qcritic_alloc_outputs(int n, int obs_dim, int act_dim,
                               const crl_int_list *hidden, crl_activation act,
                               int n_out, int max_batch, crl__qcritic **out) {
  *out = NULL;
  if (n < 1 || n > CRL_QCRITIC_MAX)
    return crl_fail(CRL_EINVAL, "critic: n_critics %d outside [1, %d]", n,
                    CRL_QCRITIC_MAX);
  if (obs_dim < 1 || act_dim < 1 || max_batch < 1 || n_out < 1)
    return crl_fail(CRL_EINVAL,
                    "critic: obs_dim %d, act_dim %d, outputs %d, max_batch "
                    "%d must be >= 1",
                    obs_dim, act_dim, n_out, max_batch);
  crl_mlp_spec ms = crl_mlp_spec_make(obs_dim + act_dim, hidden->n, hidden->v,
                                      n_out, act, CRL_ACT_IDENTITY, max_batch);
  const size_t per = crl_mlp_param_count(&ms);
  if (per == 0)
    return crl_fail(CRL_EINVAL,
                    "critic: invalid net_arch (at most %d hidden "
                    "layers, each of size >= 1)",
                    CRL_MLP_MAX_LAYERS - 1);
  crl__qcritic *qc = calloc(1, sizeof *qc);
  if (qc == NULL)
    return crl_fail(CRL_ENOMEM, "critic: out of memory");
  qc->n = n;
  qc->n_out = n_out;
  qc->obs_dim = obs_dim;
  qc->act_dim = act_dim;
  qc->in_dim = obs_dim + act_dim;
  qc->max_batch = max_batch;
  qc->n_params = per * (size_t)n;
  const size_t rows = (size_t)max_batch * (size_t)qc->in_dim;
  const size_t outs = (size_t)max_batch * (size_t)n_out;
  /* clang-format off */
  const crl__buf bufs[] = {
      {(void **)&qc->params, CRL__BUF_REAL, qc->n_params}, /* [n_params] */
      {(void **)&qc->grads,  CRL__BUF_REAL, qc->n_params}, /* [n_params] */
      {(void **)&qc->x,      CRL__BUF_REAL, rows},     /* [max_batch, in_dim] */
      {(void **)&qc->dx,     CRL__BUF_REAL, n * rows}, /* [n, max_batch, in_dim] */
      {(void **)&qc->dq,     CRL__BUF_REAL, n * outs}, /* [n, max_batch, n_out] */
  };
  /* clang-format on */
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &qc->block, "critic");
  for (int k = 0; k < n && rc == 0; k++)
    rc = crl_mlp_alloc(&ms, qc->params + (size_t)k * per,
                       qc->grads + (size_t)k * per, &qc->q[k]);
  if (rc) {
    crl__qcritic_free(qc);
    return rc;
  }
  *out = qc;
  return 0;
}

void crl__qcritic_free(crl__qcritic *qc) {
  if (qc == NULL)
    return;
  for (int k = 0; k < qc->n; k++)
    crl_mlp_free(qc->q[k]);
  free(qc->block);
  free(qc);
}

int crl__qcritic_init(crl__qcritic *qc, gsl_rng *rng) {
  for (int k = 0; k < qc->n; k++) {
    int rc = crl_mlp_init(qc->q[k], CRL_INIT_TORCH, 1.0, 1.0, rng);
    if (rc)
      return rc;
  }
  return 0;
}

void crl__qcritic_zero_grad(crl__qcritic *qc) {
  memset(qc->grads, 0, qc->n_params * sizeof(crl_real));
}

int crl__qcritic_set_input(crl__qcritic *qc, const crl_real *obs,
                           const crl_real *act, int B) {
  if (B < 1 || B > qc->max_batch)
    return crl_fail(CRL_ESHAPE, "critic: batch %d outside [1, %d]", B,
                    qc->max_batch);
  const size_t so = (size_t)qc->obs_dim * sizeof(crl_real);
  const size_t sa = (size_t)qc->act_dim * sizeof(crl_real);
  for (int i = 0; i < B; i++) {
    crl_real *row = qc->x + (size_t)i * qc->in_dim; /* [in_dim] */
    memcpy(row, obs + (size_t)i * qc->obs_dim, so);
    memcpy(row + qc->obs_dim, act + (size_t)i * qc->act_dim, sa);
  }
  qc->batch = B;
  return 0;
}

static int check_k(const crl__qcritic *qc, int k) {
  if (k < 0 || k >= qc->n)
    return crl_fail(CRL_EINVAL, "critic: index %d outside [0, %d)", k, qc->n);
  if (qc->batch < 1)
    return crl_fail(CRL_ESTATE, "critic: no input set");
  return 0;
}

int crl__qcritic_forward(crl__qcritic *qc, int k, crl_real *q) {
  int rc = check_k(qc, k);
  return rc ? rc : crl_mlp_forward(qc->q[k], qc->x, qc->batch, q);
}

/* Network k's input gradient [max_batch, in_dim]. */
static crl_real *dx_of(const crl__qcritic *qc, int k) {
  return qc->dx + (size_t)k * qc->max_batch * qc->in_dim;
}

/* dact [B, act_dim] += the action columns of network k's dx [B, in_dim]. */
static void add_action_part(const crl__qcritic *qc, int k, crl_real *dact) {
  const crl_real *dx = dx_of(qc, k);
  for (int i = 0; i < qc->batch; i++) {
    const crl_real *g = dx + (size_t)i * qc->in_dim + qc->obs_dim;
    crl_real *d = dact + (size_t)i * qc->act_dim; /* [act_dim] */
    for (int j = 0; j < qc->act_dim; j++)
      d[j] += g[j];
  }
}

int crl__qcritic_backward(crl__qcritic *qc, int k, const crl_real *dq,
                          crl_real *dact) {
  int rc = check_k(qc, k);
  if (rc == 0)
    rc = crl_mlp_backward(qc->q[k], dq, qc->batch, dact ? dx_of(qc, k) : NULL);
  if (rc == 0 && dact != NULL)
    add_action_part(qc, k, dact);
  return rc;
}

int crl__qcritic_action_grad(crl__qcritic *qc, int k, const crl_real *dq,
                             crl_real *dact) {
  int rc = check_k(qc, k);
  rc = rc ? rc : crl_mlp_backward_input(qc->q[k], dq, qc->batch, dx_of(qc, k));
  if (rc == 0)
    add_action_part(qc, k, dact);
  return rc;
}

/* ---- the n networks at once -------------------------------------------- */

/* What a task of the _all functions needs. */
typedef struct all_job {
  crl__qcritic *qc;
  crl_real *q;               /* [n, B, n_out] */
  crl__qcritic_loss_fn fn;   /* train_all */
  void *ctx;                 /* fn's */
  double *loss;              /* [n] */
  const crl_real *const *dq; /* action_grad_all: [n] of [B, n_out] or NULL */
} all_job;

static crl_real *q_of(const all_job *j, int k) {
  return j->q + (size_t)k * j->qc->batch * j->qc->n_out;
}

static int forward_task(void *c, int k) {
  const all_job *j = c;
  return crl_mlp_forward(j->qc->q[k], j->qc->x, j->qc->batch, q_of(j, k));
}

static int train_task(void *c, int k) {
  const all_job *j = c;
  crl__qcritic *qc = j->qc;
  crl_real *dq = qc->dq + (size_t)k * qc->max_batch * qc->n_out;
  int rc = crl_mlp_forward(qc->q[k], qc->x, qc->batch, q_of(j, k));
  if (rc)
    return rc;
  j->loss[k] = j->fn(j->ctx, k, q_of(j, k), qc->batch, dq);
  return crl_mlp_backward(qc->q[k], dq, qc->batch, NULL);
}

static int action_grad_task(void *c, int k) {
  const all_job *j = c;
  if (j->dq[k] == NULL)
    return 0;
  return crl_mlp_backward_input(j->qc->q[k], j->dq[k], j->qc->batch,
                                dx_of(j->qc, k));
}

int crl__qcritic_forward_all(crl__qcritic *qc, crl_real *q) {
  int rc = check_k(qc, 0);
  all_job j = {.qc = qc, .q = q};
  return rc ? rc : crl__pool_each(qc->n, forward_task, &j);
}

int crl__qcritic_train_all(crl__qcritic *qc, crl_real *q,
                           crl__qcritic_loss_fn fn, void *ctx, double *loss) {
  int rc = check_k(qc, 0);
  all_job j = {.qc = qc, .q = q, .fn = fn, .ctx = ctx, .loss = loss};
  return rc ? rc : crl__pool_each(qc->n, train_task, &j);
}

int crl__qcritic_action_grad_all(crl__qcritic *qc, const crl_real *const *dq,
                                 crl_real *dact) {
  int rc = check_k(qc, 0);
  all_job j = {.qc = qc, .dq = dq};
  if (rc == 0)
    rc = crl__pool_each(qc->n, action_grad_task, &j);
  for (int k = 0; k < qc->n && rc == 0; k++)
    if (dq[k] != NULL)
      add_action_part(qc, k, dact);
  return rc;
}

size_t crl__qcritic_macs_per_row(const crl__qcritic *qc) {
  const crl_mlp_spec *s = crl_mlp_get_spec(qc->q[0]);
  size_t m = 0;
  for (int l = 0; l < s->n_layers; l++)
    m += (size_t)s->sizes[l] * (size_t)s->sizes[l + 1];
  return m;
}
