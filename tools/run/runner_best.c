/* The best evaluated policy and the early stop, both decided right after
 * an evaluation:
 *
 *   seed_dir/best.crlp   the policy of the evaluation with the highest
 *                        mean return so far (crl_policy_save: atomic)
 *   seed_dir/best.json   {"eval_return": ..., "step": ...} of that one
 *
 * The best value and its step are runner counters in the checkpoints, so
 * a resumed run compares against the best of the iterations before its
 * checkpoint; the iterations it repeats reach the same evaluations and
 * write the same files again. An algorithm that cannot export its policy
 * (no export_policy, or CRL_EUNSUPPORTED) gets best.json alone. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "run/runner_internal.h"

static int write_best_json(const seed_run *r, char *err, size_t size) {
  char path[CLI_PATH_MAX];
  cli_atomic_file af;
  if (cli_path_join(path, sizeof path, r->seed_dir, "best.json") == 0 &&
      cli_atomic_open(&af, path) == 0) {
    fputs("{\"eval_return\": ", af.f);
    cli_json_number(af.f, r->best_eval);
    fprintf(af.f, ", \"step\": %ld}\n", r->best_step);
    if (cli_atomic_commit(&af) == 0)
      return 0;
  }
  snprintf(err, size, "seed %d: cannot write %s/best.json: %s", r->seed,
           r->seed_dir, strerror(errno));
  return -1;
}

static int write_best_policy(const seed_run *r, char *err, size_t size) {
  if (r->cfg->algo->export_policy == NULL)
    return 0;
  char path[CLI_PATH_MAX];
  if (cli_path_join(path, sizeof path, r->seed_dir, "best.crlp")) {
    snprintf(err, size, "seed %d: %s/best.crlp: path too long", r->seed,
             r->seed_dir);
    return -1;
  }
  crl_policy *p = NULL;
  int rc = crl_algo_export_policy(r->algo, 1, &p);
  if (rc == CRL_EUNSUPPORTED) /* a policy this algorithm cannot export */
    return 0;
  rc = rc ? rc : crl_policy_save(p, path);
  crl_policy_free(p);
  if (rc)
    snprintf(err, size, "seed %d: cannot keep the best policy: %s", r->seed,
             crl_last_error());
  return rc ? -1 : 0;
}

int cli_run_after_eval(seed_run *r, char *err, size_t size) {
  if (isnan(r->best_eval) || r->eval_mean > r->best_eval) {
    r->best_eval = r->eval_mean;
    r->best_step = r->steps;
    if (write_best_policy(r, err, size) || write_best_json(r, err, size))
      return -1;
  }
  const double target = r->cfg->keys.stop_at_eval_return;
  if (!isnan(target) && r->eval_mean >= target)
    r->stopped_early = r->steps;
  return 0;
}
