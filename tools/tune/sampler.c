/* Random search and TPE (see sampler.h).
 *
 * TPE, one parameter at a time: the earlier trials are split into the
 * good group (the best gamma(n) = min(ceil(n / 10), 25) of them) and the
 * rest; each group becomes a Parzen density (one truncated Gaussian per
 * trial plus a broad prior component, or for a choice one categorical
 * kernel per trial plus a uniform prior), l(x) for the good and g(x) for
 * the rest. Candidates are drawn from l and the one with the largest
 * log l(x) - log g(x) (expected improvement, for this model) is taken.
 *
 * Numbers live on the scale they are sampled on: log(v) for the log
 * distributions, and an integer v stands for [v - 0.5, v + 0.5], so that
 * every integer of the range has the same width. Kernel widths are the
 * larger distance to a neighbouring observation, clipped to
 * [range / min(100, n + 2), range] for n observations (their kernels and
 * the prior, plus one, as Optuna counts); the prior is centred with the
 * range as its width; kernels of older trials weigh less once there are
 * more than 25 (a linear ramp, the newest 25 at full weight). */
#include "tune/sampler.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "crl/rng.h"

#define GOOD_MAX 25       /* the good group's largest size */
#define RAMP_AFTER 25     /* full weight for the newest this many trials */
#define PRIOR_WEIGHT 1.0  /* of the prior component, before normalising */
#define MIN_WIDTH_DIV 100 /* widths are at least range / 100 */

/* Stream of trial t's draws: the seed of the study and the trial's
 * number, so that trial t's random start is the same for every sampler. */
#define STREAM_TRIAL 1000

static const char *const sampler_names[CLI_SAMPLER_COUNT] = {
#define SAMPLER_NAME(id, name) name,
    CLI_SAMPLERS(SAMPLER_NAME)
#undef SAMPLER_NAME
};

int cli_sampler_from_name(const char *name) {
  for (int k = 0; k < CLI_SAMPLER_COUNT; k++)
    if (strcmp(name, sampler_names[k]) == 0)
      return k;
  return -1;
}

