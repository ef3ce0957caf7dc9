/* DDPG (Lillicrap et al. 2016) as Stable-Baselines3 has it: a deterministic
 * tanh actor and one critic Q(s, a) with target networks moved by Polyak
 * averaging; the critic regresses on y = r + gamma (1 - terminated)
 * Q'(s', mu'(s')) and the actor ascends Q(s, mu(s)) at every step. With
 * neural networks this is also the deterministic actor-critic of Zhao's
 * book (Algorithm 10.4). It is TD3 without twin critics, target smoothing
 * and delay, so this file holds only its keys and defaults (algos/td3.c
 * has the update). */
#include <stddef.h>

#include "td3.h"

#define F(field) offsetof(crl__td3_config, field)
static const crl_param_def ddpg_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "1e-3", 0, 1, NULL,
     "Adam step size of actor and critic; lin_<v> decays it to 0"},
    CRL_OFFPOLICY_PARAMS(crl__td3_config, off),
    {"policy_kwargs.net_arch", CRL_PARAM_INT_LIST, F(net_arch), "[400, 300]", 1,
     65536, NULL, "hidden layer sizes of actor and critic"},
    {"policy_kwargs.activation", CRL_PARAM_ENUM, F(activation), "relu", 0, 0,
     "identity|tanh|relu", "hidden activation"},
    {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "1", 1, 8, NULL,
     "number of critics; the target uses their minimum"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

static int ddpg_create(const void *spec, const crl_space *obs,
                       const crl_space *act, int n_envs, uint64_t seed,
                       void **self) {
  crl__td3_config cfg = *(const crl__td3_config *)spec;
  cfg.policy_delay = 1;
  cfg.target_policy_noise = 0.0;
  cfg.target_noise_clip = 0.0;
  return crl__td3_create_named("ddpg", &cfg, obs, act, n_envs, seed, self);
}

static long ddpg_steps_per_iteration(const void *spec, int n_envs) {
  return crl__offpolicy_steps_per_iteration(
      &((const crl__td3_config *)spec)->off, n_envs);
}

const crl_algo_type crl__algo_ddpg = {
    .name = "ddpg",
    .doc = "Deep Deterministic Policy Gradient (SB3 semantics)",
    .params = ddpg_params,
    .spec_size = sizeof(crl__td3_config),
    .create = ddpg_create,
    .iterate = crl__td3_iterate,
    .act = crl__td3_act,
    .destroy = crl__td3_destroy,
    .save = crl__td3_save,
    .load = crl__td3_load,
    .export_policy = crl__td3_export,
    .steps_per_iteration = ddpg_steps_per_iteration,
    .set_group = crl__td3_set_group,
};
