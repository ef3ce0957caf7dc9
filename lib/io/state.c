/* Saving and loading tables of state items (see crl/state.h) on top of the
 * container of io/ckpt.h. One walk serves both directions: each item is
 * written, or looked up, checked and then stored. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crl/error.h"
#include "crl/state.h"
#include "io/ckpt.h"

struct crl_state_io {
  crl_ckpt_writer *w;       /* saving */
  const crl_ckpt_reader *r; /* loading */
  /* The full name of the section or object being walked; `len` bytes of
   * it are the current prefix. */
  char name[CRL__CKPT_MAX_NAME + 1];
  size_t len;
};

int crl_state_loading(const crl_state_io *io) {
  return io->r != NULL;
}

/* Append ".part" (or "part" at the top) and an optional index to the
 * current prefix; the old length goes to *saved for pop(). */
static int push(crl_state_io *io, const char *part, long index, size_t *saved) {
  *saved = io->len;
  const size_t room = sizeof io->name - io->len;
  const char *dot = io->len > 0 ? "." : "";
  int n = index < 0
              ? snprintf(io->name + io->len, room, "%s%s", dot, part)
              : snprintf(io->name + io->len, room, "%s%s%ld", dot, part, index);
  if (n < 0 || (size_t)n >= room) {
    io->name[io->len] = '\0';
    return crl_fail(CRL_EINVAL, "checkpoint: section name '%s.%s' too long",
                    io->name, part);
  }
  io->len += (size_t)n;
  return 0;
}

static void pop(crl_state_io *io, size_t saved) {
  io->len = saved;
  io->name[saved] = '\0';
}

/* Values in the section: count, or *rows rows of count. */
static int item_count(const crl_state_io *io, const crl_state_item *it,
                      uint64_t *out) {
  if (it->rows == NULL) {
    *out = it->count;
    return 0;
  }
  if (*it->rows < 0 ||
      (it->count > 0 && (uint64_t)*it->rows > UINT64_MAX / it->count))
    return crl_fail(CRL_EINVAL, "checkpoint: %s has %ld rows", io->name,
                    *it->rows);
  *out = (uint64_t)*it->rows * it->count;
  return 0;
}

/* ---- values as numbers --------------------------------------------------- */

static size_t kind_size(crl_state_kind k) {
  switch (k) {
  case CRL_STATE_REAL:
    return sizeof(crl_real);
  case CRL_STATE_F64:
    return sizeof(double);
  case CRL_STATE_I64:
    return sizeof(int64_t);
  case CRL_STATE_LONG:
    return sizeof(long);
  case CRL_STATE_INT:
    return sizeof(int);
  default:
    return 1;
  }
}

static int is_integer(crl_state_kind k) {
  return k == CRL_STATE_I64 || k == CRL_STATE_LONG || k == CRL_STATE_INT;
}

/* Value i of an item's memory, as a double / as an integer. */
static double mem_real(crl_state_kind k, const void *p, uint64_t i) {
  return k == CRL_STATE_REAL ? (double)((const crl_real *)p)[i]
                             : ((const double *)p)[i];
}
static int64_t mem_int(crl_state_kind k, const void *p, uint64_t i) {
  switch (k) {
  case CRL_STATE_LONG:
    return ((const long *)p)[i];
  case CRL_STATE_INT:
    return ((const int *)p)[i];
  default:
    return ((const int64_t *)p)[i];
  }
}

/* Value i of a section's raw data. */
static double raw_real(crl__ckpt_type t, const void *data, uint64_t i) {
  if (t == CRL_CKPT_F32) {
    float v;
    memcpy(&v, (const unsigned char *)data + 4 * i, 4);
    return (double)v;
  }
  double v;
  memcpy(&v, (const unsigned char *)data + 8 * i, 8);
  return v;
}
static int64_t raw_int(const void *data, uint64_t i) {
  int64_t v;
  memcpy(&v, (const unsigned char *)data + 8 * i, 8);
  return v;
}

