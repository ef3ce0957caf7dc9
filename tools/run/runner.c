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
#include "run/signals.h"

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

/* One row, in the order of cli_progress_columns. */
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
#define STAT_VALUE(name, diverged_if_infinite, doc)                            \
  fputc(',', f);                                                               \
  csv_number(f, s->name);
  CRL_ALGO_STATS(STAT_VALUE)
#undef STAT_VALUE
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

/* Steps one iteration is expected to take before it has run once: what
 * the algorithm declares for its spec (0 when it declares nothing). Later
 * iterations use what the previous one took. */
static long first_iteration_steps(const cli_run_config *cfg) {
  const crl_algo_type *t = cfg->algo;
  return t->steps_per_iteration
             ? t->steps_per_iteration(cfg->algo_spec, cfg->keys.n_envs)
             : 0;
}

static int open_run(seed_run *r, const cli_run_opts *o, char *err,
                    size_t size) {
  /* Data parallel: the ranks learn together whether the set-up worked,
   * before any of them waits for the others in the run. */
  int failed = build(r, err, size) || keep_config_text(r, err, size) ||
               cli_run_dp_attach(r, o->resume, err, size);
  if (cli_run_dp_agree(r, failed, err, size))
    return -1;
  r->last_iter_steps = first_iteration_steps(r->cfg);
  if (o->resume) {
    int found = cli_run_checkpoint_resume(r, err, size);
    if (cli_run_dp_agree(r, found < 0, err, size) ||
        cli_run_dp_check_resumed(r, err, size))
      return -1;
    if (found) {
      if (cli_run_csv_truncate(r, err, size) ||
          cli_run_monitor_truncate(r, err, size))
        return -1;
      cli_run_monitor_attach(r); /* to the env the checkpoint filled */
      return 0;
    }
  }
  if (crl_vec_env_reset(r->venv))
    return fail_lib(err, size, r->seed, "reset failed");
  r->t0 = cli_now();
  if (csv_open_fresh(r, err, size) || cli_run_monitor_open_fresh(r, err, size))
    return -1;
  cli_run_monitor_attach(r);
  return 0;
}

