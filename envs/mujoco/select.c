/* MuJoCo settings that name parts of a model: index lists ("all", "none",
 * "[0, 1]", joint / sensor / actuator names), bodies and sites, and the
 * model file's location. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"
#include "mujoco_internal.h"

/* ---- lists --------------------------------------------------------------- */

static const char *kind_noun(mj_sel_kind kind) {
  switch (kind) {
  case MJ_SEL_QPOS:
  case MJ_SEL_QVEL:
    return "joint";
  case MJ_SEL_SENSOR:
    return "sensor";
  case MJ_SEL_ACTUATOR:
    return "actuator";
  }
  return "object";
}

/* How many indices a selection can refer to, and how many values one joint
 * or sensor contributes. */
static int kind_size(const mjModel *m, mj_sel_kind kind) {
  switch (kind) {
  case MJ_SEL_QPOS:
    return m->nq;
  case MJ_SEL_QVEL:
    return m->nv;
  case MJ_SEL_SENSOR:
    return m->nsensor;
  case MJ_SEL_ACTUATOR:
    return m->nu;
  }
  return 0;
}

static int joint_width(const mjModel *m, int j, int qpos) {
  switch (m->jnt_type[j]) {
  case mjJNT_FREE:
    return qpos ? 7 : 6;
  case mjJNT_BALL:
    return qpos ? 4 : 3;
  default:
    return 1;
  }
}

/* Append what object `id` of `kind` stands for to out (NULL: count). */
static void emit(const mjModel *m, mj_sel_kind kind, int id, int by_name,
                 int *out, int *n) {
  int first = id, width = 1;
  if (kind == MJ_SEL_SENSOR) {
    first = m->sensor_adr[id];
    width = m->sensor_dim[id];
  } else if (by_name && kind != MJ_SEL_ACTUATOR) {
    int qpos = kind == MJ_SEL_QPOS;
    first = qpos ? m->jnt_qposadr[id] : m->jnt_dofadr[id];
    width = joint_width(m, id, qpos);
  }
  for (int k = 0; k < width; k++) {
    if (out != NULL)
      out[*n] = first + k;
    (*n)++;
  }
}

static int name_type(mj_sel_kind kind) {
  switch (kind) {
  case MJ_SEL_SENSOR:
    return mjOBJ_SENSOR;
  case MJ_SEL_ACTUATOR:
    return mjOBJ_ACTUATOR;
  default:
    return mjOBJ_JOINT;
  }
}

/* One token: a number (an index, or a sensor/actuator id) or a name. */
static int select_token(const mjModel *m, const char *setting, const char *tok,
                        mj_sel_kind kind, int *out, int *n) {
  int size = kind_size(m, kind);
  char *end;
  errno = 0;
  long v = strtol(tok, &end, 10);
  if (end != tok && *end == '\0') {
    if (errno != 0 || v < 0 || v >= size)
      return crl_fail(
          CRL_ERANGE,
          "mujoco setting %s: index %s is out of range (the model has %d)",
          setting, tok, size);
    emit(m, kind, (int)v, 0, out, n);
    return 0;
  }
  int id = mj_name2id(m, name_type(kind), tok);
  if (id < 0)
    return crl_fail(CRL_ENOTFOUND,
                    "mujoco setting %s: the model has no %s named '%s'",
                    setting, kind_noun(kind), tok);
  emit(m, kind, id, 1, out, n);
  return 0;
}

static int is_separator(char c) {
  return c == ',' || c == '[' || c == ']' || isspace((unsigned char)c);
}

int crl__mj_select(const mjModel *m, const char *setting, const char *text,
                   mj_sel_kind kind, int *out, int *n) {
  *n = 0;
  if (strcmp(text, "none") == 0)
    return 0;
  if (strcmp(text, "all") == 0) {
    for (int i = 0; i < kind_size(m, kind); i++)
      emit(m, kind, i, 0, out, n);
    return 0;
  }
  /* Tokens split on commas, brackets and blanks: "[0, 1]", "hinge slider". */
  char tok[CRL_STRING_MAX];
  const char *p = text;
  while (*p != '\0') {
    while (*p != '\0' && is_separator(*p))
      p++;
    size_t len = 0;
    while (p[len] != '\0' && !is_separator(p[len]))
      len++;
    if (len == 0)
      break;
    memcpy(tok, p, len);
    tok[len] = '\0';
    int rc = select_token(m, setting, tok, kind, out, n);
    if (rc)
      return rc;
    p += len;
  }
  return 0;
}

/* ---- bodies and sites ---------------------------------------------------- */

int crl__mj_point(const mjModel *m, const char *setting, const char *name,
                  mj_point *out) {
  *out = (mj_point){-1, 0};
  if (name[0] == '\0')
    return 0;
  int id = mj_name2id(m, mjOBJ_BODY, name);
  if (id >= 0) {
    *out = (mj_point){id, 0};
    return 0;
  }
  id = mj_name2id(m, mjOBJ_SITE, name);
  if (id >= 0) {
    *out = (mj_point){id, 1};
    return 0;
  }
  return crl_fail(CRL_ENOTFOUND,
                  "mujoco setting %s: the model has no body or site named '%s'",
                  setting, name);
}

/* ---- the model file ------------------------------------------------------ */

static int readable(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return 0;
  fclose(f);
  return 1;
}

/* dir/model into path when it is a readable file. */
static int try_dir(const char *dir, const char *model, char *path,
                   size_t size) {
  if (dir == NULL || dir[0] == '\0')
    return 0;
  int n = snprintf(path, size, "%s/%s", dir, model);
  return n > 0 && (size_t)n < size && readable(path);
}

#ifndef CRL_MUJOCO_SOURCE_MODELS
#define CRL_MUJOCO_SOURCE_MODELS ""
#endif
#ifndef CRL_MUJOCO_INSTALLED_MODELS
#define CRL_MUJOCO_INSTALLED_MODELS ""
#endif

int crl__mj_resolve_model(const char *model, char *path, size_t size) {
  if (model[0] == '\0')
    return crl_fail(CRL_EINVAL, "mujoco: set `model` to an MJCF file");
  if (strlen(model) < size && readable(model)) {
    snprintf(path, size, "%s", model);
    return 0;
  }
  const char *env = getenv("CRL_MUJOCO_MODELS");
  if (model[0] != '/' &&
      (try_dir(env, model, path, size) ||
       try_dir(CRL_MUJOCO_SOURCE_MODELS, model, path, size) ||
       try_dir(CRL_MUJOCO_INSTALLED_MODELS, model, path, size)))
    return 0;
  return crl_fail(CRL_EIO,
                  "mujoco: cannot read model file '%s' (looked in the current "
                  "directory, $CRL_MUJOCO_MODELS%s%s, %s and %s)",
                  model, env ? " = " : " (unset)", env ? env : "",
                  CRL_MUJOCO_SOURCE_MODELS, CRL_MUJOCO_INSTALLED_MODELS);
}
