/* The actor-critic glue (flat vector layout, log-prob/entropy backward
 * through the actor, value backward through the critic) checked against
 * central finite differences, for Gaussian and categorical heads; and the
 * on-policy collector's step (crl__onp_sample) against its parts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "crl/crl.h"
#include "rl/actor_critic.h"
#include "rl/onpolicy.h"

#if CRL_REAL_IS_DOUBLE
#define STEP 1e-6
#define TOL 1e-6
#else
#define STEP 1e-2
#define TOL 2e-2
#endif

enum { B = 5, OBS = 3 };

static const double box_lo[2] = {-2, -1}, box_hi[2] = {2, 1};
static const double obs_lo[OBS] = {-1, -1, -1}, obs_hi[OBS] = {1, 1, 1};

typedef struct problem {
  crl__ac *ac;
  crl_real obs[B * OBS];
  crl_real actions[B * 2];
  crl_real w[B]; /* weights on log-probs */
  crl_real u[B]; /* weights on values */
  double c;      /* weight on the mean entropy */
  crl_real dist[B * 3];
  crl_real logp[B];
  crl_real v[B];
} problem;

/* L = sum w_i logp_i + c * mean entropy + sum u_i V_i, in double. */
static double loss(problem *p) {
  assert_int_equal(crl__ac_actor_forward(p->ac, p->obs, B, p->dist), 0);
  assert_int_equal(crl__ac_critic_forward(p->ac, p->obs, B, p->v), 0);
  crl__ac_log_prob(p->ac, p->dist, p->actions, B, p->logp);
  double L = p->c * crl__ac_entropy_mean(p->ac, p->dist, B);
  for (int i = 0; i < B; i++)
    L += (double)p->w[i] * p->logp[i] + (double)p->u[i] * p->v[i];
  return L;
}

static void check_gradients(const crl_space *act) {
  gsl_rng *rng = crl_rng_alloc(3, 0);
  crl__ac_spec spec = {.net_arch = {2, {7, 6}},
                       .activation = CRL_ACT_TANH,
                       .log_std_init = -0.3,
                       .ortho_init = 1,
                       .normalize_obs = 0,
                       .max_batch = B};
  crl_space obs = {CRL_SPACE_BOX, OBS, 0, obs_lo, obs_hi};
  problem p = {0};
  assert_int_equal(crl__ac_alloc(&spec, &obs, act, rng, &p.ac), 0);
  /* Orthogonal init with gain 0.01 makes the head tiny; perturb all
   * parameters so every path carries gradient. */
  for (size_t k = 0; k < p.ac->n_params; k++)
    p.ac->params[k] += (crl_real)(0.3 * (gsl_rng_uniform(rng) - 0.5));
  for (int i = 0; i < B * OBS; i++)
    p.obs[i] = (crl_real)(2 * gsl_rng_uniform(rng) - 1);
  for (int i = 0; i < B; i++) {
    p.w[i] = (crl_real)(gsl_rng_uniform(rng) - 0.5);
    p.u[i] = (crl_real)(gsl_rng_uniform(rng) - 0.5);
    if (act->kind == CRL_SPACE_DISCRETE)
      p.actions[i] = (crl_real)(i % act->n);
    else
      for (int j = 0; j < act->dim; j++)
        p.actions[i * act->dim + j] = (crl_real)(gsl_rng_uniform(rng) - 0.5);
  }
  p.c = 0.7;

  loss(&p);
  crl__ac_zero_grad(p.ac);
  assert_int_equal(crl__ac_actor_backward(p.ac, p.dist, p.actions, B, p.w, p.c),
                   0);
  assert_int_equal(crl__ac_critic_backward(p.ac, p.u, B), 0);

  double worst = 0;
  for (size_t k = 0; k < p.ac->n_params; k++) {
    crl_real keep = p.ac->params[k];
    p.ac->params[k] = keep + (crl_real)STEP;
    double lp = loss(&p);
    p.ac->params[k] = keep - (crl_real)STEP;
    double lm = loss(&p);
    p.ac->params[k] = keep;
    double fd = (lp - lm) / (2 * STEP);
    double an = p.ac->grads[k];
    double err = fabs(fd - an) / (fabs(fd) + fabs(an) + 1e-3);
    if (err > worst)
      worst = err;
  }
  assert_true(worst < TOL);
  crl__ac_free(p.ac);
  gsl_rng_free(rng);
}

static void test_gaussian_head_gradients(void **state) {
  (void)state;
  crl_space act = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  check_gradients(&act);
}

