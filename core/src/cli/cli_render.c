#include "cli_render.h"

#include "cli_error.h"
#include "i18n.h"

#include "log.h"
#include "daemon_plugins.h"
#include "plugin_host.h"
#include "tz.h"

#include "feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const ag_stored_event *cli_events(void *data, size_t *n)
{
    ag_service *svc = data;
    *n = svc->n_evs;
    return svc->evs;
}

static const ag_config *cli_config(void *data)
{
    return ((ag_service *)data)->cfg;
}

static int64_t cli_generation(void *data)
{
    return ((ag_service *)data)->generation;
}

/* The event as the daemon gives it to plugins (a renderer may walk a
 * series' dates from it), so that a rendering matches the page. */
static int cli_event_ical(void *data, const char *uid, const char *lang, char **out, size_t *len)
{
    return ag_daemon_event_ical(data, uid, lang, out, len);
}

static int open_service(ag_service *svc, const char *config_dir, const ag_overrides *ov)
{
    ag_diags diags = {0};
    char *err = NULL;
    int rc = ag_service_open(svc, config_dir, ov, &diags, &err);
    if (rc < 0) {
        ag_diags_print(&diags, stderr);
        if (err)
            ag_cli_error(stderr, NULL, "%s\n", err);
    }
    ag_diags_free(&diags);
    free(err);
    return rc;
}

/* The rendering goes to a memory stream first: a renderer that fails half
 * way must not leave half a document on stdout. */
static int run_renderer(ag_plugin_host *plugins, const ag_render_args *a, FILE *out)
{
    agendad_render_request r = {
        .size = sizeof r, .key = a->key, .format = a->format ? a->format : "txt", .lang = a->lang};
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return 1;
    bool found;
    int rc = ag_plugins_render(plugins, a->name, &r, mem, &found);
    fclose(mem);
    if (rc == 0)
        fwrite(buf, 1, len, out);
    free(buf);
    if (!found) {
        ag_cli_error(stderr, NULL, _("unknown command \"%s\" (and no loaded plugin provides it)\n"),
                     a->name);
        return 2;
    }
    if (rc == AGENDAD_ENOENT)
        ag_cli_error(stderr, a->name, _("nothing called \"%s\"\n"), a->key ? a->key : "");
    else if (rc == AGENDAD_EINVAL)
        ag_cli_error(stderr, a->name, _("cannot render \"%s\" as %s\n"), a->key ? a->key : "",
                     r.format);
    return rc == 0 ? 0 : rc == AGENDAD_EINVAL ? 2 : 1;
}

int ag_cli_render(const char *config_dir, const ag_overrides *ov, const ag_render_args *a,
                  FILE *out)
{
    ag_tz_init();
    ag_service svc;
    uv_loop_t loop;
    int rc = 1;
    /* A rendering needs the config's events, not the daemon's memory: an
     * in-memory store leaves the state file alone (and works where it is
     * not writable), unless --state names one. */
    ag_overrides mine = *ov;
    if (!mine.state_path)
        mine.state_path = ":memory:";
    if (open_service(&svc, config_dir, &mine) < 0 || uv_loop_init(&loop) != 0) {
        ag_service_close(&svc);
        ag_tz_shutdown();
        return 1;
    }
    const ag_settings *s = ag_service_settings(&svc);
    ag_plugin_services ps = {0};
    ag_daemon_plugin_services(&ps);
    ps.events = cli_events;
    ps.config = cli_config;
    ps.generation = cli_generation;
    ps.event_ical = cli_event_ical;
    ps.data = &svc;
    ag_plugin_host *plugins = NULL;
    if (ag_plugins_load(&loop, s->plugin_dir, s->plugins, s->n_plugins, &ps, &plugins) == 0)
        rc = run_renderer(plugins, a, out);
    ag_plugins_fini(plugins);
    uv_run(&loop, UV_RUN_DEFAULT); /* plugins' close callbacks */
    ag_plugins_free(plugins);
    uv_loop_close(&loop);
    ag_service_close(&svc);
    ag_tz_shutdown();
    return rc;
}
