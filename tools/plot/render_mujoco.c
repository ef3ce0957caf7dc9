/* Drawings of MuJoCo envs without OpenGL: every visible geom projected
 * orthographically onto a view plane chosen from the model at qpos0 (see
 * render_mujoco.h), painted far to near. */
#include "plot/render_mujoco.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mujoco/mujoco.h>

/* Geoms in groups past this are hidden, as in MuJoCo's viewer defaults. */
#define MAX_GROUP 2
#define GRID_LINES 9 /* per direction of a plane's grid, at most */

struct cli_mjview {
  const mjModel *m;
  mjData *scratch; /* kinematics of the env's qpos, so the env's own mjData
                      (which its reward reads) is never touched */
  double right[3], up[3], depth[3]; /* view axes; depth points away */
  cli_mjview_kind kind;
  int track;         /* body whose ground position the view follows; -1 */
  double origin[2];  /* that body's ground x, y at qpos0 */
  double window[4];  /* xmin, xmax, ymin, ymax on the view plane */
  int width, height; /* pixels */
  int n_order;       /* visible geoms, */
  int *order;        /* [ngeom] sorted far to near each frame */
  double *key;       /* [ngeom] their depths */
  char (*color)[8];  /* [ngeom] "#rrggbb" */
};

static double dot3(const double *a, const double *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void project(const cli_mjview *v, const double *p, double *x,
                    double *y) {
  *x = dot3(p, v->right);
  *y = dot3(p, v->up);
}

static int visible(const mjModel *m, int g) {
  const float *rgba = m->geom_matid[g] >= 0 ? m->mat_rgba + 4 * m->geom_matid[g]
                                            : m->geom_rgba + 4 * g;
  return m->geom_group[g] <= MAX_GROUP && rgba[3] > 0.0f;
}

static void set_color(const mjModel *m, int g, char *out) {
  const float *rgba = m->geom_matid[g] >= 0 ? m->mat_rgba + 4 * m->geom_matid[g]
                                            : m->geom_rgba + 4 * g;
  int c[3];
  for (int k = 0; k < 3; k++) {
    float x = rgba[k] < 0 ? 0 : (rgba[k] > 1 ? 1 : rgba[k]);
    c[k] = (int)(x * 255.0f + 0.5f);
  }
  snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* ---- the view ------------------------------------------------------------ */

static void set_axes(cli_mjview *v, cli_mjview_kind kind) {
  static const double side[3][3] = {{1, 0, 0}, {0, 0, 1}, {0, 1, 0}};
  static const double top[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, -1}};
  v->kind = kind;
  if (kind != CLI_MJVIEW_OBLIQUE) {
    const double(*a)[3] = kind == CLI_MJVIEW_SIDE ? side : top;
    memcpy(v->right, a[0], sizeof v->right);
    memcpy(v->up, a[1], sizeof v->up);
    memcpy(v->depth, a[2], sizeof v->depth);
    return;
  }
  /* Looking along f: azimuth 60 degrees from +x, 30 degrees down. */
  const double az = 60.0 * M_PI / 180.0, el = 30.0 * M_PI / 180.0;
  double f[3] = {cos(el) * cos(az), cos(el) * sin(az), -sin(el)};
  double r[3] = {sin(az), -cos(az), 0.0}; /* f x z, normalised */
  double u[3] = {r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2],
                 r[0] * f[1] - r[1] * f[0]};
  memcpy(v->right, r, sizeof r);
  memcpy(v->up, u, sizeof u);
  memcpy(v->depth, f, sizeof f);
}

/* Planar models turn about one axis: every hinge along y (they move in the
 * x-z plane: side view) or along z (the x-y plane: top view); a free or
 * ball joint, or hinges about other axes, get the oblique camera. Without
 * hinges, the plane the geoms lie in at qpos0 decides. */
