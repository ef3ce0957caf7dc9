/* The Python literals RL Zoo writes in strings (`policy_kwargs: "dict(
 * net_arch=[64, 64], activation_fn=nn.ReLU)"`, `normalize: "{'norm_obs':
 * False}"`) rewritten as YAML flow text, which the config loader then reads
 * like any --set value. A recursive descent over this grammar:
 *
 *   value := dict '(' [name '=' value {',' name '=' value}] [','] ')'
 *          | '{' [string ':' value {',' string ':' value}] [','] '}'
 *          | '[' [value {',' value}] [','] ']'  |  '(' ... ')' (a tuple)
 *          | number | string | True | False | None | dotted.name
 *
 * Dotted names (nn.ReLU) become strings; any other call is refused. */
#include "config/pyliteral.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/yaml_text.h"

#define MAX_NESTING 16

typedef struct parser {
  const char *src, *p;
  char *out;
  size_t size, len;
  int overflow;
  char *why;
  size_t why_size;
  int *offset;
} parser;

static int fail(parser *ps, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ps->why, ps->why_size, fmt, ap);
  va_end(ap);
  *ps->offset = (int)(ps->p - ps->src);
  return -1;
}

static void emit(parser *ps, const char *s, size_t n) {
  if (ps->len + n >= ps->size) {
    ps->overflow = 1;
    return;
  }
  memcpy(ps->out + ps->len, s, n);
  ps->len += n;
  ps->out[ps->len] = '\0';
}

static void emits(parser *ps, const char *s) {
  emit(ps, s, strlen(s));
}

static void skip_space(parser *ps) {
  while (isspace((unsigned char)*ps->p))
    ps->p++;
}

static int accept(parser *ps, char c) {
  skip_space(ps);
  if (*ps->p != c)
    return 0;
  ps->p++;
  return 1;
}

static int is_name_start(char c) {
  return isalpha((unsigned char)c) || c == '_';
}

/* name or dotted.name, into buf. */
static int read_name(parser *ps, char *buf, size_t size, int dotted) {
  size_t n = 0;
  while (is_name_start(*ps->p) || isdigit((unsigned char)*ps->p) ||
         (dotted && *ps->p == '.' && is_name_start(ps->p[1]))) {
    if (n + 1 >= size)
      return fail(ps, "a name longer than %zu characters", size - 1);
    buf[n++] = *ps->p++;
  }
  buf[n] = '\0';
  return n ? 0 : fail(ps, "expected a name");
}

static int value(parser *ps, int depth);

/* A quoted Python string, unescaped into buf (\\, \', \" and \n only). */
static int read_string(parser *ps, char *buf, size_t size) {
  char quote = *ps->p++;
  size_t n = 0;
  for (; *ps->p != quote; ps->p++) {
    char c = *ps->p;
    if (c == '\0' || c == '\n')
      return fail(ps, "a string that does not end");
    if (c == '\\') {
      c = *++ps->p;
      if (c == '\0' || strchr("\\'\"n", c) == NULL)
        return fail(ps, "an escape other than \\\\, \\', \\\" or \\n");
      c = c == 'n' ? '\n' : c;
    }
    if (n + 1 >= size)
      return fail(ps, "a string longer than %zu characters", size - 1);
    buf[n++] = c;
  }
  ps->p++;
  buf[n] = '\0';
  return 0;
}

static int emit_string(parser *ps, const char *s) {
  char quoted[PYLIT_MAX_TEXT];
  if (cli_yaml_is_plain(s)) {
    emits(ps, s);
    return 0;
  }
  if (cli_yaml_quote(s, quoted, sizeof quoted) < 0)
    return fail(ps, "a string too long");
  emits(ps, quoted);
  return 0;
}

static int number(parser *ps) {
  const char *start = ps->p;
  if (*ps->p == '-' || *ps->p == '+')
    ps->p++;
  int digits = 0;
  while (isdigit((unsigned char)*ps->p) || *ps->p == '.' || *ps->p == '_') {
    digits += isdigit((unsigned char)*ps->p) != 0;
    ps->p++;
  }
  if (digits && (*ps->p == 'e' || *ps->p == 'E')) {
    ps->p++;
    if (*ps->p == '-' || *ps->p == '+')
      ps->p++;
    if (!isdigit((unsigned char)*ps->p))
      return fail(ps, "a number with an empty exponent");
    while (isdigit((unsigned char)*ps->p))
      ps->p++;
  }
  if (!digits) {
    ps->p = start;
    return fail(ps, "expected a value");
  }
  for (const char *c = start; c < ps->p; c++)
    if (*c != '_') /* 1_000 is 1000 in Python */
      emit(ps, c, 1);
  return 0;
}

