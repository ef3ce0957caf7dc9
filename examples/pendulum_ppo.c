/* PPO on Pendulum-v1 from C with experiments/pendulum/ppo.yaml's settings
 * (RL Zoo's, learning rate decayed linearly). usage: pendulum_ppo [SEED] */
#include <stdio.h>
#include <stdlib.h>

#include <crl/crl.h>

int main(int argc, char **argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 0;
  const long budget = 100000; /* env steps, all 4 copies together */
  const char *settings[][2] = {
      {"n_steps", "1024"},
      {"gamma", "0.9"},
      {"learning_rate", "lin_1e-3"},
  };
  const crl_algo_type *ppo = crl_algo_find("ppo");
  void *spec = NULL;
  crl_vec_env *venv = NULL;
  crl_algo *algo = NULL;
  double mean = 0.0, std = 0.0;
  int rc = crl_algo_spec_alloc(ppo, &spec); /* the defaults */
  for (size_t i = 0; rc == 0 && i < sizeof settings / sizeof settings[0]; i++)
    rc = crl_algo_spec_set(ppo, spec, settings[i][0], settings[i][1]);
  if (rc == 0)
    rc = crl_vec_env_make("Pendulum-v1", 4, seed, &venv);
  if (rc == 0)
    rc = crl_algo_alloc(ppo, spec, crl_vec_env_obs_space(venv),
                        crl_vec_env_act_space(venv), 4, seed, &algo);
  if (rc == 0)
    rc = crl_vec_env_reset(venv);
  for (long steps = 0; rc == 0 && steps < budget;) {
    crl_algo_stats st = {0};
    /* the fraction of training left: lin_1e-3 decays with it */
    rc = crl_algo_iterate(algo, venv, 1.0 - (double)steps / budget, &st);
    steps += st.steps;
  }
  if (rc == 0) /* 20 episodes, deterministic actions */
    rc = crl_evaluate(algo, "Pendulum-v1", 20, seed, &mean, &std, NULL);
  if (rc == 0)
    printf("seed %llu: eval return %.1f +- %.1f\n", (unsigned long long)seed,
           mean, std);
  else
    fprintf(stderr, "%s\n", crl_last_error());
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  crl_algo_spec_free(spec);
  return rc == 0 && mean > -250.0 ? 0 : 1;
}
