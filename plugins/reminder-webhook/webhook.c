/* reminder-webhook: the "webhook" channel. Each reminder is one HTTP POST of
 * the JSON body documented in doc/admin.md "Channels", signed with HMAC-SHA256
 * over the exact body bytes:
 *
 *   X-Agendad-Signature: sha256=<hex>
 *   X-Agendad-Delivery: <reminder id, the same on every retry>
 *
 * 2xx is delivered; 408, 429 and 5xx, timeouts and connection failures are
 * retried; any other status is a permanent failure.
 *
 * Config (agendad.yaml, plugins.load.reminder-webhook):
 *   url: https://hooks.example.org/agendad
 *   secret_file: /etc/agendad/webhook-secret   # or secret_credential: NAME
 *                                              #   ($CREDENTIALS_DIRECTORY/NAME)
 *   timeout: 10                                # seconds
 *   ca_file, tls_insecure                      # as for the email channel */
#include "reminder_json.h"
#include "plugin_opts.h"
#include "check.h"
#include "plugin_check.h"

#include <agendad/plugin.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    const char *url, *ca_file;
    char *secret;
    size_t secret_len;
    long timeout_ms;
    bool tls_insecure;
    struct pending *in_flight; /* cancelled at fini */
} webhook;

typedef struct pending {
    webhook *w;
    agendad_reminder *r;
    agendad_xfer *xfer;
    struct pending *prev, *next;
} pending;

static void unlink_pending(pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        p->w->in_flight = p->next;
    if (p->next)
        p->next->prev = p->prev;
}

static const char *opt(const webhook *w, const char *key)
{
    return po_opt(w->host, w->self, key);
}

static int load_secret(webhook *w)
{
    if (po_read_secret(w->host, w->self, "secret_file", "secret_credential", "webhook secret",
                       &w->secret) < 0)
        return -1;
    if (!w->secret || !w->secret[0]) {
        w->host->log(w->self, AGENDAD_LOG_ERR,
                     "secret_file (or secret_credential) is required and must not be empty: "
                     "receivers check the signature");
        free(w->secret);
        w->secret = NULL;
        return -1;
    }
    w->secret_len = strlen(w->secret);
    return 0;
}

/* "sha256=" and the lowercase hex HMAC of body. */
static void sign(const webhook *w, const char *body, char *out, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), w->secret, (int)w->secret_len, (const unsigned char *)body, strlen(body), md,
         &len);
    int off = snprintf(out, size, "sha256=");
    for (unsigned int i = 0; i < len && (size_t)off + 2 < size; i++)
        off += snprintf(out + off, size - (size_t)off, "%02x", md[i]);
}

static agendad_delivery outcome_of(const agendad_net_result *res)
{
    if (res->outcome != AGENDAD_NET_OK)
        return AGENDAD_FAILED_TEMPORARY;
    long s = res->status;
    if (s >= 200 && s < 300)
        return AGENDAD_DELIVERED;
    if (s == 408 || s == 429 || s >= 500)
        return AGENDAD_FAILED_TEMPORARY;
    return AGENDAD_FAILED_PERMANENT;
}

static void on_posted(const agendad_net_result *res, void *data)
{
    pending *p = data;
    unlink_pending(p);
    agendad_delivery d = outcome_of(res);
    char why[128];
    if (res->outcome == AGENDAD_NET_OK)
        snprintf(why, sizeof why, "HTTP %ld", res->status);
    p->r->done(p->r, d,
               d == AGENDAD_DELIVERED           ? NULL
               : res->outcome == AGENDAD_NET_OK ? why
                                                : res->error);
    free(p);
}

