/* TRPO with gSDE: the Fisher-vector product against second differences of
 * the mean KL (polarised, so that u^T F v is checked for several u), the
 * surrogate's gradient through the kept pass against central differences,
 * for every combination of full_std and use_expln and with the batch taken
 * in chunks; a checkpoint resumes bit for bit and exports; and RL Zoo's
 * Pendulum-v1 entry learns. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>

#include "crl/crl.h"
#include "crl/rng.h"
#include "pg_test.h"
#include "rl/actor_critic_fvp.h"

/* Steps of the differences and tolerances: the KL's second difference is
 * exact to O(STEP^2) relative; the float build's rounding sets its floor. */
#if CRL_REAL_IS_DOUBLE
#define STEP 1e-4
#define TOL 1e-4
#else
#define STEP 1e-2
#define TOL 2e-2
#endif

enum { B = 7, OBS = 3, A = 2, L = 5, CAP = 4 }; /* CAP < B: chunks */

static const double lo[A] = {-2, -1}, hi[A] = {2, 1};

typedef struct sde_case {
  crl__ac *ac;
  crl__ac_fisher *f;
  size_t n_pi;
  crl_real obs[B * OBS], act[B * A], dlogp[B];
  crl_real phi[B * L]; /* the features at theta, held fixed */
  crl_real *theta;
  crl_real dist_ref[B * A], dist[B * A], kl[B];
  double var_ref[B * A], var[B * A];
} sde_case;

static void keep_features(sde_case *c);

static void setup(sde_case *c, int full, int expln) {
  const crl_space obs = {CRL_SPACE_BOX, OBS, 0, NULL, NULL};
  const crl_space act = {CRL_SPACE_BOX, A, 0, lo, hi};
  crl__ac_spec spec = {.net_arch = {2, {16, L}},
                       .activation = CRL_ACT_TANH,
                       .log_std_init = -0.5,
                       .use_sde = 1,
                       .full_std = full,
                       .use_expln = expln,
                       .sde_rows = 1,
                       .max_batch = CAP};
  gsl_rng *rng = crl_rng_alloc(21 + 2 * full + expln, 1);
  assert_int_equal(crl__ac_alloc(&spec, &obs, &act, rng, &c->ac), 0);
  c->n_pi = crl__ac_policy_size(c->ac);
  c->theta = calloc(c->n_pi, sizeof(crl_real));
  for (int k = 0; k < B * OBS; k++)
    c->obs[k] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  for (int k = 0; k < B * A; k++)
    c->act[k] = (crl_real)gsl_ran_gaussian(rng, 1.0);
  for (int k = 0; k < B; k++)
    c->dlogp[k] = (crl_real)gsl_ran_flat(rng, -1, 1);
  /* log_std on both sides of 0 (expln's two branches) */
  for (size_t k = 0; k < c->n_pi; k++)
    c->ac->params[k] += (crl_real)gsl_ran_gaussian(rng, 0.3);
  memcpy(c->theta, c->ac->params, c->n_pi * sizeof(crl_real));
  gsl_rng_free(rng);
  keep_features(c);
  assert_int_equal(crl__ac_fisher_alloc(c->ac, B, &c->f), 0);
  c->f->obs = c->obs;
  c->f->B = B;
  c->f->damping = 0.0;
}

static void teardown(sde_case *c) {
  crl__ac_fisher_free(c->f);
  crl__ac_free(c->ac);
  free(c->theta);
}

/* dist and var of the policy at the current parameters, in chunks, with
 * the variances of the features at theta: SB3 (learn_features=False)
 * differentiates them as constants, and so the reference does. */
static void forward(sde_case *c, crl_real *dist, double *var) {
  for (int s = 0; s < B; s += CAP) {
    const int b = B - s < CAP ? B - s : CAP;
    assert_int_equal(
        crl__ac_actor_forward(c->ac, c->obs + s * OBS, b, dist + s * A), 0);
    crl__sde_prepare(c->ac->sde, c->ac->log_std, c->phi + s * L, b);
    memcpy(var + s * A, c->ac->sde->var, (size_t)b * A * sizeof *var);
  }
}

/* phi [B, L] at theta. */
static void keep_features(sde_case *c) {
  const crl_mlp *net = c->ac->actor;
  for (int s = 0; s < B; s += CAP) {
    const int b = B - s < CAP ? B - s : CAP;
    crl_real out[CAP * A];
    assert_int_equal(crl__ac_actor_forward(c->ac, c->obs + s * OBS, b, out), 0);
    memcpy(c->phi + s * L,
           crl_mlp_layer_input(net, crl_mlp_get_spec(net)->n_layers - 1),
           (size_t)b * L * sizeof *c->phi);
  }
}

/* The parameters theta + a u + b w. */
static void move(sde_case *c, double a, const double *u, double b,
                 const double *w) {
  for (size_t k = 0; k < c->n_pi; k++)
    c->ac->params[k] =
        (crl_real)((double)c->theta[k] + a * u[k] + (w ? b * w[k] : 0.0));
}

/* mean KL(pi_theta || pi_(theta + h d)). */
static double kl_at(sde_case *c, double h, const double *d) {
  move(c, h, d, 0, NULL);
  forward(c, c->dist, c->var);
  return crl__sde_kl(A, B, c->dist_ref, c->var_ref, c->dist, c->var, c->kl);
}

/* d^T F d by the second difference of the KL, which is 0 with a zero
 * gradient at h = 0. */
static double quad(sde_case *c, const double *d) {
  return (kl_at(c, STEP, d) + kl_at(c, -STEP, d)) / (STEP * STEP);
}

