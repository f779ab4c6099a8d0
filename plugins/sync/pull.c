/* One pull of a member's feed: a conditional GET through the host's network
 * client, then the body parsed by agendad-ical-import in a child process
 * (proc.c), and the events it printed submitted to the host, which stores
 * them, then the member's busy time over the window (ABI 1.9). The result
 * of a child is kept only when it exited 0 and printed valid JSON; a
 * failed pull keeps both the last good events and the last good busy
 * time. */
#include "sync.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Events of the parser's output parsed per loop turn: a thousand at once
 * held the loop for over 10 ms. */
#define PARSE_CHUNK 128
/* What the parser prints (import_main.c); an older helper printed an
 * array. */
#define HELPER_FORMAT 2

/* ------------------------------------------------- events to the host */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static agendad_status jstatus(json_t *o)
{
    const char *s = jstr(o, "status");
    if (s && strcmp(s, "cancelled") == 0)
        return AGENDAD_STATUS_CANCELLED;
    if (s && strcmp(s, "tentative") == 0)
        return AGENDAD_STATUS_TENTATIVE;
    return AGENDAD_STATUS_CONFIRMED;
}

/* A source has one language per event; it goes where the member's readers
 * look first, and feeds fall back to it in the other language. */
static bool in_arabic(const sync_member *m, json_t *o)
{
    const char *lang = jstr(o, "lang");
    if (!lang)
        lang = m->language;
    return lang && strcmp(lang, "ar") == 0;
}

static void fill_event(const sync_member *m, json_t *o, agendad_source_event *e, const char **cats)
{
    bool ar = in_arabic(m, o);
    const char *title = jstr(o, "summary"), *desc = jstr(o, "description"),
               *loc = jstr(o, "location");
    *e = (agendad_source_event){.size = sizeof *e,
                                .uid = jstr(o, "uid"),
                                .title_ar = ar ? title : NULL,
                                .title_fr = ar ? NULL : title,
                                .description_ar = ar ? desc : NULL,
                                .description_fr = ar ? NULL : desc,
                                .location_ar = ar ? loc : NULL,
                                .location_fr = ar ? NULL : loc,
                                .start = json_integer_value(json_object_get(o, "start")),
                                .end = json_integer_value(json_object_get(o, "end")),
                                .all_day = json_is_true(json_object_get(o, "all_day")),
                                .tzid = jstr(o, "tzid"),
                                .member = m->id,
                                .status = jstatus(o),
                                .categories = cats};
    json_t *c = json_object_get(o, "categories");
    for (size_t i = 0; i < json_array_size(c) && cats; i++)
        if (json_string_value(json_array_get(c, i)))
            cats[e->n_categories++] = json_string_value(json_array_get(c, i));
}

/* What one event's pointers point into; freed once the host copied it. */
typedef struct {
    const char **cats;
    agendad_source_attendee *attendees;
    agendad_source_alarm *alarms;
} event_arrays;

static void fill_attendees(json_t *a, agendad_source_event *e, agendad_source_attendee *out)
{
    for (size_t i = 0; out && i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i);
        if (jstr(x, "address"))
            out[e->n_attendees++] = (agendad_source_attendee){jstr(x, "address"), jstr(x, "cn"),
                                                              jstr(x, "partstat"), jstr(x, "role")};
    }
    e->attendees = out;
}

static agendad_trigger jrelated(json_t *o)
{
    const char *r = jstr(o, "related");
    if (r && strcmp(r, "end") == 0)
        return AGENDAD_TRIGGER_END;
    if (r && strcmp(r, "absolute") == 0)
        return AGENDAD_TRIGGER_ABSOLUTE;
    return AGENDAD_TRIGGER_START;
}

