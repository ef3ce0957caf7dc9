/* A policy as an ONNX model (crl_policy_write_onnx, crl/policy.h).
 *
 * The model is written with a protobuf encoder of our own (varints and
 * length-delimited fields; no protobuf library): a ModelProto of IR
 * version 7 importing the default domain at opset 13, whose graph maps
 * "obs" float [N, obs_dim] to "action" float [N, act_dim] (or int64
 * [N, 1], the index, for a Discrete policy), N symbolic. The graph is
 * crl_policy_act's function written with standard operators, in float:
 *   normaliser   Sub(obs, mean), Mul(., inv_std), Clip(., -clip, clip),
 *                inv_std being 1 / sqrt(var + eps) computed in double;
 *   layer l      Gemm(a, W_l, b_l, transB = 1) (W_l [out, in] as crl
 *                stores it), then Relu or Tanh;
 *   action       Max(y, low), Min(., high) (clip to the bounds), or
 *                Tanh(y), Add(., 1), Mul(., (high - low) / 2), Add(., low)
 *                (low + (tanh(y) + 1) / 2 * (high - low)), or ArgMax(y).
 * crl computes the normaliser and the action transform in double and the
 * network in crl_real; the graph does all of it in float, with the
 * runtime's own summation order and tanh, so its actions are crl's within
 * float rounding, not bit for bit. It does not refuse non-finite
 * observations as crl_policy_act does. Field numbers are onnx.proto's. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "crl/error.h"
#include "crl/policy.h"
#include "io/export_util.h"
#include "io/policy_internal.h"

/* ---- protobuf wire format ---- */

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

static void pb_varint(crl__text *t, uint64_t v) {
  unsigned char b[10];
  size_t n = 0;
  do {
    b[n] = (unsigned char)(v & 0x7f);
    v >>= 7;
    if (v)
      b[n] |= 0x80;
    n++;
  } while (v);
  crl__text_put(t, b, n);
}

static void pb_key(crl__text *t, int field, int wire) {
  pb_varint(t, (uint64_t)field << 3 | (uint64_t)wire);
}

/* An int32 / int64 / enum field (negative values as 10-byte two's
 * complement, as protobuf encodes them). */
static void pb_int(crl__text *t, int field, int64_t v) {
  pb_key(t, field, WIRE_VARINT);
  pb_varint(t, (uint64_t)v);
}

static void pb_bytes(crl__text *t, int field, const void *data, size_t n) {
  pb_key(t, field, WIRE_LEN);
  pb_varint(t, n);
  crl__text_put(t, data, n);
}

static void pb_str(crl__text *t, int field, const char *s) {
  pb_bytes(t, field, s, strlen(s));
}

/* A nested message composed in sub, appended and freed (a failure to
 * allocate in sub carries over to t). */
static void pb_msg(crl__text *t, int field, crl__text *sub) {
  if (sub->failed)
    t->failed = 1;
  pb_bytes(t, field, sub->buf, sub->len);
  crl__text_free(sub);
}

/* The IEEE bits of v, least significant byte first. */
static void put_le_float(unsigned char *out, float v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  for (int i = 0; i < 4; i++)
    out[i] = (unsigned char)(u >> (8 * i));
}

/* ---- onnx.proto messages ---- */

enum { ONNX_FLOAT = 1, ONNX_INT64 = 7 }; /* TensorProto.DataType */
enum { ATTR_INT = 2 };                   /* AttributeProto.type */

/* Float values, as raw_data holds them: little-endian IEEE singles. */
static void raw_put(crl__text *raw, double v) {
  unsigned char b[4];
  put_le_float(b, (float)v);
  crl__text_put(raw, b, 4);
}

/* A float initializer of dims [ndim] (0: a scalar) whose values raw holds:
 * TensorProto {dims 1, data_type 2, name 8, raw_data 9}. */
static void put_tensor_raw(crl__text *graph, const char *name, int ndim,
                           const int64_t *dims, crl__text *raw) {
  crl__text t = {0};
  for (int d = 0; d < ndim; d++)
    pb_int(&t, 1, dims[d]);
  pb_int(&t, 2, ONNX_FLOAT);
  pb_str(&t, 8, name);
  pb_msg(&t, 9, raw);
  pb_msg(graph, 5, &t); /* GraphProto.initializer */
}

/* A [n] initializer of doubles (crl's bounds, normaliser), or a scalar
 * when n is 0, rounded to float. */
static void put_doubles(crl__text *graph, const char *name, const double *v,
                        int n) {
  crl__text raw = {0};
  const int64_t dim = n;
  for (int i = 0; i < (n ? n : 1); i++)
    raw_put(&raw, v[i]);
  put_tensor_raw(graph, name, n ? 1 : 0, &dim, &raw);
}

