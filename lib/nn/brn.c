/* Batch renormalisation MLP (see brn.h). Statistics and their gradients
 * are summed in double. */
#include "nn/brn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"

#define BRN_RMAX 3.0 /* clamps of r and d, sb3-contrib's */
#define BRN_DMAX 5.0

static int width(const crl__brn_spec *s, int l) { /* input of layer l */
  return l == 0 ? s->in : s->hidden[l - 1];
}

static int out_width(const crl__brn_spec *s, int l) {
  return l == s->n_hidden ? s->out : s->hidden[l];
}

static crl_mlp_spec linear_spec(const crl__brn_spec *s, int l) {
  const int last = l == s->n_hidden;
  return crl_mlp_spec_make(
      width(s, l), 0, NULL, out_width(s, l), CRL_ACT_IDENTITY,
      last ? CRL_ACT_IDENTITY : s->activation, s->max_batch);
}

size_t crl__brn_param_count(const crl__brn_spec *s) {
  size_t n = 0;
  for (int l = 0; l <= s->n_hidden; l++) {
    const crl_mlp_spec ls = linear_spec(s, l);
    n += 2 * (size_t)width(s, l) + crl_mlp_param_count(&ls);
  }
  return n;
}

static int check_spec(const crl__brn_spec *s) {
  if (s->in < 1 || s->out < 1 || s->n_hidden < 0 ||
      s->n_hidden > CRL_MLP_MAX_LAYERS - 1 || s->max_batch < 1)
    return crl_fail(CRL_EINVAL, "brn: bad network shape");
  for (int l = 0; l < s->n_hidden; l++)
    if (s->hidden[l] < 1)
      return crl_fail(CRL_EINVAL, "brn: hidden layer %d has %d units", l,
                      s->hidden[l]);
  if (!(s->momentum >= 0 && s->momentum <= 1) || !(s->eps > 0) ||
      s->warmup_steps < 0)
    return crl_fail(CRL_EINVAL,
                    "brn: momentum %g must be in [0, 1], eps %g > 0, "
                    "warmup %ld >= 0",
                    s->momentum, s->eps, s->warmup_steps);
  return 0;
}

/* The buffers of layer l, and the largest width, in one table walk. */
static int alloc_buffers(crl__brn_net *net, int owned) {
  const crl__brn_spec *s = &net->spec;
  const size_t B = (size_t)s->max_batch, P = owned ? net->n_params : 0;
  int widest = s->out;
  for (int l = 0; l <= s->n_hidden; l++)
    widest = width(s, l) > widest ? width(s, l) : widest;
  crl__buf bufs[2 + 8 * CRL_MLP_MAX_LAYERS + 3];
  int n = 0;
  if (owned) {
    bufs[n++] = (crl__buf){(void **)&net->params, CRL__BUF_REAL, P};
    bufs[n++] = (crl__buf){(void **)&net->grads, CRL__BUF_REAL, P};
  }
  for (int l = 0; l < net->n_layers; l++) {
    crl__brn_layer *L = &net->layer[l];
    const size_t F = (size_t)L->F;
    /* clang-format off */
    const crl__buf per_layer[] = {
      {(void **)&L->ra_mean,  CRL__BUF_DOUBLE, F},     /* [F] */
      {(void **)&L->ra_var,   CRL__BUF_DOUBLE, F},     /* [F] */
      {(void **)&L->mu,       CRL__BUF_DOUBLE, 4 * F}, /* mu, var, m, s */
      {(void **)&L->d_over_r, CRL__BUF_DOUBLE, F},     /* [F] */
      {(void **)&L->r,        CRL__BUF_DOUBLE, F},     /* [F] */
      {(void **)&L->h,        CRL__BUF_REAL,   B * F}, /* [B, F] */
      {(void **)&L->y,        CRL__BUF_REAL,   B * F}, /* [B, F] */
    };
    /* clang-format on */
    for (size_t k = 0; k < CRL__COUNT(per_layer); k++)
      bufs[n++] = per_layer[k];
  }
  bufs[n++] = (crl__buf){(void **)&net->dy, CRL__BUF_REAL, B * widest};
  bufs[n++] = (crl__buf){(void **)&net->dh, CRL__BUF_REAL, B * widest};
  bufs[n++] =
      (crl__buf){(void **)&net->acc, CRL__BUF_DOUBLE, 4 * (size_t)widest};
  int rc = crl__bufs_alloc(bufs, (size_t)n, &net->block, "brn");
  for (int l = 0; rc == 0 && l < net->n_layers; l++) {
    crl__brn_layer *L = &net->layer[l];
    L->var = L->mu + L->F;
    L->m = L->mu + 2 * L->F;
    L->s = L->mu + 3 * L->F;
  }
  return rc;
}

