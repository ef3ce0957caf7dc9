/* Plugins that go wrong in each of the ways the loader must report
 * (tests/cli_test.sh), one per -DBAD_<WHAT>, plus a plugin whose env has
 * no get_state/set_state (-DBAD_STATELESS): it trains, but its run cannot
 * be resumed. */
#include <crl/crl.h>

#if defined(BAD_ABI)
CRL_PLUGIN_EXPORT const crl_plugin_abi_info crl_plugin_abi = {
    CRL_PLUGIN_ABI_VERSION + 1, (int)sizeof(crl_real)};
#elif defined(BAD_REAL) /* as if built for the other precision */
CRL_PLUGIN_EXPORT const crl_plugin_abi_info crl_plugin_abi = {
    CRL_PLUGIN_ABI_VERSION, sizeof(crl_real) == 4 ? 8 : 4};
#elif !defined(BAD_NOABI)
CRL_PLUGIN_DECLARE();
#endif

/* A one-dimensional integrator: x' = a, reward -|x|. */
typedef struct line {
  double x;
} line;

static line the_line; /* one copy at a time (no create) */

static int line_reset(void *inst, uint64_t seed, crl_real *obs) {
  line *l = inst;
  l->x = (double)(seed % 1000) / 500.0 - 1.0;
  obs[0] = (crl_real)l->x;
  return 0;
}

static int line_step(void *inst, const crl_real *action, crl_real *obs,
                     double *reward, int *terminated) {
  line *l = inst;
  double a = (double)action[0];
  l->x += 0.1 * (a < -1 ? -1 : a > 1 ? 1 : a);
  *reward = l->x < 0 ? l->x : -l->x;
  *terminated = 0;
  obs[0] = (crl_real)l->x;
  return 0;
}

static const double lo[1] = {-10}, hi[1] = {10}, alo[1] = {-1}, ahi[1] = {1};

/* External, so that the variants that do not use it compile cleanly. */
crl_env_callbacks bad_line_env(const char *name);
crl_env_callbacks bad_line_env(const char *name) {
  return (crl_env_callbacks){.name = name,
                             .obs_space = {CRL_SPACE_BOX, 1, 0, lo, hi},
                             .act_space = {CRL_SPACE_BOX, 1, 0, alo, ahi},
                             .max_episode_steps = 20,
                             .user = &the_line,
                             .reset = line_reset,
                             .step = line_step};
}

#if !defined(BAD_NOINIT)
int crl_plugin_init(crl_plugin_registry *reg) {
#if defined(BAD_FAIL)
  (void)reg;
  return crl_fail(CRL_EIO, "the simulator's licence file is missing");
#elif defined(BAD_CLASH_ENV)
  crl_env_callbacks cb = bad_line_env("CartPole-v1");
  reg->env_callbacks(reg, &cb); /* the failure is remembered all the same */
  return 0;
#elif defined(BAD_CLASH_PLUGIN)
  crl_env_callbacks cb = bad_line_env("PointMass2D-v0");
  return reg->env_callbacks(reg, &cb);
#elif defined(BAD_CLASH_ALGO)
  static const crl_algo_type ppo = {.name = "ppo"};
  return reg->algo(reg, &ppo);
#else
  crl_env_callbacks cb = bad_line_env("Stateless1D-v0");
  return reg->env_callbacks(reg, &cb);
#endif
}
#endif
