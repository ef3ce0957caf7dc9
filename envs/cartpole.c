/* CartPole-v1 and its continuous-force variant.
 *
 * Gymnasium v0.29.1 classic_control/cartpole.py, bit for bit (ENVS.md
 * section 2): explicit Euler, strict bounds tests on the double state,
 * reward 1 including the terminating step, and Gymnasium's "undefined
 * behaviour" after termination (physics continues, reward 0, the counter
 * runs on until the next reset). State (x, x_dot, theta, theta_dot) in
 * double; the observation is its float32 copy. TimeLimit 500. Reset: all
 * four components ~ U[-0.05, 0.05).
 *
 * CartPoleContinuous-v1 (ENVS.md section 5, not in Gymnasium) differs only
 * in the action: a Box [-1, 1] scaled by force_mag, so actions of exactly
 * +-1.0 reproduce the discrete env bit for bit. Both share cartpole_advance.
 */
#include <float.h>

#include "envs.h"

#define CARTPOLE_NAME "CartPole-v1"
#define CARTPOLE_CONT_NAME "CartPoleContinuous-v1"

static const double gravity = 9.8;
static const double masscart = 1.0;
static const double masspole = 0.1;
static const double length = 0.5; /* half the pole length */
static const double force_mag = 10.0;
static const double tau = 0.02;
static const double x_threshold = 2.4;
/* 12 * 2 * math.pi / 360, evaluated left to right: 0x1.acee9f37bebd5p-3.
 * (12 * (pi / 180), i.e. a DEG2RAD constant, is 1 ulp larger.) */
#define THETA_THRESHOLD (12 * 2 * M_PI / 360)

typedef struct cartpole {
  double x, x_dot, theta, theta_dot;
  /* Steps taken since the terminating step; -1 while the episode has not
   * terminated (Gymnasium's None). Only reset and set_state clear it. */
  long steps_beyond_terminated;
} cartpole;

/* Observation bounds as Gymnasium builds them: a float32 array of
 * (2 * x_threshold, FLT_MAX, 2 * theta_threshold, FLT_MAX). */
static const double obs_high[4] = {(float)(2.4 * 2), FLT_MAX,
                                   (float)(THETA_THRESHOLD * 2), FLT_MAX};
static const double obs_low[4] = {-(float)(2.4 * 2), -FLT_MAX,
                                  -(float)(THETA_THRESHOLD * 2), -FLT_MAX};
static const double cont_act_high[1] = {1.0};
static const double cont_act_low[1] = {-1.0};

/* One step of the dynamics under `force`, shared by both variants. */
static void cartpole_advance(cartpole *c, double force, double *reward,
                             int *terminated) {
  /* Derived constants stay expressions, as in the Python. */
  const double total_mass = masspole + masscart;
  const double polemass_length = masspole * length;

  double x = c->x, x_dot = c->x_dot, theta = c->theta, theta_dot = c->theta_dot;
  double costheta = cos(theta);
  double sintheta = sin(theta);

  /* Left to right as Python evaluates it; `**2` is pow. */
  double temp = (force + polemass_length * crl__envs_sq(theta_dot) * sintheta) /
                total_mass;
  double thetaacc =
      (gravity * sintheta - costheta * temp) /
      (length * (4.0 / 3.0 - masspole * crl__envs_sq(costheta) / total_mass));
  double xacc = temp - polemass_length * thetaacc * costheta / total_mass;

  /* kinematics_integrator == "euler": positions use the old velocities. */
  x = x + tau * x_dot;
  x_dot = x_dot + tau * xacc;
  theta = theta + tau * theta_dot;
  theta_dot = theta_dot + tau * thetaacc;
  c->x = x;
  c->x_dot = x_dot;
  c->theta = theta;
  c->theta_dot = theta_dot;

  int term = x < -x_threshold || x > x_threshold || theta < -THETA_THRESHOLD ||
             theta > THETA_THRESHOLD;
  if (!term) {
    *reward = 1.0;
  } else if (c->steps_beyond_terminated < 0) {
    /* The step on which the pole falls is still rewarded. */
    c->steps_beyond_terminated = 0;
    *reward = 1.0;
  } else {
    /* The caller kept stepping after terminated: Gymnasium warns (we do
     * not print) and pays nothing. `terminated` is recomputed from the
     * state, and a state back inside the bounds does not clear the
     * counter. */
    c->steps_beyond_terminated++;
    *reward = 0.0;
  }
  *terminated = term;
}

