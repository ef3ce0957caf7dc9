/* A data-parallel run (distributed.data_parallel under mpirun): every rank
 * runs the same loop on the same seed; the vec env and the algorithm
 * share the work through the ranks' group, and the loop's decisions that
 * could differ between ranks (a signal arrives at one rank first) are
 * agreed on at each iteration boundary. Each rank keeps its own files:
 * rank 0 in the seed's directory, rank r in its rank_<r>/ (the
 * checkpoints hold each rank's own env copies). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/ranks.h"
#include "run/runner_internal.h"

int cli_run_dp_active(const seed_run *r) {
  return r->cfg->keys.data_parallel && cli_ranks_size() > 1;
}

/* seed_dir/../ranks.txt for rank r > 0, seed_dir/ranks.txt for rank 0:
 * the number of ranks the run was started with, in the seed's own
 * directory. */
static int ranks_file(const seed_run *r, char *path, size_t size) {
  const char *dir = r->seed_dir;
  char parent[CLI_PATH_MAX];
  if (cli_ranks_rank() > 0) {
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash != NULL)
      *slash = '\0';
    dir = parent;
  }
  return cli_path_join(path, size, dir, "ranks.txt");
}

/* A resumed run continues on as many ranks as it started on: the env
 * copies each rank steps, and the checkpoints each rank wrote, depend on
 * it. */
static int check_ranks(const seed_run *r, int resume, char *err, size_t size) {
  char path[CLI_PATH_MAX];
  if (ranks_file(r, path, sizeof path)) {
    snprintf(err, size, "seed %d: path too long", r->seed);
    return -1;
  }
  int before = 0;
  FILE *f = resume ? fopen(path, "r") : NULL;
  if (f != NULL) {
    if (fscanf(f, "%d", &before) != 1)
      before = 0;
    fclose(f);
  }
  const int K = cli_ranks_size();
  if (before > 0 && before != K) {
    snprintf(err, size,
             "seed %d: this data-parallel run was started on %d ranks; it "
             "resumes only on %d (mpirun -n %d): each rank steps its own "
             "block of the env copies and keeps its own checkpoints",
             r->seed, before, before, before);
    return -1;
  }
  if (cli_ranks_rank() == 0 && before == 0) {
    f = cli_mkdir_p(r->seed_dir) == 0 ? fopen(path, "w") : NULL;
    if (f == NULL || fprintf(f, "%d\n", K) < 0 || fclose(f) != 0) {
      snprintf(err, size, "seed %d: cannot write %s", r->seed, path);
      return -1;
    }
  }
  return 0;
}

int cli_run_dp_attach(seed_run *r, int resume, char *err, size_t size) {
  if (!cli_run_dp_active(r))
    return 0;
  if (check_ranks(r, resume, err, size))
    return -1;
  const crl_group *g = cli_ranks_group();
  int own_envs = CRL_ENVS_SHARED;
  int rc = crl_algo_set_group(r->algo, g, &own_envs);
  if (rc == 0 && own_envs == CRL_ENVS_SHARED)
    rc = crl_vec_env_share(r->venv, g);
  if (rc == 0 && own_envs == CRL_ENVS_OWN && g->rank > 0) {
    /* This rank's own copies, as the algorithm's own streams are. */
    crl_vec_env_free(r->venv);
    r->venv = NULL;
    rc = crl_vec_env_make(r->cfg->env_name, r->cfg->keys.n_envs,
                          crl_group_seed((uint64_t)r->seed, g->rank), &r->venv);
  }
  if (rc) {
    snprintf(err, size, "seed %d: data parallel over %d ranks: %s", r->seed,
             cli_ranks_size(), crl_last_error());
    return -1;
  }
  return 0;
}

int cli_run_dp_agree_stop(const seed_run *r, int local) {
  int any = local;
  if (cli_run_dp_active(r) && cli_ranks_max(local != 0, &any))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  return any;
}

