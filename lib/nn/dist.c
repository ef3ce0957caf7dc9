/* Action distributions: diagonal Gaussian with a state-independent log-std,
 * categorical over logits, and the tanh-squashed Gaussian of SAC.
 *
 * Arithmetic is done in double whatever crl_real is: sums over dimensions,
 * categories and batch rows (log-probs, entropies, KLs, the shared log_std
 * gradient) are where float would lose digits, and the cost is nothing
 * next to the network that produced the parameters. */
#include <math.h>

#include <gsl/gsl_randist.h>

#include "core/internal.h"
#include "crl/dist.h"

#define LOG_2PI 1.83787706640934548356065947281123527

/* ---- Diagonal Gaussian --------------------------------------------------- */

void crl_gauss_sample(int B, int D, const crl_real *mean,
                      const crl_real *log_std, gsl_rng *rng, crl_real *out) {
  for (int b = 0; b < B; b++) {
    const crl_real *mu = mean + (size_t)b * D; /* [D] */
    crl_real *o = out + (size_t)b * D;         /* [D] */
    for (int d = 0; d < D; d++)
      o[d] = (crl_real)(mu[d] + exp((double)log_std[d]) *
                                    gsl_ran_gaussian_ziggurat(rng, 1.0));
  }
}

void crl_gauss_log_prob(int B, int D, const crl_real *mean,
                        const crl_real *log_std, const crl_real *x,
                        crl_real *logp) {
  for (int b = 0; b < B; b++) {
    const crl_real *mu = mean + (size_t)b * D, *xb = x + (size_t)b * D;
    double acc = -0.5 * D * LOG_2PI;
    for (int d = 0; d < D; d++) {
      double z = ((double)xb[d] - mu[d]) * exp(-(double)log_std[d]);
      acc += -0.5 * z * z - log_std[d];
    }
    logp[b] = (crl_real)acc;
  }
}

/* d logp / d mean = (x - mean) / sigma^2,
 * d logp / d log_std = ((x - mean) / sigma)^2 - 1. */
void crl_gauss_log_prob_backward(int B, int D, const crl_real *mean,
                                 const crl_real *log_std, const crl_real *x,
                                 const crl_real *dlogp, crl_real *dmean,
                                 crl_real *dlog_std) {
  if (dmean != NULL)
    for (int b = 0; b < B; b++) {
      const size_t r = (size_t)b * D;
      for (int d = 0; d < D; d++)
        dmean[r + d] = (crl_real)(dlogp[b] * ((double)x[r + d] - mean[r + d]) *
                                  exp(-2.0 * log_std[d]));
    }
  if (dlog_std != NULL)
    for (int d = 0; d < D; d++) { /* column walk: one double sum per d */
      const double inv_std = exp(-(double)log_std[d]);
      double acc = 0.0;
      for (int b = 0; b < B; b++) {
        const size_t i = (size_t)b * D + d;
        double z = ((double)x[i] - mean[i]) * inv_std;
        acc += dlogp[b] * (z * z - 1.0);
      }
      dlog_std[d] += (crl_real)acc;
    }
}

crl_real crl_gauss_entropy(int D, const crl_real *log_std) {
  double acc = 0.5 * D * (1.0 + LOG_2PI);
  for (int d = 0; d < D; d++)
    acc += log_std[d];
  return (crl_real)acc;
}

void crl_gauss_entropy_backward(int D, crl_real scale, crl_real *dlog_std) {
  for (int d = 0; d < D; d++)
    dlog_std[d] += scale;
}

/* KL = sum_d log(sq/sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2, with the
 * variance ratio taken as exp(2 (lsp - lsq)) so that it does not overflow. */
void crl_gauss_kl(int B, int D, const crl_real *mean_p,
                  const crl_real *log_std_p, const crl_real *mean_q,
                  const crl_real *log_std_q, crl_real *kl) {
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * D;
    double acc = 0.0;
    for (int d = 0; d < D; d++) {
      double dls = (double)log_std_q[d] - log_std_p[d];
      double diff = (double)mean_p[r + d] - mean_q[r + d];
      acc += dls +
             0.5 * (exp(-2.0 * dls) + diff * diff * exp(-2.0 * log_std_q[d])) -
             0.5;
    }
    kl[b] = (crl_real)acc;
  }
}

/* d KL / d mean_q = (mq - mp) / sq^2,
 * d KL / d log_std_q = 1 - (sp^2 + (mp - mq)^2) / sq^2. */
