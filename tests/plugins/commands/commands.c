/* Registers the command "probe" (ABI 1.8), which reports what the command
 * line handed it, and checks that a second command by the same name is
 * refused. */
#include <agendad/plugin.h>

#include <stdio.h>
#include <string.h>

static const agendad_host *host;
static agendad_plugin *me;

static int probe(const agendad_command_request *r, void *data)
{
    if (r->argc < 1) {
        fprintf(r->err, "probe: say what\n");
        return 2;
    }
    const agendad_config_node *hello = host->config_get(host->config(me), "hello");
    const char *greeting = hello ? host->config_scalar(hello) : NULL;
    const char *v = host->state_get(me, "k");
    fprintf(r->out, "%s %s arg=%s format=%s lang=%s command_line=%d k=%s state_error=%s\n",
            (const char *)data, greeting ? greeting : "-", r->argv[0], r->format ? r->format : "-",
            r->lang ? r->lang : "-", host->command_line(me), v ? v : "-",
            r->state_error ? r->state_error : "-");
    return host->state_set(me, "k", "written") == AGENDAD_ESTATE ? 0 : 1;
}

static int commands_init(agendad_plugin *self, const agendad_host *h, void **state)
{
    (void)state;
    host = h;
    me = self;
    if (!AGENDAD_HOST_HAS(h, register_command))
        return AGENDAD_EPLUGIN;
    int rc = h->register_command(self, "probe", probe, "probed");
    if (rc == 0 && h->register_command(self, "probe", probe, NULL) != AGENDAD_EEXIST)
        rc = AGENDAD_EPLUGIN;
    if (rc == 0 && h->register_command(self, "", probe, NULL) != AGENDAD_EINVAL)
        rc = AGENDAD_EPLUGIN;
    return rc;
}

AGENDAD_PLUGIN_DECLARE("commands", "1.0", commands_init, NULL);
