/* The off-policy loop: step, store, sample, update (see offpolicy.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "crl/rng.h"
#include "rl/offpolicy.h"
#include "rl/ret_scale.h"
#include "rl/shards.h"

int crl__offpolicy_check_spaces(const char *name, const crl_space *obs,
                                const crl_space *act) {
  if (act->kind != CRL_SPACE_BOX)
    return crl_fail(CRL_EUNSUPPORTED,
                    "%s: needs a continuous (Box) action space; this env's "
                    "actions are Discrete(%d) (use ppo for discrete actions)",
                    name, act->n);
  if (obs->kind != CRL_SPACE_BOX)
    return crl_fail(CRL_EUNSUPPORTED,
                    "%s: needs a Box observation space, got Discrete(%d)", name,
                    obs->n);
  for (int j = 0; j < act->dim; j++)
    if (!isfinite(act->low[j]) || !isfinite(act->high[j]) ||
        !(act->low[j] < act->high[j]))
      return crl_fail(CRL_EUNSUPPORTED,
                      "%s: action bound %d is [%g, %g]; tanh policies need "
                      "finite bounds with low < high",
                      name, j, act->low[j], act->high[j]);
  return 0;
}

int crl__offpolicy_check_spec(const char *name, const crl__offpolicy_spec *s) {
  if (s->batch_size > s->buffer_size)
    return crl_fail(CRL_EINVAL, "%s: batch_size %d exceeds buffer_size %d",
                    name, s->batch_size, s->buffer_size);
  if (s->noise_type < CRL_NOISE_NONE || s->noise_type > CRL_NOISE_OU)
    return crl_fail(CRL_EINVAL, "%s: unknown noise_type %d", name,
                    s->noise_type);
  return 0;
}

static int alloc_parts(crl__offpolicy *op, const crl_space *act,
                       uint64_t seed) {
  const size_t N = (size_t)op->n_envs, O = (size_t)op->obs_dim,
               A = (size_t)op->act_dim;
  const size_t W = (size_t)op->in_rows;
  const int norm = op->spec.normalize, scale = op->spec.normalize_reward;
  const crl__buf bufs[] = {
      {(void **)&op->act_low, CRL__BUF_DOUBLE, A},            /* [act_dim] */
      {(void **)&op->act_high, CRL__BUF_DOUBLE, A},           /* [act_dim] */
      {(void **)&op->obs, CRL__BUF_REAL, N * O},              /* [N, obs_dim] */
      {(void **)&op->actions, CRL__BUF_REAL, N * A},          /* [N, act_dim] */
      {(void **)&op->env_actions, CRL__BUF_REAL, N * A},      /* [N, act_dim] */
      {(void **)&op->noise_buf, CRL__BUF_REAL, N * A},        /* [N, act_dim] */
      {(void **)&op->next_obs, CRL__BUF_REAL, N * O},         /* [N, obs_dim] */
      {(void **)&op->ret, CRL__BUF_DOUBLE, scale ? N : 0},    /* [N] */
      {(void **)&op->ret_real, CRL__BUF_REAL, scale ? N : 0}, /* [N] */
      {(void **)&op->obs_in, CRL__BUF_REAL, norm ? W * O : 0}, /* [W, O] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &op->block, op->name);
  if (rc)
    return rc;
  op->act_rng = crl_rng_alloc(seed, CRL_STREAM_ACT);
  op->batch_rng = crl_rng_alloc(seed, CRL_STREAM_BATCH);
  if (!op->act_rng || !op->batch_rng)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", op->name);
  memcpy(op->act_low, act->low, A * sizeof(double));
  memcpy(op->act_high, act->high, A * sizeof(double));
  rc = op->spec.optimize_memory_usage
           ? crl_replay_alloc_compact(op->spec.buffer_size, op->obs_dim,
                                      op->act_dim, op->n_envs, &op->replay)
           : crl_replay_alloc(op->spec.buffer_size, op->obs_dim, op->act_dim,
                              &op->replay);
  if (rc == CRL_ENOMEM) /* name the setting that asked for it */
    crl_fail(rc, "buffer_size %d: %s", op->spec.buffer_size, crl_last_error());
  if (rc == 0)
    rc = crl_replay_batch_alloc(op->spec.batch_size, op->obs_dim, op->act_dim,
                                &op->batch);
  if (rc == 0)
    rc = crl_noise_alloc((crl_noise_kind)op->spec.noise_type, op->n_envs,
                         op->act_dim, op->spec.noise_std, &op->noise);
  if (rc == 0 && norm)
    rc = crl_normalizer_alloc(op->obs_dim, 10.0, &op->obs_norm);
  if (rc == 0 && scale)
    rc = crl_normalizer_alloc(1, 10.0, &op->ret_norm);
  return rc;
}