void crl_gauss_kl_backward_q(int B, int D, const crl_real *mean_p,
                             const crl_real *log_std_p, const crl_real *mean_q,
                             const crl_real *log_std_q, const crl_real *dkl,
                             crl_real *dmean_q, crl_real *dlog_std_q) {
  if (dmean_q != NULL)
    for (int b = 0; b < B; b++) {
      const size_t r = (size_t)b * D;
      for (int d = 0; d < D; d++)
        dmean_q[r + d] =
            (crl_real)(dkl[b] * ((double)mean_q[r + d] - mean_p[r + d]) *
                       exp(-2.0 * log_std_q[d]));
    }
  if (dlog_std_q != NULL)
    for (int d = 0; d < D; d++) {
      const double ratio = exp(2.0 * ((double)log_std_p[d] - log_std_q[d]));
      const double inv_var_q = exp(-2.0 * log_std_q[d]);
      double acc = 0.0;
      for (int b = 0; b < B; b++) {
        const size_t i = (size_t)b * D + d;
        double diff = (double)mean_p[i] - mean_q[i];
        acc += dkl[b] * (1.0 - ratio - diff * diff * inv_var_q);
      }
      dlog_std_q[d] += (crl_real)acc;
    }
}

void crl_gauss_fisher(int D, const crl_real *log_std, crl_real *fisher_mean,
                      crl_real *fisher_log_std) {
  for (int d = 0; d < D; d++) {
    fisher_mean[d] = (crl_real)exp(-2.0 * log_std[d]);
    fisher_log_std[d] = 2;
  }
}

/* ---- Categorical --------------------------------------------------------- */

/* log sum_k exp(l[k]) of one row [K], shifted by the max for stability. */
static double row_logsumexp(int K, const crl_real *l) {
  double m = l[0];
  for (int k = 1; k < K; k++)
    if (l[k] > m)
      m = l[k];
  if (isinf(m)) /* all -inf (or a +inf): the shift would give NaN */
    return m;
  double s = 0.0;
  for (int k = 0; k < K; k++)
    s += exp((double)l[k] - m);
  return m + log(s);
}

/* The action index stored in a crl_real, or -1 when it is not an integer
 * in [0, K). */
static int action_index(crl_real a, int K) {
  if (!(a >= 0) || !(a < (crl_real)K))
    return -1;
  int i = (int)a;
  return (crl_real)i == a ? i : -1;
}

void crl_cat_sample(int B, int K, const crl_real *logits, gsl_rng *rng,
                    crl_real *out) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K; /* [K] */
    const double lse = row_logsumexp(K, l);
    const double u = gsl_rng_uniform(rng); /* [0, 1) */
    double cum = 0.0;
    int pick = -1, last_nonzero = 0;
    for (int k = 0; k < K; k++) {
      double p = exp((double)l[k] - lse);
      if (p > 0)
        last_nonzero = k;
      cum += p;
      if (u < cum && p > 0) {
        pick = k;
        break;
      }
    }
    /* Rounding can leave the total a hair below 1: such u fall on the last
     * category that can occur. */
    out[b] = (crl_real)(pick >= 0 ? pick : last_nonzero);
  }
}

void crl_cat_mode(int B, int K, const crl_real *logits, crl_real *out) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    int best = 0;
    for (int k = 1; k < K; k++)
      if (l[k] > l[best])
        best = k;
    out[b] = (crl_real)best;
  }
}

void crl_cat_log_prob(int B, int K, const crl_real *logits,
                      const crl_real *actions, crl_real *logp) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    const int a = action_index(actions[b], K);
    logp[b] = a < 0 ? (crl_real)NAN : (crl_real)(l[a] - row_logsumexp(K, l));
  }
}

/* d logp / d l_k = [k == a] - p_k. */
void crl_cat_log_prob_backward(int B, int K, const crl_real *logits,
                               const crl_real *actions, const crl_real *dlogp,
                               crl_real *dlogits) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    crl_real *g = dlogits + (size_t)b * K;
    const int a = action_index(actions[b], K);
    const double lse = row_logsumexp(K, l);
    for (int k = 0; k < K; k++) {
      double p = exp((double)l[k] - lse);
      g[k] = a < 0 ? (crl_real)NAN
                   : (crl_real)(dlogp[b] * ((k == a ? 1.0 : 0.0) - p));
    }
  }
}

