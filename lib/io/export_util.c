/* Byte buffers and atomic multi-file writes for the exporters (see
 * export_util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crl/error.h"
#include "io/ckpt.h"
#include "io/export_util.h"

static int grow(crl__text *t, size_t more) {
  if (t->failed)
    return -1;
  if (t->len + more <= t->cap)
    return 0;
  size_t cap = t->cap ? t->cap : 4096;
  while (cap < t->len + more)
    cap *= 2;
  unsigned char *b = realloc(t->buf, cap);
  if (b == NULL) {
    t->failed = 1;
    return -1;
  }
  t->buf = b;
  t->cap = cap;
  return 0;
}

void crl__text_put(crl__text *t, const void *data, size_t n) {
  if (n == 0 || grow(t, n) != 0)
    return;
  memcpy(t->buf + t->len, data, n);
  t->len += n;
}

void crl__text_printf(crl__text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || grow(t, (size_t)n + 1) != 0) {
    t->failed = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf((char *)t->buf + t->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}

void crl__text_free(crl__text *t) {
  free(t->buf);
  *t = (crl__text){0};
}

/* PATH.tmp with the text, synced: 0, or -1 with errno (the temporary
 * removed). */
static int write_tmp(const char *tmp, const crl__text *t) {
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return -1;
  int bad = crl__write_all(fd, t->buf, t->len) || fsync(fd) != 0;
  int err = errno;
  if (close(fd) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  if (bad) {
    unlink(tmp);
    errno = err;
    return -1;
  }
  return 0;
}

enum { MAX_FILES = 4, PATH_SIZE = 4096 };

int crl__write_files(int n, const char *const *paths,
                     const crl__text *const *texts) {
  char tmp[MAX_FILES][PATH_SIZE];
  if (n < 1 || n > MAX_FILES)
    return crl_fail(CRL_EINVAL, "export: %d files to write", n);
  for (int i = 0; i < n; i++) {
    if (texts[i]->failed)
      return crl_fail(CRL_ENOMEM, "export: out of memory composing %s",
                      paths[i]);
    if (snprintf(tmp[i], PATH_SIZE, "%s.tmp", paths[i]) >= PATH_SIZE)
      return crl_fail(CRL_EINVAL, "export: path too long: %s", paths[i]);
  }
  for (int i = 0; i < n; i++)
    if (write_tmp(tmp[i], texts[i]) != 0) {
      const int err = errno;
      for (int j = 0; j < i; j++)
        unlink(tmp[j]);
      return crl_fail(CRL_EIO, "cannot write %s: %s", paths[i], strerror(err));
    }
  /* All written: renamed last to first, so that the first file (the one
   * a build names) appears only when the files it needs are there. */
  for (int i = n - 1; i >= 0; i--)
    if (rename(tmp[i], paths[i]) != 0) {
      const int err = errno;
      for (int j = 0; j <= i; j++)
        unlink(tmp[j]);
      return crl_fail(CRL_EIO, "cannot write %s: %s", paths[i], strerror(err));
    }
  return 0;
}
