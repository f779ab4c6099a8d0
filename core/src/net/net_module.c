/* The entry point of agendad-net.so (see net_module.h). net.c logs through
 * ag_log(), which here forwards to the daemon's sink: the module carries no
 * copy of the daemon's logging state. */
#include "net_module.h"

#include <stdarg.h>

static ag_net_logv_fn sink;

static void set_log(ag_net_logv_fn logv)
{
    sink = logv;
}

void ag_log(ag_log_level level, const char *fmt, ...)
{
    if (!sink)
        return;
    va_list ap;
    va_start(ap, fmt);
    sink(level, fmt, ap);
    va_end(ap);
}

__attribute__((visibility("default"))) const ag_net_module agendad_net_module = {
    .version = AG_NET_MODULE_VERSION,
    .size = sizeof(ag_net_module),
    .set_log = set_log,
    .create = ag_net_new,
    .destroy = ag_net_free,
    .http = ag_net_http,
    .smtp = ag_net_smtp,
    .cancel = ag_net_cancel,
};
