/* Pictures of MuJoCo envs (with the mujoco feature): each frame draws the
 * visible geoms (groups 0-2, alpha > 0) of the env's current qpos,
 * projected orthographically and painted far to near. The view is chosen
 * from the model at qpos0: a side view (x right, z up) when every hinge
 * turns about y (Hopper, Walker2d, HalfCheetah, the inverted pendulums), a
 * top view (x right, y up) when every hinge turns about z (Swimmer,
 * Reacher), else a fixed camera looking 60 degrees from +x and
 * 30 degrees down (Ant, Humanoid, Pusher). A model that travels (a free
 * joint or an unlimited slide) is followed: every frame is shifted by the
 * ground displacement of that joint's body since qpos0, and planes are
 * drawn as grids that move under it. Capsules and cylinders are lines of
 * their diameter, boxes the bounding rectangle of their corners, other
 * geoms discs. */
#ifndef TOOLS_RENDER_MUJOCO_H
#define TOOLS_RENDER_MUJOCO_H

#include "plot/render.h"

typedef enum cli_mjview_kind {
  CLI_MJVIEW_SIDE = 0,
  CLI_MJVIEW_TOP = 1,
  CLI_MJVIEW_OBLIQUE = 2
} cli_mjview_kind;

typedef struct cli_mjview cli_mjview;

/* The view of env's model; NULL when env is not a MuJoCo env or out of
 * memory. env must outlive the view. */
cli_mjview *cli_mjview_alloc(crl_env *env);
void cli_mjview_free(cli_mjview *v);

cli_mjview_kind cli_mjview_get_kind(const cli_mjview *v);

/* The world window on the view plane (xmin, xmax, ymin, ymax) and its size
 * in pixels. */
void cli_mjview_window(const cli_mjview *v, double *window, int *width,
                       int *height);

/* A world point p [3] on the view plane (no tracking shift). */
void cli_mjview_project(const cli_mjview *v, const double *p, double *x,
                        double *y);

/* Append the shapes of env's current state to f (as many as fit in
 * CLI_FRAME_SHAPES). 0, or -1 when env is not the view's model. */
int cli_mjview_draw(cli_mjview *v, crl_env *env, cli_frame *f);

#endif