int crl__offpolicy_alloc(const crl__offpolicy_spec *spec, const char *name,
                         const crl_space *obs, const crl_space *act, int n_envs,
                         uint64_t seed, const crl__offpolicy_ops *ops,
                         void *algo, crl__offpolicy **out) {
  *out = NULL;
  int rc = crl__offpolicy_check_spaces(name, obs, act);
  if (rc == 0)
    rc = crl__offpolicy_check_spec(name, spec);
  if (rc)
    return rc;
  crl__offpolicy *op = calloc(1, sizeof *op);
  if (op == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  op->spec = *spec;
  op->ops = *ops;
  op->algo = algo;
  op->name = name;
  op->n_envs = n_envs;
  op->obs_dim = obs->dim;
  op->act_dim = act->dim;
  op->in_rows = spec->batch_size > n_envs ? spec->batch_size : n_envs;
  op->seed = seed;
  rc = alloc_parts(op, act, seed);
  if (rc) {
    crl__offpolicy_free(op);
    return rc;
  }
  *out = op;
  return 0;
}

void crl__offpolicy_free(crl__offpolicy *op) {
  if (op == NULL)
    return;
  crl_replay_free(op->replay);
  crl_replay_batch_free(op->batch);
  crl_noise_free(op->noise);
  crl_normalizer_free(op->obs_norm);
  crl_normalizer_free(op->ret_norm);
  if (op->act_rng)
    gsl_rng_free(op->act_rng);
  if (op->batch_rng)
    gsl_rng_free(op->batch_rng);
  free(op->avg);
  free(op->merge);
  free(op->block);
  free(op);
}

void crl__offpolicy_unscale(const crl__offpolicy *op, const crl_real *scaled,
                            int B, crl_real *out) {
  const int A = op->act_dim;
  for (int i = 0; i < B; i++)
    for (int j = 0; j < A; j++) {
      const size_t k = (size_t)i * A + j;
      const double lo = op->act_low[j], hi = op->act_high[j];
      out[k] = (crl_real)(lo + 0.5 * ((double)scaled[k] + 1.0) * (hi - lo));
    }
}

/* next_obs [N, obs_dim]: the observation after the step, or the true final
 * one where the copy's episode ended (it has been reset already). */
static void gather_next_obs(crl__offpolicy *op, crl_vec_env *venv) {
  const int *term = crl_vec_env_terminated(venv);
  const int *trunc = crl_vec_env_truncated(venv);
  const crl_real *now = crl_vec_env_obs(venv);
  const crl_real *fin = crl_vec_env_final_obs(venv);
  const size_t O = (size_t)op->obs_dim;
  for (int i = 0; i < op->n_envs; i++) {
    const crl_real *src = term[i] || trunc[i] ? fin : now;
    memcpy(op->next_obs + (size_t)i * O, src + (size_t)i * O,
           O * sizeof(crl_real));
  }
}

const crl_real *crl__offpolicy_input(crl__offpolicy *op, const crl_real *obs,
                                     int B) {
  if (op->obs_norm == NULL)
    return obs;
  crl_normalizer_apply(op->obs_norm, obs, B, op->obs_in);
  return op->obs_in;
}

/* A sampled batch as the update sees it: observations normalised and
 * rewards scaled with the statistics of now. */
static void normalize_batch(crl__offpolicy *op, crl_replay_batch *b) {
  if (op->obs_norm) {
    crl_normalizer_apply(op->obs_norm, b->obs, b->n, b->obs);
    crl_normalizer_apply(op->obs_norm, b->next_obs, b->n, b->next_obs);
  }
  if (op->ret_norm) {
    const double sd = crl__ret_std(op->ret_norm);
    for (int i = 0; i < b->n; i++)
      b->rewards[i] = (crl_real)crl__ret_scaled(b->rewards[i], sd);
  }
}

/* A running normaliser learns this step's rows x [N, dim]: alone, these;
 * in a group, every process's, gathered in rank order, so that every
 * process holds the same statistics. */
static int learn_rows(crl__offpolicy *op, crl_normalizer *norm,
                      const crl_real *x, int dim) {
  const crl_group *g = op->group;
  const int N = op->n_envs;
  if (g == NULL) {
    crl_normalizer_update(norm, x, N);
    return 0;
  }
  const size_t block = (size_t)N * (size_t)dim * sizeof(crl_real);
  memcpy((char *)op->merge + (size_t)g->rank * block, x, block);
  if (g->gather(g->ctx, op->merge, block) != 0)
    return crl_fail(CRL_EIO,
                    "%s: process %d could not gather the normaliser's rows "
                    "from the others",
                    op->name, g->rank);
  crl_normalizer_update(norm, op->merge, N * g->size);
  return 0;
}

/* One step of every copy: choose, perturb, step, store. */
static int collect_step(crl__offpolicy *op, crl_vec_env *venv) {
  const int N = op->n_envs, A = op->act_dim;
  memcpy(op->obs, crl_vec_env_obs(venv),
         (size_t)N * op->obs_dim * sizeof(crl_real));
  if (op->obs_norm) {
    int rc = learn_rows(op, op->obs_norm, op->obs, op->obs_dim);
    if (rc)
      return rc;
  }
  if (op->num_timesteps < op->spec.learning_starts) {
    crl_uniform_actions(N, A, op->act_rng, op->actions);
  } else {
    int rc = op->ops.explore(op->algo, crl__offpolicy_input(op, op->obs, N), N,
                             op->actions);
    if (rc)
      return rc;
  }
  if (op->spec.noise_type != CRL_NOISE_NONE) {
    crl_noise_sample(op->noise, op->act_rng, op->noise_buf);
    crl_noise_add_clip(N, A, op->noise_buf, op->actions);
  }
  crl__offpolicy_unscale(op, op->actions, N, op->env_actions);
  int rc = crl_vec_env_step(venv, op->env_actions);
  if (rc)
    return rc;
  gather_next_obs(op, venv);
  if (op->ret_norm) {
    crl__ret_advance(op->spec.gamma, N, crl_vec_env_rewards(venv), op->ret,
                     op->ret_real);
    rc = learn_rows(op, op->ret_norm, op->ret_real, 1);
    if (rc)
      return rc;
    crl__ret_end_episodes(N, crl_vec_env_terminated(venv),
                          crl_vec_env_truncated(venv), op->ret);
  }
  rc = crl_replay_add(op->replay, N, op->obs, op->actions,
                      crl_vec_env_rewards(venv), op->next_obs,
                      crl_vec_env_terminated(venv));
  if (rc)
    return rc;
  const int *term = crl_vec_env_terminated(venv);
  const int *trunc = crl_vec_env_truncated(venv);
  for (int i = 0; i < N; i++)
    if (term[i] || trunc[i])
      crl_noise_reset(op->noise, i);
  op->num_timesteps += N;
  return 0;
}

/* The cycle's gradient steps; -1: as many as the transitions it collected
 * (SB3's episode_timesteps). */
static int train(crl__offpolicy *op, long cycle_steps,
                 crl__offpolicy_losses *acc, int *n) {
  const long steps =
      op->spec.gradient_steps >= 0 ? op->spec.gradient_steps : cycle_steps;
  for (long g = 0; g < steps; g++) {
    int rc = crl_replay_sample(op->replay, op->batch_rng, op->batch);
    if (rc == 0) {
      normalize_batch(op, op->batch);
      rc = op->ops.update(op->algo, op->batch, acc);
    }
    if (rc)
      return rc;
    (*n)++;
  }
  return 0;
}

static double mean_or_nan(double sum, int n) {
  return n > 0 ? sum / n : NAN;
}

int crl__offpolicy_iterate(crl__offpolicy *op, crl_vec_env *venv,
                           crl_algo_stats *stats) {
  if (crl_vec_env_n(venv) != op->n_envs)
    return crl_fail(CRL_ESHAPE, "%s: built for %d env copies, got %d", op->name,
                    op->n_envs, crl_vec_env_n(venv));
  if (crl_vec_env_obs_space(venv)->dim != op->obs_dim ||
      crl_vec_env_act_space(venv)->dim != op->act_dim)
    return crl_fail(CRL_ESHAPE,
                    "%s: env spaces differ from the ones the "
                    "algorithm was built for",
                    op->name);
  crl__offpolicy_losses acc = {0};
  long collected = 0;
  int updates = 0;
  const int by_episodes = op->spec.train_freq_unit == 1;
  while (collected < op->spec.iteration_steps) {
    long cycle = 0;
    int episodes = 0;
    for (int t = 0;
         by_episodes ? episodes < op->spec.train_freq : t < op->spec.train_freq;
         t++) {
      if (op->ops.before_step != NULL)
        op->ops.before_step(op->algo, t);
      int rc = collect_step(op, venv);
      if (rc)
        return rc;
      cycle += op->n_envs;
      const int *term = crl_vec_env_terminated(venv);
      const int *trunc = crl_vec_env_truncated(venv);
      for (int i = 0; by_episodes && i < op->n_envs; i++)
        episodes += term[i] || trunc[i];
      if (t == INT_MAX - 1)
        return crl_fail(CRL_ESTATE,
                        "%s: no episode ended in %d steps (train_freq "
                        "counts episodes)",
                        op->name, INT_MAX);
    }
    collected += cycle;
    if (op->num_timesteps > op->spec.learning_starts) {
      int rc = train(op, cycle, &acc, &updates);
      if (rc)
        return rc;
    }
  }
  stats->steps = collected;
  stats->n_updates = updates;
  stats->value_loss = mean_or_nan(acc.critic_loss, acc.n_critic);
  stats->policy_loss = mean_or_nan(acc.actor_loss, acc.n_actor);
  stats->entropy = mean_or_nan(acc.entropy, acc.n_entropy);
  stats->ent_coef = mean_or_nan(acc.ent_coef, acc.n_ent_coef);
  return 0;
}

/* ---- checkpoints --------------------------------------------------------- */

crl_space crl__offpolicy_act_space(const crl__offpolicy *op) {
  crl_space s = {CRL_SPACE_BOX, op->act_dim, 0, op->act_low, op->act_high};
  return s;
}

int crl__offpolicy_sections(void *obj, crl_state_io *io) {
  crl__offpolicy *op = obj;
  const crl_state_item items[] = {
      CRL_STATE(LONG, "num_timesteps", &op->num_timesteps, 1, CRL_STATE_NONNEG),
      CRL_STATE_OBJ("replay", crl_replay_sections, op->replay),
      CRL_STATE_OBJ("noise", crl_noise_sections, op->noise),
      CRL_STATE_OBJ("act_rng", crl_rng_sections, op->act_rng),
      CRL_STATE_OBJ("batch_rng", crl_rng_sections, op->batch_rng),
      CRL_STATE_OBJ("obs_norm", crl_normalizer_sections, op->obs_norm),
      CRL_STATE_OBJ("ret_norm", crl_normalizer_sections, op->ret_norm),
      CRL_STATE(F64, "ret", op->ret_norm ? op->ret : NULL, (size_t)op->n_envs,
                CRL_STATE_FINITE),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

long crl__offpolicy_steps_per_iteration(const crl__offpolicy_spec *s,
                                        int n_envs) {
  if (s->train_freq_unit == 1)
    return 0; /* episodes: the steps are not known ahead */
  const long round = (long)s->train_freq * n_envs;
  return (s->iteration_steps + round - 1) / round * round;
}

/* ---- data parallel ------------------------------------------------------- */

/* rng becomes a fresh generator of stream `stream` under `seed`. */
static int reseed(gsl_rng **rng, uint64_t seed, uint64_t stream,
                  const char *name) {
  gsl_rng *fresh = crl_rng_alloc(seed, stream);
  if (fresh == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", name);
  gsl_rng_free(*rng);
  *rng = fresh;
  return 0;
}

int crl__offpolicy_set_group(crl__offpolicy *o, const crl_group *g) {
  if (g == NULL || g->size <= 1) {
    o->group = NULL;
    return 0;
  }
  if (o->spec.train_freq_unit == 1)
    return crl_fail(CRL_EUNSUPPORTED,
                    "%s: data parallel with train_freq in episodes: the "
                    "processes would take different numbers of gradient "
                    "steps; use train_freq in steps",
                    o->name);
  if (o->obs_norm || o->ret_norm) { /* the normalisers' gathered rows */
    const int dim = o->obs_dim > 1 ? o->obs_dim : 1;
    crl_real *m = realloc(o->merge, (size_t)g->size * (size_t)o->n_envs *
                                        (size_t)dim * sizeof *m);
    if (m == NULL)
      return crl_fail(CRL_ENOMEM, "%s: out of memory", o->name);
    o->merge = m;
  }
  const uint64_t seed = crl_group_seed(o->seed, g->rank);
  int rc = reseed(&o->act_rng, seed, CRL_STREAM_ACT, o->name);
  if (rc == 0)
    rc = reseed(&o->batch_rng, seed, CRL_STREAM_BATCH, o->name);
  if (rc)
    return rc;
  o->group = g;
  return 0;
}

int crl__offpolicy_rank_rng(const crl__offpolicy *o, gsl_rng **rng,
                            uint64_t stream) {
  if (o->group == NULL)
    return 0;
  return reseed(rng, crl_group_seed(o->seed, o->group->rank), stream, o->name);
}

int crl__offpolicy_average(crl__offpolicy *o, crl_real *grads, size_t n) {
  const crl_group *g = o->group;
  if (g == NULL)
    return 0;
  if (n > o->avg_n) { /* once per network: sizes do not change */
    double *a = realloc(o->avg, n * sizeof *a);
    if (a == NULL)
      return crl_fail(CRL_ENOMEM, "%s: out of memory", o->name);
    o->avg = a;
    o->avg_n = n;
  }
  for (size_t i = 0; i < n; i++)
    o->avg[i] = grads[i];
  int rc = crl__group_sum(g, o->avg, n, o->name);
  if (rc)
    return rc;
  for (size_t i = 0; i < n; i++)
    grads[i] = (crl_real)(o->avg[i] / g->size);
  return 0;
}
