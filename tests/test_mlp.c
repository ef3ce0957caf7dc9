/* MLP: backward and JVP against central finite differences, JVP/VJP
 * consistency, the JVP through kept activations (crl_mlp_jvp_cached) bit
 * for bit against the JVP, exact bias-gradient sums, a naive double
 * reference forward, capacity checks and external parameter views.
 * (tests/test_gemm.c runs whole networks through each kernel set of
 * lib/gemm.c.)
 *
 * The tolerances are tight enough to catch real mistakes. Each of these
 * deliberate breakages of lib/mlp.c made test_backward_fd and/or
 * test_jvp_fd_and_consistency fail in both builds, and was then reverted
 * (worst relative error in brackets, against tolerances of 1e-6 double and
 * 1e-3 float; correct code measures about 1e-7 double, 2e-5 float):
 * tanh' written as 1 - y (1.45); the bias-sum loop skipping the last row
 * (0.40); the db term dropped from the JVP (1.66); dW scaled by 0.99 (0.01);
 * the hidden activation derivative skipped in backward (1.23); the output
 * activation used for hidden layers in the JVP (0.84). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/crl.h"
#include "grad_check.h"

/* Finite differences are always taken in double, of a double function of
 * double parameters and inputs (see forward_d), with step FD_H * max(1, |v|).
 * Double build: that function is the library's own forward, so backward and
 * jvp are checked against exactly what they differentiate. Float build: a
 * float forward difference would be mostly rounding, so it is the naive
 * double reference forward below, evaluated at the same (float) values; the
 * library's float forward is checked against that reference separately
 * (test_forward_reference), which closes the loop. */
#define FD_H 1e-6
#if CRL_REAL_IS_DOUBLE
#define GRAD_TOL 1e-6 /* max relative error of a gradient or JVP */
#define DOT_TOL 1e-12 /* <J v, w> vs <v, J^T w> */
#define REF_TOL 1e-12 /* library forward vs the double reference */
#else
#define GRAD_TOL 1e-3
#define DOT_TOL 1e-5
#define REF_TOL 1e-5
#endif

typedef struct net_case {
  int n_layers;
  int sizes[5];
  crl_activation hid, out;
  int B;
} net_case;

/* Every activation as hidden and as output, depths 1 to 4, batch 1 (the
 * gemv path) and larger. */
static const net_case cases[] = {
    {1, {3, 2}, CRL_ACT_TANH, CRL_ACT_TANH, 4},
    {1, {4, 3}, CRL_ACT_IDENTITY, CRL_ACT_IDENTITY, 1},
    {1, {5, 3}, CRL_ACT_RELU, CRL_ACT_RELU, 3},
    {2, {4, 5, 3}, CRL_ACT_TANH, CRL_ACT_IDENTITY, 5},
    {2, {3, 6, 2}, CRL_ACT_RELU, CRL_ACT_IDENTITY, 4},
    {2, {3, 4, 2}, CRL_ACT_IDENTITY, CRL_ACT_TANH, 3},
    {3, {3, 6, 5, 4}, CRL_ACT_TANH, CRL_ACT_TANH, 1},
    {3, {4, 7, 6, 3}, CRL_ACT_RELU, CRL_ACT_RELU, 6},
    {4, {5, 6, 4, 6, 2}, CRL_ACT_TANH, CRL_ACT_IDENTITY, 7},
    {4, {2, 5, 6, 3, 3}, CRL_ACT_RELU, CRL_ACT_TANH, 3},
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static void fill_gauss(crl_real *v, size_t n, double sd, gsl_rng *rng) {
  for (size_t i = 0; i < n; i++)
    v[i] = (crl_real)gsl_ran_gaussian(rng, sd);
}

static void to_double(double *d, const crl_real *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    d[i] = v[i];
}

static crl_mlp *make_net(const net_case *c, int max_batch) {
  crl_mlp_spec s =
      crl_mlp_spec_make(c->sizes[0], c->n_layers - 1, c->sizes + 1,
                        c->sizes[c->n_layers], c->hid, c->out, max_batch);
  crl_mlp *net = NULL;
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net), 0);
  assert_non_null(net);
  return net;
}

