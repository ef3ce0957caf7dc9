/* Scenes to files: an animated SVG written directly (each frame a group
 * that is visible during its slice of the loop, SMIL), or gnuplot for an
 * animated GIF and a PNG of one frame. See render.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plot/plot.h"
#include "plot/render.h"
#include "run/fsutil.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- SVG ----------------------------------------------------------------- */

static double px(const cli_scene *s, double x) {
  return (x - s->xmin) / (s->xmax - s->xmin) * s->width;
}
static double py(const cli_scene *s, double y) {
  return (s->ymax - y) / (s->ymax - s->ymin) * s->height;
}

static void svg_shape(FILE *f, const cli_scene *sc, const cli_shape *s) {
  double scale = sc->width / (sc->xmax - sc->xmin);
  switch (s->kind) {
  case CLI_SHAPE_LINE:
    fprintf(f,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' "
            "stroke='%s' stroke-width='%.1f' stroke-linecap='round'/>",
            px(sc, s->x1), py(sc, s->y1), px(sc, s->x2), py(sc, s->y2),
            s->color, s->width);
    break;
  case CLI_SHAPE_CIRCLE:
    fprintf(f, "<circle cx='%.1f' cy='%.1f' r='%.1f' fill='%s'/>",
            px(sc, s->x1), py(sc, s->y1), s->r * scale, s->color);
    break;
  case CLI_SHAPE_RECT:
    fprintf(f,
            "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' "
            "fill='%s'/>",
            px(sc, s->x1), py(sc, s->y2), px(sc, s->x2) - px(sc, s->x1),
            py(sc, s->y1) - py(sc, s->y2), s->color);
    break;
  case CLI_SHAPE_TEXT:
    fprintf(f,
            "<text x='%.1f' y='%.1f' font-family='sans-serif' "
            "font-size='13' fill='%s'>%s</text>",
            px(sc, s->x1) + 6, py(sc, s->y1) + 16, s->color, s->text);
    break;
  }
}

static void svg_frame_timing(FILE *f, int i, int n, double total) {
  double a = (double)i / n, b = (double)(i + 1) / n;
  if (n == 1)
    return;
  fprintf(f,
          "<animate attributeName='visibility' dur='%.3fs' "
          "repeatCount='indefinite' calcMode='discrete' ",
          total);
  if (i == 0)
    fprintf(f, "values='visible;hidden' keyTimes='0;%.6f'/>", b);
  else if (i == n - 1)
    fprintf(f, "values='hidden;visible' keyTimes='0;%.6f'/>", a);
  else
    fprintf(f, "values='hidden;visible;hidden' keyTimes='0;%.6f;%.6f'/>", a, b);
}

static void write_svg(FILE *f, const cli_scene *s) {
  fprintf(f,
          "<svg xmlns='http://www.w3.org/2000/svg' width='%d' "
          "height='%d' viewBox='0 0 %d %d'>\n"
          "<rect width='100%%' height='100%%' fill='white'/>\n",
          s->width, s->height, s->width, s->height);
  if (s->n_curve > 1) {
    fputs("<polyline fill='none' stroke='#333333' stroke-width='2' "
          "points='",
          f);
    for (int i = 0; i < s->n_curve; i++)
      fprintf(f, "%.1f,%.1f ", px(s, s->curve_x[i]), py(s, s->curve_y[i]));
    fputs("'/>\n", f);
  }
  for (int k = 0; k < s->background.n; k++)
    svg_shape(f, s, &s->background.s[k]);
  fputc('\n', f);
  double total = s->n_frames * s->seconds_per_frame;
  for (int i = 0; i < s->n_frames; i++) {
    fprintf(f, "<g visibility='%s'>", i == 0 ? "visible" : "hidden");
    svg_frame_timing(f, i, s->n_frames, total);
    for (int k = 0; k < s->frames[i].n; k++)
      svg_shape(f, s, &s->frames[i].s[k]);
    fputs("</g>\n", f);
  }
  fputs("</svg>\n", f);
}

/* ---- gnuplot ------------------------------------------------------------- */

