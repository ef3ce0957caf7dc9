/* One training run per seed: the library's loop plus progress.csv.
 *
 * Every number written to progress.csv comes from the seeded computation,
 * except wall_seconds, so two runs with the same seed write the same bytes
 * in every other column. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "tools/fsutil.h"
#include "tools/runner.h"

const char *const crl_progress_columns[] = {
    "timesteps",       "episodes",           "episode_return",
    "episode_return_mean",
    "episode_length_mean", "eval_return_mean", "eval_return_std",
    "learning_rate",   "policy_loss",        "value_loss",
    "entropy",         "approx_kl",          "clip_fraction",
    "explained_variance", "wall_seconds"};
const int crl_progress_column_count =
    (int)(sizeof crl_progress_columns / sizeof crl_progress_columns[0]);

/* One live training run. */
typedef struct seed_run {
  const crl_run_config *cfg;
  int seed;
  crl_vec_env *venv;
  crl_algo *algo;
  crl_atomic_file csv;
  double t0;
  long steps;
  long episodes_before;       /* episodes ended before this iteration */
  double eval_mean, eval_std; /* last evaluation, NAN before the first */
} seed_run;

void crl_results_mean_std(const crl_seed_result *r, int n, double *mean,
                          double *std) {
  double sum = 0.0, sq = 0.0;
  for (int i = 0; i < n; i++)
    sum += r[i].final_eval_mean;
  *mean = n > 0 ? sum / n : NAN;
  for (int i = 0; i < n; i++)
    sq += (r[i].final_eval_mean - *mean) * (r[i].final_eval_mean - *mean);
  *std = n > 0 ? sqrt(sq / n) : NAN;
}

/* ---- progress.csv ------------------------------------------------------ */

static void csv_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.10g", x);
}

static void csv_header(FILE *f) {
  for (int i = 0; i < crl_progress_column_count; i++)
    fprintf(f, "%s%s", i ? "," : "", crl_progress_columns[i]);
  fputc('\n', f);
}

static void csv_row(seed_run *r, const crl_algo_stats *s, int evaluated) {
  FILE *f = r->csv.f;
  long episodes = crl_vec_env_episodes(r->venv);
  fprintf(f, "%ld,%ld,", r->steps, episodes);
  /* The mean return of the episodes that ended in this iteration. */
  csv_number(f, crl_vec_env_last_returns(r->venv,
                                         episodes - r->episodes_before));
  fputc(',', f);
  csv_number(f, crl_vec_env_recent_return(r->venv));
  fputc(',', f);
  csv_number(f, crl_vec_env_recent_length(r->venv));
  fputc(',', f);
  csv_number(f, evaluated ? r->eval_mean : NAN);
  fputc(',', f);
  csv_number(f, evaluated ? r->eval_std : NAN);
  const double stats[] = {s->learning_rate, s->policy_loss, s->value_loss,
                          s->entropy,       s->approx_kl,   s->clip_fraction,
                          s->explained_variance};
  for (size_t i = 0; i < sizeof stats / sizeof *stats; i++) {
    fputc(',', f);
    csv_number(f, stats[i]);
  }
  fprintf(f, ",%.3f\n", crl_now() - r->t0);
  fflush(f); /* rows are complete lines even if the process dies */
}

/* ---- the loop ----------------------------------------------------------- */

static int fail_lib(char *err, size_t size, int seed, const char *what) {
  snprintf(err, size, "seed %d: %s: %s", seed, what, crl_last_error());
  return -1;
}

static int open_run(seed_run *r, const char *seed_dir, char *err,
                    size_t size) {
  const crl_run_keys *k = &r->cfg->keys;
  if (crl_vec_env_make(k->env, k->n_envs, (uint64_t)r->seed, &r->venv))
    return fail_lib(err, size, r->seed, "cannot create the env");
  if (crl_algo_alloc(r->cfg->algo, r->cfg->algo_spec,
                     crl_vec_env_obs_space(r->venv),
                     crl_vec_env_act_space(r->venv), k->n_envs,
                     (uint64_t)r->seed, &r->algo))
    return fail_lib(err, size, r->seed, "cannot create the algorithm");
  if (crl_vec_env_reset(r->venv))
    return fail_lib(err, size, r->seed, "reset failed");
  char path[CRL_PATH_MAX];
  if (crl_mkdir_p(seed_dir) ||
      crl_path_join(path, sizeof path, seed_dir, "progress.csv") ||
      crl_atomic_open(&r->csv, path)) {
    snprintf(err, size, "cannot write in %s: %s", seed_dir, strerror(errno));
    return -1;
  }
  csv_header(r->csv.f);
  return 0;
}

