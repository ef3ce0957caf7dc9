/* Train a two-link MuJoCo arm to reach a target, from C, with no YAML.
 *
 * The model is the project's experiments/mujoco/models/reacher.xml; the
 * task is written here with the MuJoCo adapter's callbacks, the way a
 * robotics engineer would describe their own robot:
 *   - observation: the arm's joint velocities (a built-in setting) plus,
 *     from a callback, cos and sin of both joint angles, the target's
 *     position and the fingertip-to-target vector (Gymnasium Reacher-v4's
 *     eleven values);
 *   - reward (callback): minus the fingertip's distance to the target minus
 *     the sum of squared controls;
 *   - reset (callback): the target drawn uniformly from the disc of radius
 *     0.2 around the shoulder.
 * PPO trains on 8 copies, the policy is exported for inference when the
 * algorithm supports it, and one episode is run with it.
 *
 * Usage: mujoco_reacher [reacher.xml [steps [policy file]]]
 * Exit status 0 when the trained policy beats the untrained one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <mujoco/mujoco.h>

#include "crl/crl.h"

/* Looked up once at registration; the same in every copy of the env. */
typedef struct reacher_ids {
  int fingertip, target;  /* bodies */
  int target_x, target_y; /* qpos addresses of the target's slide joints */
} reacher_ids;

static double distance(const mjData *d, const reacher_ids *id, double *vec) {
  double sq = 0.0;
  for (int k = 0; k < 3; k++) {
    vec[k] = d->xpos[3 * id->fingertip + k] - d->xpos[3 * id->target + k];
    sq += vec[k] * vec[k];
  }
  return sqrt(sq);
}

static double reward(const mjModel *m, const mjData *d, const double *action,
                     int *terminated, void *user) {
  (void)m;
  (void)action;
  (void)terminated; /* a reacher never ends early; the TimeLimit does */
  double vec[3], ctrl = d->ctrl[0] * d->ctrl[0] + d->ctrl[1] * d->ctrl[1];
  return -distance(d, user, vec) - ctrl;
}

static int reset(const mjModel *m, mjData *d, gsl_rng *rng, void *user) {
  (void)m;
  const reacher_ids *id = user;
  double x, y;
  do { /* rejection sampling, as Gymnasium does */
    x = -0.2 + 0.4 * gsl_rng_uniform(rng);
    y = -0.2 + 0.4 * gsl_rng_uniform(rng);
  } while (x * x + y * y >= 0.04);
  d->qpos[id->target_x] = x;
  d->qpos[id->target_y] = y;
  return 0;
}

static void observe(const mjModel *m, const mjData *d, double *out,
                    void *user) {
  (void)m;
  const reacher_ids *id = user;
  out[0] = cos(d->qpos[0]);
  out[1] = cos(d->qpos[1]);
  out[2] = sin(d->qpos[0]);
  out[3] = sin(d->qpos[1]);
  out[4] = d->qpos[id->target_x];
  out[5] = d->qpos[id->target_y];
  distance(d, id, out + 6);
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "mujoco_reacher: %s: %s (%s)\n", what, crl_errname(rc),
          crl_last_error());
  return 1;
}

static int find_ids(const char *model, reacher_ids *id) {
  char error[1000] = "";
  mjModel *m = mj_loadXML(model, NULL, error, sizeof error);
  if (m == NULL) {
    fprintf(stderr, "mujoco_reacher: %s: %s\n", model, error);
    return 1;
  }
  id->fingertip = mj_name2id(m, mjOBJ_BODY, "fingertip");
  id->target = mj_name2id(m, mjOBJ_BODY, "target");
  id->target_x = m->jnt_qposadr[mj_name2id(m, mjOBJ_JOINT, "target_x")];
  id->target_y = m->jnt_qposadr[mj_name2id(m, mjOBJ_JOINT, "target_y")];
  mj_deleteModel(m);
  return 0;
}

/* The arm's velocities from the adapter; the rest from observe(). The
 * target's reset noise is 0: reset() places it. */
static const char *const keys[] = {"frame_skip",       "max_episode_steps",
                                   "obs_qpos",         "obs_qvel",
                                   "reset_qpos_noise", "reset_qvel_noise"};
static const char *const values[] = {"2",
                                     "50",
                                     "none",
                                     "[shoulder, elbow]",
                                     "[0.1, 0.1, 0, 0]",
                                     "[0.005, 0.005, 0, 0]"};

/* PPO with RL Zoo's short horizon for Reacher (gamma 0.9) and small,
 * quick batches. */
static const char *const ppo_settings[] = {
    "n_steps",   "128",        "batch_size",
    "128",       "n_epochs",   "10",
    "gamma",     "0.9",        "learning_rate",
    "1e-3",      "clip_range", "0.3",
    "normalize", "true",       "policy_kwargs.log_std_init",
    "-1.0",      NULL};