static int n_in(crl_mlp *net) {
  return crl_mlp_get_spec(net)->sizes[0];
}
static int n_out(crl_mlp *net) {
  const crl_mlp_spec *s = crl_mlp_get_spec(net);
  return s->sizes[s->n_layers];
}

static double ref_act(double z, crl_activation a) {
  return a == CRL_ACT_TANH ? tanh(z) : a == CRL_ACT_RELU ? (z > 0 ? z : 0) : z;
}

/* One sample, in double, straight from the documented layout: per layer
 * W [out, in] row-major, then b [out]. Widths up to 64. */
static void ref_forward(const crl_mlp_spec *s, const double *p, const double *x,
                        double *y) {
  double a[64], z[64];
  memcpy(a, x, (size_t)s->sizes[0] * sizeof *a);
  for (int l = 0; l < s->n_layers; l++) {
    const int in = s->sizes[l], o = s->sizes[l + 1];
    const crl_activation act =
        l == s->n_layers - 1 ? s->output_activation : s->hidden_activation;
    const double *W = p, *b = p + (size_t)o * in;
    for (int i = 0; i < o; i++) {
      double acc = b[i];
      for (int j = 0; j < in; j++)
        acc += W[i * in + j] * a[j];
      z[i] = ref_act(acc, act);
    }
    memcpy(a, z, (size_t)o * sizeof *a);
    p += (size_t)o * (in + 1);
  }
  memcpy(y, a, (size_t)s->sizes[s->n_layers] * sizeof *y);
}

/* yd [B, out] = net(xd [B, in]) with parameters pd, in double (see the
 * comment at FD_H). The double build overwrites the net's parameters. */
static void forward_d(crl_mlp *net, int B, const double *pd, const double *xd,
                      double *yd) {
#if CRL_REAL_IS_DOUBLE
  memcpy(crl_mlp_params(net), pd, crl_mlp_n_params(net) * sizeof *pd);
  assert_int_equal(crl_mlp_forward(net, xd, B, yd), 0);
#else
  for (int b = 0; b < B; b++)
    ref_forward(crl_mlp_get_spec(net), pd, xd + (size_t)b * n_in(net),
                yd + (size_t)b * n_out(net));
#endif
}

/* L = sum y * r */
static double loss_d(crl_mlp *net, int B, const double *pd, const double *xd,
                     const crl_real *r, double *yd) {
  forward_d(net, B, pd, xd, yd);
  double s = 0.0;
  for (int i = 0; i < B * n_out(net); i++)
    s += yd[i] * r[i];
  return s;
}

/* dL/dv by central differences for one coordinate v of pd or xd. */
static double fd_coord(crl_mlp *net, int B, double *pd, double *xd, double *v,
                       const crl_real *r, double *yd) {
  const double v0 = *v, h = FD_H * fmax(1.0, fabs(v0));
  const double vp = v0 + h, vm = v0 - h;
  *v = vp;
  const double lp = loss_d(net, B, pd, xd, r, yd);
  *v = vm;
  const double lm = loss_d(net, B, pd, xd, r, yd);
  *v = v0;
  return (lp - lm) / (vp - vm);
}

/* ---- backward vs finite differences ------------------------------------- */

