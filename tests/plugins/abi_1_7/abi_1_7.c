/* A plugin built for ABI 1.7, the minor before commands: its descriptor says
 * so (written out by hand, since AGENDAD_PLUGIN_DECLARE stamps the current
 * minor), and it uses only 1.7 entries. A newer host must load it. */
#include <agendad/plugin.h>

#include <stdio.h>

static const agendad_host *host;

static int render(const agendad_render_request *r, FILE *out, void *data)
{
    (void)data;
    fprintf(out, "1.7 plugin on host %u.%u: %s\n", host->abi_major, host->abi_minor,
            r->key ? r->key : "");
    return 0;
}

static int abi17_init(agendad_plugin *self, const agendad_host *h, void **state)
{
    (void)state;
    host = h;
    if (!AGENDAD_HOST_HAS(h, state_set_many))
        return AGENDAD_EPLUGIN;
    return h->register_renderer(self, "abi17", render, NULL);
}

AGENDAD_PLUGIN_EXPORT const agendad_plugin_descriptor agendad_plugin_info = {
    AGENDAD_PLUGIN_ABI_MAJOR,
    7,
    sizeof(agendad_plugin_descriptor),
    "abi_1_7",
    "1.0",
    abi17_init,
    NULL};
