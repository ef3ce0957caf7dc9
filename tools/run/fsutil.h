/* Small filesystem helpers for the crl program: directories, and files
 * written to a temporary name and renamed, so that a crash never leaves a
 * half-written file under the real name. */
#ifndef TOOLS_FSUTIL_H
#define TOOLS_FSUTIL_H

#include <stdio.h>

#define CLI_PATH_MAX 4096

/* Create path and its missing parents (mode 0777 less umask). 0 or -1 with
 * errno set. */
int cli_mkdir_p(const char *path);

/* 1 if path does not exist or is an empty directory, 0 if it is a directory
 * with entries, -1 if it exists and is not a directory. */
int cli_dir_is_free(const char *path);

/* 1 if path names an executable program found in $PATH. */
int cli_program_in_path(const char *name);

/* A file being written: data goes to `tmp`, and commit renames it to
 * `path` once everything is flushed. */
typedef struct cli_atomic_file {
  FILE *f;
  char path[CLI_PATH_MAX];
  char tmp[CLI_PATH_MAX];
} cli_atomic_file;

/* 0, or -1 with errno set. */
int cli_atomic_open(cli_atomic_file *af, const char *path);

/* Flush, close and rename into place; 0, or -1 (errno set) after removing
 * the temporary file. */
int cli_atomic_commit(cli_atomic_file *af);

/* Close and remove the temporary file (a failed write). */
void cli_atomic_abort(cli_atomic_file *af);

/* snprintf into a path buffer; -1 when it does not fit. */
int cli_path_join(char *buf, size_t size, const char *dir, const char *name);

#endif
