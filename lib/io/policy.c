/* Policies for inference: load, save, act (see crl/policy.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "io/ckpt.h"
#include "io/policy_internal.h"
#include "nn/mlp_frozen.h"

struct crl_policy {
  crl_mlp *net;          /* owns its parameters */
  crl__mlp_frozen *fast; /* net's forward on W^T, synced once params are in */
  crl_normalizer *norm;  /* NULL: observations used as they are */
  crl_space act_space;   /* bounds point into `bounds` */
  double *bounds;        /* [2, act_dim] low then high (Box); NULL otherwise */
  crl__policy_output output;
  double tanh_clip;  /* TANH: y clamped to [-c, c] first; 0: no clamp */
  int has_tanh_clip; /* the file section exists (tanh_clip > 0) */
  int obs_dim, n_out, max_batch;
  crl_real *obs_scratch; /* [max_batch, obs_dim] normalised observations */
  crl_real *out_scratch; /* [max_batch, n_out] network outputs */
  void *block;           /* bounds and the scratch */
};

void crl_policy_free(crl_policy *p) {
  if (p == NULL)
    return;
  crl__mlp_frozen_free(p->fast);
  crl_mlp_free(p->net);
  crl_normalizer_free(p->norm);
  free(p->block);
  free(p);
}

int crl_policy_obs_dim(const crl_policy *p) {
  return p->obs_dim;
}
const crl_space *crl_policy_act_space(const crl_policy *p) {
  return &p->act_space;
}

void crl__policy_view_of(const crl_policy *p, crl__policy_view *v) {
  v->net = p->net;
  v->norm = p->norm;
  v->act = &p->act_space;
  v->output = p->output;
  v->tanh_clip = p->tanh_clip;
}

int crl__policy_set_tanh_clip(crl_policy *p, double c) {
  if (p->output != CRL_POLICY_TANH || !(c > 0) || !isfinite(c))
    return crl_fail(CRL_EINVAL,
                    "policy: a clamp before tanh needs a tanh output and a "
                    "finite bound > 0 (got %g)",
                    c);
  p->tanh_clip = c;
  p->has_tanh_clip = 1;
  return 0;
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
 * copy of the action space (its bounds too when act has them). */
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
  const int box = act->kind == CRL_SPACE_BOX;
  const size_t B = (size_t)max_batch, A = (size_t)act->dim;
  const crl__buf bufs[] = {
      {(void **)&p->bounds, CRL__BUF_DOUBLE,
       box ? 2 * A : 0}, /* [2, act_dim] */
      {(void **)&p->obs_scratch, CRL__BUF_REAL,
       B * (size_t)p->obs_dim}, /* [max_batch, obs_dim] */
      {(void **)&p->out_scratch, CRL__BUF_REAL,
       B * (size_t)p->n_out}, /* [max_batch, n_out] */
  };
  rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "policy");
  rc = rc ? rc : crl_mlp_alloc(&spec, NULL, NULL, &p->net);
  rc = rc ? rc : crl__mlp_frozen_alloc(p->net, &p->fast);
  if (rc) {
    crl_policy_free(p);
    return rc;
  }
  if (box) {
    if (act->low != NULL && act->high != NULL) {
      memcpy(p->bounds, act->low, A * sizeof(double));
      memcpy(p->bounds + A, act->high, A * sizeof(double));
    }
    p->act_space.low = p->bounds;
    p->act_space.high = p->bounds + A;
  } else {
    p->bounds = NULL; /* the file has no bounds section then */
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
  crl__mlp_frozen_sync(p->fast);
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

/* ---- acting -------------------------------------------------------------- */

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
      if (p->output == CRL_POLICY_TANH) {
        const double c = p->tanh_clip;
        if (c > 0)
          v = v < -c ? -c : (v > c ? c : v);
        v = lo + (tanh(v) + 1.0) * 0.5 * (hi - lo);
      } else
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
  /* A NaN would come out as a NaN action (tanh) or silently as a finite
   * one (ReLU maps it to 0): refused, so a controller can fall back. */
  const size_t n_obs = (size_t)B * (size_t)crl_policy_obs_dim(p);
  for (size_t i = 0; i < n_obs; i++)
    if (!isfinite((double)obs[i]))
      return crl_fail(CRL_EINVAL,
                      "policy: observation value %zu of row %zu is not "
                      "finite (%g)",
                      i % (n_obs / (size_t)B), i / (n_obs / (size_t)B),
                      (double)obs[i]);
  const crl_real *x = obs;
  if (p->norm != NULL) {
    crl_normalizer_apply(p->norm, obs, B, p->obs_scratch);
    x = p->obs_scratch;
  }
  int rc = crl__mlp_frozen_forward(p->fast, x, B, p->out_scratch);
  if (rc)
    return rc;
  transform(p, p->out_scratch, B, action);
  /* Finite parameters can still overflow (weights of 1e30 in a float
   * build): a non-finite action is an error, never a result. */
  const int A = p->act_space.dim;
  for (int k = 0; p->output != CRL_POLICY_ARGMAX && k < B * A; k++)
    if (!isfinite(action[k]))
      return crl_fail(CRL_ENONFINITE, "policy: action %d of row %d is %g",
                      k % A, k / A, (double)action[k]);
  return 0;
}

