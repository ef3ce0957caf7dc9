/* crl: exploration noise for deterministic policies.
 *
 * SB3's action noises, one process per env copy: Gaussian
 * (NormalActionNoise: N(0, sigma^2) each step) and Ornstein-Uhlenbeck
 * (OrnsteinUhlenbeckActionNoise: x += theta (mu - x) dt + sigma sqrt(dt)
 * N(0, 1), with theta 0.15, dt 0.01, x0 = 0, reset to x0 when the copy's
 * episode ends). Noise is added to actions in the policy's [-1, 1] scale.
 * No allocation after crl_noise_alloc. */
#ifndef CRL_NOISE_H
#define CRL_NOISE_H

#include <gsl/gsl_rng.h>

#include "crl/common.h"
#include "crl/state.h"

CRL_BEGIN_DECLS

typedef enum crl_noise_kind {
  CRL_NOISE_NONE = 0,
  CRL_NOISE_NORMAL = 1,
  CRL_NOISE_OU = 2 /* Ornstein-Uhlenbeck */
} crl_noise_kind;

/* The names SB3 / RL Zoo use for noise_type, in crl_noise_kind order:
 * "none|normal|ornstein-uhlenbeck" (for an ENUM parameter). */
#define CRL_NOISE_CHOICES "none|normal|ornstein-uhlenbeck"

typedef struct crl_noise crl_noise;

/** n processes (env copies) of dim values each, standard deviation sigma
 *  (OU: theta 0.15, dt 0.01 as SB3). *out is NULL on failure. */
CRL_API int crl_noise_alloc(crl_noise_kind kind, int n, int dim, double sigma,
                            crl_noise **out);
CRL_API void crl_noise_free(crl_noise *noise);

/** out [n, dim] = the next noise value of every process (zeros for
 *  CRL_NOISE_NONE). */
CRL_API void crl_noise_sample(crl_noise *noise, gsl_rng *rng, crl_real *out);

/** Restart process i (its episode ended). */
CRL_API void crl_noise_reset(crl_noise *noise, int i);

/** The processes' state [n, dim] (OU: x; zeros otherwise), in double;
 *  *count = n * dim. */
CRL_API double *crl_noise_state(crl_noise *noise, size_t *count);

/** The processes' state in a checkpoint (crl/state.h): "state" [n, dim],
 *  finite. */
CRL_API int crl_noise_sections(void *noise, crl_state_io *io);

/** actions [B, dim] += noise [B, dim], then clipped to [-1, 1]. */
CRL_API void crl_noise_add_clip(int B, int dim, const crl_real *noise,
                                crl_real *actions);

/** out [B, dim] uniform in [-1, 1]: random warm-up actions in the policy's
 *  scale (the env's Box bounds map onto it). */
CRL_API void crl_uniform_actions(int B, int dim, gsl_rng *rng, crl_real *out);

CRL_END_DECLS

#endif
