/* PPO (Schulman et al. 2017), clipped surrogate, as Stable-Baselines3 has it:
 * GAE(lambda) over n_steps from each env copy, n_epochs of shuffled
 * minibatches, per-minibatch advantage normalisation, optional value
 * clipping, entropy bonus, global gradient-norm clipping, and an early stop
 * of the epochs once the approximate KL exceeds 1.5 * target_kl. The
 * collector is the one A2C and TRPO use (rl/onpolicy.h), the clipped
 * surrogate the one GRPO uses (rl/pg_loss.h). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "core/pool.h"
#include "crl/algo.h"
#include "crl/error.h"
#include "crl/kernels.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "crl/rollout.h"
#include "nn/optim_groups.h"
#include "rl/onpolicy.h"
#include "rl/pg_loss.h"
#include "rl/shards.h"

typedef struct ppo_spec {
  crl_schedule learning_rate;
  int n_steps;
  int batch_size;
  int n_epochs;
  double gamma;
  double gae_lambda;
  crl_schedule clip_range;
  crl_schedule clip_range_vf; /* start NAN (null): no value clipping */
  int normalize_advantage;
  double ent_coef;
  double vf_coef;
  double max_grad_norm;
  double target_kl; /* NAN: no early stop */
  double adam_eps;
  int normalize;
  int normalize_reward;
  crl_int_list net_arch;
  int activation;
  double log_std_init;
  int ortho_init;
  int use_sde, sde_sample_freq, full_std, use_expln; /* gSDE */
  int grad_shards;
} ppo_spec;

