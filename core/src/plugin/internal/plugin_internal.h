/* What the plugin host's parts (plugin_host.c, plugin_net.c,
 * plugin_metrics.c) tell each other about a loaded plugin. Internal to the
 * plugin host. */
#ifndef AGENDAD_PLUGIN_INTERNAL_H
#define AGENDAD_PLUGIN_INTERNAL_H

#include "agendad/plugin.h"
#include "plugin_host.h"

#include <stdbool.h>

typedef struct ag_plugin_host ag_plugin_host;
struct ag_net_lazy;
struct ag_metrics;

/* Provided by plugin_host.c. */
ag_plugin_host *ag_plugin_owner(agendad_plugin *p);
const char *ag_plugin_name(const agendad_plugin *p);
bool ag_plugin_in_init(const agendad_plugin *p);
struct ag_net_lazy *ag_plugin_host_net(const ag_plugin_host *h);
struct ag_metrics *ag_plugin_metrics(const agendad_plugin *p);
bool ag_plugin_host_finished(const ag_plugin_host *h);
const ag_plugin_services *ag_plugin_host_services(const ag_plugin_host *h);

/* plugin_reminder.c: the ABI 1.4 reminder entries. */
const agendad_event *ag_plugin_api_reminder_event(agendad_plugin *self, const agendad_reminder *r);
int ag_plugin_api_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                               size_t *len);

/* plugin_metrics.c: the ABI 1.5 entries. */
agendad_metric *ag_plugin_api_metric_register(agendad_plugin *self, agendad_metric_kind kind,
                                              const char *name, const char *help,
                                              const char *const *labels);
void ag_plugin_api_metric_add(agendad_metric *m, const char *const *values, double v);
void ag_plugin_api_metric_set(agendad_metric *m, const char *const *values, double v);

#endif
