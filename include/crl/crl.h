/* crl: reinforcement-learning algorithms for continuous control.
 * One include for the whole public API. */
#ifndef CRL_CRL_H
#define CRL_CRL_H

#include "crl/algo.h"
#include "crl/common.h"
#include "crl/dist.h"
#include "crl/env.h"
#include "crl/error.h"
#include "crl/group.h"
#include "crl/kernels.h"
#include "crl/mlp.h"
#include "crl/noise.h"
#include "crl/normalizer.h"
#include "crl/optim.h"
#include "crl/params.h"
#include "crl/plugin.h"
#include "crl/policy.h"
#include "crl/replay.h"
#include "crl/rng.h"
#include "crl/rollout.h"
#include "crl/state.h"
#include "crl/vec_env.h"
#ifdef CRL_HAVE_MUJOCO
#include "crl/mujoco.h"
#endif

#endif
