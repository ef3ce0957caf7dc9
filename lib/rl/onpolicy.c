/* The on-policy collector shared by PPO, A2C and TRPO (see onpolicy.h). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "core/internal.h"
#include "core/pool.h"
#include "crl/error.h"
#include "crl/normalizer.h"
#include "crl/rng.h"
#include "crl/state.h"
#include "io/policy_internal.h"
#include "rl/onpolicy.h"
#include "rl/ret_scale.h"

void crl__onp_free(crl__onp *o) {
  if (o == NULL)
    return;
  crl_mlp_free(o->value_critic);
  crl__ac_free(o->ac);
  crl_rollout_free(o->ro);
  if (o->act_rng)
    gsl_rng_free(o->act_rng);
  crl_normalizer_free(o->ret_norm);
  free(o->block);
  free(o);
}

static int alloc_buffers(crl__onp *o) {
  const size_t N = (size_t)o->n_envs, O = (size_t)o->obs_dim;
  const size_t A = (size_t)o->act_dim, K = (size_t)o->n_out;
  crl__onp_rows *w = &o->rows;
  /* clang-format off */
  crl__buf bufs[] = {
    {(void **)&w->obs_norm,     CRL__BUF_REAL,   N * O}, /* [N, obs_dim] */
    {(void **)&w->dist,         CRL__BUF_REAL,   N * K}, /* [N, n_out] */
    {(void **)&o->last_values,  CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&w->actions,      CRL__BUF_REAL,   N * A}, /* [N, act_dim] */
    {(void **)&w->logp,         CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&w->env_actions,  CRL__BUF_REAL,   N * A}, /* [N, act_dim] */
    {(void **)&o->final_values, CRL__BUF_REAL,   N},     /* [N] */
    {(void **)&o->final_norm,   CRL__BUF_REAL,   N * O}, /* [N, obs_dim] */
    {(void **)&o->ret,          CRL__BUF_DOUBLE, N},     /* [N] */
    {(void **)&o->scaled,       CRL__BUF_DOUBLE, N},     /* [N] */
    {(void **)&o->ret_real,     CRL__BUF_REAL,   N},     /* [N] */
  };
  /* clang-format on */
  return crl__bufs_alloc(bufs, CRL__COUNT(bufs), &o->block, o->name);
}