static void close_run(seed_run *r) {
  if (r->csv)
    fclose(r->csv);
  if (r->mon)
    fclose(r->mon);
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

/* The run is over: a budget is spent, or stop_at was reached. */
static int run_over(const seed_run *r) {
  return r->stopped_early > 0 || r->pruned > 0 ||
         budget_spent(&r->cfg->keys, r->steps, crl_vec_env_episodes(r->venv));
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

/* An infinite statistic means the training has diverged. (A NAN one means
 * "not computed" and is normal; the algorithms themselves fail with
 * CRL_ENONFINITE on a NaN loss.) */
static int fail_infinite(seed_run *r, const char *name, double v, char *err,
                         size_t size) {
  char what[64];
  snprintf(what, sizeof what, "%s is %g", name, v);
  return cli_run_fail_nonfinite(r, what, err, size);
}

static int check_stats(seed_run *r, const crl_algo_stats *s, char *err,
                       size_t size) {
#define CHECK_STAT(name, diverged_if_infinite, doc)                            \
  if (diverged_if_infinite && isinf(s->name))                                  \
    return fail_infinite(r, #name, s->name, err, size);
  CRL_ALGO_STATS(CHECK_STAT)
#undef CHECK_STAT
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

/* The caller's pruning rule, after an evaluation that is not the last. */
static void maybe_prune(seed_run *r, const cli_run_opts *o) {
  if (o->prune && !run_over(r) &&
      o->prune(o->prune_ctx, r->steps, r->best_eval))
    r->pruned = r->steps;
}

static int iterate_once(seed_run *r, const cli_run_opts *o, char *err,
                        size_t size) {
  cli_progress *p = o->progress;
  crl_algo_stats stats;
  double started = cli_now();
  if (run_iteration(r, &stats, err, size))
    return -1;
  cli_signals_set_iteration_time(cli_now() - started);
  long before = r->steps;
  r->steps += stats.steps;
  if (check_stats(r, &stats, err, size))
    return -1;
  r->last_iter_steps = stats.steps;
  r->last_iter_episodes = crl_vec_env_episodes(r->venv) - r->episodes_before;
  int evaluated = eval_due(r, before, r->steps);
  if (evaluated && (evaluate(r, err, size) || cli_run_after_eval(r, err, size)))
    return -1;
  if (evaluated)
    maybe_prune(r, o);
  csv_row(r, &stats, evaluated);
  if (cli_run_monitor_flush(r, 0)) {
    snprintf(err, size, "cannot write %s: %s", r->mon_path, strerror(errno));
    return -1;
  }
  if (checkpoint_due(r, before, r->steps) && !run_over(r) &&
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
  while (!run_over(r)) {
    if (cli_run_dp_agree_stop(r, o->stop && *o->stop)) {
      if (save_if_possible(r, err, size))
        return CLI_RUN_FAILED;
      snprintf(err, size, "seed %d: stopped at step %ld%s", r->seed, r->steps,
               r->last_ckpt[0] ? " (checkpoint written)"
                               : "; the algorithm has no checkpoints, so a "
                                 "resume starts it over");
      return CLI_RUN_INTERRUPTED;
    }
    if (iterate_once(r, o, err, size) || cli_run_dp_check_same(r, err, size))
      return CLI_RUN_FAILED;
  }
  if (r->pruned) /* over: a resume would not continue it */
    return CLI_RUN_OK;
  return save_if_possible(r, err, size) ? CLI_RUN_FAILED : CLI_RUN_OK;
}

static void fill_result(const seed_run *r, int status, const char *err,
                        cli_seed_result *out) {
  double wall = cli_now() - r->t0;
  *out = (cli_seed_result){.seed = r->seed,
                           .steps = r->steps,
                           .final_eval_mean = r->eval_mean,
                           .final_eval_std = r->eval_std,
                           .wall_seconds = wall,
                           .steps_per_second =
                               wall > 0 ? (double)r->steps / wall : 0.0,
                           .status = status,
                           .best_eval_mean = r->best_eval,
                           .best_eval_step = r->best_step,
                           .stopped_early = r->stopped_early,
                           .pruned_at = r->pruned,
                           .failed_together = r->failed_together};
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
                .eval_std = NAN,
                .best_eval = NAN};
  r.t0 = cli_now();
  int status = CLI_RUN_FAILED;
  const int threads = cfg->keys.threads > 0    ? cfg->keys.threads
                      : opts->threads_auto > 1 ? opts->threads_auto
                                               : 1;
  if (crl_threads_set(threads) != CRL_OK)
    snprintf(err, err_size,
             "cannot start %d threads (out of memory or "
             "of threads)",
             threads);
  else if (open_run(&r, opts, err, err_size) == 0) {
    if (opts->progress)
      cli_progress_start(opts->progress, progress_count(&r));
    status = train_loop(&r, opts, err, err_size);
  }
  if (r.csv != NULL && (fflush(r.csv) != 0 || ferror(r.csv)) &&
      status == CLI_RUN_OK) {
    snprintf(err, err_size, "cannot write %s: %s", r.csv_path, strerror(errno));
    status = CLI_RUN_FAILED;
  }
  if (cli_run_monitor_flush(&r, 0) != 0 && status == CLI_RUN_OK) {
    snprintf(err, err_size, "cannot write %s: %s", r.mon_path, strerror(errno));
    status = CLI_RUN_FAILED;
  }
  fill_result(&r, status, err, result);
  close_run(&r);
  crl_threads_set(1);
  return status;
}

int cli_run_seed(const cli_run_config *cfg, int seed, const char *seed_dir,
                 cli_progress *progress, cli_seed_result *result, char *err,
                 size_t err_size) {
  cli_run_opts o = {.progress = progress};
  return cli_run_seed_ex(cfg, seed, seed_dir, &o, result, err, err_size) ==
                 CLI_RUN_OK
             ? 0
             : -1;
}
