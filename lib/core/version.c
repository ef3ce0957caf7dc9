#include "crl/common.h"

const char *crl_version(void) {
  return CRL_VERSION_STRING;
}

const char *crl_real_name(void) {
  return CRL_REAL_NAME;
}
