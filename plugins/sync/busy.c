/* A member's CalDAV collection read as busy time, at most once per
 * interval (ABI 1.9). RFC 4791's free-busy-query REPORT first: the server
 * computes the member's busy periods. A server that does not do it (an
 * answer without a VFREEBUSY, a multistatus, any HTTP error) is asked a
 * calendar-query REPORT with a time-range instead, for the times of each
 * event only, which the helper expands itself. That a server does not do
 * free-busy-query is remembered for a day, then asked again.
 *
 * The network's events the member is invited to are already counted by
 * whoever reads busy time, and push.c writes them into this collection:
 * a calendar-query leaves out the resources agendad wrote (by name) and
 * any event with a network event's uid; a free/busy answer, which cannot
 * tell them apart, has their times taken out.
 *
 * The answers are outside input: agendad-ical-import reads them (libical,
 * expat) in a child process (proc.c), as it reads feeds. */
#include "sync.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_FREEBUSY_RECHECK 86400

static void replace(char **dst, char *src)
{
    free(*dst);
    *dst = src;
}

static void forget_password(dav_busy *b)
{
    if (b->password)
        memset(b->password, 0, strlen(b->password));
    replace(&b->password, NULL);
}

/* The end of a read; error NULL when its busy time was stored. */
static void finish(sync_member *m, const char *error)
{
    dav_busy *b = &m->dav_busy;
    forget_password(b);
    b->asked_freebusy = false;
    if (error) {
        replace(&b->last_error, strdup(error));
        sync_log(m->sp, AGENDAD_LOG_WARNING,
                 "%s: the CalDAV collection was not read as busy time: %s (the last good read "
                 "stays)",
                 m->id, error);
    } else {
        b->last_success = (int64_t)time(NULL);
        replace(&b->last_error, NULL);
    }
    sync_state_save(m, true);
}

/* ------------------------------------------------- the helper's input */

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 65536;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *g = realloc(t->data, cap);
        if (!g) {
            t->failed = true;
            return;
        }
        t->data = g;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

/* One part of the helper's stdin: "<length>\n" and the bytes. */
static void put_part(text *t, const char *s, size_t n)
{
    char head[32];
    int k = snprintf(head, sizeof head, "%zu\n", n);
    put(t, head, (size_t)k);
    put(t, s, n);
}

typedef struct {
    text names, uids, icals; /* icals: parts already */
    bool with_icals;
} network;

static void add_event(sync_member *m, const agendad_event *ev, void *data)
{
    network *n = data;
    const agendad_host *h = m->sp->host;
    const char *uid = h->event_uid(m->sp->self, ev);
    put(&n->uids, uid, strlen(uid));
    put(&n->uids, "\n", 1);
    const char *ics;
    size_t len;
    if (n->with_icals && h->event_ical(m->sp->self, ev, m->language, &ics, &len) == 0)
        put_part(&n->icals, ics, len);
}

/* The answer, the names of agendad's own resources, the uids of the
 * network's events (and, for free/busy, each of them): import_main.c's
 * --caldav input. NULL when memory runs out. */
static char *helper_input(sync_member *m, const agendad_net_result *r, bool freebusy, size_t *len)
{
    network n = {.with_icals = freebusy};
    for (size_t i = 0; i < m->dav.n_res; i++) {
        put(&n.names, "agendad-", 8);
        put(&n.names, m->dav.res[i].uid, strlen(m->dav.res[i].uid));
        put(&n.names, ".ics\n", 5);
    }
    sync_invited_events(m, add_event, &n);
    text in = {0};
    put_part(&in, r->body, r->body_len);
    put_part(&in, n.names.data ? n.names.data : "", n.names.len);
    put_part(&in, n.uids.data ? n.uids.data : "", n.uids.len);
    put(&in, n.icals.data ? n.icals.data : "", n.icals.len);
    bool failed = n.names.failed || n.uids.failed || n.icals.failed || in.failed;
    free(n.names.data);
    free(n.uids.data);
    free(n.icals.data);
    if (failed) {
        free(in.data);
        return NULL;
    }
    *len = in.len;
    return in.data ? in.data : calloc(1, 1);
}

