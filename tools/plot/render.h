/* Pictures of episodes: a scene is a fixed background and one list of
 * shapes per frame, in world coordinates, drawn from the env's state after
 * each step. Built-in drawings exist for the classic-control envs
 * (Pendulum, CartPole and its continuous variant, MountainCarContinuous,
 * Acrobot) and, with the mujoco feature, for every MuJoCo env (projected
 * geoms, render_mujoco.h); render_write.c turns a scene into an animated SVG
 * (written directly), an animated GIF or a PNG of one frame (through gnuplot).
 */
#ifndef TOOLS_RENDER_H
#define TOOLS_RENDER_H

#include <stddef.h>

#include "crl/crl.h"

typedef enum cli_shape_kind {
  CLI_SHAPE_LINE = 0,   /* (x1, y1) to (x2, y2), width in pixels */
  CLI_SHAPE_CIRCLE = 1, /* centre (x1, y1), radius r (world units) */
  CLI_SHAPE_RECT = 2,   /* corners (x1, y1), (x2, y2) */
  CLI_SHAPE_TEXT = 3    /* text at (x1, y1), left-aligned */
} cli_shape_kind;

typedef struct cli_shape {
  cli_shape_kind kind;
  double x1, y1, x2, y2, r, width;
  const char *color; /* "#rrggbb" */
  char text[64];
} cli_shape;

#define CLI_FRAME_SHAPES 64

typedef struct cli_frame {
  int n;
  cli_shape s[CLI_FRAME_SHAPES];
} cli_frame;

#define CLI_SCENE_CURVE 128

typedef struct cli_scene {
  double xmin, xmax, ymin, ymax; /* world window */
  int width, height;             /* pixels */
  double seconds_per_frame;
  cli_frame background; /* drawn under every frame */
  int n_curve;          /* a polyline in the background (ground) */
  double curve_x[CLI_SCENE_CURVE], curve_y[CLI_SCENE_CURVE];
  int n_frames, cap_frames;
  cli_frame *frames;
} cli_scene;

/* The drawing for env, made from env_name (its registered name, settings
 * suffix ignored) for the classic-control envs, or from the env's model
 * for a MuJoCo env; NULL when there is none (or out of memory). env must
 * outlive the drawing. */
typedef struct cli_drawing cli_drawing;
cli_drawing *cli_drawing_open(const char *env_name, crl_env *env);
void cli_drawing_free(cli_drawing *d);

/* "Pendulum-v1, CartPole-v1, ..." for messages. */
const char *cli_drawing_names(void);

/* Start a scene for the drawing (window, background). */
void cli_scene_init(cli_scene *scene, const cli_drawing *d, double dt);

/* Append a frame of env's current state; step and the return so far are
 * written in a corner. 0, or -1 when out of memory or the env's state
 * cannot be read. */
int cli_scene_add(cli_scene *scene, const cli_drawing *d, const crl_env *env,
                  int step, double ret, const crl_real *action);

void cli_scene_free(cli_scene *scene);

/* Write the scene to path: .svg (animated), .gif (animated, gnuplot) or
 * .png (frame `frame`, gnuplot; -1 = the last). 0, -1 with a message in
 * err, or -2 when gnuplot is missing. */
int cli_scene_write(const cli_scene *scene, const char *path, int frame,
                    char *err, size_t size);

#endif
