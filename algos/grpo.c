/* GRPO (Shao et al. 2024, DeepSeekMath), critic-free, on control tasks.
 *
 * Each iteration runs n_groups groups of group_size episodes. The episodes
 * of a group start from the same initial state: before each of them the
 * env's reset generator is re-seeded with the group's seed (as Gymnasium's
 * reset(seed=k)), so they differ only by the policy's sampled actions. A
 * sample's advantage compares it with its own group, no value network:
 *   advantage: episode       A = (R_j - mean_g R) / (std_g R + 1e-8) for
 *                            every step of episode j (R = its return)
 *   advantage: reward_to_go  A_t = the same standardisation of the
 *                            discounted reward-to-go G_t over the group's
 *                            episodes still running at step t
 * (scale_by_std: false drops the division, as Dr. GRPO). Then n_epochs of
 * shuffled minibatches minimise PPO's clipped objective plus a KL penalty
 * to the reference policy, the one that collected the data:
 *   L = -mean min(r A, clip(r, 1 - eps, 1 + eps) A)
 *       + kl_coef mean KL(pi_ref(.|s) || pi_theta(.|s)) - ent_coef mean H
 * with r = pi_theta(a|s) / pi_ref(a|s) and the KL in closed form (Gaussian
 * or categorical). Whole episodes from one env copy: n_envs must be 1. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "crl/algo.h"
#include "crl/error.h"
#include "crl/optim.h"
#include "crl/rng.h"
#include "grpo.h"
#include "io/policy_internal.h"
#include "rl/actor_critic_fvp.h"
#include "rl/pg_loss.h"

/* The stream the group seeds come from (library streams are below 1000). */
enum { STREAM_GROUPS = 110 };

#define F(field) offsetof(grpo_spec, field)
static const crl_param_def grpo_params[] = {
    CRL_GRPO_GROUP_PARAMS(F),
    {"n_epochs", CRL_PARAM_INT, F(n_epochs), "4", 1, 1000, NULL,
     "passes over the iteration's samples (TRL num_iterations)"},
    {"batch_size", CRL_PARAM_INT, F(batch_size), "256", 1, 1e6, NULL,
     "rows per minibatch (the samples are split evenly)"},
    {"gamma", CRL_PARAM_REAL, F(gamma), "1.0", 0, 1, NULL,
     "discount of the reward-to-go (advantage: reward_to_go)"},
    {"advantage", CRL_PARAM_ENUM, F(advantage), "episode", 0, 0,
     "episode|reward_to_go",
     "standardise episode returns, or per-step reward-to-go, in the group"},
    {"scale_by_std", CRL_PARAM_BOOL, F(scale_by_std), "true", 0, 1, NULL,
     "divide by the group's std (false: only subtract the mean, Dr. GRPO)"},
    {"clip_range", CRL_PARAM_SCHEDULE, F(clip_range), "0.2", 0, 10, NULL,
     "ratio clipping epsilon; lin_<v> decays it"},
    {"kl_coef", CRL_PARAM_REAL, F(kl_coef), "0.04", 0, 1e3, NULL,
     "KL(reference || policy) penalty (DeepSeekMath's beta)"},
    {"ent_coef", CRL_PARAM_REAL, F(ent_coef), "0.0", 0, 1e3, NULL,
     "entropy bonus coefficient"},
    CRL_GRPO_COMMON_PARAMS(F),
    CRL_GRAD_SHARDS_PARAM(F),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL}};
#undef F

void crl__grpo_destroy(void *self) {
  grpo *g = self;
  if (g == NULL)
    return;
  crl__ac_free(g->ac);
  crl_adam_free(g->adam);
  crl__shards_free(&g->shards);
  if (g->act_rng)
    gsl_rng_free(g->act_rng);
  if (g->batch_rng)
    gsl_rng_free(g->batch_rng);
  free(g->block);
  free(g->pmd_block);
  free(g);
}

