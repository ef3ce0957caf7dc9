/* The crl command-line program (being written). */
#include <stdio.h>

#include "crl/crl.h"

int main(void) {
  printf("crl %s\n", crl_version());
  return 0;
}
