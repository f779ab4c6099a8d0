/* Registers the command "probe" (ABI 1.8), which reports what the command
 * line handed it, and checks that a second command by the same name is
 * refused; and a check of the settings (ABI 1.8). */
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

/* A check (ABI 1.8) that reports where the admin wrote things: at its
 * "hello" setting, at its own entry, at each member's id; and what it sees
 * while it runs (no events, no late registration). */
static int member_seen(const agendad_member *m, void *data)
{
    agendad_check *c = data;
    const agendad_config_node *entry = host->member_config(me, m);
    if (entry)
        host->check_error(c, host->config_get(entry, "id"), "member %s seen",
                          host->member_id(me, m));
    return 0;
}

static void probe_check(agendad_check *c, void *data)
{
    (void)data;
    const agendad_config_node *hello = host->config_get(host->config(me), "hello");
    host->check_error(c, hello, "hello says %s", hello ? host->config_scalar(hello) : "-");
    host->check_error(c, NULL, "%zu events, late registration %d", host->event_count(me),
                      host->register_check(me, probe_check, NULL));
    host->member_foreach(me, member_seen, c);
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
    if (rc == 0)
        rc = h->register_check(self, probe_check, NULL);
    return rc;
}

AGENDAD_PLUGIN_DECLARE("commands", "1.0", commands_init, NULL);
