/* TRPO: conjugate gradient on random SPD systems; the exact Fisher-vector
 * product against a finite-difference Hessian of the KL (Gaussian with
 * log_std, categorical), and its kept forward pass bit for bit against
 * the product recomputed from scratch as the point changes, and the
 * surrogate's gradient through that pass; both
 * line-search rejections and an acceptance;
 * learning on CartPole-v1 and Pendulum-v1; resume and export. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "algos/trpo.h"
#include "crl/crl.h"
#include "io/checkpoint.h"
#include "nn/cg.h"
#include "pg_test.h"
#include "rl/actor_critic_fvp.h"

#if CRL_REAL_IS_DOUBLE
#define CG_TOL 1e-9
#define FD_STEP 1e-4
#define FD_TOL 1e-6
#else
#define CG_TOL 1e-4
#define FD_STEP 1e-2
#define FD_TOL 1e-2
#endif

/* ---- conjugate gradient -------------------------------------------------- */

enum { N_CG = 40 };

typedef struct spd {
  double
      a[N_CG * N_CG]; /* A = R^T R / n + 0.05 I, symmetric positive definite */
  int products;
} spd;

static int spd_matvec(void *ctx, const crl_real *x, crl_real *y) {
  spd *s = ctx;
  for (int i = 0; i < N_CG; i++) {
    double acc = 0.0;
    for (int j = 0; j < N_CG; j++)
      acc += s->a[i * N_CG + j] * (double)x[j];
    y[i] = (crl_real)acc;
  }
  s->products++;
  return 0;
}

static void test_cg_solves_random_spd(void **state) {
  (void)state;
  gsl_rng *rng = crl_rng_alloc(3, 0);
  crl__cg *cg = NULL;
  assert_int_equal(crl__cg_alloc(N_CG, &cg), 0);
  static spd s;
  for (int trial = 0; trial < 5; trial++) {
    double R[N_CG * N_CG];
    for (int k = 0; k < N_CG * N_CG; k++)
      R[k] = gsl_ran_gaussian(rng, 1.0);
    for (int i = 0; i < N_CG; i++)
      for (int j = 0; j < N_CG; j++) {
        double acc = i == j ? 0.05 : 0.0;
        for (int k = 0; k < N_CG; k++)
          acc += R[k * N_CG + i] * R[k * N_CG + j] / N_CG;
        s.a[i * N_CG + j] = acc;
      }
    crl_real b[N_CG], x[N_CG], ax[N_CG];
    for (int i = 0; i < N_CG; i++)
      b[i] = (crl_real)gsl_ran_gaussian(rng, 1.0);
    s.products = 0;
    int iters = -1;
    assert_int_equal(
        crl__cg_solve(cg, spd_matvec, &s, b, 4 * N_CG, 1e-24, x, &iters), 0);
    assert_int_equal(iters, s.products);
    spd_matvec(&s, x, ax);
    double res = 0.0, nb = 0.0;
    for (int i = 0; i < N_CG; i++) {
      res += ((double)ax[i] - (double)b[i]) * ((double)ax[i] - (double)b[i]);
      nb += (double)b[i] * (double)b[i];
    }
    assert_true(sqrt(res / nb) < CG_TOL);
    /* max_iter caps the products; a zero right-hand side takes none. */
    assert_int_equal(crl__cg_solve(cg, spd_matvec, &s, b, 3, 0, x, &iters), 0);
    assert_int_equal(iters, 3);
  }
  crl_real zero[N_CG] = {0}, x[N_CG];
  int iters = -1;
  assert_int_equal(
      crl__cg_solve(cg, spd_matvec, &s, zero, 10, 1e-10, x, &iters), 0);
  assert_int_equal(iters, 0);
  assert_true(x[0] == 0 && x[N_CG - 1] == 0);
  crl__cg_free(cg);
  crl__cg_free(NULL);
  gsl_rng_free(rng);
}

