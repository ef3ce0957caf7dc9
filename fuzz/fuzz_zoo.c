/* RL Zoo files (config/zoo.c, config/pyliteral.c). The input is written
 * as a zoo file and the entries of two envs are read for two algorithms;
 * whatever is accepted must be a crl experiment that round-trips as
 * config.yaml does (written, read back, the same points and text), and a
 * refusal must say why. The input as a whole is also a Python literal: a
 * converted one must read back as YAML (a malformed YAML value from the
 * converter is a bug of the converter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "config/pyliteral.h"
#include "config/run_config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const char *path, const char *env, const char *algo) {
  char err[CLI_ERR_SIZE] = "", note[4096];
  cli_experiment x;
  if (cli_experiment_load_zoo(path, env, algo, NULL, 0, -1, &x, note,
                              sizeof note, err, sizeof err) != 0) {
    if (err[0] == '\0')
      abort(); /* a refusal always says why */
    return;
  }
  char *written = cli_experiment_yaml_text(&x);
  if (written == NULL)
    abort();
  cli_cfg_entries e = {0};
  cli_experiment y;
  if (cli_cfg_load_yaml_text(written, "config.yaml", &e, err, sizeof err) ||
      cli_experiment_from_entries(&e, "config.yaml", &y, err, sizeof err)) {
    fprintf(stderr, "the resolved zoo entry does not read back: %s\n%s\n", err,
            written);
    abort();
  }
  char *again = cli_experiment_yaml_text(&y);
  /* the first line names the source file, which differs */
  const char *a = strchr(written, '\n'), *b = again ? strchr(again, '\n') : 0;
  if (a == NULL || b == NULL || strcmp(a, b) != 0) {
    fprintf(stderr, "round trip changed the experiment:\n%s\n---\n%s\n",
            written, again ? again : "");
    abort();
  }
  free(again);
  free(written);
  cli_cfg_entries_free(&e);
  cli_experiment_free(&y);
  cli_experiment_free(&x);
}

static void literal(const char *text) {
  static char yaml[PYLIT_MAX_TEXT], set[PYLIT_MAX_TEXT + 8], why[256];
  int offset;
  if (cli_pyliteral_to_yaml(text, yaml, sizeof yaml, &offset, why,
                            sizeof why) != 0)
    return;
  snprintf(set, sizeof set, "p=%s", yaml);
  cli_cfg_entries e = {0};
  char err[CLI_ERR_SIZE];
  /* The message starts with "--set p=VALUE: error: ", and VALUE may
   * itself hold any words: the reason is what follows that prefix. */
  const char *why_at = NULL;
  const size_t quoted = strlen("--set ") + strlen(set);
  if (cli_cfg_apply_set(&e, set, err, sizeof err) != 0 &&
      strlen(err) > quoted && strncmp(err, "--set ", 6) == 0 &&
      strncmp(err + 6, set, strlen(set)) == 0)
    why_at = err + quoted;
  if (why_at != NULL && strncmp(why_at, ": error: malformed value", 24) == 0) {
    fprintf(stderr, "%s\nconverted to %s\n%s\n", text, yaml, err);
    abort();
  }
  cli_cfg_entries_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  static char path[4096];
  if (path[0] == '\0')
    fuzz_path(path, sizeof path, "ppo.yml");
  fuzz_write_file(path, data, size);
  round_trip(path, "Pendulum-v1", NULL);
  round_trip(path, "CartPole-v1", "a2c");
  round_trip(path, "Pendulum-v1", "sac");
  if (strlen(text) == size) /* a literal has no NUL inside */
    literal(text);
  free(text);
  return 0;
}