/* items of [...] or (...) up to the closing bracket */
static int sequence(parser *ps, char close, int depth) {
  emits(ps, "[");
  for (int first = 1; !accept(ps, close); first = 0) {
    if (!first && !accept(ps, ','))
      return fail(ps, "expected ',' or '%c'", close);
    if (!first && accept(ps, close))
      break;
    emits(ps, first ? "" : ", ");
    if (value(ps, depth + 1))
      return -1;
  }
  emits(ps, "]");
  return 0;
}

/* dict(key=value, ...) after "dict(", or {'key': value, ...} after "{" */
static int mapping(parser *ps, int call, int depth) {
  char key[PYLIT_MAX_TEXT];
  char close = call ? ')' : '}';
  emits(ps, "{");
  for (int first = 1; !accept(ps, close); first = 0) {
    if (!first && !accept(ps, ','))
      return fail(ps, "expected ',' or '%c'", close);
    if (!first && accept(ps, close))
      break;
    skip_space(ps);
    if (call ? read_name(ps, key, sizeof key, 0)
        : (*ps->p == '\'' || *ps->p == '"')
            ? read_string(ps, key, sizeof key)
            : fail(ps, "a dictionary key must be a quoted string"))
      return -1;
    if (!accept(ps, call ? '=' : ':'))
      return fail(ps, "expected '%c' after '%s'", call ? '=' : ':', key);
    emits(ps, first ? "" : ", ");
    if (emit_string(ps, key))
      return -1;
    emits(ps, ": ");
    if (value(ps, depth + 1))
      return -1;
  }
  emits(ps, "}");
  return 0;
}

static int name_value(parser *ps, int depth) {
  char name[PYLIT_MAX_TEXT];
  const char *start = ps->p;
  if (read_name(ps, name, sizeof name, 1))
    return -1;
  if (accept(ps, '(')) {
    if (strcmp(name, "dict") == 0)
      return mapping(ps, 1, depth);
    ps->p = start;
    return fail(ps, "'%s(...)' is a call; only dict(...) is understood", name);
  }
  const char *yaml = strcmp(name, "True") == 0    ? "true"
                     : strcmp(name, "False") == 0 ? "false"
                     : strcmp(name, "None") == 0  ? "null"
                                                  : NULL;
  if (yaml) {
    emits(ps, yaml);
    return 0;
  }
  return emit_string(ps, name);
}

static int value(parser *ps, int depth) {
  if (depth > MAX_NESTING)
    return fail(ps, "nested more than %d levels deep", MAX_NESTING);
  skip_space(ps);
  char c = *ps->p;
  if (c == '[' || c == '(') {
    ps->p++;
    return sequence(ps, c == '[' ? ']' : ')', depth);
  }
  if (c == '{') {
    ps->p++;
    return mapping(ps, 0, depth);
  }
  if (c == '\'' || c == '"') {
    char text[PYLIT_MAX_TEXT];
    return read_string(ps, text, sizeof text) || emit_string(ps, text);
  }
  if (is_name_start(c))
    return name_value(ps, depth);
  return number(ps);
}

/* RL Zoo's literals are ASCII; anything else (control characters, bytes
 * that need not even be UTF-8) is refused where it is. */
static int check_ascii(parser *ps) {
  for (const char *c = ps->src; *c; c++) {
    unsigned char u = (unsigned char)*c;
    if (u >= 0x7f || (u < 0x20 && !isspace(u))) {
      ps->p = c;
      return fail(ps, "the byte 0x%02x (only printable ASCII is understood)",
                  u);
    }
  }
  return 0;
}

int cli_pyliteral_to_yaml(const char *src, char *out, size_t out_size,
                          int *offset, char *why, size_t why_size) {
  parser ps = {src, src, out, out_size, 0, 0, why, why_size, offset};
  out[0] = '\0';
  *offset = 0;
  if (check_ascii(&ps) || value(&ps, 0))
    return -1;
  skip_space(&ps);
  if (*ps.p != '\0')
    return fail(&ps, "unexpected '%c' after the value", *ps.p);
  if (ps.overflow) {
    ps.p = src;
    return fail(&ps, "longer than %zu characters", out_size - 1);
  }
  return 0;
}
