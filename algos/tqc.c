/* TQC, Truncated Quantile Critics (Kuznetsov et al. 2020), as sb3-contrib
 * has it: SAC whose n critics each output n_quantiles quantiles of the
 * return. The targets pool the target critics' quantiles of the next
 * state, keep the smallest (n_quantiles - top_quantiles_to_drop_per_net) *
 * n_critics and subtract alpha log pi; the critics descend the quantile
 * Huber loss against them, and the actor maximises the mean of every
 * quantile. Everything else is SAC's (algos/sac.h). */
#include <stddef.h>

#include "algos/sac.h"

#define F(field) offsetof(crl__sac_config, field)
static const crl_param_def tqc_params[] = {
    CRL_SAC_PARAMS(F),
    {"policy_kwargs.n_critics", CRL_PARAM_INT, F(n_critics), "2", 1,
     CRL_QCRITIC_MAX, NULL, "number of quantile critics"},
    CRL_SAC_LOG_STD_PARAMS(F),
    {"policy_kwargs.n_quantiles", CRL_PARAM_INT, F(n_quantiles), "25", 1, 1000,
     NULL, "quantiles each critic outputs"},
    {"top_quantiles_to_drop_per_net", CRL_PARAM_INT, F(top_quantiles), "2", 0,
     999, NULL,
     "largest target quantiles dropped per critic (the truncation that "
     "controls overestimation)"},
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

static int tqc_create(const void *spec, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  return crl__sac_create_named("tqc", spec, obs, act, n_envs, seed, self);
}

const crl_algo_type crl__algo_tqc = {
    .name = "tqc",
    .doc = "Truncated Quantile Critics: SAC with distributional critics "
           "(sb3-contrib semantics)",
    .params = tqc_params,
    .spec_size = sizeof(crl__sac_config),
    .create = tqc_create,
    .iterate = crl__sac_iterate,
    .act = crl__sac_act,
    .destroy = crl__sac_destroy,
    .save = crl__sac_save,
    .load = crl__sac_load,
    .export_policy = crl__sac_export,
    .steps_per_iteration = crl__sac_steps_per_iteration,
    .set_group = crl__sac_set_group,
};