static void check_fvp(int full, int expln) {
  static sde_case c;
  memset(&c, 0, sizeof c);
  setup(&c, full, expln);
  forward(&c, c.dist_ref, c.var_ref);
  const size_t n = c.n_pi;
  double *v = calloc(n, sizeof *v), *u = calloc(n, sizeof *u);
  double *sum = calloc(n, sizeof *sum), *dif = calloc(n, sizeof *dif);
  crl_real *vr = calloc(n, sizeof *vr), *fv = calloc(n, sizeof *fv);
  gsl_rng *rng = crl_rng_alloc(5, 2);
  for (size_t k = 0; k < n; k++)
    vr[k] = (crl_real)(v[k] = gsl_ran_gaussian(rng, 1.0));
  move(&c, 0, v, 0, NULL);
  assert_int_equal(crl__ac_fisher_vp(c.f, vr, fv), 0);
  /* u: v itself, random directions, and the log_std block alone */
  const size_t n_mlp = crl_mlp_n_params(c.ac->actor);
  for (int trial = 0; trial < 4; trial++) {
    for (size_t k = 0; k < n; k++)
      u[k] = trial == 0   ? v[k]
             : trial == 3 ? (k >= n_mlp ? gsl_ran_gaussian(rng, 1.0) : 0.0)
                          : gsl_ran_gaussian(rng, 1.0);
    for (size_t k = 0; k < n; k++) {
      sum[k] = u[k] + v[k];
      dif[k] = u[k] - v[k];
    }
    const double want = 0.25 * (quad(&c, sum) - quad(&c, dif));
    double got = 0.0;
    for (size_t k = 0; k < n; k++)
      got += u[k] * (double)fv[k];
    if (fabs(got - want) > TOL * fmax(1.0, fabs(want)))
      fail_msg("full %d expln %d, direction %d: u^T F v = %g, second "
               "differences %g",
               full, expln, trial, got, want);
  }
  move(&c, 0, v, 0, NULL);
  free(v), free(u), free(sum), free(dif), free(vr), free(fv);
  gsl_rng_free(rng);
  teardown(&c);
}

static void test_fvp(void **state) {
  (void)state;
  for (int full = 0; full < 2; full++)
    for (int expln = 0; expln < 2; expln++)
      check_fvp(full, expln);
}

/* sum_i dlogp_i log pi(act_i | obs_i) at the current parameters. */
static double weighted_logp(sde_case *c) {
  forward(c, c->dist, c->var);
  crl_real logp[B];
  crl__sde_log_prob_var(c->ac->sde, c->var, c->dist, c->act, B, logp);
  double s = 0.0;
  for (int i = 0; i < B; i++)
    s += (double)c->dlogp[i] * logp[i];
  return s;
}

/* The surrogate's gradient goes through the kept pass and its variances:
 * crl__ac_fisher_logp_backward against central differences. */
static void check_logp_gradient(int full, int expln) {
  static sde_case c;
  memset(&c, 0, sizeof c);
  setup(&c, full, expln);
  const crl_real *dist = NULL;
  assert_int_equal(crl__ac_fisher_point(c.f, &dist), 0);
  assert_non_null(crl__ac_fisher_var(c.f));
  memset(c.ac->grads, 0, c.n_pi * sizeof *c.ac->grads);
  assert_int_equal(crl__ac_fisher_logp_backward(c.f, c.act, c.dlogp), 0);
  double worst = 0.0;
  for (size_t k = 0; k < c.n_pi; k++) {
    const crl_real x0 = c.ac->params[k];
    c.ac->params[k] = (crl_real)((double)x0 + STEP);
    const double up = weighted_logp(&c);
    c.ac->params[k] = (crl_real)((double)x0 - STEP);
    const double down = weighted_logp(&c);
    c.ac->params[k] = x0;
    const double num = (up - down) / (2 * STEP), ana = c.ac->grads[k];
    worst = fmax(worst, fabs(num - ana) / fmax(1.0, fabs(num)));
    if (fabs(num - ana) > TOL * fmax(1.0, fabs(num)))
      fail_msg("full %d expln %d: d/dtheta[%zu] = %g, finite differences %g",
               full, expln, k, ana, num);
  }
  printf("# logp gradient (full %d expln %d): worst rel err %.1e\n", full,
         expln, worst);
  teardown(&c);
}

static void test_logp_gradient(void **state) {
  (void)state;
  for (int full = 0; full < 2; full++)
    for (int expln = 0; expln < 2; expln++)
      check_logp_gradient(full, expln);
}

/* ---- the algorithm ------------------------------------------------------- */

static void test_resume_and_export(void **state) {
  (void)state;
  static const char *const kv[] = {
      "use_sde",    "true",    "sde_sample_freq",
      "4",          "n_steps", "64",
      "batch_size", "32",      "policy_kwargs.net_arch",
      "[16, 16]",   NULL};
  static const char *const plain[] = {"policy_kwargs.net_arch", "[16, 16]",
                                      NULL};
  pg_check_resume_and_export("trpo", 2, kv, plain);
}

/* RL Zoo's trpo.yml Pendulum-v1 entry (gSDE, sde_sample_freq 4, 2 copies,
 * 100k steps); seeds measured in docs/zoo.md. */
static void test_pendulum_learns(void **state) {
  (void)state;
  static const char *const kv[] = {
      "use_sde", "true", "sde_sample_freq",  "4",  "n_steps", "1024",
      "gamma",   "0.9",  "n_critic_updates", "15", NULL};
  /* untrained: about -1200 */
  assert_true(pg_train_eval("trpo", "Pendulum-v1", 2, 0, 100000, kv) >= -400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fvp),
      cmocka_unit_test(test_logp_gradient),
      cmocka_unit_test(test_resume_and_export),
      cmocka_unit_test(test_pendulum_learns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