int crl__brn_net_alloc(const crl__brn_spec *spec, crl_real *params,
                       crl_real *grads, crl__brn_net **out) {
  *out = NULL;
  int rc = check_spec(spec);
  if (rc)
    return rc;
  if ((params == NULL) != (grads == NULL))
    return crl_fail(CRL_EINVAL, "brn: give both params and grads, or none");
  crl__brn_net *net = calloc(1, sizeof *net);
  if (net == NULL)
    return crl_fail(CRL_ENOMEM, "brn: out of memory");
  net->spec = *spec;
  net->n_layers = spec->n_hidden + 1;
  net->n_params = crl__brn_param_count(spec);
  net->last_train = -1;
  for (int l = 0; l < net->n_layers; l++)
    net->layer[l].F = width(spec, l);
  rc = alloc_buffers(net, params == NULL);
  if (rc) {
    free(net);
    return rc;
  }
  if (params != NULL) {
    net->params = params;
    net->grads = grads;
  }
  size_t off = 0;
  for (int l = 0; rc == 0 && l < net->n_layers; l++) {
    crl__brn_layer *L = &net->layer[l];
    L->scale = net->params + off;
    L->dscale = net->grads + off;
    L->bias = L->scale + L->F;
    L->dbias = L->dscale + L->F;
    off += 2 * (size_t)L->F;
    const crl_mlp_spec ls = linear_spec(spec, l);
    rc = crl_mlp_alloc(&ls, net->params + off, net->grads + off, &L->lin);
    off += crl_mlp_param_count(&ls);
  }
  if (rc) {
    crl__brn_net_free(net);
    return rc;
  }
  *out = net;
  return 0;
}

void crl__brn_net_free(crl__brn_net *net) {
  if (net == NULL)
    return;
  for (int l = 0; l < net->n_layers; l++)
    crl_mlp_free(net->layer[l].lin);
  free(net->block);
  free(net);
}

int crl__brn_net_init(crl__brn_net *net, gsl_rng *rng) {
  for (int l = 0; l < net->n_layers; l++) {
    crl__brn_layer *L = &net->layer[l];
    for (int f = 0; f < L->F; f++) {
      L->scale[f] = 1, L->bias[f] = 0;
      L->ra_mean[f] = 0, L->ra_var[f] = 1;
    }
    L->steps = 0;
    int rc = crl_mlp_init(L->lin, CRL_INIT_TORCH, 1.0, 1.0, rng);
    if (rc)
      return rc;
  }
  net->last_train = -1;
  return 0;
}

