/* The generic tree that YAML files are read into; plugins get sub-trees. */
#include "arena.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

void ag_config_node_free(ag_config_node *n)
{
    if (!n)
        return;
    if (n->arena) {
        ag_arena_free(n->arena);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        ag_config_node_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
        if (n->key_locs)
            free(n->key_locs[i].file);
    }
    free(n->items);
    free(n->keys);
    free(n->key_locs);
    free(n->scalar);
    free(n->loc.file);
    free(n);
}

const ag_config_node *ag_config_node_get(const ag_config_node *n, const char *key)
{
    if (!n || n->kind != AG_CFG_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i], key) == 0)
            return n->items[i];
    return NULL;
}

static bool copy_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return !src || *dst;
}

/* Allocates the arrays for n entries; false on allocation failure. */
static bool copy_arrays(ag_config_node *d, const ag_config_node *s)
{
    if (s->n == 0)
        return true;
    d->items = calloc(s->n, sizeof *d->items);
    if (!d->items)
        return false;
    if (s->kind != AG_CFG_MAP)
        return true;
    d->keys = calloc(s->n, sizeof *d->keys);
    d->key_locs = calloc(s->n, sizeof *d->key_locs);
    return d->keys && d->key_locs;
}

static bool copy_entry(ag_config_node *d, const ag_config_node *s, size_t i)
{
    d->items[i] = ag_config_node_copy(s->items[i]);
    if (!d->items[i])
        return false;
    if (s->kind != AG_CFG_MAP)
        return true;
    d->key_locs[i] = s->key_locs[i];
    d->key_locs[i].file = NULL;
    return copy_str(&d->keys[i], s->keys[i]) && copy_str(&d->key_locs[i].file, s->key_locs[i].file);
}

ag_config_node *ag_config_node_copy(const ag_config_node *s)
{
    ag_config_node *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->kind = s->kind; /* a copy is malloc'd node by node: no arena */
    d->loc = s->loc;
    d->loc.file = NULL;
    bool ok =
        copy_str(&d->scalar, s->scalar) && copy_str(&d->loc.file, s->loc.file) && copy_arrays(d, s);
    /* d->n grows with each entry tried (arrays are zeroed) so that free()
     * releases exactly what was copied, even halfway through an entry. */
    for (size_t i = 0; ok && i < s->n; i++) {
        ok = copy_entry(d, s, i);
        d->n++;
    }
    if (!ok) {
        ag_config_node_free(d);
        return NULL;
    }
    return d;
}
