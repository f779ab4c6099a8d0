/* The network-client entries of the plugin host table (ABI 1.1): they
 * translate agendad_http_fetch / agendad_smtp_message into net.h requests,
 * and drop a plugin's callbacks once plugins were finalized. Internal to the
 * plugin host. */
#ifndef AGENDAD_PLUGIN_NET_H
#define AGENDAD_PLUGIN_NET_H

#include "agendad/plugin.h"
#include "net.h"
#include "plugin_host.h"

#include <stdbool.h>

typedef struct ag_plugin_host ag_plugin_host;

/* Provided by plugin_host.c. */
ag_plugin_host *ag_plugin_owner(agendad_plugin *p);
ag_net *ag_plugin_host_net(const ag_plugin_host *h);
bool ag_plugin_host_finished(const ag_plugin_host *h);
const ag_plugin_services *ag_plugin_host_services(const ag_plugin_host *h);

/* ABI 1.2 reminder entries (plugin_reminder.c). */
const agendad_event *ag_plugin_api_reminder_event(agendad_plugin *self, const agendad_reminder *r);
int ag_plugin_api_reminder_ics(agendad_plugin *self, const agendad_reminder *r, char **out,
                               size_t *len);

/* The host table entries. */
int ag_plugin_api_http_fetch(agendad_plugin *self, const agendad_http_fetch *req,
                             agendad_net_done_fn done, void *data, agendad_xfer **out);
int ag_plugin_api_smtp_send(agendad_plugin *self, const agendad_smtp_message *msg,
                            agendad_net_done_fn done, void *data, agendad_xfer **out);
void ag_plugin_api_xfer_cancel(agendad_xfer *x);

#endif
