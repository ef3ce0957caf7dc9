/* crl: errors as values.
 *
 * Every function that can fail returns int: 0 on success or a negative
 * CRL_E* code. A message with context is kept per thread and read back with
 * crl_last_error(). The library never prints, aborts or exits. */
#ifndef CRL_ERROR_H
#define CRL_ERROR_H

#include "crl/common.h"

CRL_BEGIN_DECLS

/* One table gives the enum, crl_strerror and crl_errname. */
#define CRL_ERROR_TABLE(X)                                                     \
  X(OK, 0, "success")                                                          \
  X(EINVAL, -1, "invalid argument")                                            \
  X(ENOMEM, -2, "out of memory")                                               \
  X(ERANGE, -3, "value out of range")                                          \
  X(ESHAPE, -4, "shape or capacity mismatch")                                  \
  X(ENOTFOUND, -5, "not found")                                                \
  X(EIO, -6, "input/output error")                                             \
  X(EFORMAT, -7, "malformed input")                                            \
  X(ENONFINITE, -8, "non-finite value")                                        \
  X(ESTATE, -9, "call not valid in the current state")                         \
  X(EUNSUPPORTED, -10, "not supported")                                        \
  X(EEXTERNAL, -11, "external program failed")

typedef enum crl_error {
#define CRL_ERROR_ENUM_(name, code, text) CRL_##name = code,
  CRL_ERROR_TABLE(CRL_ERROR_ENUM_)
#undef CRL_ERROR_ENUM_
} crl_error;

/** A short description of an error code ("invalid argument"). */
CRL_API const char *crl_strerror(int code);

/** The symbolic name of an error code ("CRL_EINVAL"). */
CRL_API const char *crl_errname(int code);

/** The message of the last failure on this thread, with context
 *  ("mlp_forward: batch 300 exceeds capacity 256"). Empty when none. */
CRL_API const char *crl_last_error(void);

/** Forget the last error message of this thread. */
CRL_API void crl_clear_error(void);

/** Record a formatted message as this thread's last error and return code,
 *  so that a failing path reads `return crl_fail(CRL_EINVAL, "...", ...)`.
 *  Public so that user environments can report errors the same way. */
CRL_API int crl_fail(int code, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

CRL_END_DECLS

#endif
