/* Declared hyperparameters: defaults, set by name from text (formatted
 * back in params_format.c).
 *
 * Every value goes through text: the default in the table, a YAML scalar,
 * a --set override. One parser per kind turns text into the field, so the
 * rules (and the error messages) are the same wherever a value comes from.
 * Parsing writes into a scratch value first and only then into the spec, so
 * a failed set leaves the spec unchanged. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "crl/error.h"
#include "crl/params.h"

/* Scratch storage big enough for any kind's field. */
typedef union param_value {
  int i;
  double d;
  crl_schedule schedule;
  crl_int_list list;
  crl_real_list reals;
  char string[CRL_STRING_MAX];
} param_value;

/* A schedule whose default is null may be null (start NAN: off). */
static int schedule_may_be_null(const crl_param_def *d) {
  return d->kind == CRL_PARAM_SCHEDULE && d->default_text != NULL &&
         strcmp(d->default_text, "null") == 0;
}

const char *crl_param_kind_name(crl_param_kind kind) {
  switch (kind) {
  case CRL_PARAM_INT:
    return "integer";
  case CRL_PARAM_REAL:
    return "number";
  case CRL_PARAM_REAL_OPT:
    return "number or null";
  case CRL_PARAM_BOOL:
    return "boolean";
  case CRL_PARAM_ENUM:
    return "choice";
  case CRL_PARAM_SCHEDULE:
    return "schedule";
  case CRL_PARAM_INT_LIST:
    return "list of integers";
  case CRL_PARAM_STRING:
    return "string";
  case CRL_PARAM_REAL_LIST:
    return "list of numbers";
  }
  return "unknown kind";
}

/* ---- lookup ------------------------------------------------------------- */

const crl_param_def *crl_params_find(const crl_param_def *defs,
                                     const char *key) {
  if (defs == NULL || key == NULL)
    return NULL;
  for (const crl_param_def *d = defs; d->name != NULL; d++)
    if (strcmp(d->name, key) == 0)
      return d;
  return NULL;
}

const char *crl_params_suggest(const crl_param_def *defs, const char *key) {
  if (defs == NULL || key == NULL)
    return NULL;
  return crl__nearest_name_strided(key, defs, sizeof *defs);
}

/* ---- describing what a parameter expects ------------------------------ */

/* A table leaves min = max = 0 for "no range" (the C default for fields it
 * does not mention); infinite bounds mean "open on that side". */
static int has_range(const crl_param_def *d) {
  return !(d->min == 0.0 && d->max == 0.0);
}

static void format_bound(double v, int integer, char *buf, size_t size) {
  if (integer)
    snprintf(buf, size, "%.0f", v);
  else
    snprintf(buf, size, "%g", v);
}

/* " in [1, 1000000]", " >= 0", " <= 1" or "" for the kind's range. */
static void describe_range(const crl_param_def *d, int integer, char *buf,
                           size_t size) {
  char lo[40], hi[40];
  buf[0] = '\0';
  if (!has_range(d))
    return;
  format_bound(d->min, integer, lo, sizeof lo);
  format_bound(d->max, integer, hi, sizeof hi);
  int open_lo = isinf(d->min) || (integer && d->min <= INT_MIN);
  int open_hi = isinf(d->max) || (integer && d->max >= INT_MAX);
  if (open_lo && open_hi)
    return;
  if (open_hi)
    snprintf(buf, size, " >= %s", lo);
  else if (open_lo)
    snprintf(buf, size, " <= %s", hi);
  else
    snprintf(buf, size, " in [%s, %s]", lo, hi);
}

/* "an integer in [1, 1000000]", "one of tanh|relu", ... */
static void describe_expected(const crl_param_def *d, char *buf, size_t size) {
  char range[96];
  switch (d->kind) {
  case CRL_PARAM_INT:
    describe_range(d, 1, range, sizeof range);
    snprintf(buf, size, "an integer%s", range);
    return;
  case CRL_PARAM_REAL:
    describe_range(d, 0, range, sizeof range);
    snprintf(buf, size, "a number%s", range);
    return;
  case CRL_PARAM_REAL_OPT:
    describe_range(d, 0, range, sizeof range);
    snprintf(buf, size, "a number%s or null", range);
    return;
  case CRL_PARAM_BOOL:
    snprintf(buf, size, "a boolean (true or false)");
    return;
  case CRL_PARAM_ENUM:
    snprintf(buf, size, "one of %s", d->choices ? d->choices : "");
    return;
  case CRL_PARAM_SCHEDULE:
    describe_range(d, 0, range, sizeof range);
    snprintf(buf, size, "a number%s or lin_<number>%s", range,
             schedule_may_be_null(d) ? ", or null" : "");
    return;
  case CRL_PARAM_INT_LIST:
    describe_range(d, 1, range, sizeof range);
    snprintf(buf, size, "a list of at most %d integers%s, like [64, 64]",
             CRL_LIST_MAX, range);
    return;
  case CRL_PARAM_STRING:
    snprintf(buf, size, "a string of at most %d characters",
             CRL_STRING_MAX - 1);
    return;
  case CRL_PARAM_REAL_LIST:
    describe_range(d, 0, range, sizeof range);
    snprintf(buf, size, "a list of at most %d numbers%s, like [0.5, -1]",
             CRL_LIST_MAX, range);
    return;
  }
  snprintf(buf, size, "a value");
}