static void gp_shape(FILE *g, const cli_shape *s, int *object) {
  switch (s->kind) {
  case CLI_SHAPE_LINE:
    fprintf(g,
            "set arrow from %.4f,%.4f to %.4f,%.4f nohead lw %.1f "
            "lc rgb '%s' front\n",
            s->x1, s->y1, s->x2, s->y2, s->width * 0.6, s->color);
    break;
  case CLI_SHAPE_CIRCLE:
    fprintf(g,
            "set object %d circle at %.4f,%.4f size %.4f fc rgb '%s' "
            "fs solid noborder front\n",
            ++*object, s->x1, s->y1, s->r, s->color);
    break;
  case CLI_SHAPE_RECT:
    fprintf(g,
            "set object %d rect from %.4f,%.4f to %.4f,%.4f fc rgb '%s' "
            "fs solid noborder front\n",
            ++*object, s->x1, s->y1, s->x2, s->y2, s->color);
    break;
  case CLI_SHAPE_TEXT:
    fprintf(g,
            "set label '%s' at graph 0.02, graph 0.95 tc rgb '%s' "
            "front\n",
            s->text, s->color);
    break;
  }
}

static void gp_frame(FILE *g, const cli_scene *s, const cli_frame *f) {
  int object = 0;
  fputs("unset arrow\nunset object\nunset label\n", g);
  for (int k = 0; k < s->background.n; k++)
    gp_shape(g, &s->background.s[k], &object);
  for (int k = 0; k < f->n; k++)
    gp_shape(g, &f->s[k], &object);
  fputs(s->n_curve > 1 ? "plot $curve with lines lw 2 lc rgb '#333333' "
                         "notitle\n"
                       : "plot NaN notitle\n",
        g);
}

static void gp_setup(FILE *g, const cli_scene *s, const char *tmp, int gif) {
  if (gif)
    fprintf(g, "set terminal gif animate delay %d size %d,%d optimize\n",
            (int)(s->seconds_per_frame * 100 + 0.5), s->width, s->height);
  else
    fprintf(g,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size %d,%d\n"
            "} else {\n  set terminal png size %d,%d\n}\n",
            s->width, s->height, s->width, s->height);
  fprintf(g, "set output '%s'\n", tmp);
  fprintf(g, "set xrange [%g:%g]\nset yrange [%g:%g]\n", s->xmin, s->xmax,
          s->ymin, s->ymax);
  fputs("set size ratio -1\nset margins 0,0,0,0\nunset border\nunset tics\n"
        "unset key\n",
        g);
  if (s->n_curve > 1) {
    fputs("$curve << EOD\n", g);
    for (int i = 0; i < s->n_curve; i++)
      fprintf(g, "%.5f %.5f\n", s->curve_x[i], s->curve_y[i]);
    fputs("EOD\n", g);
  }
}

static int run_gnuplot(const cli_scene *s, const char *path, int frame,
                       char *err, size_t size) {
  if (!cli_program_in_path("gnuplot")) {
    snprintf(err, size, "gnuplot is not installed; %s (or write an .svg)",
             CLI_GNUPLOT_HINT);
    return -2;
  }
  char tmp[CLI_PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp ||
      strchr(path, '\'') != NULL) {
    snprintf(err, size, "%s: unusable file name", path);
    return -1;
  }
  fflush(NULL);
  FILE *g = popen("gnuplot 2>/dev/null", "w");
  if (g == NULL) {
    snprintf(err, size, "cannot start gnuplot: %s", strerror(errno));
    return -1;
  }
  int gif = ends_with(path, ".gif");
  gp_setup(g, s, tmp, gif);
  if (gif)
    for (int i = 0; i < s->n_frames; i++)
      gp_frame(g, s, &s->frames[i]);
  else
    gp_frame(g, s, &s->frames[frame]);
  fputs("set output\n", g);
  int status = pclose(g);
  if (status != 0 || access(tmp, R_OK) != 0 || rename(tmp, path) != 0) {
    snprintf(err, size, "gnuplot could not draw %s", path);
    remove(tmp);
    return -1;
  }
  return 0;
}

int cli_scene_write(const cli_scene *s, const char *path, int frame, char *err,
                    size_t size) {
  if (s->n_frames == 0) {
    snprintf(err, size, "no frames to draw");
    return -1;
  }
  if (frame < 0 || frame >= s->n_frames)
    frame = s->n_frames - 1;
  if (ends_with(path, ".gif") || ends_with(path, ".png"))
    return run_gnuplot(s, path, frame, err, size);
  if (!ends_with(path, ".svg")) {
    snprintf(err, size, "%s: the picture must end in .svg, .gif or .png", path);
    return -1;
  }
  cli_atomic_file af;
  if (cli_atomic_open(&af, path)) {
    snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  write_svg(af.f, s);
  if (cli_atomic_commit(&af)) {
    snprintf(err, size, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}
