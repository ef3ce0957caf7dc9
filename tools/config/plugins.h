/* Plugins (crl/plugin.h): shared objects that register envs and
 * algorithms, named by an experiment's `plugins:` key or by `--plugin
 * PATH`. Each file is loaded once per process, whatever number of
 * configurations name it (grid points, a resumed run's checkpoints), and
 * never unloaded: what it registered stays valid, and worker processes
 * forked afterwards have it too. */
#ifndef TOOLS_PLUGINS_H
#define TOOLS_PLUGINS_H

#include <stddef.h>

#define CLI_MAX_PLUGINS 16

/* Load the plugin at path (opened as given: the caller resolves a
 * relative path) unless the same file is loaded already; *resolved
 * receives its absolute path (stable storage). from_command_line marks it
 * as given by --plugin, so that every configuration of this process lists
 * it. 0, or -1 with the reason in why (without a location). */
int cli_plugin_load(const char *path, int from_command_line,
                    const char **resolved, char *why, size_t size);

/* From now on cli_plugin_load refuses every file without opening it (for
 * the fuzz targets, whose generated experiments must never dlopen, and
 * so run the constructors of, whatever library a path names). */
void cli_plugin_loading_off(void);

/* The plugins loaded so far, in load order. */
int cli_plugin_count(void);
const char *cli_plugin_path(int i);
int cli_plugin_from_command_line(int i);

#endif