/* A matrix that is not positive definite is reported, not divided by. */
static int neg_matvec(void *ctx, const crl_real *x, crl_real *y) {
  (void)ctx;
  y[0] = -x[0];
  y[1] = -x[1];
  return 0;
}

static void test_cg_rejects_indefinite(void **state) {
  (void)state;
  crl__cg *cg = NULL;
  assert_int_equal(crl__cg_alloc(2, &cg), 0);
  crl_real b[2] = {1, 2}, x[2];
  assert_int_equal(crl__cg_solve(cg, neg_matvec, NULL, b, 5, 0, x, NULL),
                   CRL_ENONFINITE);
  crl__cg_free(cg);
}

/* ---- the Fisher-vector product ------------------------------------------- */

/* The next crl_real above x. */
static crl_real nextafterf_r(crl_real x) {
#if CRL_REAL_IS_DOUBLE
  return nextafter(x, INFINITY);
#else
  return nextafterf(x, INFINITY);
#endif
}

enum { B_FVP = 7, OBS = 3 };

static const double box_lo[2] = {-2, -1}, box_hi[2] = {2, 1};

typedef struct fvp_case {
  crl__ac *ac;
  size_t n_pi;
  crl_real obs[B_FVP * OBS];
  crl_real *theta, *v, *fv, *g_plus, *g_minus;
  crl_real dist_ref[B_FVP * 3], log_std_ref[2], dist[B_FVP * 3];
  crl_real scratch[B_FVP * 4], kl[B_FVP];
} fvp_case;

static void fvp_setup(fvp_case *c, const crl_space *act) {
  const crl_space obs = {CRL_SPACE_BOX, OBS, 0, NULL, NULL};
  crl__ac_spec spec = {.net_arch = {2, {16, 8}},
                       .activation = CRL_ACT_TANH,
                       .log_std_init = -0.3,
                       .ortho_init = 0,
                       .max_batch =
                           4}; /* < B_FVP: the product goes by chunks */
  gsl_rng *rng = crl_rng_alloc(11, 1);
  assert_int_equal(crl__ac_alloc(&spec, &obs, act, rng, &c->ac), 0);
  c->n_pi = crl__ac_policy_size(c->ac);
  c->theta = calloc(c->n_pi, sizeof(crl_real));
  c->v = calloc(c->n_pi, sizeof(crl_real));
  c->fv = calloc(c->n_pi, sizeof(crl_real));
  c->g_plus = calloc(c->n_pi, sizeof(crl_real));
  c->g_minus = calloc(c->n_pi, sizeof(crl_real));
  for (int k = 0; k < B_FVP * OBS; k++)
    c->obs[k] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  /* Larger head weights than the init's, so that the outputs vary. */
  for (size_t k = 0; k < c->n_pi; k++)
    c->ac->params[k] += (crl_real)gsl_ran_gaussian(rng, 0.3);
  for (size_t k = 0; k < c->n_pi; k++)
    c->v[k] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  memcpy(c->theta, c->ac->params, c->n_pi * sizeof(crl_real));
  gsl_rng_free(rng);
}

static void fvp_teardown(fvp_case *c) {
  crl__ac_free(c->ac);
  free(c->theta);
  free(c->v);
  free(c->fv);
  free(c->g_plus);
  free(c->g_minus);
}

/* The policy part of the parameters at theta + s v. */
static void set_params(fvp_case *c, double s) {
  for (size_t k = 0; k < c->n_pi; k++)
    c->ac->params[k] = (crl_real)((double)c->theta[k] + s * (double)c->v[k]);
}

/* g [n_pi] = grad of mean_i KL(ref_i || pi(.|s_i)) at theta + s v, and
 * the KL itself. */
