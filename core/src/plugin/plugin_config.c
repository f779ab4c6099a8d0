/* Host-table entries for a plugin's config section, a deep copy that lives
 * as long as the plugin. */
#include "plugin_host.h"

#include "config_network.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag_plugin_config_free(ag_config_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        if (n->items)
            ag_plugin_config_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->scalar);
    free(n->loc.file);
    free(n);
}

ag_config_node *ag_plugin_config_copy(const ag_config_node *src);

static bool cfg_copy_children(ag_config_node *dst, const ag_config_node *src)
{
    if (src->n == 0)
        return true;
    dst->items = calloc(src->n, sizeof *dst->items);
    if (src->kind == AG_CFG_MAP)
        dst->keys = calloc(src->n, sizeof *dst->keys);
    if (!dst->items || (src->kind == AG_CFG_MAP && !dst->keys))
        return false;
    dst->n = src->n;
    for (size_t i = 0; i < src->n; i++) {
        dst->items[i] = ag_plugin_config_copy(src->items[i]);
        if (!dst->items[i])
            return false;
        if (src->kind == AG_CFG_MAP && !(dst->keys[i] = ag_plugin_strdup(src->keys[i])))
            return false;
    }
    return true;
}

/* Copies the section so that a config reload, which frees the old tree,
 * cannot pull it from under a plugin that kept node pointers. */
ag_config_node *ag_plugin_config_copy(const ag_config_node *src)
{
    ag_config_node *dst = calloc(1, sizeof *dst);
    if (!dst)
        return NULL;
    dst->kind = src->kind;
    dst->loc.line = src->loc.line;
    dst->loc.col = src->loc.col;
    bool ok = (!src->scalar || (dst->scalar = ag_plugin_strdup(src->scalar))) &&
              (!src->loc.file || (dst->loc.file = ag_plugin_strdup(src->loc.file))) &&
              cfg_copy_children(dst, src);
    if (!ok) {
        ag_plugin_config_free(dst);
        return NULL;
    }
    return dst;
}

ag_config_node *ag_plugin_config_empty_map(void)
{
    ag_config_node *n = calloc(1, sizeof *n);
    if (n)
        n->kind = AG_CFG_MAP;
    return n;
}

static const ag_config_node *cfg_node(const agendad_config_node *n)
{
    return (const ag_config_node *)n;
}

static const agendad_config_node *cfg_handle(const ag_config_node *n)
{
    return (const agendad_config_node *)n;
}

static const agendad_config_node *api_config(agendad_plugin *self)
{
    return self ? cfg_handle(self->section) : NULL;
}

static const agendad_config_node *api_config_get(const agendad_config_node *node, const char *key)
{
    const ag_config_node *n = cfg_node(node);
    if (!n || !key || n->kind != AG_CFG_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i], key) == 0)
            return cfg_handle(n->items[i]);
    return NULL;
}

static agendad_config_kind api_config_kind(const agendad_config_node *node)
{
    switch (node ? cfg_node(node)->kind : AG_CFG_SCALAR) {
    case AG_CFG_MAP:
        return AGENDAD_CFG_MAP;
    case AG_CFG_SEQ:
        return AGENDAD_CFG_SEQ;
    default:
        return AGENDAD_CFG_SCALAR;
    }
}

static const char *api_config_scalar(const agendad_config_node *node)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind == AG_CFG_SCALAR ? n->scalar : NULL;
}

static size_t api_config_len(const agendad_config_node *node)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind != AG_CFG_SCALAR ? n->n : 0;
}

static const agendad_config_node *api_config_item(const agendad_config_node *node, size_t i)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind != AG_CFG_SCALAR && i < n->n ? cfg_handle(n->items[i]) : NULL;
}

static const char *api_config_key(const agendad_config_node *node, size_t i)
{
    const ag_config_node *n = cfg_node(node);
    return n && n->kind == AG_CFG_MAP && i < n->n ? n->keys[i] : NULL;
}

static void api_config_location(const agendad_config_node *node, const char **file, int *line,
                                int *col)
{
    const ag_config_node *n = cfg_node(node);
    if (file)
        *file = n ? n->loc.file : NULL;
    if (line)
        *line = n ? n->loc.line : 0;
    if (col)
        *col = n ? n->loc.col : 0;
}

/* This file's entries of the host table. */
void ag_plugin_table_config(agendad_host *t)
{
    t->config = api_config;
    t->config_get = api_config_get;
    t->config_kind = api_config_kind;
    t->config_scalar = api_config_scalar;
    t->config_len = api_config_len;
    t->config_item = api_config_item;
    t->config_key = api_config_key;
    t->config_location = api_config_location;
}
