/* Tries route prefixes against the host's rules during init and reports the
 * answers at GET /plugins/rules; serves "/" and "/events" (whatever path
 * reaches it is echoed back); registers the renderer "rules" and answers
 * /plugins/rules/cached through respond_cached. */
#include <agendad/plugin.h>

#include <stdio.h>
#include <string.h>

static const agendad_host *host;
static agendad_plugin *me;
static char report[2048];

static void echo(agendad_request *req, void *data)
{
    char body[512];
    int len = snprintf(body, sizeof body, "%s %s", (const char *)data, host->request_path(req));
    host->respond(req, 200, "text/plain", body, (size_t)len, NULL);
}

static void rules(agendad_request *req, void *data)
{
    (void)data;
    if (strcmp(host->request_path(req), "/plugins/rules/cached") == 0) {
        static const char page[] = "<p>cached</p>";
        host->respond_cached(req, "text/html", page, sizeof page - 1, 1700000000, 60);
        return;
    }
    host->respond(req, 200, "text/plain", report, strlen(report), NULL);
}

static int render(const agendad_render_request *r, FILE *out, void *data)
{
    (void)data;
    if (strcmp(r->format, "txt") != 0)
        return AGENDAD_EINVAL;
    if (!r->key || !host->event_find(me, r->key))
        return AGENDAD_ENOENT;
    fprintf(out, "rendered %s in %s\n", r->key, r->lang ? r->lang : "default");
    return 0;
}

static int try_route(agendad_plugin *self, const char *prefix, agendad_route_fn fn, void *data)
{
    int rc = host->register_route(self, prefix, fn, data);
    size_t used = strlen(report);
    snprintf(report + used, sizeof report - used, "%s %s\n", prefix, host->strerror(rc));
    return rc;
}

static int rules_init(agendad_plugin *self, const agendad_host *h, void **state)
{
    (void)state;
    host = h;
    me = self;
    report[0] = '\0';
    static const char *const refused[] = {"/feeds", "/feeds/mine", "/healthz", "/healthz/x",
                                          "",       "plugins/x",   "/x/",      "/a//b",
                                          "/a/./b", "/a/../b",     "/.."};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        try_route(self, refused[i], echo, "refused");
    int rc = try_route(self, "/", echo, "front");
    if (rc == 0)
        rc = try_route(self, "/events", echo, "events");
    if (rc == 0)
        rc = try_route(self, "/feedsx", echo, "feedsx");
    if (rc == 0)
        rc = try_route(self, "/plugins/rules", rules, NULL);
    if (rc == 0)
        rc = h->register_renderer(self, "rules", render, NULL);
    if (rc == 0 && h->register_renderer(self, "rules", render, NULL) != AGENDAD_EEXIST)
        rc = AGENDAD_EPLUGIN;
    return rc;
}

AGENDAD_PLUGIN_DECLARE("route_rules", "1.0", rules_init, NULL);