static int alloc_buffers(grpo *g) {
  const size_t C = (size_t)g->cap, O = (size_t)g->obs_dim;
  const size_t A = (size_t)g->act_dim, K = (size_t)g->n_out;
  const size_t W = (size_t)g->ac->max_batch;
  const size_t G = (size_t)g->spec.group_size;
  const size_t E = (size_t)g->spec.n_groups * G;
  const size_t S = W * (K + 1);
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&g->obs,         CRL__BUF_REAL,   C * O}, /* [cap, obs_dim] */
    {(void **)&g->act,         CRL__BUF_REAL,   C * A}, /* [cap, act_dim] */
    {(void **)&g->logp_ref,    CRL__BUF_REAL,   C},     /* [cap] */
    {(void **)&g->dist_ref,    CRL__BUF_REAL,   C * K}, /* [cap, n_out] */
    {(void **)&g->rewards,     CRL__BUF_DOUBLE, C},     /* [cap] */
    {(void **)&g->adv,         CRL__BUF_REAL,   C},     /* [cap] */
    {(void **)&g->ep_start,    CRL__BUF_INT,    E + 1}, /* [episodes + 1] */
    {(void **)&g->log_std_ref, CRL__BUF_REAL,   A},     /* [act_dim] */
    {(void **)&g->env_action,  CRL__BUF_REAL,   A},     /* [act_dim] */
    {(void **)&g->group_vals,  CRL__BUF_DOUBLE, G},     /* [group_size] */
    {(void **)&g->alive,       CRL__BUF_INT,    G},     /* [group_size] */
    {(void **)&g->perm,        CRL__BUF_SIZE,   C},     /* [cap] */
    {(void **)&g->mb_obs,      CRL__BUF_REAL,   W * O}, /* [W, obs_dim] */
    {(void **)&g->mb_act,      CRL__BUF_REAL,   W * A}, /* [W, act_dim] */
    {(void **)&g->mb_adv,      CRL__BUF_REAL,   W},     /* [W] */
    {(void **)&g->mb_logp_ref, CRL__BUF_REAL,   W},     /* [W] */
    {(void **)&g->mb_dist_ref, CRL__BUF_REAL,   W * K}, /* [W, n_out] */
    {(void **)&g->dist,        CRL__BUF_REAL,   W * K}, /* [W, n_out] */
    {(void **)&g->logp,        CRL__BUF_REAL,   W},     /* [W] */
    {(void **)&g->dlogp,       CRL__BUF_REAL,   W},     /* [W] */
    {(void **)&g->scratch,     CRL__BUF_REAL,   S},     /* [W, n_out + 1] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &g->block, g->name);
}

static int check_spec(const char *name, const grpo_spec *s, int n_envs) {
  if (n_envs != 1)
    return crl_fail(CRL_EINVAL,
                    "%s: runs the episodes of a group one after another "
                    "on one env copy; set n_envs: 1 (got %d)",
                    name, n_envs);
  if (s->net_arch.n > CRL_MLP_MAX_LAYERS - 1)
    return crl_fail(CRL_EINVAL, "%s: at most %d hidden layers", name,
                    CRL_MLP_MAX_LAYERS - 1);
  if ((long)s->n_groups * s->group_size > 10000000)
    return crl_fail(CRL_EINVAL, "%s: n_groups * group_size is too large", name);
  return 0;
}

int crl__grpo_create_named(const char *name, const grpo_spec *spec,
                           const crl_space *obs, const crl_space *act,
                           int n_envs, uint64_t seed, void **self) {
  *self = NULL;
  int rc = check_spec(name, spec, n_envs);
  if (rc)
    return rc;
  grpo *g = calloc(1, sizeof *g);
  if (g == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  g->spec = *spec;
  g->name = name;
  g->shards = (crl__shards){.name = name,
                            .n = spec->grad_shards > 1 ? spec->grad_shards : 1};
  g->cap = spec->buffer_size;
  g->group_base = crl_seed_derive(seed, STREAM_GROUPS);
  /* A minibatch holds up to 2 batch_size - 1 rows (even split). */
  crl__ac_spec as = {.net_arch = spec->net_arch,
                     .activation = spec->activation,
                     .log_std_init = spec->log_std_init,
                     .ortho_init = spec->ortho_init,
                     .normalize_obs = 0,
                     .max_batch = 2 * spec->batch_size};
  gsl_rng *init_rng = crl_rng_alloc(seed, CRL_STREAM_INIT);
  g->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  g->batch_rng = crl_rng_alloc(seed, CRL_STREAM_BATCH);
  if (!init_rng || !g->act_rng || !g->batch_rng)
    rc = crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  if (rc == 0)
    rc = crl__ac_alloc(&as, obs, act, init_rng, &g->ac);
  if (init_rng)
    gsl_rng_free(init_rng);
  if (rc == 0) {
    g->obs_dim = g->ac->obs_dim;
    g->act_dim = g->ac->act_dim;
    g->n_out = g->ac->n_out;
    g->n_pi = crl__ac_policy_size(g->ac);
    crl_adam_spec a = crl_adam_spec_default();
    a.eps = spec->adam_eps;
    /* The critic that crl__ac carries is never used; Adam skips it. */
    rc = crl_adam_alloc(g->n_pi, &a, &g->adam);
  }
  if (rc == 0)
    rc = alloc_buffers(g);
  if (rc) {
    crl__grpo_destroy(g);
    return rc;
  }
  *self = g;
  return 0;
}

