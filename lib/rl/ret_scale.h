/* Internal: VecNormalize's reward scaling, shared by the on-policy
 * collector (which stores scaled rewards) and the off-policy loop (which
 * stores raw ones and scales each sampled batch). Each env copy keeps a
 * discounted running return; a 1-dim crl_normalizer tracks its variance;
 * a reward is scaled by the return's std and clipped to +-10. */
#ifndef CRL_RET_SCALE_H
#define CRL_RET_SCALE_H

#include "crl/normalizer.h"

/* ret [N] = gamma ret + rew, merged into norm (ret_real [N] is scratch),
 * then reset to 0 where an episode ended (terminated or truncated). */
void crl__ret_track(crl_normalizer *norm, double gamma, int N,
                    const double *rew, const int *term, const int *trunc,
                    double *ret, crl_real *ret_real);

/* crl__ret_track in its three steps, for a caller whose normaliser learns
 * from more rows than its own (data parallel): each copy's return with
 * this step's reward (ret, and ret_real for the normaliser), then ...
 * the normaliser's update ..., then the returns of ended episodes back to
 * 0. */
void crl__ret_advance(double gamma, int N, const double *rew, double *ret,
                      crl_real *ret_real);
void crl__ret_end_episodes(int N, const int *term, const int *trunc,
                           double *ret);

/* The std rewards are divided by: sqrt(var + 1e-8). */
double crl__ret_std(const crl_normalizer *norm);

/* clip(r / std, -10, 10). */
double crl__ret_scaled(double r, double std);

#endif
