/* gSDE's distribution (see sde.h). Sums run in double. */
#include "rl/sde.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "core/internal.h"
#include "crl/error.h"

#define SDE_EPS 1e-6 /* SB3's epsilon under the square root */

int crl__sde_n_log_std(int L, int A, int full_std) {
  return full_std ? L * A : L;
}

int crl__sde_alloc(int L, int A, int full_std, int use_expln, int max_batch,
                   int rows, crl__sde **out) {
  *out = NULL;
  if (L < 1 || A < 1 || max_batch < 1 || rows < 1)
    return crl_fail(CRL_EINVAL,
                    "gsde: features %d, actions %d, batch %d and "
                    "copies %d must be >= 1",
                    L, A, max_batch, rows);
  crl__sde *s = calloc(1, sizeof *s);
  if (s == NULL)
    return crl_fail(CRL_ENOMEM, "gsde: out of memory");
  s->L = L, s->A = A, s->full_std = full_std, s->use_expln = use_expln;
  s->max_batch = max_batch, s->rows = rows;
  const size_t LA = (size_t)L * A, BA = (size_t)max_batch * A;
  const crl__buf bufs[] = {
      {(void **)&s->std, CRL__BUF_DOUBLE, LA},                /* [L, A] */
      {(void **)&s->dstd, CRL__BUF_DOUBLE, LA},               /* [L, A] */
      {(void **)&s->var, CRL__BUF_DOUBLE, BA},                /* [B, A] */
      {(void **)&s->dn, CRL__BUF_DOUBLE, BA},                 /* [B, A] */
      {(void **)&s->dv, CRL__BUF_DOUBLE, BA},                 /* [B, A] */
      {(void **)&s->mats, CRL__BUF_REAL, (size_t)rows * LA},  /* [rows, L, A] */
      {(void **)&s->eps, CRL__BUF_DOUBLE, (size_t)rows * LA}, /* [rows, L, A] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &s->block, "gsde");
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void crl__sde_free(crl__sde *s) {
  if (s == NULL)
    return;
  free(s->block);
  free(s);
}

/* std and d std / d log_std of one log_std value. */
static double std_of(const crl__sde *s, double ls, double *dstd) {
  if (!s->use_expln || ls <= 0.0) {
    double e = exp(ls);
    *dstd = e;
    return e;
  }
  const double x = ls + SDE_EPS; /* SB3 adds epsilon before log1p */
  *dstd = 1.0 / (1.0 + x);
  return log1p(x) + 1.0;
}

static double log_std_at(const crl__sde *s, const crl_real *log_std, int i,
                         int j) {
  return log_std[s->full_std ? (size_t)i * s->A + j : (size_t)i];
}

void crl__sde_prepare(crl__sde *s, const crl_real *log_std, const crl_real *phi,
                      int B) {
  const int L = s->L, A = s->A;
  for (int i = 0; i < L; i++)
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)i * A + j;
      s->std[k] = std_of(s, log_std_at(s, log_std, i, j), &s->dstd[k]);
    }
  crl__sde_var(s, phi, B, s->var);
}

void crl__sde_var(const crl__sde *s, const crl_real *phi, int B, double *var) {
  const int L = s->L, A = s->A;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < A; j++) {
      double v = 0.0;
      for (int i = 0; i < L; i++) {
        const double f = phi[(size_t)b * L + i], sd = s->std[(size_t)i * A + j];
        v += f * f * sd * sd;
      }
      var[(size_t)b * A + j] = v + SDE_EPS;
    }
}

void crl__sde_resample(crl__sde *s, gsl_rng *rng) {
  const size_t LA = (size_t)s->L * s->A;
  for (int r = 0; r < s->rows; r++)
    for (size_t k = 0; k < LA; k++) {
      const double e = gsl_ran_gaussian_ziggurat(rng, 1.0);
      s->eps[(size_t)r * LA + k] = e;
      s->mats[(size_t)r * LA + k] = (crl_real)(e * s->std[k]);
    }
}

/* log N(d; 0, v): the Gaussian log-density of a deviation d. */
static double log_normal(double d, double v) {
  const double half_log_2pi = 0.5 * log(2.0 * M_PI);
  return -0.5 * d * d / v - 0.5 * log(v) - half_log_2pi;
}

int crl__sde_draw_due(int t, int sample_freq) {
  return t == 0 || (sample_freq > 0 && t % sample_freq == 0);
}

void crl__sde_redraw(crl__sde *s, const crl_real *log_std, gsl_rng *rng) {
  crl__sde_prepare(s, log_std, NULL, 0);
  crl__sde_resample(s, rng);
}

