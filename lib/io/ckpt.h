/* Internal: the binary container behind checkpoints and policy files.
 *
 * Layout (little-endian):
 *   "CRLFILE\0"            8 bytes magic
 *   u32 format version     (CRL_CKPT_VERSION_<kind>)
 *   u32 kind               (what the file holds: policy, checkpoint, ...)
 *   u64 n_sections
 *   n_sections x { u32 name_len, name, u32 type, u64 count, data }
 *   u64 FNV-1a 64 of every byte before it
 * Reals are stored as F32 or F64 sections (whatever the writer's crl_real
 * was) and converted on read, so files move between float and double
 * builds. The reader loads the whole file, verifies size bounds and the
 * checksum before it trusts any count, and never allocates from a count it
 * has not checked against the bytes actually present. Files are written to
 * PATH.tmp, flushed, synced and renamed, so a crash leaves either the old
 * file or the new one. */
#ifndef CRL_CKPT_H
#define CRL_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "crl/common.h"
#include "crl/state.h"

/* Format versions, one per kind. Checkpoints are at 2: version 1 packed
 * the vec env's integers by position into one section and stored the
 * normaliser without its settings; a version-1 checkpoint is refused with
 * a message saying so. Policy files kept their sections and stay at 1. */
#define CRL_CKPT_VERSION_POLICY 1u
#define CRL_CKPT_VERSION_CHECKPOINT 2u
#define CRL__CKPT_MAX_NAME 255u

typedef enum crl__ckpt_kind {
  CRL_CKPT_KIND_POLICY = 1,
  CRL_CKPT_KIND_CHECKPOINT = 2
} crl__ckpt_kind;

typedef enum crl__ckpt_type {
  CRL_CKPT_U8 = 1,
  CRL_CKPT_I64 = 2,
  CRL_CKPT_F32 = 3,
  CRL_CKPT_F64 = 4
} crl__ckpt_type;

int crl__ckpt_writer_alloc(crl__ckpt_kind kind, crl_ckpt_writer **out);
void crl__ckpt_writer_free(crl_ckpt_writer *w);
int crl__ckpt_put(crl_ckpt_writer *w, const char *name, crl__ckpt_type type,
                  uint64_t count, const void *data);
/* Append a section of count values and return, in *data, where its
 * count * size-of-type bytes go (filled by the caller before the next
 * call on w). */
int crl__ckpt_reserve(crl_ckpt_writer *w, const char *name, crl__ckpt_type type,
                      uint64_t count, void **data);
/* All n bytes of data to fd, retrying short writes and EINTR: 0, or -1
 * with errno. */
int crl__write_all(int fd, const void *data, size_t n);

/* Write atomically (PATH.tmp, fsync, rename). */
int crl__ckpt_write_file(crl_ckpt_writer *w, const char *path);

/* Open and verify; fails with CRL_EIO (cannot read), CRL_EFORMAT (not a
 * crl file, damaged, truncated, another version) or CRL_EINVAL (other
 * kind). The kind is checked before the version, so a policy file read as
 * a checkpoint is told apart from an old checkpoint. */
int crl__ckpt_read_file(const char *path, crl__ckpt_kind kind,
                        crl_ckpt_reader **out);
void crl__ckpt_reader_free(crl_ckpt_reader *r);

/* What the reader was opened from (its path), for messages. */
const char *crl__ckpt_reader_name(const crl_ckpt_reader *r);

/* Enumerate sections: their number, and the i-th one's name (name_len
 * bytes, not NUL-terminated), type, count and raw data. */
uint64_t crl__ckpt_n_sections(const crl_ckpt_reader *r);
void crl__ckpt_section_at(const crl_ckpt_reader *r, uint64_t i,
                          const char **name, int *name_len,
                          crl__ckpt_type *type, uint64_t *count,
                          const void **data);

/* A section's type, count and raw (little-endian) data: 0, or
 * CRL_ENOTFOUND without setting an error message. */
/* A section under "prefix." that no crl__ckpt_section call has read: 1
 * with its name (not NUL-terminated), or 0. */
int crl__ckpt_unused(const crl_ckpt_reader *r, const char *prefix,
                     const char **name, int *name_len);

int crl__ckpt_section(const crl_ckpt_reader *r, const char *name,
                      crl__ckpt_type *type, uint64_t *count, const void **data);

#endif