static int make_ppo(crl_vec_env *venv, crl_algo **algo) {
  const crl_algo_type *t = crl_algo_find("ppo");
  void *spec = NULL;
  int rc = crl_algo_spec_alloc(t, &spec);
  for (int i = 0; rc == 0 && ppo_settings[i] != NULL; i += 2)
    rc = crl_algo_spec_set(t, spec, ppo_settings[i], ppo_settings[i + 1]);
  if (rc == 0)
    rc = crl_algo_alloc(t, spec, crl_vec_env_obs_space(venv),
                        crl_vec_env_act_space(venv), crl_vec_env_n(venv), 0,
                        algo);
  crl_algo_spec_free(spec);
  return rc;
}

static int train(crl_algo *algo, crl_vec_env *venv, long steps) {
  int rc = crl_vec_env_reset(venv);
  for (long done = 0; rc == 0 && done < steps;) {
    crl_algo_stats st;
    rc = crl_algo_iterate(algo, venv, 1.0 - (double)done / steps, &st);
    done += st.steps;
  }
  return rc;
}

/* One episode with the exported policy when there is one (what a robot
 * would run), else with the algorithm's deterministic action. Prints the
 * fingertip's distance to the target at the start and at the end. */
static int run_episode(crl_algo *algo, crl_policy *policy) {
  crl_env *env = NULL;
  int rc = crl_env_make("ReacherFromC", &env);
  if (rc)
    return rc;
  const mjModel *m;
  mjData *d;
  crl_mujoco_handles(env, &m, &d);
  int fingertip = mj_name2id(m, mjOBJ_BODY, "fingertip");
  int target = mj_name2id(m, mjOBJ_BODY, "target");
  crl_real obs[11], act[2];
  double r, ret = 0.0, start = 0.0;
  int term = 0, trunc = 0;
  crl_env_seed(env, 2024);
  rc = crl_env_reset(env, obs);
  for (int t = 0; rc == 0 && !term && !trunc; t++) {
    double dx = d->xpos[3 * fingertip] - d->xpos[3 * target];
    double dy = d->xpos[3 * fingertip + 1] - d->xpos[3 * target + 1];
    if (t == 0)
      start = sqrt(dx * dx + dy * dy);
    rc = policy ? crl_policy_act(policy, obs, act)
                : crl_algo_act(algo, obs, 1, 1, act);
    rc = rc ? rc : crl_env_step(env, act, obs, &r, &term, &trunc);
    ret += r;
  }
  double dx = d->xpos[3 * fingertip] - d->xpos[3 * target];
  double dy = d->xpos[3 * fingertip + 1] - d->xpos[3 * target + 1];
  if (rc == 0)
    printf("episode: return %.2f, fingertip %.3f m from the target at the "
           "start, %.3f m at the end\n",
           ret, start, sqrt(dx * dx + dy * dy));
  crl_env_free(env);
  return rc;
}

/* Export, save, reload: the file is what a controller would load. */
static int export_policy(crl_algo *algo, const char *path, crl_policy **out) {
  crl_policy *p = NULL;
  int rc = crl_algo_export_policy(algo, 1, &p);
  if (rc == CRL_EUNSUPPORTED) {
    printf("policy export: %s; running the episode with crl_algo_act\n",
           crl_last_error());
    return 0;
  }
  rc = rc ? rc : crl_policy_save(p, path);
  crl_policy_free(p);
  rc = rc ? rc : crl_policy_load(path, 1, out);
  if (rc == 0)
    printf("policy saved to %s and reloaded\n", path);
  return rc;
}

int main(int argc, char **argv) {
  const char *model = argc > 1 ? argv[1] : "reacher.xml";
  long steps = argc > 2 ? atol(argv[2]) : 60000;
  const char *policy_path = argc > 3 ? argv[3] : "mujoco_reacher.crlp";
  static reacher_ids ids;
  if (find_ids(model, &ids))
    return 1;
  crl_mujoco_spec spec = {.model = model,
                          .n_settings = 6,
                          .keys = keys,
                          .values = values,
                          .reward = reward,
                          .reset = reset,
                          .obs_extra = 9,
                          .observe = observe,
                          .user = &ids};
  int rc = crl_mujoco_register("ReacherFromC", &spec);
  if (rc)
    return fail("register", rc);

  crl_vec_env *venv = NULL;
  crl_algo *algo = NULL;
  crl_policy *policy = NULL;
  double before = 0, after = 0, sd = 0;
  rc = crl_vec_env_make("ReacherFromC", 8, 0, &venv);
  rc = rc ? rc : make_ppo(venv, &algo);
  rc = rc ? rc : crl_evaluate(algo, "ReacherFromC", 20, 1, &before, &sd, NULL);
  rc = rc ? rc : train(algo, venv, steps);
  rc = rc ? rc : crl_evaluate(algo, "ReacherFromC", 20, 1, &after, &sd, NULL);
  if (rc == 0)
    printf("PPO, %ld steps: eval return %.2f +- %.2f (untrained %.2f)\n", steps,
           after, sd, before);
  rc = rc ? rc : export_policy(algo, policy_path, &policy);
  rc = rc ? rc : run_episode(algo, policy);
  crl_policy_free(policy);
  crl_algo_free(algo);
  crl_vec_env_free(venv);
  if (rc)
    return fail("training", rc);
  return after > before + 1.0 ? 0 : 1;
}
