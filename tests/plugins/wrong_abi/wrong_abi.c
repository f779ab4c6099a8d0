/* A descriptor from a future, incompatible ABI. Written out by hand because
 * AGENDAD_PLUGIN_DECLARE always stamps the current version. */
#include <agendad/plugin.h>

#include <stdlib.h>

/* The host must refuse this plugin from its descriptor alone; running any of
 * its code would be the bug under test, so that code aborts. */
static int wrong_abi_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    (void)self;
    (void)host;
    (void)state;
    abort();
}

AGENDAD_PLUGIN_EXPORT const agendad_plugin_descriptor agendad_plugin_info = {
    AGENDAD_PLUGIN_ABI_MAJOR + 1,
    0,
    sizeof(agendad_plugin_descriptor),
    "wrong_abi",
    "0",
    wrong_abi_init,
    NULL};