static void fill_alarms(json_t *a, agendad_source_event *e, agendad_source_alarm *out)
{
    for (size_t i = 0; out && i < json_array_size(a); i++) {
        json_t *x = json_array_get(a, i);
        if (jstr(x, "action"))
            out[e->n_alarms++] =
                (agendad_source_alarm){.action = jstr(x, "action"),
                                       .related = jrelated(x),
                                       .trigger = json_integer_value(json_object_get(x, "trigger")),
                                       .description = jstr(x, "description"),
                                       .summary = jstr(x, "summary")};
    }
    e->alarms = out;
}

/* Attendees and alarms go to the host only for a member whose admin asked
 * for them, whatever the parser printed. false: out of memory. */
static bool fill_private(const sync_member *m, json_t *o, agendad_source_event *e, event_arrays *x)
{
    if (!m->pulled_private)
        return true;
    json_t *att = json_object_get(o, "attendees"), *al = json_object_get(o, "alarms");
    size_t na = json_array_size(att), nl = json_array_size(al);
    x->attendees = na ? calloc(na, sizeof *x->attendees) : NULL;
    x->alarms = nl ? calloc(nl, sizeof *x->alarms) : NULL;
    fill_attendees(att, e, x->attendees);
    fill_alarms(al, e, x->alarms);
    return (!na || x->attendees) && (!nl || x->alarms);
}

static const char *fill_one(const sync_member *m, json_t *o, agendad_source_event *e,
                            event_arrays *x)
{
    size_t nc = json_array_size(json_object_get(o, "categories"));
    x->cats = nc ? calloc(nc, sizeof *x->cats) : NULL;
    fill_event(m, o, e, x->cats);
    if (!e->uid || (!e->title_ar && !e->title_fr))
        return "the parser's output lacks a uid or a title";
    if ((nc && !x->cats) || !fill_private(m, o, e, x))
        return "out of memory";
    return NULL;
}

static void on_stored(int rc, void *data);

/* 0, or a plain-words error. async: the host stores them over later turns
 * and on_stored ends the pull. */
static const char *submit(sync_member *m, json_t *arr, bool async)
{
    sync_plugin *sp = m->sp;
    size_t n = json_array_size(arr);
    agendad_source_event *evs = calloc(n ? n : 1, sizeof *evs);
    event_arrays *xs = calloc(n ? n : 1, sizeof *xs);
    const char *error = evs && xs ? NULL : "out of memory";
    for (size_t i = 0; !error && i < n; i++)
        error = fill_one(m, json_array_get(arr, i), &evs[i], &xs[i]);
    int rc = error   ? 0
             : async ? sp->host->source_submit_member_async(sp->source, m->id, evs, n, on_stored, m)
                     : sp->host->source_submit_member(sp->source, m->id, evs, n);
    if (!error && rc != 0)
        error = "the events could not be stored (see the daemon's log)";
    for (size_t i = 0; xs && i < n; i++) {
        free((void *)xs[i].cats);
        free(xs[i].attendees);
        free(xs[i].alarms);
    }
    free(xs);
    free(evs);
    return error;
}

/* --------------------------------------------------------- the child */

static void child_free(sync_child *c)
{
    json_decref(c->parsed);
    json_decref(c->top);
    free(c->busy);
    sync_proc_free(&c->proc);
    free(c);
}

static size_t skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return i;
}

static void bad_output(sync_child *c)
{
    snprintf(c->verdict, sizeof c->verdict, "the calendar parser's output is not valid");
    c->outcome_read = true;
}

/* Where parse_some is in the output object: before a key (or the end),
 * inside the events array, after a value. */
enum { P_KEY, P_EVENTS, P_NEXT };

/* The value of a key other than "events", read whole (busy time is small:
 * three numbers an interval). false: not valid. */
