/* Policies for inference: load, save, act (see crl/policy.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"
#include "io/ckpt.h"
#include "io/policy_internal.h"

struct crl_policy {
  crl_mlp *net;         /* owns its parameters */
  crl_normalizer *norm; /* NULL: observations used as they are */
  crl_space act_space;  /* bounds point into `bounds` */
  double *bounds;       /* [2, act_dim] low then high (Box) */
  crl__policy_output output;
  int obs_dim, n_out, max_batch;
  crl_real *obs_scratch; /* [max_batch, obs_dim] normalised observations */
  crl_real *out_scratch; /* [max_batch, n_out] network outputs */
};

void crl_policy_free(crl_policy *p) {
  if (p == NULL)
    return;
  crl_mlp_free(p->net);
  crl_normalizer_free(p->norm);
  free(p->bounds);
  free(p->obs_scratch);
  free(p->out_scratch);
  free(p);
}

int crl_policy_obs_dim(const crl_policy *p) {
  return p->obs_dim;
}
const crl_space *crl_policy_act_space(const crl_policy *p) {
  return &p->act_space;
}

/* Check that the output transform fits the action space and the network. */
static int check_shapes(const crl_mlp_spec *s, const crl_space *act,
                        crl__policy_output output) {
  int n_out = s->sizes[s->n_layers];
  if (act->kind == CRL_SPACE_DISCRETE) {
    if (output != CRL_POLICY_ARGMAX || n_out != act->n)
      return crl_fail(CRL_EFORMAT,
                      "policy: a Discrete(%d) action needs an argmax over %d "
                      "outputs (have %d)",
                      act->n, act->n, n_out);
    return 0;
  }
  if (act->kind != CRL_SPACE_BOX || output == CRL_POLICY_ARGMAX ||
      n_out != act->dim)
    return crl_fail(CRL_EFORMAT,
                    "policy: a Box(%d) action needs %d network outputs "
                    "(have %d) and a clip or tanh transform",
                    act->dim, act->dim, n_out);
  return 0;
}

/* Allocate a policy shell for spec: network (owned params), scratch and a
 * copy of the action space. */