int crl_policy_act(crl_policy *p, const crl_real *obs, crl_real *action) {
  return crl_policy_act_batch(p, obs, 1, action);
}

/* ---- files -------------------------------------------------------------- */

/* What a policy file says before the network exists: read and checked
 * first, then used to build the policy the rest is loaded into. */
typedef struct policy_header {
  int n_layers, hidden_act, output_act;
  int sizes[CRL_MLP_MAX_LAYERS + 1];
  int act_kind, act_dim, act_n, output;
  int has_norm;
  char version[32];
} policy_header;

static int header_sections(void *obj, crl_state_io *io) {
  policy_header *h = obj;
  const int lim = 1 << 20, layers = CRL_MLP_MAX_LAYERS;
  const int act = CRL_ACT_RELU, out = CRL_POLICY_ARGMAX; /* the last ones */
  // clang-format off
  const crl_state_item items[] = {
      CRL_STATE_RANGED(INT, "net.n_layers",   &h->n_layers,   1, 1, layers),
      CRL_STATE_RANGED(INT, "net.hidden_act", &h->hidden_act, 1, 0, act),
      CRL_STATE_RANGED(INT, "net.output_act", &h->output_act, 1, 0, act),
      CRL_STATE_RANGED(INT, "act.kind",       &h->act_kind,   1, 0, 1),
      CRL_STATE_RANGED(INT, "act.dim",        &h->act_dim,    1, 1, lim),
      CRL_STATE_RANGED(INT, "act.n",          &h->act_n,      1, 0, lim),
      CRL_STATE_RANGED(INT, "act.output",     &h->output,     1, 0, out),
      CRL_STATE(INT,    "norm.present", &h->has_norm, 1, CRL_STATE_BOOL),
      CRL_STATE(STRING, "crl.version",  h->version, sizeof h->version, 0),
  };
  // clang-format on
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  if (rc)
    return rc;
  /* The layer sizes, as many as the table above said. */
  const crl_state_item sizes[] = {
      CRL_STATE_RANGED(INT, "net.sizes", h->sizes, (size_t)h->n_layers + 1, 1,
                       lim),
  };
  return crl_state_items(io, sizes, CRL_STATE_COUNT(sizes));
}

#if CRL_REAL_IS_DOUBLE
#define REAL_MAX DBL_MAX
#else
#define REAL_MAX FLT_MAX
#endif

/* Action bound j must mean something for the output transform: ordered,
 * within crl_real when finite (actions are crl_real: 1e200 is a finite
 * double and an infinite float), and for tanh scaling finite with a finite
 * width; else every action would be inf or NaN (issue 15, F4). */
static int check_bound(const crl_policy *p, int j) {
  const double lo = p->act_space.low[j], hi = p->act_space.high[j];
  if (!(lo <= hi))
    return crl_fail(CRL_EFORMAT, "policy: action bound %d has low > high", j);
  const int in_range = (isinf(lo) || fabs(lo) <= REAL_MAX) &&
                       (isinf(hi) || fabs(hi) <= REAL_MAX);
  if (!in_range || (p->output == CRL_POLICY_TANH && !isfinite(hi - lo)))
    return crl_fail(CRL_EFORMAT,
                    "policy: action bound %d is [%g, %g], outside what a %s "
                    "output can give",
                    j, lo, hi,
                    p->output == CRL_POLICY_TANH ? "tanh" : "clipped");
  return 0;
}

/* The network's parameters, the action bounds (Box) and the normaliser
 * (when the policy has one). */
static int body_sections(void *obj, crl_state_io *io) {
  crl_policy *p = obj;
  const crl_space *a = &p->act_space;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "net.params", crl_mlp_params(p->net),
                crl_mlp_n_params(p->net), 0),
      CRL_STATE(F64, "act.bounds", p->bounds, 2 * (size_t)a->dim, 0),
      /* only in files of policies that clamp: older files stay readable */
      CRL_STATE(F64, "act.tanh_clip", p->has_tanh_clip ? &p->tanh_clip : NULL,
                1, CRL_STATE_FINITE | CRL_STATE_POSITIVE),
      CRL_STATE_OBJ("norm", crl_normalizer_sections, p->norm),
  };
  int rc = crl_state_items(io, items, CRL_STATE_COUNT(items));
  /* Checked for meaning, not only size: a tanh head scales into the
   * bounds, so an infinite one would make every action NaN. */
  for (int j = 0; rc == 0 && p->bounds != NULL && j < a->dim; j++)
    rc = check_bound(p, j);
  return rc;
}

