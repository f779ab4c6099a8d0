/* Test plugin: GET /plugins/net_probe?url=U fetches U through the host's
 * asynchronous network client and answers "STATUS ETAG\nBODY"; with
 * &cancel=1 it cancels at once and answers with the outcome it got. It
 * proves the ABI 1.1 entries work from a real plugin in the real daemon. */
#include <agendad/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const agendad_host *host;
static agendad_plugin *me;

static void fetched(const agendad_net_result *r, void *data)
{
    agendad_request *req = data;
    static const char *const outcomes[] = {"ok", "failed", "cancelled"};
    size_t cap = r->body_len + 256;
    char *out = malloc(cap);
    if (!out) {
        host->respond_error(req, 500, "out of memory");
        return;
    }
    int n =
        snprintf(out, cap, "%s %ld %s\n", outcomes[r->outcome], r->status, r->etag ? r->etag : "-");
    memcpy(out + n, r->body, r->body_len);
    host->respond(req, 200, "text/plain", out, (size_t)n + r->body_len, NULL);
    free(out);
}

static void probe(agendad_request *req, void *data)
{
    (void)data;
    const char *url = host->request_query(req, "url");
    if (!url || !AGENDAD_HOST_HAS(host, http_fetch)) {
        host->respond_error(req, 400, "url= is required");
        return;
    }
    agendad_http_fetch f = {.size = sizeof f, .url = url};
    agendad_xfer *x = NULL;
    int rc = host->http_fetch(me, &f, fetched, req, &x);
    if (rc < 0) {
        host->respond_error(req, 502, host->strerror(rc));
        return;
    }
    if (host->request_query(req, "cancel"))
        host->xfer_cancel(x);
}

static int probe_init(agendad_plugin *self, const agendad_host *h, void **state)
{
    (void)state;
    host = h;
    me = self;
    return h->register_route(self, "/plugins/net_probe", probe, NULL);
}

AGENDAD_PLUGIN_DECLARE("net_probe", "1.0", probe_init, NULL);