static double clamp(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/* (m, s) of layer L for its input h [B, F]: the batch's (renormalised
 * after warmup), moving the running statistics; or the running ones. The
 * sums go along the rows (h is row-major), per feature in double. */
static void statistics(crl__brn_layer *L, const crl__brn_spec *sp, int B,
                       int train, int hold) {
  const int F = L->F;
  if (!train) {
    for (int f = 0; f < F; f++) {
      L->m[f] = L->ra_mean[f];
      L->s[f] = sqrt(L->ra_var[f] + sp->eps);
    }
    return;
  }
  double *mu = L->mu, *var = L->var;
  for (int f = 0; f < F; f++)
    mu[f] = var[f] = 0.0;
  for (int b = 0; b < B; b++)
    for (int f = 0; f < F; f++)
      mu[f] += (double)L->h[(size_t)b * F + f];
  for (int f = 0; f < F; f++)
    mu[f] /= B;
  for (int b = 0; b < B; b++)
    for (int f = 0; f < F; f++) {
      const double e = (double)L->h[(size_t)b * F + f] - mu[f];
      var[f] += e * e;
    }
  for (int f = 0; f < F; f++) {
    var[f] /= B - 1; /* torch's x.var(): unbiased */
    double m = mu[f], v = var[f], r = 1.0, d = 0.0;
    if (L->steps > sp->warmup_steps) {
      const double rs = sqrt(L->ra_var[f] + sp->eps);
      r = clamp(sqrt(var[f] + sp->eps) / rs, 1.0 / BRN_RMAX, BRN_RMAX);
      d = clamp((mu[f] - L->ra_mean[f]) / rs, -BRN_DMAX, BRN_DMAX);
      if (hold)
        r = L->r[f], d = L->d_over_r[f] * L->r[f];
      m = mu[f] - d * sqrt(var[f]) / r;
      v = var[f] / (r * r);
    }
    L->r[f] = r, L->d_over_r[f] = d / r;
    L->m[f] = m;
    L->s[f] = sqrt(v + sp->eps);
    L->ra_mean[f] += sp->momentum * (mu[f] - L->ra_mean[f]);
    L->ra_var[f] += sp->momentum * (var[f] - L->ra_var[f]);
  }
  L->steps++;
}

int crl__brn_net_forward(crl__brn_net *net, const crl_real *x, int B, int train,
                         crl_real *out) {
  const crl__brn_spec *sp = &net->spec;
  if (B < (train ? 2 : 1) || B > sp->max_batch)
    return crl_fail(CRL_ESHAPE, "brn: batch %d outside [%d, %d]", B,
                    train ? 2 : 1, sp->max_batch);
  net->last_train = -1;
  memcpy(net->layer[0].h, x, (size_t)B * sp->in * sizeof *x);
  for (int l = 0; l < net->n_layers; l++) {
    crl__brn_layer *L = &net->layer[l];
    const int F = L->F;
    statistics(L, sp, B, train, net->hold_renorm);
    for (int b = 0; b < B; b++)
      for (int f = 0; f < F; f++) {
        const size_t k = (size_t)b * F + f;
        L->y[k] = (crl_real)((double)L->scale[f] * ((double)L->h[k] - L->m[f]) /
                                 L->s[f] +
                             (double)L->bias[f]);
      }
    crl_real *next = l + 1 < net->n_layers ? net->layer[l + 1].h : out;
    int rc = crl_mlp_forward(L->lin, L->y, B, next);
    if (rc)
      return rc;
  }
  net->last_B = B;
  net->last_train = train;
  return 0;
}

/* dh [B, F] from dy [B, F] through layer L's normalisation; ADDS dscale,
 * dbias. Training mode: through m and s as functions of mu_B and
 * sigma_B^2 (r and d constants). acc: [4, F] scratch. */
static void norm_backward(const crl__brn_layer *L, int B, int train,
                          const crl_real *dy, crl_real *dh, double *acc) {
  const int F = L->F;
  double *sum_dy = acc, *sum_dyx = acc + F, *dmu = acc + 2 * F,
         *dvar = acc + 3 * F;
  for (int f = 0; f < F; f++)
    sum_dy[f] = sum_dyx[f] = 0.0;
  for (int b = 0; b < B; b++)
    for (int f = 0; f < F; f++) {
      const size_t k = (size_t)b * F + f;
      const double g = dy[k];
      sum_dy[f] += g;
      sum_dyx[f] += g * ((double)L->h[k] - L->m[f]);
    }
  for (int f = 0; f < F; f++) {
    const double sc = L->scale[f], s = L->s[f];
    L->dscale[f] += (crl_real)(sum_dyx[f] / s);
    L->dbias[f] += (crl_real)sum_dy[f];
    dmu[f] = dvar[f] = 0.0;
    if (!train)
      continue;
    const double dm = -sc * sum_dy[f] / s;
    const double dsd = -sc * sum_dyx[f] / (s * s); /* dL/ds */
    const double dv = dsd / (2.0 * s);             /* s = sqrt(v + eps) */
    const double r = L->r[f], var = L->var[f];
    dmu[f] = dm / B;
    dvar[f] = dv / (r * r);
    if (L->d_over_r[f] != 0.0 && var > 0.0) /* m = mu - (d/r) sqrt(var) */
      dvar[f] += dm * -L->d_over_r[f] / (2.0 * sqrt(var));
    dvar[f] *= 2.0 / (double)(B - 1);
  }
  for (int b = 0; b < B; b++)
    for (int f = 0; f < F; f++) {
      const size_t k = (size_t)b * F + f;
      double g = (double)dy[k] * (double)L->scale[f] / L->s[f];
      if (train)
        g += dmu[f] + dvar[f] * ((double)L->h[k] - L->mu[f]);
      dh[k] = (crl_real)g;
    }
}

int crl__brn_net_backward(crl__brn_net *net, const crl_real *dout, int B,
                          crl_real *dx) {
  return crl__brn_net_backward_features(net, dout, NULL, B, dx);
}

int crl__brn_net_backward_features(crl__brn_net *net, const crl_real *dout,
                                   const crl_real *dfeat, int B, crl_real *dx) {
  if (net->last_train < 0 || B != net->last_B)
    return crl_fail(CRL_ESTATE, "brn: backward of batch %d without its forward",
                    B);
  const crl_real *d = dout;
  for (int l = net->n_layers - 1; l >= 0; l--) {
    crl__brn_layer *L = &net->layer[l];
    int rc = crl_mlp_backward(L->lin, d, B, net->dy);
    if (rc)
      return rc;
    if (dfeat != NULL && l == net->n_layers - 1) /* y_L are the features */
      for (size_t k = 0; k < (size_t)B * L->F; k++)
        net->dy[k] = (crl_real)((double)net->dy[k] + (double)dfeat[k]);
    /* the input's gradient only when asked for (dh is scratch) */
    norm_backward(L, B, net->last_train, net->dy,
                  l == 0 && dx != NULL ? dx : net->dh, net->acc);
    d = net->dh;
  }
  return 0;
}

const crl_real *crl__brn_net_features(const crl__brn_net *net) {
  return net->layer[net->n_layers - 1].y;
}

static int layer_sections(void *obj, crl_state_io *io) {
  crl__brn_layer *L = obj;
  const crl_state_item items[] = {
      CRL_STATE(F64, "ra_mean", L->ra_mean, (size_t)L->F, CRL_STATE_FINITE),
      CRL_STATE(F64, "ra_var", L->ra_var, (size_t)L->F,
                CRL_STATE_FINITE | CRL_STATE_NONNEG),
      CRL_STATE(LONG, "steps", &L->steps, 1, CRL_STATE_NONNEG),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__brn_net_sections(void *obj, crl_state_io *io) {
  crl__brn_net *net = obj;
  void *layers[CRL_MLP_MAX_LAYERS];
  for (int l = 0; l < net->n_layers; l++)
    layers[l] = &net->layer[l];
  const crl_state_item items[] = {
      CRL_STATE_OBJS("l", layer_sections, layers, (size_t)net->n_layers),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__brn_net_fold(const crl__brn_net *net, int rows, int max_batch,
                      crl_mlp **out) {
  const crl__brn_spec *sp = &net->spec;
  if (rows < 1 || rows > sp->out)
    return crl_fail(CRL_EINVAL, "brn: fold keeps %d of %d outputs", rows,
                    sp->out);
  crl_mlp_spec spec =
      crl_mlp_spec_make(sp->in, sp->n_hidden, sp->hidden, rows, sp->activation,
                        CRL_ACT_IDENTITY, max_batch);
  int rc = crl_mlp_alloc(&spec, NULL, NULL, out);
  if (rc)
    return rc;
  crl_real *dst = crl_mlp_params(*out);
  for (int l = 0; l < net->n_layers; l++) {
    const crl__brn_layer *L = &net->layer[l];
    const int in = L->F, o = l == net->n_layers - 1 ? rows : out_width(sp, l);
    const crl_real *W = crl_mlp_params(L->lin); /* [out_l, in], then b */
    const crl_real *b = W + (size_t)out_width(sp, l) * in;
    crl_real *Wd = dst, *bd = dst + (size_t)o * in;
    for (int i = 0; i < o; i++) {
      double acc = (double)b[i];
      for (int j = 0; j < in; j++) {
        const double a = (double)L->scale[j] / sqrt(L->ra_var[j] + sp->eps);
        const double c = (double)L->bias[j] - a * L->ra_mean[j];
        const double w = W[(size_t)i * in + j];
        Wd[(size_t)i * in + j] = (crl_real)(w * a);
        acc += w * c;
      }
      bd[i] = (crl_real)acc;
    }
    dst += (size_t)o * (in + 1);
  }
  return 0;
}
