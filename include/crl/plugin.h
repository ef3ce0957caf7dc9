/* crl: plugins, shared objects that add environments and algorithms to the
 * crl program (`plugins: [libmyenv.so]` in an experiment, or `--plugin
 * PATH` on any command; docs/embedding.md, "Your env in crl train").
 *
 * A plugin is C compiled against these headers into a shared object that
 * defines two symbols:
 *
 *   #include <crl/crl.h>
 *   CRL_PLUGIN_DECLARE();                       // crl_plugin_abi
 *   int crl_plugin_init(crl_plugin_registry *reg) {
 *     return reg->env_callbacks(reg, &my_env);  // and/or env, algo
 *   }
 *
 * The program opens it with dlopen(RTLD_NOW | RTLD_LOCAL), checks that
 * crl_plugin_abi matches its own (the ABI version and the scalar type),
 * then calls crl_plugin_init once. Register through `reg`: it refuses a
 * name that is taken (a built-in, or another plugin's) with a message that
 * says which, and records what the plugin added. Return 0, or a negative
 * CRL_E* code (set a message with crl_fail): the program then stops with
 * that message. A plugin is never unloaded, so what it registers (types,
 * names, space bounds) may point into its own static storage.
 *
 * Calls into libcrl (crl_fail, crl_seed_derive, the networks of an
 * algorithm) resolve against the program that loads the plugin: build it
 * with `pkg-config --cflags crl` and without linking libcrl itself. */
#ifndef CRL_PLUGIN_H
#define CRL_PLUGIN_H

#include "crl/algo.h"
#include "crl/common.h"
#include "crl/env.h"

CRL_BEGIN_DECLS

/* Changes whenever a layout a plugin sees changes (crl_plugin_registry,
 * crl_env_type, crl_env_callbacks, crl_algo_type, crl_space, crl_param_def,
 * crl_algo_stats). A plugin built for another version is refused. */
#define CRL_PLUGIN_ABI_VERSION 3

/* What a plugin was compiled with, checked before anything of it runs. */
typedef struct crl_plugin_abi_info {
  int version;   /* CRL_PLUGIN_ABI_VERSION */
  int real_size; /* sizeof(crl_real): float and double builds differ */
} crl_plugin_abi_info;

/* Handed to crl_plugin_init: where to register. */
typedef struct crl_plugin_registry crl_plugin_registry;
struct crl_plugin_registry {
  int abi_version;  /* the program's CRL_PLUGIN_ABI_VERSION */
  const char *path; /* the plugin file, as the program opened it */
  /* crl_env_register, crl_env_register_callbacks and crl_algo_register
   * (crl/env.h, crl/algo.h), with a taken name refused by name. */
  int (*env)(crl_plugin_registry *reg, const crl_env_type *type);
  int (*env_callbacks)(crl_plugin_registry *reg, const crl_env_callbacks *cb);
  int (*algo)(crl_plugin_registry *reg, const crl_algo_type *type);
  void *host; /* the program's own */
};

#if defined(__GNUC__)
#define CRL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CRL_PLUGIN_EXPORT
#endif

/* The two symbols, by name (what the program looks up). */
#define CRL_PLUGIN_ABI_SYMBOL "crl_plugin_abi"
#define CRL_PLUGIN_INIT_SYMBOL "crl_plugin_init"

typedef int (*crl_plugin_init_fn)(crl_plugin_registry *reg);

/* Defines crl_plugin_abi in the plugin (once, at file scope). */
#define CRL_PLUGIN_DECLARE()                                                   \
  CRL_PLUGIN_EXPORT const crl_plugin_abi_info crl_plugin_abi = {               \
      CRL_PLUGIN_ABI_VERSION, (int)sizeof(crl_real)}

/* Declared here so that a plugin's definitions are checked and exported. */
CRL_PLUGIN_EXPORT extern const crl_plugin_abi_info crl_plugin_abi;
CRL_PLUGIN_EXPORT int crl_plugin_init(crl_plugin_registry *reg);

CRL_END_DECLS

#endif