/* H = -sum_k p_k log p_k; terms with p_k = 0 contribute 0 (not 0 * -inf). */
static double row_entropy(int K, const crl_real *l, double lse) {
  double h = 0.0;
  for (int k = 0; k < K; k++) {
    double lp = (double)l[k] - lse;
    double p = exp(lp);
    if (p > 0)
      h -= p * lp;
  }
  return h;
}

void crl_cat_entropy(int B, int K, const crl_real *logits, crl_real *ent) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    ent[b] = (crl_real)row_entropy(K, l, row_logsumexp(K, l));
  }
}

/* d H / d l_j = -p_j (log p_j + H). */
void crl_cat_entropy_backward(int B, int K, const crl_real *logits,
                              const crl_real *dent, crl_real *dlogits) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    crl_real *g = dlogits + (size_t)b * K;
    const double lse = row_logsumexp(K, l);
    const double h = row_entropy(K, l, lse);
    for (int k = 0; k < K; k++) {
      double lp = (double)l[k] - lse;
      double p = exp(lp);
      if (p > 0)
        g[k] += (crl_real)(-dent[b] * p * (lp + h));
    }
  }
}

/* KL = sum_k p_k (log p_k - log q_k), zero-probability terms dropped. */
void crl_cat_kl(int B, int K, const crl_real *logits_p,
                const crl_real *logits_q, crl_real *kl) {
  for (int b = 0; b < B; b++) {
    const crl_real *lp = logits_p + (size_t)b * K;
    const crl_real *lq = logits_q + (size_t)b * K;
    const double lse_p = row_logsumexp(K, lp), lse_q = row_logsumexp(K, lq);
    double acc = 0.0;
    for (int k = 0; k < K; k++) {
      double log_p = (double)lp[k] - lse_p;
      double p = exp(log_p);
      if (p > 0)
        acc += p * (log_p - ((double)lq[k] - lse_q));
    }
    kl[b] = (crl_real)acc;
  }
}

/* d KL / d lq_k = q_k - p_k. */
void crl_cat_kl_backward_q(int B, int K, const crl_real *logits_p,
                           const crl_real *logits_q, const crl_real *dkl,
                           crl_real *dlogits_q) {
  for (int b = 0; b < B; b++) {
    const crl_real *lp = logits_p + (size_t)b * K;
    const crl_real *lq = logits_q + (size_t)b * K;
    crl_real *g = dlogits_q + (size_t)b * K;
    const double lse_p = row_logsumexp(K, lp), lse_q = row_logsumexp(K, lq);
    for (int k = 0; k < K; k++)
      g[k] = (crl_real)(dkl[b] * (exp((double)lq[k] - lse_q) -
                                  exp((double)lp[k] - lse_p)));
  }
}

/* (diag(p) - p p^T) v = p * (v - p.v), elementwise. */
void crl_cat_fisher_vp(int B, int K, const crl_real *logits, const crl_real *v,
                       crl_real *out) {
  for (int b = 0; b < B; b++) {
    const crl_real *l = logits + (size_t)b * K;
    const crl_real *vb = v + (size_t)b * K;
    crl_real *o = out + (size_t)b * K;
    const double lse = row_logsumexp(K, l);
    double pv = 0.0;
    for (int k = 0; k < K; k++)
      pv += exp((double)l[k] - lse) * vb[k];
    for (int k = 0; k < K; k++)
      o[k] = (crl_real)(exp((double)l[k] - lse) * ((double)vb[k] - pv));
  }
}

/* ---- Tanh-squashed Gaussian ---------------------------------------------- */

#define LOG_2 0.69314718055994530941723212145817657

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double crl__log_dtanh(double u) {
  return 2.0 * (LOG_2 - u - softplus(-2.0 * u));
}

static double clamp_ls(crl_real ls, double lo, double hi) {
  return ls < lo ? lo : (ls > hi ? hi : (double)ls);
}

/* 1 where the clamp passes gradient (torch.clamp: lo <= x <= hi). */
static double clamp_pass(crl_real ls, double lo, double hi) {
  return ls >= lo && ls <= hi ? 1.0 : 0.0;
}

