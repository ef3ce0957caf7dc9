/* Deterministic evaluation of an algorithm's policy on a fresh env copy. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "crl/error.h"
#include "crl/rng.h"

static int run_episode(crl_algo *algo, crl_env *env, int deterministic,
                       crl_real *obs, crl_real *act, double *ret, int *len) {
  int rc = crl_env_reset(env, obs);
  int terminated = 0, truncated = 0;
  *ret = 0.0;
  *len = 0;
  while (rc == 0 && !terminated && !truncated) {
    rc = crl_algo_act(algo, obs, 1, deterministic, act);
    if (rc)
      break;
    crl_space_clip(crl_env_act_space(env), act);
    double r = 0.0;
    rc = crl_env_step(env, act, obs, &r, &terminated, &truncated);
    *ret += r;
    (*len)++;
    if (*len > 100000000)
      return crl_fail(CRL_ESTATE,
                      "evaluate: episode exceeds 1e8 steps (env without "
                      "time limit or termination?)");
  }
  return rc;
}

int crl_evaluate(crl_algo *algo, const char *env_name, int episodes,
                 uint64_t seed, double *mean_return, double *std_return,
                 double *mean_length) {
  return crl_evaluate_ex(algo, env_name, episodes, seed, 1, mean_return,
                         std_return, mean_length);
}

int crl_evaluate_ex(crl_algo *algo, const char *env_name, int episodes,
                    uint64_t seed, int deterministic, double *mean_return,
                    double *std_return, double *mean_length) {
  if (episodes < 1)
    return crl_fail(CRL_EINVAL, "evaluate: episodes must be >= 1 (got %d)",
                    episodes);
  crl_env *env = NULL;
  int rc = crl_env_make(env_name, &env);
  if (rc)
    return rc;
  crl_env_seed(env, crl_seed_derive(seed, CRL_STREAM_EVAL));
  crl_real *obs = malloc((size_t)crl_env_obs_space(env)->dim * sizeof *obs);
  crl_real *act = malloc((size_t)crl_env_act_space(env)->dim * sizeof *act);
  double *rets = malloc((size_t)episodes * sizeof *rets);
  if (obs == NULL || act == NULL || rets == NULL) {
    rc = crl_fail(CRL_ENOMEM, "evaluate: out of memory");
    goto done;
  }
  double sum = 0.0, len_sum = 0.0;
  for (int e = 0; e < episodes && rc == 0; e++) {
    int len = 0;
    rc = run_episode(algo, env, deterministic, obs, act, &rets[e], &len);
    sum += rets[e];
    len_sum += len;
  }
  if (rc)
    goto done;
  double mean = sum / episodes, var = 0.0;
  for (int e = 0; e < episodes; e++)
    var += (rets[e] - mean) * (rets[e] - mean);
  if (mean_return)
    *mean_return = mean;
  if (std_return)
    *std_return = sqrt(var / episodes); /* population std, as numpy.std */
  if (mean_length)
    *mean_length = len_sum / episodes;
done:
  free(obs);
  free(act);
  free(rets);
  crl_env_free(env);
  return rc;
}