static int cartpole_init(void *self, crl_space *obs, crl_space *act) {
  cartpole *c = self;
  c->steps_beyond_terminated = -1;
  *obs = (crl_space){CRL_SPACE_BOX, 4, 0, obs_low, obs_high};
  *act = (crl_space){CRL_SPACE_DISCRETE, 1, 2, NULL, NULL};
  return 0;
}

static int cartpole_cont_init(void *self, crl_space *obs, crl_space *act) {
  cartpole_init(self, obs, act);
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, cont_act_low, cont_act_high};
  return 0;
}

static int cartpole_reset(void *self, gsl_rng *rng) {
  cartpole *c = self;
  /* np_random.uniform(low=-0.05, high=0.05, size=(4,)), in state order. */
  c->x = -0.05 + (0.05 - -0.05) * gsl_rng_uniform(rng);
  c->x_dot = -0.05 + (0.05 - -0.05) * gsl_rng_uniform(rng);
  c->theta = -0.05 + (0.05 - -0.05) * gsl_rng_uniform(rng);
  c->theta_dot = -0.05 + (0.05 - -0.05) * gsl_rng_uniform(rng);
  c->steps_beyond_terminated = -1;
  return 0;
}

static int cartpole_step(void *self, const crl_real *action, double *reward,
                         int *terminated) {
  int a = 0;
  int rc = crl__envs_discrete(CARTPOLE_NAME, action[0], 2, &a);
  if (rc)
    return rc;
  cartpole_advance(self, a == 1 ? force_mag : -force_mag, reward, terminated);
  return 0;
}

static int cartpole_cont_step(void *self, const crl_real *action,
                              double *reward, int *terminated) {
  /* NaN is rejected (decision for this variant): it has no clipped value
   * and would turn the whole state into NaN. +-inf clip to +-1. */
  int rc = crl__envs_not_nan(CARTPOLE_CONT_NAME, action[0]);
  if (rc)
    return rc;
  double a = (double)action[0];
  double u = a < -1.0 ? -1.0 : (a > 1.0 ? 1.0 : a);
  /* +-1.0 * 10.0 is exactly +-10.0: the discrete env's forces. */
  cartpole_advance(self, u * force_mag, reward, terminated);
  return 0;
}

static void cartpole_observe(const void *self, crl_real *obs) {
  const cartpole *c = self;
  obs[0] = crl__envs_obs(c->x);
  obs[1] = crl__envs_obs(c->x_dot);
  obs[2] = crl__envs_obs(c->theta);
  obs[3] = crl__envs_obs(c->theta_dot);
}

static void cartpole_get_state(const void *self, double *state) {
  const cartpole *c = self;
  state[0] = c->x;
  state[1] = c->x_dot;
  state[2] = c->theta;
  state[3] = c->theta_dot;
}

static void cartpole_set_state(void *self, const double *state) {
  cartpole *c = self;
  c->x = state[0];
  c->x_dot = state[1];
  c->theta = state[2];
  c->theta_dot = state[3];
  c->steps_beyond_terminated = -1; /* a fresh episode, as after reset */
}

/** CartPole-v1 (Gymnasium v0.29.1): balance a pole on a cart pushed with
 *  +-10 N (action 0 = left, 1 = right); reward 1 per step; terminates when
 *  |x| > 2.4 or |theta| > 12 degrees; 500 steps. */
const crl_env_type crl__env_cartpole = {
    .name = CARTPOLE_NAME,
    .doc = "balance a pole on a cart; Box(4) obs, Discrete(2) push, 500 steps",
    .self_size = sizeof(cartpole),
    .max_episode_steps = 500,
    .state_dim = 4,
    .init = cartpole_init,
    .reset = cartpole_reset,
    .step = cartpole_step,
    .observe = cartpole_observe,
    .get_state = cartpole_get_state,
    .set_state = cartpole_set_state,
    .fini = NULL,
};

/** CartPoleContinuous-v1 (ENVS.md section 5): CartPole-v1 with a force of
 *  clip(a, -1, 1) * 10 N; a NaN action fails with CRL_EINVAL. */
const crl_env_type crl__env_cartpole_continuous = {
    .name = CARTPOLE_CONT_NAME,
    .doc = "CartPole-v1 with a continuous force in [-1, 1] x 10 N, 500 steps",
    .self_size = sizeof(cartpole),
    .max_episode_steps = 500,
    .state_dim = 4,
    .init = cartpole_cont_init,
    .reset = cartpole_reset,
    .step = cartpole_cont_step,
    .observe = cartpole_observe,
    .get_state = cartpole_get_state,
    .set_state = cartpole_set_state,
    .fini = NULL,
};