/* ------------------------------------------------------------- storing */

static void query(sync_member *m);

static void proc_free(sync_proc *p)
{
    sync_proc_free(p);
    free(p);
}

int sync_busy_store(sync_member *m, const char *calendar, int64_t from, int64_t to,
                    const sync_interval *iv, size_t n)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 9
    agendad_busy_interval *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return AGENDAD_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (agendad_busy_interval){iv[i].start, iv[i].end, iv[i].tentative};
    sync_plugin *sp = m->sp;
    int rc = sp->host->source_busy_replace(sp->source, m->id, calendar, from, to, v, n);
    free(v);
    return rc;
#else
    (void)m;
    (void)calendar;
    (void)from;
    (void)to;
    (void)iv;
    (void)n;
    return AGENDAD_ESTATE;
#endif
}

/* The helper's busy time to the host. NULL, or why not. */
static const char *store(sync_member *m, json_t *busy)
{
    dav_busy *b = &m->dav_busy;
    size_t n = json_array_size(busy);
    sync_interval *iv = calloc(n ? n : 1, sizeof *iv);
    if (!iv)
        return "out of memory";
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(busy, i);
        iv[i] = (sync_interval){json_integer_value(json_array_get(x, 0)),
                                json_integer_value(json_array_get(x, 1)),
                                json_integer_value(json_array_get(x, 2)) != 0};
        if (iv[i].end <= iv[i].start) {
            free(iv);
            return "the calendar parser's output is not valid";
        }
    }
    int rc = sync_busy_store(m, "caldav", b->from, b->to, iv, n);
    free(iv);
    if (rc == AGENDAD_ENOENT)
        return "the member's CalDAV collection is no longer configured";
    return rc ? "the busy time could not be stored (see the daemon's log)" : NULL;
}

/* What the helper made of an answer: stored, or the next question. */
static void judged(sync_member *m, sync_proc *p)
{
    dav_busy *b = &m->dav_busy;
    char why[512];
    const char *error = sync_proc_verdict(p, why, sizeof why);
    json_t *out = NULL;
    if (!error) {
        json_error_t e;
        out = json_loadb(p->out_buf.data ? p->out_buf.data : "", p->out_buf.len, 0, &e);
        if (!json_is_object(out) || json_integer_value(json_object_get(out, "format")) != 2)
            error = "the calendar parser's output is not valid";
    }
    bool freebusy = b->parsing_freebusy;
    if (!error && freebusy && json_is_true(json_object_get(out, "unsupported"))) {
        json_decref(out);
        query(m); /* no VFREEBUSY: ask the other way */
        return;
    }
    json_t *busy = json_object_get(out, "busy");
    if (!error && !json_is_array(busy))
        error = "the calendar parser's output is not valid";
    if (!error)
        error = store(m, busy);
    if (!error) {
        b->unreadable = (long)json_integer_value(json_object_get(out, "unreadable"));
        const char *first = json_string_value(json_object_get(out, "first_unreadable"));
        if (first)
            sync_log(m->sp, AGENDAD_LOG_WARNING,
                     "%s: %ld resources of the CalDAV collection could not be read and were left "
                     "out of its busy time; the first: %s",
                     m->id, b->unreadable, first);
        if (freebusy)
            b->no_freebusy_at = 0;
        else if (b->asked_freebusy)
            b->no_freebusy_at = (int64_t)time(NULL);
        b->method = freebusy ? "free-busy-query" : "calendar-query";
    }
    json_decref(out);
    finish(m, error);
}

static void on_proc_closed(sync_proc *p)
{
    sync_member *m = p->owner;
    m->dav_busy.proc = NULL;
    if (m->stopping) {
        proc_free(p);
        sync_member_maybe_free(m);
        return;
    }
    judged(m, p);
    proc_free(p);
}

