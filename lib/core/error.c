/* Errors as values: the code table and a per-thread message. */
#include <stdarg.h>
#include <stdio.h>

#include "crl/error.h"

static _Thread_local char last_message[1024];

const char *crl_strerror(int code) {
  switch (code) {
#define CRL_ERROR_TEXT_(name, value, text)                                     \
  case value:                                                                  \
    return text;
    CRL_ERROR_TABLE(CRL_ERROR_TEXT_)
#undef CRL_ERROR_TEXT_
  default:
    return "unknown error";
  }
}

const char *crl_errname(int code) {
  switch (code) {
#define CRL_ERROR_NAME_(name, value, text)                                     \
  case value:                                                                  \
    return "CRL_" #name;
    CRL_ERROR_TABLE(CRL_ERROR_NAME_)
#undef CRL_ERROR_NAME_
  default:
    return "CRL_E?";
  }
}

const char *crl_last_error(void) {
  return last_message;
}

void crl_clear_error(void) {
  last_message[0] = '\0';
}

int crl_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return code;
}
