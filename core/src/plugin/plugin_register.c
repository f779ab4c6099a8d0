/* Host-table entries that register a plugin's capabilities (during init
 * only): routes, reminder channels, event sources, change listeners,
 * renderers and commands. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int may_register(const agendad_plugin *self)
{
    if (!self)
        return AGENDAD_EINVAL;
    return self->in_init ? 0 : AGENDAD_ESTATE;
}

static bool route_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *prefix)
{
    for (size_t i = 0; i < h->n_plugins; i++)
        for (size_t j = 0; j < h->plugins[i]->n_routes; j++)
            if (strcmp(h->plugins[i]->routes[j].prefix, prefix) == 0)
                return true;
    for (size_t j = 0; j < self->n_routes; j++)
        if (strcmp(self->routes[j].prefix, prefix) == 0)
            return true;
    return false;
}

/* Whole segments only: no empty, "." or ".." segment and no trailing "/",
 * so that segment matching is unambiguous and a prefix cannot smuggle a
 * path the core normalizes differently. "/" alone is the front page. */
static bool well_formed_prefix(const char *p)
{
    if (p[0] != '/')
        return false;
    if (p[1] == '\0')
        return true;
    for (const char *seg = p + 1;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}

/* The core's URL space (feeds, health...) stays out of plugins' reach. */
static bool reserved_prefix(const ag_plugin_host *h, const char *p)
{
    for (const char *const *r = h->svc.reserved_prefixes; r && *r; r++) {
        size_t len = strlen(*r);
        if (strncmp(p, *r, len) == 0 && (p[len] == '\0' || p[len] == '/'))
            return true;
    }
    return false;
}

static int register_route(agendad_plugin *self, const char *path_prefix, agendad_route_fn fn,
                          void *data, bool post)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!path_prefix || !fn || !well_formed_prefix(path_prefix))
        return AGENDAD_EINVAL;
    if (reserved_prefix(self->host, path_prefix) || route_taken(self->host, self, path_prefix))
        return AGENDAD_EEXIST;
    route r = {.prefix = ag_plugin_strdup(path_prefix),
               .len = strlen(path_prefix),
               .fn = fn,
               .data = data,
               .post = post};
    if (!r.prefix || !ag_plugin_grow((void **)&self->routes, self->n_routes, sizeof r)) {
        free(r.prefix);
        return AGENDAD_ENOMEM;
    }
    self->routes[self->n_routes++] = r;
    return 0;
}

static int api_register_route(agendad_plugin *self, const char *path_prefix, agendad_route_fn fn,
                              void *data)
{
    return register_route(self, path_prefix, fn, data, false);
}

static int api_register_route_post(agendad_plugin *self, const char *path_prefix,
                                   agendad_route_fn fn, void *data)
{
    return register_route(self, path_prefix, fn, data, true);
}

static bool channel_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    const ag_plugin_channel *ch = ag_plugins_channel(h, name);
    for (size_t j = 0; !ch && j < self->n_channels; j++)
        if (strcmp(self->channels[j]->name, name) == 0)
            ch = self->channels[j];
    return ch != NULL;
}