/* The answer to the helper (--caldav freebusy or query). */
static void parse(sync_member *m, const agendad_net_result *r, bool freebusy)
{
    sync_plugin *sp = m->sp;
    dav_busy *b = &m->dav_busy;
    size_t len = 0;
    sync_proc *p = calloc(1, sizeof *p);
    char *input = p ? helper_input(m, r, freebusy, &len) : NULL;
    if (!input) {
        free(p);
        finish(m, "out of memory");
        return;
    }
    sync_proc_init(p, sp, input, len, (size_t)sp->max_bytes + (1u << 20), on_proc_closed, m);
    sync_proc_arg(p, "--caldav=%s", freebusy ? "freebusy" : "query");
    sync_proc_arg(p, "--from=%lld", (long long)b->from);
    sync_proc_arg(p, "--to=%lld", (long long)b->to);
    sync_proc_arg(p, "--max-events=%ld", sp->max_events * SYNC_BUSY_PER_EVENT);
    sync_proc_arg(p, "--mem-mb=%ld", sp->parser_memory_mb);
    sync_proc_arg(p, "--cpu-s=%ld", sp->parser_cpu_s);
    sync_proc_arg(p, "--max-bytes=%zu", len + 1);
    sync_proc_arg(p, "--tz=%s", sp->default_tz);
    sync_proc_arg(p, "--day-tz=%s", m->day_tz ? m->day_tz : sp->default_tz);
    b->parsing_freebusy = freebusy;
    b->proc = p;
    sync_proc_queue(p);
}

/* ------------------------------------------------------------ requests */

static void ical_utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}

static bool report(sync_member *m, const char *body, agendad_net_done_fn done)
{
    sync_plugin *sp = m->sp;
    static const char *const headers[] = {"Depth: 1",
                                          "Content-Type: application/xml; charset=utf-8", NULL};
    agendad_http_fetch req = {.size = sizeof req,
                              .url = m->dav.url,
                              .method = "REPORT",
                              .headers = headers,
                              .body = body,
                              .body_len = strlen(body),
                              .connect_timeout_ms = sp->connect_timeout_ms,
                              .total_timeout_ms = sp->total_timeout_ms,
                              .max_body_bytes = sp->max_bytes,
                              .max_redirects = -1,
                              .username = m->dav.username,
                              .password = m->dav_busy.password,
                              .tls_insecure = sp->tls_insecure,
                              .ca_file = sp->ca_file};
    return sp->host->http_fetch(sp->self, &req, done, m, &m->dav_busy.xfer) == 0;
}

static void on_query(const agendad_net_result *r, void *data)
{
    sync_member *m = data;
    dav_busy *b = &m->dav_busy;
    b->xfer = NULL;
    if (r->outcome == AGENDAD_NET_CANCELLED)
        return; /* only at fini */
    char why[600];
    if (r->outcome != AGENDAD_NET_OK) {
        finish(m, r->error ? r->error : "the transfer failed");
        return;
    }
    if (r->status != 207) {
        if (b->asked_freebusy)
            snprintf(why, sizeof why,
                     "the server answered HTTP %ld to calendar-query (and to free-busy-query "
                     "HTTP %ld%s)",
                     r->status, b->freebusy_status,
                     b->freebusy_status == 200 ? " without a VFREEBUSY" : "");
        else
            snprintf(why, sizeof why, "the server answered HTTP %ld to calendar-query", r->status);
        finish(m, why);
        return;
    }
    parse(m, r, false);
}

/* RFC 4791 7.8: the events overlapping the window, each with only what
 * its times need (servers may send more: the helper reads no more). */
static void query(sync_member *m)
{
    dav_busy *b = &m->dav_busy;
    char from[32], to[32], body[2048];
    ical_utc(b->from, from, sizeof from);
    ical_utc(b->to, to, sizeof to);
    snprintf(body, sizeof body,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
             "<D:prop><C:calendar-data><C:comp name=\"VCALENDAR\">"
             "<C:comp name=\"VEVENT\"><C:prop name=\"UID\"/><C:prop name=\"DTSTART\"/>"
             "<C:prop name=\"DTEND\"/><C:prop name=\"DURATION\"/><C:prop name=\"RRULE\"/>"
             "<C:prop name=\"RDATE\"/><C:prop name=\"EXDATE\"/><C:prop name=\"RECURRENCE-ID\"/>"
             "<C:prop name=\"TRANSP\"/><C:prop name=\"STATUS\"/></C:comp>"
             "<C:comp name=\"VTIMEZONE\"><C:allprop/><C:allcomp/></C:comp>"
             "</C:comp></C:calendar-data></D:prop>"
             "<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">"
             "<C:time-range start=\"%s\" end=\"%s\"/></C:comp-filter></C:comp-filter></C:filter>"
             "</C:calendar-query>",
             from, to);
    if (!report(m, body, on_query))
        finish(m, "cannot start the transfer");
}

