/* Acrobot-v1: swing the tip of a two-link chain above a line.
 *
 * Gymnasium v0.29.1 classic_control/acrobot.py, bit for bit (ENVS.md
 * section 4): the "book" dynamics, one classic RK4 step of 0.2 s with the
 * torque carried as a fifth component, then the angles are wrapped with
 * Gymnasium's subtract/add loop (not fmod, which changes the last bits) and
 * the velocities clipped. State (theta1, theta2, dtheta1, dtheta2) in
 * double; theta1 is measured from hanging down, theta2 relative to link 1.
 * Observation float32 (cos t1, sin t1, cos t2, sin t2, dt1, dt2). Action
 * Discrete(3): torque -1, 0, +1. Reward -1 per step, 0 on the terminating
 * step. TimeLimit 500. Reset: all four ~ U[-0.1, 0.1), rounded to float32
 * (Gymnasium casts the reset state; the dynamics then run in double). */
#include "envs.h"

#define ACROBOT_NAME "Acrobot-v1"

static const double dt = 0.2;
static const double link_length_1 = 1.0;
static const double link_mass_1 = 1.0;
static const double link_mass_2 = 1.0;
static const double link_com_pos_1 = 0.5;
static const double link_com_pos_2 = 0.5;
static const double link_moi = 1.0;
#define MAX_VEL_1 (4 * M_PI)
#define MAX_VEL_2 (9 * M_PI)
static const double avail_torque[3] = {-1.0, 0.0, 1.0};

typedef struct acrobot {
  double s[4]; /* theta1, theta2, dtheta1, dtheta2 */
} acrobot;

/* float32 array [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2] and its negation. */
static const double obs_high[6] = {
    1.0, 1.0, 1.0, 1.0, (float)MAX_VEL_1, (float)MAX_VEL_2};
static const double obs_low[6] = {
    -1.0, -1.0, -1.0, -1.0, -(float)MAX_VEL_1, -(float)MAX_VEL_2};

/* _dsdt: the derivative of y = (theta1, theta2, dtheta1, dtheta2, torque).
 * Every line is evaluated left to right as the Python reads; a leading
 * minus binds to the first factor; cos(x - pi/2) is kept rather than
 * rewritten as sin(x), which differs in the last bits. The squares of the
 * state are pow calls like Python's `**2`; those of the constants (0.5 and
 * 1.0) are exact either way, so they are plain products. sin and cos of
 * theta2 are computed once: the same call gives the same bits. */
static void dsdt(const double y[5], double dy[5]) {
  const double m1 = link_mass_1, m2 = link_mass_2, l1 = link_length_1;
  const double lc1 = link_com_pos_1, lc2 = link_com_pos_2;
  const double I1 = link_moi, I2 = link_moi;
  const double g = 9.8;
  const double a = y[4];
  const double theta1 = y[0], theta2 = y[1], dtheta1 = y[2], dtheta2 = y[3];
  const double c2 = cos(theta2), s2 = sin(theta2);

  double d1 = m1 * (lc1 * lc1) +
              m2 * ((l1 * l1) + (lc2 * lc2) + 2 * l1 * lc2 * c2) + I1 + I2;
  double d2 = m2 * ((lc2 * lc2) + l1 * lc2 * c2) + I2;
  double phi2 = m2 * lc2 * g * cos(theta1 + theta2 - M_PI / 2.0);
  double phi1 = -m2 * l1 * lc2 * crl__envs_sq(dtheta2) * s2 -
                2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * s2 +
                (m1 * lc1 + m2 * l1) * g * cos(theta1 - M_PI / 2) + phi2;
  /* book_or_nips == "book": keeps the dtheta1**2 term. */
  double ddtheta2 =
      (a + d2 / d1 * phi1 - m2 * l1 * lc2 * crl__envs_sq(dtheta1) * s2 - phi2) /
      (m2 * (lc2 * lc2) + I2 - crl__envs_sq(d2) / d1);
  double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;

  dy[0] = dtheta1;
  dy[1] = dtheta2;
  dy[2] = ddtheta1;
  dy[3] = ddtheta2;
  dy[4] = 0.0;
}

