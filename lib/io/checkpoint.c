/* Whole-run checkpoints of an algorithm and its vec env. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"
#include "io/checkpoint.h"
#include "io/ckpt.h"

/* What a checkpoint was written by: the algorithm and the precision. */
typedef struct origin {
  char algo[64];
  char real[16];
} origin;

static int origin_sections(void *obj, crl_state_io *io) {
  origin *o = obj;
  const crl_state_item items[] = {
      CRL_STATE(STRING, "algo.name", o->algo, sizeof o->algo, 0),
      CRL_STATE(STRING, "crl.real", o->real, sizeof o->real, 0),
  };
  return crl_state_items(io, items, CRL_STATE_COUNT(items));
}

int crl_algo_checkpoint_write(crl_algo *algo, crl_vec_env *venv,
                              crl_ckpt_writer *w) {
  const crl_algo_type *t = crl_algo_get_type(algo);
  if (t->save == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "algo '%s' cannot be checkpointed",
                    t->name);
  origin o;
  snprintf(o.algo, sizeof o.algo, "%s", t->name);
  snprintf(o.real, sizeof o.real, "%s", crl_real_name());
  int rc = crl_state_save(w, NULL, origin_sections, &o);
  rc = rc ? rc : t->save(crl__algo_self(algo), w);
  return rc ? rc : crl_state_save(w, "venv", crl__vec_env_sections, venv);
}

/* After the algorithm's load: a section under its name that it did not
 * read was saved by an instance configured otherwise (with a normaliser,
 * say), and loading without it would change what the algorithm does. */
static int check_all_read(const crl_ckpt_reader *r, const char *algo) {
  const char *name;
  int len;
  if (!crl__ckpt_unused(r, algo, &name, &len))
    return 0;
  return crl_fail(CRL_EFORMAT,
                  "%s: section '%.*s' is not part of this %s's state (the "
                  "checkpoint was saved with other settings)",
                  crl__ckpt_reader_name(r), len, name, algo);
}

int crl_algo_checkpoint_read(crl_algo *algo, crl_vec_env *venv,
                             const crl_ckpt_reader *r) {
  const crl_algo_type *t = crl_algo_get_type(algo);
  if (t->load == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "algo '%s' cannot be restored", t->name);
  origin o;
  int rc = crl_state_load(r, NULL, origin_sections, &o);
  if (rc)
    return rc;
  if (strcmp(o.algo, t->name) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: written by '%s', not '%s'",
                    o.algo, t->name);
  /* Exact resume needs the same arithmetic: refuse the other precision. */
  if (strcmp(o.real, crl_real_name()) != 0)
    return crl_fail(CRL_EFORMAT,
                    "checkpoint: written by a %s build; this is a %s build "
                    "(export a policy to move between them)",
                    o.real, crl_real_name());
  rc = t->load(crl__algo_self(algo), r);
  if (rc == 0)
    rc = check_all_read(r, t->name);
  return rc ? rc : crl_state_load(r, "venv", crl__vec_env_sections, venv);
}

int crl_algo_checkpoint_save(crl_algo *algo, crl_vec_env *venv,
                             const char *path) {
  crl_ckpt_writer *w = NULL;
  int rc = crl_ckpt_writer_alloc(&w);
  rc = rc ? rc : crl_algo_checkpoint_write(algo, venv, w);
  rc = rc ? rc : crl_ckpt_writer_write(w, path);
  crl_ckpt_writer_free(w);
  return rc;
}

int crl_algo_checkpoint_load(crl_algo *algo, crl_vec_env *venv,
                             const char *path) {
  crl_ckpt_reader *r = NULL;
  int rc = crl_ckpt_reader_open(path, &r);
  rc = rc ? rc : crl_algo_checkpoint_read(algo, venv, r);
  crl_ckpt_reader_free(r);
  return rc;
}

int crl_algo_export_policy(crl_algo *algo, int max_batch, crl_policy **out) {
  *out = NULL;
  const crl_algo_type *t = crl_algo_get_type(algo);
  if (t->export_policy == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "algo '%s' cannot export a policy",
                    t->name);
  return t->export_policy(crl__algo_self(algo), max_batch, out);
}