static void close_run(seed_run *r) {
  crl_algo_free(r->algo);
  crl_vec_env_free(r->venv);
}

/* Training is over when either budget is spent. */
static int budget_spent(const crl_run_keys *k, long steps, long episodes) {
  return steps >= k->n_timesteps ||
         (k->n_episodes > 0 && episodes >= k->n_episodes);
}

/* Fraction of the budget left, 1 at the start and 0 at the end: the
 * budget closer to being spent decides. */
static double progress_remaining(const crl_run_keys *k, long steps,
                                 long episodes) {
  double used = (double)steps / (double)k->n_timesteps;
  if (k->n_episodes > 0 && (double)episodes / k->n_episodes > used)
    used = (double)episodes / k->n_episodes;
  return 1.0 - used;
}

/* An evaluation is due when the step count crosses a multiple of
 * eval.every, and always at the end. */
static int eval_due(const seed_run *r, long before, long after) {
  const crl_run_keys *k = &r->cfg->keys;
  if (budget_spent(k, after, crl_vec_env_episodes(r->venv)))
    return 1;
  if (k->eval_every <= 0)
    return 0;
  return after / k->eval_every > before / k->eval_every;
}

static int evaluate(seed_run *r, char *err, size_t size) {
  const crl_run_keys *k = &r->cfg->keys;
  if (crl_evaluate_ex(r->algo, k->env, k->eval_episodes, (uint64_t)r->seed,
                      k->eval_deterministic, &r->eval_mean, &r->eval_std,
                      NULL))
    return fail_lib(err, size, r->seed, "evaluation failed");
  return 0;
}

static int iterate_once(seed_run *r, crl_progress *p, char *err,
                        size_t size) {
  const crl_run_keys *k = &r->cfg->keys;
  crl_algo_stats stats;
  r->episodes_before = crl_vec_env_episodes(r->venv);
  double remaining = progress_remaining(k, r->steps, r->episodes_before);
  if (crl_algo_iterate(r->algo, r->venv, remaining, &stats))
    return fail_lib(err, size, r->seed, "training failed");
  if (stats.steps <= 0) {
    snprintf(err, size, "seed %d: algo '%s' took no env steps in an "
                        "iteration",
             r->seed, k->algo);
    return -1;
  }
  long before = r->steps;
  r->steps += stats.steps;
  int evaluated = eval_due(r, before, r->steps);
  if (evaluated && evaluate(r, err, size))
    return -1;
  csv_row(r, &stats, evaluated);
  crl_progress_update(p, k->n_episodes > 0 && k->n_timesteps == INT_MAX
                             ? crl_vec_env_episodes(r->venv)
                             : r->steps,
                      crl_now() - r->t0,
                      crl_vec_env_recent_return(r->venv), r->eval_mean);
  return 0;
}

int crl_run_seed(const crl_run_config *cfg, int seed, const char *seed_dir,
                 crl_progress *progress, crl_seed_result *result, char *err,
                 size_t err_size) {
  seed_run r = {.cfg = cfg, .seed = seed, .eval_mean = NAN, .eval_std = NAN};
  r.csv.f = NULL;
  int rc = open_run(&r, seed_dir, err, err_size);
  r.t0 = crl_now();
  while (rc == 0 &&
         !budget_spent(&cfg->keys, r.steps, crl_vec_env_episodes(r.venv)))
    rc = iterate_once(&r, progress, err, err_size);
  if (r.csv.f != NULL && crl_atomic_commit(&r.csv) && rc == 0) {
    snprintf(err, err_size, "cannot write %s: %s", r.csv.path,
             strerror(errno));
    rc = -1;
  }
  double wall = crl_now() - r.t0;
  *result = (crl_seed_result){seed, r.steps, r.eval_mean, r.eval_std, wall,
                              wall > 0 ? (double)r.steps / wall : 0.0};
  close_run(&r);
  return rc;
}