static double kl_grad_at(fvp_case *c, double s, crl_real *g) {
  set_params(c, s);
  assert_int_equal(crl__ac_actor_forward(c->ac, c->obs, 4, c->dist), 0);
  assert_int_equal(crl__ac_actor_forward(c->ac, c->obs + 4 * OBS, B_FVP - 4,
                                         c->dist + 4 * c->ac->n_out),
                   0);
  double kl =
      crl__ac_kl(c->ac, c->dist_ref, c->log_std_ref, c->dist, B_FVP, c->kl);
  /* Two chunks of the batch mean: weights 4/B and 3/B. */
  crl__ac_zero_grad(c->ac);
  assert_int_equal(crl__ac_actor_forward(c->ac, c->obs, 4, c->dist), 0);
  assert_int_equal(crl__ac_actor_backward_kl(c->ac, c->dist, NULL, 4, NULL, 0,
                                             c->dist_ref, c->log_std_ref,
                                             4.0 / B_FVP, c->scratch),
                   0);
  assert_int_equal(crl__ac_actor_forward(c->ac, c->obs + 4 * OBS, B_FVP - 4,
                                         c->dist + 4 * c->ac->n_out),
                   0);
  assert_int_equal(crl__ac_actor_backward_kl(
                       c->ac, c->dist + 4 * c->ac->n_out, NULL, B_FVP - 4, NULL,
                       0, c->dist_ref + 4 * c->ac->n_out, c->log_std_ref,
                       3.0 / B_FVP, c->scratch),
                   0);
  memcpy(g, c->ac->grads, c->n_pi * sizeof *g);
  return kl;
}

static double rel_err(size_t n, const crl_real *a, const crl_real *b) {
  double num = 0, den = 0;
  for (size_t k = 0; k < n; k++) {
    num += ((double)a[k] - (double)b[k]) * ((double)a[k] - (double)b[k]);
    den += (double)b[k] * (double)b[k];
  }
  return sqrt(num / den);
}

static void check_fvp(const crl_space *act) {
  static fvp_case c;
  memset(&c, 0, sizeof c);
  fvp_setup(&c, act);
  crl__ac *ac = c.ac;
  /* The reference is the policy at theta itself. */
  assert_int_equal(crl__ac_actor_forward(ac, c.obs, 4, c.dist_ref), 0);
  assert_int_equal(crl__ac_actor_forward(ac, c.obs + 4 * OBS, B_FVP - 4,
                                         c.dist_ref + 4 * ac->n_out),
                   0);
  if (!ac->discrete)
    memcpy(c.log_std_ref, ac->log_std, (size_t)ac->act_dim * sizeof(crl_real));
  crl__ac_fisher *f = NULL;
  assert_int_equal(crl__ac_fisher_alloc(ac, B_FVP, &f), 0);
  f->obs = c.obs;
  f->B = B_FVP;
  f->damping = 0.0;
  assert_int_equal(crl__ac_fisher_vp(f, c.v, c.fv), 0);

  /* H v ~ (grad KL(theta + h v) - grad KL(theta - h v)) / 2h */
  kl_grad_at(&c, FD_STEP, c.g_plus);
  kl_grad_at(&c, -FD_STEP, c.g_minus);
  for (size_t k = 0; k < c.n_pi; k++)
    c.g_plus[k] = (crl_real)(((double)c.g_plus[k] - (double)c.g_minus[k]) /
                             (2 * FD_STEP));
  double err = rel_err(c.n_pi, c.fv, c.g_plus);
  printf("# FVP vs finite-difference Hessian of KL (%s): rel err %.2e\n",
         ac->discrete ? "categorical" : "Gaussian", err);
  assert_true(err < FD_TOL);
  /* vT F v > 0; damping adds damping * v. */
  double vfv = 0;
  for (size_t k = 0; k < c.n_pi; k++)
    vfv += (double)c.v[k] * (double)c.fv[k];
  assert_true(vfv > 0);
  set_params(&c, 0.0);
  f->damping = 0.5;
  assert_int_equal(crl__ac_fisher_vp(f, c.v, c.g_minus), 0);
  for (size_t k = 0; k < c.n_pi; k++)
    assert_true(
        fabs((double)c.g_minus[k] - (double)c.fv[k] - 0.5 * (double)c.v[k]) <
        1e-4 * (1 + fabs((double)c.fv[k])));

  /* The KL gradient itself, away from theta: its derivative along v. */
  kl_grad_at(&c, 0.5, c.g_plus);
  double slope = 0;
  for (size_t k = 0; k < c.n_pi; k++)
    slope += (double)c.g_plus[k] * (double)c.v[k];
  double h = FD_STEP;
  double fd = (kl_grad_at(&c, 0.5 + h, c.g_minus) -
               kl_grad_at(&c, 0.5 - h, c.g_minus)) /
              (2 * h);
  assert_true(fabs(slope - fd) < FD_TOL * fabs(fd) + 1e-6);
  crl__ac_fisher_free(f);
  fvp_teardown(&c);
}

