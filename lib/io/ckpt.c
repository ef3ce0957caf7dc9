/* The binary container behind checkpoints and policy files (see ckpt.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crl/error.h"
#include "io/ckpt.h"

static const char MAGIC[8] = {'C', 'R', 'L', 'F', 'I', 'L', 'E', '\0'};
#define MAX_NAME CRL__CKPT_MAX_NAME
#define MAX_SECTIONS 100000u
#define MAX_FILE ((uint64_t)1 << 36) /* 64 GiB: far above any real file */

/* ---- shared helpers ------------------------------------------------------ */

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

static size_t type_size(uint32_t type) {
  switch (type) {
  case CRL_CKPT_U8:
    return 1;
  case CRL_CKPT_F32:
    return 4;
  case CRL_CKPT_I64:
  case CRL_CKPT_F64:
    return 8;
  default:
    return 0;
  }
}

static int host_is_little_endian(void) {
  const uint16_t one = 1;
  unsigned char b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static uint32_t kind_version(uint32_t kind) {
  return kind == CRL_CKPT_KIND_POLICY ? CRL_CKPT_VERSION_POLICY
                                      : CRL_CKPT_VERSION_CHECKPOINT;
}

/* ---- writer -------------------------------------------------------------- */

struct crl_ckpt_writer {
  unsigned char *buf;
  size_t len, cap;
  uint64_t n_sections;
  size_t *names; /* [n_sections] offset in buf of each section's name_len */
  size_t names_cap;
  int failed; /* an allocation failed; report at write time */
};

static int reserve(crl_ckpt_writer *w, size_t more) {
  if (w->len + more <= w->cap)
    return 0;
  size_t cap = w->cap ? w->cap : 4096;
  while (cap < w->len + more)
    cap *= 2;
  unsigned char *b = realloc(w->buf, cap);
  if (b == NULL) {
    w->failed = 1;
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory (%zu bytes)", cap);
  }
  w->buf = b;
  w->cap = cap;
  return 0;
}

static int append(crl_ckpt_writer *w, const void *p, size_t n) {
  int rc = reserve(w, n);
  if (rc)
    return rc;
  if (n)
    memcpy(w->buf + w->len, p, n);
  w->len += n;
  return 0;
}

int crl__ckpt_writer_alloc(crl__ckpt_kind kind, crl_ckpt_writer **out) {
  *out = NULL;
  if (!host_is_little_endian())
    return crl_fail(CRL_EUNSUPPORTED,
                    "checkpoint: big-endian hosts are not supported");
  crl_ckpt_writer *w = calloc(1, sizeof *w);
  if (w == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
  uint32_t version = kind_version((uint32_t)kind), k = (uint32_t)kind;
  uint64_t zero = 0; /* n_sections, patched at write time */
  int rc = append(w, MAGIC, sizeof MAGIC);
  if (rc == 0)
    rc = append(w, &version, 4);
  if (rc == 0)
    rc = append(w, &k, 4);
  if (rc == 0)
    rc = append(w, &zero, 8);
  if (rc) {
    crl__ckpt_writer_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

void crl__ckpt_writer_free(crl_ckpt_writer *w) {
  if (w == NULL)
    return;
  free(w->buf);
  free(w->names);
  free(w);
}

/* A reader finds the first of two sections of one name, so a second one
 * (two table items named alike) would be lost: refuse it, and remember
 * where this one's name is. */
static int add_name(crl_ckpt_writer *w, const char *name, size_t nl) {
  for (uint64_t i = 0; i < w->n_sections; i++) {
    uint32_t l;
    memcpy(&l, w->buf + w->names[i], 4);
    if (l == nl && memcmp(w->buf + w->names[i] + 4, name, nl) == 0)
      return crl_fail(CRL_EINVAL, "checkpoint: section '%s' written twice",
                      name);
  }
  if (w->n_sections == w->names_cap) {
    size_t cap = w->names_cap ? 2 * w->names_cap : 64;
    size_t *n = realloc(w->names, cap * sizeof *n);
    if (n == NULL) {
      w->failed = 1;
      return crl_fail(CRL_ENOMEM, "checkpoint: out of memory");
    }
    w->names = n;
    w->names_cap = cap;
  }
  w->names[w->n_sections] = w->len;
  return 0;
}

int crl__ckpt_reserve(crl_ckpt_writer *w, const char *name, crl__ckpt_type type,
                      uint64_t count, void **data) {
  *data = NULL;
  size_t nl = strlen(name);
  size_t es = type_size((uint32_t)type);
  if (nl == 0 || nl > MAX_NAME || es == 0)
    return crl_fail(CRL_EINVAL, "checkpoint: bad section '%s'", name);
  if (count > (uint64_t)(SIZE_MAX / 2) / es)
    return crl_fail(CRL_EINVAL, "checkpoint: section '%s' is too large", name);
  uint32_t nl32 = (uint32_t)nl, t32 = (uint32_t)type;
  int rc = add_name(w, name, nl);
  rc = rc ? rc : append(w, &nl32, 4);
  if (rc == 0)
    rc = append(w, name, nl);
  if (rc == 0)
    rc = append(w, &t32, 4);
  if (rc == 0)
    rc = append(w, &count, 8);
  if (rc == 0)
    rc = reserve(w, (size_t)count * es);
  if (rc)
    return rc;
  *data = w->buf + w->len;
  w->len += (size_t)count * es;
  w->n_sections++;
  return 0;
}

int crl__ckpt_put(crl_ckpt_writer *w, const char *name, crl__ckpt_type type,
                  uint64_t count, const void *data) {
  void *dst;
  int rc = crl__ckpt_reserve(w, name, type, count, &dst);
  if (rc == 0 && count > 0)
    memcpy(dst, data, (size_t)count * type_size((uint32_t)type));
  return rc;
}

int crl__write_all(int fd, const void *data, size_t n) {
  const unsigned char *p = data;
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int crl__ckpt_write_file(crl_ckpt_writer *w, const char *path) {
  if (w->failed)
    return crl_fail(CRL_ENOMEM, "checkpoint: an earlier section failed");
  memcpy(w->buf + 16, &w->n_sections, 8);
  uint64_t sum = fnv1a(w->buf, w->len);
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return crl_fail(CRL_EINVAL, "checkpoint: path too long");
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return crl_fail(CRL_EIO, "checkpoint: cannot create %s: %s", tmp,
                    strerror(errno));
  int bad = crl__write_all(fd, w->buf, w->len) ||
            crl__write_all(fd, (void *)&sum, 8) || fsync(fd) != 0;
  int err = errno;
  if (close(fd) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  if (bad || rename(tmp, path) != 0) {
    if (!bad)
      err = errno;
    unlink(tmp);
    return crl_fail(CRL_EIO, "checkpoint: cannot write %s: %s", path,
                    strerror(err));
  }
  return 0;
}

/* ---- reader -------------------------------------------------------------- */

typedef struct section {
  const char *name; /* not NUL-terminated */
  uint32_t name_len;
  uint32_t type;
  uint64_t count;
  const unsigned char *data;
  int used; /* read by crl__ckpt_section (crl__ckpt_unused reports the rest) */
} section;

struct crl_ckpt_reader {
  unsigned char *buf;
  size_t len;
  char *what; /* the path, or "checkpoint" when read from memory */
  section *sections;
  uint64_t n_sections;
};

void crl__ckpt_reader_free(crl_ckpt_reader *r) {
  if (r == NULL)
    return;
  free(r->buf);
  free(r->sections);
  free(r->what);
  free(r);
}

/* Bounded little reads from the buffer. */
typedef struct cursor {
  const unsigned char *p, *end;
} cursor;

static int take(cursor *c, void *out, size_t n) {
  if ((size_t)(c->end - c->p) < n)
    return -1;
  memcpy(out, c->p, n);
  c->p += n;
  return 0;
}

static int parse_sections(crl_ckpt_reader *r, const char *what) {
  cursor c = {r->buf + 24, r->buf + r->len - 8};
  /* Each section takes at least 16 bytes: bound the count before use. */
  if (r->n_sections > MAX_SECTIONS ||
      r->n_sections > (uint64_t)(c.end - c.p) / 16)
    return crl_fail(CRL_EFORMAT, "%s: implausible section count %llu", what,
                    (unsigned long long)r->n_sections);
  r->sections = calloc(r->n_sections ? r->n_sections : 1, sizeof *r->sections);
  if (r->sections == NULL)
    return crl_fail(CRL_ENOMEM, "%s: out of memory", what);
  for (uint64_t i = 0; i < r->n_sections; i++) {
    section *s = &r->sections[i];
    if (take(&c, &s->name_len, 4) || s->name_len == 0 ||
        s->name_len > MAX_NAME || (size_t)(c.end - c.p) < s->name_len)
      return crl_fail(CRL_EFORMAT, "%s: damaged section %llu", what,
                      (unsigned long long)i);
    s->name = (const char *)c.p;
    c.p += s->name_len;
    if (take(&c, &s->type, 4) || take(&c, &s->count, 8))
      return crl_fail(CRL_EFORMAT, "%s: truncated section %llu", what,
                      (unsigned long long)i);
    size_t es = type_size(s->type);
    if (es == 0 || s->count > (uint64_t)(c.end - c.p) / es)
      return crl_fail(CRL_EFORMAT,
                      "%s: section '%.*s' claims more data than the file has",
                      what, (int)s->name_len, s->name);
    s->data = c.p;
    c.p += (size_t)s->count * es;
  }
  if (c.p != c.end)
    return crl_fail(CRL_EFORMAT, "%s: %zu stray bytes after the sections", what,
                    (size_t)(c.end - c.p));
  return 0;
}

static int verify_header(crl_ckpt_reader *r, crl__ckpt_kind kind,
                         const char *what) {
  if (r->len < 32 || memcmp(r->buf, MAGIC, 8) != 0)
    return crl_fail(CRL_EFORMAT, "%s: not a crl file", what);
  uint64_t stored;
  memcpy(&stored, r->buf + r->len - 8, 8);
  if (stored != fnv1a(r->buf, r->len - 8))
    return crl_fail(CRL_EFORMAT, "%s: checksum mismatch (damaged or truncated)",
                    what);
  uint32_t version, k;
  memcpy(&version, r->buf + 8, 4);
  memcpy(&k, r->buf + 12, 4);
  memcpy(&r->n_sections, r->buf + 16, 8);
  if (k != CRL_CKPT_KIND_POLICY && k != CRL_CKPT_KIND_CHECKPOINT)
    return crl_fail(CRL_EFORMAT, "%s: unknown kind of crl file (%u)", what, k);
  if (k != (uint32_t)kind)
    return crl_fail(CRL_EINVAL, "%s: holds a %s, not a %s", what,
                    k == CRL_CKPT_KIND_POLICY ? "policy" : "checkpoint",
                    kind == CRL_CKPT_KIND_POLICY ? "policy" : "checkpoint");
  const uint32_t want = kind_version(k);
  if (version != want)
    return crl_fail(CRL_EFORMAT,
                    "%s: %s format version %u, written by %s crl; this build "
                    "reads version %u (%s)",
                    what, k == CRL_CKPT_KIND_POLICY ? "policy" : "checkpoint",
                    version, version < want ? "an older" : "a newer", want,
                    k == CRL_CKPT_KIND_POLICY
                        ? "export the policy again"
                        : "continue the run with the build that wrote it, "
                          "or start it again");
  return 0;
}

static int open_buffer(unsigned char *buf, size_t len, crl__ckpt_kind kind,
                       const char *what, crl_ckpt_reader **out) {
  crl_ckpt_reader *r = calloc(1, sizeof *r);
  if (r == NULL) {
    free(buf);
    return crl_fail(CRL_ENOMEM, "%s: out of memory", what);
  }
  r->buf = buf;
  r->len = len;
  const size_t wl = strlen(what) + 1;
  if ((r->what = malloc(wl)) == NULL) {
    crl__ckpt_reader_free(r);
    return crl_fail(CRL_ENOMEM, "%s: out of memory", what);
  }
  memcpy(r->what, what, wl);
  int rc = host_is_little_endian()
               ? 0
               : crl_fail(CRL_EUNSUPPORTED, "big-endian hosts not supported");
  if (rc == 0)
    rc = verify_header(r, kind, what);
  if (rc == 0)
    rc = parse_sections(r, what);
  if (rc) {
    crl__ckpt_reader_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int crl__ckpt_read_file(const char *path, crl__ckpt_kind kind,
                        crl_ckpt_reader **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return crl_fail(CRL_EIO, "%s: %s", path, strerror(errno));
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0)
    size = ftell(f);
  if (size < 0 || (uint64_t)size > MAX_FILE || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return crl_fail(CRL_EIO, "%s: cannot determine its size", path);
  }
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  if (buf == NULL) {
    fclose(f);
    return crl_fail(CRL_ENOMEM, "%s: out of memory (%ld bytes)", path, size);
  }
  size_t got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    free(buf);
    return crl_fail(CRL_EIO, "%s: read %zu of %ld bytes", path, got, size);
  }
  return open_buffer(buf, got, kind, path, out);
}

/* The section called name; the reader's sections are its own even when the
 * reader is const, so that reading one can mark it used. */
static section *lookup(const crl_ckpt_reader *r, const char *name) {
  size_t nl = strlen(name);
  for (uint64_t i = 0; i < r->n_sections; i++)
    if (r->sections[i].name_len == nl &&
        memcmp(r->sections[i].name, name, nl) == 0)
      return &r->sections[i];
  return NULL;
}

int crl__ckpt_unused(const crl_ckpt_reader *r, const char *prefix,
                     const char **name, int *name_len) {
  size_t pl = strlen(prefix);
  for (uint64_t i = 0; i < r->n_sections; i++) {
    const section *s = &r->sections[i];
    if (!s->used && s->name_len > pl && memcmp(s->name, prefix, pl) == 0 &&
        s->name[pl] == '.') {
      *name = s->name;
      *name_len = (int)s->name_len;
      return 1;
    }
  }
  return 0;
}

const char *crl__ckpt_reader_name(const crl_ckpt_reader *r) {
  return r->what;
}

uint64_t crl__ckpt_n_sections(const crl_ckpt_reader *r) {
  return r->n_sections;
}

void crl__ckpt_section_at(const crl_ckpt_reader *r, uint64_t i,
                          const char **name, int *name_len,
                          crl__ckpt_type *type, uint64_t *count,
                          const void **data) {
  const section *s = &r->sections[i];
  *name = s->name;
  *name_len = (int)s->name_len;
  *type = (crl__ckpt_type)s->type;
  *count = s->count;
  *data = s->data;
}

int crl__ckpt_section(const crl_ckpt_reader *r, const char *name,
                      crl__ckpt_type *type, uint64_t *count,
                      const void **data) {
  section *s = lookup(r, name);
  if (s == NULL)
    return CRL_ENOTFOUND;
  s->used = 1;
  *type = (crl__ckpt_type)s->type;
  *count = s->count;
  *data = s->data;
  return 0;
}

/* ---- the public face (crl/state.h): checkpoint-kind files ---------------- */

int crl_ckpt_writer_alloc(crl_ckpt_writer **out) {
  return crl__ckpt_writer_alloc(CRL_CKPT_KIND_CHECKPOINT, out);
}

void crl_ckpt_writer_free(crl_ckpt_writer *w) {
  crl__ckpt_writer_free(w);
}

int crl_ckpt_writer_write(crl_ckpt_writer *w, const char *path) {
  return crl__ckpt_write_file(w, path);
}

int crl_ckpt_reader_open(const char *path, crl_ckpt_reader **out) {
  return crl__ckpt_read_file(path, CRL_CKPT_KIND_CHECKPOINT, out);
}

void crl_ckpt_reader_free(crl_ckpt_reader *r) {
  crl__ckpt_reader_free(r);
}
