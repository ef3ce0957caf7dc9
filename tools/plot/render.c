/* The drawings of the classic-control envs, from their states (the same
 * geometry as Gymnasium's renderers), and of MuJoCo envs through
 * render_mujoco.c: see render.h. */
#include "plot/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef CRL_HAVE_MUJOCO
#include "plot/render_mujoco.h"
#endif

#define MAX_STATE 8

typedef struct classic_drawing {
  const char *prefix; /* env names starting with this */
  double xmin, xmax, ymin, ymax;
  int width, height;
  void (*background)(cli_scene *scene);
  void (*draw)(const double *state, const crl_real *action, cli_frame *f);
} classic_drawing;

/* One of the two kinds. */
struct cli_drawing {
  const classic_drawing *classic;
#ifdef CRL_HAVE_MUJOCO
  cli_mjview *mj;
#endif
};

static const char *const INK = "#333333", *const POLE = "#ca9865",
                         *const JOINT = "#8184cb", *const CART = "#222222",
                         *const GOAL = "#2ca02c";

static cli_shape *add(cli_frame *f, cli_shape_kind kind, double x1, double y1,
                      double x2, double y2, const char *color) {
  if (f->n == CLI_FRAME_SHAPES)
    return &f->s[CLI_FRAME_SHAPES - 1]; /* never: drawings are small */
  cli_shape *s = &f->s[f->n++];
  *s = (cli_shape){kind, x1, y1, x2, y2, 0.0, 2.0, color, ""};
  return s;
}

static void line(cli_frame *f, double x1, double y1, double x2, double y2,
                 double width, const char *color) {
  add(f, CLI_SHAPE_LINE, x1, y1, x2, y2, color)->width = width;
}

static void circle(cli_frame *f, double x, double y, double r,
                   const char *color) {
  add(f, CLI_SHAPE_CIRCLE, x, y, x, y, color)->r = r;
}

/* ---- Pendulum-v1: state (theta, theta_dot), theta = 0 upright ------------ */

static void pendulum_draw(const double *s, const crl_real *a, cli_frame *f) {
  double x = -sin(s[0]), y = cos(s[0]);
  line(f, 0, 0, x, y, 14, POLE);
  circle(f, 0, 0, 0.06, INK);
  /* The torque as a short tangential tick at the tip. */
  double torque = a ? (double)a[0] / 2.0 : 0.0;
  line(f, x, y, x - 0.3 * torque * y, y + 0.3 * torque * x, 3, "#d62728");
}

/* ---- CartPole: state (x, x_dot, theta, theta_dot), theta = 0 upright ----- */

static void cartpole_background(cli_scene *scene) {
  line(&scene->background, -2.4, 0, 2.4, 0, 1, INK);
}

static void cartpole_draw(const double *s, const crl_real *a, cli_frame *f) {
  (void)a;
  double x = s[0], top = 0.15;
  add(f, CLI_SHAPE_RECT, x - 0.25, -0.0, x + 0.25, top * 2, CART);
  line(f, x, top, x + sin(s[2]), top + cos(s[2]), 10, POLE);
  circle(f, x, top, 0.04, JOINT);
}

/* ---- MountainCarContinuous-v0: state (position, velocity) --------------- */

static double hill(double p) {
  return sin(3 * p) * 0.45 + 0.55;
}

static void mountain_background(cli_scene *scene) {
  scene->n_curve = CLI_SCENE_CURVE;
  for (int i = 0; i < CLI_SCENE_CURVE; i++) {
    double p = -1.2 + 1.8 * i / (CLI_SCENE_CURVE - 1);
    scene->curve_x[i] = p;
    scene->curve_y[i] = hill(p);
  }
  line(&scene->background, 0.45, hill(0.45), 0.45, hill(0.45) + 0.15, 2, INK);
  add(&scene->background, CLI_SHAPE_RECT, 0.45, hill(0.45) + 0.11, 0.52,
      hill(0.45) + 0.15, "#e5c100");
}

static void mountain_draw(const double *s, const crl_real *a, cli_frame *f) {
  (void)a;
  double p = s[0], slope = 3 * 0.45 * cos(3 * p);
  double nx = -slope / sqrt(1 + slope * slope),
         ny = 1 / sqrt(1 + slope * slope);
  circle(f, p + 0.04 * nx, hill(p) + 0.04 * ny, 0.04, CART);
  if (p >= 0.45)
    circle(f, 0.485, hill(0.45) + 0.13, 0.02, GOAL);
}

/* ---- Acrobot-v1: state (theta1, theta2, ...), theta1 = 0 hanging down --- */

static void acrobot_background(cli_scene *scene) {
  line(&scene->background, -2.2, 1, 2.2, 1, 1, INK); /* the goal height */
}

static void acrobot_draw(const double *s, const crl_real *a, cli_frame *f) {
  (void)a;
  double x1 = sin(s[0]), y1 = -cos(s[0]);
  double x2 = x1 + sin(s[0] + s[1]), y2 = y1 - cos(s[0] + s[1]);
  line(f, 0, 0, x1, y1, 10, "#0099cc");
  line(f, x1, y1, x2, y2, 10, "#0099cc");
  circle(f, 0, 0, 0.06, "#cccc00");
  circle(f, x1, y1, 0.06, "#cccc00");
}

