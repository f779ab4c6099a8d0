/* reminder-email: the "email" channel. One message per recipient address,
 * sent through the host's SMTP client on the loop.
 *
 * Config (agendad.yaml, plugins.load.reminder-email):
 *   url: smtp://mail.example.org:587    # smtps:// for implicit TLS
 *   starttls: true                      # require STARTTLS on smtp:// (default true)
 *   from: "RMCTO <agenda@example.org>"
 *   username: agenda                    # optional AUTH
 *   password_file: /etc/agendad/smtp-password
 *   password_credential: smtp-password  # or: $CREDENTIALS_DIRECTORY/NAME (systemd)
 *   timeout: 60                         # seconds for the whole exchange
 *   ca_file: /path/ca.pem               # optional
 *   tls_insecure: false                 # lab setups only */
#include "ics.h"
#include "mail.h"
#include "reminder_text.h"
#include "plugin_opts.h"
#include "check.h"
#include "plugin_check.h"

#include <agendad/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    const char *url, *from, *username, *ca_file;
    char *password;
    bool starttls, tls_insecure;
    long timeout_ms;
    struct pending *in_flight; /* cancelled at fini */
} email;

typedef struct pending {
    email *em;
    agendad_reminder *r;
    char *message;
    agendad_xfer *xfer;
    struct pending *prev, *next;
} pending;

static void unlink_pending(pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        p->em->in_flight = p->next;
    if (p->next)
        p->next->prev = p->prev;
}

static const char *opt(const email *em, const char *key)
{
    return po_opt(em->host, em->self, key);
}

static bool opt_bool(const email *em, const char *key, bool def)
{
    return po_opt_bool(em->host, em->self, key, def);
}

/* A file, or a systemd credential by name, so that no secret sits in the
 * config. */
static int load_password(email *em)
{
    return po_read_secret(em->host, em->self, "password_file", "password_credential",
                          "SMTP password", &em->password);
}

static agendad_delivery outcome_of(const agendad_net_result *res)
{
    if (res->outcome == AGENDAD_NET_OK)
        return AGENDAD_DELIVERED;
    /* 5xx: the server refused for good (unknown mailbox...); anything else
     * (4xx, no answer, cancelled at shutdown) may work later. */
    return res->status >= 500 && res->status < 600 ? AGENDAD_FAILED_PERMANENT
                                                   : AGENDAD_FAILED_TEMPORARY;
}

static void on_sent(const agendad_net_result *res, void *data)
{
    pending *p = data;
    unlink_pending(p);
    agendad_delivery d = outcome_of(res);
    p->r->done(p->r, d, d == AGENDAD_DELIVERED ? NULL : res->error);
    free(p->message);
    free(p);
}

/* The event's .ics for r from the host, its SUMMARY in t's first language;
 * in a mail written in both, the other language's title and description at
 * the top of its DESCRIPTION (as it is when that fails: the mail itself
 * says it all). malloc'd, *len bytes; NULL: the mail goes without. */
static char *attachment(email *em, const agendad_reminder *r, const rem_text *t, size_t *len)
{
    char *host_ics = NULL;
    size_t host_len = 0;
    if (!AGENDAD_HOST_HAS(em->host, reminder_ics) ||
        em->host->reminder_ics(em->self, r, &host_ics, &host_len) != 0 || !host_ics)
        return NULL;
    char *out = NULL;
    if (t->n_langs == 2)
        out = rem_ics_both_languages(host_ics, &t->langs[0], &t->langs[1], len);
    if (!out && (out = malloc(host_len + 1))) {
        memcpy(out, host_ics, host_len + 1);
        *len = host_len;
    }
    em->host->mem_free(host_ics);
    return out;
}

static bool is_invitation(const rem_text *t)
{
    return strcmp(t->kind, "invite") == 0 || strcmp(t->kind, "invite-cancel") == 0;
}

/* An invitation comes from the network's mailbox (invitations.organizer),
 * named as the network in the mail's first language, and is answered to
 * its tagged address (r->organizer); the plugin's own from stays the
 * envelope sender. NULL reply_to: not an invitation, or a host without. */
static void invitation_headers(email *em, const agendad_reminder *r, const rem_text *t, rem_mail *m)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 9
    if (!is_invitation(t) || !AGENDAD_REMINDER_HAS(r, rsvp_decline_url) || !r->organizer)
        return;
    const char *mailbox = em->host->setting(em->self, "invitations.organizer");
    m->invitation = true;
    m->reply_to = r->organizer;
    if (mailbox) {
        m->from = mailbox;
        m->from_name = em->host->network_text(em->self, "name", t->langs[0].lang);
    }
#else
    (void)em, (void)r, (void)t, (void)m;
#endif
}

static char *build(email *em, const agendad_reminder *r, const rem_text *t, size_t *len)
{
    size_t ics_len = 0;
    char *ics = attachment(em, r, t, &ics_len);
    if (!ics && is_invitation(t))
        return NULL; /* an invitation is its calendar */
    char *subject = rem_subject(t), *text = rem_body_text(t), *html = rem_body_html(t);
    char mid[256];
    const char *at = strchr(em->from, '@');
    snprintf(mid, sizeof mid, "reminder-%s-%s-%d@%.*s", t->id ? t->id : "0", t->kind, t->sequence,
             at ? (int)strcspn(at + 1, ">") : 7, at ? at + 1 : "agendad");
    rem_mail m = {.from = em->from,
                  .to = r->address,
                  .subject = subject,
                  .message_id = mid,
                  .date = (int64_t)time(NULL),
                  .text = text,
                  .html = html,
                  .ics = ics,
                  .ics_len = ics_len,
                  .cancel =
                      strcmp(t->kind, "cancel") == 0 || strcmp(t->kind, "invite-cancel") == 0};
    invitation_headers(em, r, t, &m);
    if (is_invitation(t) && !m.invitation) {
        free(ics);
        ics = NULL; /* without its reply address, no invitation goes */
    }
    char *msg =
        subject && text && html && (m.ics || !is_invitation(t)) ? rem_mail_build(&m, len) : NULL;
    free(subject);
    free(text);
    free(html);
    free(ics);
    return msg;
}