/* Store value v as element i of an item's memory (already checked). */
static void store(crl_state_kind k, void *p, uint64_t i, double real,
                  int64_t v) {
  switch (k) {
  case CRL_STATE_REAL:
    ((crl_real *)p)[i] = (crl_real)real;
    break;
  case CRL_STATE_F64:
    ((double *)p)[i] = real;
    break;
  case CRL_STATE_I64:
    ((int64_t *)p)[i] = v;
    break;
  case CRL_STATE_LONG:
    ((long *)p)[i] = (long)v;
    break;
  case CRL_STATE_INT:
    ((int *)p)[i] = (int)v;
    break;
  default:
    break;
  }
}

/* ---- saving -------------------------------------------------------------- */

static int save_number(crl_state_io *io, const crl_state_item *it,
                       uint64_t count) {
  const crl_state_kind k = it->kind;
  crl__ckpt_type t = is_integer(k) ? CRL_CKPT_I64 : CRL_CKPT_F64;
  if (k == CRL_STATE_REAL) {
    /* Parameters, optimiser moments, replay rows: a non-finite one means
     * the training diverged, and a checkpoint of it would replace a good
     * one. */
    for (uint64_t i = 0; i < count; i++)
      if (!isfinite(mem_real(k, it->ptr, i)))
        return crl_fail(
            CRL_ENONFINITE, "%s[%llu] is %g (not written to a checkpoint)",
            io->name, (unsigned long long)i, mem_real(k, it->ptr, i));
    t = sizeof(crl_real) == 8 ? CRL_CKPT_F64 : CRL_CKPT_F32;
  }
  if (k == CRL_STATE_REAL || kind_size(k) == 8) /* the stored layout */
    return crl__ckpt_put(io->w, io->name, t, count, it->ptr);
  void *dst;
  int rc = crl__ckpt_reserve(io->w, io->name, t, count, &dst);
  for (uint64_t i = 0; rc == 0 && i < count; i++) {
    const int64_t v = mem_int(k, it->ptr, i);
    memcpy((unsigned char *)dst + 8 * i, &v, 8);
  }
  return rc;
}

static int save_item(crl_state_io *io, const crl_state_item *it) {
  uint64_t count = 0;
  int rc = item_count(io, it, &count);
  if (rc)
    return rc;
  switch (it->kind) {
  case CRL_STATE_BYTES:
    return crl__ckpt_put(io->w, io->name, CRL_CKPT_U8, count, it->ptr);
  case CRL_STATE_STRING:
    return crl__ckpt_put(io->w, io->name, CRL_CKPT_U8,
                         strlen((const char *)it->ptr), it->ptr);
  default:
    return save_number(io, it, count);
  }
}

/* ---- loading ------------------------------------------------------------- */

/* The file being read, for messages. */
static const char *file(const crl_state_io *io) {
  return crl__ckpt_reader_name(io->r);
}

static const char *type_name(crl_state_kind k) {
  switch (k) {
  case CRL_STATE_REAL:
    return "real";
  case CRL_STATE_F64:
    return "f64";
  case CRL_STATE_BYTES:
  case CRL_STATE_STRING:
    return "bytes";
  default:
    return "i64";
  }
}

static int type_fits(crl_state_kind k, crl__ckpt_type t) {
  switch (k) {
  case CRL_STATE_REAL:
    return t == CRL_CKPT_F32 || t == CRL_CKPT_F64;
  case CRL_STATE_F64:
    return t == CRL_CKPT_F64;
  case CRL_STATE_BYTES:
  case CRL_STATE_STRING:
    return t == CRL_CKPT_U8;
  default:
    return t == CRL_CKPT_I64;
  }
}

