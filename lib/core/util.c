/* Small shared helpers: name suggestions for typos. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

int crl__edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 128 || lb > 128)
    return 1 << 20; /* names are short; do not bother */
  int row[129];
  for (size_t j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int cost =
          tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

static int close_enough(const char *key, const char *name, int d) {
  /* Allow about a third of the longer name to differ, at least 2 edits. */
  size_t lk = strlen(key), ln = strlen(name);
  size_t longer = lk > ln ? lk : ln;
  int limit = (int)(longer / 3);
  if (limit < 2)
    limit = 2;
  return d <= limit;
}

const char *crl_nearest_name(const char *key, const char *const *names, int n) {
  const char *best = NULL;
  int best_d = 1 << 30;
  for (int i = 0; i < n; i++) {
    if (names[i] == NULL)
      continue;
    int d = crl__edit_distance(key, names[i]);
    if (d < best_d) {
      best_d = d;
      best = names[i];
    }
  }
  return best != NULL && close_enough(key, best, best_d) ? best : NULL;
}

const char *crl__nearest_name_strided(const char *key, const void *first,
                                      size_t stride) {
  const char *best = NULL;
  int best_d = 1 << 30;
  for (const char *p = first;; p += stride) {
    const char *name = *(const char *const *)(const void *)p;
    if (name == NULL)
      break;
    int d = crl__edit_distance(key, name);
    if (d < best_d) {
      best_d = d;
      best = name;
    }
  }
  return best != NULL && close_enough(key, best, best_d) ? best : NULL;
}
