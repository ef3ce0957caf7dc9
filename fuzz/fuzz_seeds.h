/* The small algorithms the checkpoint target loads into, and the seed
 * files made from them with the public API only (so the corpus can be
 * remade when the file format changes: CRL_FUZZ_WRITE_SEEDS=DIR). */
#ifndef CRL_FUZZ_SEEDS_H
#define CRL_FUZZ_SEEDS_H

#include <crl/crl.h>

#define FUZZ_N_ALGOS 3

/* Algorithm i (0: PPO on Pendulum-v1, 1: SAC on Pendulum-v1, 2: PPO on
 * CartPole-v1: a Gaussian, a squashed and a discrete policy) with a tiny
 * network, one env copy, seed 0, and its vec env. 0, or a CRL_E* code. */
int fuzz_algo_alloc(int i, crl_algo **algo, crl_vec_env **venv);

/* Train each algorithm for an iteration, then write into dir one
 * checkpoint input (ckpt_<algo>_<env>, its mode byte selecting the
 * algorithm) or one policy input (policy_<algo>_<env>) per algorithm. */
int fuzz_write_checkpoint_seeds(const char *dir);
int fuzz_write_policy_seeds(const char *dir);

#endif