/* Why value v (element i of `count`) is refused, or NULL. */
static const char *refusal(const crl_state_item *it, double v, int64_t iv,
                           const void *current, uint64_t i, char *why,
                           size_t size) {
  const crl_state_kind k = it->kind;
  const int integer = is_integer(k);
  const unsigned f = it->flags;
  if (!integer) {
    if ((k == CRL_STATE_REAL || (f & CRL_STATE_FINITE)) && !isfinite(v))
      return "not finite";
    if ((f & CRL_STATE_NOT_NAN) && isnan(v))
      return "NaN";
  } else {
    v = (double)iv;
    if ((k == CRL_STATE_INT && (iv < INT_MIN || iv > INT_MAX)) ||
        (k == CRL_STATE_LONG && (iv < LONG_MIN || iv > LONG_MAX)))
      return "outside the range of its type";
  }
  if ((f & CRL_STATE_NONNEG) && !(v >= 0))
    return "negative";
  if ((f & CRL_STATE_POSITIVE) && !(v > 0))
    return "not positive";
  if ((f & CRL_STATE_BOOL) && !(v == 0 || v == 1))
    return "not 0 or 1";
  if ((f & CRL_STATE_RANGE) && !(v >= it->lo && v <= it->hi)) {
    snprintf(why, size, "outside [%.17g, %.17g]", it->lo, it->hi);
    return why;
  }
  if ((f & CRL_STATE_MATCH) &&
      (integer ? iv != mem_int(k, current, i) : v != mem_real(k, current, i))) {
    if (integer)
      snprintf(why, size, "%lld, expected %lld", (long long)iv,
               (long long)mem_int(k, current, i));
    else
      snprintf(why, size, "%.17g, expected %.17g", v, mem_real(k, current, i));
    return why;
  }
  return NULL;
}

/* Check every value of a numeric section, then convert it into dst
 * (unless it only identifies the object). */
static int load_number(crl_state_io *io, const crl_state_item *it,
                       crl__ckpt_type t, uint64_t count, const void *data,
                       void *dst) {
  const int integer = is_integer(it->kind);
  for (uint64_t i = 0; i < count; i++) {
    const double v = integer ? 0.0 : raw_real(t, data, i);
    const int64_t iv = integer ? raw_int(data, i) : 0;
    char why[96];
    const char *bad = refusal(it, v, iv, it->ptr, i, why, sizeof why);
    if (bad == NULL)
      continue;
    char value[48];
    if (integer)
      snprintf(value, sizeof value, "%lld", (long long)iv);
    else
      snprintf(value, sizeof value, "%g", v);
    if (count == 1)
      return crl_fail(CRL_EFORMAT, "%s: %s is %s (%s)", file(io), io->name,
                      value, bad);
    return crl_fail(CRL_EFORMAT, "%s: %s[%llu] is %s (%s)", file(io), io->name,
                    (unsigned long long)i, value, bad);
  }
  if (it->flags & CRL_STATE_MATCH)
    return 0;
  for (uint64_t i = 0; i < count; i++)
    store(it->kind, dst, i, integer ? 0.0 : raw_real(t, data, i),
          integer ? raw_int(data, i) : 0);
  return 0;
}

static int load_string(crl_state_io *io, const crl_state_item *it,
                       uint64_t count, const char *data) {
  const char *cur = it->ptr;
  if (it->flags & CRL_STATE_MATCH) {
    if (count == strlen(cur) && memcmp(data, cur, (size_t)count) == 0)
      return 0;
    return crl_fail(CRL_EFORMAT, "%s: %s is '%.*s', expected '%s'", file(io),
                    io->name, count > 200 ? 200 : (int)count, data, cur);
  }
  if (count >= it->count)
    return crl_fail(CRL_EFORMAT,
                    "%s: section '%s' is not a string that fits %zu bytes",
                    file(io), io->name, it->count);
  memcpy(it->ptr, data, (size_t)count);
  ((char *)it->ptr)[count] = '\0';
  return 0;
}

/* Load into a temporary copy, let it->check see it, then store it. */
static int load_checked(crl_state_io *io, const crl_state_item *it,
                        crl__ckpt_type t, uint64_t count, const void *data) {
  const size_t bytes = (size_t)count * kind_size(it->kind);
  void *tmp = malloc(bytes ? bytes : 1);
  if (tmp == NULL)
    return crl_fail(CRL_ENOMEM, "checkpoint: out of memory for %s", io->name);
  int rc = 0;
  if (it->kind == CRL_STATE_BYTES)
    memcpy(tmp, data, bytes);
  else
    rc = load_number(io, it, t, count, data, tmp);
  rc = rc ? rc : it->check(tmp, (size_t)count);
  if (rc == 0 && !(it->flags & CRL_STATE_MATCH))
    memcpy(it->ptr, tmp, bytes);
  free(tmp);
  return rc;
}