static const classic_drawing drawings[] = {
    {"Pendulum", -1.3, 1.3, -1.3, 1.3, 360, 360, NULL, pendulum_draw},
    {"CartPole", -2.6, 2.6, -0.4, 1.4, 520, 180, cartpole_background,
     cartpole_draw},
    {"MountainCarContinuous", -1.2, 0.6, 0.0, 1.2, 480, 320,
     mountain_background, mountain_draw},
    {"Acrobot", -2.2, 2.2, -2.2, 2.2, 360, 360, acrobot_background,
     acrobot_draw},
};
#define N_DRAWINGS (int)(sizeof drawings / sizeof drawings[0])

static const classic_drawing *classic_find(const char *env_name) {
  for (int i = 0; i < N_DRAWINGS; i++)
    if (strncmp(env_name, drawings[i].prefix, strlen(drawings[i].prefix)) ==
            0 &&
        strchr("-{", env_name[strlen(drawings[i].prefix)]) != NULL)
      return &drawings[i];
  return NULL;
}

cli_drawing *cli_drawing_open(const char *env_name, crl_env *env) {
  cli_drawing *d = calloc(1, sizeof *d);
  if (d == NULL)
    return NULL;
  d->classic = classic_find(env_name);
#ifdef CRL_HAVE_MUJOCO
  if (d->classic == NULL)
    d->mj = cli_mjview_alloc(env);
  if (d->mj != NULL)
    return d;
#else
  (void)env;
#endif
  if (d->classic == NULL) {
    free(d);
    return NULL;
  }
  return d;
}

void cli_drawing_free(cli_drawing *d) {
  if (d == NULL)
    return;
#ifdef CRL_HAVE_MUJOCO
  cli_mjview_free(d->mj);
#endif
  free(d);
}

const char *cli_drawing_names(void) {
  return "Pendulum-v1, CartPole-v1, CartPoleContinuous-v1, "
         "MountainCarContinuous-v0, Acrobot-v1"
#ifdef CRL_HAVE_MUJOCO
         " and every MuJoCo env"
#else
         " (and MuJoCo envs in a -Dmujoco=enabled build)"
#endif
      ;
}

void cli_scene_init(cli_scene *scene, const cli_drawing *d, double dt) {
  memset(scene, 0, sizeof *scene);
  scene->seconds_per_frame = dt;
#ifdef CRL_HAVE_MUJOCO
  if (d->mj) {
    double w[4];
    cli_mjview_window(d->mj, w, &scene->width, &scene->height);
    scene->xmin = w[0], scene->xmax = w[1];
    scene->ymin = w[2], scene->ymax = w[3];
    return;
  }
#endif
  const classic_drawing *c = d->classic;
  scene->xmin = c->xmin;
  scene->xmax = c->xmax;
  scene->ymin = c->ymin;
  scene->ymax = c->ymax;
  scene->width = c->width;
  scene->height = c->height;
  if (c->background)
    c->background(scene);
}

/* The next frame, growing the list; NULL when out of memory. */
static cli_frame *next_frame(cli_scene *scene) {
  if (scene->n_frames == scene->cap_frames) {
    int cap = scene->cap_frames ? 2 * scene->cap_frames : 256;
    cli_frame *f = realloc(scene->frames, (size_t)cap * sizeof *f);
    if (f == NULL)
      return NULL;
    scene->frames = f;
    scene->cap_frames = cap;
  }
  cli_frame *f = &scene->frames[scene->n_frames++];
  f->n = 0;
  return f;
}

static int draw_state(const classic_drawing *c, const crl_env *env,
                      const crl_real *action, cli_frame *f) {
  double state[MAX_STATE] = {0};
  if (crl_env_get_type(env)->state_dim > MAX_STATE ||
      crl_env_get_state(env, state))
    return -1;
  c->draw(state, action, f);
  return 0;
}

int cli_scene_add(cli_scene *scene, const cli_drawing *d, const crl_env *env,
                  int step, double ret, const crl_real *action) {
  cli_frame *f = next_frame(scene);
  if (f == NULL)
    return -1;
  int rc;
#ifdef CRL_HAVE_MUJOCO
  /* The view only reads the env (crl_mujoco_handles takes it non-const
   * because its data may be changed, which drawing does not do). */
  if (d->mj)
    rc = cli_mjview_draw(d->mj, (crl_env *)env, f);
  else
#endif
    rc = draw_state(d->classic, env, step > 0 ? action : NULL, f);
  if (rc) {
    scene->n_frames--;
    return -1;
  }
  cli_shape *t = add(f, CLI_SHAPE_TEXT, scene->xmin, scene->ymax, 0, 0, INK);
  snprintf(t->text, sizeof t->text, "step %d  return %.1f", step, ret);
  return 0;
}

void cli_scene_free(cli_scene *scene) {
  free(scene->frames);
  memset(scene, 0, sizeof *scene);
}