static bool read_member(sync_child *c, const char *s, size_t len, size_t *i)
{
    json_error_t e;
    json_t *key = json_loadb(s + *i, len - *i, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
    bool ok = json_is_string(key);
    if (ok) {
        *i = skip_space(s, len, *i + (size_t)e.position);
        ok = *i < len && s[*i] == ':';
        *i = skip_space(s, len, *i + 1);
    }
    if (ok && strcmp(json_string_value(key), "events") == 0) {
        ok = *i < len && s[*i] == '[' && !c->saw_events;
        *i += 1;
        c->parse_state = P_EVENTS;
        c->saw_events = true;
    } else if (ok) {
        json_t *v = json_loadb(s + *i, len - *i, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
        ok = v && json_object_set_new(c->top, json_string_value(key), v) == 0;
        *i += (size_t)e.position;
        c->parse_state = P_NEXT;
    }
    json_decref(key);
    return ok;
}

/* One more event of the events array, or its end. false: not valid. */
static bool read_event(sync_child *c, const char *s, size_t len, size_t *i)
{
    if (*i < len && s[*i] == ']') {
        *i += 1;
        c->parse_state = P_NEXT;
        return true;
    }
    if (json_array_size(c->parsed) > 0) {
        if (*i >= len || s[*i] != ',')
            return false;
        *i = skip_space(s, len, *i + 1);
    }
    json_error_t e;
    json_t *ev = json_loadb(s + *i, len - *i, JSON_DISABLE_EOF_CHECK, &e);
    if (!ev || json_array_append_new(c->parsed, ev) < 0)
        return false;
    *i += (size_t)e.position;
    return true;
}

/* The output's end: its busy time as the host takes it. */
static void read_busy(sync_child *c)
{
    json_t *b = json_object_get(c->top, "busy");
    size_t n = json_array_size(b);
    c->busy = calloc(n ? n : 1, sizeof *c->busy);
    if (!json_is_array(b) || !c->busy) {
        bad_output(c);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(b, i);
        sync_interval iv = {json_integer_value(json_array_get(x, 0)),
                            json_integer_value(json_array_get(x, 1)),
                            json_integer_value(json_array_get(x, 2)) != 0};
        if (json_array_size(x) != 3 || iv.end <= iv.start) {
            bad_output(c);
            return;
        }
        c->busy[c->n_busy++] = iv;
    }
}

static void end_of_output(sync_child *c, const char *s, size_t len, size_t i)
{
    c->outcome_read = true;
    /* No "events" is no feed: it must not empty the member's. */
    if (skip_space(s, len, i) != len || !c->saw_events ||
        json_integer_value(json_object_get(c->top, "format")) != HELPER_FORMAT) {
        bad_output(c);
        return;
    }
    read_busy(c);
}

/* Up to PARSE_CHUNK more tokens of the output, a JSON object whose
 * "events" array is read an event at a time; the whole object must be
 * valid, as one json_loadb would have it. */
static void parse_some(sync_child *c)
{
    const char *s = c->proc.out_buf.data ? c->proc.out_buf.data : "";
    size_t len = c->proc.out_buf.len, i = c->parse_pos;
    for (int k = 0; k < PARSE_CHUNK && !c->outcome_read; k++) {
        i = skip_space(s, len, i);
        bool ok = true;
        if (c->parse_state == P_EVENTS) {
            ok = read_event(c, s, len, &i);
        } else if (c->parse_state == P_NEXT && i < len && s[i] == ',') {
            i++;
            c->parse_state = P_KEY;
        } else if (i < len && s[i] == '}') {
            end_of_output(c, s, len, i + 1);
            return;
        } else {
            ok = c->parse_state == P_KEY && read_member(c, s, len, &i);
        }
        if (!ok) {
            bad_output(c);
            return;
        }
    }
    c->parse_pos = i;
}

/* First turn: how the parser ended (c->verdict, an error in plain words),
 * and the start of its output; parse_some reads the rest. */
static void read_outcome(sync_child *c)
{
    if (sync_proc_verdict(&c->proc, c->verdict, sizeof c->verdict)) {
        c->outcome_read = true;
        return;
    }
    const sync_buf *out = &c->proc.out_buf;
    size_t i = skip_space(out->data, out->len, 0);
    if (i < out->len && out->data[i] == '[') {
        snprintf(c->verdict, sizeof c->verdict,
                 "the calendar parser %s is older than this sync plugin: install the "
                 "agendad-ical-import built with it",
                 c->proc.sp->helper);
        c->outcome_read = true;
        return;
    }
    if (i >= out->len || out->data[i] != '{' || !(c->parsed = json_array()) ||
        !(c->top = json_object())) {
        bad_output(c);
        return;
    }
    c->parse_pos = i + 1;
    c->parse_state = P_KEY;
}

/* The busy time of the feed just stored. NULL, or why it was not. */
static const char *store_busy(sync_member *m, sync_child *c)
{
    if (!m->sp->busy)
        return NULL;
    int rc = sync_busy_store(m, "feed", c->from, c->to, c->busy, c->n_busy);
    if (rc != 0) {
        m->busy_at = 0;
        return rc == AGENDAD_ENOENT
                   ? "the member's feed is no longer configured: its busy time was not stored"
                   : "the busy time could not be stored (see the daemon's log)";
    }
    m->busy_at = (int64_t)time(NULL);
    return NULL;
}

/* Last turn: the events to the host (the store), and the pull's end. */
static void judge(sync_member *m, sync_child *c)
{
    const char *error = c->verdict[0] ? c->verdict : submit(m, c->parsed, false);
    if (!error)
        m->events = (long)json_array_size(c->parsed);
    if (!error)
        error = store_busy(m, c);
    sync_pull_done(m, error, !error);
}

/* The events to a host that stores them over later turns (ABI 1.7): the
 * child stays m->child, so that no pull of m starts meanwhile, until
 * on_stored. false: the host cannot, judge() does it at once. */
static bool judge_async(sync_member *m, sync_child *c)
{
    if (c->verdict[0] || !AGENDAD_HOST_HAS(m->sp->host, source_submit_member_async))
        return false;
    const char *error = submit(m, c->parsed, true);
    if (error) {
        m->child = NULL;
        sync_pull_done(m, error, false);
        child_free(c);
        return true;
    }
    c->storing = true;
    c->n_events = json_array_size(c->parsed);
    json_decref(c->parsed); /* the host has its copy */
    c->parsed = NULL;
    return true;
}

static void on_stored(int rc, void *data)
{
    sync_member *m = data;
    sync_child *c = m->child;
    m->child = NULL;
    const char *error = rc ? "the events could not be stored (see the daemon's log)" : NULL;
    if (!error) {
        m->events = (long)c->n_events;
        error = store_busy(m, c);
    }
    child_free(c);
    sync_pull_done(m, error, !error);
}

static void on_judge_timer(uv_timer_t *t);

/* A 1 ms timer rather than 0: libuv runs a timer due now that is started
 * from a timer callback in the same pass, and the point is to let the loop
 * poll (serve feeds) between two members' imports. The member's own pull
 * timer is free meanwhile: nothing is scheduled while its child is pending. */
static void arm_judge(sync_plugin *sp)
{
    if (sp->judge_head)
        uv_timer_start(&sp->judge_head->timer, on_judge_timer, 1, 0);
}

/* Several turns per member (how the parser ended, its output a part at a
 * time, then the events to the host), so that no turn holds the loop for
 * long. */
static void on_judge_timer(uv_timer_t *t)
{
    sync_member *m = t->data;
    sync_plugin *sp = m->sp;
    sync_child *child = m->child;
    if (!child->outcome_read) {
        if (child->parsed)
            parse_some(child);
        else
            read_outcome(child);
        uv_timer_start(t, on_judge_timer, 1, 0);
        return;
    }
    sp->judge_head = m->next_judged;
    if (!sp->judge_head)
        sp->judge_tail = NULL;
    m->next_judged = NULL;
    if (!judge_async(m, child)) {
        m->child = NULL;
        judge(m, child);
        child_free(child);
    }
    arm_judge(sp);
}

static void enqueue_judge(sync_member *m)
{
    sync_plugin *sp = m->sp;
    bool idle = sp->judge_head == NULL;
    if (sp->judge_tail)
        sp->judge_tail->next_judged = m;
    else
        sp->judge_head = m;
    sp->judge_tail = m;
    if (idle)
        arm_judge(sp);
}

static void on_child_closed(sync_proc *p)
{
    sync_member *m = p->owner;
    if (!m->stopping) {
        enqueue_judge(m); /* m->child stays set: a reload does not pull it again */
        return;
    }
    child_free(m->child);
    m->child = NULL;
    sync_member_maybe_free(m);
}

static void build_args(sync_member *m, sync_child *c)
{
    sync_plugin *sp = m->sp;
    int64_t now = (int64_t)time(NULL);
    sync_proc *p = &c->proc;
    /* Busy time from a day back: the past is no use for finding a time. */
    c->from = now - SYNC_BUSY_PAST;
    c->to = now + sp->window_future;
    sync_proc_arg(p, "--from=%lld", (long long)(now - sp->window_past));
    sync_proc_arg(p, "--to=%lld", (long long)c->to);
    sync_proc_arg(p, "--busy-from=%lld", (long long)c->from);
    sync_proc_arg(p, "--max-events=%ld", sp->max_events);
    sync_proc_arg(p, "--max-busy=%ld", sp->max_events * SYNC_BUSY_PER_EVENT);
    sync_proc_arg(p, "--mem-mb=%ld", sp->parser_memory_mb);
    sync_proc_arg(p, "--cpu-s=%ld", sp->parser_cpu_s);
    sync_proc_arg(p, "--max-bytes=%zu", sp->max_bytes);
    sync_proc_arg(p, "--tz=%s", sp->default_tz);
    sync_proc_arg(p, "--day-tz=%s", m->day_tz ? m->day_tz : sp->default_tz);
    if (m->pulled_private)
        sync_proc_arg(p, "--private");
}

static void parse_body(sync_member *m, const agendad_net_result *r)
{
    sync_child *c = calloc(1, sizeof *c);
    char *copy = c ? malloc(r->body_len ? r->body_len : 1) : NULL;
    if (!copy) {
        free(c);
        sync_pull_done(m, "out of memory", false);
        return;
    }
    memcpy(copy, r->body, r->body_len);
    sync_proc_init(&c->proc, m->sp, copy, r->body_len, (size_t)m->sp->max_bytes * 4 + (1u << 20),
                   on_child_closed, m);
    build_args(m, c);
    m->child = c;
    sync_proc_queue(&c->proc);
}

/* ------------------------------------------------------------ fetch */

static void start_waiting_fetches(sync_plugin *sp);

static void on_fetched(const agendad_net_result *r, void *data)
{
    sync_member *m = data;
    m->xfer = NULL;
    char msg[600];
    if (r->outcome == AGENDAD_NET_CANCELLED)
        return; /* only at fini: sp may be gone */
    m->sp->n_downloads--;
    start_waiting_fetches(m->sp);
    if (r->outcome != AGENDAD_NET_OK) {
        snprintf(msg, sizeof msg, "%s", r->error ? r->error : "the transfer failed");
        sync_pull_done(m, msg, false);
        return;
    }
    if (r->status == 304) {
        m->not_modified++;
        sync_pull_done(m, NULL, false);
        return;
    }
    if (r->status != 200) {
        snprintf(msg, sizeof msg, "the member's server answered HTTP %ld instead of the calendar",
                 r->status);
        sync_pull_done(m, msg, false);
        return;
    }
    free(m->pending_etag);
    free(m->pending_last_modified);
    m->pending_etag = r->etag ? strdup(r->etag) : NULL;
    m->pending_last_modified = r->last_modified ? strdup(r->last_modified) : NULL;
    parse_body(m, r);
}

static void start_fetch(sync_member *m)
{
    sync_plugin *sp = m->sp;
    char inm[1100], ims[200];
    const char *headers[3] = {NULL, NULL, NULL};
    int h = 0;
    /* Validators only while the stored copy is the one they describe: a copy
     * parsed under the other private_data setting is not (a 304 would keep
     * attendees the admin just turned off, or never bring them in). */
    bool same_copy = m->copy_private == m->private_data;
    /* Nor when the busy time of the stored copy was not stored (a pull
     * before this agendad, a failed store), or over a window that has
     * moved on for a day since. */
    int64_t busy_age = (int64_t)time(NULL) - m->busy_at;
    if (sp->busy && (!m->busy_at || busy_age < 0 || busy_age >= SYNC_BUSY_REFRESH))
        same_copy = false;
    m->pulled_private = m->private_data;
    if (same_copy && m->etag &&
        snprintf(inm, sizeof inm, "If-None-Match: %s", m->etag) < (int)sizeof inm)
        headers[h++] = inm;
    if (same_copy && m->last_modified &&
        snprintf(ims, sizeof ims, "If-Modified-Since: %s", m->last_modified) < (int)sizeof ims)
        headers[h++] = ims;
    agendad_http_fetch req = {.size = sizeof req,
                              .url = m->url,
                              .headers = headers,
                              .connect_timeout_ms = sp->connect_timeout_ms,
                              .total_timeout_ms = sp->total_timeout_ms,
                              .max_body_bytes = sp->max_bytes,
                              .max_redirects = sp->max_redirects,
                              .tls_insecure = sp->tls_insecure,
                              .ca_file = sp->ca_file};
    m->last_attempt = (int64_t)time(NULL);
    sp->n_downloads++;
    int rc = sp->host->http_fetch(sp->self, &req, on_fetched, m, &m->xfer);
    if (rc != 0) {
        sp->n_downloads--;
        char msg[200];
        snprintf(msg, sizeof msg, "cannot start the transfer: %s", sp->host->strerror(rc));
        sync_pull_done(m, msg, false);
    }
}

static void start_waiting_fetches(sync_plugin *sp)
{
    while (!sp->stopping && sp->fetch_head && sp->n_downloads < SYNC_MAX_DOWNLOADS) {
        sync_member *m = sp->fetch_head;
        sp->fetch_head = m->next_fetch;
        if (!sp->fetch_head)
            sp->fetch_tail = NULL;
        m->next_fetch = NULL;
        m->fetch_waiting = false;
        if (m->configured)
            start_fetch(m);
    }
}

void sync_pull(sync_member *m)
{
    sync_plugin *sp = m->sp;
    if (m->fetch_waiting)
        return;
    if (sp->n_downloads < SYNC_MAX_DOWNLOADS) {
        start_fetch(m);
        return;
    }
    m->fetch_waiting = true;
    if (sp->fetch_tail)
        sp->fetch_tail->next_fetch = m;
    else
        sp->fetch_head = m;
    sp->fetch_tail = m;
}

static void fetch_dequeue(sync_member *m)
{
    sync_plugin *sp = m->sp;
    sync_member **p = &sp->fetch_head, *prev = NULL;
    while (*p && *p != m) {
        prev = *p;
        p = &(*p)->next_fetch;
    }
    if (!*p)
        return;
    *p = m->next_fetch;
    if (sp->fetch_tail == m)
        sp->fetch_tail = prev;
    m->next_fetch = NULL;
    m->fetch_waiting = false;
}

void sync_pull_abort(sync_member *m)
{
    if (m->fetch_waiting)
        fetch_dequeue(m);
    if (m->xfer)
        m->sp->host->xfer_cancel(m->xfer);
    if (m->child && sync_proc_idle(&m->child->proc)) {
        /* Not run yet, or its result waits to be judged: fini drops both
         * queues (sp goes with it), only the child's memory is left. */
        child_free(m->child);
        m->child = NULL;
        m->next_judged = NULL;
    } else if (m->child) {
        sync_proc_detach(&m->child->proc);
    }
}
