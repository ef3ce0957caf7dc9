/* Pictures of episodes: a scene is a fixed background and one list of
 * shapes per frame, in world coordinates, drawn from the env's state after
 * each step. Built-in drawings exist for the classic-control envs
 * (Pendulum, CartPole and its continuous variant, MountainCarContinuous,
 * Acrobot); render_write.c turns a scene into an animated SVG (written
 * directly), an animated GIF or a PNG of one frame (through gnuplot). */
#ifndef CRL_TOOLS_RENDER_H
#define CRL_TOOLS_RENDER_H

#include <stddef.h>

#include "crl/crl.h"

typedef enum crl_shape_kind {
  CRL_SHAPE_LINE = 0,   /* (x1, y1) to (x2, y2), width in pixels */
  CRL_SHAPE_CIRCLE = 1, /* centre (x1, y1), radius r (world units) */
  CRL_SHAPE_RECT = 2,   /* corners (x1, y1), (x2, y2) */
  CRL_SHAPE_TEXT = 3    /* text at (x1, y1), left-aligned */
} crl_shape_kind;

typedef struct crl_shape {
  crl_shape_kind kind;
  double x1, y1, x2, y2, r, width;
  const char *color; /* "#rrggbb" */
  char text[64];
} crl_shape;

#define CRL_FRAME_SHAPES 12

typedef struct crl_frame {
  int n;
  crl_shape s[CRL_FRAME_SHAPES];
} crl_frame;

#define CRL_SCENE_CURVE 128

typedef struct crl_scene {
  double xmin, xmax, ymin, ymax; /* world window */
  int width, height;             /* pixels */
  double seconds_per_frame;
  crl_frame background; /* drawn under every frame */
  int n_curve;          /* a polyline in the background (ground) */
  double curve_x[CRL_SCENE_CURVE], curve_y[CRL_SCENE_CURVE];
  int n_frames, cap_frames;
  crl_frame *frames;
} crl_scene;

/* The drawing for an env (by its registered name, settings suffix
 * ignored); NULL when there is none. */
typedef struct crl_drawing crl_drawing;
const crl_drawing *crl_drawing_find(const char *env_name);

/* "Pendulum-v1, CartPole-v1, ..." for messages. */
const char *crl_drawing_names(void);

/* Start a scene for the drawing (window, background). */
void crl_scene_init(crl_scene *scene, const crl_drawing *d, double dt);

/* Append a frame of env's current state; step and the return so far are
 * written in a corner. 0, or -1 when out of memory. */
int crl_scene_add(crl_scene *scene, const crl_drawing *d, const crl_env *env,
                  int step, double ret, const crl_real *action);

void crl_scene_free(crl_scene *scene);

/* Write the scene to path: .svg (animated), .gif (animated, gnuplot) or
 * .png (frame `frame`, gnuplot; -1 = the last). 0, -1 with a message in
 * err, or -2 when gnuplot is missing. */
int crl_scene_write(const crl_scene *scene, const char *path, int frame,
                    char *err, size_t size);

#endif