static void check_backward(const net_case *c, int ci) {
  gsl_rng *rng = crl_rng_alloc(42 + (uint64_t)ci, 1000);
  crl_mlp *net = make_net(c, c->B + 2);
  const int B = c->B, in = n_in(net), out = n_out(net);
  const size_t n = crl_mlp_n_params(net), nx = (size_t)B * in;
  crl_real *p = crl_mlp_params(net), *g = crl_mlp_grads(net);
  /* sd 0.7: units in tanh's curved region, biases clearly non-zero */
  fill_gauss(p, n, 0.7, rng);
  crl_real *x = malloc(nx * sizeof *x);              /* [B, in] */
  crl_real *dx = malloc(nx * sizeof *dx);            /* [B, in] */
  crl_real *r = malloc((size_t)B * out * sizeof *r); /* [B, out] */
  crl_real *y = malloc((size_t)B * out * sizeof *y); /* [B, out] */
  double *yd = malloc((size_t)B * out * sizeof *yd); /* [B, out] */
  crl_real *g0 = malloc(n * sizeof *g0);             /* [n] */
  double *pd = malloc(n * sizeof *pd), *xd = malloc(nx * sizeof *xd);
  size_t big = n > nx ? n : nx;
  double *ana = malloc(big * sizeof *ana), *num = malloc(big * sizeof *num);
  fill_gauss(x, nx, 1.0, rng);
  fill_gauss(r, (size_t)B * out, 1.0, rng);
  fill_gauss(g0, n, 1.0, rng);
  to_double(pd, p, n);
  to_double(xd, x, nx);

  /* backward ADDS: start from g0 and compare the increment */
  memcpy(g, g0, n * sizeof *g);
  assert_int_equal(crl_mlp_forward(net, x, B, y), 0);
  assert_int_equal(crl_mlp_backward(net, r, B, dx), 0);
  for (size_t i = 0; i < n; i++)
    ana[i] = (double)g[i] - g0[i];
  for (size_t i = 0; i < n; i++)
    num[i] = fd_coord(net, B, pd, xd, pd + i, r, yd);
  double err = max_rel_err(ana, num, n);
  if (err > GRAD_TOL)
    print_message("case %d: param grad rel err %.3g\n", ci, err);
  assert_true(err <= GRAD_TOL);

  to_double(ana, dx, nx);
  for (size_t i = 0; i < nx; i++)
    num[i] = fd_coord(net, B, pd, xd, xd + i, r, yd);
  err = max_rel_err(ana, num, nx);
  if (err > GRAD_TOL)
    print_message("case %d: input grad rel err %.3g\n", ci, err);
  assert_true(err <= GRAD_TOL);

  /* dx = NULL gives the same parameter gradient */
  crl_mlp_zero_grad(net);
  assert_int_equal(crl_mlp_forward(net, x, B, y), 0);
  assert_int_equal(crl_mlp_backward(net, r, B, NULL), 0);
  memcpy(g0, g, n * sizeof *g);
  crl_mlp_zero_grad(net);
  assert_int_equal(crl_mlp_backward(net, r, B, dx), 0);
  assert_memory_equal(g0, g, n * sizeof *g);

  /* the input gradient alone: the same dx bit for bit, gradients untouched
   * (dx of the full backward is still in dx; ana holds it as double) */
  crl_real *dx2 = malloc(nx * sizeof *dx2); /* [B, in] */
  assert_int_equal(crl_mlp_backward_input(net, r, B, dx2), 0);
  assert_memory_equal(dx, dx2, nx * sizeof *dx);
  assert_memory_equal(g0, g, n * sizeof *g);
  assert_int_equal(crl_mlp_backward_input(net, r, B, NULL), CRL_EINVAL);
  free(dx2);

  free(x), free(dx), free(r), free(y), free(yd), free(g0), free(pd), free(xd);
  free(ana), free(num);
  crl_mlp_free(net);
  gsl_rng_free(rng);
}

static void test_backward_fd(void **state) {
  (void)state;
  for (int ci = 0; ci < N_CASES; ci++)
    check_backward(&cases[ci], ci);
}

/* ---- JVP vs finite differences, and <J v, w> = <v, J^T w> --------------- */

