/* `agendad NAME [ARG] [--format F] [--lang L]`: the commands plugins
 * register (agendad_command_fn). The command line loads the
 * config, reads the plugins' state from the state database without
 * migrating, reconciling or writing it (not even the -wal and -shm files a
 * reader makes), loads the plugins on a loop of its own without any HTTP
 * server (and, when the config does not load it, the plugin named like the
 * command from the plugin directory), runs the command and shuts the
 * plugins down. */
#ifndef AGENDAD_CLI_COMMAND_H
#define AGENDAD_CLI_COMMAND_H

#include "service.h"

#include <stdbool.h>

typedef struct {
    const char *name;   /* the command */
    const char *arg;    /* the word after it, or NULL */
    const char *format; /* --format, or NULL */
    const char *lang;   /* --lang, or NULL */
    bool verbose;       /* -v: the plugins' log lines too */
} ag_command_args;

/* Runs the command a plugin registered as a->name and returns its exit
 * status; 1 when the config has errors (printed as `check` prints them).
 * *handled false, with nothing printed, when no plugin registered a command
 * by that name: the caller then tries a renderer. */
int ag_cli_command(const char *config_dir, const ag_overrides *ov, const ag_command_args *a,
                   bool *handled);

#endif