static void test_categorical_head_gradients(void **state) {
  (void)state;
  crl_space act = {CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  check_gradients(&act);
}

static void test_actions_clipped_to_bounds(void **state) {
  (void)state;
  gsl_rng *rng = crl_rng_alloc(1, 0);
  crl__ac_spec spec = {.net_arch = {1, {4}},
                       .activation = CRL_ACT_RELU,
                       .ortho_init = 0,
                       .max_batch = 2};
  crl_space obs = {CRL_SPACE_BOX, OBS, 0, obs_lo, obs_hi};
  crl_space act = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  crl__ac *ac = NULL;
  assert_int_equal(crl__ac_alloc(&spec, &obs, &act, rng, &ac), 0);
  crl_real a[4] = {-5, 0.5, 1.5, 3}, out[4];
  crl__ac_clip_actions(ac, a, 2, out);
  assert_true(out[0] == -2 && out[1] == (crl_real)0.5 &&
              out[2] == (crl_real)1.5 && out[3] == 1);
  crl_real o[3 * OBS] = {0}, d[3 * 2];
  assert_int_equal(crl__ac_actor_forward(ac, o, 3, d), CRL_ESHAPE);
  crl__ac_free(ac);
  crl__ac_free(NULL);
  gsl_rng_free(rng);
}

/* crl__onp_sample is the collector's step: the normaliser absorbs the
 * batch, then the outputs are those of the separate calls on the
 * normalised observations, with the same draws. */
static void test_collection_step(void **state) {
  (void)state;
  enum { N = 3 };
  gsl_rng *rng = crl_rng_alloc(2, 0);
  crl__ac_spec spec = {.net_arch = {1, {5}},
                       .activation = CRL_ACT_TANH,
                       .ortho_init = 0,
                       .normalize_obs = 1,
                       .max_batch = N};
  crl_space obs = {CRL_SPACE_BOX, OBS, 0, obs_lo, obs_hi};
  crl_space act = {CRL_SPACE_BOX, 2, 0, box_lo, box_hi};
  crl__ac *ac = NULL;
  assert_int_equal(crl__ac_alloc(&spec, &obs, &act, rng, &ac), 0);
  for (size_t k = 0; k < ac->n_params; k++) /* actions past the bounds too */
    ac->params[k] = (crl_real)(3 * (gsl_rng_uniform(rng) - 0.5));
  crl_real o[N * OBS];
  for (int i = 0; i < N * OBS; i++)
    o[i] = (crl_real)(4 * gsl_rng_uniform(rng) - 2);
  crl_real on[N * OBS], dist[N * 2], v[N], a[N * 2], lp[N], ea[N * 2];
  const crl__onp_rows rows = {on, dist, v, a, lp, ea};
  gsl_rng *draw = crl_rng_alloc(5, 1), *again = crl_rng_alloc(5, 1);
  const double count = ac->norm->count;
  assert_int_equal(crl__onp_sample(ac, o, N, draw, &rows), 0);
  assert_true(ac->norm->count == count + N);

  crl_real on2[N * OBS], dist2[N * 2], v2[N], a2[N * 2], lp2[N], ea2[N * 2];
  crl_normalizer_apply(ac->norm, o, N, on2);
  assert_int_equal(crl__ac_actor_forward(ac, on2, N, dist2), 0);
  assert_int_equal(crl__ac_critic_forward(ac, on2, N, v2), 0);
  crl__ac_sample(ac, dist2, N, 0, again, a2);
  crl__ac_log_prob(ac, dist2, a2, N, lp2);
  crl__ac_clip_actions(ac, a2, N, ea2);
  assert_memory_equal(on, on2, sizeof on);
  assert_memory_equal(dist, dist2, sizeof dist);
  assert_memory_equal(v, v2, sizeof v);
  assert_memory_equal(a, a2, sizeof a);
  assert_memory_equal(lp, lp2, sizeof lp);
  assert_memory_equal(ea, ea2, sizeof ea);
  int clipped = 0;
  for (int k = 0; k < N * 2; k++)
    clipped += ea[k] != a[k];
  assert_true(clipped > 0);

  /* Without a values buffer (GRPO's rows) the rest is filled as before. */
  const crl__onp_rows no_critic = {on, dist, NULL, a, lp, ea};
  assert_int_equal(crl__onp_sample(ac, o, N, draw, &no_critic), 0);
  assert_true(ac->norm->count == count + 2 * N);
  crl_normalizer_apply(ac->norm, o, N, on2);
  assert_memory_equal(on, on2, sizeof on);
  crl__ac_free(ac);
  gsl_rng_free(rng);
  gsl_rng_free(draw);
  gsl_rng_free(again);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gaussian_head_gradients),
      cmocka_unit_test(test_categorical_head_gradients),
      cmocka_unit_test(test_actions_clipped_to_bounds),
      cmocka_unit_test(test_collection_step),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