#define F(field) offsetof(ppo_spec, field)
static const crl_param_def ppo_params[] = {
    {"learning_rate", CRL_PARAM_SCHEDULE, F(learning_rate), "3e-4", 0, 1, NULL,
     "Adam step size; lin_<v> decays linearly from v to 0"},
    {"n_steps", CRL_PARAM_INT, F(n_steps), "2048", 1, 1e7, NULL,
     "steps collected from each env copy per iteration"},
    {"batch_size", CRL_PARAM_INT, F(batch_size), "64", 1, 1e7, NULL,
     "minibatch size; as SB3's, the last minibatch of an epoch is short "
     "when it does not divide n_steps * n_envs"},
    {"n_epochs", CRL_PARAM_INT, F(n_epochs), "10", 1, 1000, NULL,
     "passes over the rollout per iteration"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "0.99", 0, 1, NULL, "discount factor"},
    {"gae_lambda", CRL_PARAM_REAL, F(gae_lambda), "0.95", 0, 1, NULL,
     "GAE lambda: 0 = one-step TD, 1 = Monte Carlo"},
    {"clip_range", CRL_PARAM_SCHEDULE, F(clip_range), "0.2", 0, 10, NULL,
     "ratio clipping epsilon; lin_<v> decays it"},
    {"clip_range_vf", CRL_PARAM_SCHEDULE, F(clip_range_vf), "null", 0, 1e6,
     NULL,
     "clip value predictions to old value +- this (lin_<v> decays it); "
     "null = off"},
    {"normalize_advantage", CRL_PARAM_BOOL, F(normalize_advantage), "true", 0,
     1, NULL, "standardise advantages within each minibatch"},
    {"ent_coef", CRL_PARAM_REAL, F(ent_coef), "0.0", 0, 1e3, NULL,
     "entropy bonus coefficient"},
    {"vf_coef", CRL_PARAM_REAL, F(vf_coef), "0.5", 0, 1e3, NULL,
     "value loss coefficient"},
    {"max_grad_norm", CRL_PARAM_REAL, F(max_grad_norm), "0.5", 0, 1e9, NULL,
     "clip the global gradient norm to this"},
    {"target_kl", CRL_PARAM_REAL_OPT, F(target_kl), "null", 0, 1e3, NULL,
     "stop the epochs when approx KL > 1.5 * target_kl; null = off"},
    {"adam_eps", CRL_PARAM_REAL, F(adam_eps), "1e-5", 1e-12, 1, NULL,
     "Adam epsilon (SB3 uses 1e-5 for PPO)"},
    {"normalize", CRL_PARAM_BOOL, F(normalize), "false", 0, 1, NULL,
     "normalise observations with running mean/std (clip 10)"},
    {"normalize_reward", CRL_PARAM_BOOL, F(normalize_reward), "false", 0, 1,
     NULL,
     "scale rewards by the running std of the discounted return "
     "(VecNormalize's norm_reward; the zoo's normalize sets both)"},
    CRL_AC_POLICY_KWARGS(F, "actor and critic"),
    CRL_SDE_PARAMS(F),
    CRL_GRAD_SHARDS_PARAM(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

/* One minibatch's statistics, each a mean over its rows. */
typedef struct mb_result {
  double policy_loss, value_loss, entropy, approx_kl, clip_fraction;
} mb_result;
/* The same as the array the gradient's parts sum (rl/shards.h). */
enum { MB_POLICY, MB_VALUE, MB_ENTROPY, MB_KL, MB_CLIP, MB_STATS };

/* What one gradient part works on (rl/shards.h): worker 0 is the policy
 * itself; the others, made when the calling thread has helpers and
 * grad_shards > 1, are copies that share its parameters, for the
 * helpers. */
typedef struct ppo_worker {
  crl__ac *ac;
  void *block;      /* the buffers below, one allocation */
  crl_real *dist;   /* [batch, n_out] actor outputs */
  crl_real *logp;   /* [batch] */
  crl_real *values; /* [batch] */
  crl_real *dlogp;  /* [batch] */
  crl_real *dv;     /* [batch] */
} ppo_worker;

typedef struct ppo {
  ppo_spec spec;
  crl__onp *onp; /* policy, rollout, collection, action stream */
  crl_adam *adam;
  gsl_rng *batch_rng;  /* minibatch shuffling */
  int mb_rows;         /* rows of a full minibatch: min(batch_size, T * N) */
  double clip_vf;      /* this iteration's clip_range_vf (NAN: off) */
  double clip;         /* this iteration's clip_range */
  crl__shards shards;  /* the minibatch gradient's parts (grad_shards) */
  ppo_worker *workers; /* [n_workers] */
  crl_real **worker_grads; /* [n_workers] each worker's gradient */
  int n_workers;
  /* The step's two parameter groups, actor (with log_std) and critic, and
   * their gradients' sums of squares; sumsq_out is sumsq when the halves
   * compute them (the minibatch's gradient is one part), else NULL. */
  crl__groups groups;
  double sumsq[2];
  double *sumsq_out;
  void *block;  /* the buffers below, one allocation */
  size_t *perm; /* [T * N] */
  /* one minibatch, [batch] rows */
  crl_real *mb_obs;     /* [batch, obs_dim] */
  crl_real *mb_act;     /* [batch, act_dim] */
  crl_real *mb_adv;     /* [batch] */
  crl_real *mb_ret;     /* [batch] */
  crl_real *mb_oldlogp; /* [batch] */
  crl_real *mb_oldv;    /* [batch] */
} ppo;

static void ppo_destroy(void *self) {
  ppo *p = self;
  if (p == NULL)
    return;
  for (int w = 0; w < p->n_workers; w++) {
    if (w > 0) /* worker 0's is the collector's */
      crl__ac_free(p->workers[w].ac);
    free(p->workers[w].block);
  }
  free(p->workers);
  free(p->worker_grads);
  crl__onp_free(p->onp);
  crl_adam_free(p->adam);
  crl__shards_free(&p->shards);
  if (p->batch_rng)
    gsl_rng_free(p->batch_rng);
  free(p->block);
  free(p);
}

static int check_spec(const ppo_spec *s, int n_envs) {
  if ((long)s->n_steps * n_envs > 100000000)
    return crl_fail(CRL_EINVAL, "ppo: n_steps * n_envs = %ld is too large",
                    (long)s->n_steps * n_envs);
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "ppo: at most %d hidden layers",
                    CRL_MLP_MAX_LAYERS - 1);
  return 0;
}

static int alloc_buffers(ppo *p) {
  const crl__onp *o = p->onp;
  const size_t M = (size_t)p->mb_rows;
  const size_t T = (size_t)p->spec.n_steps, N = (size_t)o->n_envs;
  const size_t O = (size_t)o->obs_dim, A = (size_t)o->act_dim;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&p->perm,       CRL__BUF_SIZE, T * N}, /* [T * N] */
    {(void **)&p->mb_obs,     CRL__BUF_REAL, M * O}, /* [batch, obs_dim] */
    {(void **)&p->mb_act,     CRL__BUF_REAL, M * A}, /* [batch, act_dim] */
    {(void **)&p->mb_adv,     CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&p->mb_ret,     CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&p->mb_oldlogp, CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&p->mb_oldv,    CRL__BUF_REAL, M},     /* [batch] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &p->block, "ppo");
}

/* A worker's buffers for parts of up to M rows. */
static int alloc_worker_buffers(const crl__onp *o, size_t M, ppo_worker *w) {
  const size_t K = (size_t)o->n_out;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&w->dist,   CRL__BUF_REAL, M * K}, /* [batch, n_out] */
    {(void **)&w->logp,   CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&w->values, CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&w->dlogp,  CRL__BUF_REAL, M},     /* [batch] */
    {(void **)&w->dv,     CRL__BUF_REAL, M},     /* [batch] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &w->block, "ppo");
}

/* Workers for the parts the calling thread's pool runs at once: the
 * threads, at most grad_shards; one with gSDE (whose exploration state is
 * the policy's) or in a data-parallel group. Made once, on the first
 * minibatch that can use them. */
static int ensure_workers(ppo *p) {
  if (p->n_workers == 0) { /* worker 0, the policy itself */
    p->workers = calloc(1, sizeof *p->workers);
    p->worker_grads = calloc(1, sizeof *p->worker_grads);
    if (p->workers == NULL || p->worker_grads == NULL)
      return crl_fail(CRL_ENOMEM, "ppo: out of memory");
    p->workers[0].ac = p->onp->ac;
    p->worker_grads[0] = p->onp->ac->grads;
    int rc = alloc_worker_buffers(p->onp, (size_t)p->mb_rows, &p->workers[0]);
    if (rc)
      return rc;
    p->n_workers = 1;
  }
  int want = crl_threads_get();
  if (want > p->spec.grad_shards)
    want = p->spec.grad_shards;
  if (p->onp->ac->sde != NULL || p->shards.group != NULL)
    want = 1; /* a rank computes one part */
  if (want <= p->n_workers)
    return 0;
  ppo_worker *ws = realloc(p->workers, (size_t)want * sizeof *ws);
  if (ws != NULL)
    p->workers = ws;
  crl_real **gs = realloc(p->worker_grads, (size_t)want * sizeof *gs);
  if (gs != NULL)
    p->worker_grads = gs;
  if (ws == NULL || gs == NULL)
    return crl_fail(CRL_ENOMEM, "ppo: out of memory");
  /* parts have at most ceil(M / grad_shards) rows */
  const int S = p->spec.grad_shards;
  const size_t rows = (size_t)((p->mb_rows + S - 1) / S);
  for (int w = p->n_workers; w < want; w++) {
    ws[w] = (ppo_worker){0};
    int rc = crl__ac_worker_alloc(p->onp->ac, (int)rows, &ws[w].ac);
    if (rc == 0)
      rc = alloc_worker_buffers(p->onp, rows, &ws[w]);
    if (rc) {
      crl__ac_free(ws[w].ac);
      return rc;
    }
    gs[w] = ws[w].ac->grads;
    p->n_workers = w + 1;
  }
  return 0;
}

static int ppo_create(const void *spec_, const crl_space *obs,
                      const crl_space *act, int n_envs, uint64_t seed,
                      void **self) {
  const ppo_spec *spec = spec_;
  *self = NULL;
  int rc = check_spec(spec, n_envs);
  if (rc)
    return rc;
  ppo *p = calloc(1, sizeof *p);
  if (p == NULL)
    return crl_fail(CRL_ENOMEM, "ppo: out of memory");
  p->spec = *spec;
  p->shards = (crl__shards){.name = "ppo", .n = spec->grad_shards};
  /* A batch_size beyond the rollout is one minibatch of all of it (SB3). */
  long total = (long)spec->n_steps * n_envs;
  p->mb_rows = spec->batch_size < total ? spec->batch_size : (int)total;
  /* The networks take the n_envs rows of a collection step and the
   * mb_rows rows of a minibatch. */
  crl__ac_spec as = {.net_arch = spec->net_arch,
                     .activation = spec->activation,
                     .log_std_init = spec->log_std_init,
                     .ortho_init = spec->ortho_init,
                     .use_sde = spec->use_sde,
                     .sde_sample_freq = spec->sde_sample_freq,
                     .full_std = spec->full_std,
                     .use_expln = spec->use_expln,
                     .sde_rows = n_envs,
                     .normalize_obs = spec->normalize,
                     .max_batch = n_envs > p->mb_rows ? n_envs : p->mb_rows};
  rc = crl__onp_alloc("ppo", &as, obs, act, n_envs, spec->n_steps,
                      spec->normalize_reward, seed, &p->onp);
  if (rc == 0) {
    p->batch_rng = crl_rng_alloc(seed, CRL_STREAM_BATCH);
    if (p->batch_rng == NULL)
      rc = crl_fail(CRL_ENOMEM, "ppo: out of memory");
  }
  if (rc == 0) {
    const crl__ac *ac = p->onp->ac;
    p->groups = (crl__groups){
        2, {0, ac->n_params - crl_mlp_n_params(ac->critic), ac->n_params}};
    crl_adam_spec adam = crl_adam_spec_default();
    adam.eps = spec->adam_eps;
    rc = crl_adam_alloc(p->onp->ac->n_params, &adam, &p->adam);
  }
  if (rc == 0)
    rc = alloc_buffers(p);
  if (rc == 0)
    rc = ensure_workers(p);
  if (rc) {
    ppo_destroy(p);
    return rc;
  }
  *self = p;
  return 0;
}

static void gather_minibatch(ppo *p, const size_t *idx, int M) {
  const crl_rollout *ro = p->onp->ro;
  const size_t O = (size_t)ro->obs_dim, A = (size_t)ro->act_dim;
  for (int i = 0; i < M; i++) {
    size_t k = idx[i];
    /* rows of a few values: plain loops beat a memcpy call per row */
    for (size_t d = 0; d < O; d++)
      p->mb_obs[(size_t)i * O + d] = ro->obs[k * O + d];
    for (size_t d = 0; d < A; d++)
      p->mb_act[(size_t)i * A + d] = ro->actions[k * A + d];
    p->mb_adv[i] = ro->advantages[k];
    p->mb_ret[i] = ro->returns[k];
    p->mb_oldlogp[i] = ro->log_probs[k];
    p->mb_oldv[i] = ro->values[k];
  }
  if (p->spec.normalize_advantage)
    crl__pg_standardize(p->mb_adv, (size_t)M, 1, 1);
}

/* Value term (0.5 * vf_coef * MSE scaled as SB3: vf_coef * MSE) of rows
 * [a, a + m) of a minibatch of M rows: its share of the loss and dv. */
static double value_term(const ppo *p, ppo_worker *w, int a, int m, int M) {
  const double c = p->clip_vf;
  double loss = 0.0;
  for (int i = 0; i < m; i++) {
    double v = w->values[i], old = p->mb_oldv[a + i];
    double pred = v, slope = 1.0;
    if (!isnan(c)) {
      double d = v - old;
      if (d > c) {
        pred = old + c;
        slope = 0.0;
      } else if (d < -c) {
        pred = old - c;
        slope = 0.0;
      }
    }
    double err = pred - (double)p->mb_ret[a + i];
    loss += err * err;
    w->dv[i] = (crl_real)(p->spec.vf_coef * 2.0 * err * slope / M);
  }
  return loss / M;
}

/* What the two halves of a part share: its rows [a, a + m) of M. */
typedef struct part_rows {
  const ppo *p;
  ppo_worker *w;
  int a, m, M;
  double *stats;
} part_rows;

/* The actor's half: clipped surrogate and entropy, and their gradient. */
static int actor_half(const part_rows *r) {
  const ppo *p = r->p;
  ppo_worker *w = r->w;
  crl__ac *ac = w->ac;
  const size_t O = (size_t)p->onp->obs_dim, A = (size_t)p->onp->act_dim;
  const crl_real *obs = p->mb_obs + (size_t)r->a * O;
  const crl_real *act = p->mb_act + (size_t)r->a * A;
  const size_t n = p->groups.bounds[1]; /* actor and log_std */
  memset(ac->grads, 0, n * sizeof *ac->grads);
  int rc = crl__ac_actor_forward(ac, obs, r->m, w->dist);
  if (rc)
    return rc;
  crl__ac_log_prob(ac, w->dist, act, r->m, w->logp);
  crl__pg_clip_result pr;
  crl__pg_clipped_surrogate(r->m, r->M, w->logp, p->mb_oldlogp + r->a,
                            p->mb_adv + r->a, p->clip, w->dlogp, &pr);
  const double scale = (double)r->m / r->M; /* for the means over m rows */
  r->stats[MB_POLICY] = pr.loss;
  r->stats[MB_KL] = pr.approx_kl;
  r->stats[MB_CLIP] = pr.clip_fraction;
  r->stats[MB_ENTROPY] = crl__ac_entropy_mean(ac, w->dist, r->m) * scale;
  rc = crl__ac_actor_backward(ac, w->dist, act, r->m, w->dlogp,
                              -p->spec.ent_coef * scale);
  if (rc == 0 && p->sumsq_out)
    p->sumsq_out[0] = crl__sumsq(n, ac->grads);
  return rc;
}

/* The critic's half: the value term and its gradient. */
static int critic_half(const part_rows *r) {
  const size_t O = (size_t)r->p->onp->obs_dim;
  crl__ac *ac = r->w->ac;
  const crl__groups *g = &r->p->groups;
  crl_real *grads = ac->grads + g->bounds[1];
  const size_t n = g->bounds[2] - g->bounds[1];
  memset(grads, 0, n * sizeof *grads);
  int rc = crl__ac_critic_forward(ac, r->p->mb_obs + (size_t)r->a * O, r->m,
                                  r->w->values);
  if (rc)
    return rc;
  r->stats[MB_VALUE] = value_term(r->p, r->w, r->a, r->m, r->M);
  rc = crl__ac_critic_backward(ac, r->w->dv, r->m);
  if (rc == 0 && r->p->sumsq_out)
    r->p->sumsq_out[1] = crl__sumsq(n, grads);
  return rc;
}

static int half_task(void *ctx, int half) {
  return half == 0 ? actor_half(ctx) : critic_half(ctx);
}

/* The gradient (in the worker's grads, each half zeroing its group's
 * first, on its own thread) and statistics of rows
 * [a, b) of the gathered minibatch of M rows, every mean taken over M:
 * the parts of a minibatch add up to its whole (rl/shards.h). One part
 * (a = 0, b = M) is the minibatch itself, bit for bit (the scale is
 * exactly 1). The actor's and the critic's halves share nothing (their
 * parameters, gradients, activations and statistics are apart), so they
 * run at once on the pool's threads when the part is not a pool task
 * itself, with the bits of one thread. */
static int part_gradient(void *self, int worker, int a, int b, int M,
                         double *stats) {
  const ppo *p = self;
  ppo_worker *w = &p->workers[worker];
  for (int k = 0; k < MB_STATS; k++)
    stats[k] = 0.0;
  if (b == a) {
    crl__ac_zero_grad(w->ac);
    return 0; /* more parts than rows */
  }
  part_rows r = {p, w, a, b - a, M, stats};
  return crl__pool_each(2, half_task, &r);
}

/* Loss, gradients and one Adam step on minibatch idx. Returns 1 in *stop
 * when the KL early stop triggers (SB3 checks before stepping). */
static int train_minibatch(ppo *p, const size_t *idx, int M, double clip,
                           double lr, mb_result *r, int *stop) {
  gather_minibatch(p, idx, M);
  crl__ac *ac = p->onp->ac;
  p->clip = clip;
  double st[MB_STATS];
  int rc = ensure_workers(p);
  /* One part is the whole gradient, in ac->grads: its halves' threads
   * then take their groups' sums of squares while the values are in their
   * caches (nn/optim_groups.h). */
  const int whole = p->shards.n == 1 && p->shards.group == NULL;
  p->sumsq_out = whole ? p->sumsq : NULL;
  if (rc == 0)
    rc = crl__shards_gradient_on(&p->shards, M, ac->grads, ac->n_params, st,
                                 MB_STATS, p->n_workers, p->worker_grads,
                                 part_gradient, p);
  if (rc)
    return rc;
  if (!whole) /* the parts' sum: its groups' sums of squares here */
    for (int g = 0; g < p->groups.n; g++) {
      const size_t lo = p->groups.bounds[g];
      p->sumsq[g] = crl__sumsq(p->groups.bounds[g + 1] - lo, ac->grads + lo);
    }
  *r = (mb_result){st[MB_POLICY], st[MB_VALUE], st[MB_ENTROPY], st[MB_KL],
                   st[MB_CLIP]};
  if (!isnan(p->spec.target_kl) && r->approx_kl > 1.5 * p->spec.target_kl) {
    *stop = 1;
    return 0;
  }
  double total = r->policy_loss - p->spec.ent_coef * r->entropy +
                 p->spec.vf_coef * r->value_loss;
  if (!isfinite(total))
    return crl_fail(CRL_ENONFINITE,
                    "ppo: loss is not finite (policy %g, value %g, entropy %g)",
                    r->policy_loss, r->value_loss, r->entropy);
  /* each group's clip and Adam step on the thread of its half */
  crl__adam_clip_groups(p->adam, &p->groups, p->sumsq, ac->params, ac->grads,
                        p->spec.max_grad_norm, lr);
  return 0;
}

static int ppo_iterate(void *self, crl_vec_env *venv, double progress_remaining,
                       crl_algo_stats *stats) {
  ppo *p = self;
  int rc = crl__onp_check_venv(p->onp, venv);
  if (rc == 0)
    rc = crl__onp_collect(p->onp, venv, p->spec.gamma, p->spec.gae_lambda);
  if (rc)
    return rc;
  const double lr =
      crl_schedule_value(&p->spec.learning_rate, progress_remaining);
  const double clip =
      crl_schedule_value(&p->spec.clip_range, progress_remaining);
  p->clip_vf = crl_schedule_value(&p->spec.clip_range_vf, progress_remaining);
  const size_t total = (size_t)p->spec.n_steps * p->onp->n_envs;
  const size_t M = (size_t)p->mb_rows;
  mb_result sum = {0}, r = {0};
  int n_mb = 0, stop = 0;
  for (int e = 0; e < p->spec.n_epochs && !stop; e++) {
    for (size_t k = 0; k < total; k++)
      p->perm[k] = k;
    gsl_ran_shuffle(p->batch_rng, p->perm, total, sizeof *p->perm);
    for (size_t start = 0; start < total && !stop; start += M) {
      int m = (int)(total - start < M ? total - start : M);
      rc = train_minibatch(p, p->perm + start, m, clip, lr, &r, &stop);
      if (rc)
        return rc;
      if (stop)
        break;
      sum.policy_loss += r.policy_loss;
      sum.value_loss += r.value_loss;
      sum.entropy += r.entropy;
      sum.approx_kl += r.approx_kl;
      sum.clip_fraction += r.clip_fraction;
      n_mb++;
    }
  }
  stats->steps = (long)total;
  stats->learning_rate = lr;
  stats->n_updates = n_mb;
  if (n_mb > 0) {
    stats->policy_loss = sum.policy_loss / n_mb;
    stats->value_loss = sum.value_loss / n_mb;
    stats->entropy = sum.entropy / n_mb;
    stats->approx_kl = sum.approx_kl / n_mb;
    stats->clip_fraction = sum.clip_fraction / n_mb;
  }
  stats->explained_variance = crl__onp_explained_variance(p->onp->ro);
  return 0;
}

static int ppo_act(void *self, const crl_real *obs, int B, int deterministic,
                   crl_real *action) {
  ppo *p = self;
  return crl__onp_act(p->onp, obs, B, deterministic, action);
}

/* ---- checkpoints and export ---------------------------------------------- */

/* The collector's sections at ppo's level (ppo.params, ppo.norm.*,
 * ppo.ret_norm.* with reward scaling, ...), then PPO's own. */
static int ppo_sections(void *self, crl_state_io *io) {
  ppo *p = self;
  const crl_state_item items[] = {
      CRL_STATE_OBJ("adam", crl_adam_sections, p->adam),
      CRL_STATE_OBJ("batch_rng", crl_rng_sections, p->batch_rng),
  };
  int rc = crl__onp_sections(p->onp, io);
  return rc ? rc : crl_state_items(io, items, CRL_STATE_COUNT(items));
}

static int ppo_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, "ppo", ppo_sections, self);
}

