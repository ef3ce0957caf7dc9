/* Strings in YAML text: when a value can be written bare, and its
 * double-quoted form, and back. The resolved config, the grid section and
 * the flattened text of sequences ("[a, \"b, c\"]") all quote through
 * these, so whatever a string holds reads back as the same bytes. */
#ifndef TOOLS_YAML_TEXT_H
#define TOOLS_YAML_TEXT_H

#include <stddef.h>

/* 1 when s can be written as a plain scalar and reads back as the same
 * string (a name like Pendulum-v1, a number, a path): letters, digits and
 * "_-./+", not a YAML keyword such as `yes` or `null`, not empty. */
int cli_yaml_is_plain(const char *s);

/* s as a YAML double-quoted scalar into buf: '"' and '\' escaped, control
 * characters (C0, DEL, C1 other than NEL), NEL, the Unicode line and
 * paragraph separators and the byte-order mark as escapes, since libyaml
 * refuses or folds them in a quoted scalar. Returns the length written,
 * or -1 when buf is too small (buf then holds a truncated prefix). */
int cli_yaml_quote(const char *s, char *buf, size_t size);

/* The inverse for one item of a flattened sequence: an item that starts
 * with '"' is unquoted (the escapes of cli_yaml_quote and YAML's other
 * ones, \uXXXX, \r, \e ...; not \0, which a C string cannot hold); any
 * other is copied. -1 when malformed or too long. */
int cli_yaml_unquote(const char *s, char *buf, size_t size);

#endif
