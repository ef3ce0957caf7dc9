/* A plugin for `crl train`: a user's environment in a shared object
 * (crl/plugin.h, docs/embedding.md "Your env in crl train"). meson builds
 * it as examples/libplugin_point_mass.so; examples/plugin_point_mass.yaml
 * trains PPO on it:
 *
 *   crl train examples/plugin_point_mass.yaml
 *
 * The task, PointMass2D-v0: a 1 kg puck on a plane with air drag
 * (quadratic in the speed, unlike any built-in env), pushed by a force in
 * [-1, 1] N along each axis toward a goal.
 *   state        position p and velocity v (m, m/s), the goal g
 *   observation  g - p and v
 *   action       the force (fx, fy), each clipped to [-1, 1]
 *   dynamics     dv/dt = f - DRAG |v| v, semi-implicit Euler, 0.1 s steps
 *   reward       -|g - p| - 0.05 |f|^2 per step
 *   episode      100 steps (10 s); it never ends early
 * Start and goal are uniform in [-1, 1]^2 and the puck starts at rest, so
 * pushing nothing returns about -100 (the mean distance is about 1 m) and
 * a good controller, there in about 2 s, about -20.
 *
 * The env gives get_state/set_state (the six numbers above; a step draws
 * no random numbers, and a reset draws only from its seed), so a run on
 * it is checkpointed and resumed bit for bit. */
#include <math.h>
#include <stdlib.h>

#include <crl/crl.h>

CRL_PLUGIN_DECLARE();

#define DT 0.1
#define DRAG 1.0 /* N per (m/s)^2 */
#define CONTROL_COST 0.05
#define EPISODE_STEPS 100

typedef struct puck {
  double p[2], v[2], g[2];
} puck;

/* A uniform number in [-1, 1) from the reset seed (splitmix64). */
static double uniform(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-52 - 1.0;
}

static void observe(const puck *k, crl_real *obs) {
  for (int i = 0; i < 2; i++) {
    obs[i] = (crl_real)(k->g[i] - k->p[i]);
    obs[2 + i] = (crl_real)k->v[i];
  }
}

static void *puck_create(void *user) {
  (void)user;
  return calloc(1, sizeof(puck));
}

static void puck_destroy(void *inst) {
  free(inst);
}

static int puck_reset(void *inst, uint64_t seed, crl_real *obs) {
  puck *k = inst;
  uint64_t s = seed;
  for (int i = 0; i < 2; i++) {
    k->p[i] = uniform(&s);
    k->g[i] = uniform(&s);
    k->v[i] = 0.0;
  }
  observe(k, obs);
  return 0;
}

static int puck_step(void *inst, const crl_real *action, crl_real *obs,
                     double *reward, int *terminated) {
  puck *k = inst;
  double f[2], speed = hypot(k->v[0], k->v[1]);
  for (int i = 0; i < 2; i++) {
    f[i] = fmax(-1.0, fmin(1.0, (double)action[i]));
    if (!isfinite(f[i]))
      return crl_fail(CRL_EINVAL, "PointMass2D: the action is not finite");
  }
  for (int i = 0; i < 2; i++) {
    k->v[i] += DT * (f[i] - DRAG * speed * k->v[i]);
    k->p[i] += DT * k->v[i];
  }
  double d = hypot(k->g[0] - k->p[0], k->g[1] - k->p[1]);
  *reward = -d - CONTROL_COST * (f[0] * f[0] + f[1] * f[1]);
  *terminated = 0;
  observe(k, obs);
  return 0;
}

/* Checkpoints: p, v and g are all there is. */
static void puck_get_state(const void *inst, double *state) {
  const puck *k = inst;
  for (int i = 0; i < 2; i++) {
    state[i] = k->p[i];
    state[2 + i] = k->v[i];
    state[4 + i] = k->g[i];
  }
}

static void puck_set_state(void *inst, const double *state) {
  puck *k = inst;
  for (int i = 0; i < 2; i++) {
    k->p[i] = state[i];
    k->v[i] = state[2 + i];
    k->g[i] = state[4 + i];
  }
}

/* Where observations go in practice; the action bounds are the motor's. */
static const double obs_lo[4] = {-10, -10, -10, -10};
static const double obs_hi[4] = {10, 10, 10, 10};
static const double act_lo[2] = {-1, -1}, act_hi[2] = {1, 1};

int crl_plugin_init(crl_plugin_registry *reg) {
  const crl_env_callbacks cb = {
      .name = "PointMass2D-v0",
      .doc = "puck with quadratic drag pushed to a goal on a plane "
             "(examples/plugin_point_mass.c)",
      .obs_space = {CRL_SPACE_BOX, 4, 0, obs_lo, obs_hi},
      .act_space = {CRL_SPACE_BOX, 2, 0, act_lo, act_hi},
      .max_episode_steps = EPISODE_STEPS,
      .create = puck_create,
      .destroy = puck_destroy,
      .reset = puck_reset,
      .step = puck_step,
      .state_dim = 6,
      .get_state = puck_get_state,
      .set_state = puck_set_state,
  };
  return reg->env_callbacks(reg, &cb);
}