static void check_jvp(const net_case *c, int ci) {
  gsl_rng *rng = crl_rng_alloc(7 + (uint64_t)ci, 1001);
  crl_mlp *net = make_net(c, c->B);
  const int B = c->B, in = n_in(net), out = n_out(net);
  const size_t n = crl_mlp_n_params(net), ny = (size_t)B * out;
  const size_t nx = (size_t)B * in;
  crl_real *p = crl_mlp_params(net), *g = crl_mlp_grads(net);
  fill_gauss(p, n, 0.7, rng);
  crl_real *p0 = malloc(n * sizeof *p0), *vp = malloc(n * sizeof *vp);
  crl_real *x = malloc(nx * sizeof *x);  /* [B, in] */
  crl_real *vx = malloc(nx * sizeof *x); /* [B, in] */
  crl_real *dx = malloc(nx * sizeof *x); /* [B, in] */
  crl_real *y = malloc(ny * sizeof *y), *yj = malloc(ny * sizeof *y);
  crl_real *dy = malloc(ny * sizeof *y), *w = malloc(ny * sizeof *y);
  crl_real *dyc = malloc(ny * sizeof *y); /* [B, out] */
  crl_real *g1 = malloc(n * sizeof *g1);  /* [n] */
  crl_real *dx1 = malloc(nx * sizeof *x); /* [B, in] */
  double *pd = malloc(n * sizeof *pd), *xd = malloc(nx * sizeof *xd);
  double *ys = malloc(ny * sizeof *ys);
  double *ana = malloc(ny * sizeof *ana), *num = malloc(ny * sizeof *num);
  memcpy(p0, p, n * sizeof *p);
  fill_gauss(vp, n, 1.0, rng);
  fill_gauss(x, nx, 1.0, rng);
  fill_gauss(vx, nx, 1.0, rng);
  fill_gauss(w, ny, 1.0, rng);
  assert_int_equal(crl_mlp_forward(net, x, B, y), 0);

  for (int mode = 1; mode <= 3; mode++) { /* params, input, both */
    const crl_real *vpm = mode & 1 ? vp : NULL, *vxm = mode & 2 ? vx : NULL;
    memcpy(p, p0, n * sizeof *p);
    assert_int_equal(crl_mlp_jvp(net, x, B, vpm, vxm, yj, dy), 0);
    assert_memory_equal(y, yj, ny * sizeof *y); /* same primal as forward */
    to_double(ana, dy, ny);
    for (int sgn = 1; sgn >= -1; sgn -= 2) {
      for (size_t i = 0; i < n; i++)
        pd[i] = p0[i] + (vpm ? sgn * FD_H * vp[i] : 0.0);
      for (size_t i = 0; i < nx; i++)
        xd[i] = x[i] + (vxm ? sgn * FD_H * vx[i] : 0.0);
      forward_d(net, B, pd, xd, ys);
      for (size_t i = 0; i < ny; i++)
        num[i] = sgn > 0 ? ys[i] : (num[i] - ys[i]) / (2 * FD_H);
    }
    double err = max_rel_err(ana, num, ny);
    if (err > GRAD_TOL)
      print_message("case %d mode %d: jvp rel err %.3g\n", ci, mode, err);
    assert_true(err <= GRAD_TOL);

    /* through the activations of the last forward: the same bits, after a
     * forward and after a jvp (forward_d changed the double build's
     * parameters, so restore them and run the forward again) */
    memcpy(p, p0, n * sizeof *p);
    assert_int_equal(crl_mlp_forward(net, x, B, yj), 0);
    assert_int_equal(crl_mlp_jvp_cached(net, B, vpm, vxm, dyc), 0);
    assert_memory_equal(dy, dyc, ny * sizeof *dy);
    assert_int_equal(crl_mlp_jvp(net, x, B, vpm, vxm, NULL, dyc), 0);
    assert_memory_equal(dy, dyc, ny * sizeof *dy);
    assert_int_equal(crl_mlp_jvp_cached(net, B, vpm, vxm, dyc), 0);
    assert_memory_equal(dy, dyc, ny * sizeof *dy);
  }
  memcpy(p, p0, n * sizeof *p);

  /* no direction: dy = 0 */
  assert_int_equal(crl_mlp_jvp(net, x, B, NULL, NULL, NULL, dy), 0);
  for (size_t i = 0; i < ny; i++)
    assert_true(dy[i] == 0);
  for (size_t i = 0; i < ny; i++)
    dyc[i] = 1;
  assert_int_equal(crl_mlp_jvp_cached(net, B, NULL, NULL, dyc), 0);
  assert_memory_equal(dy, dyc, ny * sizeof *dy);

  /* <J v, w> = <v, J^T w>; backward runs on the activations jvp left */
  assert_int_equal(crl_mlp_jvp(net, x, B, vp, vx, NULL, dy), 0);
  crl_mlp_zero_grad(net);
  assert_int_equal(crl_mlp_backward(net, w, B, dx), 0);
  double lhs = 0, rhs = 0, scale = 0;
  for (size_t i = 0; i < ny; i++) {
    lhs += (double)dy[i] * w[i];
    scale += fabs((double)dy[i] * w[i]);
  }
  for (size_t i = 0; i < n; i++) {
    rhs += (double)vp[i] * g[i];
    scale += fabs((double)vp[i] * g[i]);
  }
  for (size_t i = 0; i < nx; i++) {
    rhs += (double)vx[i] * dx[i];
    scale += fabs((double)vx[i] * dx[i]);
  }
  if (fabs(lhs - rhs) > DOT_TOL * scale)
    print_message("case %d: <Jv,w> %.17g vs <v,J^T w> %.17g\n", ci, lhs, rhs);
  assert_true(fabs(lhs - rhs) <= DOT_TOL * scale);

  /* jvp_cached leaves the activations as they were: a backward after it
   * gives the gradients of a backward after the forward (TRPO's products
   * run the two in turn, many times, on one forward) */
  memcpy(g1, g, n * sizeof *g);
  memcpy(dx1, dx, nx * sizeof *dx);
  assert_int_equal(crl_mlp_forward(net, x, B, y), 0);
  for (int rep = 0; rep < 2; rep++) {
    assert_int_equal(crl_mlp_jvp_cached(net, B, vp, vx, dyc), 0);
    assert_memory_equal(dy, dyc, ny * sizeof *dy);
    crl_mlp_zero_grad(net);
    assert_int_equal(crl_mlp_backward(net, w, B, dx), 0);
    assert_memory_equal(g1, g, n * sizeof *g);
    assert_memory_equal(dx1, dx, nx * sizeof *dx);
  }

  free(p0), free(vp), free(x), free(vx), free(dx), free(y), free(yj);
  free(dy), free(w), free(pd), free(xd), free(ys), free(ana), free(num);
  free(dyc), free(g1), free(dx1);
  crl_mlp_free(net);
  gsl_rng_free(rng);
}