static cli_mjview_kind choose_kind(const mjModel *m, const mjData *d) {
  int along_y = 0, along_z = 0, other = 0;
  for (int j = 0; j < m->njnt; j++) {
    const double *a = d->xaxis + 3 * j;
    if (m->jnt_type[j] == mjJNT_FREE || m->jnt_type[j] == mjJNT_BALL)
      other++;
    else if (m->jnt_type[j] != mjJNT_HINGE)
      continue;
    else if (fabs(fabs(a[1]) - 1.0) < 1e-6)
      along_y++;
    else if (fabs(fabs(a[2]) - 1.0) < 1e-6)
      along_z++;
    else
      other++;
  }
  if (other || (along_y && along_z))
    return CLI_MJVIEW_OBLIQUE;
  if (along_y || along_z)
    return along_y ? CLI_MJVIEW_SIDE : CLI_MJVIEW_TOP;
  double lo[3] = {INFINITY, INFINITY, INFINITY};
  double hi[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (int g = 0; g < m->ngeom; g++) {
    if (m->geom_type[g] == mjGEOM_PLANE || !visible(m, g))
      continue;
    for (int k = 0; k < 3; k++) {
      lo[k] = fmin(lo[k], d->geom_xpos[3 * g + k]);
      hi[k] = fmax(hi[k], d->geom_xpos[3 * g + k]);
    }
  }
  double ext[3];
  for (int k = 0; k < 3; k++)
    ext[k] = hi[k] > lo[k] ? hi[k] - lo[k] : 0.0;
  if (ext[1] <= 0.05 * fmax(ext[0], ext[2]))
    return CLI_MJVIEW_SIDE;
  if (ext[2] <= 0.05 * fmax(ext[0], ext[1]))
    return CLI_MJVIEW_TOP;
  return CLI_MJVIEW_OBLIQUE;
}

/* The body of the first joint that lets the model travel without limit (a
 * free joint or an unlimited slide), or -1 for a model fixed in place. */
static int tracked_body(const mjModel *m) {
  for (int j = 0; j < m->njnt; j++) {
    int t = m->jnt_type[j];
    if (t == mjJNT_FREE || (t == mjJNT_SLIDE && !m->jnt_limited[j]))
      return m->jnt_bodyid[j];
  }
  return -1;
}

/* The window: the projected bounding spheres of the geoms at qpos0 (and
 * the centres of planes, so the floor is in view), padded; a model that
 * travels gets room ahead of it. */
static void set_window(cli_mjview *v, const mjData *d) {
  const mjModel *m = v->m;
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int g = 0; g < m->ngeom; g++) {
    if (!visible(m, g))
      continue;
    double x, y, r = m->geom_type[g] == mjGEOM_PLANE ? 0.0 : m->geom_rbound[g];
    project(v, d->geom_xpos + 3 * g, &x, &y);
    lo[0] = fmin(lo[0], x - r);
    hi[0] = fmax(hi[0], x + r);
    lo[1] = fmin(lo[1], y - r);
    hi[1] = fmax(hi[1], y + r);
  }
  if (!(lo[0] < hi[0]))
    lo[0] = -1, hi[0] = 1;
  if (!(lo[1] < hi[1]))
    lo[1] = -1, hi[1] = 1;
  double w = hi[0] - lo[0], h = hi[1] - lo[1];
  double size = fmax(w, h) * 1.3;
  double ww = fmax(w * 1.3, v->track >= 0 ? 0.9 * size * 1.5 : 0.3 * size);
  /* A top view turns in its plane: as tall as wide. */
  double hh = fmax(h * 1.3, v->kind == CLI_MJVIEW_TOP ? ww : 0.3 * size);
  double cx = 0.5 * (lo[0] + hi[0]), cy = 0.5 * (lo[1] + hi[1]);
  v->window[0] = cx - 0.5 * ww;
  v->window[1] = cx + 0.5 * ww;
  v->window[2] = cy - 0.5 * hh;
  v->window[3] = cy + 0.5 * hh;
  /* 480 pixels on the longer side. */
  double px = 480.0 / fmax(ww, hh);
  v->width = (int)(ww * px + 0.5);
  v->height = (int)(hh * px + 0.5);
  if (v->width < 160)
    v->width = 160;
  if (v->height < 160)
    v->height = 160;
}

static void kinematics_at(cli_mjview *v, const mjtNum *qpos) {
  memcpy(v->scratch->qpos, qpos, sizeof(mjtNum) * (size_t)v->m->nq);
  mj_kinematics(v->m, v->scratch);
}

cli_mjview *cli_mjview_alloc(crl_env *env) {
  const mjModel *m = NULL;
  mjData *d = NULL;
  if (crl_mujoco_handles(env, &m, &d) != 0)
    return NULL;
  cli_mjview *v = calloc(1, sizeof *v);
  if (v == NULL)
    return NULL;
  v->m = m;
  v->scratch = mj_makeData(m);
  size_t n = (size_t)(m->ngeom > 0 ? m->ngeom : 1);
  v->order = malloc(n * sizeof *v->order);
  v->key = malloc(n * sizeof *v->key);
  v->color = malloc(n * sizeof *v->color);
  if (v->scratch == NULL || v->order == NULL || v->key == NULL ||
      v->color == NULL) {
    cli_mjview_free(v);
    return NULL;
  }
  for (int g = 0; g < m->ngeom; g++)
    set_color(m, g, v->color[g]);
  kinematics_at(v, m->qpos0);
  set_axes(v, choose_kind(m, v->scratch));
  v->track = tracked_body(m);
  if (v->track >= 0) {
    v->origin[0] = v->scratch->xpos[3 * v->track];
    v->origin[1] = v->scratch->xpos[3 * v->track + 1];
  }
  set_window(v, v->scratch);
  return v;
}