/* noise of row b, action j: phi_b . E[:, j] of the row's matrix. */
static double noise_at(const crl__sde *s, const crl_real *phi, int b, int j) {
  const int L = s->L, A = s->A;
  const crl_real *E = s->mats + (size_t)(b % s->rows) * L * A; /* [L, A] */
  double n = 0.0;
  for (int i = 0; i < L; i++)
    n += (double)phi[(size_t)b * L + i] * E[(size_t)i * A + j];
  return n;
}

void crl__sde_sample(const crl__sde *s, const crl_real *mean,
                     const crl_real *phi, int B, crl_real *actions) {
  const int A = s->A;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < A; j++)
      actions[(size_t)b * A + j] =
          (crl_real)((double)mean[(size_t)b * A + j] + noise_at(s, phi, b, j));
}

void crl__sde_log_prob(const crl__sde *s, const crl_real *mean,
                       const crl_real *actions, int B, crl_real *logp) {
  crl__sde_log_prob_var(s, s->var, mean, actions, B, logp);
}

void crl__sde_log_prob_var(const crl__sde *s, const double *var,
                           const crl_real *mean, const crl_real *actions, int B,
                           crl_real *logp) {
  const int A = s->A;
  for (int b = 0; b < B; b++) {
    double lp = 0.0;
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)b * A + j;
      lp += log_normal((double)actions[k] - mean[k], var[k]);
    }
    logp[b] = (crl_real)lp;
  }
}

double crl__sde_entropy_mean(const crl__sde *s, int B) {
  const double c = 0.5 + 0.5 * log(2.0 * M_PI);
  double h = 0.0;
  for (size_t k = 0; k < (size_t)B * s->A; k++)
    h += c + 0.5 * log(s->var[k]);
  return h / B;
}

void crl__sde_backward(const crl__sde *s, const crl_real *log_std,
                       const crl_real *mean, const crl_real *actions,
                       const crl_real *phi, int B, const crl_real *dlogp,
                       double dent_mean, crl_real *dmean, crl_real *dlog_std) {
  crl__sde_backward_var(s, s->var, log_std, mean, actions, phi, B, dlogp,
                        dent_mean, dmean, dlog_std);
}

void crl__sde_backward_var(const crl__sde *s, const double *var,
                           const crl_real *log_std, const crl_real *mean,
                           const crl_real *actions, const crl_real *phi, int B,
                           const crl_real *dlogp, double dent_mean,
                           crl_real *dmean, crl_real *dlog_std) {
  const int L = s->L, A = s->A;
  for (int i = 0; i < L; i++)
    for (int j = 0; j < A; j++) {
      double dstd;
      const double sd = std_of(s, log_std_at(s, log_std, i, j), &dstd);
      double g = 0.0; /* dL / d std_ij */
      for (int b = 0; b < B; b++) {
        const size_t k = (size_t)b * A + j;
        const double v = var[k], d = (double)actions[k] - mean[k];
        /* dlogp/dv = d^2 / (2 v^2) - 1 / (2 v); dH/dv = 1 / (2 v) */
        const double dv = dlogp[b] * (0.5 * d * d / (v * v) - 0.5 / v) +
                          dent_mean / B * 0.5 / v;
        const double f = phi[(size_t)b * L + i];
        g += dv * 2.0 * f * f * sd;
      }
      dlog_std[s->full_std ? (size_t)i * A + j : (size_t)i] +=
          (crl_real)(g * dstd);
    }
  for (int b = 0; b < B; b++)
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)b * A + j;
      dmean[k] = (crl_real)(dlogp[b] * ((double)actions[k] - mean[k]) / var[k]);
    }
}

void crl__sde_squashed_sample(const crl__sde *s, const crl_real *mean,
                              const crl_real *phi, int B, crl_real *action,
                              crl_real *logp) {
  const int A = s->A;
  for (int b = 0; b < B; b++) {
    double lp = 0.0;
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)b * A + j;
      const double n = noise_at(s, phi, b, j), u = (double)mean[k] + n;
      action[k] = (crl_real)tanh(u);
      if (logp != NULL)
        lp += log_normal(n, s->var[k]) - crl__log_dtanh(u);
    }
    if (logp != NULL)
      logp[b] = (crl_real)lp;
  }
}

/* With eps fixed, u_j = mean_j + n_j, n_j = sum_i phi_i std_ij eps_ij, and
 *   logp = sum_j -n_j^2 / (2 v_j) - log(v_j) / 2 - log(1 - tanh^2 u_j) + c:
 *   dL/du_j = dL/da_j (1 - a_j^2) + dL/dlogp 2 tanh u_j    (= dL/dmean_j)
 *   dL/dn_j = dL/du_j - dL/dlogp n_j / v_j
 *   dL/dv_j = dL/dlogp (n_j^2 / (2 v_j^2) - 1 / (2 v_j))
 *   dL/dstd_ij = sum_b dL/dn_bj phi_bi eps_ij + dL/dv_bj 2 phi_bi^2 std_ij. */
