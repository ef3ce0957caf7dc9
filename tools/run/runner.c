/* One training run per seed: the library's loop plus progress.csv,
 * checkpoints, and the rules for stopping early.
 *
 * Every number written to progress.csv comes from the seeded computation,
 * except wall_seconds, so two runs with the same seed write the same bytes
 * in every other column, and so does a run resumed from a checkpoint:
 * checkpoints are written at iteration boundaries, after that iteration's
 * evaluation (a sampled evaluation draws from the algorithm's action
 * stream, so it belongs before the state is saved), and hold the runner's
 * own counters next to the algorithm's and the env's state. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "run/runner_internal.h"

const char *const cli_progress_columns[] = {"timesteps",
                                            "episodes",
                                            "episode_return",
                                            "episode_return_mean",
                                            "episode_length_mean",
                                            "eval_return_mean",
                                            "eval_return_std",
                                            "learning_rate",
                                            "policy_loss",
                                            "value_loss",
                                            "entropy",
                                            "approx_kl",
                                            "clip_fraction",
                                            "explained_variance",
                                            "wall_seconds"};
const int cli_progress_column_count =
    (int)(sizeof cli_progress_columns / sizeof cli_progress_columns[0]);

void cli_results_mean_std(const cli_seed_result *r, int n, double *mean,
                          double *std) {
  double sum = 0.0, sq = 0.0;
  int k = 0;
  for (int i = 0; i < n; i++)
    if (r[i].status == CLI_RUN_OK) {
      sum += r[i].final_eval_mean;
      k++;
    }
  *mean = k > 0 ? sum / k : NAN;
  for (int i = 0; i < n; i++)
    if (r[i].status == CLI_RUN_OK)
      sq += (r[i].final_eval_mean - *mean) * (r[i].final_eval_mean - *mean);
  *std = k > 0 ? sqrt(sq / k) : NAN;
}

/* ---- progress.csv ------------------------------------------------------ */

static void csv_number(FILE *f, double x) {
  if (isfinite(x))
    fprintf(f, "%.10g", x);
}

static void csv_header(FILE *f) {
  for (int i = 0; i < cli_progress_column_count; i++)
    fprintf(f, "%s%s", i ? "," : "", cli_progress_columns[i]);
  fputc('\n', f);
}

static void csv_row(seed_run *r, const crl_algo_stats *s, int evaluated) {
  FILE *f = r->csv;
  long episodes = crl_vec_env_episodes(r->venv);
  fprintf(f, "%ld,%ld,", r->steps, episodes);
  /* The mean return of the episodes that ended in this iteration. */
  csv_number(f,
             crl_vec_env_last_returns(r->venv, episodes - r->episodes_before));
  fputc(',', f);
  csv_number(f, crl_vec_env_recent_return(r->venv));
  fputc(',', f);
  csv_number(f, crl_vec_env_recent_length(r->venv));
  fputc(',', f);
  csv_number(f, evaluated ? r->eval_mean : NAN);
  fputc(',', f);
  csv_number(f, evaluated ? r->eval_std : NAN);
  const double stats[] = {
      s->learning_rate, s->policy_loss,   s->value_loss,        s->entropy,
      s->approx_kl,     s->clip_fraction, s->explained_variance};
  for (size_t i = 0; i < sizeof stats / sizeof *stats; i++) {
    fputc(',', f);
    csv_number(f, stats[i]);
  }
  fprintf(f, ",%.3f\n", cli_now() - r->t0);
  fflush(f); /* rows are complete lines even if the process dies */
  r->csv_bytes = ftell(f);
  r->rows++;
}

static int csv_open_fresh(seed_run *r, char *err, size_t size) {
  if (cli_mkdir_p(r->seed_dir) ||
      cli_path_join(r->csv_path, sizeof r->csv_path, r->seed_dir,
                    "progress.csv") ||
      (r->csv = fopen(r->csv_path, "w")) == NULL) {
    snprintf(err, size, "cannot write in %s: %s", r->seed_dir, strerror(errno));
    return -1;
  }
  csv_header(r->csv);
  fflush(r->csv);
  r->csv_bytes = ftell(r->csv);
  r->rows = 0;
  return 0;
}

