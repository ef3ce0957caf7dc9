/* Env steps per second of Gymnasium's MuJoCo tasks through crl
 * (crl_env_step: the task's action, frame_skip mj_steps, contact forces
 * where the task reads them, reward, termination, observation, TimeLimit)
 * against bare MuJoCo on the same model: ctrl = action, frame_skip
 * mj_steps, nothing else.
 *
 * Both runs use the same pre-sampled actions (uniform in the action space,
 * fixed seed). The crl run resets on terminated or truncated; the bare run
 * resets (mj_resetData, the same size of uniform noise, mj_forward) at the
 * same step indices, so that both spend their time in similar states.
 * The machine is shared, so the two alternate in short pairs (`seconds`
 * of crl, then the same steps bare), each timed in thread CPU time, and
 * the overhead is the median over `pairs` pairs of the ratio of their
 * times; the rates (steps per CPU second) are the best seen.
 *
 * Usage: bench_mujoco_tasks [seconds per pair, default 0.2] [pairs, 15]
 *                           [task ...] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mujoco/mujoco.h>

#include "crl/crl.h"

enum { N_ACTIONS = 4096 };

/* CPU time of this thread: on a shared machine, time spent descheduled
 * does not count against either side. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double uniform(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct run {
  long steps;
  long *resets; /* [max_resets] step indices after which the env reset */
  long n_resets, max_resets;
} run;

/* crl: as many steps as fit in `seconds`; records where it reset. */
static double crl_run(crl_env *env, const crl_real *actions, int nu,
                      double seconds, run *r) {
  crl_real obs[512];
  double reward;
  int term, trunc;
  crl_env_seed(env, 1);
  crl_env_reset(env, obs);
  r->steps = 0;
  r->n_resets = 0;
  double t0 = now(), t = t0;
  while (t - t0 < seconds) {
    for (int k = 0; k < 256; k++, r->steps++) {
      const crl_real *a = actions + (r->steps % N_ACTIONS) * nu;
      if (crl_env_step(env, a, obs, &reward, &term, &trunc) != 0) {
        fprintf(stderr, "step: %s\n", crl_last_error());
        exit(1);
      }
      if (term || trunc) {
        crl_env_reset(env, obs);
        if (r->n_resets < r->max_resets)
          r->resets[r->n_resets++] = r->steps;
      }
    }
    t = now();
  }
  return (double)r->steps / (t - t0);
}

/* Bare MuJoCo: the same steps, actions and reset points. */
static double bare_run(const mjModel *m, const crl_real *actions,
                       int frame_skip, double noise, const run *r) {
  mjData *d = mj_makeData(m);
  uint64_t s = 1;
  long next = 0;
  double t0 = now();
  for (long i = 0; i < r->steps; i++) {
    const crl_real *a = actions + (i % N_ACTIONS) * m->nu;
    for (int j = 0; j < m->nu; j++)
      d->ctrl[j] = (double)a[j];
    for (int k = 0; k < frame_skip; k++)
      mj_step(m, d);
    if (next < r->n_resets && r->resets[next] == i) {
      next++;
      mj_resetData(m, d);
      for (int j = 0; j < m->nq; j++)
        d->qpos[j] += noise * (2 * uniform(&s) - 1);
      for (int j = 0; j < m->nv; j++)
        d->qvel[j] = noise * (2 * uniform(&s) - 1);
      mj_forward(m, d);
    }
  }
  double rate = (double)r->steps / (now() - t0);
  mj_deleteData(d);
  return rate;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void bench(const char *name, double seconds, int pairs) {
  crl_env *env = NULL;
  if (crl_env_make(name, &env) != 0) {
    fprintf(stderr, "%s: %s\n", name, crl_last_error());
    exit(1);
  }
  const mjModel *m;
  crl_mujoco_handles(env, &m, NULL);
  const crl_space *as = crl_env_act_space(env);
  int nu = as->dim;
  crl_real *actions = malloc((size_t)N_ACTIONS * nu * sizeof *actions);
  uint64_t s = 42;
  for (int i = 0; i < N_ACTIONS * nu; i++) {
    int j = i % nu;
    actions[i] =
        (crl_real)(as->low[j] + (as->high[j] - as->low[j]) * uniform(&s));
  }
  /* frame_skip: the physics time one env step advances. */
  crl_real obs[512];
  crl_env_reset(env, obs);
  mjData *d0;
  crl_mujoco_handles(env, NULL, &d0);
  crl_env_step(env, actions, obs, NULL, NULL, NULL);
  int frame_skip = (int)lround(d0->time / m->opt.timestep);
  run r = {0, NULL, 0, 1 << 20};
  r.resets = malloc((size_t)r.max_resets * sizeof *r.resets);
  double best_crl = 0, best_bare = 0, ratio[64];
  if (pairs > 64)
    pairs = 64;
  for (int k = 0; k < pairs; k++) {
    double c = crl_run(env, actions, nu, seconds, &r);
    double b = bare_run(m, actions, frame_skip, 0.005, &r);
    best_crl = fmax(best_crl, c);
    best_bare = fmax(best_bare, b);
    ratio[k] = b / c; /* crl's time per step / bare's */
  }
  qsort(ratio, (size_t)pairs, sizeof ratio[0], by_value);
  double median = pairs % 2 ? ratio[pairs / 2]
                            : 0.5 * (ratio[pairs / 2 - 1] + ratio[pairs / 2]);
  printf("| %s | %d | %.0f | %.0f | %+.1f %% [%+.1f, %+.1f] |\n", name,
         frame_skip, best_crl, best_bare, 100.0 * (median - 1.0),
         100.0 * (ratio[0] - 1.0), 100.0 * (ratio[pairs - 1] - 1.0));
  free(r.resets);
  free(actions);
  crl_env_free(env);
}

int main(int argc, char **argv) {
  static const char *const all[] = {"InvertedPendulum-v5",
                                    "InvertedDoublePendulum-v5",
                                    "Reacher-v5",
                                    "Pusher-v5",
                                    "Swimmer-v5",
                                    "Hopper-v5",
                                    "Walker2d-v5",
                                    "HalfCheetah-v5",
                                    "Ant-v5",
                                    "Humanoid-v5",
                                    "HumanoidStandup-v5"};
  double seconds = argc > 1 ? atof(argv[1]) : 0.2;
  int pairs = argc > 2 ? atoi(argv[2]) : 15;
  printf("| task | frame skip | crl env steps/s | bare mj_step x frame skip "
         "steps/s | crl overhead: median [min, max] |\n"
         "|---|---:|---:|---:|---:|\n");
  if (argc > 3)
    for (int i = 3; i < argc; i++)
      bench(argv[i], seconds, pairs);
  else
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
      bench(all[i], seconds, pairs);
  return 0;
}
