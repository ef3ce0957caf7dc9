/* crl: optimisers on flat vectors.
 *
 * Adam (bias-corrected, as torch.optim.Adam) and global gradient-norm
 * clipping work on a network's flat parameter and gradient vectors, so one
 * call covers every layer. */
#ifndef CRL_OPTIM_H
#define CRL_OPTIM_H

#include "crl/common.h"
#include "crl/state.h"

CRL_BEGIN_DECLS

typedef struct crl_adam_spec {
  double beta1; /* 0.9 */
  double beta2; /* 0.999 */
  double eps;   /* 1e-8 (PyTorch), 1e-5 (SB3 PPO), 1e-7 (Keras, RLtools) */
} crl_adam_spec;

/** The defaults above, with eps 1e-8. */
CRL_API crl_adam_spec crl_adam_spec_default(void);

typedef struct crl_adam crl_adam;

/** Adam over n parameters. *out is NULL on failure. */
CRL_API int crl_adam_alloc(size_t n, const crl_adam_spec *spec, crl_adam **out);
CRL_API void crl_adam_free(crl_adam *adam);

/** One step: params -= lr * m_hat / (sqrt(v_hat) + eps). On x86 the
 *  update runs with subnormals flushed to zero (the caller's floating-point
 *  mode is restored before it returns): moments below 2^-126 (2^-1022 in
 *  double) become 0, which keeps dead units' decaying moments from slowing
 *  every step by microcode assists. */
CRL_API void crl_adam_step(crl_adam *adam, crl_real *params,
                           const crl_real *grads, double lr);

/** Steps taken so far; and the first/second moment vectors (n values each),
 *  exposed for checkpoints. */
CRL_API long crl_adam_steps(const crl_adam *adam);
/** Set the step count (restoring a checkpoint; the moments are restored
 *  through crl_adam_m and crl_adam_v). */
CRL_API void crl_adam_set_steps(crl_adam *adam, long steps);
CRL_API crl_real *crl_adam_m(crl_adam *adam);
CRL_API crl_real *crl_adam_v(crl_adam *adam);

/** Adam's state in a checkpoint (crl/state.h): "t" (steps), "m" and "v"
 *  (n values each; v must be >= 0). */
CRL_API int crl_adam_sections(void *adam, crl_state_io *io);

/** Euclidean norm of g [n], accumulated in double. */
CRL_API double crl_vec_norm(size_t n, const crl_real *g);

/** Scale g [n] so that its norm is at most max_norm (as PyTorch's
 *  clip_grad_norm_, factor max_norm / (norm + 1e-6)). Returns the norm
 *  before clipping. */
CRL_API double crl_clip_grad_norm(size_t n, crl_real *g, double max_norm);

/** Polyak (soft) target update, as SB3's polyak_update: target [n] =
 *  (1 - tau) target + tau source [n]. tau = 1 copies. (lib/polyak.c) */
CRL_API void crl_polyak_update(size_t n, crl_real *target,
                               const crl_real *source, double tau);

/* ---- RMSprop (lib/rmsprop.c) -------------------------------------------- */

/* torch.optim.RMSprop without momentum, centring or weight decay (what SB3's
 * A2C uses: alpha 0.99, eps 1e-5):
 *   v = alpha v + (1 - alpha) g^2,   p -= lr g / (sqrt(v) + eps),
 * with v starting at zero (so the first steps are large, as in PyTorch). */
typedef struct crl_rmsprop_spec {
  double alpha; /* 0.99 */
  double eps;   /* 1e-8 (PyTorch), 1e-5 (SB3 A2C's rms_prop_eps) */
} crl_rmsprop_spec;

/** alpha 0.99, eps 1e-8 (PyTorch's defaults). */
CRL_API crl_rmsprop_spec crl_rmsprop_spec_default(void);

typedef struct crl_rmsprop crl_rmsprop;

/** RMSprop over n parameters. *out is NULL on failure. */
CRL_API int crl_rmsprop_alloc(size_t n, const crl_rmsprop_spec *spec,
                              crl_rmsprop **out);
CRL_API void crl_rmsprop_free(crl_rmsprop *opt);

/** One step: params -= lr * grads / (sqrt(v) + eps). */
CRL_API void crl_rmsprop_step(crl_rmsprop *opt, crl_real *params,
                              const crl_real *grads, double lr);

/** The square-average vector (n values). */
CRL_API crl_real *crl_rmsprop_v(crl_rmsprop *opt);

/** RMSprop's state in a checkpoint (crl/state.h): "v" (n values >= 0). */
CRL_API int crl_rmsprop_sections(void *opt, crl_state_io *io);

CRL_END_DECLS

#endif