static int grpo_create(const void *spec, const crl_space *obs,
                       const crl_space *act, int n_envs, uint64_t seed,
                       void **self) {
  return crl__grpo_create_named("grpo", spec, obs, act, n_envs, seed, self);
}

/* ---- one minibatch ------------------------------------------------------- */

static void gather(grpo *g, const size_t *idx, int m) {
  const size_t O = (size_t)g->obs_dim, A = (size_t)g->act_dim;
  const size_t K = (size_t)g->n_out;
  for (int i = 0; i < m; i++) {
    size_t k = idx[i];
    memcpy(g->mb_obs + i * O, g->obs + k * O, O * sizeof *g->obs);
    memcpy(g->mb_act + i * A, g->act + k * A, A * sizeof *g->act);
    memcpy(g->mb_dist_ref + i * K, g->dist_ref + k * K, K * sizeof *g->dist);
    g->mb_adv[i] = g->adv[k];
    g->mb_logp_ref[i] = g->logp_ref[k];
  }
}

enum { MB_POLICY, MB_KL, MB_ENTROPY, MB_CLIP_FRACTION, MB_STATS };

/* Rows [a, b) of the gathered minibatch of m rows: their share of every
 * mean (rl/shards.h) and of the loss's gradient, into the policy's part
 * of ac->grads (zeroed first). One part (a = 0, b = m) is the minibatch
 * itself, bit for bit (the shares are 1). */
static int part_gradient(void *self, int a, int b, int m, double *stats) {
  grpo *g = self;
  crl__ac *ac = g->ac;
  const size_t O = (size_t)g->obs_dim, A = (size_t)g->act_dim;
  const size_t K = (size_t)g->n_out;
  const int r = b - a;
  memset(ac->grads, 0, g->n_pi * sizeof *ac->grads);
  for (int k = 0; k < MB_STATS; k++)
    stats[k] = 0.0;
  if (r == 0)
    return 0; /* more parts than rows */
  const crl_real *obs = g->mb_obs + a * O, *act = g->mb_act + a * A;
  const crl_real *ref = g->mb_dist_ref + a * K;
  int rc = crl__ac_actor_forward(ac, obs, r, g->dist);
  if (rc)
    return rc;
  crl__ac_log_prob(ac, g->dist, act, r, g->logp);
  crl__pg_clip_result pr;
  crl__pg_clipped_surrogate(r, m, g->logp, g->mb_logp_ref + a, g->mb_adv + a,
                            g->clip, g->dlogp, &pr);
  const double share = (double)r / m;
  stats[MB_POLICY] = pr.loss;
  stats[MB_CLIP_FRACTION] = pr.clip_fraction;
  stats[MB_KL] =
      crl__ac_kl(ac, ref, g->log_std_ref, g->dist, r, g->scratch) * share;
  stats[MB_ENTROPY] = crl__ac_entropy_mean(ac, g->dist, r) * share;
  return crl__ac_actor_backward_kl(
      ac, g->dist, act, r, g->dlogp, -g->spec.ent_coef * share, ref,
      g->log_std_ref, g->spec.kl_coef * share, g->scratch);
}

static int train_minibatch(grpo *g, const size_t *idx, int m, double lr,
                           grpo_mb *r) {
  crl__ac *ac = g->ac;
  gather(g, idx, m);
  double s[MB_STATS];
  int rc = crl__shards_gradient(&g->shards, m, ac->grads, g->n_pi, s, MB_STATS,
                                part_gradient, g);
  if (rc)
    return rc;
  r->policy_loss = s[MB_POLICY];
  r->clip_fraction = s[MB_CLIP_FRACTION];
  r->kl = s[MB_KL];
  r->entropy = s[MB_ENTROPY];
  double total =
      r->policy_loss + g->spec.kl_coef * r->kl - g->spec.ent_coef * r->entropy;
  if (!isfinite(total))
    return crl_fail(CRL_ENONFINITE,
                    "grpo: loss is not finite (policy %g, kl %g, entropy %g)",
                    r->policy_loss, r->kl, r->entropy);
  crl_clip_grad_norm(g->n_pi, ac->grads, g->spec.max_grad_norm);
  crl_adam_step(g->adam, ac->params, ac->grads, lr);
  return 0;
}

/* n_epochs over the iteration's rows, split evenly into minibatches of
 * about batch_size. */
