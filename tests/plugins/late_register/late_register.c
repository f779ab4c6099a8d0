/* Tries every registration after init — from a loop timer and from a change
 * listener — and reports what the host answered on /plugins/late/status.
 * Submitting to a source registered during init is allowed at any time, so
 * the listener also submits one batch. */
#include <agendad/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    uv_timer_t timer;
    agendad_source *source;
    char report[256];
} late;

static void status(agendad_request *req, void *data)
{
    late *l = data;
    l->host->respond(req, 200, "text/plain", l->report, strlen(l->report), NULL);
}

static void noop_route(agendad_request *req, void *data)
{
    late *l = data;
    l->host->respond_error(req, 500, "late route must not exist");
}

static void noop_channel(agendad_reminder *r, void *data)
{
    (void)data;
    r->done(r, AGENDAD_FAILED_PERMANENT, "late channel must not exist");
}

static void noop_listener(const agendad_changes *c, void *data)
{
    (void)c;
    (void)data;
}

static void try_all(late *l, const char *from)
{
    const agendad_host *h = l->host;
    agendad_source *src = NULL;
    int route = h->register_route(l->self, "/plugins/late/after", noop_route, l);
    int channel = h->register_channel(l->self, "late", noop_channel, l);
    int source = h->register_source(l->self, "late-after", &src);
    int listener = h->register_listener(l->self, noop_listener, l);
    size_t used = strlen(l->report);
    snprintf(l->report + used, sizeof l->report - used, "%s: %d %d %d %d\n", from, route, channel,
             source, listener);
    h->log(l->self, AGENDAD_LOG_INFO, "late registration from %s: %s", from, h->strerror(route));
}

static void on_timer(uv_timer_t *t)
{
    try_all(t->data, "timer");
}

static void on_changes(const agendad_changes *c, void *data)
{
    late *l = data;
    (void)c;
    try_all(l, "listener");
    agendad_source_event ev = {.size = sizeof ev,
                               .uid = "late-1@example.org",
                               .title_fr = "Réunion importée",
                               .start = 1900000000,
                               .end = 1900003600,
                               .member = "fes"};
    int rc = l->host->source_submit(l->source, &ev, 1);
    if (rc != 0)
        l->host->log(l->self, AGENDAD_LOG_ERR, "submit: %s", l->host->strerror(rc));
}

static int late_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    late *l = calloc(1, sizeof *l);
    if (!l)
        return AGENDAD_ENOMEM;
    l->host = host;
    l->self = self;
    int rc = host->register_route(self, "/plugins/late/status", status, l);
    if (rc == 0)
        rc = host->register_listener(self, on_changes, l);
    if (rc == 0)
        rc = host->register_source(self, "late", &l->source);
    if (rc == 0)
        rc = uv_timer_init(host->loop, &l->timer);
    if (rc != 0) {
        free(l);
        return rc;
    }
    l->timer.data = l;
    uv_timer_start(&l->timer, on_timer, 0, 0);
    *state = l;
    return 0;
}

/* The handle's memory is freed by its close callback, which the host lets
 * the loop run before it unmaps this plugin. */
static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void late_fini(agendad_plugin *self, void *state)
{
    (void)self;
    late *l = state;
    uv_close((uv_handle_t *)&l->timer, on_closed);
}

AGENDAD_PLUGIN_DECLARE("late_register", "0", late_init, late_fini);