/* AttributeProto {name 1, f 2, i 3, type 20}. */
static void put_attr_int(crl__text *node, const char *name, int64_t v) {
  crl__text a = {0};
  pb_str(&a, 1, name);
  pb_int(&a, 3, v);
  pb_int(&a, 20, ATTR_INT);
  pb_msg(node, 5, &a); /* NodeProto.attribute */
}

/* A node of the default domain: NodeProto {input 1, output 2, name 3,
 * op_type 4}; in[] ends at NULL. Attributes, if any, are appended by the
 * caller before pb_msg. */
static void node_begin(crl__text *n, const char *op, const char *name,
                       const char *const *in, const char *out) {
  *n = (crl__text){0};
  for (; *in != NULL; in++)
    pb_str(n, 1, *in);
  pb_str(n, 2, out);
  pb_str(n, 3, name);
  pb_str(n, 4, op);
}

static void put_node(crl__text *graph, const char *op, const char *name,
                     const char *const *in, const char *out) {
  crl__text n;
  node_begin(&n, op, name, in, out);
  pb_msg(graph, 1, &n); /* GraphProto.node */
}

/* ValueInfoProto {name 1, type 2: TypeProto {tensor_type 1: {elem_type 1,
 * shape 2: TensorShapeProto {dim 1: {dim_param 2 "N"}, {dim_value 1}}}}}
 * for a [N, cols] tensor. */
static void put_value_info(crl__text *graph, int field, const char *name,
                           int elem_type, int64_t cols) {
  crl__text vi = {0}, type = {0}, tensor = {0}, shape = {0}, d0 = {0}, d1 = {0};
  pb_str(&d0, 2, "N");
  pb_int(&d1, 1, cols);
  pb_msg(&shape, 1, &d0);
  pb_msg(&shape, 1, &d1);
  pb_int(&tensor, 1, elem_type);
  pb_msg(&tensor, 2, &shape);
  pb_msg(&type, 1, &tensor);
  pb_str(&vi, 1, name);
  pb_msg(&vi, 2, &type);
  pb_msg(graph, field, &vi);
}

/* ---- the policy's graph ---- */

/* obs -> the network's input: "obs", or "obs_z" normalised. */
static const char *put_normalizer(crl__text *g, const crl_normalizer *n) {
  if (n == NULL)
    return "obs";
  crl__text inv_std = {0};
  for (int j = 0; j < n->dim; j++) /* crl_normalizer_apply's, in double */
    raw_put(&inv_std, 1.0 / sqrt(n->var[j] + n->eps));
  const int64_t dim = n->dim;
  const double lo = -n->clip, hi = n->clip;
  put_doubles(g, "obs_mean", n->mean, n->dim);
  put_tensor_raw(g, "obs_inv_std", 1, &dim, &inv_std);
  put_doubles(g, "obs_clip_min", &lo, 0);
  put_doubles(g, "obs_clip_max", &hi, 0);
  put_node(g, "Sub", "normalize_center",
           (const char *[]){"obs", "obs_mean", NULL}, "obs_centered");
  put_node(g, "Mul", "normalize_scale",
           (const char *[]){"obs_centered", "obs_inv_std", NULL}, "obs_scaled");
  put_node(g, "Clip", "normalize_clip",
           (const char *[]){"obs_scaled", "obs_clip_min", "obs_clip_max", NULL},
           "obs_z");
  return "obs_z";
}

/* The layers; the last one's output is "y". */
static void put_layers(crl__text *g, const crl__policy_view *v,
                       const char *input) {
  const crl_mlp_spec *s = crl_mlp_get_spec(v->net);
  const crl_real *p = crl_mlp_params((crl_mlp *)v->net); /* only read */
  char prev[32], w[32], b[32], lin[32], out[32], name[32];
  snprintf(prev, sizeof prev, "%s", input);
  for (int l = 0; l < s->n_layers; l++) {
    const int in = s->sizes[l], n_out = s->sizes[l + 1];
    const int last = l == s->n_layers - 1;
    const crl_activation a = last ? s->output_activation : s->hidden_activation;
    const int64_t wdims[2] = {n_out, in}, bdims[1] = {n_out};
    snprintf(w, sizeof w, "W%d", l);
    snprintf(b, sizeof b, "b%d", l);
    crl__text wraw = {0}, braw = {0};
    for (int i = 0; i < n_out * in; i++)
      raw_put(&wraw, (double)*p++);
    for (int i = 0; i < n_out; i++)
      raw_put(&braw, (double)*p++);
    put_tensor_raw(g, w, 2, wdims, &wraw);
    put_tensor_raw(g, b, 1, bdims, &braw);
    if (a == CRL_ACT_IDENTITY && last)
      snprintf(lin, sizeof lin, "y");
    else
      snprintf(lin, sizeof lin, "h%d_linear", l);
    snprintf(name, sizeof name, "layer%d_gemm", l);
    crl__text n;
    node_begin(&n, "Gemm", name, (const char *[]){prev, w, b, NULL}, lin);
    put_attr_int(&n, "transB", 1); /* x W^T: W as [out, in] */
    pb_msg(g, 1, &n);
    snprintf(out, sizeof out, "%s", lin);
    if (a != CRL_ACT_IDENTITY) {
      if (last)
        snprintf(out, sizeof out, "y");
      else
        snprintf(out, sizeof out, "h%d", l);
      snprintf(name, sizeof name, "layer%d_%s", l,
               a == CRL_ACT_TANH ? "tanh" : "relu");
      put_node(g, a == CRL_ACT_TANH ? "Tanh" : "Relu", name,
               (const char *[]){lin, NULL}, out);
    }
    snprintf(prev, sizeof prev, "%s", out);
  }
}

