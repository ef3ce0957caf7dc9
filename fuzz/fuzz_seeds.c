#include "fuzz_seeds.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"

/* clang-format off */
static const char *const algo_names[FUZZ_N_ALGOS] = {"ppo", "sac", "ppo"};
static const char *const env_names[FUZZ_N_ALGOS] = {"Pendulum-v1", "Pendulum-v1",
                                                    "CartPole-v1"};
static const char *const file_names[FUZZ_N_ALGOS] = {"ppo_pendulum",
                                                     "sac_pendulum",
                                                     "ppo_cartpole"};
/* Small enough that one input loads in microseconds, big enough that
 * every section (networks, optimiser moments, replay rows, normaliser)
 * is there. */
static const char *const algo_settings[FUZZ_N_ALGOS][8][2] = {
    {{"n_steps", "16"}, {"batch_size", "8"}, {"n_epochs", "1"},
     {"policy_kwargs.net_arch", "[4]"}, {NULL, NULL}},
    {{"buffer_size", "64"}, {"learning_starts", "8"}, {"batch_size", "4"},
     {"policy_kwargs.net_arch", "[4]"}, {NULL, NULL}},
    {{"n_steps", "16"}, {"batch_size", "8"}, {"n_epochs", "1"},
     {"policy_kwargs.net_arch", "[4]"}, {NULL, NULL}},
};
/* clang-format on */

int fuzz_algo_alloc(int i, crl_algo **algo, crl_vec_env **venv) {
  *algo = NULL;
  *venv = NULL;
  const crl_algo_type *t = crl_algo_find(algo_names[i]);
  void *spec = NULL;
  int rc = t ? crl_algo_spec_alloc(t, &spec) : CRL_ENOTFOUND;
  for (int k = 0; rc == 0 && algo_settings[i][k][0]; k++)
    rc = crl_algo_spec_set(t, spec, algo_settings[i][k][0],
                           algo_settings[i][k][1]);
  rc = rc ? rc : crl_vec_env_make(env_names[i], 1, 0, venv);
  rc = rc ? rc : crl_vec_env_reset(*venv);
  rc = rc ? rc
          : crl_algo_alloc(t, spec, crl_vec_env_obs_space(*venv),
                           crl_vec_env_act_space(*venv), 1, 0, algo);
  crl_algo_spec_free(spec);
  if (rc) {
    fprintf(stderr, "fuzz: cannot build %s: %s\n", algo_names[i],
            crl_last_error());
    crl_vec_env_free(*venv);
    *venv = NULL;
  }
  return rc;
}

/* path (a file the library wrote) into dir/name behind the mode byte. The
 * seeds ask for the checksum to be recomputed (it is the file's own until
 * the fuzzer changes a byte), so that their mutations reach the sections;
 * clearing that bit is one mutation away. */
static int copy_with_mode(const char *path, unsigned char mode, const char *dir,
                          const char *name) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return -1;
  static unsigned char buf[1 << 22];
  buf[0] = mode;
  size_t n = fread(buf + 1, 1, sizeof buf - 1, f);
  fclose(f);
  char out[512];
  snprintf(out, sizeof out, "%s/%s", dir, name);
  fuzz_write_file(out, buf, n + 1);
  printf("%s: %zu bytes\n", out, n + 1);
  return 0;
}

static int write_seeds(const char *dir, int policy) {
  char path[256], name[64];
  fuzz_path(path, sizeof path, "seed.bin");
  for (int i = 0; i < FUZZ_N_ALGOS; i++) {
    crl_algo *algo;
    crl_vec_env *venv;
    crl_policy *p = NULL;
    crl_algo_stats stats;
    int rc = fuzz_algo_alloc(i, &algo, &venv);
    for (int it = 0; rc == 0 && it < 3; it++)
      rc = crl_algo_iterate(algo, venv, 1.0, &stats);
    if (rc == 0 && policy) {
      rc = crl_algo_export_policy(algo, 1, &p);
      rc = rc ? rc : crl_policy_save(p, path);
    } else if (rc == 0)
      rc = crl_algo_checkpoint_save(algo, venv, path);
    snprintf(name, sizeof name, "%s_%s", policy ? "policy" : "ckpt",
             file_names[i]);
    rc = rc ? rc
            : copy_with_mode(path,
                             (unsigned char)(FUZZ_MODE_FIX_CHECKSUM |
                                             (policy ? 0 : i << 1)),
                             dir, name);
    if (rc)
      fprintf(stderr, "fuzz: %s: %s\n", name, crl_last_error());
    crl_policy_free(p);
    crl_algo_free(algo);
    crl_vec_env_free(venv);
    remove(path);
    if (rc)
      return rc;
  }
  return 0;
}

int fuzz_write_checkpoint_seeds(const char *dir) {
  return write_seeds(dir, 0);
}

int fuzz_write_policy_seeds(const char *dir) {
  return write_seeds(dir, 1);
}
