/* Internal: the built-in algorithm types (one per file of algos/), listed
 * by the composition root (src/builtins.c). */
#ifndef CRL_ALGOS_H
#define CRL_ALGOS_H

#include "crl/algo.h"

extern const crl_algo_type crl__algo_ppo;
extern const crl_algo_type crl__algo_reinforce;
extern const crl_algo_type crl__algo_qac;
extern const crl_algo_type crl__algo_a2c;
extern const crl_algo_type crl__algo_trpo;
extern const crl_algo_type crl__algo_grpo;
extern const crl_algo_type crl__algo_ddpg;
extern const crl_algo_type crl__algo_td3;
extern const crl_algo_type crl__algo_sac;
extern const crl_algo_type crl__algo_tqc;
extern const crl_algo_type crl__algo_crossq;
extern const crl_algo_type crl__algo_pmd;

#endif