/* out [n_pi] = F v + damping v as the product was first written: the
 * actor's forward run again inside every JVP (crl_mlp_jvp), in chunks of
 * the actor's capacity, on the actor itself. The product that keeps its
 * forward pass must give these bits exactly. */
static void fvp_recompute(crl__ac *ac, const crl_real *obs, int B,
                          double damping, const crl_real *v, crl_real *out) {
  const int K = ac->n_out, D = ac->act_dim, cap = ac->max_batch;
  const size_t n_actor = crl_mlp_n_params(ac->actor);
  crl_real inv_var[2], fl[2];                        /* [act_dim] */
  crl_real dist[4 * 3], tangent[4 * 3], dout[4 * 3]; /* [cap, n_out] */
  assert_true(cap <= 4 && K <= 3 && D <= 2);
  if (!ac->discrete)
    crl_gauss_fisher(D, ac->log_std, inv_var, fl);
  memset(ac->grads, 0, n_actor * sizeof *ac->grads);
  for (int start = 0; start < B; start += cap) {
    const int b = B - start < cap ? B - start : cap;
    assert_int_equal(crl_mlp_jvp(ac->actor, obs + (size_t)start * OBS, b, v,
                                 NULL, dist, tangent),
                     0);
    if (ac->discrete) {
      crl_cat_fisher_vp(b, K, dist, tangent, dout);
      for (int k = 0; k < b * K; k++)
        dout[k] = (crl_real)((double)dout[k] * (1.0 / B));
    } else {
      for (int i = 0; i < b; i++)
        for (int j = 0; j < K; j++)
          dout[i * K + j] = (crl_real)((double)tangent[i * K + j] *
                                       (double)inv_var[j] * (1.0 / B));
    }
    assert_int_equal(crl_mlp_backward(ac->actor, dout, b, NULL), 0);
  }
  for (size_t k = 0; k < n_actor; k++)
    out[k] = (crl_real)((double)ac->grads[k] + damping * (double)v[k]);
  for (int j = 0; !ac->discrete && j < D; j++) {
    size_t k = n_actor + (size_t)j;
    out[k] = (crl_real)(((double)fl[j] + damping) * (double)v[k]);
  }
}

/* The product keeps its forward pass across calls (one per CG solve
 * instead of one per product) and must notice every change of the point:
 * the parameters, the states (in place, through the same pointer), the
 * number of rows. Each result is compared bit for bit with the product
 * recomputed from scratch; the actor's own activations are clobbered in
 * between, which the kept pass must not depend on. */
