/* MountainCarContinuous-v0: drive an underpowered car up a hill.
 *
 * Gymnasium v0.29.1 classic_control/continuous_mountain_car.py, bit for bit
 * with NumPy 1.x promotion (ENVS.md section 3). The subtle part is storage
 * precision: reset() stores a float64 state, every step() stores a float32
 * one, while the arithmetic in between is double. So the first step of an
 * episode reads the full-precision reset position, later steps read
 * float32-valued positions, and termination is tested on the double values
 * before they are rounded. The reward charges the raw, unclipped action.
 * TimeLimit 999. Reset: position ~ U[-0.6, -0.4), velocity 0.
 * get_state/set_state: (position, velocity); a state given to set_state is
 * used as is, like the float64 reset state. */
#include "envs.h"

#define MCC_NAME "MountainCarContinuous-v0"

static const double min_action = -1.0;
static const double max_action = 1.0;
static const double min_position = -1.2;
static const double max_position = 0.6;
static const double max_speed = 0.07;
static const double goal_position = 0.45;
static const double goal_velocity = 0.0; /* constructor argument */
static const double power = 0.0015;

typedef struct mountain_car {
  /* Double so that the reset state keeps its precision; after a step both
   * hold float32 values (rounded through crl__envs_f32, which survives the
   * GCC 12 SLP bug that drops adjacent float round-trips). */
  double position;
  double velocity;
} mountain_car;

/* float32 arrays in Gymnasium: [min_position, -max_speed], [max_position,
 * max_speed]. */
static const double obs_low[2] = {(float)-1.2, (float)-0.07};
static const double obs_high[2] = {(float)0.6, (float)0.07};
static const double act_low[1] = {-1.0};
static const double act_high[1] = {1.0};

static int mcc_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 2, 0, obs_low, obs_high};
  *act = (crl_space){CRL_SPACE_BOX, 1, 0, act_low, act_high};
  return 0;
}

static int mcc_reset(void *self, gsl_rng *rng) {
  mountain_car *mc = self;
  /* [np_random.uniform(low=-0.6, high=-0.4), 0]: a float64 array. */
  mc->position = -0.6 + (-0.4 - -0.6) * gsl_rng_uniform(rng);
  mc->velocity = 0.0;
  return 0;
}

static int mcc_step(void *self, const crl_real *action, double *reward,
                    int *terminated) {
  mountain_car *mc = self;
  int rc = crl__envs_not_nan(MCC_NAME, action[0]);
  if (rc)
    return rc;
  double a = (double)action[0];
  double position = mc->position;
  double velocity = mc->velocity;

  /* min(max(a, min_action), max_action) with Python's max/min. */
  double force = min_action > a ? min_action : a;
  force = max_action < force ? max_action : force;

  /* `velocity += rhs`: the right-hand side first, then the addition. */
  velocity = velocity + (force * power - 0.0025 * cos(3 * position));
  if (velocity > max_speed)
    velocity = max_speed;
  if (velocity < -max_speed)
    velocity = -max_speed;
  position = position + velocity;
  if (position > max_position)
    position = max_position;
  if (position < min_position)
    position = min_position;
  /* The inelastic left wall stops only a car moving into it. */
  if (position == min_position && velocity < 0)
    velocity = 0;

  /* On the double values, before the float32 storage below. */
  int term = position >= goal_position && velocity >= goal_velocity;
  /* The raw action, not the clipped force: a = 2 costs 0.4. */
  *reward = (term ? 100.0 : 0.0) - crl__envs_sq(a) * 0.1;
  *terminated = term;

  mc->position = crl__envs_f32(position);
  mc->velocity = crl__envs_f32(velocity);
  return 0;
}

static void mcc_observe(const void *self, crl_real *obs) {
  const mountain_car *mc = self;
  /* Exact after a step; after reset, the float32 view of the double state. */
  obs[0] = crl__envs_obs(mc->position);
  obs[1] = crl__envs_obs(mc->velocity);
}

static void mcc_get_state(const void *self, double *state) {
  const mountain_car *mc = self;
  state[0] = mc->position;
  state[1] = mc->velocity;
}

static void mcc_set_state(void *self, const double *state) {
  mountain_car *mc = self;
  mc->position = state[0];
  mc->velocity = state[1];
}

/** MountainCarContinuous-v0 (Gymnasium v0.29.1): reach position 0.45 with a
 *  force in [-1, 1]; reward 100 at the goal minus 0.1 a^2 per step; 999
 *  steps. */
const crl_env_type crl__env_mountain_car_continuous = {
    .name = MCC_NAME,
    .doc = "drive a car up a hill; Box(2) obs, force in [-1, 1], 999 steps",
    .self_size = sizeof(mountain_car),
    .max_episode_steps = 999,
    .state_dim = 2,
    .init = mcc_init,
    .reset = mcc_reset,
    .step = mcc_step,
    .observe = mcc_observe,
    .get_state = mcc_get_state,
    .set_state = mcc_set_state,
    .fini = NULL,
};
