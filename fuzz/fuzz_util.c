#include "fuzz_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

/* The directory goes with the process (libFuzzer ends with exit()). */
static void remove_tmp_dir(void) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return;
  char path[384];
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      remove(path);
    }
  closedir(d);
  rmdir(dir);
}

const char *fuzz_tmp_dir(void) {
  if (dir[0] == '\0') {
    /* Memory, not disk: rewriting a file on every input costs
     * milliseconds on a virtual disk and microseconds in tmpfs. */
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
      base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%.40s/crl-fuzz-XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
      perror("mkdtemp");
      abort();
    }
    atexit(remove_tmp_dir);
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
