/* The crl side of the export tests (export_c_test.sh, export_py_test.sh):
 *   export_ref make DIR            policies of every kind crl writes, as
 *                                  DIR/<name>.crlp (names on stdout)
 *   export_ref obs POLICY N SEED OUT   N observations for POLICY, float32
 *                                  records: ordinary, far outside the
 *                                  normaliser's clip, zeros and tiny, and
 *                                  a few non-finite ones
 *   export_ref act POLICY OBS OUT ISA  crl_policy_act on each record, with
 *                                  the kernel set ISA (generic, avx2,
 *                                  avx512): records of int32 status (0, 1
 *                                  non-finite observation, 2 non-finite
 *                                  action) and act_dim float32 values (the
 *                                  action rounded to float; zeros when
 *                                  unwritten)
 *   export_ref isas                the kernel sets this CPU supports
 * The policies are built from parts with random parameters, so that every
 * combination (output transform, hidden activation, normaliser, layer
 * shapes that take either product at batch 1) is covered without
 * training. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl/crl.h"
#include "crl/kernels.h"
#include "io/policy_internal.h"

/* SplitMix64: a small generator of its own, so the data do not depend on
 * GSL's versions. */
static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double uniform(uint64_t *s) { /* [-1, 1) */
  return (double)(next(s) >> 11) * 0x1p-52 - 1.0;
}

typedef struct kind {
  const char *name;
  int obs, n_hidden, hidden[3], act; /* act: Box dim or Discrete n */
  crl_activation hidden_act;
  crl__policy_output output;
  int norm;
  double scale;     /* parameters uniform in scale * [-1, 1) / sqrt(fan-in) */
  int open_bounds;  /* Box bounds infinite on one side (clip only) */
  double tanh_clip; /* tanh only: the clamp before it (0: none) */
} kind;

// clang-format off
static const kind kinds[] = {
  /* SAC / TD3-like: ReLU, tanh-squashed (k >= 16 inputs: dot products) */
  {"sac_relu",       17, 2, {64, 64},    6, CRL_ACT_RELU, CRL_POLICY_TANH, 0, 2, 0, 0},
  {"sac_relu_norm",   5, 2, {64, 64},    3, CRL_ACT_RELU, CRL_POLICY_TANH, 1, 2, 0, 0},
  /* SAC with gSDE: the mean clamped before tanh (often, at this scale) */
  {"sac_gsde_clip",   5, 2, {64, 64},    3, CRL_ACT_RELU, CRL_POLICY_TANH, 1, 3, 0, 0.5},
  /* PPO-like: tanh, Gaussian mean clipped (3 inputs: sequential sums) */
  {"ppo_tanh_norm",   3, 2, {64, 64},    1, CRL_ACT_TANH, CRL_POLICY_CLIP, 1, 3, 0, 0},
  {"ppo_tanh",        8, 1, {32},        2, CRL_ACT_TANH, CRL_POLICY_CLIP, 0, 3, 0, 0},
  {"ppo_relu_open",   4, 2, {24, 40},    5, CRL_ACT_RELU, CRL_POLICY_CLIP, 1, 3, 1, 0},
  /* discrete: argmax; 16 -> 8 -> 5 takes the dot, then the sequential sum */
  {"argmax_tanh_norm",4, 2, {64, 64},    2, CRL_ACT_TANH, CRL_POLICY_ARGMAX, 1, 2, 0, 0},
  {"argmax_relu",     6, 3, {16, 8, 12}, 5, CRL_ACT_RELU, CRL_POLICY_ARGMAX, 0, 2, 0, 0},
  /* weights that overflow a float: infinite and NaN actions */
  {"overflow",       20, 1, {8},         2, CRL_ACT_RELU, CRL_POLICY_CLIP, 0, 1e37, 1, 0},
};
// clang-format on

static int fail(const char *what) {
  fprintf(stderr, "export_ref: %s: %s\n", what, crl_last_error());
  return 1;
}

static int make_one(const kind *k, const char *dir, uint64_t *rng) {
  const int discrete = k->output == CRL_POLICY_ARGMAX;
  const int n_out = k->act;
  crl_mlp_spec spec = crl_mlp_spec_make(k->obs, k->n_hidden, k->hidden, n_out,
                                        k->hidden_act, CRL_ACT_IDENTITY, 1);
  crl_mlp *net = NULL;
  crl_normalizer *norm = NULL;
  crl_policy *p = NULL;
  if (crl_mlp_alloc(&spec, NULL, NULL, &net))
    return fail(k->name);
  crl_real *w = crl_mlp_params(net);
  size_t off = 0;
  for (int l = 0; l < spec.n_layers; l++) {
    const int in = spec.sizes[l], out = spec.sizes[l + 1];
    const double sd = k->scale / sqrt((double)in);
    for (int i = 0; i < out * (in + 1); i++)
      w[off++] = (crl_real)(sd * uniform(rng));
  }
  if (k->norm) {
    if (crl_normalizer_alloc(k->obs, 5.0, &norm))
      return fail(k->name);
    for (int j = 0; j < k->obs; j++) {
      norm->mean[j] = 3 * uniform(rng);
      norm->var[j] = j == 0 ? 0.0 : 4 * (uniform(rng) + 1.0); /* eps matters */
    }
    norm->eps = 1e-8;
  }
  double lo[8], hi[8];
  for (int j = 0; j < n_out && !discrete; j++) {
    lo[j] = -1.0 - j;
    hi[j] = 0.5 + 2 * j;
    if (k->open_bounds && j % 2 == 0)
      lo[j] = -INFINITY;
    if (k->open_bounds && j % 2 == 1)
      hi[j] = INFINITY;
  }
  crl_space act = discrete
                      ? (crl_space){CRL_SPACE_DISCRETE, 1, n_out, NULL, NULL}
                      : (crl_space){CRL_SPACE_BOX, n_out, 0, lo, hi};
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.crlp", dir, k->name);
  int rc = crl__policy_from_parts(net, norm, &act, k->output, 1, &p);
  if (rc == 0 && k->tanh_clip > 0)
    rc = crl__policy_set_tanh_clip(p, k->tanh_clip);
  rc = rc ? rc : crl_policy_save(p, path);
  crl_policy_free(p);
  crl_normalizer_free(norm);
  crl_mlp_free(net);
  if (rc)
    return fail(path);
  printf("%s\n", k->name);
  return 0;
}