static int post(webhook *w, agendad_reminder *r, const char *body)
{
    char sig[128], delivery[96];
    sign(w, body, sig, sizeof sig);
    char sig_header[160];
    snprintf(sig_header, sizeof sig_header, "X-Agendad-Signature: %s", sig);
    snprintf(delivery, sizeof delivery, "X-Agendad-Delivery: %s", r->id ? r->id : "");
    const char *headers[] = {"Content-Type: application/json", sig_header, delivery, NULL};
    agendad_http_fetch req = {.size = sizeof req,
                              .url = w->url,
                              .method = "POST",
                              .headers = headers,
                              .body = body,
                              .body_len = strlen(body),
                              .connect_timeout_ms = w->timeout_ms,
                              .total_timeout_ms = w->timeout_ms,
                              .max_body_bytes = 65536,
                              .max_redirects = -1,
                              .tls_insecure = w->tls_insecure,
                              .ca_file = w->ca_file};
    pending *p = calloc(1, sizeof *p);
    if (!p)
        return AGENDAD_ENOMEM;
    *p = (pending){.w = w, .r = r};
    int rc = w->host->http_fetch(w->self, &req, on_posted, p, &p->xfer);
    if (rc != 0) {
        free(p);
        return rc;
    }
    p->next = w->in_flight;
    if (p->next)
        p->next->prev = p;
    w->in_flight = p;
    return 0;
}

static void send_reminder(agendad_reminder *r, void *data)
{
    webhook *w = data;
    rem_text t;
    if (rem_text_load(w->host, w->self, r, &t) != 0) {
        r->done(r, AGENDAD_FAILED_PERMANENT, "the event is gone");
        return;
    }
    char *body = rem_json(&t, r->language, AGENDAD_REMINDER_HAS(r, id) && r->both_languages);
    rem_text_free(&t);
    int rc = body ? post(w, r, body) : AGENDAD_ENOMEM;
    free(body);
    if (rc != 0)
        r->done(r, AGENDAD_FAILED_TEMPORARY, w->host->strerror(rc));
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* check.c's check (ABI 1.8), for `agendad check`. */
static void check_settings(agendad_check *c, void *data)
{
    webhook *w = data;
    webhook_check(c, w->host, w->self);
}
#endif

static int webhook_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    if (!AGENDAD_HOST_HAS(host, mem_free)) {
        host->log(self, AGENDAD_LOG_ERR, "needs agendad plugin ABI 1.2");
        return AGENDAD_EPLUGIN;
    }
    webhook *w = calloc(1, sizeof *w);
    if (!w)
        return AGENDAD_ENOMEM;
    *w = (webhook){.host = host, .self = self};
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (po_command_line(host, self)) {
        /* The command line: the check tells what is refused below. */
        if (po_register_check(host, self, check_settings, w) != 0) {
            free(w);
            return AGENDAD_EPLUGIN;
        }
        *state = w;
        return 0;
    }
#endif
    w->url = opt(w, "url");
    w->ca_file = opt(w, "ca_file");
    const char *t = opt(w, "timeout"), *insecure = opt(w, "tls_insecure");
    w->timeout_ms = t ? atol(t) * 1000 : 10000;
    w->tls_insecure = insecure && strcmp(insecure, "true") == 0;
    if (!w->url)
        host->log(self, AGENDAD_LOG_ERR, "url is required");
    if (!w->url || load_secret(w) < 0 ||
        host->register_channel(self, "webhook", send_reminder, w) != 0) {
        free(w->secret);
        free(w);
        return AGENDAD_EPLUGIN;
    }
    *state = w;
    return 0;
}

/* Only what outlived the daemon's stop deadline is still here: the host
 * drops transfer callbacks after fini, so the reminder is answered now (its
 * row stays pending: sent again at the next start). */
static void webhook_fini(agendad_plugin *self, void *state)
{
    (void)self;
    webhook *w = state;
    while (w->in_flight) {
        pending *p = w->in_flight;
        unlink_pending(p);
        w->host->xfer_cancel(p->xfer);
        p->r->done(p->r, AGENDAD_FAILED_TEMPORARY, "the daemon is stopping");
        free(p);
    }
    free(w->secret);
    free(w);
}

AGENDAD_PLUGIN_DECLARE("reminder-webhook", "1.0", webhook_init, webhook_fini);
