/* Whole-run checkpoints of an algorithm and its vec env. */
#include "io/checkpoint.h"
#include "crl/error.h"
#include "io/ckpt.h"
#include "io/state_io.h"

int crl__algo_save_into(crl_algo *algo, crl_vec_env *venv, crl_ckpt_writer *w) {
  const crl_algo_type *t = crl_algo_get_type(algo);
  if (t->save == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "algo '%s' cannot be checkpointed",
                    t->name);
  int rc = crl__ckpt_put_string(w, "algo.name", t->name);
  rc = rc ? rc : crl__ckpt_put_string(w, "crl.real", crl_real_name());
  rc = rc ? rc : t->save(crl__algo_self(algo), w);
  return rc ? rc : crl__vec_env_save(venv, w, "venv");
}

int crl__algo_load_from(crl_algo *algo, crl_vec_env *venv,
                        const crl_ckpt_reader *r) {
  const crl_algo_type *t = crl_algo_get_type(algo);
  if (t->load == NULL)
    return crl_fail(CRL_EUNSUPPORTED, "algo '%s' cannot be restored", t->name);
  char name[64], real[16];
  int rc = crl__ckpt_get_string(r, "algo.name", name, sizeof name);
  rc = rc ? rc : crl__ckpt_get_string(r, "crl.real", real, sizeof real);
  if (rc)
    return rc;
  if (strcmp(name, t->name) != 0)
    return crl_fail(CRL_EFORMAT, "checkpoint: written by '%s', not '%s'", name,
                    t->name);
  /* Exact resume needs the same arithmetic: refuse the other precision. */
  if (strcmp(real, crl_real_name()) != 0)
    return crl_fail(CRL_EFORMAT,
                    "checkpoint: written by a %s build; this is a %s build "
                    "(export a policy to move between them)",
                    real, crl_real_name());
  rc = t->load(crl__algo_self(algo), r);
  return rc ? rc : crl__vec_env_load(venv, r, "venv");
}

int crl_algo_checkpoint_save(crl_algo *algo, crl_vec_env *venv,
                             const char *path) {
  crl_ckpt_writer *w = NULL;
  int rc = crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, &w);
  rc = rc ? rc : crl__algo_save_into(algo, venv, w);
  rc = rc ? rc : crl__ckpt_write_file(w, path);
  crl__ckpt_writer_free(w);
  return rc;
}

int crl_algo_checkpoint_load(crl_algo *algo, crl_vec_env *venv,
                             const char *path) {
  crl_ckpt_reader *r = NULL;
  int rc = crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, &r);
  rc = rc ? rc : crl__algo_load_from(algo, venv, r);
  crl__ckpt_reader_free(r);
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
