/* The state of a MuJoCo simulation as doubles, shared by the adapter and the
 * Gymnasium tasks: time, qpos, qvel, act, ctrl, qacc_warmstart, mocap_pos,
 * mocap_quat, userdata. qacc_warmstart makes a restored simulation continue
 * bit for bit when constraints are active (the solver starts from it); ctrl
 * and userdata make sensors and callbacks see what the original saw. */
#include <string.h>

#include "mujoco_internal.h"

/* Where each part lives in mjData and how many numbers it has. */
typedef struct state_part {
  mjtNum *p;
  int n;
} state_part;
enum { N_STATE_PARTS = 9 };

static void state_parts(const mjModel *m, mjData *d, state_part *parts) {
  state_part all[N_STATE_PARTS] = {{&d->time, 1},
                                   {d->qpos, m->nq},
                                   {d->qvel, m->nv},
                                   {d->act, m->na},
                                   {d->ctrl, m->nu},
                                   {d->qacc_warmstart, m->nv},
                                   {d->mocap_pos, 3 * m->nmocap},
                                   {d->mocap_quat, 4 * m->nmocap},
                                   {d->userdata, m->nuserdata}};
  memcpy(parts, all, sizeof all);
}

int crl__mj_state_size(const mjModel *m) {
  return 1 + m->nq + 2 * m->nv + m->na + m->nu + 7 * m->nmocap + m->nuserdata;
}

void crl__mj_state_get(const mjModel *m, const mjData *d, double *state) {
  state_part parts[N_STATE_PARTS];
  state_parts(m, (mjData *)d, parts); /* read only */
  for (int i = 0; i < N_STATE_PARTS; i++) {
    if (parts[i].n > 0) /* empty parts may be NULL */
      memcpy(state, parts[i].p, (size_t)parts[i].n * sizeof(double));
    state += parts[i].n;
  }
}

void crl__mj_state_copy_in(const mjModel *m, mjData *d, const double *state) {
  state_part parts[N_STATE_PARTS];
  state_parts(m, d, parts);
  for (int i = 0; i < N_STATE_PARTS; i++) {
    if (parts[i].n > 0)
      memcpy(parts[i].p, state, (size_t)parts[i].n * sizeof(double));
    state += parts[i].n;
  }
}

/* Into a clean mjData (mj_resetData also clears what a failed step may
 * have left behind); the caller runs mj_forward. */
void crl__mj_state_put(const mjModel *m, mjData *d, const double *state) {
  mj_resetData(m, d);
  crl__mj_state_copy_in(m, d, state);
}

/* MuJoCo resets mjData itself when qpos, qvel or qacc go bad, and counts
 * it in the warning statistics. */
int crl__mj_unstable_count(const mjData *d) {
  return d->warning[mjWARN_BADQPOS].number + d->warning[mjWARN_BADQVEL].number +
         d->warning[mjWARN_BADQACC].number;
}
