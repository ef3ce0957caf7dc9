/* GRPO's groups of episodes and their group-relative advantages (see
 * grpo.c). */
#include <math.h>
#include <string.h>

#include "crl/error.h"
#include "crl/rng.h"
#include "grpo.h"
#include "rl/onpolicy.h"
#include "rl/pg_loss.h"

/* Act in the current observation, step, store the row; *done at the end
 * of the episode (terminated or cut by the time limit: without a critic
 * there is nothing to bootstrap from, so a cut episode's return is what it
 * collected). */
static int collect_step(grpo *g, crl_vec_env *venv, int *done) {
  if (g->n >= g->cap)
    return crl_fail(CRL_ESHAPE,
                    "%s: the episodes of one iteration exceed buffer_size "
                    "= %d steps; raise buffer_size",
                    g->name, g->cap);
  const size_t t = (size_t)g->n, O = (size_t)g->obs_dim;
  const size_t A = (size_t)g->act_dim, K = (size_t)g->n_out;
  /* The row is stored as the collector's step writes it (no normaliser, no
   * critic: the observation is copied and no value is computed). */
  const crl__onp_rows row = {.obs_norm = g->obs + t * O,
                             .dist = g->dist_ref + t * K,
                             .values = NULL,
                             .actions = g->act + t * A,
                             .logp = g->logp_ref + t,
                             .env_actions = g->env_action};
  int rc = crl__onp_sample(g->ac, crl_vec_env_obs(venv), 1, g->act_rng, &row);
  if (rc == 0)
    rc = crl_vec_env_step(venv, g->env_action);
  if (rc)
    return rc;
  g->rewards[t] = crl_vec_env_rewards(venv)[0];
  g->n++;
  *done = crl_vec_env_terminated(venv)[0] || crl_vec_env_truncated(venv)[0];
  return 0;
}

/* One episode from the initial state that `seed` gives: the copy's reset
 * generator is re-seeded, as Gymnasium's reset(seed=seed), so every episode
 * of a group starts in the same state. */
static int run_episode(grpo *g, crl_vec_env *venv, uint64_t seed) {
  crl_env_seed(crl_vec_env_get(venv, 0), seed);
  int rc = crl_vec_env_reset(venv);
  int done = 0;
  while (rc == 0 && !done)
    rc = collect_step(g, venv, &done);
  return rc;
}

int grpo_collect(grpo *g, crl_vec_env *venv) {
  const int G = g->spec.group_size;
  g->n = 0;
  if (!g->ac->discrete)
    memcpy(g->log_std_ref, g->ac->log_std,
           (size_t)g->act_dim * sizeof *g->log_std_ref);
  int e = 0;
  for (int k = 0; k < g->spec.n_groups; k++) {
    uint64_t seed =
        crl_seed_derive(g->group_base, (uint64_t)g->groups_done + (uint64_t)k);
    for (int m = 0; m < G; m++) {
      g->ep_start[e++] = g->n;
      int rc = run_episode(g, venv, seed);
      if (rc)
        return rc;
    }
  }
  g->ep_start[e] = g->n;
  g->groups_done += g->spec.n_groups;
  return 0;
}

/* ---- advantages ---------------------------------------------------------- */

/* x [n] standardised within its group (torch's unbiased std; without
 * scale only centred). A single value (or none) has nothing to be compared
 * with: it gets 0. */
static void standardize(double *x, int n, int scale) {
  if (n < 2) {
    for (int i = 0; i < n; i++)
      x[i] = 0.0;
    return;
  }
  crl__pg_standardize_f64(x, (size_t)n, 1, scale);
}

/* Every step of episode j gets its episode's standardised return. */
static void episode_advantages(grpo *g, const int *ep) {
  const int G = g->spec.group_size;
  for (int j = 0; j < G; j++) {
    double R = 0.0;
    for (int t = ep[j]; t < ep[j + 1]; t++)
      R += g->rewards[t];
    g->group_vals[j] = R;
  }
  standardize(g->group_vals, G, g->spec.scale_by_std);
  for (int j = 0; j < G; j++)
    for (int t = ep[j]; t < ep[j + 1]; t++)
      g->adv[t] = (crl_real)g->group_vals[j];
}

/* Step t of episode j gets its reward-to-go standardised against the
 * reward-to-go at step t of the group's episodes that are still running. */
static void reward_to_go_advantages(grpo *g, const int *ep) {
  const int G = g->spec.group_size;
  const double gamma = g->spec.gamma;
  int longest = 0;
  for (int j = 0; j < G; j++) {
    double Gt = 0.0;
    for (int t = ep[j + 1] - 1; t >= ep[j]; t--) {
      Gt = g->rewards[t] + gamma * Gt;
      g->adv[t] = (crl_real)Gt;
    }
    if (ep[j + 1] - ep[j] > longest)
      longest = ep[j + 1] - ep[j];
  }
  int *alive = g->alive;
  for (int t = 0; t < longest; t++) {
    int n = 0;
    for (int j = 0; j < G; j++)
      if (ep[j] + t < ep[j + 1]) {
        alive[n] = j;
        g->group_vals[n++] = (double)g->adv[ep[j] + t];
      }
    standardize(g->group_vals, n, g->spec.scale_by_std);
    for (int i = 0; i < n; i++)
      g->adv[ep[alive[i]] + t] = (crl_real)g->group_vals[i];
  }
}

void grpo_advantages(grpo *g) {
  const int G = g->spec.group_size;
  for (int k = 0; k < g->spec.n_groups; k++) {
    const int *ep = g->ep_start + (size_t)k * G;
    if (g->spec.advantage == GRPO_ADV_REWARD_TO_GO)
      reward_to_go_advantages(g, ep);
    else
      episode_advantages(g, ep);
  }
}