/* ---- setting up -------------------------------------------------------- */

static int fail_lib(char *err, size_t size, int seed, const char *what) {
  snprintf(err, size, "seed %d: %s: %s", seed, what, crl_last_error());
  return -1;
}

static int build(seed_run *r, char *err, size_t size) {
  const cli_run_keys *k = &r->cfg->keys;
  if (crl_vec_env_make(r->cfg->env_name, k->n_envs, (uint64_t)r->seed,
                       &r->venv))
    return fail_lib(err, size, r->seed, "cannot create the env");
  if (crl_algo_alloc(r->cfg->algo, r->cfg->algo_spec,
                     crl_vec_env_obs_space(r->venv),
                     crl_vec_env_act_space(r->venv), k->n_envs,
                     (uint64_t)r->seed, &r->algo))
    return fail_lib(err, size, r->seed, "cannot create the algorithm");
  return 0;
}

/* The resolved configuration as text: checkpoints carry it, so that a
 * checkpoint alone can rebuild its run (crl export, eval, render) and a
 * resume can tell that the settings are still the same. */
static int keep_config_text(seed_run *r, char *err, size_t size) {
  size_t len = 0;
  FILE *f = open_memstream(&r->config_text, &len);
  if (f == NULL || cli_config_write_body(r->cfg, f) != 0) {
    if (f)
      fclose(f);
    snprintf(err, size, "seed %d: out of memory", r->seed);
    return -1;
  }
  fclose(f);
  return 0;
}

/* Steps one iteration is expected to take before it has run once: the
 * algorithm's declared rollout (n_steps per copy, or the off-policy
 * iteration_steps in whole train_freq rounds). Later iterations use what
 * the previous one took. */
static long first_iteration_steps(const cli_run_config *cfg) {
  char buf[64];
  const crl_param_def *p = cfg->algo->params;
  const int n = cfg->keys.n_envs;
  if (crl_params_format(p, cfg->algo_spec, "iteration_steps", buf,
                        sizeof buf) == 0) {
    long want = atol(buf), round = n;
    if (crl_params_format(p, cfg->algo_spec, "train_freq", buf, sizeof buf) ==
            0 &&
        atol(buf) > 0)
      round = atol(buf) * n;
    return (want + round - 1) / round * round;
  }
  if (crl_params_format(p, cfg->algo_spec, "n_steps", buf, sizeof buf) == 0)
    return atol(buf) * n;
  return 0;
}

static int open_run(seed_run *r, const cli_run_opts *o, char *err,
                    size_t size) {
  if (build(r, err, size) || keep_config_text(r, err, size))
    return -1;
  r->last_iter_steps = first_iteration_steps(r->cfg);
  if (o->resume) {
    int found = cli_run_checkpoint_resume(r, err, size);
    if (found < 0)
      return -1;
    if (found)
      return cli_run_csv_truncate(r, err, size);
  }
  if (crl_vec_env_reset(r->venv))
    return fail_lib(err, size, r->seed, "reset failed");
  r->t0 = cli_now();
  return csv_open_fresh(r, err, size);
}

static void close_run(seed_run *r) {
  if (r->csv)
    fclose(r->csv);
  crl_algo_free(r->algo);
  crl_vec_env_free(r->venv);
  free(r->config_text);
}

/* ---- budgets and schedules ---------------------------------------------- */

/* Training is over when either budget is spent. */
static int budget_spent(const cli_run_keys *k, long steps, long episodes) {
  return steps >= k->n_timesteps ||
         (k->n_episodes > 0 && episodes >= k->n_episodes);
}

double cli_run_progress_remaining(const cli_run_keys *k, long steps,
                                  long episodes, long iter_steps,
                                  long iter_episodes) {
  double used = (double)(steps + iter_steps) / (double)k->n_timesteps;
  if (k->n_episodes > 0 &&
      (double)(episodes + iter_episodes) / k->n_episodes > used)
    used = (double)(episodes + iter_episodes) / k->n_episodes;
  return used >= 1.0 ? 0.0 : used <= 0.0 ? 1.0 : 1.0 - used;
}

