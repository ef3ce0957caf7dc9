/* crl: declared hyperparameters.
 *
 * An algorithm (or the runner) declares its parameters as a table of
 * crl_param_def: name, kind, where the field lives in its spec struct, a
 * default written as text, a range and a one-line doc. The same table fills
 * defaults, validates values set by name (the YAML layer and --set both go
 * through crl_params_set), formats the resolved config, and documents the
 * algorithm in `crl algos NAME`. The core library never parses YAML: the
 * YAML layer turns each scalar or sequence into text and calls the setter. */
#ifndef CRL_PARAMS_H
#define CRL_PARAMS_H

#include "crl/common.h"

CRL_BEGIN_DECLS

#define CRL_LIST_MAX 16

typedef enum crl_param_kind {
  CRL_PARAM_INT = 0,      /* int; range [min, max] */
  CRL_PARAM_REAL = 1,     /* double; range [min, max] */
  CRL_PARAM_REAL_OPT = 2, /* double or "null" (stored as NAN); range when set */
  CRL_PARAM_BOOL = 3,     /* int 0/1; true/false/yes/no/1/0 */
  CRL_PARAM_ENUM = 4,     /* int index into choices "a|b|c" */
  CRL_PARAM_SCHEDULE = 5, /* crl_schedule: a number or lin_<number> */
  CRL_PARAM_INT_LIST = 6, /* crl_int_list: [a, b, ...]; each in [min, max] */
  CRL_PARAM_STRING = 7,   /* char[CRL_STRING_MAX] */
  CRL_PARAM_REAL_LIST = 8 /* crl_real_list: [a, b, ...]; each in [min, max] */
} crl_param_kind;

#define CRL_STRING_MAX 256

/* A value that may change linearly with training progress, as RL Zoo's
 * lin_<v>: value(p) = start * p where p goes from 1 (start) to 0 (end). */
typedef struct crl_schedule {
  double start;
  int linear; /* 0: constant start; 1: start * progress_remaining */
} crl_schedule;

typedef struct crl_int_list {
  int n;
  int v[CRL_LIST_MAX];
} crl_int_list;

typedef struct crl_real_list {
  int n;
  double v[CRL_LIST_MAX];
} crl_real_list;

typedef struct crl_param_def {
  const char *name; /* key, dotted for nested ones: "policy_kwargs.net_arch" */
  crl_param_kind kind;
  size_t offset;            /* offsetof(spec struct, field) */
  const char *default_text; /* the default as it would be written in YAML */
  double min, max;          /* inclusive range (numbers, list elements) */
  const char *choices;      /* ENUM: "tanh|relu|identity" */
  const char *doc;          /* one line */
} crl_param_def;

/* Tables end with an entry whose name is NULL. */

/** Fill every field of spec with its default. */
CRL_API int crl_params_defaults(const crl_param_def *defs, void *spec);

/** The definition named key, or NULL. */
CRL_API const crl_param_def *crl_params_find(const crl_param_def *defs,
                                             const char *key);

/** The declared name closest to key (edit distance), or NULL if none is
 *  reasonably close. */
CRL_API const char *crl_params_suggest(const crl_param_def *defs,
                                       const char *key);

/** Of names[0..n-1] (NULL entries skipped), the one nearest to key by
 *  case-insensitive edit distance, or NULL when none is close enough to be
 *  worth suggesting (about a third of the longer name may differ, at least
 *  two edits): the "did you mean" of messages about names. */
CRL_API const char *crl_nearest_name(const char *key, const char *const *names,
                                     int n);

/** Parse value (text) into the field named key, checking kind and range.
 *  Fails with CRL_ENOTFOUND (unknown key; message names the nearest),
 *  CRL_EFORMAT (wrong type) or CRL_ERANGE, and leaves spec unchanged. */
CRL_API int crl_params_set(const crl_param_def *defs, void *spec,
                           const char *key, const char *value);

/** Write the value of one field as text ("0.001", "lin_0.001", "[64, 64]",
 *  "tanh", "null", "true"). Returns 0 or CRL_ENOTFOUND/CRL_ERANGE (buffer
 *  too small). */
CRL_API int crl_params_format(const crl_param_def *defs, const void *spec,
                              const char *key, char *buf, size_t size);

/** Describe a kind for messages and docs: "integer", "number", ... */
CRL_API const char *crl_param_kind_name(crl_param_kind kind);

/** Value of a schedule at progress_remaining in [0, 1]. */
CRL_API double crl_schedule_value(const crl_schedule *s,
                                  double progress_remaining);

CRL_END_DECLS

#endif
