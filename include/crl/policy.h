/* crl: trained policies for inference.
 *
 * A policy file (.crlp) holds what acting needs and nothing else: the
 * actor network, the observation normaliser's statistics and the action
 * transform (clip to bounds, tanh scaled to bounds, or argmax). It is
 * written by `crl export` or crl_policy_save and read by crl_policy_load.
 *
 * After crl_policy_load, crl_policy_act does no allocation, takes no lock,
 * does no I/O and runs in bounded time, so it can sit in a real-time control
 * loop. A crl_policy holds scratch space: use one per thread. */
#ifndef CRL_POLICY_H
#define CRL_POLICY_H

#include "crl/env.h"

CRL_BEGIN_DECLS

typedef struct crl_policy crl_policy;

/** Load a policy file; calls to crl_policy_act_batch may use up to
 *  max_batch rows (at least 1). Fails with CRL_EIO (cannot read),
 *  CRL_EFORMAT (damaged, truncated or not a policy file, or values that
 *  cannot give finite actions: tanh scaling to infinite bounds, bounds
 *  beyond crl_real, a normaliser epsilon <= 0) or CRL_ENOMEM;
 *  *out is NULL then. Files written by float and double builds load in
 *  either. */
CRL_API int crl_policy_load(const char *path, int max_batch, crl_policy **out);

/** Write the policy to path atomically (temporary file, then rename). */
CRL_API int crl_policy_save(const crl_policy *policy, const char *path);

/** Free; crl_policy_free(NULL) does nothing. */
CRL_API void crl_policy_free(crl_policy *policy);

/** Observation size, and the action space actions are produced in. */
CRL_API int crl_policy_obs_dim(const crl_policy *policy);
CRL_API const crl_space *crl_policy_act_space(const crl_policy *policy);

/** The deterministic action for one observation: obs [obs_dim] ->
 *  action [act_dim] (a discrete action is its index as a crl_real).
 *  Observation normalisation and action scaling included. A NaN or
 *  infinite observation value is refused with CRL_EINVAL (the action is
 *  left unwritten), so that a controller can fall back to a safe action;
 *  an action that comes out non-finite (finite weights that overflow)
 *  fails with CRL_ENONFINITE: it never returns 0 with one. */
CRL_API int crl_policy_act(crl_policy *policy, const crl_real *obs,
                           crl_real *action);

/** The same for B rows: obs [B, obs_dim] -> action [B, act_dim]. Fails
 *  with CRL_ESHAPE when B exceeds the max_batch given at load, and with
 *  CRL_EINVAL when any observation value is not finite. */
CRL_API int crl_policy_act_batch(crl_policy *policy, const crl_real *obs, int B,
                                 crl_real *action);

/** Write the policy as dependency-free C99 for an embedded target (`crl
 *  export --format c`): c_path, whose name must end in ".c", and next to
 *  it the header of the same name ending in ".h", which the C file
 *  includes. The C file holds the parameters as static const arrays
 *  (hexadecimal constants, exact) and
 *    int policy_act(const float *obs, float *action)
 *  which computes crl_policy_act's action without allocation or any
 *  library but <math.h>; it returns 0, 1 for a non-finite observation
 *  (action unwritten) or 2 for a non-finite action. Compiled as its first
 *  comment says (-ffp-contract=off, POLICY_FMA for the kernels crl ran),
 *  its actions are crl_policy_act's bit for bit; the code computes in the
 *  build's crl_real (float code from a float build). Both files are
 *  written to temporaries and renamed, so a failure leaves neither.
 *  Fails with CRL_EINVAL (a name not ending in .c), CRL_EIO or
 *  CRL_ENOMEM. docs/embedding.md shows its use. */
CRL_API int crl_policy_write_c(const crl_policy *policy, const char *c_path);

/** Write the policy as an ONNX model (`crl export --format onnx`), for
 *  ONNX runtimes: IR version 7, opset 13 of the default domain, standard
 *  operators only (Sub, Mul, Clip, Gemm, Relu, Tanh, Max, Min, Add,
 *  ArgMax), parameters as float initializers. Input "obs" float
 *  [N, obs_dim], N a symbolic batch size; output "action" float
 *  [N, act_dim], or for a Discrete policy int64 [N, 1], the action's
 *  index (the first largest output, as crl). The graph computes
 *  crl_policy_act's action (normaliser, network, clip / tanh scaling /
 *  argmax) in float, so a runtime's actions agree with crl's within float
 *  rounding (its own summation order and tanh; a double build's
 *  parameters rounded to float), not bit for bit. Unlike crl_policy_act
 *  the graph does not refuse NaN or infinite observations, nor report
 *  non-finite actions: check them before and after. Written to a
 *  temporary and renamed, so a failure leaves nothing. Fails with
 *  CRL_EINVAL (no path), CRL_EIO or CRL_ENOMEM. docs/embedding.md shows
 *  its use. */
CRL_API int crl_policy_write_onnx(const crl_policy *policy, const char *path);

CRL_END_DECLS

#endif