static void check_fvp_keeps_point(const crl_space *act) {
  static fvp_case c;
  memset(&c, 0, sizeof c);
  fvp_setup(&c, act);
  crl__ac *ac = c.ac;
  crl__ac_fisher *f = NULL;
  assert_int_equal(crl__ac_fisher_alloc(ac, 0, &f), CRL_EINVAL);
  assert_null(f);
  assert_int_equal(crl__ac_fisher_alloc(ac, B_FVP, &f), 0);
  crl_real *want = calloc(c.n_pi, sizeof(crl_real));
  crl_real *other = calloc(c.n_pi, sizeof(crl_real));
  crl_real junk[4 * 3];
  f->obs = c.obs;
  f->damping = 0.1;
  for (int step = 0; step < 6; step++) {
    f->B = step == 3 ? 5 : B_FVP;
    if (step == 1) /* the parameters move (a line-search step) */
      set_params(&c, 0.25);
    if (step == 2) /* new states in the same buffer */
      for (int k = 0; k < B_FVP * OBS; k++)
        c.obs[k] = (crl_real)(0.5 * c.obs[k] + 0.1);
    if (step == 4) /* back to parameters seen before, bytes and all */
      set_params(&c, 0.0);
    if (step == 5) /* one weight, one ulp */
      ac->params[3] = nextafterf_r(ac->params[3]);
    for (int rep = 0; rep < 3; rep++) {
      /* another direction each time, so no product can be a stale one */
      for (size_t k = 0; k < c.n_pi; k++)
        c.v[k] = (crl_real)(cos(0.7 * (double)k + step + 0.3 * rep));
      assert_int_equal(crl__ac_fisher_vp(f, c.v, other), 0);
      fvp_recompute(ac, c.obs, f->B, f->damping, c.v, want);
      assert_memory_equal(want, other, c.n_pi * sizeof *want);
      /* the actor's activations, now at other states, are not used */
      assert_int_equal(crl__ac_actor_forward(ac, c.obs + 2 * OBS, 4, junk), 0);
    }
  }
  /* batches outside 1 .. max_rows are refused */
  f->B = B_FVP + 1;
  assert_int_equal(crl__ac_fisher_vp(f, c.v, other), CRL_ESHAPE);
  f->B = 0;
  assert_int_equal(crl__ac_fisher_vp(f, c.v, other), CRL_ESHAPE);
  free(want);
  free(other);
  crl__ac_fisher_free(f);
  crl__ac_fisher_free(NULL);
  fvp_teardown(&c);
}

/* The surrogate's gradient goes through the product's kept pass
 * (crl__ac_fisher_point, crl__ac_fisher_logp_backward): outputs and
 * gradient bit for bit those of the actor's own forward and backward over
 * the same chunks, and the products that follow find their point kept. */
static void check_fisher_point(const crl_space *act) {
  static fvp_case c;
  memset(&c, 0, sizeof c);
  fvp_setup(&c, act);
  crl__ac *ac = c.ac;
  const int K = ac->n_out, A = ac->act_dim;
  crl__ac_fisher *f = NULL;
  assert_int_equal(crl__ac_fisher_alloc(ac, B_FVP, &f), 0);
  crl_real acts[B_FVP * 2], dlogp[B_FVP];
  gsl_rng *rng = crl_rng_alloc(5, 2);
  for (int i = 0; i < B_FVP; i++) {
    dlogp[i] = (crl_real)gsl_ran_gaussian(rng, 1.0);
    for (int j = 0; j < A; j++)
      acts[i * A + j] = ac->discrete ? (crl_real)(i % K)
                                     : (crl_real)gsl_ran_gaussian(rng, 1.0);
  }
  gsl_rng_free(rng);
  crl_real *want = calloc(c.n_pi, sizeof(crl_real));
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) /* elsewhere, so that the point is not the kept one */
      set_params(&c, -0.5);
    /* the reference: the actor's own passes, chunk by chunk */
    crl__ac_zero_grad(ac);
    for (int s = 0; s < B_FVP; s += 4) {
      const int b = B_FVP - s < 4 ? B_FVP - s : 4;
      assert_int_equal(
          crl__ac_actor_forward(ac, c.obs + s * OBS, b, c.dist_ref + s * K), 0);
      assert_int_equal(crl__ac_actor_backward(ac, c.dist_ref + s * K,
                                              acts + s * A, b, dlogp + s, 0.0),
                       0);
    }
    memcpy(want, ac->grads, c.n_pi * sizeof *want);
    crl__ac_zero_grad(ac);
    f->obs = c.obs;
    f->B = B_FVP;
    const crl_real *dist = NULL;
    assert_int_equal(crl__ac_fisher_point(f, &dist), 0);
    assert_memory_equal(c.dist_ref, dist, (size_t)B_FVP * K * sizeof *dist);
    assert_int_equal(crl__ac_fisher_logp_backward(f, acts, dlogp), 0);
    assert_memory_equal(want, ac->grads, c.n_pi * sizeof *want);
    /* and the products at this point are those recomputed from scratch */
    assert_int_equal(crl__ac_fisher_vp(f, c.v, c.fv), 0);
    fvp_recompute(ac, c.obs, B_FVP, f->damping, c.v, want);
    assert_memory_equal(want, c.fv, c.n_pi * sizeof *want);
  }
  f->B = B_FVP + 1;
  const crl_real *dist = c.dist;
  assert_int_equal(crl__ac_fisher_point(f, &dist), CRL_ESHAPE);
  assert_null(dist);
  assert_int_equal(crl__ac_fisher_logp_backward(f, acts, dlogp), CRL_ESHAPE);
  free(want);
  crl__ac_fisher_free(f);
  fvp_teardown(&c);
}

