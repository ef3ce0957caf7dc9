/* Compare the physics of two MJCF files: every physics array of the two
 * compiled mjModels (options, masses, inertias, body/geom/joint/site poses,
 * sizes, contact and solver parameters, actuators, tendons) bit for bit,
 * then a 3000-step trajectory of both under the same pseudo-random
 * controls (qpos and qvel bit for bit, cfrc_ext at the end). Used to check
 * experiments/mujoco/models/ against Gymnasium's assets (docs/mujoco.md):
 *
 *   cc -O2 scripts/mjcf_compare.c -o mjcf_compare -lmujoco
 *   ./mjcf_compare gymnasium/envs/mujoco/assets/hopper.xml \
 *                  experiments/mujoco/models/hopper.xml
 *
 * Exit status 0 when identical, 1 when they differ, 2 when one does not
 * load. Names and visuals are not compared; the order of bodies, geoms and
 * joints is (it is part of the compiled model). */
#include <mujoco/mujoco.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
static int bad;
static void cmp(const char *what, const mjtNum *a, const mjtNum *b, int n) {
  for (int i = 0; i < n; i++)
    if (memcmp(&a[i], &b[i], sizeof(mjtNum)) != 0) {
      printf("DIFF %s[%d]: %.17g vs %.17g\n", what, i, a[i], b[i]);
      bad++;
      return;
    }
}
static void cmpi(const char *what, const int *a, const int *b, int n) {
  for (int i = 0; i < n; i++)
    if (a[i] != b[i]) {
      printf("DIFF %s[%d]: %d vs %d\n", what, i, a[i], b[i]);
      bad++;
      return;
    }
}
static void cmpb(const char *what, const mjtByte *a, const mjtByte *b, int n) {
  for (int i = 0; i < n; i++)
    if (a[i] != b[i]) {
      printf("DIFF %s[%d]: %d vs %d\n", what, i, a[i], b[i]);
      bad++;
      return;
    }
}
#define N(f)                                                                   \
  if (a->f != b->f) {                                                          \
    printf("DIFF %s: %d vs %d\n", #f, (int)a->f, (int)b->f);                   \
    return 1;                                                                  \
  }
#define C(f, n) cmp(#f, a->f, b->f, (n))
#define CI(f, n) cmpi(#f, a->f, b->f, (n))
#define CB(f, n) cmpb(#f, a->f, b->f, (n))
int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s A.xml B.xml\n", argv[0]);
    return 2;
  }
  char err[1000];
  mjModel *a = mj_loadXML(argv[1], NULL, err, sizeof err);
  if (!a) {
    printf("A: %s\n", err);
    return 2;
  }
  mjModel *b = mj_loadXML(argv[2], NULL, err, sizeof err);
  if (!b) {
    printf("B: %s\n", err);
    return 2;
  }
  N(nq)
  N(nv) N(nu) N(na) N(nbody) N(njnt) N(ngeom) N(nsite) N(ntendon) N(nwrap)
      N(neq) N(nmocap) N(nsensor) N(nuserdata)
          printf("nq %d nv %d nu %d nbody %d ngeom %d nsite %d\n", a->nq, a->nv,
                 a->nu, a->nbody, a->ngeom, a->nsite);
  cmp("opt.timestep", &a->opt.timestep, &b->opt.timestep, 1);
  cmp("opt.gravity", a->opt.gravity, b->opt.gravity, 3);
  cmp("opt.wind", a->opt.wind, b->opt.wind, 3);
  cmp("opt.density", &a->opt.density, &b->opt.density, 1);
  cmp("opt.viscosity", &a->opt.viscosity, &b->opt.viscosity, 1);
  cmp("opt.o_margin", &a->opt.o_margin, &b->opt.o_margin, 1);
  cmp("opt.impratio", &a->opt.impratio, &b->opt.impratio, 1);
  cmp("opt.tolerance", &a->opt.tolerance, &b->opt.tolerance, 1);
  if (a->opt.integrator != b->opt.integrator || a->opt.cone != b->opt.cone ||
      a->opt.jacobian != b->opt.jacobian || a->opt.solver != b->opt.solver ||
      a->opt.iterations != b->opt.iterations ||
      a->opt.disableflags != b->opt.disableflags ||
      a->opt.enableflags != b->opt.enableflags) {
    printf("DIFF opt ints\n");
    bad++;
  }
  C(qpos0, a->nq);
  C(qpos_spring, a->nq);
  CI(body_parentid, a->nbody);
  CI(body_jntnum, a->nbody);
  CI(body_geomnum, a->nbody);
  C(body_pos, 3 * a->nbody);
  C(body_quat, 4 * a->nbody);
  C(body_ipos, 3 * a->nbody);
  C(body_iquat, 4 * a->nbody);
  C(body_mass, a->nbody);
  C(body_inertia, 3 * a->nbody);
  CI(jnt_type, a->njnt);
  CI(jnt_bodyid, a->njnt);
  CB(jnt_limited, a->njnt);
  C(jnt_range, 2 * a->njnt);
  C(jnt_pos, 3 * a->njnt);
  C(jnt_axis, 3 * a->njnt);
  C(jnt_stiffness, a->njnt);
  C(jnt_margin, a->njnt);
  C(jnt_solref, mjNREF * a->njnt);
  C(jnt_solimp, mjNIMP * a->njnt);
  C(dof_damping, a->nv);
  C(dof_armature, a->nv);
  C(dof_frictionloss, a->nv);
  CI(geom_type, a->ngeom);
  CI(geom_contype, a->ngeom);
  CI(geom_conaffinity, a->ngeom);
  CI(geom_condim, a->ngeom);
  CI(geom_bodyid, a->ngeom);
  C(geom_size, 3 * a->ngeom);
  C(geom_pos, 3 * a->ngeom);
  C(geom_quat, 4 * a->ngeom);
  C(geom_friction, 3 * a->ngeom);
  C(geom_solref, mjNREF * a->ngeom);
  C(geom_solimp, mjNIMP * a->ngeom);
  C(geom_solmix, a->ngeom);
  C(geom_margin, a->ngeom);
  C(geom_gap, a->ngeom);
  C(geom_rbound, a->ngeom);
  CI(geom_priority, a->ngeom);
  C(site_pos, 3 * a->nsite);
  CI(site_bodyid, a->nsite);
  CI(actuator_trntype, a->nu);
  CI(actuator_trnid, 2 * a->nu);
  CI(actuator_dyntype, a->nu);
  CI(actuator_gaintype, a->nu);
  CI(actuator_biastype, a->nu);
  C(actuator_gear, 6 * a->nu);
  CB(actuator_ctrllimited, a->nu);
  C(actuator_ctrlrange, 2 * a->nu);
  CB(actuator_forcelimited, a->nu);
  C(actuator_forcerange, 2 * a->nu);
  C(actuator_gainprm, mjNGAIN * a->nu);
  C(actuator_biasprm, mjNBIAS * a->nu);
  C(actuator_dynprm, mjNDYN * a->nu);
  if (a->ntendon) {
    C(tendon_stiffness, a->ntendon);
    C(tendon_damping, a->ntendon);
    C(tendon_range, 2 * a->ntendon);
    CI(wrap_type, a->nwrap);
    CI(wrap_objid, a->nwrap);
    C(wrap_prm, a->nwrap);
    CB(tendon_limited, a->ntendon);
  }
  /* trajectory with deterministic controls */
  mjData *da = mj_makeData(a), *db = mj_makeData(b);
  uint64_t s = 12345;
  for (int t = 0; t < 3000; t++) {
    for (int j = 0; j < a->nu; j++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      double u = ((s >> 11) * (1.0 / 9007199254740992.0)) * 2.4 - 1.2;
      da->ctrl[j] = db->ctrl[j] = u * a->actuator_ctrlrange[2 * j + 1];
    }
    mj_step(a, da);
    mj_step(b, db);
    if (memcmp(da->qpos, db->qpos, sizeof(mjtNum) * a->nq) ||
        memcmp(da->qvel, db->qvel, sizeof(mjtNum) * a->nv)) {
      printf("TRAJ DIFF at step %d (qpos0 %.17g vs %.17g)\n", t, da->qpos[0],
             db->qpos[0]);
      bad++;
      break;
    }
  }
  mj_rnePostConstraint(a, da);
  mj_rnePostConstraint(b, db);
  cmp("cfrc_ext", da->cfrc_ext, db->cfrc_ext, 6 * a->nbody);
  printf("ncon after 3000 steps: %d; qpos[0..2] %.6g %.6g %.6g\n", da->ncon,
         da->qpos[0], da->qpos[1], a->nq > 2 ? da->qpos[2] : 0.);
  printf(bad ? "MODELS DIFFER (%d)\n" : "IDENTICAL physics\n", bad);
  return bad != 0;
}