static int api_register_channel(agendad_plugin *self, const char *name, agendad_channel_fn fn,
                                void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (channel_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    ag_plugin_channel *ch = calloc(1, sizeof *ch);
    if (!ch || !(ch->name = ag_plugin_strdup(name)) ||
        !ag_plugin_grow((void **)&self->channels, self->n_channels, sizeof ch)) {
        if (ch)
            free(ch->name);
        free(ch);
        return AGENDAD_ENOMEM;
    }
    ch->fn = fn;
    ch->data = data;
    self->channels[self->n_channels++] = ch;
    return 0;
}

static bool source_taken(const ag_plugin_host *h, const agendad_plugin *self, const char *name)
{
    for (size_t i = 0; i < ag_plugins_source_count(h); i++)
        if (strcmp(ag_plugins_source_name(h, i), name) == 0)
            return true;
    for (size_t j = 0; j < self->n_sources; j++)
        if (strcmp(self->sources[j]->name, name) == 0)
            return true;
    return false;
}

static int api_register_source(agendad_plugin *self, const char *name, agendad_source **out)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !out)
        return AGENDAD_EINVAL;
    if (source_taken(self->host, self, name))
        return AGENDAD_EEXIST;
    agendad_source *src = calloc(1, sizeof *src);
    if (!src || !(src->name = ag_plugin_strdup(name)) ||
        !ag_plugin_grow((void **)&self->sources, self->n_sources, sizeof src)) {
        if (src)
            free(src->name);
        free(src);
        return AGENDAD_ENOMEM;
    }
    src->plugin = self;
    self->sources[self->n_sources++] = src;
    *out = src;
    return 0;
}

static int api_register_listener(agendad_plugin *self, agendad_listener_fn fn, void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!fn)
        return AGENDAD_EINVAL;
    if (!ag_plugin_grow((void **)&self->listeners, self->n_listeners, sizeof(listener)))
        return AGENDAD_ENOMEM;
    self->listeners[self->n_listeners++] = (listener){fn, data};
    return 0;
}

/* Whether name is taken among the entries of one kind (renderers,
 * commands) of every running plugin and of self: the command line's words
 * are one namespace per kind. Each entry starts with its name. */
static bool name_taken(const ag_plugin_host *h, const agendad_plugin *self, size_t array_at,
                       size_t count_at, size_t size, const char *name)
{
    for (size_t i = 0; i <= h->n_plugins; i++) {
        const agendad_plugin *p = i < h->n_plugins ? h->plugins[i] : self;
        const char *v = *(const char *const *)((const char *)p + array_at);
        size_t n = *(const size_t *)((const char *)p + count_at);
        for (size_t j = 0; j < n; j++)
            if (strcmp(*(char *const *)(v + j * size), name) == 0)
                return true;
    }
    return false;
}

#define TAKEN(self, kind, name)                                                                    \
    name_taken((self)->host, (self), offsetof(agendad_plugin, kind##s),                            \
               offsetof(agendad_plugin, n_##kind##s), sizeof(kind), (name))

static int api_register_renderer(agendad_plugin *self, const char *name, agendad_render_fn fn,
                                 void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (TAKEN(self, renderer, name))
        return AGENDAD_EEXIST;
    renderer r = {.name = ag_plugin_strdup(name), .fn = fn, .data = data};
    if (!r.name || !ag_plugin_grow((void **)&self->renderers, self->n_renderers, sizeof r)) {
        free(r.name);
        return AGENDAD_ENOMEM;
    }
    self->renderers[self->n_renderers++] = r;
    return 0;
}

static int api_register_command(agendad_plugin *self, const char *name, agendad_command_fn fn,
                                void *data)
{
    int rc = may_register(self);
    if (rc != 0)
        return rc;
    if (!name || !*name || !fn)
        return AGENDAD_EINVAL;
    if (TAKEN(self, command, name))
        return AGENDAD_EEXIST;
    command c = {.name = ag_plugin_strdup(name), .fn = fn, .data = data};
    if (!c.name || !ag_plugin_grow((void **)&self->commands, self->n_commands, sizeof c)) {
        free(c.name);
        return AGENDAD_ENOMEM;
    }
    self->commands[self->n_commands++] = c;
    return 0;
}

static bool api_command_line(agendad_plugin *self)
{
    return self && self->host->svc.command_line;
}

/* This file's entries of the host table. */
void ag_plugin_table_register(agendad_host *t)
{
    t->register_route = api_register_route;
    t->register_route_post = api_register_route_post;
    t->register_channel = api_register_channel;
    t->register_source = api_register_source;
    t->register_listener = api_register_listener;
    t->register_renderer = api_register_renderer;
    t->register_command = api_register_command;
    t->command_line = api_command_line;
}