void cli_mjview_free(cli_mjview *v) {
  if (v == NULL)
    return;
  if (v->scratch)
    mj_deleteData(v->scratch);
  free(v->order);
  free(v->key);
  free(v->color);
  free(v);
}

cli_mjview_kind cli_mjview_get_kind(const cli_mjview *v) {
  return v->kind;
}

void cli_mjview_window(const cli_mjview *v, double *window, int *width,
                       int *height) {
  memcpy(window, v->window, sizeof v->window);
  *width = v->width;
  *height = v->height;
}

void cli_mjview_project(const cli_mjview *v, const double *p, double *x,
                        double *y) {
  project(v, p, x, y);
}

/* ---- one frame ----------------------------------------------------------- */

typedef struct painter {
  const cli_mjview *v;
  cli_frame *f;
  double dx, dy; /* the tracking shift, subtracted from every point */
  double scale;  /* pixels per world unit */
} painter;

static cli_shape *emit(painter *p, cli_shape_kind kind, const char *color) {
  if (p->f->n == CLI_FRAME_SHAPES)
    return NULL;
  cli_shape *s = &p->f->s[p->f->n++];
  *s = (cli_shape){kind, 0, 0, 0, 0, 0.0, 1.0, color, ""};
  return s;
}

static void segment(painter *p, const double *a, const double *b,
                    double width_world, const char *color) {
  cli_shape *s = emit(p, CLI_SHAPE_LINE, color);
  if (s == NULL)
    return;
  project(p->v, a, &s->x1, &s->y1);
  project(p->v, b, &s->x2, &s->y2);
  s->x1 -= p->dx, s->x2 -= p->dx, s->y1 -= p->dy, s->y2 -= p->dy;
  s->width = fmax(1.0, width_world * p->scale);
}

/* Grid spacing 1, 2 or 5 times a power of ten, so that at most
 * GRID_LINES lines cross a window of span. */
static double grid_step(double span) {
  static const double mult[3] = {1, 2, 5};
  for (double decade = 0.01; decade < 1e6; decade *= 10)
    for (int i = 0; i < 3; i++)
      if (span / (decade * mult[i]) <= GRID_LINES - 1)
        return decade * mult[i];
  return 1e6;
}

/* A grid line from a to b; one seen end on (the side view of a floor's
 * cross lines) becomes a tick below the floor, so motion shows. */
static void grid_line(painter *p, const double *a, const double *b) {
  double ax, ay, bx, by;
  project(p->v, a, &ax, &ay);
  project(p->v, b, &bx, &by);
  if (hypot(bx - ax, by - ay) * p->scale >= 2.0) {
    segment(p, a, b, 0.0, "#c8c8c8");
    return;
  }
  double tick[3];
  for (int k = 0; k < 3; k++)
    tick[k] = a[k] - p->v->up[k] * 10.0 / p->scale;
  segment(p, a, tick, 0.0, "#999999");
}

/* The grid of a plane over the part of it around what the view follows. */
static void paint_plane(painter *p, const mjData *d, int g) {
  const mjModel *m = p->v->m;
  const double *c = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g;
  const double *w = p->v->window;
  const double step = grid_step(fmax(w[1] - w[0], w[3] - w[2]));
  /* The plane's local coordinates of the window's centre on it. */
  double centre[3] = {c[0], c[1], c[2]};
  if (p->v->track >= 0) {
    centre[0] = d->xpos[3 * p->v->track];
    centre[1] = d->xpos[3 * p->v->track + 1];
  }
  double rel[3] = {centre[0] - c[0], centre[1] - c[1], centre[2] - c[2]};
  double lx = rel[0] * R[0] + rel[1] * R[3] + rel[2] * R[6];
  double ly = rel[0] * R[1] + rel[1] * R[4] + rel[2] * R[7];
  double half = 0.5 * (GRID_LINES - 1) * step;
  double ex = m->geom_size[3 * g] > 0 ? m->geom_size[3 * g] : INFINITY;
  double ey = m->geom_size[3 * g + 1] > 0 ? m->geom_size[3 * g + 1] : INFINITY;
  for (int axis = 0; axis < 2; axis++) {
    double mid = axis == 0 ? lx : ly, ext = axis == 0 ? ex : ey;
    double other = axis == 0 ? ly : lx, oext = axis == 0 ? ey : ex;
    double a0 = fmax(other - half, -oext), a1 = fmin(other + half, oext);
    for (double t = ceil((mid - half) / step) * step; t <= mid + half;
         t += step) {
      if (fabs(t) > ext)
        continue;
      double u0[2] = {t, a0}, u1[2] = {t, a1};
      if (axis == 1)
        u0[0] = a0, u0[1] = t, u1[0] = a1, u1[1] = t;
      double q0[3], q1[3];
      for (int k = 0; k < 3; k++) {
        q0[k] = c[k] + R[3 * k] * u0[0] + R[3 * k + 1] * u0[1];
        q1[k] = c[k] + R[3 * k] * u1[0] + R[3 * k + 1] * u1[1];
      }
      grid_line(p, q0, q1);
    }
  }
}

