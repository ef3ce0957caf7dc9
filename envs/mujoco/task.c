/* The env vtable every Gymnasium task shares (task.h), and the helpers the
 * tasks have in common: control cost, range checks, reset noise, model
 * checks whose errors name the file.
 *
 * Init loads the model (the adapter's lookup and guarded loader), checks
 * that every actuator has a ctrlrange (the action space is the ctrlrange,
 * as in Gymnasium), lets the task check the model and size the
 * observation, and allocates what reset and step need. Reset and step
 * follow Gymnasium's MujocoEnv: mj_resetData, the task's noise, mj_forward;
 * ctrl = action, frame_skip mj_steps, mj_rnePostConstraint when the task
 * reads contact forces. A step in which MuJoCo found the simulation
 * unstable (it resets mjData itself) ends the episode with reward 0, as
 * the adapter does. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/bufs.h"
#include "crl/error.h"
#include "mujoco_internal.h"
#include "task.h"

/* ---- helpers the tasks share --------------------------------------------- */

double crl__mj_ctrl_cost(double weight, const double *a, int n) {
  double sq = 0.0;
  for (int j = 0; j < n; j++)
    sq += a[j] * a[j];
  return weight * sq;
}

int crl__mj_in_range(double x, const crl_real_list *range, int inclusive) {
  double lo = range->v[0], hi = range->v[1];
  return inclusive ? lo <= x && x <= hi : lo < x && x < hi;
}

/* Gymnasium: base + np_random.uniform(low=-s, high=s, size=n), or
 * base + s * np_random.standard_normal(n). */
void crl__mj_noise(gsl_rng *rng, double *out, const double *base, int n,
                   double s, int normal) {
  for (int i = 0; i < n; i++) {
    double b = base != NULL ? base[i] : 0.0;
    out[i] = normal ? b + s * gsl_ran_gaussian(rng, 1.0)
                    : b + (-s + (s - -s) * gsl_rng_uniform(rng));
  }
}

int crl__mj_check_range(const mj_task_env *e, const char *key,
                        const crl_real_list *r) {
  if (r->n != 2 || !(r->v[0] <= r->v[1]))
    return crl_fail(CRL_ERANGE,
                    "env '%s': setting %s needs [low, high] with low <= high",
                    e->task->name, key);
  return 0;
}

