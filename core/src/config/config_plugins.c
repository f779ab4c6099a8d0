/* plugins: in agendad.yaml. Each plugin's section is kept as a tree for the
 * plugin to read itself: the core does not know any plugin's schema. */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static bool valid_plugin_name(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

/* A null section ("example:") means "no settings": an empty map. */
static ag_config_node *section_copy(const ag_config_node *v, ag_diags *d)
{
    if (v->kind == AG_CFG_MAP)
        return ag_config_node_copy(v);
    ag_config_node *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->kind = AG_CFG_MAP;
    m->loc = ag_config_loc_copy(d, &v->loc);
    return m;
}

static bool load_one(ag_plugin_conf *p, const ag_config_node *load, size_t i, ag_diags *d)
{
    const char *name = load->keys[i];
    const ag_config_node *v = load->items[i];
    if (!valid_plugin_name(name)) {
        ag_config_err(d, &load->key_locs[i],
                      "\"%s\" is not a valid plugin name: use lowercase letters a-z, digits, \"-\" "
                      "and \"_\"",
                      name);
        return false;
    }
    if (v->kind != AG_CFG_MAP && !ag_config_is_null(v)) {
        ag_config_err(d, &v->loc, "the settings of plugin \"%s\" must be a mapping, found %s", name,
                      ag_config_kind_name(v));
        return false;
    }
    p->name = strdup(name);
    p->section = section_copy(v, d);
    p->loc = ag_config_loc_copy(d, &load->key_locs[i]);
    if (!p->name || !p->section) {
        ag_config_oom(d, &load->key_locs[i], N_("this plugin's settings"));
        free(p->name);
        ag_config_node_free(p->section);
        free(p->loc.file);
        return false;
    }
    return true;
}

static void load_list(ag_settings *s, const ag_config_node *load, ag_diags *d)
{
    if (ag_config_is_null(load))
        return;
    if (load->kind != AG_CFG_MAP) {
        ag_config_err(d, &load->loc,
                      "expected plugins.load as a mapping of plugin name to its settings, found %s",
                      ag_config_kind_name(load));
        return;
    }
    s->plugins = load->n ? calloc(load->n, sizeof *s->plugins) : NULL;
    if (load->n && !s->plugins) {
        ag_config_oom(d, &load->loc, "plugins.load");
        return;
    }
    for (size_t i = 0; i < load->n; i++)
        if (load_one(&s->plugins[s->n_plugins], load, i, d))
            s->n_plugins++;
}

void ag_config_load_plugins(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"directory", "load", NULL};
    ag_config_check_keys(d, n, keys, "plugins");
    const ag_config_node *dir = ag_config_node_get(n, "directory");
    char *path = NULL;
    if (dir && ag_config_string(d, dir, "plugins.directory", &path)) {
        free(s->plugin_dir);
        s->plugin_dir = path;
    }
    const ag_config_node *load = ag_config_node_get(n, "load");
    if (load)
        load_list(s, load, d);
}
