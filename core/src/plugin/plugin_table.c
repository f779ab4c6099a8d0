/* The host table a plugin's init receives: the entries every plugin needs
 * (errors, logging), then each concern's, set by the file that implements
 * them, in the order of plugin.h's sections. */
#include "plugin_host.h"

#include "config_network.h"
#include "error.h"
#include "plugin_internal.h"
#include "plugin_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ag_plugin_strerror(int err)
{
    /* The ABI's codes name the same errors as core's: one table. */
    return ag_strerror(ag_err_from_abi(err));
}

AGENDAD_PRINTF(3, 4) static void api_log(agendad_plugin *self, int level, const char *fmt, ...)
{
    if (!self || !fmt)
        return;
    if (level < AGENDAD_LOG_ERR)
        level = AGENDAD_LOG_ERR;
    if (level > AGENDAD_LOG_DEBUG)
        level = AGENDAD_LOG_DEBUG;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (self->in_init && level == AGENDAD_LOG_ERR) {
        /* Why init fails, should it: `agendad check` says it. */
        free(self->init_error);
        self->init_error = ag_plugin_strdup(msg);
    }
    ag_plugin_log(self->host, (ag_log_level)level, "plugin %s: %s", self->name, msg);
}

void ag_plugin_table_fill(agendad_host *t)
{
    memset(t, 0, sizeof *t);
    t->size = sizeof(agendad_host);
    t->abi_major = AGENDAD_PLUGIN_ABI_MAJOR;
    t->abi_minor = AGENDAD_PLUGIN_ABI_MINOR;
    /* errors, memory, logging */
    t->strerror = ag_plugin_strerror;
    t->mem_free = free;
    t->log = api_log;
    ag_plugin_table_config(t);
    ag_plugin_table_store(t);
    ag_plugin_table_http(t);
    ag_plugin_table_register(t); /* routes, channels, sources, listeners,
                                    renderers, commands */
    /* reminder channels' queries */
    t->reminder_event = ag_plugin_api_reminder_event;
    t->reminder_ics = ag_plugin_api_reminder_ics;
    ag_plugin_table_sources(t);
    ag_plugin_table_state(t);
    /* the network client */
    t->http_fetch = ag_plugin_api_http_fetch;
    t->smtp_send = ag_plugin_api_smtp_send;
    t->xfer_cancel = ag_plugin_api_xfer_cancel;
    /* checks of the settings */
    ag_plugin_table_check(t);
    /* metrics */
    t->metric_register = ag_plugin_api_metric_register;
    t->metric_add = ag_plugin_api_metric_add;
    t->metric_set = ag_plugin_api_metric_set;
}
