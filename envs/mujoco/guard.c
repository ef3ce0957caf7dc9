/* Calls into MuJoCo that cannot print, abort or exit on the caller's behalf.
 *
 * MuJoCo reports errors through the process-global hook mju_user_error; its
 * default prints and exits, and a handler that returns lets MuJoCo carry on
 * with bad state. So crl installs a handler (once per process) that, when
 * the calling thread is inside one of the guarded calls below, keeps the
 * message and longjmps back to the call, which returns a CRL_E* code. The
 * data the call was working on is then unusable until mj_resetData (the
 * env marks itself broken). Outside crl's calls the handler passes the
 * message to whichever handler was installed before, so a program that
 * uses MuJoCo itself keeps its own error handling (include/crl/mujoco.h).
 * Warnings inside guarded calls are kept quiet: the env checks the
 * instability counters in mjData itself. */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "crl/error.h"
#include "mujoco_internal.h"

static void (*previous_error)(const char *);
static void (*previous_warning)(const char *);
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

/* Per thread: where to jump on an error, and the message. */
static _Thread_local jmp_buf *guard;
static _Thread_local char guard_message[512];

static void on_error(const char *msg) {
  if (guard != NULL) {
    snprintf(guard_message, sizeof guard_message, "%s", msg ? msg : "");
    longjmp(*guard, 1);
  }
  if (previous_error != NULL)
    previous_error(msg);
}

static void on_warning(const char *msg) {
  if (guard == NULL && previous_warning != NULL)
    previous_warning(msg);
}

static void install(void) {
  previous_error = mju_user_error;
  previous_warning = mju_user_warning;
  mju_user_error = on_error;
  mju_user_warning = on_warning;
}

void crl__mj_install_handlers(void) {
  pthread_once(&install_once, install);
}

/* The guarded calls. Each keeps setjmp and the MuJoCo call in one small
 * function that touches no local after the jump, so nothing needs to be
 * volatile. `saved` allows a guarded call inside another (a user callback
 * calling MuJoCo from inside ours is not guarded: callbacks run outside). */
#define GUARDED(what, call)                                                    \
  do {                                                                         \
    jmp_buf here;                                                              \
    jmp_buf *saved = guard;                                                    \
    if (setjmp(here) != 0) {                                                   \
      guard = saved;                                                           \
      return crl_fail(CRL_EEXTERNAL, "MuJoCo %s: %s", what, guard_message);    \
    }                                                                          \
    guard = &here;                                                             \
    call;                                                                      \
    guard = saved;                                                             \
  } while (0)

int crl__mj_load(const char *path, mjModel **out) {
  crl__mj_install_handlers();
  *out = NULL;
  char error[1000] = "";
  mjModel *m = NULL;
  GUARDED("loading a model", m = mj_loadXML(path, NULL, error, sizeof error));
  if (m == NULL)
    return crl_fail(CRL_EFORMAT, "MuJoCo could not load '%s': %s", path,
                    error[0] ? error : "unknown error");
  *out = m;
  return 0;
}

int crl__mj_make_data(const mjModel *m, mjData **out) {
  crl__mj_install_handlers();
  *out = NULL;
  mjData *d = NULL;
  GUARDED("allocating data", d = mj_makeData(m));
  if (d == NULL)
    return crl_fail(CRL_ENOMEM, "MuJoCo could not allocate mjData");
  *out = d;
  return 0;
}

int crl__mj_step(const mjModel *m, mjData *d, int n) {
  GUARDED("step", for (int k = 0; k < n; k++) mj_step(m, d));
  return 0;
}

int crl__mj_forward(const mjModel *m, mjData *d) {
  GUARDED("forward", mj_forward(m, d));
  return 0;
}

int crl__mj_rne_post(const mjModel *m, mjData *d) {
  GUARDED("rnePostConstraint", mj_rnePostConstraint(m, d));
  return 0;
}
