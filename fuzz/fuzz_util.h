/* What the fuzz targets share: a private temporary directory per process
 * (the loaders under test read files by path), writing the input into a
 * file there, and the checksum mode that lets the fuzzer past the
 * container's integrity check into the sections. */
#ifndef CRL_FUZZ_UTIL_H
#define CRL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A directory of this process' own, made once: $TMPDIR, /dev/shm or /tmp
 * (crl-fuzz-XXXXXX). */
const char *fuzz_tmp_dir(void);

/* dir/name as a path in a static buffer (one per call site is enough: each
 * target uses at most two). */
void fuzz_path(char *buf, size_t size, const char *name);

/* Write size bytes into path (truncating). Aborts when it cannot: a full
 * /tmp is not a finding of the code under test. */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* The first byte of a container input is a mode: bit 0 set means "store a
 * valid checksum", so that the rest of the file, not the checksum, is what
 * the fuzzer varies. The container ends in the FNV-1a 64 of every byte
 * before it, little-endian (lib/io/ckpt.h). */
#define FUZZ_MODE_FIX_CHECKSUM 0x01u
void fuzz_fix_checksum(unsigned char *file, size_t size);

#endif