int crl_policy_save(const crl_policy *p, const char *path) {
  const crl_mlp_spec *s = crl_mlp_get_spec(p->net);
  const crl_space *a = &p->act_space;
  policy_header h = {
      .n_layers = s->n_layers,
      .hidden_act = s->hidden_activation,
      .output_act = s->output_activation,
      .act_kind = a->kind,
      .act_dim = a->dim,
      .act_n = a->n,
      .output = p->output,
      .has_norm = p->norm != NULL,
  };
  for (int l = 0; l <= s->n_layers; l++)
    h.sizes[l] = s->sizes[l];
  snprintf(h.version, sizeof h.version, "%s", crl_version());
  crl_ckpt_writer *w = NULL;
  int rc = crl__ckpt_writer_alloc(CRL_CKPT_KIND_POLICY, &w);
  rc = rc ? rc : crl_state_save(w, NULL, header_sections, &h);
  /* body_sections only reads the policy when saving. */
  rc = rc ? rc : crl_state_save(w, NULL, body_sections, (crl_policy *)p);
  rc = rc ? rc : crl__ckpt_write_file(w, path);
  crl__ckpt_writer_free(w);
  return rc;
}

/* The network and action space a header describes. */
static int header_shapes(const policy_header *h, crl_mlp_spec *s,
                         crl_space *a) {
  *s = (crl_mlp_spec){0};
  s->n_layers = h->n_layers;
  for (int l = 0; l <= h->n_layers; l++)
    s->sizes[l] = h->sizes[l];
  s->hidden_activation = (crl_activation)h->hidden_act;
  s->output_activation = (crl_activation)h->output_act;
  s->max_batch = 1;
  *a = (crl_space){0};
  a->kind = (crl_space_kind)h->act_kind;
  a->dim = h->act_dim;
  a->n = h->act_n;
  if (a->kind == CRL_SPACE_DISCRETE && !(a->dim == 1 && a->n >= 1))
    return crl_fail(CRL_EFORMAT, "policy: bad discrete action space");
  return 0;
}

/* The file must really hold the parameters the spec asks for: checked
 * before anything is allocated from the spec's sizes. */
static int check_param_count(const crl_ckpt_reader *r, const char *path,
                             const crl_mlp_spec *spec) {
  size_t stored = 0;
  if (crl_state_find(r, "net.params", &stored) != 0)
    return crl_fail(CRL_EFORMAT, "%s: no network parameters", path);
  if (stored != crl_mlp_param_count(spec) || stored == 0)
    return crl_fail(CRL_EFORMAT,
                    "%s: %zu parameters stored, the network needs %zu", path,
                    stored, crl_mlp_param_count(spec));
  return 0;
}

int crl_policy_load(const char *path, int max_batch, crl_policy **out) {
  *out = NULL;
  crl_ckpt_reader *r = NULL;
  int rc = crl__ckpt_read_file(path, CRL_CKPT_KIND_POLICY, &r);
  if (rc)
    return rc;
  policy_header h;
  crl_mlp_spec spec;
  crl_space act;
  rc = crl_state_load(r, NULL, header_sections, &h);
  rc = rc ? rc : header_shapes(&h, &spec, &act);
  rc = rc ? rc : check_param_count(r, path, &spec);
  rc = rc ? rc
          : shell_alloc(&spec, &act, (crl__policy_output)h.output, max_batch,
                        out);
  /* The normaliser's settings come from the file with its statistics;
   * clip 1 only makes it valid until then. */
  if (rc == 0 && h.has_norm)
    rc = crl_normalizer_alloc(h.sizes[0], 1.0, &(*out)->norm);
  size_t n_clip = 0;
  if (rc == 0 && crl_state_find(r, "act.tanh_clip", &n_clip) == 0) {
    if (h.output != CRL_POLICY_TANH)
      rc = crl_fail(CRL_EFORMAT, "%s: a clamp before tanh on a %s output", path,
                    h.output == CRL_POLICY_CLIP ? "clipped" : "argmax");
    (*out)->has_tanh_clip = 1;
  }
  rc = rc ? rc : crl_state_load(r, NULL, body_sections, *out);
  if (rc == 0)
    crl__mlp_frozen_sync((*out)->fast);
  crl__ckpt_reader_free(r);
  if (rc) {
    crl_policy_free(*out);
    *out = NULL;
  }
  return rc;
}