void crl_squashed_transform(int B, int D, const crl_real *mean,
                            const crl_real *log_std, double log_std_min,
                            double log_std_max, const crl_real *eps,
                            crl_real *action, crl_real *logp) {
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * D;
    double acc = -0.5 * D * LOG_2PI;
    for (int d = 0; d < D; d++) {
      const double ls = clamp_ls(log_std[r + d], log_std_min, log_std_max);
      const double e = eps[r + d];
      const double u = (double)mean[r + d] + exp(ls) * e;
      action[r + d] = (crl_real)tanh(u);
      acc += -0.5 * e * e - ls - crl__log_dtanh(u);
    }
    if (logp != NULL)
      logp[b] = (crl_real)acc;
  }
}

void crl_squashed_sample(int B, int D, const crl_real *mean,
                         const crl_real *log_std, double log_std_min,
                         double log_std_max, gsl_rng *rng, crl_real *eps,
                         crl_real *action, crl_real *logp) {
  for (size_t i = 0; i < (size_t)B * D; i++)
    eps[i] = (crl_real)gsl_ran_gaussian_ziggurat(rng, 1.0);
  crl_squashed_transform(B, D, mean, log_std, log_std_min, log_std_max, eps,
                         action, logp);
}

void crl_squashed_mode(int B, int D, const crl_real *mean, crl_real *action) {
  for (size_t i = 0; i < (size_t)B * D; i++)
    action[i] = (crl_real)tanh((double)mean[i]);
}

/* With eps fixed, u = mean + sigma eps and
 *   dL/du = dL/da (1 - a^2) + dL/dlogp * 2 tanh(u)
 * (d/du of -log(1 - tanh^2 u) is 2 tanh u; the Gaussian term -eps^2/2 does
 * not move), so dL/dmean = dL/du and
 *   dL/dlog_std = dL/du * sigma eps - dL/dlogp   (the -ls term). */
void crl_squashed_sample_backward(int B, int D, const crl_real *mean,
                                  const crl_real *log_std, double log_std_min,
                                  double log_std_max, const crl_real *eps,
                                  const crl_real *daction,
                                  const crl_real *dlogp, crl_real *dmean,
                                  crl_real *dlog_std) {
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * D;
    const double gl = dlogp != NULL ? dlogp[b] : 0.0;
    for (int d = 0; d < D; d++) {
      const size_t i = r + d;
      const double ls = clamp_ls(log_std[i], log_std_min, log_std_max);
      const double se = exp(ls) * eps[i];
      const double a = tanh((double)mean[i] + se);
      const double ga = daction != NULL ? daction[i] : 0.0;
      const double du = ga * (1.0 - a * a) + gl * 2.0 * a;
      dmean[i] = (crl_real)du;
      dlog_std[i] =
          (crl_real)(clamp_pass(log_std[i], log_std_min, log_std_max) *
                     (du * se - gl));
    }
  }
}

void crl_squashed_log_prob(int B, int D, const crl_real *mean,
                           const crl_real *log_std, double log_std_min,
                           double log_std_max, const crl_real *u,
                           crl_real *logp) {
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * D;
    double acc = -0.5 * D * LOG_2PI;
    for (int d = 0; d < D; d++) {
      const double ls = clamp_ls(log_std[r + d], log_std_min, log_std_max);
      const double z = ((double)u[r + d] - mean[r + d]) * exp(-ls);
      acc += -0.5 * z * z - ls - crl__log_dtanh(u[r + d]);
    }
    logp[b] = (crl_real)acc;
  }
}

/* At fixed u the Jacobian term is a constant: the Gaussian's gradients,
 * d/dmean = z / sigma, d/dlog_std = z^2 - 1, through the clamp. */
void crl_squashed_log_prob_backward(int B, int D, const crl_real *mean,
                                    const crl_real *log_std, double log_std_min,
                                    double log_std_max, const crl_real *u,
                                    const crl_real *dlogp, crl_real *dmean,
                                    crl_real *dlog_std) {
  for (int b = 0; b < B; b++) {
    const size_t r = (size_t)b * D;
    for (int d = 0; d < D; d++) {
      const size_t i = r + d;
      const double ls = clamp_ls(log_std[i], log_std_min, log_std_max);
      const double inv_sd = exp(-ls);
      const double z = ((double)u[i] - mean[i]) * inv_sd;
      dmean[i] = (crl_real)(dlogp[b] * z * inv_sd);
      dlog_std[i] =
          (crl_real)(dlogp[b] * (z * z - 1.0) *
                     clamp_pass(log_std[i], log_std_min, log_std_max));
    }
  }
}
