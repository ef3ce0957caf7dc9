/* ShortCorridor-v0: Sutton & Barto (2nd ed.), Example 13.1, "short corridor
 * with switched actions".
 *
 *   [S0] <-> [S1] <-> [S2] -> G
 *
 * Three non-terminal states and a terminal goal G; every episode starts in
 * S0. Actions: 0 = left, 1 = right. In S0 left stays in S0; in S1 the
 * actions are reversed (right moves to S0, left moves to S2); in S2 right
 * reaches G. Every step gives reward -1 (gamma = 1 is the book's setting,
 * chosen in the experiment). The agent cannot tell the states apart: every
 * state gives the same observation, the single feature x(s) = [1], so a
 * policy over the observation is one fixed distribution over the actions,
 * and the best one is stochastic: with p = P(right),
 *
 *   v_p(S0) = -2 (2 - p) / (p (1 - p)),
 *
 * maximised at p = 2 - sqrt(2) ~ 0.586 with v*(S0) = -(6 + 4 sqrt(2))
 * ~ -11.657.
 *
 * TimeLimit 1000: the book has none, but a policy that (almost) never goes
 * right, or a deterministic one, never reaches G (always-right bounces
 * between S0 and S1), so an evaluation or a bad initial policy would run
 * forever. 1000 steps is ~86 times the optimal expected length and ~12 times
 * the expected length of the P(right) = 0.05 start of Figure 13.1 (82), so
 * the cut almost never touches the curves of the book's experiments.
 *
 * The dynamics are deterministic: reset uses no randomness. get_state /
 * set_state: the state index (0, 1, 2, or 3 = G). */
#include "envs.h"

#define CORRIDOR_NAME "ShortCorridor-v0"

enum { LEFT = 0, RIGHT = 1, GOAL = 3 };

typedef struct corridor {
  int state; /* 0, 1, 2, or GOAL */
} corridor;

static const double obs_low[1] = {1.0};
static const double obs_high[1] = {1.0};

static int corridor_init(void *self, crl_space *obs, crl_space *act) {
  (void)self;
  *obs = (crl_space){CRL_SPACE_BOX, 1, 0, obs_low, obs_high};
  *act = (crl_space){CRL_SPACE_DISCRETE, 1, 2, NULL, NULL};
  return 0;
}

static int corridor_reset(void *self, gsl_rng *rng) {
  (void)rng;
  ((corridor *)self)->state = 0;
  return 0;
}

/* The state reached from s by action a (s is not the goal). */
static int next_state(int s, int a) {
  int right = (a == RIGHT) != (s == 1); /* S1 switches the actions */
  if (right)
    return s + 1;
  return s > 0 ? s - 1 : 0;
}

static int corridor_step(void *self, const crl_real *action, double *reward,
                         int *terminated) {
  corridor *c = self;
  int a = 0;
  int rc = crl__envs_discrete(CORRIDOR_NAME, action[0], 2, &a);
  if (rc)
    return rc;
  /* Stepping after the goal is allowed (as Gymnasium) and stays there. */
  if (c->state != GOAL)
    c->state = next_state(c->state, a);
  *reward = -1.0;
  *terminated = c->state == GOAL;
  return 0;
}

static void corridor_observe(const void *self, crl_real *obs) {
  (void)self;
  obs[0] = 1; /* the same in every state: the agent cannot see where it is */
}

static void corridor_get_state(const void *self, double *state) {
  state[0] = ((const corridor *)self)->state;
}

static void corridor_set_state(void *self, const double *state) {
  int s = (int)state[0];
  ((corridor *)self)->state = s < 0 ? 0 : (s > GOAL ? GOAL : s);
}

/** ShortCorridor-v0: S&B Example 13.1; reward -1 per step, actions
 *  switched in the second state, one constant observation; TimeLimit 1000. */
const crl_env_type crl__env_short_corridor = {
    .name = CORRIDOR_NAME,
    .doc = "S&B Example 13.1: 3 cells, switched actions in the middle, one "
           "observation; -1 per step",
    .self_size = sizeof(corridor),
    .max_episode_steps = 1000,
    .state_dim = 1,
    .init = corridor_init,
    .reset = corridor_reset,
    .step = corridor_step,
    .observe = corridor_observe,
    .get_state = corridor_get_state,
    .set_state = corridor_set_state,
    .fini = NULL,
};
