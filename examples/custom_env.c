/* Your own environment, from C, end to end: describe it with plain
 * callbacks, check it, train PPO on it, save the policy, load it back and
 * run it in a control loop. The steps are those of docs/embedding.md, in
 * the same order; only the public header is used, as a user program would.
 *
 * The task: one linear axis of a robot, a 1 kg carriage on a rail with
 * viscous friction, driven by a motor force in [-1, 1] N to a set point.
 *   state        position x and velocity v (m, m/s), the set point x*
 *   observation  x* - x and v (what a position controller sees)
 *   action       the force, clipped to [-1, 1]
 *   reward       -(x* - x)^2 - 0.01 force^2 per step of 0.1 s
 *   episode      100 steps (10 s); it never ends early
 * Each episode starts at rest 0.5 to 1.5 m from the set point, so doing
 * nothing returns -25 to -225 (100 steps of the squared distance) and a
 * good controller a small part of that (the carriage needs about 2 s to
 * get there).
 *
 * usage: custom_env [SEED [STEPS [POLICY FILE]]]
 * (defaults 0, 60000 and custom_env.crlp). Prints the return of one episode
 * with the loaded policy and of two baselines from the same start: zero
 * force, and uniform random forces (mean of 20 episodes). Exits with status
 * 0 only when the policy's cost is at most a quarter of zero force's and
 * below random forces'. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <crl/crl.h>

/* ---- 1. the environment: a simulator with reset and step ----------------- */

#define DT 0.1       /* s per step */
#define FRICTION 0.5 /* N per m/s */
#define CONTROL_COST 0.01
#define EPISODE_STEPS 100

typedef struct carriage {
  double x, v, target;
} carriage;

/* The simulator's own random numbers, seeded by reset: crl hands every
 * reset a fresh 64-bit seed from the env copy's reset stream, so one run
 * seed reproduces every episode (splitmix64, then the top 53 bits). */