static void test_jvp_fd_and_consistency(void **state) {
  (void)state;
  for (int ci = 0; ci < N_CASES; ci++)
    check_jvp(&cases[ci], ci);
}

/* ---- the bias gradient: exact sequential column sums --------------------- */

/* db of a one-layer identity net is the column sums of dy, added to the
 * gradient there: bit for bit the sequential sum over the rows starting
 * from the old value, whatever the width (the kernel goes by blocks of
 * four vectors, then one vector, then one column: 83 = 64 + 16 + 3 in
 * float, 32 + 32 + 8 + 8 + 3 in double) and the batch. */
static void test_bias_gradient_sums(void **state) {
  (void)state;
  enum { IN = 2, OUT = 83, BMAX = 37 };
  crl_mlp_spec s = crl_mlp_spec_make(IN, 0, NULL, OUT, CRL_ACT_IDENTITY,
                                     CRL_ACT_IDENTITY, BMAX);
  crl_mlp *net = NULL;
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net), 0);
  gsl_rng *rng = crl_rng_alloc(17, 1003);
  static crl_real x[BMAX * IN], y[BMAX * OUT], dy[BMAX * OUT];
  crl_real db0[OUT], want[OUT];
  const crl_real *db = crl_mlp_grads(net) + (size_t)OUT * IN; /* [OUT] */
  fill_gauss(crl_mlp_params(net), crl_mlp_n_params(net), 0.5, rng);
  const int batches[] = {1, 2, 7, BMAX};
  for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
    const int B = batches[bi];
    fill_gauss(x, (size_t)B * IN, 1.0, rng);
    fill_gauss(dy, (size_t)B * OUT, 1.0, rng);
    fill_gauss(crl_mlp_grads(net), crl_mlp_n_params(net), 1.0, rng);
    memcpy(db0, db, sizeof db0);
    for (int j = 0; j < OUT; j++) {
      crl_real acc = db0[j];
      for (int r = 0; r < B; r++)
        acc += dy[(size_t)r * OUT + j];
      want[j] = acc;
    }
    assert_int_equal(crl_mlp_forward(net, x, B, y), 0);
    assert_int_equal(crl_mlp_backward(net, dy, B, NULL), 0);
    assert_memory_equal(want, db, sizeof want);
  }
  gsl_rng_free(rng);
  crl_mlp_free(net);
}

/* ---- forward against the naive reference in double ----------------------- */

