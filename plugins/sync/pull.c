/* One pull of a member's feed: a conditional GET through the host's network
 * client, then the body parsed by agendad-ical-import in a child process
 * with memory and CPU limits and a wall-clock deadline, and the events it
 * printed submitted to the host, which stores them. The result of a child is
 * kept only when it exited 0 and printed valid JSON. */
#include "sync.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STDERR_MAX 4096
/* Events of the parser's output parsed per loop turn: a thousand at once
 * held the loop for over 10 ms. */
#define PARSE_CHUNK 128

static void buf_put(sync_buf *b, const char *s, size_t n)
{
    if (b->overflow || b->len + n > b->max) {
        b->overflow = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *g = realloc(b->data, cap);
        if (!g) {
            b->overflow = true;
            return;
        }
        b->data = g;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

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
    free(c->out_buf.data);
    free(c->err_buf.data);
    free(c->body.base);
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

/* Up to PARSE_CHUNK more events of the output, a JSON array of objects;
 * the whole array must be valid, as one json_loadb would have it. */
static void parse_some(sync_child *c)
{
    const char *s = c->out_buf.data ? c->out_buf.data : "";
    size_t len = c->out_buf.len, i = c->parse_pos;
    for (int k = 0; k < PARSE_CHUNK; k++) {
        i = skip_space(s, len, i);
        if (i < len && s[i] == ']') {
            if (skip_space(s, len, i + 1) != len)
                bad_output(c);
            c->outcome_read = true;
            return;
        }
        if (json_array_size(c->parsed) > 0) {
            if (i >= len || s[i] != ',') {
                bad_output(c);
                return;
            }
            i = skip_space(s, len, i + 1);
        }
        json_error_t e;
        json_t *ev = json_loadb(s + i, len - i, JSON_DISABLE_EOF_CHECK, &e);
        if (!ev || json_array_append_new(c->parsed, ev) < 0) {
            bad_output(c);
            return;
        }
        i += (size_t)e.position;
    }
    c->parse_pos = i;
}

/* First turn: how the parser ended (c->verdict, an error in plain words),
 * and the start of its output; parse_some reads the rest into c->parsed. */
static void read_outcome(sync_child *c)
{
    const char *error = NULL;
    if (c->spawn_error[0])
        error = c->spawn_error;
    else if (c->timed_out)
        error = "the calendar parser ran out of time and was stopped";
    else if (c->term_signal == SIGXCPU || c->term_signal == SIGKILL)
        error = "the calendar parser ran out of CPU time and was stopped";
    else if (c->term_signal)
        snprintf(c->verdict, sizeof c->verdict, "the calendar parser crashed (signal %d)",
                 c->term_signal);
    else if (c->exit_status != 0) {
        snprintf(c->verdict, sizeof c->verdict, "%s",
                 c->err_buf.len ? c->err_buf.data : "the calendar parser failed without a word");
        c->verdict[strcspn(c->verdict, "\n")] = '\0';
    } else if (c->out_buf.overflow)
        error = "the calendar parser's output was too large";
    if (error)
        snprintf(c->verdict, sizeof c->verdict, "%s", error);
    if (c->verdict[0]) {
        c->outcome_read = true;
        return;
    }
    size_t i = skip_space(c->out_buf.data, c->out_buf.len, 0);
    if (i >= c->out_buf.len || c->out_buf.data[i] != '[' || !(c->parsed = json_array())) {
        bad_output(c);
        return;
    }
    c->parse_pos = i + 1;
}

/* Last turn: the events to the host (the store), and the pull's end. */
static void judge(sync_member *m, sync_child *c)
{
    const char *error = c->verdict[0] ? c->verdict : submit(m, c->parsed, false);
    if (!error)
        m->events = (long)json_array_size(c->parsed);
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
    if (rc == 0)
        m->events = (long)c->n_events;
    child_free(c);
    sync_pull_done(m, rc ? "the events could not be stored (see the daemon's log)" : NULL, rc == 0);
}

static void on_judge_timer(uv_timer_t *t);
static void start_waiting_parsers(sync_plugin *sp);

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

static void on_child_closed(uv_handle_t *h)
{
    sync_member *m = h->data;
    sync_child *c = m->child;
    if (--c->open_handles > 0)
        return;
    if (!m->stopping) {
        m->sp->n_parsers--;
        enqueue_judge(m); /* m->child stays set: a reload does not pull it again */
        start_waiting_parsers(m->sp);
        return;
    }
    m->child = NULL;
    child_free(c);
    if (!m->timer.data)
        sync_member_free(m);
}

/* The pidfd outlives the poll on it: libuv drops it from epoll at close. */
static void on_watch_closed(uv_handle_t *h)
{
    sync_member *m = h->data;
    close(m->child->pidfd);
    m->child->pidfd = -1;
    on_child_closed(h);
}

static void close_child_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_child_closed);
}