void crl__sde_squashed_backward(crl__sde *s, const crl_real *phi,
                                const crl_real *action, int B,
                                const crl_real *daction, const crl_real *dlogp,
                                crl_real *dmean, crl_real *dlog_std,
                                crl_real *dphi) {
  const int L = s->L, A = s->A;
  const size_t LA = (size_t)L * A;
  /* dn, dv [B, A] once: each row's noise is a sum over the L features */
  for (int b = 0; b < B; b++)
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)b * A + j;
      const double a = action[k], gl = dlogp[b], v = s->var[k];
      const double n = noise_at(s, phi, b, j);
      const double du = (double)daction[k] * (1.0 - a * a) + gl * 2.0 * a;
      s->dn[k] = du - gl * n / v;
      s->dv[k] = gl * (0.5 * n * n / (v * v) - 0.5 / v);
      dmean[k] = (crl_real)du;
    }
  for (int i = 0; i < L; i++)
    for (int j = 0; j < A; j++) {
      const double sd = s->std[(size_t)i * A + j];
      double g = 0.0; /* dL / d std_ij */
      for (int b = 0; b < B; b++) {
        const size_t k = (size_t)b * A + j;
        const double f = phi[(size_t)b * L + i];
        const double e = s->eps[(size_t)(b % s->rows) * LA + (size_t)i * A + j];
        g += s->dn[k] * f * e + s->dv[k] * 2.0 * f * f * sd;
      }
      dlog_std[s->full_std ? (size_t)i * A + j : (size_t)i] +=
          (crl_real)(g * s->dstd[(size_t)i * A + j]);
    }
  for (int b = 0; dphi != NULL && b < B; b++) {
    const crl_real *E = s->mats + (size_t)(b % s->rows) * LA; /* [L, A] */
    for (int i = 0; i < L; i++) {
      const double f = phi[(size_t)b * L + i];
      double acc = 0.0;
      for (int j = 0; j < A; j++) {
        const size_t k = (size_t)b * A + j;
        const double sd = s->std[(size_t)i * A + j];
        acc += s->dn[k] * E[(size_t)i * A + j] + s->dv[k] * 2.0 * f * sd * sd;
      }
      dphi[(size_t)b * L + i] = (crl_real)acc;
    }
  }
}

double crl__sde_kl(int A, int B, const crl_real *mean_ref,
                   const double *var_ref, const crl_real *mean,
                   const double *var, crl_real *kl) {
  double total = 0.0;
  for (int b = 0; b < B; b++) {
    double acc = 0.0;
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)b * A + j;
      const double d = (double)mean_ref[k] - mean[k];
      acc += 0.5 * (log(var[k] / var_ref[k]) + (var_ref[k] + d * d) / var[k]) -
             0.5;
    }
    kl[b] = (crl_real)acc;
    total += acc;
  }
  return B > 0 ? total / B : 0.0;
}

/* v_bj = sum_i phi_bi^2 std_ij^2 + eps moves with log_std by
 *   dv_bj = sum_i 2 phi_bi^2 std_ij std'_ij w_ij     (w: the log_std part
 * of the direction, w_i for every j without full_std), N(mean, v)'s Fisher
 * in v is 1 / (2 v^2), and J^T of the same map takes it back. */
void crl__sde_fisher_log_std(const crl__sde *s, const crl_real *phi,
                             const double *var, int B, double scale,
                             const crl_real *w, double *acc) {
  const int L = s->L, A = s->A;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < A; j++) {
      const double v = var[(size_t)b * A + j];
      double dv = 0.0;
      for (int i = 0; i < L; i++) {
        const size_t k = s->full_std ? (size_t)i * A + j : (size_t)i;
        const size_t ij = (size_t)i * A + j;
        const double f = phi[(size_t)b * L + i];
        dv += 2.0 * f * f * s->std[ij] * s->dstd[ij] * (double)w[k];
      }
      const double m = scale * dv / (2.0 * v * v);
      for (int i = 0; i < L; i++) {
        const size_t k = s->full_std ? (size_t)i * A + j : (size_t)i;
        const size_t ij = (size_t)i * A + j;
        const double f = phi[(size_t)b * L + i];
        acc[k] += 2.0 * f * f * s->std[ij] * s->dstd[ij] * m;
      }
    }
}