/* "y" -> "action". */
static void put_action(crl__text *g, const crl__policy_view *v) {
  if (v->output == CRL_POLICY_ARGMAX) {
    crl__text n;
    node_begin(&n, "ArgMax", "action_argmax", (const char *[]){"y", NULL},
               "action");
    put_attr_int(&n, "axis", 1);
    put_attr_int(&n, "keepdims", 1); /* [N, 1], as crl's act_dim 1 */
    pb_msg(g, 1, &n);
    return;
  }
  const crl_space *a = v->act;
  put_doubles(g, "act_low", a->low, a->dim);
  if (v->output == CRL_POLICY_CLIP) {
    put_doubles(g, "act_high", a->high, a->dim);
    put_node(g, "Max", "action_clip_low",
             (const char *[]){"y", "act_low", NULL}, "y_above_low");
    put_node(g, "Min", "action_clip_high",
             (const char *[]){"y_above_low", "act_high", NULL}, "action");
    return;
  }
  crl__text half = {0};
  const int64_t dim = a->dim;
  const double one = 1.0;
  for (int j = 0; j < a->dim; j++)
    raw_put(&half, 0.5 * (a->high[j] - a->low[j]));
  put_doubles(g, "one", &one, 0);
  put_tensor_raw(g, "act_half_range", 1, &dim, &half);
  const char *pre = "y";
  if (v->tanh_clip > 0) { /* Clip(y, -c, c) before Tanh */
    const double lo = -v->tanh_clip, hi = v->tanh_clip;
    put_doubles(g, "tanh_clip_low", &lo, 0);
    put_doubles(g, "tanh_clip_high", &hi, 0);
    put_node(g, "Clip", "action_tanh_clip",
             (const char *[]){"y", "tanh_clip_low", "tanh_clip_high", NULL},
             "y_clipped");
    pre = "y_clipped";
  }
  put_node(g, "Tanh", "action_tanh", (const char *[]){pre, NULL}, "y_tanh");
  put_node(g, "Add", "action_shift", (const char *[]){"y_tanh", "one", NULL},
           "y_shifted");
  put_node(g, "Mul", "action_scale",
           (const char *[]){"y_shifted", "act_half_range", NULL}, "y_scaled");
  put_node(g, "Add", "action_offset",
           (const char *[]){"y_scaled", "act_low", NULL}, "action");
}

static void put_graph(crl__text *model, const crl__policy_view *v) {
  const crl_mlp_spec *s = crl_mlp_get_spec(v->net);
  crl__text g = {0};
  const char *input = put_normalizer(&g, v->norm);
  put_layers(&g, v, input);
  put_action(&g, v);
  pb_str(&g, 2, "crl_policy");
  pb_str(&g, 10,
         "crl_policy_act as standard operators: obs float [N, obs_dim] -> "
         "action float [N, act_dim], or int64 [N, 1] for a discrete policy "
         "(the action's index). Non-finite observations are not refused.");
  put_value_info(&g, 11, "obs", ONNX_FLOAT, s->sizes[0]);
  if (v->output == CRL_POLICY_ARGMAX)
    put_value_info(&g, 12, "action", ONNX_INT64, 1);
  else
    put_value_info(&g, 12, "action", ONNX_FLOAT, v->act->dim);
  pb_msg(model, 7, &g); /* ModelProto.graph */
}

int crl_policy_write_onnx(const crl_policy *policy, const char *path) {
  if (path == NULL || path[0] == '\0')
    return crl_fail(CRL_EINVAL, "export: no file name for the ONNX model");
  crl__policy_view v;
  crl__policy_view_of(policy, &v);
  crl__text m = {0}, opset = {0};
  pb_int(&m, 1, 7); /* ir_version */
  pb_str(&m, 2, "crl");
  pb_str(&m, 3, crl_version());
  pb_str(&opset, 1, ""); /* the default domain, ai.onnx */
  pb_int(&opset, 2, 13);
  pb_msg(&m, 8, &opset); /* opset_import */
  put_graph(&m, &v);
  const char *paths[] = {path};
  const crl__text *texts[] = {&m};
  int rc = crl__write_files(1, paths, texts);
  crl__text_free(&m);
  return rc;
}