/* The result is judged once the process has exited and both of its output
 * pipes are at EOF, i.e. when every handle is closed. */
static void maybe_finish(sync_member *m)
{
    sync_child *c = m->child;
    if (!c->exited || !uv_is_closing((uv_handle_t *)&c->out) ||
        !uv_is_closing((uv_handle_t *)&c->err))
        return;
    if (c->pidfd >= 0 && !uv_is_closing((uv_handle_t *)&c->exit_watch))
        uv_close((uv_handle_t *)&c->exit_watch, on_watch_closed);
    close_child_handle((uv_handle_t *)&c->deadline);
    close_child_handle((uv_handle_t *)&c->in);
}

static void on_exit_watch(uv_poll_t *p, int status, int events)
{
    sync_member *m = p->data;
    sync_child *c = m->child;
    (void)status;
    (void)events;
    /* A poll error (none is known for a pidfd) is left to waitid to tell. */
    int rc = sync_reap(c->pidfd, &c->exit_status, &c->term_signal);
    if (rc == EAGAIN)
        return;
    if (rc)
        snprintf(c->spawn_error, sizeof c->spawn_error,
                 "cannot learn how the calendar parser ended: %s", strerror(rc));
    uv_poll_stop(p);
    c->exited = true;
    uv_timer_stop(&c->deadline);
    maybe_finish(m);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    static char chunk[65536];
    (void)suggested;
    *buf = uv_buf_init(chunk, sizeof chunk);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    sync_member *m = s->data;
    sync_child *c = m->child;
    if (n > 0) {
        buf_put(s == (uv_stream_t *)&c->out ? &c->out_buf : &c->err_buf, buf->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    uv_read_stop(s);
    close_child_handle((uv_handle_t *)s);
    maybe_finish(m);
}

static void on_deadline(uv_timer_t *t)
{
    sync_member *m = t->data;
    m->child->timed_out = true;
    sync_kill(m->child->pidfd, SIGKILL);
}

static void on_written(uv_write_t *w, int status)
{
    sync_member *m = w->data;
    (void)status; /* EPIPE: the child stopped reading; its exit tells why */
    close_child_handle((uv_handle_t *)&m->child->in);
}

static void build_args(sync_member *m, char args[][32], char **argv)
{
    sync_plugin *sp = m->sp;
    int64_t now = (int64_t)time(NULL);
    int i = 0, k = 0;
    argv[k++] = (char *)sp->helper;
#define ARG(name, fmt, v)                                                                          \
    do {                                                                                           \
        argv[k++] = name;                                                                          \
        snprintf(args[i], sizeof args[i], fmt, v);                                                 \
        argv[k++] = args[i++];                                                                     \
    } while (0)
    ARG("--from", "%lld", (long long)(now - sp->window_past));
    ARG("--to", "%lld", (long long)(now + sp->window_future));
    ARG("--max-events", "%ld", sp->max_events);
    ARG("--mem-mb", "%ld", sp->parser_memory_mb);
    ARG("--cpu-s", "%ld", sp->parser_cpu_s);
    ARG("--max-bytes", "%zu", sp->max_bytes);
#undef ARG
    argv[k++] = "--tz";
    argv[k++] = (char *)sp->default_tz;
    if (m->pulled_private)
        argv[k++] = "--private";
    argv[k] = NULL;
}

static void init_handles(sync_member *m, sync_child *c)
{
    uv_loop_t *loop = m->sp->host->loop;
    uv_pipe_init(loop, &c->in, 0);
    uv_pipe_init(loop, &c->out, 0);
    uv_pipe_init(loop, &c->err, 0);
    uv_timer_init(loop, &c->deadline);
    c->in.data = c->out.data = c->err.data = c->deadline.data = c->exit_watch.data = m;
    c->write.data = m;
    c->open_handles = 4;
}

/* A pipe libuv refuses stays closed: the child sees EOF or EPIPE on it, and
 * the plugin an output pipe at EOF. */
static void open_pipe(uv_pipe_t *p, int fd)
{
    if (uv_pipe_open(p, fd) < 0)
        close(fd);
}

/* 0 or an errno. */
static int spawn(sync_member *m, sync_child *c)
{
    char args[8][32], *argv[24];
    build_args(m, args, argv);
    init_handles(m, c);
    sync_spawned run;
    int rc = sync_spawn(argv, &run);
    if (rc)
        return rc;
    c->pidfd = run.pidfd;
    open_pipe(&c->in, run.in);
    open_pipe(&c->out, run.out);
    open_pipe(&c->err, run.err);
    rc = uv_poll_init(m->sp->host->loop, &c->exit_watch, run.pidfd);
    if (rc < 0) {
        /* Not watched, it would never be reaped. */
        sync_kill_reap(run.pidfd);
        close(run.pidfd);
        c->pidfd = -1;
        return -rc;
    }
    uv_poll_start(&c->exit_watch, UV_READABLE, on_exit_watch);
    c->open_handles++;
    return 0;
}

/* Every handle is closed the usual way and the close callbacks report it. */
static void spawn_failed(sync_member *m, int rc)
{
    sync_child *c = m->child;
    snprintf(c->spawn_error, sizeof c->spawn_error, "cannot start the calendar parser %s: %s",
             m->sp->helper, strerror(rc));
    c->exited = true;
    close_child_handle((uv_handle_t *)&c->out);
    close_child_handle((uv_handle_t *)&c->err);
    maybe_finish(m);
}

static void start_reading(uv_pipe_t *p)
{
    if (uv_read_start((uv_stream_t *)p, on_alloc, on_read) < 0)
        close_child_handle((uv_handle_t *)p);
}

static void start_child(sync_member *m)
{
    sync_child *c = m->child;
    m->sp->n_parsers++;
    int rc = spawn(m, c);
    if (rc) {
        spawn_failed(m, rc);
        return;
    }
    long deadline_ms = m->sp->parser_cpu_s * 3000 + 5000;
    uv_timer_start(&c->deadline, on_deadline, (uint64_t)deadline_ms, 0);
    start_reading(&c->out);
    start_reading(&c->err);
    if (uv_write(&c->write, (uv_stream_t *)&c->in, &c->body, 1, on_written) < 0)
        close_child_handle((uv_handle_t *)&c->in);
}

static void start_waiting_parsers(sync_plugin *sp)
{
    while (sp->parse_head && sp->n_parsers < sp->max_parsers) {
        sync_member *m = sp->parse_head;
        sp->parse_head = m->next_parse;
        if (!sp->parse_head)
            sp->parse_tail = NULL;
        m->next_parse = NULL;
        start_child(m);
    }
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
    c->body = uv_buf_init(copy, (unsigned)r->body_len);
    c->out_buf.max = (size_t)m->sp->max_bytes * 4 + (1u << 20);
    c->err_buf.max = STDERR_MAX;
    c->pidfd = -1;
    m->child = c;
    sync_plugin *sp = m->sp;
    if (sp->parse_tail)
        sp->parse_tail->next_parse = m;
    else
        sp->parse_head = m;
    sp->parse_tail = m;
    start_waiting_parsers(sp);
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

/* A child that has not run yet, or whose result waits to be judged: no
 * handle of it is open. */
static bool child_idle(const sync_member *m)
{
    return m->child && m->child->open_handles == 0;
}

void sync_pull_abort(sync_member *m)
{
    if (m->fetch_waiting)
        fetch_dequeue(m);
    if (m->xfer)
        m->sp->host->xfer_cancel(m->xfer);
    if (child_idle(m)) {
        /* fini drops both queues (sp goes with it): only the child's
         * memory is left to free. */
        child_free(m->child);
        m->child = NULL;
        m->next_judged = m->next_parse = NULL;
    } else if (m->child && !m->child->exited) {
        sync_kill(m->child->pidfd, SIGKILL);
    }
}
