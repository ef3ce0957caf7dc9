/* Internal: what the policy exporters (export_c.c, export_onnx.c) share: a
 * growing byte buffer to compose a file in memory, and the atomic write of
 * one or more such files. */
#ifndef CRL_EXPORT_UTIL_H
#define CRL_EXPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct crl__text {
  unsigned char *buf;
  size_t len, cap;
  int failed; /* an allocation failed: reported by crl__write_files */
} crl__text;

/* Append bytes, or formatted text. Failures are remembered in t->failed
 * (so that a generator can append without checking each call). */
void crl__text_put(crl__text *t, const void *data, size_t n);
void crl__text_printf(crl__text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void crl__text_free(crl__text *t);

/* Write texts[i] to paths[i] for i < n: each to PATH.tmp (flushed and
 * synced), then, when every one is written, renamed into place. On a
 * failure the temporaries are removed and no file is renamed, so nothing
 * half-written is left: CRL_EIO (or CRL_ENOMEM when a text failed). */
int crl__write_files(int n, const char *const *paths,
                     const crl__text *const *texts);

#endif