static int fail_expected(int code, const crl_param_def *d, const char *text) {
  char expected[192];
  describe_expected(d, expected, sizeof expected);
  return crl_fail(code, "'%s' expects %s, got \"%s\"", d->name, expected, text);
}

/* ---- text to numbers ---------------------------------------------------- */

static int is_blank(const char *s) {
  while (isspace((unsigned char)*s))
    s++;
  return *s == '\0';
}

/* A finite double spelled by the whole of text (YAML's .inf is not a
 * hyperparameter anyone means). */
static int parse_double(const char *text, double *out) {
  /* Decimal only: strtod would also take hex ("0x10") and "infinity". */
  if (is_blank(text) || strspn(text, "0123456789+-.eE \t\r\n") != strlen(text))
    return -1;
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || !is_blank(end) || errno == ERANGE || !isfinite(v))
    return -1;
  *out = v;
  return 0;
}

/* An int; "1e6" and "1000.0" count when they are whole numbers, because
 * RL Zoo files write budgets as `!!float 1e6`. */
static int parse_int(const char *text, int *out, int *overflow) {
  *overflow = 0;
  if (is_blank(text))
    return -1;
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end != text && is_blank(end)) {
    if (errno == ERANGE || v < INT_MIN || v > INT_MAX) {
      *overflow = 1;
      return -1;
    }
    *out = (int)v;
    return 0;
  }
  double d;
  if (parse_double(text, &d) || d != floor(d))
    return -1;
  if (d < INT_MIN || d > INT_MAX) {
    *overflow = 1;
    return -1;
  }
  *out = (int)d;
  return 0;
}

static int in_range(const crl_param_def *d, double v) {
  return !has_range(d) || (v >= d->min && v <= d->max);
}

static int is_null_text(const char *text) {
  static const char *const nulls[] = {"null", "~", "none", ""};
  while (isspace((unsigned char)*text))
    text++;
  for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
    if (strcasecmp(text, nulls[i]) == 0)
      return 1;
  return 0;
}

/* ---- one parser per kind ------------------------------------------------ */

static int parse_int_value(const crl_param_def *d, const char *text,
                           param_value *v) {
  int overflow;
  if (parse_int(text, &v->i, &overflow) == 0)
    return in_range(d, v->i) ? 0 : fail_expected(CRL_ERANGE, d, text);
  if (!overflow)
    return fail_expected(CRL_EFORMAT, d, text);
  /* The int's own limit, which an open range ("an integer >= 1") hides. */
  char expected[192];
  describe_expected(d, expected, sizeof expected);
  return crl_fail(CRL_ERANGE,
                  "'%s' expects %s, got \"%s\" (integers go up to %d)", d->name,
                  expected, text, INT_MAX);
}

static int parse_real_value(const crl_param_def *d, const char *text,
                            param_value *v) {
  if (d->kind == CRL_PARAM_REAL_OPT && is_null_text(text)) {
    v->d = NAN;
    return 0;
  }
  if (parse_double(text, &v->d))
    return fail_expected(CRL_EFORMAT, d, text);
  if (!in_range(d, v->d))
    return fail_expected(CRL_ERANGE, d, text);
  return 0;
}

static int parse_bool_value(const crl_param_def *d, const char *text,
                            param_value *v) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(text, yes[i]) == 0) {
      v->i = 1;
      return 0;
    }
    if (strcasecmp(text, no[i]) == 0) {
      v->i = 0;
      return 0;
    }
  }
  return fail_expected(CRL_EFORMAT, d, text);
}