/* An evaluation is due when the step count crosses a multiple of
 * eval.every, and always at the end. */
static int eval_due(const seed_run *r, long before, long after) {
  const cli_run_keys *k = &r->cfg->keys;
  if (budget_spent(k, after, crl_vec_env_episodes(r->venv)))
    return 1;
  if (k->eval_every <= 0)
    return 0;
  return after / k->eval_every > before / k->eval_every;
}

static int checkpoint_due(const seed_run *r, long before, long after) {
  long every = r->cfg->keys.checkpoint_every;
  return every > 0 && after / every > before / every;
}

/* What the progress display counts: episodes for an episode budget. */
static long progress_count(const seed_run *r) {
  const cli_run_keys *k = &r->cfg->keys;
  return k->n_episodes > 0 && k->n_timesteps == INT_MAX
             ? crl_vec_env_episodes(r->venv)
             : r->steps;
}

/* ---- one iteration ------------------------------------------------------- */

/* "...; the last good checkpoint is X (kept)" for failure messages. */
static void append_last_checkpoint(const seed_run *r, char *err, size_t size) {
  size_t n = strlen(err);
  if (r->last_ckpt[0])
    snprintf(err + n, size - n, "; last good checkpoint: %s (kept)",
             r->last_ckpt);
  else
    snprintf(err + n, size - n, "; no checkpoint was written before it");
}

int cli_run_fail_nonfinite(seed_run *r, const char *what, char *err,
                           size_t size) {
  snprintf(err, size, "seed %d: non-finite value at step %ld: %s", r->seed,
           r->steps, what);
  append_last_checkpoint(r, err, size);
  return -1;
}

/* An infinite statistic means the training has diverged. (A NAN one means
 * "not computed" and is normal; the algorithms themselves fail with
 * CRL_ENONFINITE on a NaN loss.) */
static int check_stats(seed_run *r, const crl_algo_stats *s, char *err,
                       size_t size) {
  const double v[] = {s->policy_loss, s->value_loss, s->entropy, s->approx_kl};
  const char *names[] = {"policy_loss", "value_loss", "entropy", "approx_kl"};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    if (isinf(v[i])) {
      char what[64];
      snprintf(what, sizeof what, "%s is %g", names[i], v[i]);
      return cli_run_fail_nonfinite(r, what, err, size);
    }
  return 0;
}

static int evaluate(seed_run *r, char *err, size_t size) {
  const cli_run_keys *k = &r->cfg->keys;
  if (crl_evaluate_ex(r->algo, r->cfg->env_name, k->eval_episodes,
                      (uint64_t)r->seed, k->eval_deterministic, &r->eval_mean,
                      &r->eval_std, NULL))
    return fail_lib(err, size, r->seed, "evaluation failed");
  if (!isfinite(r->eval_mean))
    return cli_run_fail_nonfinite(r,
                                  "the evaluation return (the policy's "
                                  "actions are not finite)",
                                  err, size);
  return 0;
}

static int run_iteration(seed_run *r, crl_algo_stats *stats, char *err,
                         size_t size) {
  const cli_run_keys *k = &r->cfg->keys;
  r->episodes_before = crl_vec_env_episodes(r->venv);
  double remaining =
      cli_run_progress_remaining(k, r->steps, r->episodes_before,
                                 r->last_iter_steps, r->last_iter_episodes);
  int rc = crl_algo_iterate(r->algo, r->venv, remaining, stats);
  if (rc == CRL_ENONFINITE)
    return cli_run_fail_nonfinite(r, crl_last_error(), err, size);
  if (rc)
    return fail_lib(err, size, r->seed, "training failed");
  if (stats->steps <= 0) {
    snprintf(err, size,
             "seed %d: algo '%s' took no env steps in an "
             "iteration",
             r->seed, k->algo);
    return -1;
  }
  return 0;
}

