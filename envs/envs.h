/* Built-in environments: the types and the few helpers they share.
 * Internal to the library (not installed).
 *
 * Every env here matches Gymnasium v0.29.1 bit for bit on the golden
 * trajectories (docs/gymnasium-envs.md): state arithmetic in double, in
 * Python's left-to-right order, and observations rounded to float32 at the
 * very end. The files are compiled with -ffp-contract=off,
 * -fno-tree-slp-vectorize and -fno-builtin-pow (envs/meson.build), but the
 * helpers below do not rely on those flags. */
#ifndef CRL_ENVS_H
#define CRL_ENVS_H

#include <math.h>

#include "crl/env.h"
#include "crl/error.h"

extern const crl_env_type crl__env_pendulum; /* Pendulum-v1 */
extern const crl_env_type crl__env_cartpole; /* CartPole-v1 */
extern const crl_env_type
    crl__env_cartpole_continuous; /* CartPoleContinuous-v1 */
extern const crl_env_type
    crl__env_mountain_car_continuous;       /* MountainCarContinuous-v0 */
extern const crl_env_type crl__env_acrobot; /* Acrobot-v1 */
extern const crl_env_type crl__env_short_corridor; /* ShortCorridor-v0 */

/* Python's `x ** 2` on a float is libm pow(x, 2.0), which differs from x*x
 * in the last bit for about 0.08 % of inputs. GCC folds pow(x, 2.0) into
 * x*x; a call through a volatile pointer cannot be folded whatever the
 * flags. */
static inline double crl__envs_sq(double x) {
  double (*volatile pow_fn)(double, double) = pow;
  return pow_fn(x, 2.0);
}

/* Round to float32, as Gymnasium's float32 arrays do. The volatile store
 * makes the rounding survive GCC 12's SLP miscompile (ENVS.md section 7.2),
 * which otherwise drops `(float)` round-trips stored into double arrays. */
static inline double crl__envs_f32(double x) {
  volatile float f = (float)x;
  return (double)f;
}

/* Observations are float32 values handed out as crl_real: in the double
 * build that is (double)(float)x, the exact value Gymnasium returns. */
static inline crl_real crl__envs_obs(double x) {
  return (crl_real)crl__envs_f32(x);
}

/* A discrete action arrives as a crl_real holding the index. Anything but
 * an exact integer in {0, ..., n-1} (a fraction, a negative, NaN) is an
 * error rather than silently truncated. */
static inline int crl__envs_discrete(const char *env, crl_real a, int n,
                                     int *index) {
  /* Range first: converting NaN or a huge value to int is undefined. */
  if (!(a >= 0 && a <= (crl_real)(n - 1)) || a != (crl_real)(int)a)
    return crl_fail(CRL_EINVAL,
                    "%s: action must be an integer in {0, ..., %d}, got %.9g",
                    env, n - 1, (double)a);
  *index = (int)a;
  return 0;
}

/* A Box action that is NaN is rejected: clipping cannot give it a meaning
 * and it would silently poison the state (Gymnasium does not check). */
static inline int crl__envs_not_nan(const char *env, crl_real a) {
  if (isnan(a))
    return crl_fail(CRL_EINVAL, "%s: action is NaN", env);
  return 0;
}

#endif
