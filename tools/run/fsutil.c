/* Filesystem helpers: mkdir -p, emptiness check, atomic file writes. */
#include "run/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_path_join(char *buf, size_t size, const char *dir, const char *name) {
  int n = snprintf(buf, size, "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

static int mkdir_one(const char *path) {
  if (mkdir(path, 0777) == 0)
    return 0;
  struct stat st;
  if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return 0;
  if (errno == EEXIST)
    errno = ENOTDIR;
  return -1;
}

int cli_mkdir_p(const char *path) {
  char buf[CLI_PATH_MAX];
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof buf) {
    errno = len ? ENAMETOOLONG : ENOENT;
    return -1;
  }
  memcpy(buf, path, len + 1);
  /* Create each prefix that ends at a '/', then the whole path. */
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    int rc = mkdir_one(buf);
    *p = '/';
    if (rc)
      return -1;
  }
  return mkdir_one(buf);
}

int cli_dir_is_free(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return 1;
  if (!S_ISDIR(st.st_mode))
    return -1;
  DIR *d = opendir(path);
  if (d == NULL)
    return 0;
  int empty = 1;
  struct dirent *e;
  while (empty && (e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      empty = 0;
  closedir(d);
  return empty;
}

int cli_program_in_path(const char *name) {
  const char *path = getenv("PATH");
  if (path == NULL || strchr(name, '/') != NULL)
    return strchr(name, '/') != NULL && access(name, X_OK) == 0;
  char dir[CLI_PATH_MAX], full[CLI_PATH_MAX];
  while (*path) {
    size_t len = strcspn(path, ":");
    if (len > 0 && len < sizeof dir) {
      memcpy(dir, path, len);
      dir[len] = '\0';
      if (cli_path_join(full, sizeof full, dir, name) == 0 &&
          access(full, X_OK) == 0)
        return 1;
    }
    path += len;
    if (*path == ':')
      path++;
  }
  return 0;
}

int cli_atomic_open(cli_atomic_file *af, const char *path) {
  af->f = NULL;
  int n1 = snprintf(af->path, sizeof af->path, "%s", path);
  int n2 = snprintf(af->tmp, sizeof af->tmp, "%s.tmp", path);
  if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof af->tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  af->f = fopen(af->tmp, "w");
  return af->f ? 0 : -1;
}

int cli_atomic_commit(cli_atomic_file *af) {
  int failed = ferror(af->f) != 0;
  int saved = errno;
  if (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0) {
    failed = 1;
    saved = errno;
  }
  if (fclose(af->f) != 0 && !failed) {
    failed = 1;
    saved = errno;
  }
  af->f = NULL;
  if (!failed && rename(af->tmp, af->path) == 0)
    return 0;
  if (!failed)
    saved = errno;
  remove(af->tmp);
  errno = saved ? saved : EIO;
  return -1;
}

void cli_atomic_abort(cli_atomic_file *af) {
  if (af->f != NULL)
    fclose(af->f);
  af->f = NULL;
  remove(af->tmp);
}