static int load_item(crl_state_io *io, const crl_state_item *it) {
  uint64_t want = 0, count = 0;
  crl__ckpt_type t;
  const void *data;
  int rc = item_count(io, it, &want);
  if (rc)
    return rc;
  if (crl__ckpt_section(io->r, io->name, &t, &count, &data) != 0)
    return crl_fail(CRL_EFORMAT, "%s: missing section '%s'", file(io),
                    io->name);
  if (!type_fits(it->kind, t))
    return crl_fail(CRL_EFORMAT, "%s: section '%s' is not %s", file(io),
                    io->name, type_name(it->kind));
  if (it->kind == CRL_STATE_STRING)
    return load_string(io, it, count, data);
  if (count != want)
    return crl_fail(CRL_EFORMAT,
                    "%s: section '%s' has %llu values, expected %llu", file(io),
                    io->name, (unsigned long long)count,
                    (unsigned long long)want);
  if (it->check != NULL)
    return load_checked(io, it, t, count, data);
  if (it->kind == CRL_STATE_BYTES) {
    memcpy(it->ptr, data, (size_t)count);
    return 0;
  }
  return load_number(io, it, t, count, data, it->ptr);
}

/* ---- the walk ------------------------------------------------------------ */

static int walk_objects(crl_state_io *io, const crl_state_item *it) {
  if (it->sections == NULL)
    return crl_fail(CRL_EINVAL, "checkpoint: object '%s' has no sections",
                    it->name);
  const int many = it->kind == CRL_STATE_OBJECTS;
  const size_t n = many ? it->count : 1;
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    void *obj = many ? ((void *const *)it->ptr)[i] : it->ptr;
    if (obj == NULL)
      continue; /* as an item without ptr */
    size_t saved;
    rc = push(io, it->name, many ? (long)i : -1, &saved);
    rc = rc ? rc : it->sections(obj, io);
    pop(io, saved);
  }
  return rc;
}

int crl_state_items(crl_state_io *io, const crl_state_item *items, int n) {
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    const crl_state_item *it = &items[i];
    if (it->ptr == NULL)
      continue; /* an optional part this object does not have */
    if (it->kind == CRL_STATE_OBJECT || it->kind == CRL_STATE_OBJECTS) {
      rc = walk_objects(io, it);
      continue;
    }
    size_t saved;
    rc = push(io, it->name, -1, &saved);
    if (rc == 0)
      rc = io->r ? load_item(io, it) : save_item(io, it);
    pop(io, saved);
  }
  return rc;
}

/* An io at the top level, named by prefix. */
static int start(crl_state_io *io, const char *prefix) {
  io->len = 0;
  io->name[0] = '\0';
  size_t saved;
  return prefix != NULL && prefix[0] != '\0' ? push(io, prefix, -1, &saved) : 0;
}

int crl_state_save(crl_ckpt_writer *w, const char *prefix,
                   crl_state_sections sections, void *obj) {
  crl_state_io io = {.w = w};
  int rc = start(&io, prefix);
  return rc ? rc : sections(obj, &io);
}

int crl_state_load(const crl_ckpt_reader *r, const char *prefix,
                   crl_state_sections sections, void *obj) {
  crl_state_io io = {.r = r};
  int rc = start(&io, prefix);
  return rc ? rc : sections(obj, &io);
}

int crl_state_save_items(crl_ckpt_writer *w, const char *prefix,
                         const crl_state_item *items, int n) {
  crl_state_io io = {.w = w};
  int rc = start(&io, prefix);
  return rc ? rc : crl_state_items(&io, items, n);
}

int crl_state_load_items(const crl_ckpt_reader *r, const char *prefix,
                         const crl_state_item *items, int n) {
  crl_state_io io = {.r = r};
  int rc = start(&io, prefix);
  return rc ? rc : crl_state_items(&io, items, n);
}

int crl_state_find(const crl_ckpt_reader *r, const char *name, size_t *count) {
  crl__ckpt_type t;
  uint64_t c;
  const void *data;
  if (crl__ckpt_section(r, name, &t, &c, &data) != 0)
    return crl_fail(CRL_ENOTFOUND, "checkpoint: no section '%s'", name);
  if (count)
    *count = (size_t)c;
  return 0;
}
