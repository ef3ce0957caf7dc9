/* Declared hyperparameters formatted back to text (crl_params_format),
 * as the parsers of params.c read them back to the same value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "crl/error.h"
#include "crl/params.h"

/* Copy choice number `index` of "a|b|c" into buf; 0 when it exists. */
static int choice_at(const char *choices, int index, char *buf, size_t size) {
  const char *p = choices ? choices : "";
  for (int i = 0; i < index; i++) {
    p = strchr(p, '|');
    if (p == NULL)
      return -1;
    p++;
  }
  size_t len = strcspn(p, "|");
  if (len == 0 || len >= size)
    return -1;
  memcpy(buf, p, len);
  buf[len] = '\0';
  return 0;
}

/* The shortest "%.Ng" that reads back as the same double, so 0.0003 prints
 * as "0.0003" and not as 0.00029999999999999997. */
static void format_double(double x, char *buf, size_t size) {
  for (int digits = 6; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, x);
    if (strtod(buf, NULL) == x)
      return;
  }
}

/* "[64, 64]" or, for a REAL_LIST, "[0.5, -2.944]". */
static int format_list(const crl_param_def *d, const void *field, char *buf,
                       size_t size) {
  const crl_int_list *ints = field;
  const crl_real_list *reals = field;
  int count = d->kind == CRL_PARAM_INT_LIST ? ints->n : reals->n;
  size_t used = 0;
  int n = snprintf(buf, size, "[");
  for (int i = 0; n >= 0 && (size_t)n < size - used && i < count; i++) {
    char item[64];
    if (d->kind == CRL_PARAM_INT_LIST)
      snprintf(item, sizeof item, "%d", ints->v[i]);
    else
      format_double(reals->v[i], item, sizeof item);
    used += (size_t)n;
    n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", item);
  }
  if (n < 0 || (size_t)n >= size - used)
    return -1;
  used += (size_t)n;
  n = snprintf(buf + used, size - used, "]");
  return n < 0 || (size_t)n >= size - used ? -1 : 0;
}

static int format_value(const crl_param_def *d, const void *field, char *buf,
                        size_t size) {
  char number[64];
  const int *i = field;
  const double *x = field;
  const crl_schedule *s = field;
  switch (d->kind) {
  case CRL_PARAM_INT:
    return snprintf(buf, size, "%d", *i);
  case CRL_PARAM_REAL:
  case CRL_PARAM_REAL_OPT:
    if (isnan(*x))
      return snprintf(buf, size, "null");
    format_double(*x, number, sizeof number);
    return snprintf(buf, size, "%s", number);
  case CRL_PARAM_BOOL:
    return snprintf(buf, size, "%s", *i ? "true" : "false");
  case CRL_PARAM_ENUM:
    if (choice_at(d->choices, *i, number, sizeof number))
      return snprintf(buf, size, "%d", *i);
    return snprintf(buf, size, "%s", number);
  case CRL_PARAM_SCHEDULE:
    if (isnan(s->start))
      return snprintf(buf, size, "null");
    format_double(s->start, number, sizeof number);
    return snprintf(buf, size, "%s%s", s->linear ? "lin_" : "", number);
  case CRL_PARAM_INT_LIST:
  case CRL_PARAM_REAL_LIST:
    return format_list(d, field, buf, size) ? (int)size : 0;
  case CRL_PARAM_STRING:
    return snprintf(buf, size, "%s", (const char *)field);
  }
  return snprintf(buf, size, "?");
}

int crl_params_format(const crl_param_def *defs, const void *spec,
                      const char *key, char *buf, size_t size) {
  if (defs == NULL || spec == NULL || key == NULL || buf == NULL || size == 0)
    return crl_fail(CRL_EINVAL, "crl_params_format: NULL argument");
  const crl_param_def *d = crl_params_find(defs, key);
  if (d == NULL)
    return crl__params_fail_unknown_key(defs, key);
  int n = format_value(d, (const char *)spec + d->offset, buf, size);
  if (n < 0 || (size_t)n >= size)
    return crl_fail(CRL_ERANGE, "'%s': buffer of %zu bytes is too small", key,
                    size);
  return 0;
}