static double uniform(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

static void observe(const carriage *c, crl_real *obs) {
  obs[0] = (crl_real)(c->target - c->x);
  obs[1] = (crl_real)c->v;
}

/* One carriage per env copy: a vec env steps several at once. */
static void *carriage_create(void *user) {
  (void)user;
  return calloc(1, sizeof(carriage));
}

static void carriage_destroy(void *inst) {
  free(inst);
}

static int carriage_reset(void *inst, uint64_t seed, crl_real *obs) {
  carriage *c = inst;
  uint64_t s = seed;
  double distance = 0.5 + uniform(&s); /* 0.5 to 1.5 m, either side */
  c->x = -1.0 + 2.0 * uniform(&s);
  c->target = c->x + (uniform(&s) < 0.5 ? -distance : distance);
  c->v = 0.0;
  observe(c, obs);
  return 0;
}

static int carriage_step(void *inst, const crl_real *action, crl_real *obs,
                         double *reward, int *terminated) {
  carriage *c = inst;
  /* The motor saturates: PPO's exploration samples past the bounds, and
   * the env, not the learner, decides what such a command does. */
  double f = fmax(-1.0, fmin(1.0, (double)action[0]));
  if (!isfinite(f))
    return crl_fail(CRL_EINVAL, "carriage: action is not finite");
  c->v += DT * (f - FRICTION * c->v); /* semi-implicit Euler, m = 1 kg */
  c->x += DT * c->v;
  double e = c->target - c->x;
  *reward = -e * e - CONTROL_COST * f * f;
  *terminated = 0; /* only the time limit ends an episode */
  observe(c, obs);
  return 0;
}

/* The bounds are only what the observations can reach in practice; the
 * action bounds are the motor's and must be finite. */
static const double obs_lo[2] = {-10, -10}, obs_hi[2] = {10, 10};
static const double act_lo[1] = {-1}, act_hi[1] = {1};

static int register_carriage(void) {
  crl_env_callbacks cb = {
      .name = "Carriage",
      .doc = "1 kg carriage on a rail driven to a set point; force in [-1, 1]",
      .obs_space = {CRL_SPACE_BOX, 2, 0, obs_lo, obs_hi},
      .act_space = {CRL_SPACE_BOX, 1, 0, act_lo, act_hi},
      .max_episode_steps = EPISODE_STEPS,
      .create = carriage_create,
      .destroy = carriage_destroy,
      .reset = carriage_reset,
      .step = carriage_step,
  };
  return crl_env_register_callbacks(&cb);
}

/* ---- 2. check it --------------------------------------------------------- */

static int check(void) {
  char report[4096];
  int rc =
      crl_env_check(crl_env_find("Carriage"), 10000, 0, report, sizeof report);
  if (rc != 0)
    fputs(report, stderr);
  else
    printf("crl_env_check: Carriage is ok\n");
  return rc;
}

/* ---- 3. train PPO -------------------------------------------------------- */

#define N_ENVS 4

/* Short rollouts and a large step size: the task is small, and the
 * example should train in a few seconds. The horizon gamma = 0.95
 * (20 steps, 2 s) is about the time the carriage needs to settle. */
static const char *const ppo_settings[][2] = {
    {"n_steps", "256"},
    {"batch_size", "128"},
    {"n_epochs", "10"},
    {"gamma", "0.95"},
    {"learning_rate", "1e-3"},
    {"policy_kwargs.net_arch", "[32, 32]"},
    {"policy_kwargs.log_std_init", "-0.5"},
};

static int make_ppo(crl_vec_env *venv, uint64_t seed, crl_algo **algo) {
  const crl_algo_type *ppo = crl_algo_find("ppo");
  void *spec = NULL;
  int rc = crl_algo_spec_alloc(ppo, &spec); /* the defaults */
  for (size_t i = 0;
       rc == 0 && i < sizeof ppo_settings / sizeof ppo_settings[0]; i++)
    rc = crl_algo_spec_set(ppo, spec, ppo_settings[i][0], ppo_settings[i][1]);
  if (rc == 0)
    rc = crl_algo_alloc(ppo, spec, crl_vec_env_obs_space(venv),
                        crl_vec_env_act_space(venv), N_ENVS, seed, algo);
  crl_algo_spec_free(spec);
  return rc;
}

static int train(crl_algo *algo, crl_vec_env *venv, long budget) {
  int rc = crl_vec_env_reset(venv);
  for (long steps = 0; rc == 0 && steps < budget;) {
    crl_algo_stats st;
    rc = crl_algo_iterate(algo, venv, 1.0 - (double)steps / budget, &st);
    steps += st.steps;
  }
  if (rc == 0)
    printf("PPO: %ld steps, mean return of the last episodes %.2f\n",
           crl_vec_env_steps(venv), crl_vec_env_recent_return(venv));
  return rc;
}

/* ---- 4. export and save the policy; load it as a controller would -------- */

static int save_and_reload(crl_algo *algo, const char *path, crl_policy **out) {
  crl_policy *policy = NULL;
  int rc = crl_algo_export_policy(algo, 1, &policy);
  if (rc == 0)
    rc = crl_policy_save(policy, path);
  crl_policy_free(policy);
  if (rc == 0)
    rc = crl_policy_load(path, 1, out);
  if (rc == 0)
    printf("policy saved to %s and loaded back\n", path);
  return rc;
}

/* ---- the control loop ---------------------------------------------------- */

typedef enum controller { POLICY, ZERO, RANDOM } controller;

/* One episode of the simulator driven directly, without crl_env: read the
 * state, compute the force, step, as on the robot. Every controller starts
 * from the same reset seed; `noise` seeds the random forces. */
static int run_episode(controller who, crl_policy *policy, uint64_t seed,
                       uint64_t noise, double *ret) {
  carriage c;
  crl_real obs[2], force[1] = {0};
  int rc = carriage_reset(&c, seed, obs);
  *ret = 0.0;
  for (int t = 0; rc == 0 && t < EPISODE_STEPS; t++) {
    if (who == POLICY)
      rc = crl_policy_act(policy, obs, force); /* allocation-free */
    else if (who == RANDOM)
      force[0] = (crl_real)(-1.0 + 2.0 * uniform(&noise));
    double r = 0.0;
    int terminated;
    if (rc == 0)
      rc = carriage_step(&c, force, obs, &r, &terminated);
    *ret += r;
  }
  return rc;
}

/* Random forces are sometimes lucky in one episode: their baseline is the
 * mean over RANDOM_EPISODES noise sequences from the same start. */
#define RANDOM_EPISODES 20

static double random_baseline(uint64_t seed) {
  double sum = 0.0, ret;
  for (int k = 0; k < RANDOM_EPISODES; k++) {
    run_episode(RANDOM, NULL, seed, 0x5eedULL + (uint64_t)k, &ret);
    sum += ret;
  }
  return sum / RANDOM_EPISODES;
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "custom_env: %s: %s (%s)\n", what, crl_errname(rc),
          crl_last_error());
  return 1;
}

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 0;
  long budget = argc > 2 ? atol(argv[2]) : 60000;
  const char *path = argc > 3 ? argv[3] : "custom_env.crlp";

  int rc = register_carriage();
  if (rc)
    return fail("register", rc);
  rc = check();
  if (rc)
    return fail("check", rc);

  crl_vec_env *venv = NULL;
  crl_algo *algo = NULL;
  crl_policy *policy = NULL;
  rc = crl_vec_env_make("Carriage", N_ENVS, seed, &venv);
  if (rc == 0)
    rc = make_ppo(venv, seed, &algo);
  if (rc == 0)
    rc = train(algo, venv, budget);
  if (rc == 0)
    rc = save_and_reload(algo, path, &policy);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  if (rc)
    return fail("training", rc);

  /* An episode start of its own (the training's starts come from the vec
   * env's reset streams). */
  uint64_t episode = seed + 1000003;
  double trained = 0, zero = 0;
  rc = run_episode(POLICY, policy, episode, 0, &trained);
  if (rc == 0)
    rc = run_episode(ZERO, NULL, episode, 0, &zero);
  crl_policy_free(policy);
  if (rc)
    return fail("episode", rc);
  double random_force = random_baseline(episode);
  printf("episode return: policy %.2f, zero force %.2f, random force %.2f "
         "(mean of %d)\n",
         trained, zero, random_force, RANDOM_EPISODES);
  /* Returns are costs (<= 0). A trained policy costs 5-9 % of doing
   * nothing (seeds 0-29 at 60000 steps; still under 20 % at 10000 steps):
   * demand at most a quarter, and less than random forces. */
  if (trained < zero / 4.0 || trained <= random_force) {
    fprintf(stderr, "custom_env: the policy does not beat the baselines\n");
    return 1;
  }
  return 0;
}
