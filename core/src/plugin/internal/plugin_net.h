/* The network-client entries of the plugin host table: they
 * translate agendad_http_fetch / agendad_smtp_message into net.h requests,
 * and drop a plugin's callbacks once plugins were finalized. Internal to the
 * plugin host. */
#ifndef AGENDAD_PLUGIN_NET_H
#define AGENDAD_PLUGIN_NET_H

#include "agendad/plugin.h"
#include "net_lazy.h"
#include "plugin_internal.h"

/* The host table entries. */
int ag_plugin_api_http_fetch(agendad_plugin *self, const agendad_http_fetch *req,
                             agendad_net_done_fn done, void *data, agendad_xfer **out);
int ag_plugin_api_smtp_send(agendad_plugin *self, const agendad_smtp_message *msg,
                            agendad_net_done_fn done, void *data, agendad_xfer **out);
void ag_plugin_api_xfer_cancel(agendad_xfer *x);

#endif
