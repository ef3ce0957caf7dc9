/* Quoting strings for YAML text (config/yaml_text.h). */
#include "config/yaml_text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Words YAML would read as something other than a string. */
static int is_yaml_keyword(const char *s) {
  static const char *const words[] = {"true", "false", "yes", "no", "on",
                                      "off",  "null",  "~",   "y",  "n"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strcasecmp(s, words[i]) == 0)
      return 1;
  return 0;
}

int cli_yaml_is_plain(const char *s) {
  if (s[0] == '\0' || is_yaml_keyword(s))
    return 0;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && strchr("_-./+", *p) == NULL)
      return 0;
  return 1;
}

typedef struct out_buf {
  char *data;
  size_t size, len;
  int overflow;
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  if (o->overflow || o->len + n >= o->size) {
    o->overflow = 1;
    return;
  }
  memcpy(o->data + o->len, s, n);
  o->len += n;
  o->data[o->len] = '\0';
}

static void put_str(out_buf *o, const char *s) {
  put(o, s, strlen(s));
}

/* The escape for the character starting at p (its UTF-8 length in *n), or
 * NULL when it is written as it is. */
static const char *escape_for(const unsigned char *p, int *n, char tmp[8]) {
  *n = 1;
  switch (p[0]) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\n':
    return "\\n";
  case '\t':
    return "\\t";
  default:
    break;
  }
  if (p[0] < 0x20 || p[0] == 0x7f) {
    snprintf(tmp, 8, "\\x%02x", p[0]);
    return tmp;
  }
  if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1 controls */
    *n = 2;
    if (p[1] == 0x85)
      return "\\N";
    snprintf(tmp, 8, "\\x%02x", p[1]);
    return tmp;
  }
  if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
    *n = 3;
    return p[2] == 0xa8 ? "\\L" : "\\P";
  }
  if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
    *n = 3;
    return "\\uFEFF";
  }
  return NULL;
}

int cli_yaml_quote(const char *s, char *buf, size_t size) {
  out_buf o = {buf, size, 0, size == 0};
  if (size > 0)
    buf[0] = '\0';
  put(&o, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    char tmp[8];
    int n;
    const char *esc = escape_for(p, &n, tmp);
    if (esc != NULL)
      put_str(&o, esc);
    else
      put(&o, (const char *)p, 1);
    p += n;
  }
  put(&o, "\"", 1);
  return o.overflow ? -1 : (int)o.len;
}

/* ---- unquoting ------------------------------------------------------------
 */

static void put_utf8(out_buf *o, uint32_t c) {
  char u[4];
  if (c < 0x80) {
    u[0] = (char)c;
    put(o, u, 1);
  } else if (c < 0x800) {
    u[0] = (char)(0xc0 | (c >> 6));
    u[1] = (char)(0x80 | (c & 0x3f));
    put(o, u, 2);
  } else if (c < 0x10000) {
    u[0] = (char)(0xe0 | (c >> 12));
    u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
    u[2] = (char)(0x80 | (c & 0x3f));
    put(o, u, 3);
  } else {
    u[0] = (char)(0xf0 | (c >> 18));
    u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    u[3] = (char)(0x80 | (c & 0x3f));
    put(o, u, 4);
  }
}

/* n hex digits at p as a code point, or -1. */
static long hex_value(const char *p, int n) {
  long v = 0;
  for (int i = 0; i < n; i++) {
    if (!isxdigit((unsigned char)p[i]))
      return -1;
    v = v * 16 +
        (isdigit((unsigned char)p[i]) ? p[i] - '0' : tolower(p[i]) - 'a' + 10);
  }
  return v;
}

/* clang-format off */
static const struct { char code; const char *bytes; } simple_escapes[] = {
  {'a', "\a"}, {'b', "\b"}, {'t', "\t"}, {'n', "\n"},
  {'v', "\v"},   {'f', "\f"}, {'r', "\r"}, {'e', "\x1b"}, {' ', " "},
  {'"', "\""},   {'/', "/"},  {'\\', "\\"}, {'\t', "\t"},
  {'N', "\xc2\x85"}, {'_', "\xc2\xa0"}, {'L', "\xe2\x80\xa8"},
  {'P', "\xe2\x80\xa9"},
};
/* clang-format on */

int cli_yaml_unquote(const char *s, char *buf, size_t size) {
  out_buf o = {buf, size, 0, size == 0};
  if (size > 0)
    buf[0] = '\0';
  if (s[0] != '"') {
    put_str(&o, s);
    return o.overflow ? -1 : (int)o.len;
  }
  const char *p = s + 1;
  for (; *p && *p != '"'; p++) {
    if (*p != '\\') {
      put(&o, p, 1);
      continue;
    }
    p++;
    int digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
    if (digits > 0) {
      long c = hex_value(p + 1, digits);
      if (c < 0 || c > 0x10ffff)
        return -1;
      put_utf8(&o, (uint32_t)c);
      p += digits;
      continue;
    }
    size_t i = 0, n = sizeof simple_escapes / sizeof *simple_escapes;
    while (i < n && simple_escapes[i].code != *p)
      i++;
    if (i == n)
      return -1; /* unknown escape, or the text ends after '\' */
    put_str(&o, simple_escapes[i].bytes);
  }
  if (*p != '"' || p[1] != '\0')
    return -1; /* unterminated, or text after the closing quote */
  return o.overflow ? -1 : (int)o.len;
}
