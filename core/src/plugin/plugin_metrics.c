/* Host-table entries for plugins' metrics: a thin layer over the
 * daemon's registry that prefixes names with the plugin's, so that two
 * plugins cannot clash with each other or with the core's families. */
#include "plugin_internal.h"

#include "metrics.h"

#include <stdio.h>
#include <string.h>

static bool valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

/* Plugin names may hold '-': metric names may not. */
static void family_name(const char *plugin, const char *name, char *out, size_t size)
{
    snprintf(out, size, "agendad_plugin_%s_%s", plugin, name);
    for (char *c = out; *c; c++)
        if (*c == '-')
            *c = '_';
}

agendad_metric *ag_plugin_api_metric_register(agendad_plugin *self, agendad_metric_kind kind,
                                              const char *name, const char *help,
                                              const char *const *labels)
{
    ag_metrics *m = ag_plugin_metrics(self);
    if (!m || !ag_plugin_in_init(self) || !valid_name(name))
        return NULL;
    char full[256];
    family_name(ag_plugin_name(self), name, full, sizeof full);
    ag_metric *f = kind == AGENDAD_METRIC_COUNTER ? ag_metrics_counter(m, full, help, labels)
                                                  : ag_metrics_gauge(m, full, help, labels);
    return (agendad_metric *)f;
}

void ag_plugin_api_metric_add(agendad_metric *m, const char *const *values, double v)
{
    ag_metric_add((ag_metric *)m, values, v);
}

void ag_plugin_api_metric_set(agendad_metric *m, const char *const *values, double v)
{
    ag_metric_set((ag_metric *)m, values, v);
}