static int train(grpo *g, double lr, crl_algo_stats *st) {
  const size_t n = (size_t)g->n;
  size_t n_mb = n / (size_t)g->spec.batch_size;
  if (n_mb < 1)
    n_mb = 1;
  grpo_mb sum = {0}, r = {0};
  int count = 0;
  for (int e = 0; e < g->spec.n_epochs; e++) {
    for (size_t k = 0; k < n; k++)
      g->perm[k] = k;
    gsl_ran_shuffle(g->batch_rng, g->perm, n, sizeof *g->perm);
    for (size_t b = 0; b < n_mb; b++) {
      size_t lo = b * n / n_mb, hi = (b + 1) * n / n_mb;
      int rc = train_minibatch(g, g->perm + lo, (int)(hi - lo), lr, &r);
      if (rc)
        return rc;
      sum.policy_loss += r.policy_loss;
      sum.kl += r.kl;
      sum.entropy += r.entropy;
      sum.clip_fraction += r.clip_fraction;
      count++;
    }
  }
  st->n_updates = count;
  st->policy_loss = sum.policy_loss / count;
  st->approx_kl = sum.kl / count;
  st->entropy = sum.entropy / count;
  st->clip_fraction = sum.clip_fraction / count;
  return 0;
}

static int grpo_iterate(void *self, crl_vec_env *venv,
                        double progress_remaining, crl_algo_stats *st) {
  grpo *g = self;
  if (crl_vec_env_n(venv) != 1)
    return crl_fail(CRL_ESHAPE, "grpo: needs one env copy, got %d",
                    crl_vec_env_n(venv));
  int rc = grpo_collect(g, venv);
  if (rc)
    return rc;
  grpo_advantages(g);
  const double lr =
      crl_schedule_value(&g->spec.learning_rate, progress_remaining);
  g->clip = crl_schedule_value(&g->spec.clip_range, progress_remaining);
  rc = train(g, lr, st);
  st->steps = g->n;
  st->learning_rate = lr;
  return rc;
}

int crl__grpo_act(void *self, const crl_real *obs, int B, int deterministic,
                  crl_real *action) {
  grpo *g = self;
  const int cap = g->ac->max_batch;
  for (int s = 0; s < B; s += cap) {
    int b = B - s < cap ? B - s : cap;
    int rc =
        crl__ac_actor_forward(g->ac, obs + (size_t)s * g->obs_dim, b, g->dist);
    if (rc)
      return rc;
    crl__ac_sample(g->ac, g->dist, b, deterministic, g->act_rng,
                   action + (size_t)s * g->act_dim);
  }
  return 0;
}

/* ---- checkpoints and export ---------------------------------------------- */

static int grpo_sections(void *self, crl_state_io *io) {
  grpo *g = self;
  const crl_state_item items[] = {
      CRL_STATE(REAL, "params", g->ac->params, g->ac->n_params, 0),
      CRL_STATE_OBJ("adam", crl_adam_sections, g->adam),
      CRL_STATE(I64, "groups", &g->groups_done, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("act_rng", crl_rng_sections, g->act_rng),
      CRL_STATE_OBJ("batch_rng", crl_rng_sections, g->batch_rng),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__grpo_save(void *self, crl_ckpt_writer *w) {
  return crl_state_save(w, ((grpo *)self)->name, grpo_sections, self);
}

int crl__grpo_load(void *self, const crl_ckpt_reader *r) {
  return crl_state_load(r, ((grpo *)self)->name, grpo_sections, self);
}

int crl__grpo_export(void *self, int max_batch, crl_policy **out) {
  grpo *g = self;
  return crl__policy_from_parts(
      g->ac->actor, NULL, &g->ac->act_space,
      g->ac->discrete ? CRL_POLICY_ARGMAX : CRL_POLICY_CLIP, max_batch, out);
}

/* Data parallel: the episodes come one after the other from one env
 * copy, so every process runs them all (replicated copies, every episode
 * seeded from the run's seed) and computes part `rank` of every
 * minibatch gradient. */
static int grpo_set_group(void *self, const crl_group *g, int *own_envs) {
  grpo *gr = self;
  *own_envs = CRL_ENVS_REPLICATED;
  return crl__shards_set_group(&gr->shards, g);
}

const crl_algo_type crl__algo_grpo = {
    .name = "grpo",
    .doc =
        "Group Relative Policy Optimization: critic-free, group-standardised "
        "returns from a shared start state",
    .params = grpo_params,
    .spec_size = sizeof(grpo_spec),
    .create = grpo_create,
    .iterate = grpo_iterate,
    .act = crl__grpo_act,
    .destroy = crl__grpo_destroy,
    .save = crl__grpo_save,
    .load = crl__grpo_load,
    .export_policy = crl__grpo_export,
    .set_group = grpo_set_group,
};
