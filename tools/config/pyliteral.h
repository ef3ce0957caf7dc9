/* Python literals of RL Zoo's hyperparameter strings, as YAML flow text
 * (pyliteral.c). */
#ifndef TOOLS_PYLITERAL_H
#define TOOLS_PYLITERAL_H

#include <stddef.h>

/* The longest name, string or converted text it handles. */
#define PYLIT_MAX_TEXT 4096

/* Rewrite src ("dict(net_arch=[64, 64], activation_fn=nn.ReLU)") as YAML
 * flow text ("{net_arch: [64, 64], activation_fn: nn.ReLU}") into out.
 * True/False/None become true/false/null, tuples lists, dotted names
 * strings. 0, or -1 with the reason in why and the character offset in
 * src where it was found in *offset. */
int cli_pyliteral_to_yaml(const char *src, char *out, size_t out_size,
                          int *offset, char *why, size_t why_size);

#endif
