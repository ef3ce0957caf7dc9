#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *fuzz_tmp_dir(void) {
  static char dir[64];
  if (dir[0] == '\0') {
    snprintf(dir, sizeof dir, "/tmp/crl-fuzz-XXXXXX");
    if (mkdtemp(dir) == NULL) {
      perror("mkdtemp");
      abort();
    }
  }
  return dir;
}

void fuzz_path(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", fuzz_tmp_dir(), name);
}

void fuzz_write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) ||
      fclose(f) != 0) {
    perror(path);
    abort();
  }
}

void fuzz_fix_checksum(unsigned char *file, size_t size) {
  if (size < 8)
    return;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size - 8; i++) {
    h ^= file[i];
    h *= 0x100000001b3ULL;
  }
  for (int b = 0; b < 8; b++)
    file[size - 8 + b] = (unsigned char)(h >> (8 * b));
}
