/* Internal: the built-in environments and algorithms the registries start
 * with. The library declares this interface and the composition root
 * (src/builtins.c) defines it: lib/ never names envs/ or algos/, and a
 * build of lib/ alone can link its own set (an empty one is valid). */
#ifndef CRL_CORE_BUILTINS_H
#define CRL_CORE_BUILTINS_H

#include "crl/algo.h"
#include "crl/env.h"

typedef struct crl__builtin_set {
  const crl_env_type *const *env_types; /* listed by `crl envs` first */
  int n_env_types;
  const crl_algo_type *const *algo_types; /* listed by `crl algos` first */
  int n_algo_types;
  /* Registers the built-in configured env types (crl_env_register_config)
   * on the env registry's first use; NULL when there are none. */
  void (*register_presets)(void);
} crl__builtin_set;

extern const crl__builtin_set crl__builtins;

#endif
