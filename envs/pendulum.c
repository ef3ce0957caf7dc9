/* Pendulum-v1: swing a frictionless pendulum up and keep it upright.
 *
 * Gymnasium v0.29.1 classic_control/pendulum.py, bit for bit (ENVS.md
 * section 1). State (theta, theta_dot) in double; theta = 0 is upright and
 * is never wrapped in the state (it grows as the pendulum spins); only the
 * cost uses the normalised angle. Observation float32 (cos, sin, theta_dot).
 * Action: torque in [-2, 2], clipped by the env; NaN is rejected. Never
 * terminates; TimeLimit 200. Reset: theta ~ U[-pi, pi), theta_dot ~ U[-1, 1).
 * get_state/set_state: (theta, theta_dot). */
#include "envs.h"

#define PENDULUM_NAME "Pendulum-v1"

/* Constants as Gymnasium defines them (g is a constructor argument). */
static const double max_speed = 8.0;
static const double max_torque = 2.0;
static const double dt = 0.05;
static const double g = 10.0;
static const double m = 1.0;
static const double l = 1.0;

typedef struct pendulum {
  double theta;
  double theta_dot;
} pendulum;

static const double obs_high[3] = {1.0, 1.0, 8.0};
static const double obs_low[3] = {-1.0, -1.0, -8.0};
static const double act_high[1] = {2.0};
static const double act_low[1] = {-2.0};

/* NumPy's floor modulo (the result has the sign of the divisor), which C's
 * fmod is not for negative x; an exact zero comes out as +0.0 like NumPy. */
static double floor_mod(double x, double y) {
  double r = fmod(x, y);
  if (r != 0.0) {
    if ((r < 0.0) != (y < 0.0))
      r += y;
  } else {
    r = copysign(0.0, y);
  }
  return r;
}

/* angle_normalize(x) = ((x + pi) % (2 * pi)) - pi */
static double angle_normalize(double x) {
  return floor_mod(x + M_PI, 2 * M_PI) - M_PI;
}

static double clip(double x, double lo, double hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

static int pendulum_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 3, 0, obs_low, obs_high};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, act_low, act_high};
  return 0;
}

static int pendulum_reset(void *self, gsl_rng *rng) {
  pendulum *p = self;
  /* np_random.uniform(low=-high, high=high) with high = [pi, 1]: one draw
   * per component, in order, as low + (high - low) * U[0, 1). */
  p->theta = -M_PI + (M_PI - -M_PI) * gsl_rng_uniform(rng);
  p->theta_dot = -1.0 + (1.0 - -1.0) * gsl_rng_uniform(rng);
  return 0;
}

static int pendulum_step(void *self, const crl_real *action, double *reward,
                         int *terminated) {
  pendulum *p = self;
  int rc = crl__envs_not_nan(PENDULUM_NAME, action[0]);
  if (rc)
    return rc;
  double th = p->theta, thdot = p->theta_dot;
  double u = clip((double)action[0], -max_torque, max_torque);

  /* The cost uses the pre-step state and the clipped torque, summed left to
   * right; `**2` is pow, not x*x. */
  double costs = crl__envs_sq(angle_normalize(th)) + 0.1 * crl__envs_sq(thdot) +
                 0.001 * crl__envs_sq(u);

  /* Grouping exactly as the Python: 3*g/(2*l) and 3.0/(m*l**2) are not
   * pre-folded (l*l is exact for l = 1, as pow is); sin of the
   * unnormalised theta. */
  double newthdot =
      thdot + (3 * g / (2 * l) * sin(th) + 3.0 / (m * (l * l)) * u) * dt;
  newthdot = clip(newthdot, -max_speed, max_speed);
  /* Semi-implicit Euler: the position uses the new, clipped velocity. */
  double newth = th + newthdot * dt;

  p->theta = newth;
  p->theta_dot = newthdot;
  *reward = -costs;
  *terminated = 0;
  return 0;
}

static void pendulum_observe(const void *self, crl_real *obs) {
  const pendulum *p = self;
  obs[0] = crl__envs_obs(cos(p->theta));
  obs[1] = crl__envs_obs(sin(p->theta));
  obs[2] = crl__envs_obs(p->theta_dot);
}

static void pendulum_get_state(const void *self, double *state) {
  const pendulum *p = self;
  state[0] = p->theta;
  state[1] = p->theta_dot;
}

static void pendulum_set_state(void *self, const double *state) {
  pendulum *p = self;
  p->theta = state[0];
  p->theta_dot = state[1];
}

/** Pendulum-v1 (Gymnasium v0.29.1): swing-up with torque in [-2, 2];
 *  reward -(angle^2 + 0.1 omega^2 + 0.001 u^2); 200 steps, no termination. */
const crl_env_type crl__env_pendulum = {
    .name = PENDULUM_NAME,
    .doc = "swing a pendulum upright; Box(3) obs, torque in [-2, 2], 200 steps",
    .self_size = sizeof(pendulum),
    .max_episode_steps = 200,
    .state_dim = 2,
    .init = pendulum_init,
    .reset = pendulum_reset,
    .step = pendulum_step,
    .observe = pendulum_observe,
    .get_state = pendulum_get_state,
    .set_state = pendulum_set_state,
    .fini = NULL,
};
