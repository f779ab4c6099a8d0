/* Registers a route and a channel, then fails: none of it may survive. */
#include <agendad/plugin.h>

static void never_route(agendad_request *req, void *data)
{
    (void)data;
    (void)req;
}

static void never_channel(agendad_reminder *r, void *data)
{
    (void)data;
    r->done(r, AGENDAD_FAILED_PERMANENT, "failing_init must not be reachable");
}

static int failing_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    (void)state;
    if (host->register_route(self, "/plugins/failing", never_route, NULL) != 0 ||
        host->register_channel(self, "failing", never_channel, NULL) != 0)
        return AGENDAD_EINVAL; /* would hide the failure the test wants to see */
    host->log(self, AGENDAD_LOG_ERR, "cannot start: missing setting \"token\"");
    return AGENDAD_EPLUGIN;
}

AGENDAD_PLUGIN_DECLARE("failing_init", "0", failing_init, NULL);