int crl__onp_alloc(const char *name, const crl__ac_spec *spec,
                   const crl_space *obs, const crl_space *act, int n_envs,
                   int n_steps, int scale_rewards, uint64_t seed,
                   crl__onp **out) {
  *out = NULL;
  if (spec->max_batch < n_envs)
    return crl_fail(CRL_EINVAL, "%s: policy capacity %d below n_envs %d", name,
                    spec->max_batch, n_envs);
  crl__onp *o = calloc(1, sizeof *o);
  if (o == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  o->name = name;
  o->n_envs = n_envs;
  o->n_steps = n_steps;
  int rc = 0;
  gsl_rng *init_rng = crl_rng_alloc(seed, CRL_STREAM_INIT);
  o->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  if (init_rng == NULL || o->act_rng == NULL)
    rc = crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  if (rc == 0)
    rc = crl__ac_alloc(spec, obs, act, init_rng, &o->ac);
  if (init_rng)
    gsl_rng_free(init_rng);
  if (rc == 0) {
    o->obs_dim = o->ac->obs_dim;
    o->act_dim = o->ac->act_dim;
    o->n_out = o->ac->n_out;
    rc = crl_rollout_alloc(n_steps, n_envs, o->obs_dim, o->act_dim, &o->ro);
  }
  if (rc == 0)
    rc = alloc_buffers(o);
  if (rc == 0) {
    crl_mlp_spec cs = *crl_mlp_get_spec(o->ac->critic);
    cs.max_batch = n_envs;
    rc = crl_mlp_alloc(&cs, crl_mlp_params(o->ac->critic),
                       crl_mlp_grads(o->ac->critic), &o->value_critic);
  }
  if (rc == 0 && scale_rewards)
    rc = crl_normalizer_alloc(1, 10.0, &o->ret_norm);
  if (rc) {
    crl__onp_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

int crl__onp_check_venv(const crl__onp *o, crl_vec_env *venv) {
  if (crl_vec_env_n(venv) == o->n_envs)
    return 0;
  return crl_fail(CRL_ESHAPE, "%s: built for %d env copies, got %d", o->name,
                  o->n_envs, crl_vec_env_n(venv));
}

/* V(final observation) for copies whose episode was cut by the time limit. */
static int final_values(crl__onp *o, crl_vec_env *venv) {
  const int *term = crl_vec_env_terminated(venv);
  const int *trunc = crl_vec_env_truncated(venv);
  int any = 0;
  for (int i = 0; i < o->n_envs; i++)
    any |= trunc[i] && !term[i];
  if (!any)
    return 0;
  crl__ac_normalize(o->ac, crl_vec_env_final_obs(venv), o->n_envs,
                    o->final_norm, 0);
  return crl__ac_critic_forward(o->ac, o->final_norm, o->n_envs,
                                o->final_values);
}

/* The rewards to store: as they are, or scaled by the running std of the
 * discounted return (VecNormalize's order: update with this step's
 * returns, then divide). */
static const double *stored_rewards(crl__onp *o, crl_vec_env *venv,
                                    double gamma) {
  const double *rew = crl_vec_env_rewards(venv);
  if (o->ret_norm == NULL)
    return rew;
  crl__ret_track(o->ret_norm, gamma, o->n_envs, rew,
                 crl_vec_env_terminated(venv), crl_vec_env_truncated(venv),
                 o->ret, o->ret_real);
  const double sd = crl__ret_std(o->ret_norm);
  for (int i = 0; i < o->n_envs; i++)
    o->scaled[i] = crl__ret_scaled(rew[i], sd);
  return o->scaled;
}

int crl__onp_sample(crl__ac *ac, const crl_real *obs, int B, gsl_rng *rng,
                    const crl__onp_rows *rows) {
  crl__ac_normalize(ac, obs, B, rows->obs_norm, 1);
  int rc = crl__ac_actor_forward(ac, rows->obs_norm, B, rows->dist);
  if (rc == 0 && rows->values != NULL)
    rc = crl__ac_critic_forward(ac, rows->obs_norm, B, rows->values);
  if (rc)
    return rc;
  crl__ac_sample(ac, rows->dist, B, 0, rng, rows->actions);
  crl__ac_log_prob(ac, rows->dist, rows->actions, B, rows->logp);
  crl__ac_clip_actions(ac, rows->actions, B, rows->env_actions);
  return 0;
}

/* One step of every copy: act, store, and bootstrap truncated episodes.
 * The values come apart from the steps (o->rows has none, see
 * collect_rollout). */
static int collect_step(crl__onp *o, crl_vec_env *venv, double gamma) {
  const crl__onp_rows *w = &o->rows;
  int rc =
      crl__onp_sample(o->ac, crl_vec_env_obs(venv), o->n_envs, o->act_rng, w);
  /* obs_norm keeps the observations the actions were chosen in. */
  if (rc == 0)
    rc = crl_vec_env_step(venv, w->env_actions);
  if (rc == 0)
    rc = final_values(o, venv);
  if (rc)
    return rc;
  return crl_rollout_add(o->ro, w->obs_norm, w->actions, w->logp, NULL,
                         stored_rewards(o, venv, gamma),
                         crl_vec_env_terminated(venv),
                         crl_vec_env_truncated(venv), o->final_values, gamma);
}

/* V of the stored observations of step t, its N rows in one pass, as a
 * pass inside the step would be. */
static int step_values(crl__onp *o, crl_mlp *critic, int t) {
  const size_t N = (size_t)o->n_envs, O = (size_t)o->obs_dim;
  return crl_mlp_forward(critic, o->ro->obs + (size_t)t * N * O, (int)N,
                         o->ro->values + (size_t)t * N);
}

/* A collection: the steps (task 0) and the values of the steps already
 * stored (task 1, on another thread when there is one). */
typedef struct collection {
  crl__onp *o;
  crl_vec_env *venv;
  double gamma;
  _Atomic int stored; /* steps in the rollout; -1 once a step failed */
} collection;

static int run_steps(collection *c) {
  crl__onp *o = c->o;
  for (int t = 0; t < o->n_steps; t++) {
    if (crl__sde_draw_due(t, o->ac->sde_sample_freq))
      crl__ac_sde_resample(o->ac, o->act_rng);
    int rc = collect_step(o, c->venv, c->gamma);
    /* release: the stored rows before the count that announces them */
    atomic_store_explicit(&c->stored, rc ? -1 : t + 1, memory_order_release);
    if (rc)
      return rc;
  }
  return 0;
}

/* The values of each step once it is stored, on the critic's second view
 * (the steps use the first for truncated episodes' final values). */
static int follow_steps(collection *c) {
  for (int t = 0; t < c->o->n_steps; t++) {
    int stored, r = 0;
    while ((stored = atomic_load_explicit(&c->stored, memory_order_acquire)) <=
           t) {
      if (stored < 0)
        return 0; /* the steps' error is the one reported */
      crl__pool_spin(r++);
    }
    int rc = step_values(c->o, c->o->value_critic, t);
    if (rc)
      return rc;
  }
  return 0;
}

static int collection_task(void *ctx, int task) {
  return task == 0 ? run_steps(ctx) : follow_steps(ctx);
}

/* After the steps, the values of the first half of them and of the second
 * at once. */
static int values_half(void *ctx, int half) {
  crl__onp *o = ctx;
  const int mid = o->n_steps / 2;
  for (int t = half ? mid : 0; t < (half ? o->n_steps : mid); t++) {
    int rc = step_values(o, half ? o->value_critic : o->ac->critic, t);
    if (rc)
      return rc;
  }
  return 0;
}

/* The steps and their values. The values follow the steps on a second
 * thread while the steps run, unless the env copies' steps are themselves
 * tasks on the threads (CRL_ENV_PARALLEL_STEP), which a task cannot hand
 * out: then the values come after the steps, in two halves at once. */
static int collect_rollout(crl__onp *o, crl_vec_env *venv, double gamma) {
  collection c = {o, venv, gamma, 0};
  if (!crl__vec_env_steps_on_threads(venv))
    return crl__pool_each(2, collection_task, &c);
  int rc = run_steps(&c);
  return rc ? rc : crl__pool_each(2, values_half, o);
}

int crl__onp_collect(crl__onp *o, crl_vec_env *venv, double gamma,
                     double lambda) {
  crl_real *obs_norm = o->rows.obs_norm, *values = o->last_values;
  crl_rollout_clear(o->ro);
  int rc = collect_rollout(o, venv, gamma);
  if (rc)
    return rc;
  crl__ac_normalize(o->ac, crl_vec_env_obs(venv), o->n_envs, obs_norm, 0);
  rc = crl__ac_critic_forward(o->ac, obs_norm, o->n_envs, values);
  if (rc)
    return rc;
  return crl_rollout_compute_gae(o->ro, values, gamma, lambda);
}

int crl__onp_act(crl__onp *o, const crl_real *obs, int B, int deterministic,
                 crl_real *action) {
  const int cap = o->n_envs; /* the scratch rows */
  for (int start = 0; start < B; start += cap) {
    int b = B - start < cap ? B - start : cap;
    crl__ac_normalize(o->ac, obs + (size_t)start * o->obs_dim, b,
                      o->rows.obs_norm, 0);
    int rc = crl__ac_actor_forward(o->ac, o->rows.obs_norm, b, o->rows.dist);
    if (rc)
      return rc;
    crl__ac_sample(o->ac, o->rows.dist, b, deterministic, o->act_rng,
                   action + (size_t)start * o->act_dim);
  }
  return 0;
}

double crl__onp_explained_variance(const crl_rollout *ro) {
  size_t n = (size_t)ro->n_steps * ro->n_envs;
  double my = 0, md = 0;
  for (size_t k = 0; k < n; k++) {
    my += ro->returns[k];
    md += ro->returns[k] - ro->values[k];
  }
  my /= n;
  md /= n;
  double vy = 0, vd = 0;
  for (size_t k = 0; k < n; k++) {
    double y = ro->returns[k] - my;
    double d = ro->returns[k] - ro->values[k] - md;
    vy += y * y;
    vd += d * d;
  }
  return vy == 0.0 ? NAN : 1.0 - vd / vy;
}

int crl__onp_check_finite(const crl__onp *o, const char *what, double x) {
  if (isfinite(x))
    return 0;
  return crl_fail(CRL_ENONFINITE, "%s: %s is not finite", o->name, what);
}

/* ---- checkpoints and export ---------------------------------------------- */

int crl__onp_sections(void *obj, crl_state_io *io) {
  crl__onp *o = obj;
  crl__ac *ac = o->ac;
  /* The running returns only exist with reward scaling (ret_norm). */
  const crl_state_item items[] = {
      CRL_STATE(REAL, "params", ac->params, ac->n_params, 0),
      CRL_STATE_OBJ("norm", crl_normalizer_sections, ac->norm),
      CRL_STATE_OBJ("ret_norm", crl_normalizer_sections, o->ret_norm),
      CRL_STATE(F64, "ret", o->ret_norm ? o->ret : NULL, (size_t)o->n_envs,
                CRL_STATE_FINITE),
      CRL_STATE_OBJ("act_rng", crl_rng_sections, o->act_rng),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl__onp_export(crl__onp *o, int max_batch, crl_policy **out) {
  crl__ac *ac = o->ac;
  return crl__policy_from_parts(
      ac->actor, ac->norm, &ac->act_space,
      ac->discrete ? CRL_POLICY_ARGMAX : CRL_POLICY_CLIP, max_batch, out);
}