/* Split "a|b|c" into names (pointing into buf); returns how many. */
static int split_choices(const char *choices, char *buf, size_t size,
                         const char **names, int max) {
  snprintf(buf, size, "%s", choices ? choices : "");
  int n = 0;
  for (char *p = buf; n < max;) {
    names[n++] = p;
    p = strchr(p, '|');
    if (p == NULL)
      break;
    *p++ = '\0';
  }
  return n;
}

static int parse_enum_value(const crl_param_def *d, const char *text,
                            param_value *v) {
  char buf[1024];
  const char *names[64];
  int n = split_choices(d->choices, buf, sizeof buf, names, 64);
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i], text) == 0) {
      v->i = i;
      return 0;
    }
  }
  char expected[192];
  describe_expected(d, expected, sizeof expected);
  const char *near = crl_nearest_name(text, names, n);
  if (near != NULL)
    return crl_fail(CRL_EFORMAT,
                    "'%s' expects %s, got \"%s\" (did you mean '%s'?)", d->name,
                    expected, text, near);
  return crl_fail(CRL_EFORMAT, "'%s' expects %s, got \"%s\"", d->name, expected,
                  text);
}

static int parse_schedule_value(const crl_param_def *d, const char *text,
                                param_value *v) {
  const char *number = text;
  v->schedule.linear = 0;
  if (schedule_may_be_null(d) && is_null_text(text)) {
    v->schedule.start = NAN;
    return 0;
  }
  if (strncmp(text, "lin_", 4) == 0) {
    number = text + 4;
    v->schedule.linear = 1;
  }
  if (parse_double(number, &v->schedule.start))
    return fail_expected(CRL_EFORMAT, d, text);
  if (!in_range(d, v->schedule.start))
    return fail_expected(CRL_ERANGE, d, text);
  return 0;
}

/* "inf", "+inf", "-inf" or YAML's ".inf", "-.inf": an infinite element
 * of a REAL_LIST whose range is open on that side (a Gymnasium range such
 * as healthy_z_range = (0.7, inf)). Nowhere else is an infinity a value. */
static int parse_open_bound(const crl_param_def *d, const char *item,
                            double *x) {
  while (isspace((unsigned char)*item))
    item++;
  size_t len = strcspn(item, " \t\r\n");
  if (!is_blank(item + len))
    return -1;
  int neg = *item == '-';
  const char *w = item + (*item == '-' || *item == '+');
  size_t wl = len - (size_t)(w - item);
  int inf = (wl == 3 && strncmp(w, "inf", 3) == 0) ||
            (wl == 4 && strncmp(w, ".inf", 4) == 0);
  if (!inf || !isinf(neg ? d->min : d->max))
    return -1;
  *x = neg ? -INFINITY : INFINITY;
  return 0;
}

/* One list element: integer or number, range-checked; 0, or the code. */
static int parse_list_item(const crl_param_def *d, const char *item,
                           double *x) {
  int overflow = 0, i;
  if (d->kind == CRL_PARAM_INT_LIST) {
    if (parse_int(item, &i, &overflow))
      return CRL_EFORMAT;
    *x = i;
  } else if (parse_double(item, x) && parse_open_bound(d, item, x)) {
    return CRL_EFORMAT;
  }
  return in_range(d, *x) ? 0 : CRL_ERANGE;
}

static void list_store(const crl_param_def *d, param_value *v, int k,
                       double x) {
  if (d->kind == CRL_PARAM_INT_LIST)
    v->list.v[k] = (int)x;
  else
    v->reals.v[k] = x;
}

/* "[64, 64]", "[]" or a bare "64": integers (or numbers for a REAL_LIST)
 * separated by commas. */
static int parse_list_value(const crl_param_def *d, const char *text,
                            param_value *v) {
  const char *p = text;
  while (isspace((unsigned char)*p))
    p++;
  int bracketed = *p == '[';
  if (bracketed)
    p++;
  size_t len = strlen(p);
  char body[CRL_STRING_MAX];
  if (len >= sizeof body)
    return fail_expected(CRL_EFORMAT, d, text);
  memcpy(body, p, len + 1);
  if (bracketed) {
    char *close = strrchr(body, ']');
    if (close == NULL || !is_blank(close + 1))
      return fail_expected(CRL_EFORMAT, d, text);
    *close = '\0';
  }
  /* Both list structs start with the count. */
  int *count = d->kind == CRL_PARAM_INT_LIST ? &v->list.n : &v->reals.n;
  *count = 0;
  if (is_blank(body))
    return bracketed ? 0 : fail_expected(CRL_EFORMAT, d, text);
  for (char *item = body;; item++) {
    char *comma = strchr(item, ',');
    if (comma != NULL)
      *comma = '\0';
    double x;
    if (*count == CRL_LIST_MAX)
      return fail_expected(CRL_EFORMAT, d, text);
    int rc = parse_list_item(d, item, &x);
    if (rc)
      return fail_expected(rc, d, text);
    list_store(d, v, (*count)++, x);
    if (comma == NULL)
      return 0;
    item = comma;
  }
}