static void on_freebusy(const agendad_net_result *r, void *data)
{
    sync_member *m = data;
    dav_busy *b = &m->dav_busy;
    b->xfer = NULL;
    if (r->outcome == AGENDAD_NET_CANCELLED)
        return; /* only at fini */
    if (r->outcome != AGENDAD_NET_OK) {
        finish(m, r->error ? r->error : "the transfer failed");
        return;
    }
    b->freebusy_status = r->status;
    if (r->status == 200)
        parse(m, r, true); /* "unsupported" when it holds no VFREEBUSY */
    else
        query(m);
}

/* RFC 4791 7.10. */
static void ask_freebusy(sync_member *m)
{
    dav_busy *b = &m->dav_busy;
    char from[32], to[32], body[512];
    ical_utc(b->from, from, sizeof from);
    ical_utc(b->to, to, sizeof to);
    snprintf(body, sizeof body,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
             "<C:time-range start=\"%s\" end=\"%s\"/></C:free-busy-query>",
             from, to);
    b->asked_freebusy = true;
    if (!report(m, body, on_freebusy))
        finish(m, "cannot start the transfer");
}

/* The password file's first line; NULL with the error recorded. */
static char *read_password(sync_member *m)
{
    if (!m->dav.password_file)
        return strdup("");
    FILE *f = fopen(m->dav.password_file, "r");
    char line[1024];
    if (!f || !fgets(line, sizeof line, f)) {
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char *p = strdup(line);
    memset(line, 0, sizeof line);
    return p;
}

void sync_busy_read(sync_member *m)
{
    dav_busy *b = &m->dav_busy;
    if (!m->sp->busy || !m->dav.configured || m->stopping || b->xfer || b->proc)
        return;
    int64_t now = (int64_t)time(NULL);
    b->last_attempt = now;
    b->asked_freebusy = false;
    b->freebusy_status = 0;
    b->from = now - SYNC_BUSY_PAST;
    b->to = now + m->sp->window_future;
    if (!(b->password = read_password(m))) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot read the CalDAV password file %s", m->dav.password_file);
        finish(m, msg);
        return;
    }
    bool recheck = !b->no_freebusy_at || now - b->no_freebusy_at >= NO_FREEBUSY_RECHECK ||
                   now < b->no_freebusy_at;
    if (recheck)
        ask_freebusy(m);
    else
        query(m);
}

void sync_busy_abort(sync_member *m)
{
    dav_busy *b = &m->dav_busy;
    if (b->xfer)
        m->sp->host->xfer_cancel(b->xfer);
    if (b->proc && sync_proc_idle(b->proc)) {
        /* Waiting for a parser slot: fini drops the queue with sp. */
        proc_free(b->proc);
        b->proc = NULL;
    } else if (b->proc) {
        sync_proc_detach(b->proc);
    }
    forget_password(b);
}

void sync_busy_free(sync_member *m)
{
    forget_password(&m->dav_busy);
    free(m->dav_busy.last_error);
}

/* ------------------------------------------------------------- events */

typedef struct {
    sync_member *m;
    void (*fn)(sync_member *m, const agendad_event *ev, void *data);
    void *data;
} invited_walk;

static int visit(const agendad_event *ev, void *data)
{
    invited_walk *w = data;
    const agendad_host *h = w->m->sp->host;
    if (h->event_invites(w->m->sp->self, ev, w->m->id) &&
        h->event_status(w->m->sp->self, ev) != AGENDAD_STATUS_CANCELLED)
        w->fn(w->m, ev, w->data);
    return 0;
}

void sync_invited_events(sync_member *m,
                         void (*fn)(sync_member *m, const agendad_event *ev, void *data),
                         void *data)
{
    invited_walk w = {m, fn, data};
    m->sp->host->event_foreach(m->sp->self, visit, &w);
}
