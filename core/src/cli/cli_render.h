/* `agendad NAME KEY [--format F] [--lang L]`: commands that plugins provide
 * as renderers (agendad_render_fn), such as an event's agenda as
 * `agendad NAME UID --format md`. The command line opens the config and
 * the store as the daemon would, loads the plugins on a loop of its own
 * without any HTTP server, runs the renderer and shuts the plugins down. */
#ifndef AGENDAD_CLI_RENDER_H
#define AGENDAD_CLI_RENDER_H

#include "service.h"

typedef struct {
    const char *name;   /* the command, i.e. the renderer's name */
    const char *key;    /* its argument (an event uid...); may be NULL */
    const char *format; /* NULL: "txt" */
    const char *lang;   /* NULL: the renderer's default */
} ag_render_args;

/* Writes the rendering to out. Exit code: 0; 1 when it failed (explained on
 * stderr or in the log); 2 for bad usage (no such command, unknown format,
 * missing key). */
int ag_cli_render(const char *config_dir, const ag_overrides *ov, const ag_render_args *a,
                  FILE *out);

#endif