static int iterate_once(seed_run *r, cli_progress *p, char *err, size_t size) {
  const cli_run_keys *k = &r->cfg->keys;
  crl_algo_stats stats;
  if (run_iteration(r, &stats, err, size))
    return -1;
  long before = r->steps;
  r->steps += stats.steps;
  if (check_stats(r, &stats, err, size))
    return -1;
  r->last_iter_steps = stats.steps;
  r->last_iter_episodes = crl_vec_env_episodes(r->venv) - r->episodes_before;
  int evaluated = eval_due(r, before, r->steps);
  if (evaluated && evaluate(r, err, size))
    return -1;
  csv_row(r, &stats, evaluated);
  if (checkpoint_due(r, before, r->steps) &&
      !budget_spent(k, r->steps, crl_vec_env_episodes(r->venv)) &&
      cli_run_checkpoint_save(r, err, size))
    return -1;
  if (p)
    cli_progress_update(p, progress_count(r), cli_now() - r->t0,
                        crl_vec_env_recent_return(r->venv), r->eval_mean);
  return 0;
}

/* ---- the run ------------------------------------------------------------- */

/* A checkpoint on the way out, when the algorithm can write one. */
static int save_if_possible(seed_run *r, char *err, size_t size) {
  if (r->cfg->algo->save == NULL)
    return 0;
  return cli_run_checkpoint_save(r, err, size);
}

static int train_loop(seed_run *r, const cli_run_opts *o, char *err,
                      size_t size) {
  const cli_run_keys *k = &r->cfg->keys;
  while (!budget_spent(k, r->steps, crl_vec_env_episodes(r->venv))) {
    if (o->stop && *o->stop) {
      if (save_if_possible(r, err, size))
        return CLI_RUN_FAILED;
      snprintf(err, size, "seed %d: interrupted at step %ld%s", r->seed,
               r->steps,
               r->last_ckpt[0] ? " (checkpoint written)"
                               : "; the algorithm has no checkpoints, so a "
                                 "resume starts it over");
      return CLI_RUN_INTERRUPTED;
    }
    if (iterate_once(r, o->progress, err, size))
      return CLI_RUN_FAILED;
  }
  return save_if_possible(r, err, size) ? CLI_RUN_FAILED : CLI_RUN_OK;
}

static void fill_result(const seed_run *r, int status, const char *err,
                        cli_seed_result *out) {
  double wall = cli_now() - r->t0;
  *out = (cli_seed_result){
      r->seed,     r->steps, r->eval_mean,
      r->eval_std, wall,     wall > 0 ? (double)r->steps / wall : 0.0,
      status,      ""};
  /* The seed is named by the result itself. */
  char prefix[32];
  int n = snprintf(prefix, sizeof prefix, "seed %d: ", r->seed);
  if (status != CLI_RUN_OK)
    snprintf(out->error, sizeof out->error, "%s",
             strncmp(err, prefix, (size_t)n) == 0 ? err + n : err);
}

int cli_run_seed_ex(const cli_run_config *cfg, int seed, const char *seed_dir,
                    const cli_run_opts *opts, cli_seed_result *result,
                    char *err, size_t err_size) {
  seed_run r = {.cfg = cfg,
                .seed = seed,
                .seed_dir = seed_dir,
                .eval_mean = NAN,
                .eval_std = NAN};
  r.t0 = cli_now();
  int status = CLI_RUN_FAILED;
  if (open_run(&r, opts, err, err_size) == 0) {
    if (opts->progress)
      cli_progress_start(opts->progress, progress_count(&r));
    status = train_loop(&r, opts, err, err_size);
  }
  if (r.csv != NULL && (fflush(r.csv) != 0 || ferror(r.csv)) &&
      status == CLI_RUN_OK) {
    snprintf(err, err_size, "cannot write %s: %s", r.csv_path, strerror(errno));
    status = CLI_RUN_FAILED;
  }
  fill_result(&r, status, err, result);
  close_run(&r);
  return status;
}

int cli_run_seed(const cli_run_config *cfg, int seed, const char *seed_dir,
                 cli_progress *progress, cli_seed_result *result, char *err,
                 size_t err_size) {
  cli_run_opts o = {progress, NULL, 0};
  return cli_run_seed_ex(cfg, seed, seed_dir, &o, result, err, err_size) ==
                 CLI_RUN_OK
             ? 0
             : -1;
}
