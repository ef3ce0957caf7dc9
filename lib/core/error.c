/* Errors as values: the code table and a per-thread message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* A message longer than last_message (a 5000-character path) keeps its
 * beginning and its end, where the reason is, with the middle elided. It
 * is formatted apart first, which also makes a message that quotes
 * crl_last_error() itself safe. */
#define HEAD_KEPT 400

int crl_fail(int code, const char *fmt, ...) {
  static _Thread_local char full[16384];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(full, sizeof full, fmt, ap);
  va_end(ap);
  if (n < 0) {
    snprintf(last_message, sizeof last_message, "%s", fmt);
    return code;
  }
  size_t len = (size_t)n < sizeof full ? (size_t)n : sizeof full - 1;
  if (len < sizeof last_message) {
    memcpy(last_message, full, len + 1);
    return code;
  }
  static const char gap[] = " [...] ";
  size_t tail = sizeof last_message - 1 - HEAD_KEPT - (sizeof gap - 1);
  memcpy(last_message, full, HEAD_KEPT);
  memcpy(last_message + HEAD_KEPT, gap, sizeof gap - 1);
  memcpy(last_message + HEAD_KEPT + sizeof gap - 1, full + len - tail, tail);
  last_message[sizeof last_message - 1] = '\0';
  return code;
}