static int parse_string_value(const crl_param_def *d, const char *text,
                              param_value *v) {
  size_t len = strlen(text);
  if (len >= CRL_STRING_MAX)
    return crl_fail(CRL_ERANGE,
                    "'%s' expects a string of at most %d "
                    "characters, got %zu",
                    d->name, CRL_STRING_MAX - 1, len);
  memcpy(v->string, text, len + 1);
  return 0;
}

static int parse_value(const crl_param_def *d, const char *text,
                       param_value *v) {
  switch (d->kind) {
  case CRL_PARAM_INT:
    return parse_int_value(d, text, v);
  case CRL_PARAM_REAL:
  case CRL_PARAM_REAL_OPT:
    return parse_real_value(d, text, v);
  case CRL_PARAM_BOOL:
    return parse_bool_value(d, text, v);
  case CRL_PARAM_ENUM:
    return parse_enum_value(d, text, v);
  case CRL_PARAM_SCHEDULE:
    return parse_schedule_value(d, text, v);
  case CRL_PARAM_INT_LIST:
  case CRL_PARAM_REAL_LIST:
    return parse_list_value(d, text, v);
  case CRL_PARAM_STRING:
    return parse_string_value(d, text, v);
  }
  return crl_fail(CRL_EINVAL, "'%s' has an unknown kind %d", d->name,
                  (int)d->kind);
}

static size_t field_size(crl_param_kind kind) {
  switch (kind) {
  case CRL_PARAM_INT:
  case CRL_PARAM_BOOL:
  case CRL_PARAM_ENUM:
    return sizeof(int);
  case CRL_PARAM_REAL:
  case CRL_PARAM_REAL_OPT:
    return sizeof(double);
  case CRL_PARAM_SCHEDULE:
    return sizeof(crl_schedule);
  case CRL_PARAM_INT_LIST:
    return sizeof(crl_int_list);
  case CRL_PARAM_REAL_LIST:
    return sizeof(crl_real_list);
  case CRL_PARAM_STRING:
    return CRL_STRING_MAX;
  }
  return 0;
}

/* ---- set ------------------------------------------------------------- */

int crl__params_fail_unknown_key(const crl_param_def *defs, const char *key) {
  const char *near = crl_params_suggest(defs, key);
  if (near != NULL)
    return crl_fail(CRL_ENOTFOUND, "unknown key '%s' (did you mean '%s'?)", key,
                    near);
  return crl_fail(CRL_ENOTFOUND, "unknown key '%s'", key);
}

static int set_def(const crl_param_def *d, void *spec, const char *value) {
  param_value v;
  memset(&v, 0, sizeof v);
  int rc = parse_value(d, value, &v);
  if (rc)
    return rc;
  memcpy((char *)spec + d->offset, &v, field_size(d->kind));
  return 0;
}

int crl_params_set(const crl_param_def *defs, void *spec, const char *key,
                   const char *value) {
  if (defs == NULL || spec == NULL || key == NULL || value == NULL)
    return crl_fail(CRL_EINVAL, "crl_params_set: NULL argument");
  const crl_param_def *d = crl_params_find(defs, key);
  if (d == NULL)
    return crl__params_fail_unknown_key(defs, key);
  return set_def(d, spec, value);
}

int crl_params_defaults(const crl_param_def *defs, void *spec) {
  if (defs == NULL || spec == NULL)
    return crl_fail(CRL_EINVAL, "crl_params_defaults: NULL argument");
  for (const crl_param_def *d = defs; d->name != NULL; d++) {
    int rc = set_def(d, spec, d->default_text ? d->default_text : "");
    if (rc) {
      char why[512]; /* crl_fail must not read the buffer it writes */
      snprintf(why, sizeof why, "%s", crl_last_error());
      return crl_fail(rc, "default of '%s' is invalid: %s", d->name, why);
    }
  }
  return 0;
}

double crl_schedule_value(const crl_schedule *s, double progress_remaining) {
  if (!s->linear)
    return s->start;
  return s->start * progress_remaining;
}