static int cmd_make(const char *dir) {
  uint64_t rng = 20240601;
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (make_one(&kinds[i], dir, &rng))
      return 1;
  return 0;
}

/* Observation j of record i: most ordinary, some far outside any clip,
 * some zero, signed zero or tiny, and the last few non-finite. */
static float obs_value(int i, int n, int j, uint64_t *rng) {
  const double u = uniform(rng);
  if (i >= n - 3) /* one non-finite value in each of the last three */
    return j == 0 ? (i == n - 1   ? NAN
                     : i == n - 2 ? INFINITY
                                  : -INFINITY)
                  : (float)u;
  switch (i % 10) {
  case 7:
    return (float)(u * 1e6); /* far beyond the clip */
  case 8:
    return (float)(u * 1e30);
  case 9:
    return j % 3 == 0 ? 0.0f : j % 3 == 1 ? -0.0f : (float)(u * 1e-40);
  default:
    return (float)(3 * u * (1 + i % 4));
  }
}

static int cmd_obs(const char *policy, int n, uint64_t seed, const char *out) {
  crl_policy *p = NULL;
  if (crl_policy_load(policy, 1, &p))
    return fail(policy);
  const int D = crl_policy_obs_dim(p);
  crl_policy_free(p);
  FILE *f = fopen(out, "wb");
  if (f == NULL)
    return fail(out);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < D; j++) {
      const float v = obs_value(i, n, j, &seed);
      fwrite(&v, sizeof v, 1, f);
    }
  return fclose(f) != 0;
}

static int force_isa(const char *name) {
  static const struct {
    const char *name;
    crl_gemm_isa isa;
  } isas[] = {{"generic", CRL_GEMM_GENERIC},
              {"avx2", CRL_GEMM_AVX2},
              {"avx512", CRL_GEMM_AVX512}};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
    if (strcmp(name, isas[i].name) == 0)
      return crl_gemm_isa_force(isas[i].isa);
  return -1;
}

static int cmd_act(const char *policy, const char *obs_path, const char *out,
                   const char *isa) {
  if (force_isa(isa) != 0) {
    fprintf(stderr, "export_ref: kernel set %s not supported\n", isa);
    return 1;
  }
  crl_policy *p = NULL;
  if (crl_policy_load(policy, 1, &p))
    return fail(policy);
  const int D = crl_policy_obs_dim(p), A = crl_policy_act_space(p)->dim;
  const int discrete = crl_policy_act_space(p)->kind == CRL_SPACE_DISCRETE;
  FILE *in = fopen(obs_path, "rb"), *o = fopen(out, "wb");
  if (in == NULL || o == NULL)
    return fail("open");
  float x[4096];
  crl_real obs[4096], action[64];
  while (fread(x, sizeof(float), (size_t)D, in) == (size_t)D) {
    for (int j = 0; j < D; j++)
      obs[j] = (crl_real)x[j];
    for (int j = 0; j < A; j++)
      action[j] = 0;
    const int rc = crl_policy_act(p, obs, action);
    int32_t status = rc == 0                ? 0
                     : rc == CRL_EINVAL     ? 1
                     : rc == CRL_ENONFINITE ? 2
                                            : -1;
    /* The exported code's interface is float: an action finite as a
     * double but not as a float (a double build) is its status 2. */
    int32_t st = status;
    float a[64];
    for (int j = 0; j < A; j++) {
      a[j] = (float)action[j];
      if (st == 0 && !discrete && !isfinite(a[j]))
        st = 2;
    }
    status = st;
    fwrite(&status, sizeof status, 1, o);
    fwrite(a, sizeof(float), (size_t)A, o);
  }
  crl_policy_free(p);
  fclose(in);
  return fclose(o) != 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "make") == 0)
    return cmd_make(argv[2]);
  if (argc == 6 && strcmp(argv[1], "obs") == 0)
    return cmd_obs(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10),
                   argv[5]);
  if (argc == 6 && strcmp(argv[1], "act") == 0)
    return cmd_act(argv[2], argv[3], argv[4], argv[5]);
  if (argc == 2 && strcmp(argv[1], "isas") == 0) {
    printf("generic");
    if (crl_gemm_isa_supported(CRL_GEMM_AVX2))
      printf(" avx2");
    if (crl_gemm_isa_supported(CRL_GEMM_AVX512))
      printf(" avx512");
    printf("\n");
    return 0;
  }
  fprintf(stderr, "usage: export_ref make DIR | obs POLICY N SEED OUT | act "
                  "POLICY OBS OUT ISA | isas\n");
  return 2;
}