static void test_fisher_point(void **state) {
  (void)state;
  const crl_space gauss = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  const crl_space cat = {CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  check_fisher_point(&gauss);
  check_fisher_point(&cat);
}

static void test_fvp_keeps_point(void **state) {
  (void)state;
  const crl_space gauss = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  const crl_space cat = {CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  check_fvp_keeps_point(&gauss);
  check_fvp_keeps_point(&cat);
}

static void test_fvp_gaussian(void **state) {
  (void)state;
  const crl_space act = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  check_fvp(&act);
}

static void test_fvp_categorical(void **state) {
  (void)state;
  const crl_space act = {CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  check_fvp(&act);
}

/* ---- the line search ----------------------------------------------------- */

static void test_line_search_paths(void **state) {
  (void)state;
  static const char *const kv[] = {"n_steps", "64", "batch_size", "64", NULL};
  pg_run r = pg_start("trpo", "CartPole-v1", 2, 4, kv);
  pg_iterate(&r, 1); /* fills the batch */
  trpo *t = crl__algo_self(r.algo);
  crl_real *params = t->onp->ac->params;
  double L_old = 0;
  trpo_step_result res;

  /* Against the gradient: the surrogate falls at every point. */
  assert_int_equal(trpo_begin_step(t, &L_old), 0);
  double gn = 0;
  for (size_t k = 0; k < t->n_pi; k++)
    gn += (double)t->g[k] * (double)t->g[k];
  gn = sqrt(gn);
  assert_true(gn > 0);
  for (size_t k = 0; k < t->n_pi; k++)
    t->x[k] = -t->g[k];
  assert_int_equal(trpo_line_search(t, 1e-2 / gn, L_old, &res), 0);
  assert_int_equal(res.accepted, 0);
  assert_int_equal(res.backtracks, t->spec.line_search_max_iter);
  assert_true(res.kl == 0.0 && res.surrogate == L_old);
  assert_memory_equal(params, t->theta_old, t->n_pi * sizeof *params);

  /* Along the gradient the surrogate rises, but a radius no step can meet
   * rejects every point too. */
  for (size_t k = 0; k < t->n_pi; k++)
    t->x[k] = t->g[k];
  const double delta = t->spec.target_kl;
  t->spec.target_kl = 1e-30;
  assert_int_equal(trpo_line_search(t, 1e-2 / gn, L_old, &res), 0);
  assert_int_equal(res.accepted, 0);
  assert_memory_equal(params, t->theta_old, t->n_pi * sizeof *params);

  /* With the radius back, the first point is taken. */
  t->spec.target_kl = delta;
  assert_int_equal(trpo_line_search(t, 1e-2 / gn, L_old, &res), 0);
  assert_int_equal(res.accepted, 1);
  assert_int_equal(res.backtracks, 1);
  assert_true(res.surrogate > L_old && res.kl > 0 && res.kl <= delta);
  assert_memory_not_equal(params, t->theta_old, t->n_pi * sizeof *params);
  pg_free(&r);
}

/* ---- learning, resume, validation ---------------------------------------- */

static void test_cartpole_learns(void **state) {
  (void)state;
  /* experiments/cartpole/trpo.yaml: every seed 0-9 evaluates at 500, in
   * the float and the double build. */
  static const char *const kv[] = {
      "n_steps",          "1024", "batch_size", "512",  "cg_damping",    "0.1",
      "gae_lambda",       "0.98", "gamma",      "0.99", "learning_rate", "1e-3",
      "n_critic_updates", "20",   NULL};
  double mean = pg_train_eval("trpo", "CartPole-v1", 2, 0, 100000, kv);
  assert_true(mean >= 475.0);
}

static void test_pendulum_learns(void **state) {
  (void)state;
  /* experiments/pendulum/trpo.yaml: seeds 0-9 evaluate at -136 to -207
   * in the float and the double build; an untrained policy scores about
   * -1200. */
  static const char *const kv[] = {"n_steps",          "1024", "gamma", "0.9",
                                   "n_critic_updates", "25",   NULL};
  double mean = pg_train_eval("trpo", "Pendulum-v1", 2, 0, 100000, kv);
  assert_true(mean >= -300.0);
}

static void test_checkpoint_resume_and_export(void **state) {
  (void)state;
  static const char *const kv[] = {
      "n_steps",          "64",   "batch_size", "32",
      "n_critic_updates", "2",    "normalize",  "true",
      "normalize_reward", "true", NULL};
  static const char *const other[] = {
      "n_steps", "64", "batch_size", "32", "policy_kwargs.net_arch",
      "[8]",     NULL};
  pg_check_resume_and_export("trpo", 2, kv, other);
}

static void test_spec_validation(void **state) {
  (void)state;
  /* one step of one copy is too few rows to fit anything to; a batch_size
   * beyond the rollout is accepted (one minibatch of all of it) */
  static const char *const kv[] = {"n_steps", "1", "batch_size", "200", NULL};
  const crl_algo_type *t = crl_algo_find("trpo");
  void *spec = NULL;
  assert_int_equal(crl_algo_spec_alloc(t, &spec), 0);
  for (int i = 0; kv[i]; i += 2)
    assert_int_equal(crl_algo_spec_set(t, spec, kv[i], kv[i + 1]), 0);
  crl_env *env = NULL;
  assert_int_equal(crl_env_make("CartPole-v1", &env), 0);
  crl_algo *algo = NULL;
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 1, 0, &algo),
                   CRL_EINVAL);
  assert_null(algo);
  assert_non_null(strstr(crl_last_error(), "n_steps * n_envs must be >= 2"));
  assert_int_equal(crl_algo_alloc(t, spec, crl_env_obs_space(env),
                                  crl_env_act_space(env), 2, 0, &algo),
                   0);
  crl_algo_free(algo);
  assert_int_equal(crl_algo_spec_set(t, spec, "target_kl", "0"), CRL_ERANGE);
  assert_int_equal(crl_algo_spec_set(t, spec, "cg_max_step", "5"),
                   CRL_ENOTFOUND);
  crl_env_free(env);
  crl_algo_spec_free(spec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cg_solves_random_spd),
      cmocka_unit_test(test_cg_rejects_indefinite),
      cmocka_unit_test(test_fvp_gaussian),
      cmocka_unit_test(test_fvp_categorical),
      cmocka_unit_test(test_fvp_keeps_point),
      cmocka_unit_test(test_fisher_point),
      cmocka_unit_test(test_line_search_paths),
      cmocka_unit_test(test_spec_validation),
      cmocka_unit_test(test_checkpoint_resume_and_export),
      cmocka_unit_test(test_pendulum_learns),
      cmocka_unit_test(test_cartpole_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