static void test_forward_reference(void **state) {
  (void)state;
  gsl_rng *rng = crl_rng_alloc(3, 1002);
  for (int ci = 0; ci < N_CASES; ci++) {
    crl_mlp *net = make_net(&cases[ci], 8);
    const crl_mlp_spec *s = crl_mlp_get_spec(net);
    const int in = n_in(net), out = n_out(net);
    const size_t n = crl_mlp_n_params(net);
    fill_gauss(crl_mlp_params(net), n, 0.7, rng);
    double *pd = malloc(n * sizeof *pd);
    to_double(pd, crl_mlp_params(net), n);
    crl_real x[8 * 8], y[8 * 8], y1[8];
    double xd[8], yr[8];
    fill_gauss(x, (size_t)8 * in, 1.0, rng);
    assert_int_equal(crl_mlp_forward(net, x, 8, y), 0);
    for (int b = 0; b < 8; b++) {
      to_double(xd, x + b * in, (size_t)in);
      ref_forward(s, pd, xd, yr);
      /* batch 1 (gemv) agrees with the same row of a batch (gemm) */
      assert_int_equal(crl_mlp_forward(net, x + b * in, 1, y1), 0);
      for (int j = 0; j < out; j++) {
        double tol = REF_TOL * fmax(1.0, fabs(yr[j]));
        assert_true(fabs(y[b * out + j] - yr[j]) <= tol);
        assert_true(fabs(y1[j] - yr[j]) <= tol);
      }
    }
    free(pd);
    crl_mlp_free(net);
  }
  gsl_rng_free(rng);
}

/* ---- invariants ---------------------------------------------------------- */

static void test_capacity_and_errors(void **state) {
  (void)state;
  const int hidden[1] = {4};
  crl_mlp_spec s =
      crl_mlp_spec_make(3, 1, hidden, 2, CRL_ACT_TANH, CRL_ACT_IDENTITY, 4);
  assert_int_equal(crl_mlp_param_count(&s), 4 * 3 + 4 + 2 * 4 + 2);
  crl_mlp *net = NULL;
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &net), 0);
  crl_real x[5 * 3] = {0}, y[5 * 2], dy[5 * 2] = {0}, v[5 * 3] = {0};
  crl_clear_error();
  assert_int_equal(crl_mlp_backward(net, dy, 4, NULL), CRL_ESTATE);
  assert_int_equal(crl_mlp_forward(net, x, 5, y), CRL_ESHAPE);
  assert_true(strstr(crl_last_error(), "5") != NULL);
  assert_int_equal(crl_mlp_forward(net, x, 0, y), CRL_ESHAPE);
  assert_int_equal(crl_mlp_jvp(net, x, 5, NULL, v, y, dy), CRL_ESHAPE);
  /* jvp_cached needs a forward (or jvp) of the same batch before it */
  assert_int_equal(crl_mlp_jvp_cached(net, 4, NULL, v, dy), CRL_ESTATE);
  assert_int_equal(crl_mlp_forward(net, x, 4, y), 0);
  assert_int_equal(crl_mlp_jvp_cached(net, 3, NULL, v, dy), CRL_ESHAPE);
  assert_int_equal(crl_mlp_jvp_cached(net, 5, NULL, v, dy), CRL_ESHAPE);
  assert_int_equal(crl_mlp_jvp_cached(net, 4, NULL, v, NULL), CRL_EINVAL);
  assert_int_equal(crl_mlp_jvp_cached(NULL, 4, NULL, v, dy), CRL_EINVAL);
  assert_int_equal(crl_mlp_jvp_cached(net, 4, NULL, v, dy), 0);
  assert_int_equal(crl_mlp_backward(net, dy, 5, NULL), CRL_ESHAPE);
  assert_int_equal(crl_mlp_backward(net, dy, 3, NULL), CRL_ESHAPE);
  assert_int_equal(crl_mlp_backward(net, dy, 4, NULL), 0);
  assert_int_equal(crl_mlp_forward(net, NULL, 4, y), CRL_EINVAL);
  crl_mlp_free(net);
  crl_mlp_free(NULL);

  /* bad specs: *out stays NULL */
  crl_mlp_spec bad = s;
  bad.sizes[1] = 0;
  net = (crl_mlp *)&bad;
  assert_int_equal(crl_mlp_alloc(&bad, NULL, NULL, &net), CRL_EINVAL);
  assert_null(net);
  assert_int_equal(crl_mlp_param_count(&bad), 0);
  int many[CRL_MLP_MAX_LAYERS] = {0};
  bad = crl_mlp_spec_make(3, CRL_MLP_MAX_LAYERS, many, 2, CRL_ACT_TANH,
                          CRL_ACT_TANH, 4);
  assert_int_equal(crl_mlp_alloc(&bad, NULL, NULL, &net), CRL_EINVAL);
  bad = s;
  bad.max_batch = 0;
  assert_int_equal(crl_mlp_alloc(&bad, NULL, NULL, &net), CRL_EINVAL);
  bad = s;
  bad.hidden_activation = (crl_activation)9;
  assert_int_equal(crl_mlp_alloc(&bad, NULL, NULL, &net), CRL_EINVAL);
  crl_real p[64];
  assert_int_equal(crl_mlp_alloc(&s, p, NULL, &net), CRL_EINVAL);
  assert_null(net);
}