static int submit(email *em, pending *p, size_t len)
{
    const char *rcpt[] = {p->r->address, NULL};
    agendad_smtp_message msg = {.size = sizeof msg,
                                .url = em->url,
                                .starttls = em->starttls,
                                .username = em->username,
                                .password = em->password,
                                .from = em->from,
                                .rcpt = rcpt,
                                .message = p->message,
                                .message_len = len,
                                .timeout_ms = em->timeout_ms,
                                .tls_insecure = em->tls_insecure,
                                .ca_file = em->ca_file};
    /* The envelope sender is the bare address. */
    char from[512];
    const char *lt = strchr(em->from, '<');
    if (lt) {
        snprintf(from, sizeof from, "%.*s", (int)strcspn(lt + 1, ">"), lt + 1);
        msg.from = from;
    }
    int rc = em->host->smtp_send(em->self, &msg, on_sent, p, &p->xfer);
    if (rc == 0) {
        p->next = em->in_flight;
        if (p->next)
            p->next->prev = p;
        em->in_flight = p;
    }
    return rc;
}

static void send_reminder(agendad_reminder *r, void *data)
{
    email *em = data;
    if (!AGENDAD_REMINDER_HAS(r, id) || !r->address) {
        r->done(r, AGENDAD_FAILED_PERMANENT, "the recipient has no email address");
        return;
    }
    rem_text t;
    if (rem_text_load(em->host, em->self, r, &t) != 0) {
        r->done(r, AGENDAD_FAILED_PERMANENT, "the event is gone");
        return;
    }
    size_t len = 0;
    pending *p = calloc(1, sizeof *p);
    char *message = p ? build(em, r, &t, &len) : NULL;
    rem_text_free(&t);
    if (!message) {
        free(p);
        r->done(r, AGENDAD_FAILED_PERMANENT, "cannot build the message (bad address?)");
        return;
    }
    *p = (pending){.em = em, .r = r, .message = message};
    int rc = submit(em, p, len);
    if (rc != 0) {
        free(message);
        free(p);
        r->done(r, AGENDAD_FAILED_TEMPORARY, em->host->strerror(rc));
    }
}

static int configure(email *em)
{
    em->url = opt(em, "url");
    em->from = opt(em, "from");
    em->username = opt(em, "username");
    em->ca_file = opt(em, "ca_file");
    em->starttls = opt_bool(em, "starttls", true);
    em->tls_insecure = opt_bool(em, "tls_insecure", false);
    const char *t = opt(em, "timeout");
    em->timeout_ms = t ? atol(t) * 1000 : 60000;
    if (!em->url || !em->from) {
        em->host->log(em->self, AGENDAD_LOG_ERR, "url and from are required");
        return -1;
    }
    if (strncmp(em->url, "smtps://", 8) == 0)
        em->starttls = false; /* implicit TLS already */
    return load_password(em);
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* check.c's checks (ABI 1.8): `agendad check`, the daemon's start and reloads. */
static void check_settings(agendad_check *c, void *data)
{
    email *em = data;
    email_check(c, em->host, em->self);
}
#endif

static int register_check(email *em)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    return po_register_check(em->host, em->self, check_settings, em);
#else
    (void)em;
    return 0;
#endif
}

static int email_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    if (!AGENDAD_HOST_HAS(host, mem_free)) {
        host->log(self, AGENDAD_LOG_ERR, "needs agendad plugin ABI 1.2");
        return AGENDAD_EPLUGIN;
    }
    email *em = calloc(1, sizeof *em);
    if (!em)
        return AGENDAD_ENOMEM;
    em->host = host;
    em->self = self;
    if (po_command_line(host, self)) {
        /* The command line: the check tells what configure() refuses. */
        if (register_check(em) != 0) {
            free(em);
            return AGENDAD_EPLUGIN;
        }
        rem_mail_init(); /* fini shuts it down */
        *state = em;
        return 0;
    }
    if (configure(em) < 0 || host->register_channel(self, "email", send_reminder, em) != 0 ||
        register_check(em) != 0) {
        free(em->password);
        free(em);
        return AGENDAD_EPLUGIN;
    }
    rem_mail_init();
    *state = em;
    return 0;
}

/* Only what outlived the daemon's stop deadline is still here: the host
 * drops transfer callbacks after fini, so the reminder is answered now (its
 * row stays pending: sent again at the next start). */
static void email_fini(agendad_plugin *self, void *state)
{
    (void)self;
    email *em = state;
    while (em->in_flight) {
        pending *p = em->in_flight;
        unlink_pending(p);
        em->host->xfer_cancel(p->xfer);
        p->r->done(p->r, AGENDAD_FAILED_TEMPORARY, "the daemon is stopping");
        free(p->message);
        free(p);
    }
    free(em->password);
    free(em);
    rem_mail_shutdown();
}

AGENDAD_PLUGIN_DECLARE("reminder-email", "1.0", email_init, email_fini);
