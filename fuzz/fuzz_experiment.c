/* The experiment loader, end to end: YAML text (the input) is flattened,
 * one --set is applied (the input's last line "#--set KEY=VALUE", a YAML
 * comment, when it has one), the grid is expanded and every point
 * validated; the resolved experiment is written as `crl train` writes
 * config.yaml and read back. The round trip must be the identity: the same
 * number of points, the same names, the same specs byte for byte and the
 * same resolved text, and writing the second reading gives the same file.
 * abort() when it is not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/experiment.h"
#include "config/plugins.h"
#include "config/run_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SET_MARK "\n#--set "

static void fail(const char *what, const char *a, const char *b) {
  fprintf(stderr, "round trip: %s\n--- first:\n%s\n--- second:\n%s\n", what,
          a ? a : "", b ? b : "");
  abort();
}

static char *point_text(const cli_run_config *cfg) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    return NULL;
  int rc = cli_config_write_body(cfg, f);
  if (fclose(f) != 0 || rc != 0) {
    free(text);
    return NULL;
  }
  return text;
}

static int load(const char *text, const char *set, cli_experiment *x,
                char *err) {
  cli_cfg_entries entries = {0};
  int rc =
      cli_cfg_load_yaml_text(text, "fuzz.yaml", &entries, err, CLI_ERR_SIZE);
  if (rc == 0 && set)
    rc = cli_cfg_apply_set(&entries, set, err, CLI_ERR_SIZE);
  if (rc == 0)
    rc = cli_experiment_from_entries(&entries, "fuzz.yaml", x, err,
                                     CLI_ERR_SIZE);
  cli_cfg_entries_free(&entries);
  return rc;
}

static void compare(const cli_experiment *a, const cli_experiment *b,
                    const char *text) {
  if (a->n_points != b->n_points)
    fail("the number of points changed", text, NULL);
  for (int p = 0; p < a->n_points; p++) {
    const cli_run_config *pa = &a->points[p], *pb = &b->points[p];
    if (strcmp(a->names[p], b->names[p]) != 0)
      fail("a point's name changed", a->names[p], b->names[p]);
    if (pa->algo != pb->algo ||
        memcmp(pa->algo_spec, pb->algo_spec, pa->algo->spec_size) != 0)
      fail("a point's spec changed", text, NULL);
    char *ta = point_text(pa), *tb = point_text(pb);
    if (ta == NULL || tb == NULL)
      abort();
    if (strcmp(ta, tb) != 0)
      fail("a point's resolved config changed", ta, tb);
    free(ta);
    free(tb);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cli_plugin_loading_off(); /* a generated `plugins:` must not dlopen */
  char *text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  char *set = NULL, *mark = strstr(text, SET_MARK);
  if (mark) {
    set = mark + strlen(SET_MARK);
    set[strcspn(set, "\n")] = '\0';
  }

  char err[CLI_ERR_SIZE] = "";
  cli_experiment x;
  if (load(text, set, &x, err) == 0) {
    char *written = cli_experiment_yaml_text(&x);
    if (written == NULL)
      abort();
    cli_experiment y;
    if (load(written, NULL, &y, err) != 0)
      fail(err, written, NULL);
    compare(&x, &y, written);
    char *again = cli_experiment_yaml_text(&y);
    if (again == NULL || strcmp(written, again) != 0)
      fail("writing the reading back gives another file", written, again);
    free(again);
    free(written);
    cli_experiment_free(&y);
    cli_experiment_free(&x);
  } else if (err[0] == '\0')
    abort(); /* a refusal always says why */
  free(text);
  return 0;
}