const char *cli_sampler_name(cli_sampler_kind kind) {
  return sampler_names[kind];
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

double cli_median(double *v, int n) {
  if (n <= 0)
    return NAN;
  qsort(v, (size_t)n, sizeof *v, compare_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the scale a parameter is sampled on ----------------------------------
 */

typedef struct scale {
  int log, integer;
  double a, b; /* the range on this scale */
} scale;

static double to_scale(const scale *sc, double v) {
  return sc->log ? log(v) : v;
}

static scale scale_of(const cli_search_param *p) {
  scale sc = {cli_dist_is_log(p->kind), cli_dist_is_int(p->kind), 0, 0};
  double half = sc.integer ? 0.5 : 0.0;
  sc.a = to_scale(&sc, p->low - half);
  sc.b = to_scale(&sc, p->high + half);
  return sc;
}

/* A point of the scale back to a value of the parameter. */
static double from_scale(const cli_search_param *p, const scale *sc, double x) {
  double v = sc->log ? exp(x) : x;
  if (sc->integer)
    v = floor(v + 0.5);
  return v < p->low ? p->low : v > p->high ? p->high : v;
}

/* ---- random search ----------------------------------------------------------
 */

static double random_value(const cli_search_param *p, gsl_rng *rng) {
  if (p->kind == CLI_DIST_CHOICE)
    return (double)gsl_rng_uniform_int(rng, (unsigned long)p->choices.n);
  scale sc = scale_of(p);
  return from_scale(p, &sc, sc.a + (sc.b - sc.a) * gsl_rng_uniform(rng));
}

/* ---- Parzen densities -------------------------------------------------------
 */

/* A mixture of kernels: one per observation, then the prior. */
typedef struct parzen {
  int n;         /* kernels, the prior included */
  double *w;     /* [n] mixture weights, summing to 1 */
  double *mu;    /* [n] numbers: centres on the scale */
  double *sigma; /* [n] numbers: widths */
  double *z;     /* [n] numbers: each kernel's mass inside [a, b] */
  double *cat;   /* [n * choices] a choice: each kernel's probabilities */
} parzen;

static void parzen_free(parzen *d) {
  free(d->w);
  free(d->mu);
  free(d->sigma);
  free(d->z);
  free(d->cat);
}

/* Weights of n kernels in trial order, then the prior's; normalised. */
static void mixture_weights(double *w, int n) {
  double total = 0.0;
  for (int i = 0; i < n; i++) {
    int ramped = n - RAMP_AFTER; /* the oldest ones */
    w[i] = i >= ramped
               ? 1.0
               : 1.0 / n + (1.0 - 1.0 / n) * i / (ramped > 1 ? ramped - 1 : 1);
    total += w[i];
  }
  w[n] = PRIOR_WEIGHT;
  total += PRIOR_WEIGHT;
  for (int i = 0; i <= n; i++)
    w[i] /= total;
}

/* Indices ordered by sort_key[index] (qsort has no context argument, and
 * the program sorts on one thread). */
static const double *sort_key;
static int compare_by_key(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  double u = sort_key[i], v = sort_key[j];
  return u < v ? -1 : u > v ? 1 : i - j;
}

/* Each kernel's width: the larger gap to its neighbours among the sorted
 * centres (a lone centre's neighbours are the range's ends), clipped to
 * [range / min(100, n + 2), range]. */
static void kernel_widths(const double *mu, int n, double a, double b,
                          double *sigma, int *order) {
  for (int i = 0; i < n; i++)
    order[i] = i;
  sort_key = mu;
  qsort(order, (size_t)n, sizeof *order, compare_by_key);
  double range = b - a;
  double lo = range / fmin(MIN_WIDTH_DIV, n + 2.0); /* n kernels + prior */
  for (int r = 0; r < n; r++) {
    double left = r > 0 ? mu[order[r]] - mu[order[r - 1]] : NAN;
    double right = r + 1 < n ? mu[order[r + 1]] - mu[order[r]] : NAN;
    if (isnan(left))
      left = n > 1 ? right : mu[order[r]] - a;
    if (isnan(right))
      right = n > 1 ? left : b - mu[order[r]];
    double s = fmax(left, right);
    sigma[order[r]] = s < lo ? lo : s > range ? range : s;
  }
}

static int parzen_numbers(const double *x, int n, const scale *sc, parzen *d) {
  d->n = n + 1;
  d->w = malloc((size_t)d->n * sizeof *d->w);
  d->mu = malloc((size_t)d->n * sizeof *d->mu);
  d->sigma = malloc((size_t)d->n * sizeof *d->sigma);
  d->z = malloc((size_t)d->n * sizeof *d->z);
  int *order = malloc((size_t)(n + 1) * sizeof *order);
  if (!d->w || !d->mu || !d->sigma || !d->z || !order) {
    free(order);
    return -1;
  }
  for (int i = 0; i < n; i++)
    d->mu[i] = x[i];
  kernel_widths(d->mu, n, sc->a, sc->b, d->sigma, order);
  free(order);
  d->mu[n] = 0.5 * (sc->a + sc->b);
  d->sigma[n] = sc->b - sc->a;
  mixture_weights(d->w, n);
  for (int k = 0; k < d->n; k++)
    d->z[k] = gsl_cdf_ugaussian_P((sc->b - d->mu[k]) / d->sigma[k]) -
              gsl_cdf_ugaussian_P((sc->a - d->mu[k]) / d->sigma[k]);
  return 0;
}

static int parzen_choices(const double *x, int n, int choices, parzen *d) {
  d->n = n + 1;
  d->w = malloc((size_t)d->n * sizeof *d->w);
  d->cat = malloc((size_t)d->n * (size_t)choices * sizeof *d->cat);
  if (!d->w || !d->cat)
    return -1;
  for (int k = 0; k < d->n; k++) {
    double *row = d->cat + (size_t)k * (size_t)choices;
    int own = k < n ? (int)x[k] : -1;
    for (int c = 0; c < choices; c++)
      row[c] =
          k < n ? (PRIOR_WEIGHT / choices + (c == own)) / (1.0 + PRIOR_WEIGHT)
                : 1.0 / choices;
  }
  mixture_weights(d->w, n);
  return 0;
}

static int pick_kernel(const parzen *d, gsl_rng *rng) {
  double u = gsl_rng_uniform(rng), acc = 0.0;
  for (int k = 0; k < d->n - 1; k++)
    if (u < (acc += d->w[k]))
      return k;
  return d->n - 1;
}

/* A draw of the density on the scale, inside [a, b]. */
static double draw_number(const parzen *d, const scale *sc, gsl_rng *rng) {
  int k = pick_kernel(d, rng);
  double pa = gsl_cdf_ugaussian_P((sc->a - d->mu[k]) / d->sigma[k]);
  double pb = gsl_cdf_ugaussian_P((sc->b - d->mu[k]) / d->sigma[k]);
  double u = pa + (pb - pa) * gsl_rng_uniform_pos(rng);
  double x = d->mu[k] + d->sigma[k] * gsl_cdf_ugaussian_Pinv(u);
  return x < sc->a ? sc->a : x > sc->b ? sc->b : x;
}

/* log density at the value v (an integer: log mass of its cell). */
static double log_density(const parzen *d, const scale *sc, double v) {
  double total = 0.0;
  if (sc->integer) {
    double lo = to_scale(sc, v - 0.5), hi = to_scale(sc, v + 0.5);
    for (int k = 0; k < d->n; k++)
      total += d->w[k] *
               (gsl_cdf_ugaussian_P((hi - d->mu[k]) / d->sigma[k]) -
                gsl_cdf_ugaussian_P((lo - d->mu[k]) / d->sigma[k])) /
               d->z[k];
  } else {
    double x = to_scale(sc, v);
    for (int k = 0; k < d->n; k++)
      total += d->w[k] * gsl_ran_ugaussian_pdf((x - d->mu[k]) / d->sigma[k]) /
               (d->sigma[k] * d->z[k]);
  }
  return log(fmax(total, 1e-300));
}

static double log_mass(const parzen *d, int choices, int c) {
  double total = 0.0;
  for (int k = 0; k < d->n; k++)
    total += d->w[k] * d->cat[(size_t)k * (size_t)choices + (size_t)c];
  return log(fmax(total, 1e-300));
}

static int draw_choice(const parzen *d, int choices, gsl_rng *rng) {
  const double *row = d->cat + (size_t)pick_kernel(d, rng) * (size_t)choices;
  double u = gsl_rng_uniform(rng), acc = 0.0;
  for (int c = 0; c < choices - 1; c++)
    if (u < (acc += row[c]))
      return c;
  return choices - 1;
}

/* ---- TPE --------------------------------------------------------------------
 */

/* One parameter's next value from its values in the good and other trials
 * (each group in trial order). */
static int tpe_param(const cli_search_param *p, const double *good, int ng,
                     const double *rest, int nr, gsl_rng *rng, double *out) {
  parzen l = {0}, g = {0};
  scale sc = scale_of(p);
  int choice = p->kind == CLI_DIST_CHOICE, rc;
  double *xg = malloc((size_t)(ng + 1) * sizeof *xg);
  double *xr = malloc((size_t)(nr + 1) * sizeof *xr);
  rc = xg && xr ? 0 : -1;
  for (int i = 0; rc == 0 && i < ng; i++)
    xg[i] = choice ? good[i] : to_scale(&sc, good[i]);
  for (int i = 0; rc == 0 && i < nr; i++)
    xr[i] = choice ? rest[i] : to_scale(&sc, rest[i]);
  if (rc == 0)
    rc = choice ? parzen_choices(xg, ng, p->choices.n, &l) ||
                      parzen_choices(xr, nr, p->choices.n, &g)
                : parzen_numbers(xg, ng, &sc, &l) ||
                      parzen_numbers(xr, nr, &sc, &g);
  double best = -HUGE_VAL;
  for (int c = 0; rc == 0 && c < CLI_TPE_CANDIDATES; c++) {
    double v, score;
    if (choice) {
      int k = draw_choice(&l, p->choices.n, rng);
      v = k;
      score = log_mass(&l, p->choices.n, k) - log_mass(&g, p->choices.n, k);
    } else {
      v = from_scale(p, &sc, draw_number(&l, &sc, rng));
      score = log_density(&l, &sc, v) - log_density(&g, &sc, v);
    }
    if (score > best) {
      best = score;
      *out = v;
    }
  }
  parzen_free(&l);
  parzen_free(&g);
  free(xg);
  free(xr);
  return rc;
}

/* Better first: finished trials by objective, then pruned ones by how far
 * they got and their last evaluation; equal ones in trial order. */
static const cli_sampler_obs *rank_obs;
static int compare_rank(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  const cli_sampler_obs *x = &rank_obs[i], *y = &rank_obs[j];
  if (x->pruned != y->pruned)
    return x->pruned - y->pruned;
  if (x->pruned && x->progress != y->progress)
    return x->progress > y->progress ? -1 : 1;
  if (x->value != y->value)
    return x->value > y->value ? -1 : 1;
  return i - j;
}

static int tpe(const cli_search_space *s, const cli_sampler_obs *obs, int n,
               gsl_rng *rng, double *out) {
  int *order = malloc((size_t)n * sizeof *order);
  char *good = calloc((size_t)n, 1);
  double *xg = malloc((size_t)n * sizeof *xg);
  double *xr = malloc((size_t)n * sizeof *xr);
  int rc = order && good && xg && xr ? 0 : -1;
  if (rc == 0) {
    for (int i = 0; i < n; i++)
      order[i] = i;
    rank_obs = obs;
    qsort(order, (size_t)n, sizeof *order, compare_rank);
    int n_good = (int)ceil(0.1 * n);
    n_good = n_good < 1 ? 1 : n_good > GOOD_MAX ? GOOD_MAX : n_good;
    for (int r = 0; r < n_good; r++)
      good[order[r]] = 1;
  }
  for (int i = 0; rc == 0 && i < s->n; i++) {
    int ng = 0, nr = 0;
    for (int t = 0; t < n; t++) /* trial order within each group */
      if (good[t])
        xg[ng++] = obs[t].x[i];
      else
        xr[nr++] = obs[t].x[i];
    rc = tpe_param(&s->p[i], xg, ng, xr, nr, rng, &out[i]);
  }
  free(order);
  free(good);
  free(xg);
  free(xr);
  return rc;
}

int cli_sampler_suggest(const cli_search_space *s, cli_sampler_kind kind,
                        uint64_t seed, int trial, const cli_sampler_obs *obs,
                        int n, double *out) {
  gsl_rng *rng = crl_rng_alloc(seed, STREAM_TRIAL + (uint64_t)trial);
  if (rng == NULL)
    return -1;
  int rc = 0;
  if (kind == CLI_SAMPLER_TPE && n >= CLI_TPE_STARTUP)
    rc = tpe(s, obs, n, rng, out);
  else
    for (int i = 0; i < s->n; i++)
      out[i] = random_value(&s->p[i], rng);
  gsl_rng_free(rng);
  return rc;
}