static int ppo_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, "ppo", ppo_sections, self);
}

static int ppo_export(void *self, int max_batch, crl_policy **out) {
  ppo *p = self;
  return crl__onp_export(p->onp, max_batch, out);
}

/* One iteration: n_steps on every copy. */
static long ppo_steps_per_iteration(const void *spec, int n_envs) {
  return (long)((const ppo_spec *)spec)->n_steps * n_envs;
}

/* Data parallel: every process collects all rows (its own env copies
 * stepped here, the others' gathered by the vec env) and computes part
 * `rank` of every minibatch gradient. */
static int ppo_set_group(void *self, const crl_group *g, int *own_envs) {
  ppo *p = self;
  *own_envs = 0;
  return crl__shards_set_group(&p->shards, g);
}

const crl_algo_type crl__algo_ppo = {
    .name = "ppo",
    .doc = "Proximal Policy Optimization, clipped surrogate (SB3 semantics)",
    .params = ppo_params,
    .spec_size = sizeof(ppo_spec),
    .create = ppo_create,
    .iterate = ppo_iterate,
    .act = ppo_act,
    .destroy = ppo_destroy,
    .save = ppo_save,
    .load = ppo_load,
    .export_policy = ppo_export,
    .steps_per_iteration = ppo_steps_per_iteration,
    .set_group = ppo_set_group,
};