/* The lowest and highest of v over the ranks. */
static void min_max(long v, long *lo, long *hi) {
  /* Step counts and hashes fit an int here: both are taken mod 2^31. The
   * lowest is minus the highest of -v: one collective for both. */
  int x = (int)(v & 0x7fffffff), both[2] = {x, -x}, out[2];
  if (cli_ranks_max_n(both, out, 2))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  *lo = -out[1];
  *hi = out[0];
}

int cli_run_dp_agree(seed_run *r, int failed, char *err, size_t size) {
  if (!cli_run_dp_active(r))
    return failed ? -1 : 0;
  /* 1: some rank failed; 2: rank 0 did (its message is the one shown) */
  int any, code = failed ? (cli_ranks_rank() == 0 ? 2 : 1) : 0;
  if (cli_ranks_max(code, &any))
    cli_ranks_abort(CLI_EXIT_FAILURE);
  if (!any)
    return 0;
  r->failed_together = !failed    ? CLI_FAILED_ELSEWHERE
                       : any == 2 ? CLI_FAILED_AS_RANK0
                                  : CLI_FAILED_HERE;
  if (!failed)
    snprintf(err, size,
             "seed %d: another rank could not set the run up (its message "
             "says why)",
             r->seed);
  return -1;
}

int cli_run_dp_check_resumed(seed_run *r, char *err, size_t size) {
  if (!cli_run_dp_active(r))
    return 0;
  long lo, hi;
  min_max(r->steps, &lo, &hi);
  if (lo == hi)
    return 0;
  r->failed_together = CLI_FAILED_HERE;
  snprintf(err, size,
           "seed %d: the ranks' newest checkpoints are of different steps "
           "(this rank's of step %ld; between %ld and %ld mod 2^31): one "
           "rank stopped before writing its own; start the run again",
           r->seed, r->steps, lo, hi);
  return -1;
}

#define PROBES 8 /* observations the checksum acts on */

/* FNV-1a of the deterministic actions on fixed observations (the same on
 * every rank, whether the ranks share the env copies or not): the same
 * on every rank while the parameters are. */
static long policy_hash(seed_run *r, crl_real *obs, crl_real *actions) {
  const size_t O = (size_t)crl_vec_env_obs_space(r->venv)->dim;
  for (size_t i = 0; i < PROBES * O; i++)
    obs[i] = (crl_real)(0.5 * sin(0.7 * (double)i + 0.3));
  if (crl_algo_act(r->algo, obs, PROBES, 1, actions))
    return -1;
  const unsigned char *b = (const unsigned char *)actions;
  size_t bytes =
      PROBES * (size_t)crl_vec_env_act_space(r->venv)->dim * sizeof *actions;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < bytes; i++)
    h = (h ^ b[i]) * 16777619u;
  return (long)(h & 0x7fffffff);
}

int cli_run_dp_check_same(seed_run *r, char *err, size_t size) {
  if (!cli_run_dp_active(r))
    return 0;
  const size_t O = (size_t)crl_vec_env_obs_space(r->venv)->dim;
  const size_t A = (size_t)crl_vec_env_act_space(r->venv)->dim;
  crl_real *obs = malloc(PROBES * O * sizeof *obs);
  crl_real *actions = malloc(PROBES * A * sizeof *actions);
  long h = obs && actions ? policy_hash(r, obs, actions) : -1, lo, hi;
  free(obs);
  free(actions);
  if (h < 0) {
    snprintf(err, size, "seed %d: acting failed: %s", r->seed,
             crl_last_error());
    return -1;
  }
  min_max(h, &lo, &hi);
  if (lo == hi)
    return 0;
  snprintf(err, size,
           "seed %d: the ranks' parameters differ after step %ld (rank %d's "
           "policy checksum %08lx): the ranks no longer compute one run; are "
           "they running the same crl on the same kind of CPU?",
           r->seed, r->steps, cli_ranks_rank(), (unsigned long)h);
  return -1;
}
