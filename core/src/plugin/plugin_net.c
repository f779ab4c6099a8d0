#include "plugin_net.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One per accepted transfer: who to call back, and through which host. */
typedef struct {
    ag_plugin_host *host;
    agendad_net_done_fn done;
    void *data;
} pending;

/* A field the plugin's (possibly older, smaller) struct does not have reads
 * as zero, which is every field's default. */
#define HAS(s, field) ((s)->size >= offsetof(__typeof__(*(s)), field) + sizeof((s)->field))
#define FIELD(s, field) (HAS(s, field) ? (s)->field : 0)

static void on_done(const ag_net_result *r, void *data)
{
    pending *p = data;
    /* After fini the plugin's state is gone: the host drops the callback. */
    if (!ag_plugin_host_finished(p->host)) {
        agendad_net_result out = {
            .size = sizeof out,
            .outcome = (agendad_net_outcome)r->outcome,
            .status = r->status,
            .error = r->error,
            .body = r->body,
            .body_len = r->body_len,
            .etag = r->etag,
            .last_modified = r->last_modified,
            .content_type = r->content_type,
            .elapsed_ms = r->elapsed_ms,
        };
        p->done(&out, p->data);
    }
    free(p);
}

static pending *new_pending(agendad_plugin *self, agendad_net_done_fn done, void *data)
{
    ag_plugin_host *h = ag_plugin_owner(self);
    if (!h || !ag_plugin_host_net(h) || ag_plugin_host_finished(h))
        return NULL;
    pending *p = malloc(sizeof *p);
    if (p)
        *p = (pending){h, done, data};
    return p;
}

static int submit_result(int rc, pending *p)
{
    if (rc == 0)
        return 0;
    free(p);
    return rc == -ENOMEM ? AGENDAD_ENOMEM : rc == -EINVAL ? AGENDAD_EINVAL : AGENDAD_ESTATE;
}

int ag_plugin_api_http_fetch(agendad_plugin *self, const agendad_http_fetch *req,
                             agendad_net_done_fn done, void *data, agendad_xfer **out)
{
    if (!req || !done || req->size < offsetof(agendad_http_fetch, body))
        return AGENDAD_EINVAL;
    pending *p = new_pending(self, done, data);
    if (!p)
        return AGENDAD_ESTATE;
    ag_net_http_req r = {
        .url = req->url,
        .method = req->method,
        .headers = req->headers,
        .body = FIELD(req, body),
        .body_len = FIELD(req, body_len),
        .connect_timeout_ms = FIELD(req, connect_timeout_ms),
        .total_timeout_ms = FIELD(req, total_timeout_ms),
        .max_body_bytes = FIELD(req, max_body_bytes),
        .max_redirects = FIELD(req, max_redirects),
        .username = FIELD(req, username),
        .password = FIELD(req, password),
        .tls_insecure = FIELD(req, tls_insecure),
        .ca_file = FIELD(req, ca_file),
    };
    int rc = ag_net_lazy_http(ag_plugin_host_net(p->host), &r, on_done, p, (ag_net_xfer **)out);
    return submit_result(rc, p);
}

int ag_plugin_api_smtp_send(agendad_plugin *self, const agendad_smtp_message *msg,
                            agendad_net_done_fn done, void *data, agendad_xfer **out)
{
    if (!msg || !done || msg->size < offsetof(agendad_smtp_message, message_len))
        return AGENDAD_EINVAL;
    pending *p = new_pending(self, done, data);
    if (!p)
        return AGENDAD_ESTATE;
    ag_net_smtp_req r = {
        .url = msg->url,
        .starttls = msg->starttls,
        .username = msg->username,
        .password = msg->password,
        .from = msg->from,
        .rcpt = msg->rcpt,
        .message = msg->message,
        .message_len = FIELD(msg, message_len),
        .connect_timeout_ms = FIELD(msg, connect_timeout_ms),
        .timeout_ms = FIELD(msg, timeout_ms),
        .tls_insecure = FIELD(msg, tls_insecure),
        .ca_file = FIELD(msg, ca_file),
    };
    int rc = ag_net_lazy_smtp(ag_plugin_host_net(p->host), &r, on_done, p, (ag_net_xfer **)out);
    return submit_result(rc, p);
}

void ag_plugin_api_xfer_cancel(agendad_xfer *x)
{
    if (x)
        ag_net_lazy_cancel((ag_net_xfer *)x);
}