/* Gymnasium's rk4(derivs, y0, [0, dt]), one step, element-wise as NumPy. */
static void rk4(double y[5]) {
  const double h = dt - 0.0; /* t[1] - t[0] */
  const double h2 = h / 2.0;
  double k1[5], k2[5], k3[5], k4[5], tmp[5];

  dsdt(y, k1);
  for (int i = 0; i < 5; i++)
    tmp[i] = y[i] + h2 * k1[i];
  dsdt(tmp, k2);
  for (int i = 0; i < 5; i++)
    tmp[i] = y[i] + h2 * k2[i];
  dsdt(tmp, k3);
  for (int i = 0; i < 5; i++)
    tmp[i] = y[i] + h * k3[i];
  dsdt(tmp, k4);
  /* y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4): the scalar first. */
  const double h6 = h / 6.0;
  for (int i = 0; i < 5; i++)
    y[i] = y[i] + h6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

/* wrap(x, m, M): shift by whole turns with repeated subtraction/addition.
 * fmod or remainder would round differently in the last bits. */
static double wrap(double x, double lo, double hi) {
  const double diff = hi - lo;
  while (x > hi)
    x = x - diff;
  while (x < lo)
    x = x + diff;
  return x;
}

/* bound(x, m, M) = min(max(x, m), M) with Python's max/min. */
static double bound(double x, double lo, double hi) {
  double r = lo > x ? lo : x;
  return hi < r ? hi : r;
}

static int acrobot_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 6, 0, obs_low, obs_high};
  *act = (crl_space){CRL_SPACE_DISCRETE, 1, 3, NULL, NULL};
  return 0;
}

static int acrobot_reset(void *self, gsl_rng *rng) {
  acrobot *ac = self;
  /* uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32) */
  for (int i = 0; i < 4; i++)
    ac->s[i] = crl__envs_f32(-0.1 + (0.1 - -0.1) * gsl_rng_uniform(rng));
  return 0;
}

static int acrobot_terminal(const acrobot *ac) {
  /* Tip height above the pivot exceeds one link length. */
  return -cos(ac->s[0]) - cos(ac->s[1] + ac->s[0]) > 1.0;
}

static int acrobot_step(void *self, const crl_real *action, double *reward,
                        int *terminated) {
  acrobot *ac = self;
  int a = 0;
  int rc = crl__envs_discrete(ACROBOT_NAME, action[0], 3, &a);
  if (rc)
    return rc;
  /* torque_noise_max is 0, so no noise is drawn. */
  double y[5] = {ac->s[0], ac->s[1], ac->s[2], ac->s[3], avail_torque[a]};
  rk4(y);
  /* After the whole RK4 step, never inside the stages. */
  ac->s[0] = wrap(y[0], -M_PI, M_PI);
  ac->s[1] = wrap(y[1], -M_PI, M_PI);
  ac->s[2] = bound(y[2], -MAX_VEL_1, MAX_VEL_1);
  ac->s[3] = bound(y[3], -MAX_VEL_2, MAX_VEL_2);
  int term = acrobot_terminal(ac);
  *reward = term ? 0.0 : -1.0;
  *terminated = term;
  return 0;
}

static void acrobot_observe(const void *self, crl_real *obs) {
  const acrobot *ac = self;
  obs[0] = crl__envs_obs(cos(ac->s[0]));
  obs[1] = crl__envs_obs(sin(ac->s[0]));
  obs[2] = crl__envs_obs(cos(ac->s[1]));
  obs[3] = crl__envs_obs(sin(ac->s[1]));
  obs[4] = crl__envs_obs(ac->s[2]);
  obs[5] = crl__envs_obs(ac->s[3]);
}

static void acrobot_get_state(const void *self, double *state) {
  const acrobot *ac = self;
  for (int i = 0; i < 4; i++)
    state[i] = ac->s[i];
}

static void acrobot_set_state(void *self, const double *state) {
  acrobot *ac = self;
  for (int i = 0; i < 4; i++)
    ac->s[i] = state[i];
}

/** Acrobot-v1 (Gymnasium v0.29.1): swing a two-link chain's tip above one
 *  link length with torque -1, 0 or +1 at the middle joint; reward -1 per
 *  step; 500 steps. */
const crl_env_type crl__env_acrobot = {
    .name = ACROBOT_NAME,
    .doc =
        "swing a two-link chain up; Box(6) obs, Discrete(3) torque, 500 steps",
    .self_size = sizeof(acrobot),
    .max_episode_steps = 500,
    .state_dim = 4,
    .init = acrobot_init,
    .reset = acrobot_reset,
    .step = acrobot_step,
    .observe = acrobot_observe,
    .get_state = acrobot_get_state,
    .set_state = acrobot_set_state,
    .fini = NULL,
};
