/* Network initialisation (lib/mlp_init.c): orthogonal weights with the
 * requested gains and zero biases, and PyTorch's nn.Linear default bounds;
 * the same seed gives the same parameters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crl/crl.h"

#if CRL_REAL_IS_DOUBLE
#define ORTHO_TOL 1e-12
#else
#define ORTHO_TOL 1e-5
#endif

static void test_orthogonal_init(void **state) {
  (void)state;
  /* W0 [8, 5] tall, W1 [3, 8] wide, W2 [3, 3] square */
  const int hidden[2] = {8, 3};
  crl_mlp_spec s =
      crl_mlp_spec_make(5, 2, hidden, 3, CRL_ACT_TANH, CRL_ACT_IDENTITY, 4);
  crl_mlp *net = NULL, *net2 = NULL;
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net), 0);
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net2), 0);
  gsl_rng *rng = crl_rng_alloc(11, CRL_STREAM_INIT);
  const double hg = sqrt(2.0), og = 0.5;
  assert_int_equal(crl_mlp_init(net, CRL_INIT_ORTHOGONAL, hg, og, rng), 0);
  const crl_real *p = crl_mlp_params(net);
  for (int l = 0; l < s.n_layers; l++) {
    const int in = s.sizes[l], o = s.sizes[l + 1];
    const double g2 = l == s.n_layers - 1 ? og * og : hg * hg;
    const crl_real *W = p, *b = p + (size_t)o * in;
    /* rows <= cols: W W^T = g^2 I over rows; else W^T W = g^2 I */
    const int k = o <= in ? o : in, len = o <= in ? in : o;
    for (int i = 0; i < k; i++)
      for (int j = 0; j < k; j++) {
        double acc = 0.0;
        for (int t = 0; t < len; t++)
          acc += o <= in ? (double)W[i * in + t] * W[j * in + t]
                         : (double)W[t * in + i] * W[t * in + j];
        assert_true(fabs(acc - (i == j ? g2 : 0.0)) <= ORTHO_TOL * 10 * g2);
      }
    for (int i = 0; i < o; i++)
      assert_true(b[i] == 0);
    p += (size_t)o * (in + 1);
  }
  /* same seed, same weights */
  gsl_rng_free(rng);
  rng = crl_rng_alloc(11, CRL_STREAM_INIT);
  assert_int_equal(crl_mlp_init(net2, CRL_INIT_ORTHOGONAL, hg, og, rng), 0);
  assert_memory_equal(crl_mlp_params(net), crl_mlp_params(net2),
                      crl_mlp_n_params(net) * sizeof(crl_real));
  assert_int_equal(crl_mlp_init(net, CRL_INIT_ORTHOGONAL, NAN, 1.0, rng),
                   CRL_EINVAL);
  assert_int_equal(crl_mlp_init(net, CRL_INIT_ORTHOGONAL, 1.0, 1.0, NULL),
                   CRL_EINVAL);
  gsl_rng_free(rng);
  crl_mlp_free(net);
  crl_mlp_free(net2);
}

static void test_torch_init(void **state) {
  (void)state;
  const int hidden[1] = {16};
  crl_mlp_spec s =
      crl_mlp_spec_make(7, 1, hidden, 3, CRL_ACT_TANH, CRL_ACT_IDENTITY, 1);
  crl_mlp *net = NULL;
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net), 0);
  gsl_rng *rng = crl_rng_alloc(5, CRL_STREAM_INIT);
  assert_int_equal(crl_mlp_init(net, CRL_INIT_TORCH, 0.0, 0.0, rng), 0);
  const crl_real *p = crl_mlp_params(net);
  for (int l = 0; l < s.n_layers; l++) {
    const int in = s.sizes[l], o = s.sizes[l + 1];
    const double bound = 1.0 / sqrt((double)in);
    double wmax = 0.0, bmax = 0.0, sum = 0.0;
    for (int i = 0; i < o * in; i++) {
      assert_true(fabs(p[i]) <= bound);
      wmax = fmax(wmax, fabs(p[i]));
      sum += p[i];
    }
    for (int i = 0; i < o; i++) {
      assert_true(fabs(p[o * in + i]) <= bound);
      bmax = fmax(bmax, fabs(p[o * in + i]));
    }
    /* uniform over the whole interval, not a narrower one */
    assert_true(wmax > 0.8 * bound);
    assert_true(bmax > 0.2 * bound);
    assert_true(fabs(sum / (o * in)) < 0.25 * bound);
    p += (size_t)o * (in + 1);
  }
  gsl_rng_free(rng);
  crl_mlp_free(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_orthogonal_init),
      cmocka_unit_test(test_torch_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