static int shell_alloc(const crl_mlp_spec *spec_in, const crl_space *act,
                       crl__policy_output output, int max_batch,
                       crl_policy **out) {
  *out = NULL;
  if (max_batch < 1)
    return crl_fail(CRL_EINVAL, "policy: max_batch must be >= 1");
  int rc = check_shapes(spec_in, act, output);
  if (rc)
    return rc;
  crl_policy *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "policy: out of memory");
  crl_mlp_spec spec = *spec_in;
  spec.max_batch = max_batch;
  p->output = output;
  p->obs_dim = spec.sizes[0];
  p->n_out = spec.sizes[spec.n_layers];
  p->max_batch = max_batch;
  p->act_space = *act;
  rc = crl_mlp_alloc(&spec, NULL, NULL, &p->net);
  p->obs_scratch = calloc((size_t)max_batch * p->obs_dim, sizeof(crl_real));
  p->out_scratch = calloc((size_t)max_batch * p->n_out, sizeof(crl_real));
  if (act->kind == CRL_SPACE_BOX) {
    p->bounds = malloc(2 * (size_t)act->dim * sizeof *p->bounds);
    if (p->bounds) {
      memcpy(p->bounds, act->low, (size_t)act->dim * sizeof(double));
      memcpy(p->bounds + act->dim, act->high,
             (size_t)act->dim * sizeof(double));
      p->act_space.low = p->bounds;
      p->act_space.high = p->bounds + act->dim;
    }
  }
  if (rc == 0 && (!p->obs_scratch || !p->out_scratch ||
                  (act->kind == CRL_SPACE_BOX && !p->bounds)))
    rc = crl_fail(CRL_ENOMEM, "policy: out of memory");
  if (rc) {
    crl_policy_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

static int copy_normalizer(const crl_normalizer *src, crl_normalizer **dst) {
  int rc = crl_normalizer_alloc(src->dim, src->clip, dst);
  if (rc)
    return rc;
  memcpy((*dst)->mean, src->mean, (size_t)src->dim * sizeof(double));
  memcpy((*dst)->var, src->var, (size_t)src->dim * sizeof(double));
  (*dst)->count = src->count;
  (*dst)->eps = src->eps;
  return 0;
}

int crl__policy_from_parts(const crl_mlp *net, const crl_normalizer *norm,
                           const crl_space *act, crl__policy_output output,
                           int max_batch, crl_policy **out) {
  const crl_mlp_spec *spec = crl_mlp_get_spec(net);
  int rc = shell_alloc(spec, act, output, max_batch, out);
  if (rc)
    return rc;
  crl_policy *p = *out;
  /* crl_mlp_params is not const-qualified; it is only read here. */
  memcpy(crl_mlp_params(p->net), crl_mlp_params((crl_mlp *)net),
         crl_mlp_n_params(net) * sizeof(crl_real));
  if (norm != NULL) {
    if (norm->dim != p->obs_dim)
      rc = crl_fail(CRL_ESHAPE, "policy: normaliser dim %d != obs dim %d",
                    norm->dim, p->obs_dim);
    else
      rc = copy_normalizer(norm, &p->norm);
  }
  if (rc) {
    crl_policy_free(p);
    *out = NULL;
  }
  return rc;
}

/* ---- acting
 * ------------------------------------------------------------------ */

static void transform(const crl_policy *p, const crl_real *y, int B,
                      crl_real *action) {
  const crl_space *a = &p->act_space;
  for (int i = 0; i < B; i++) {
    const crl_real *row = y + (size_t)i * p->n_out;
    if (p->output == CRL_POLICY_ARGMAX) {
      int best = 0;
      for (int k = 1; k < p->n_out; k++)
        if (row[k] > row[best])
          best = k;
      action[i] = (crl_real)best;
      continue;
    }
    for (int j = 0; j < a->dim; j++) {
      double lo = a->low[j], hi = a->high[j], v = (double)row[j];
      if (p->output == CRL_POLICY_TANH)
        v = lo + (tanh(v) + 1.0) * 0.5 * (hi - lo);
      else
        v = v < lo ? lo : (v > hi ? hi : v);
      action[(size_t)i * a->dim + j] = (crl_real)v;
    }
  }
}

int crl_policy_act_batch(crl_policy *p, const crl_real *obs, int B,
                         crl_real *action) {
  if (B < 1 || B > p->max_batch)
    return crl_fail(CRL_ESHAPE, "policy: batch %d outside [1, %d]", B,
                    p->max_batch);
  const crl_real *x = obs;
  if (p->norm != NULL) {
    crl_normalizer_apply(p->norm, obs, B, p->obs_scratch);
    x = p->obs_scratch;
  }
  int rc = crl_mlp_forward(p->net, x, B, p->out_scratch);
  if (rc)
    return rc;
  transform(p, p->out_scratch, B, action);
  return 0;
}

int crl_policy_act(crl_policy *p, const crl_real *obs, crl_real *action) {
  return crl_policy_act_batch(p, obs, 1, action);
}

/* ---- files
 * ------------------------------------------------------------------- */

int crl_policy_save(const crl_policy *p, const char *path) {
  crl_ckpt_writer *w = NULL;
  int rc = crl__ckpt_writer_alloc(CRL_CKPT_KIND_POLICY, &w);
  if (rc)
    return rc;
  const crl_mlp_spec *s = crl_mlp_get_spec(p->net);
  int64_t sizes[CRL_MLP_MAX_LAYERS + 1];
  for (int l = 0; l <= s->n_layers; l++)
    sizes[l] = s->sizes[l];
  const crl_space *a = &p->act_space;
  rc = crl__ckpt_put_i64(w, "net.n_layers", s->n_layers);
  rc = rc ? rc
          : crl__ckpt_put(w, "net.sizes", CRL_CKPT_I64,
                          (uint64_t)s->n_layers + 1, sizes);
  rc = rc ? rc : crl__ckpt_put_i64(w, "net.hidden_act", s->hidden_activation);
  rc = rc ? rc : crl__ckpt_put_i64(w, "net.output_act", s->output_activation);
  rc = rc ? rc
          : crl__ckpt_put_real(w, "net.params", crl_mlp_n_params(p->net),
                               crl_mlp_params(p->net));
  rc = rc ? rc : crl__ckpt_put_i64(w, "act.kind", a->kind);
  rc = rc ? rc : crl__ckpt_put_i64(w, "act.dim", a->dim);
  rc = rc ? rc : crl__ckpt_put_i64(w, "act.n", a->n);
  rc = rc ? rc : crl__ckpt_put_i64(w, "act.output", p->output);
  if (rc == 0 && a->kind == CRL_SPACE_BOX)
    rc = crl__ckpt_put(w, "act.bounds", CRL_CKPT_F64, 2 * (uint64_t)a->dim,
                       p->bounds);
  rc = rc ? rc : crl__ckpt_put_i64(w, "norm.present", p->norm != NULL);
  if (rc == 0 && p->norm != NULL) {
    const crl_normalizer *n = p->norm;
    rc = crl__ckpt_put(w, "norm.mean", CRL_CKPT_F64, (uint64_t)n->dim, n->mean);
    rc = rc ? rc
            : crl__ckpt_put(w, "norm.var", CRL_CKPT_F64, (uint64_t)n->dim,
                            n->var);
    rc = rc ? rc : crl__ckpt_put_f64(w, "norm.clip", n->clip);
    rc = rc ? rc : crl__ckpt_put_f64(w, "norm.eps", n->eps);
    rc = rc ? rc : crl__ckpt_put_f64(w, "norm.count", n->count);
  }
  rc = rc ? rc : crl__ckpt_put_string(w, "crl.version", crl_version());
  rc = rc ? rc : crl__ckpt_write_file(w, path);
  crl__ckpt_writer_free(w);
  return rc;
}

/* Read an integer that must lie in [lo, hi]. */
static int read_int(const crl_ckpt_reader *r, const char *name, int64_t lo,
                    int64_t hi, int *out) {
  int64_t v;
  int rc = crl__ckpt_get_i64(r, name, &v);
  if (rc)
    return rc;
  if (v < lo || v > hi)
    return crl_fail(CRL_EFORMAT, "policy: %s = %lld is outside [%lld, %lld]",
                    name, (long long)v, (long long)lo, (long long)hi);
  *out = (int)v;
  return 0;
}

/* Read and range-check the network spec. */
static int read_spec(const crl_ckpt_reader *r, crl_mlp_spec *s) {
  *s = (crl_mlp_spec){0};
  int hid = 0, outa = 0;
  int rc = read_int(r, "net.n_layers", 1, CRL_MLP_MAX_LAYERS, &s->n_layers);
  rc = rc ? rc : read_int(r, "net.hidden_act", 0, CRL_ACT_RELU, &hid);
  rc = rc ? rc : read_int(r, "net.output_act", 0, CRL_ACT_RELU, &outa);
  int64_t sizes[CRL_MLP_MAX_LAYERS + 1];
  rc = rc ? rc
          : crl__ckpt_get_i64_array(r, "net.sizes", (uint64_t)s->n_layers + 1,
                                    sizes);
  if (rc)
    return rc;
  for (int l = 0; l <= s->n_layers; l++) {
    if (sizes[l] < 1 || sizes[l] > (1 << 20))
      return crl_fail(CRL_EFORMAT, "policy: layer size %lld out of range",
                      (long long)sizes[l]);
    s->sizes[l] = (int)sizes[l];
  }
  s->hidden_activation = (crl_activation)hid;
  s->output_activation = (crl_activation)outa;
  s->max_batch = 1;
  return 0;
}

/* Read the action space; bounds go to `bounds` [2, dim]. */
static int read_action(const crl_ckpt_reader *r, crl_space *a, int *output,
                       double **bounds) {
  int kind = 0;
  *a = (crl_space){0};
  *bounds = NULL;
  int rc = read_int(r, "act.kind", 0, 1, &kind);
  rc = rc ? rc : read_int(r, "act.dim", 1, 1 << 20, &a->dim);
  rc = rc ? rc : read_int(r, "act.n", 0, 1 << 20, &a->n);
  rc = rc ? rc : read_int(r, "act.output", 0, CRL_POLICY_ARGMAX, output);
  if (rc)
    return rc;
  a->kind = (crl_space_kind)kind;
  if (a->kind == CRL_SPACE_DISCRETE)
    return a->dim == 1 && a->n >= 1
               ? 0
               : crl_fail(CRL_EFORMAT, "policy: bad discrete action space");
  *bounds = malloc(2 * (size_t)a->dim * sizeof **bounds);
  if (*bounds == NULL)
    return crl_fail(CRL_ENOMEM, "policy: out of memory");
  rc = crl__ckpt_get_f64_array(r, "act.bounds", 2 * (uint64_t)a->dim, *bounds);
  for (int j = 0; rc == 0 && j < a->dim; j++)
    if (!((*bounds)[j] <= (*bounds)[a->dim + j]))
      rc = crl_fail(CRL_EFORMAT, "policy: action bound %d has low > high", j);
  a->low = *bounds;
  a->high = *bounds + a->dim;
  return rc;
}

static int read_normalizer(const crl_ckpt_reader *r, int dim,
                           crl_normalizer **out) {
  int present = 0;
  int rc = read_int(r, "norm.present", 0, 1, &present);
  if (rc || !present)
    return rc;
  double clip;
  rc = crl__ckpt_get_f64(r, "norm.clip", &clip);
  rc = rc ? rc : crl_normalizer_alloc(dim, clip, out);
  if (rc)
    return rc;
  crl_normalizer *n = *out;
  rc = crl__ckpt_get_f64_array(r, "norm.mean", (uint64_t)dim, n->mean);
  rc = rc ? rc : crl__ckpt_get_f64_array(r, "norm.var", (uint64_t)dim, n->var);
  rc = rc ? rc : crl__ckpt_get_f64(r, "norm.eps", &n->eps);
  rc = rc ? rc : crl__ckpt_get_f64(r, "norm.count", &n->count);
  for (int j = 0; rc == 0 && j < dim; j++)
    if (!isfinite(n->mean[j]) || !(n->var[j] >= 0.0))
      rc = crl_fail(CRL_EFORMAT, "policy: normaliser statistics are invalid");
  return rc;
}

int crl_policy_load(const char *path, int max_batch, crl_policy **out) {
  *out = NULL;
  crl_ckpt_reader *r = NULL;
  int rc = crl__ckpt_read_file(path, CRL_CKPT_KIND_POLICY, &r);
  if (rc)
    return rc;
  crl_mlp_spec spec;
  crl_space act;
  int output = 0;
  double *bounds = NULL;
  crl_normalizer *norm = NULL;
  rc = read_spec(r, &spec);
  rc = rc ? rc : read_action(r, &act, &output, &bounds);
  /* The file must really hold the parameters the spec asks for: check the
   * count before allocating anything from the spec's sizes. */
  crl__ckpt_type ptype;
  uint64_t pcount = 0;
  rc = rc ? rc : crl__ckpt_find(r, "net.params", &ptype, &pcount);
  if (rc == CRL_ENOTFOUND)
    rc = crl_fail(CRL_EFORMAT, "%s: no network parameters", path);
  if (rc == 0 && (pcount != crl_mlp_param_count(&spec) || pcount == 0))
    rc = crl_fail(CRL_EFORMAT,
                  "%s: %llu parameters stored, the network needs %zu", path,
                  (unsigned long long)pcount, crl_mlp_param_count(&spec));
  rc =
      rc ? rc
         : shell_alloc(&spec, &act, (crl__policy_output)output, max_batch, out);
  if (rc == 0) {
    crl_policy *p = *out;
    rc = crl__ckpt_get_real(r, "net.params", crl_mlp_n_params(p->net),
                            crl_mlp_params(p->net));
    rc = rc ? rc : read_normalizer(r, p->obs_dim, &norm);
    p->norm = norm;
    for (size_t k = 0; rc == 0 && k < crl_mlp_n_params(p->net); k++)
      if (!isfinite((double)crl_mlp_params(p->net)[k]))
        rc = crl_fail(CRL_EFORMAT, "%s: parameter %zu is not finite", path, k);
  } else {
    crl_normalizer_free(norm);
  }
  free(bounds);
  crl__ckpt_reader_free(r);
  if (rc) {
    crl_policy_free(*out);
    *out = NULL;
  }
  return rc;
}