int crl__mj_fail_model(const mj_task_env *e, const char *path, const char *fmt,
                       ...) {
  char what[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return crl_fail(CRL_EINVAL, "env '%s': model '%s' (setting xml_file): %s",
                  e->task->name, path, what);
}

static const char *joint_type_name(int type) {
  switch (type) {
  case mjJNT_FREE:
    return "free";
  case mjJNT_BALL:
    return "ball";
  case mjJNT_SLIDE:
    return "slide";
  default:
    return "hinge";
  }
}

int crl__mj_check_joint(const mj_task_env *e, const char *path, int j, int type,
                        int axis) {
  const mjModel *m = e->m;
  static const char *const axes = "xyz";
  if (j >= m->njnt)
    return crl__mj_fail_model(e, path,
                              "has %d joints, the task needs a %s "
                              "joint at %d",
                              m->njnt, joint_type_name(type), j);
  const double *a = m->jnt_axis + 3 * j;
  int along = axis < 0 || (a[axis] != 0.0 && a[(axis + 1) % 3] == 0.0 &&
                           a[(axis + 2) % 3] == 0.0);
  if (m->jnt_type[j] != type || !along) {
    const char *name = mj_id2name(m, mjOBJ_JOINT, j);
    return crl__mj_fail_model(
        e, path, "joint %d (%s) is a %s joint, the task needs a %s joint%s%c",
        j, name ? name : "unnamed", joint_type_name(m->jnt_type[j]),
        joint_type_name(type), axis < 0 ? "" : " along ",
        axis < 0 ? ' ' : axes[axis]);
  }
  return 0;
}

int crl__mj_body(const mj_task_env *e, const char *path, const char *key,
                 const char *name) {
  char *end;
  long id = strtol(name, &end, 10);
  if (end != name && *end == '\0') {
    if (id < 0 || id >= e->m->nbody)
      return crl_fail(CRL_ERANGE,
                      "env '%s': setting %s: body %ld is not in model '%s' "
                      "(it has %d bodies)",
                      e->task->name, key, id, path, e->m->nbody);
    return (int)id;
  }
  int b = mj_name2id(e->m, mjOBJ_BODY, name);
  if (b < 0)
    return crl_fail(CRL_ENOTFOUND,
                    "env '%s': model '%s' has no body '%s' (setting %s)",
                    e->task->name, path, name, key ? key : "xml_file");
  return b;
}

/* ---- init and fini ------------------------------------------------------- */

static int load_model(mj_task_env *e, char *path, size_t size) {
  int rc = crl__mj_resolve_model(e->kw.xml_file, path, size);
  rc = rc ? rc : crl__mj_load(path, &e->m);
  if (rc) {
    char why[512];
    snprintf(why, sizeof why, "%s", crl_last_error());
    return crl_fail(rc, "env '%s' (setting xml_file): %s", e->task->name, why);
  }
  return 0;
}

/* The action space is each actuator's ctrlrange, so every one needs it. */
static int check_actuators(const mj_task_env *e, const char *path) {
  const mjModel *m = e->m;
  if (m->nu < 1)
    return crl__mj_fail_model(e, path, "has no actuators");
  for (int u = 0; u < m->nu; u++)
    if (!m->actuator_ctrllimited[u]) {
      const char *name = mj_id2name(m, mjOBJ_ACTUATOR, u);
      return crl__mj_fail_model(e, path,
                                "actuator %d (%s) has no ctrlrange; give it "
                                "ctrllimited=\"true\" ctrlrange=\"low high\"",
                                u, name ? name : "unnamed");
    }
  return 0;
}

static int check_state_size(const mj_task_env *e, const char *path) {
  if (e->declared_state_dim < 0)
    return 0; /* configure is sizing the type */
  int want = e->declared_state_dim ? e->declared_state_dim : e->task->state_dim;
  int have = crl__mj_task_state_size(e->m, e->task->extra);
  if (have != want)
    return crl__mj_fail_model(
        e, path,
        "its state has %d values where the env type declares %d; name the "
        "file in env_kwargs (xml_file) so that the type is sized from it",
        have, want);
  return 0;
}

static int alloc_buffers(mj_task_env *e) {
  int nu = e->m->nu, no = e->obs_dim;
  crl__buf bufs[] = {
      {(void **)&e->act_lo, CRL__BUF_DOUBLE, (size_t)nu}, /* [nu] */
      {(void **)&e->act_hi, CRL__BUF_DOUBLE, (size_t)nu}, /* [nu] */
      {(void **)&e->obs_lo, CRL__BUF_DOUBLE, (size_t)no}, /* [obs_dim] */
      {(void **)&e->obs_hi, CRL__BUF_DOUBLE, (size_t)no}, /* [obs_dim] */
      {(void **)&e->action, CRL__BUF_DOUBLE, (size_t)nu}, /* [nu] */
  };
  int rc = crl__bufs_alloc(bufs, CRL__COUNT(bufs), &e->block, e->task->name);
  if (rc)
    return rc;
  for (int u = 0; u < nu; u++) {
    e->act_lo[u] = e->m->actuator_ctrlrange[2 * u];
    e->act_hi[u] = e->m->actuator_ctrlrange[2 * u + 1];
  }
  for (int i = 0; i < no; i++) {
    e->obs_lo[i] = -INFINITY;
    e->obs_hi[i] = INFINITY;
  }
  return 0;
}

/* On failure the env handle (or configure) calls fini. */
int crl__mj_task_init(void *self, const mj_task *task, crl_space *obs,
                      crl_space *act) {
  mj_task_env *e = self;
  e->task = task;
  char path[4096];
  int rc = load_model(e, path, sizeof path);
  rc = rc ? rc : check_actuators(e, path);
  rc = rc ? rc : check_state_size(e, path);
  if (rc)
    return rc;
  int n = task->check(e, path);
  if (n < 0)
    return n;
  e->obs_dim = n;
  rc = alloc_buffers(e);
  rc = rc ? rc : crl__mj_make_data(e->m, &e->d);
  if (rc)
    return rc;
  e->dt = e->m->opt.timestep * e->kw.frame_skip;
  e->keys = NULL;
  e->n_keys = 0;
  *obs = (crl_space){CRL_SPACE_BOX, e->obs_dim, 0, e->obs_lo, e->obs_hi};
  *act = (crl_space){CRL_SPACE_BOX, e->m->nu, 0, e->act_lo, e->act_hi};
  return 0;
}

void crl__mj_task_fini(void *self) {
  mj_task_env *e = self;
  if (e->d != NULL)
    mj_deleteData(e->d);
  if (e->m != NULL)
    mj_deleteModel(e->m);
  free(e->block);
  e->d = NULL;
  e->m = NULL;
  e->block = NULL;
}

/* ---- reset, step, observe ------------------------------------------------ */

static void mark_broken(mj_task_env *e) {
  e->broken = 1;
  snprintf(e->why, sizeof e->why, "%s", crl_last_error());
}

int crl__mj_task_reset(void *self, gsl_rng *rng) {
  mj_task_env *e = self;
  mj_resetData(e->m, e->d);
  e->task->reset(e, rng);
  int rc = crl__mj_forward(e->m, e->d);
  if (rc) {
    mark_broken(e);
    return rc;
  }
  e->broken = 0;
  memset(e->info, 0, sizeof e->info);
  e->task->reset_info(e);
  e->keys = e->task->reset_keys;
  e->n_keys = e->task->n_reset_keys;
  return 0;
}

/* Check the whole action before touching ctrl: a rejected action changes
 * nothing. Gymnasium passes the action to ctrl as it is. */
static int apply_action(mj_task_env *e, const crl_real *action) {
  int nu = e->m->nu;
  for (int j = 0; j < nu; j++)
    if (isnan(action[j]))
      return crl_fail(CRL_EINVAL, "env '%s': action[%d] is NaN", e->task->name,
                      j);
  for (int j = 0; j < nu; j++) {
    e->action[j] = (double)action[j];
    e->d->ctrl[j] = e->action[j];
  }
  return 0;
}

int crl__mj_task_step(void *self, const crl_real *action, double *reward,
                      int *terminated) {
  mj_task_env *e = self;
  if (e->broken)
    return crl_fail(CRL_ESTATE,
                    "env '%s': reset after the earlier failure (%s)",
                    e->task->name, e->why);
  int rc = apply_action(e, action);
  if (rc)
    return rc;
  e->task->before(e);
  int unstable = crl__mj_unstable_count(e->d);
  rc = crl__mj_step(e->m, e->d, e->kw.frame_skip);
  if (rc == 0 && e->task->needs_rne)
    rc = crl__mj_rne_post(e->m, e->d);
  if (rc) {
    mark_broken(e);
    return rc;
  }
  memset(e->info, 0, sizeof e->info);
  e->keys = e->task->step_keys;
  e->n_keys = e->task->n_step_keys;
  if (crl__mj_unstable_count(e->d) != unstable) {
    /* The simulation blew up and MuJoCo restarted it: end the episode. */
    *reward = 0.0;
    *terminated = 1;
    return 0;
  }
  *terminated = 0;
  *reward = e->task->score(e, e->action, terminated);
  return 0;
}

void crl__mj_task_observe(const void *self, crl_real *obs) {
  const mj_task_env *e = self;
  e->task->observe(e, obs);
}

/* ---- state --------------------------------------------------------------- */

/* The MJ_X_* arrays, in bit order: length and place. */
enum { N_EXTRA = 8 };

static int extra_len(const mjModel *m, int i) {
  const int n[N_EXTRA] = {3 * m->nbody,  3 * m->nbody, 3 * m->nsite,
                          10 * m->nbody, 6 * m->nbody, m->nv,
                          6 * m->nbody,  m->nv};
  return n[i];
}

static mjtNum *extra_ptr(mjData *d, int i) {
  mjtNum *p[N_EXTRA] = {d->xpos,     d->xipos,          d->site_xpos,
                        d->cinert,   d->cvel,           d->qfrc_actuator,
                        d->cfrc_ext, d->qfrc_constraint};
  return p[i];
}

int crl__mj_task_state_size(const mjModel *m, int extra) {
  int n = crl__mj_state_size(m);
  for (int i = 0; i < N_EXTRA; i++)
    if (extra & (1 << i))
      n += extra_len(m, i);
  return n;
}

void crl__mj_task_get_state(const void *self, double *state) {
  const mj_task_env *e = self;
  crl__mj_state_get(e->m, e->d, state);
  state += crl__mj_state_size(e->m);
  for (int i = 0; i < N_EXTRA; i++) {
    int n = extra_len(e->m, i);
    if ((e->task->extra & (1 << i)) && n > 0) {
      memcpy(state, extra_ptr(e->d, i), (size_t)n * sizeof(double));
      state += n;
    }
  }
}

/* The physics continues bit for bit from the state (qacc_warmstart
 * included); mj_forward makes the rest of mjData consistent, and then the
 * state and the arrays the task reads are put back as they were. */
void crl__mj_task_set_state(void *self, const double *state) {
  mj_task_env *e = self;
  crl__mj_state_put(e->m, e->d, state);
  e->broken = 0;
  if (crl__mj_forward(e->m, e->d) != 0) {
    mark_broken(e);
    return;
  }
  /* mj_forward wrote qacc_warmstart (the solver's start for the next
   * step) and normalised the root quaternion in qpos: the state goes back
   * as it was saved, so that the next mj_step starts where the original
   * did. */
  crl__mj_state_copy_in(e->m, e->d, state);
  state += crl__mj_state_size(e->m);
  for (int i = 0; i < N_EXTRA; i++) {
    int n = extra_len(e->m, i);
    if ((e->task->extra & (1 << i)) && n > 0) {
      memcpy(extra_ptr(e->d, i), state, (size_t)n * sizeof(double));
      state += n;
    }
  }
}

/* ---- configured types ---------------------------------------------------- */

int crl__mj_is_task(const crl_env_type *type) {
  return type != NULL && type->reset == crl__mj_task_reset;
}

/* A type with env_kwargs: load the model once with them, to check them and
 * to size the state from the model (which xml_file may have changed), and
 * take the TimeLimit from max_episode_steps. */
int crl__mj_task_configure(crl_env_type *type, void *self_template) {
  mj_task_env *t = self_template;
  mj_task_env *probe = malloc(sizeof *probe);
  if (probe == NULL)
    return crl_fail(CRL_ENOMEM, "env '%s': out of memory", type->name);
  memcpy(probe, t, sizeof *probe);
  probe->declared_state_dim = -1; /* any: the probe learns it */
  crl_space obs, act;
  int rc = type->init(probe, &obs, &act);
  if (rc == 0) {
    t->declared_state_dim =
        crl__mj_task_state_size(probe->m, probe->task->extra);
    type->state_dim = t->declared_state_dim;
    type->max_episode_steps = t->kw.max_episode_steps;
  }
  crl__mj_task_fini(probe);
  free(probe);
  return rc;
}
