/* crl render CKPT|policy.crlp -o episode.svg|.gif|.png [--env NAME]
 * [--set KEY=VALUE]... [--seed N] [--every K] [--frame I]: one
 * deterministic episode drawn as an animation (or one frame as a PNG), so
 * a person can see what the policy does. The episode is the first of the
 * run's evaluation (same reset seed) unless --seed says otherwise; --env
 * and --set pick the env as for crl eval. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "plot/render.h"
#include "run/policy_src.h"

/* Longer episodes are thinned to about this many frames. */
#define TARGET_FRAMES 250

typedef struct render_args {
  const char *source, *out;
  cli_env_choice env;
  int seed, has_seed, every, frame;
} render_args;

static int usage(const char *what, const char *arg) {
  fprintf(stderr, "crl render: %s%s\n(run `crl help render` for usage)\n", what,
          arg);
  return CLI_EXIT_USAGE;
}

static int parse_int(const char *text, long min, long max, int *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || errno || v < min || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

static int int_option(const char *o, const char *v, render_args *a) {
  int *field = strcmp(o, "--seed") == 0    ? &a->seed
               : strcmp(o, "--every") == 0 ? &a->every
                                           : &a->frame;
  long min = strcmp(o, "--every") == 0 ? 1 : 0;
  if (parse_int(v, min, INT_MAX, field))
    return usage("a number is expected after ", o);
  if (field == &a->seed)
    a->has_seed = 1;
  return 0;
}

static int parse_args(int argc, char **argv, render_args *a) {
  memset(a, 0, sizeof *a);
  a->frame = -1;
  for (int i = 0; i < argc; i++) {
    const char *o = argv[i];
    char err[CLI_ERR_SIZE];
    int taken = cli_env_choice_option(&a->env, argc, argv, &i, err, sizeof err);
    if (taken < 0)
      return usage(err, "");
    if (taken == 0)
      continue;
    int valued = strcmp(o, "-o") == 0 || strcmp(o, "--output") == 0 ||
                 strcmp(o, "--seed") == 0 || strcmp(o, "--every") == 0 ||
                 strcmp(o, "--frame") == 0;
    if (valued && i + 1 == argc)
      return usage("a value is missing after ", o);
    if (strcmp(o, "-o") == 0 || strcmp(o, "--output") == 0)
      a->out = argv[++i];
    else if (valued) {
      if (int_option(o, argv[++i], a))
        return CLI_EXIT_USAGE;
    } else if (o[0] == '-' && o[1] != '\0')
      return usage("unknown option ", o);
    else if (a->source == NULL)
      a->source = o;
    else
      return usage("unexpected argument ", o);
  }
  if (a->source == NULL || a->out == NULL || a->out[0] == '\0')
    return usage("usage: crl render CKPT|policy.crlp -o FILE.svg|.gif|.png",
                 "");
  const char *dot = strrchr(a->out, '.');
  if (dot == NULL ||
      (strcmp(dot, ".svg") && strcmp(dot, ".gif") && strcmp(dot, ".png")))
    return usage("the picture must end in .svg, .gif or .png: ", a->out);
  return 0;
}

typedef struct recorder {
  cli_scene scene;
  cli_drawing *drawing;
  int every;
  double ret;
  int failed;
} recorder;

static void on_frame(void *ctx, const crl_env *env, int t,
                     const crl_real *action, double reward) {
  recorder *r = ctx;
  r->ret += reward;
  if (t % r->every == 0)
    r->failed |= cli_scene_add(&r->scene, r->drawing, env, t, r->ret, action);
}

/* Play once to learn the episode's length, then again to record it with
 * the frame stride that gives about TARGET_FRAMES frames. */
static int record(cli_policy_source *s, crl_env *env, uint64_t seed,
                  recorder *r) {
  double ret;
  int len = 0, rc = 0;
  if (r->every == 0) {
    crl_env_seed(env, seed);
    rc = cli_play_episode(s, env, NULL, NULL, 0, &ret, &len);
    r->every =
        len > TARGET_FRAMES ? (len + TARGET_FRAMES - 1) / TARGET_FRAMES : 1;
  }
  crl_env_seed(env, seed);
  return rc ? rc : cli_play_episode(s, env, on_frame, r, 0, &ret, &len);
}

static int render(const render_args *a, cli_policy_source *s) {
  char err[CLI_ERR_SIZE];
  crl_env *env = NULL;
  if (cli_policy_env_open(s, &a->env, &env, err, sizeof err)) {
    fprintf(stderr, "crl render: %s\n", err);
    return CLI_EXIT_USAGE;
  }
  const char *name = crl_env_get_type(env)->name;
  recorder r = {.drawing = cli_drawing_open(name, env), .every = a->every};
  if (r.drawing == NULL) {
    fprintf(stderr, "crl render: no drawing for env '%s' (there are: %s)\n",
            name, cli_drawing_names());
    crl_env_free(env);
    return CLI_EXIT_USAGE;
  }
  int seed = a->has_seed ? a->seed : s->from_checkpoint ? s->seed : 0;
  cli_scene_init(&r.scene, r.drawing, 0.05);
  int rc = record(s, env, crl_seed_derive((uint64_t)seed, CRL_STREAM_EVAL), &r);
  r.scene.seconds_per_frame = 0.05 * r.every;
  if (rc || r.failed)
    snprintf(err, sizeof err, "%s",
             rc ? crl_last_error() : "out of memory recording frames");
  else
    rc = cli_scene_write(&r.scene, a->out, a->frame, err, sizeof err);
  if (rc == 0)
    printf("wrote %s (%d frames, return %.1f)\n", a->out, r.scene.n_frames,
           r.ret);
  else
    fprintf(stderr, "crl render: %s\n", err);
  cli_scene_free(&r.scene);
  cli_drawing_free(r.drawing);
  crl_env_free(env);
  return rc ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cli_cmd_render(int argc, char **argv) {
  render_args a;
  int rc = parse_args(argc, argv, &a);
  if (rc)
    return rc;
  cli_policy_source s;
  char err[CLI_ERR_SIZE];
  if (cli_policy_source_open(a.source, &s, err, sizeof err)) {
    fprintf(stderr, "crl render: %s\n", err);
    return CLI_EXIT_USAGE;
  }
  rc = render(&a, &s);
  cli_policy_source_close(&s);
  return rc;
}