static void paint_box(painter *p, const mjData *d, int g, const char *color) {
  const double *c = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g;
  const double *h = p->v->m->geom_size + 3 * g;
  double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
  for (int corner = 0; corner < 8; corner++) {
    double q[3];
    for (int k = 0; k < 3; k++)
      q[k] = c[k] + R[3 * k] * h[0] * (corner & 1 ? 1 : -1) +
             R[3 * k + 1] * h[1] * (corner & 2 ? 1 : -1) +
             R[3 * k + 2] * h[2] * (corner & 4 ? 1 : -1);
    double x, y;
    project(p->v, q, &x, &y);
    lo[0] = fmin(lo[0], x), hi[0] = fmax(hi[0], x);
    lo[1] = fmin(lo[1], y), hi[1] = fmax(hi[1], y);
  }
  cli_shape *s = emit(p, CLI_SHAPE_RECT, color);
  if (s == NULL)
    return;
  s->x1 = lo[0] - p->dx, s->y1 = lo[1] - p->dy;
  s->x2 = hi[0] - p->dx, s->y2 = hi[1] - p->dy;
}

static void paint_geom(painter *p, const mjData *d, int g) {
  const mjModel *m = p->v->m;
  const double *c = d->geom_xpos + 3 * g, *R = d->geom_xmat + 9 * g;
  const double *size = m->geom_size + 3 * g;
  const char *color = p->v->color[g];
  switch (m->geom_type[g]) {
  case mjGEOM_CAPSULE:
  case mjGEOM_CYLINDER: {
    /* The axis is the geom's local z, size[1] its half length. */
    double a[3], b[3];
    for (int k = 0; k < 3; k++) {
      a[k] = c[k] - R[3 * k + 2] * size[1];
      b[k] = c[k] + R[3 * k + 2] * size[1];
    }
    segment(p, a, b, 2.0 * size[0], color);
    break;
  }
  case mjGEOM_BOX:
    paint_box(p, d, g, color);
    break;
  default: { /* spheres, ellipsoids, meshes: a disc of the largest size */
    cli_shape *s = emit(p, CLI_SHAPE_CIRCLE, color);
    if (s == NULL)
      return;
    project(p->v, c, &s->x1, &s->y1);
    s->x1 -= p->dx, s->y1 -= p->dy;
    s->x2 = s->x1, s->y2 = s->y1;
    s->r = fmax(size[0], fmax(size[1], size[2]));
    if (m->geom_type[g] == mjGEOM_SPHERE)
      s->r = size[0];
  }
  }
}

/* order[0..n) by depth, far first (insertion sort: a few dozen geoms;
 * ties keep the model's order, so frames are reproducible). */
static void sort_far_first(int *order, int n, const double *depth) {
  for (int i = 1; i < n; i++) {
    int g = order[i], j = i;
    for (; j > 0 && depth[order[j - 1]] < depth[g]; j--)
      order[j] = order[j - 1];
    order[j] = g;
  }
}

int cli_mjview_draw(cli_mjview *v, crl_env *env, cli_frame *f) {
  const mjModel *m = NULL;
  mjData *d = NULL;
  if (crl_mujoco_handles(env, &m, &d) != 0 || m != v->m)
    return -1;
  kinematics_at(v, d->qpos);
  const mjData *k = v->scratch;
  painter p = {
      .v = v, .f = f, .scale = v->width / (v->window[1] - v->window[0])};
  if (v->track >= 0) {
    double move[3] = {k->xpos[3 * v->track] - v->origin[0],
                      k->xpos[3 * v->track + 1] - v->origin[1], 0.0};
    project(v, move, &p.dx, &p.dy);
  }
  /* Planes first (the floor is under everything), then far to near. */
  v->n_order = 0;
  for (int g = 0; g < m->ngeom; g++) {
    if (!visible(m, g))
      continue;
    if (m->geom_type[g] == mjGEOM_PLANE) {
      paint_plane(&p, k, g);
      continue;
    }
    v->key[g] = dot3(k->geom_xpos + 3 * g, v->depth);
    v->order[v->n_order++] = g;
  }
  sort_far_first(v->order, v->n_order, v->key);
  for (int i = 0; i < v->n_order; i++)
    paint_geom(&p, k, v->order[i]);
  return 0;
}
