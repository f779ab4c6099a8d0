/* Checks of the settings (ABI 1.8): plugins register them during init,
 * report through check_error what they find in the configuration being
 * checked, and `agendad check` and the daemon's start and reloads run them
 * (ag_plugins_check), adding what they report to the admin's diagnostics. */
#include "plugin_host.h"

#include "plugin_internal.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int api_register_check(agendad_plugin *self, agendad_check_fn fn, void *data)
{
    if (!self || !fn)
        return AGENDAD_EINVAL;
    if (!self->in_init)
        return AGENDAD_ESTATE;
    if (!ag_plugin_grow((void **)&self->checks, self->n_checks, sizeof(check)))
        return AGENDAD_ENOMEM;
    self->checks[self->n_checks++] = (check){fn, data};
    return 0;
}

/* A node without a place (an empty section the host made up) reports at
 * the plugin's entry, as NULL does. */
AGENDAD_PRINTF(3, 4)
static void api_check_error(agendad_check *c, const agendad_config_node *at, const char *fmt, ...)
{
    if (!c || !fmt)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ag_utf8_fix_truncation(msg, sizeof msg);
    const ag_config_node *n = (const ag_config_node *)at;
    const ag_loc *loc = n && n->loc.file ? &n->loc : &c->plugin->entry;
    ag_diags_add_text(c->diags, loc->file, loc->line, loc->col, msg);
}

size_t ag_plugins_check(ag_plugin_host *h, const ag_config *cfg, ag_diags *diags)
{
    size_t before = ag_diags_count(diags);
    if (!h || !cfg)
        return 0;
    h->checking = cfg;
    for (size_t i = 0; i < h->n_plugins; i++) {
        agendad_plugin *p = h->plugins[i];
        for (size_t j = 0; j < p->n_checks; j++) {
            agendad_check c = {.plugin = p, .diags = diags};
            p->checks[j].fn(&c, p->checks[j].data);
        }
    }
    h->checking = NULL;
    return ag_diags_count(diags) - before;
}

/* This file's entries of the host table. */
void ag_plugin_table_check(agendad_host *t)
{
    t->register_check = api_register_check;
    t->check_error = api_check_error;
}
