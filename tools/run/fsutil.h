/* Small filesystem helpers for the crl program: directories, and files
 * written to a temporary name and renamed, so that a crash never leaves a
 * half-written file under the real name. */
#ifndef CRL_TOOLS_FSUTIL_H
#define CRL_TOOLS_FSUTIL_H

#include <stdio.h>

#define CRL_PATH_MAX 4096

/* Create path and its missing parents (mode 0777 less umask). 0 or -1 with
 * errno set. */
int crl_mkdir_p(const char *path);

/* 1 if path does not exist or is an empty directory, 0 if it is a directory
 * with entries, -1 if it exists and is not a directory. */
int crl_dir_is_free(const char *path);

/* 1 if path names an executable program found in $PATH. */
int crl_program_in_path(const char *name);

/* A file being written: data goes to `tmp`, and commit renames it to
 * `path` once everything is flushed. */
typedef struct crl_atomic_file {
  FILE *f;
  char path[CRL_PATH_MAX];
  char tmp[CRL_PATH_MAX];
} crl_atomic_file;

/* 0, or -1 with errno set. */
int crl_atomic_open(crl_atomic_file *af, const char *path);

/* Flush, close and rename into place; 0, or -1 (errno set) after removing
 * the temporary file. */
int crl_atomic_commit(crl_atomic_file *af);

/* Close and remove the temporary file (a failed write). */
void crl_atomic_abort(crl_atomic_file *af);

/* snprintf into a path buffer; -1 when it does not fit. */
int crl_path_join(char *buf, size_t size, const char *dir, const char *name);

#endif