/* Views: a net over a slice of larger flat vectors reads and writes only
 * that slice, and behaves exactly like a net owning the same values. */
static void test_external_views(void **state) {
  (void)state;
  const int hidden[2] = {5, 4};
  crl_mlp_spec s =
      crl_mlp_spec_make(3, 2, hidden, 2, CRL_ACT_TANH, CRL_ACT_IDENTITY, 4);
  const size_t n = crl_mlp_param_count(&s), pad = 10;
  crl_real *flat = malloc((n + 2 * pad) * sizeof *flat);
  crl_real *gflat = malloc((n + 2 * pad) * sizeof *gflat);
  for (size_t i = 0; i < n + 2 * pad; i++)
    flat[i] = gflat[i] = 7;
  crl_mlp *view = NULL, *own = NULL;
  assert_int_equal(crl_mlp_alloc(&s, flat + pad, gflat + pad, &view), 0);
  assert_int_equal(crl_mlp_alloc(&s, NULL, NULL, &own), 0);
  assert_ptr_equal(crl_mlp_params(view), flat + pad);
  assert_ptr_equal(crl_mlp_grads(view), gflat + pad);
  assert_int_equal(crl_mlp_n_params(view), n);
  /* owned storage starts at zero; external storage is left as it was */
  for (size_t i = 0; i < n; i++) {
    assert_true(crl_mlp_params(own)[i] == 0 && crl_mlp_grads(own)[i] == 0);
    assert_true(flat[pad + i] == 7);
  }
  gsl_rng *r1 = crl_rng_alloc(9, CRL_STREAM_INIT);
  gsl_rng *r2 = crl_rng_alloc(9, CRL_STREAM_INIT);
  assert_int_equal(crl_mlp_init(view, CRL_INIT_TORCH, 0, 0, r1), 0);
  assert_int_equal(crl_mlp_init(own, CRL_INIT_TORCH, 0, 0, r2), 0);
  assert_memory_equal(flat + pad, crl_mlp_params(own), n * sizeof *flat);
  crl_mlp_zero_grad(view);
  crl_mlp_zero_grad(own);
  /* writing through the flat vector changes what the view computes */
  flat[pad + 3] += (crl_real)0.5;
  crl_mlp_params(own)[3] += (crl_real)0.5;
  crl_real x[4 * 3], y1[4 * 2], y2[4 * 2], dy[4 * 2];
  fill_gauss(x, 12, 1.0, r1);
  fill_gauss(dy, 8, 1.0, r1);
  assert_int_equal(crl_mlp_forward(view, x, 4, y1), 0);
  assert_int_equal(crl_mlp_forward(own, x, 4, y2), 0);
  assert_memory_equal(y1, y2, sizeof y1);
  assert_int_equal(crl_mlp_backward(view, dy, 4, NULL), 0);
  assert_int_equal(crl_mlp_backward(own, dy, 4, NULL), 0);
  assert_memory_equal(gflat + pad, crl_mlp_grads(own), n * sizeof *gflat);
  for (size_t i = 0; i < pad; i++) { /* nothing outside the slice touched */
    assert_true(flat[i] == 7 && flat[pad + n + i] == 7);
    assert_true(gflat[i] == 7 && gflat[pad + n + i] == 7);
  }
  gsl_rng_free(r1);
  gsl_rng_free(r2);
  crl_mlp_free(view);
  crl_mlp_free(own);
  free(flat);
  free(gflat);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backward_fd),
      cmocka_unit_test(test_jvp_fd_and_consistency),
      cmocka_unit_test(test_bias_gradient_sums),
      cmocka_unit_test(test_forward_reference),
      cmocka_unit_test(test_capacity_and_errors),
      cmocka_unit_test(test_external_views),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
