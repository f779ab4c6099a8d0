/* One client connection: reading, parsing one request at a time, timers,
 * writing the response, and closing without losing the last answer. */
#include "http_internal.h"

#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void on_timer(uv_timer_t *t);
static void conn_parse(ag_http_conn *c);
static void conn_parse_buffered(ag_http_conn *c);
static void refuse(ag_http_conn *c, int status);

static void arm_timer(ag_http_conn *c, int64_t ms)
{
    uv_timer_start(&c->timer, on_timer, ms > 0 ? (uint64_t)ms : 1, 0);
}

/* ---- llhttp callbacks: they collect the request and flag refusals ----
 *
 * They answer in llhttp's terms: 0, -1 (refuse: conn_parse answers
 * status_on_error, 400 unless set), or HPE_PAUSED. */

/* A collected piece that found no room: 500, not the client's fault. */
static int collected(ag_http_conn *c, int rc)
{
    if (rc == 0)
        return 0;
    c->status_on_error = 500;
    return -1;
}

static int on_message_begin(llhttp_t *p)
{
    ag_http_conn *c = p->data;
    c->in_message = true;
    c->header_bytes = 0;
    c->status_on_error = 0;
    c->req = ag_http_request_new(c->srv, c);
    arm_timer(c, c->srv->limits.header_timeout_ms);
    return collected(c, c->req ? 0 : AG_ENOMEM);
}

/* Counts len more bytes of the header block; true (431 set) beyond the
 * limit. */
static bool too_many_header_bytes(ag_http_conn *c, size_t len)
{
    c->header_bytes += len;
    if (c->header_bytes > (size_t)c->srv->limits.max_header_bytes) {
        c->status_on_error = 431;
        return true;
    }
    return false;
}

static int on_url(llhttp_t *p, const char *at, size_t len)
{
    ag_http_conn *c = p->data;
    if (c->req->url.len + len > (size_t)c->srv->limits.max_url_bytes) {
        c->status_on_error = 414;
        return -1;
    }
    if (too_many_header_bytes(c, len))
        return -1;
    return collected(c, ag_http_sbuf_add(&c->req->url, at, len));
}

static int on_header_field(llhttp_t *p, const char *at, size_t len)
{
    ag_http_conn *c = p->data;
    if (too_many_header_bytes(c, len))
        return -1;
    return collected(c, ag_http_sbuf_add(&c->req->field, at, len));
}

static int on_header_value(llhttp_t *p, const char *at, size_t len)
{
    ag_http_conn *c = p->data;
    if (too_many_header_bytes(c, len))
        return -1;
    return collected(c, ag_http_sbuf_add(&c->req->value, at, len));
}

static int on_header_value_complete(llhttp_t *p)
{
    ag_http_conn *c = p->data;
    /* ": " and CRLF count against the limit too. */
    if (too_many_header_bytes(c, 4))
        return -1;
    return collected(c, ag_http_request_add_header(c->req));
}

static bool method_allowed(uint8_t m)
{
    return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS;
}

/* A POST's headers are in: whether its body is read. Only on the paths the
 * application accepts POST on, and only an HTML form's body within the
 * limit; elsewhere a POST with a body is refused here like any body (and
 * one without reaches dispatch, which answers 405 as for any method). */
static int on_post_headers(ag_http_conn *c, llhttp_t *p, bool has_body)
{
    ag_http_request *req = c->req;
    int status = ag_http_request_parse_target(req);
    if (status != 0) {
        c->status_on_error = status;
        return -1;
    }
    ag_http_server *s = c->srv;
    if (!s->post_fn || !s->post_fn(req->path, s->post_data)) {
        c->status_on_error = 405;
        return has_body ? -1 : 0;
    }
    if (has_body && !ag_http_request_is_form_type(ag_http_header(req, "Content-Type"))) {
        c->status_on_error = 415;
        return -1;
    }
    if (!(p->flags & F_CHUNKED) && p->content_length > AG_HTTP_MAX_FORM_BYTES) {
        c->status_on_error = 413;
        return -1;
    }
    req->post_ok = true;
    /* The body must come as promptly as the headers did. */
    if (has_body)
        arm_timer(c, s->limits.header_timeout_ms);
    return 0;
}

static int on_headers_complete(llhttp_t *p)
{
    ag_http_conn *c = p->data;
    ag_http_request *req = c->req;
    uv_timer_stop(&c->timer);
    req->method = llhttp_get_method(p);
    req->http_major = llhttp_get_http_major(p);
    req->http_minor = llhttp_get_http_minor(p);
    bool has_body = (p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) || p->content_length > 0;
    if (req->method == HTTP_POST)
        return on_post_headers(c, p, has_body);
    /* We never read other bodies: refusing them here, and closing
     * afterwards, means we never have to find where a body ends. */
    if (has_body) {
        c->status_on_error = method_allowed(req->method) ? 413 : 405;
        return -1;
    }
    return 0;
}

/* Only an accepted POST's body gets here (any other was refused). */
static int on_body(llhttp_t *p, const char *at, size_t len)
{
    ag_http_conn *c = p->data;
    ag_http_request *req = c->req;
    if (!req->post_ok)
        return -1;
    if (req->body.len + len > AG_HTTP_MAX_FORM_BYTES) {
        c->status_on_error = 413;
        return -1;
    }
    return collected(c, ag_http_sbuf_add(&req->body, at, len));
}

static int on_message_complete(llhttp_t *p)
{
    ag_http_conn *c = p->data;
    c->req->keep_alive = llhttp_should_keep_alive(p) && !llhttp_get_upgrade(p);
    c->in_message = false;
    uv_timer_stop(&c->timer); /* a POST's body timer */
    /* One request at a time: the rest of the buffer waits for the answer. */
    return HPE_PAUSED;
}

static const llhttp_settings_t parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- reading ---- */

/* libuv asks for a buffer when bytes have arrived: a connection that sends
 * nothing never holds one. A zero-length buffer makes libuv report
 * UV_ENOBUFS to on_read. */
static char *take_rbuf(ag_http_server *s)
{
    return s->nspare_bufs > 0 ? s->spare_bufs[--s->nspare_bufs] : malloc(AG_HTTP_READ_BUF);
}

static void give_rbuf(ag_http_server *s, char *b)
{
    if (b && s->nspare_bufs < AG_HTTP_SPARE_BUFS)
        s->spare_bufs[s->nspare_bufs++] = b;
    else
        free(b);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    ag_http_conn *c = h->data;
    if (!c->rbuf && !(c->rbuf = take_rbuf(c->srv))) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    if (c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    *buf = uv_buf_init(c->rbuf + c->rlen, (unsigned)(AG_HTTP_READ_BUF - c->rlen));
}

/* Everything read has been parsed (the parser copies out what it keeps):
 * the buffer goes back until more bytes arrive. */
static void release_rbuf(ag_http_conn *c)
{
    if (c->rpos < c->rlen)
        return;
    give_rbuf(c->srv, c->rbuf);
    c->rbuf = NULL;
    c->rpos = c->rlen = 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void set_reading(ag_http_conn *c, bool want)
{
    if (want == c->reading || c->closing)
        return;
    if (want && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
        ag_http_conn_close(c);
        return;
    }
    if (!want)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = want;
}

/* Reading goes on while a request is handled, to notice a reset, but only
 * into the fixed buffer: a client that pipelines faster than it reads our
 * answers is throttled by TCP, not by our memory. */
static void update_reading(ag_http_conn *c)
{
    set_reading(c, !c->peer_eof && c->rlen < AG_HTTP_READ_BUF);
}

static void on_eof(ag_http_conn *c)
{
    c->peer_eof = true;
    set_reading(c, false);
    /* A half-closed client may still wait for answers to what it sent. */
    if (c->state == CONN_READING)
        conn_parse(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    ag_http_conn *c = s->data;
    if (n == 0) {
        release_rbuf(c); /* nothing came after all */
        return;
    }
    if (c->state == CONN_LINGERING) {
        c->rlen = c->rpos = 0; /* drained, not parsed */
        release_rbuf(c);
        if (n < 0)
            ag_http_conn_close(c);
        return;
    }
    if (n == UV_EOF) {
        on_eof(c);
        return;
    }
    if (n < 0) {
        if (n == UV_ENOBUFS)
            ag_log(AG_LOG_ERR, "out of memory reading a request: connection closed");
        ag_http_conn_close(c);
        return;
    }
    c->rlen += (size_t)n;
    if (c->state == CONN_READING)
        conn_parse(c);
    else
        update_reading(c);
}

/* ---- dispatching ---- */

static void dispatch(ag_http_conn *c)
{
    ag_http_request *req = c->req;
    c->state = CONN_DISPATCHED;
    c->nrequests++;
    if (!req->keep_alive || c->nrequests >= c->srv->limits.max_requests_per_conn)
        c->close_after = true;
    if (req->method == HTTP_OPTIONS) {
        ag_http_respond_options(req);
        return;
    }
    if (!method_allowed(req->method) && !req->post_ok) {
        ag_http_respond_not_allowed(req);
        return;
    }
    int status = ag_http_request_parse_target(req);
    if (status == 0 && req->post_ok)
        status = ag_http_request_parse_form(req);
    if (status != 0) {
        ag_http_respond_error(req, status, req->post_ok ? "invalid form" : "invalid request target",
                              NULL);
        return;
    }
    c->srv->fn(req, c->srv->data);
}

/* Token bucket: a connection gets max_requests_per_sec requests a second
 * (and a burst as large). Over it, the next request waits instead of failing,
 * so that one connection cannot take the loop from everyone else. Returns
 * how long to wait, 0 when a request may go now. */
static uint64_t rate_wait_ms(ag_http_conn *c)
{
    int rate = c->srv->limits.max_requests_per_sec;
    if (rate <= 0)
        return 0;
    uint64_t now = uv_now(c->srv->loop);
    c->tokens += (double)(now - c->tokens_at) * rate / 1000.0;
    if (c->tokens > rate)
        c->tokens = rate;
    c->tokens_at = now;
    if (c->tokens >= 1.0) {
        c->tokens -= 1.0;
        return 0;
    }
    return (uint64_t)((1.0 - c->tokens) * 1000.0 / rate) + 1;
}

static void dispatch_when_allowed(ag_http_conn *c)
{
    ag_http_admit_busy(c);
    uint64_t wait = rate_wait_ms(c);
    if (wait == 0) {
        dispatch(c);
        return;
    }
    c->state = CONN_THROTTLED;
    arm_timer(c, (int64_t)wait);
}

static void conn_parse(ag_http_conn *c)
{
    c->parsing = true;
    conn_parse_buffered(c);
    c->parsing = false;
    if (c->closing)
        return;
    release_rbuf(c);
    /* Nothing left to answer from a client that has finished sending. */
    if (c->state == CONN_READING && c->peer_eof)
        ag_http_conn_close(c);
    else
        update_reading(c);
}

static void conn_parse_buffered(ag_http_conn *c)
{
    while (c->state == CONN_READING && !c->closing && c->rpos < c->rlen) {
        const char *start = c->rbuf + c->rpos;
        llhttp_errno_t err = llhttp_execute(&c->parser, start, c->rlen - c->rpos);
        if (err == HPE_OK) {
            c->rpos = c->rlen;
        } else if (err == HPE_PAUSED) {
            c->rpos = (size_t)(llhttp_get_error_pos(&c->parser) - c->rbuf);
            llhttp_resume(&c->parser);
            dispatch_when_allowed(c);
        } else {
            refuse(c, c->status_on_error ? c->status_on_error : 400);
        }
    }
}

/* Answers a request we will not hand to the application, then closes: after
 * a parse error we no longer know where the next request would start. */
static void refuse(ag_http_conn *c, int status)
{
    ag_http_admit_busy(c);
    c->close_after = true;
    c->in_message = false;
    if (!c->req)
        c->req = ag_http_request_new(c->srv, c);
    if (!c->req) {
        ag_http_conn_close(c);
        return;
    }
    c->state = CONN_DISPATCHED;
    if (status == 405)
        ag_http_respond_not_allowed(c->req);
    else
        ag_http_respond_error(c->req, status, NULL, NULL);
}

/* ---- writing and closing ---- */

/* One response on its way: its head and body, given to libuv a chunk at a
 * time (see write_chunk). */
typedef struct {
    uv_write_t w;
    ag_http_conn *c;
    char *head, *owned;
    ag_blob *blob;
    const char *rest; /* the body's bytes not handed to libuv yet */
} write_ctx;

static void write_ctx_free(write_ctx *w)
{
    free(w->head);
    free(w->owned);
    ag_blob_unref(w->blob);
    free(w);
}

static void on_shutdown(uv_shutdown_t *r, int status)
{
    ag_http_conn *c = r->data;
    if (status < 0 && !c->closing)
        ag_http_conn_close(c);
}

/* Half-close, then drain what the client still sends until it closes too:
 * closing with unread data would reset the connection and could destroy
 * our response in the client's receive buffer. */
static void start_linger(ag_http_conn *c)
{
    if (c->peer_eof) {
        ag_http_conn_close(c);
        return;
    }
    c->state = CONN_LINGERING;
    c->rlen = c->rpos = 0;
    release_rbuf(c);
    arm_timer(c, AG_HTTP_LINGER_MS);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        ag_http_conn_close(c);
        return;
    }
    set_reading(c, true);
}

/* The answer is out: read the next request, which conn_parse (already on
 * the stack when the answer was written at once) may have buffered. */
static void after_write(ag_http_conn *c)
{
    c->state = CONN_READING;
    ag_http_admit_idle(c);
    arm_timer(c, c->srv->limits.idle_timeout_ms);
    if (!c->parsing)
        conn_parse(c);
}

/* At most this many bytes go to one connection per loop turn. */
static size_t chunk_limit(const ag_http_conn *c)
{
    size_t k = c->srv->limits.write_chunk;
    return k > 0 && k < (1u << 30) ? k : 1u << 30;
}

static void note_write(ag_http_conn *c, const uv_buf_t *bufs, unsigned nbufs)
{
    size_t n = 0;
    for (unsigned i = 0; i < nbufs; i++)
        n += bufs[i].len;
    if (n > c->srv->stats.largest_write)
        c->srv->stats.largest_write = n;
}

static void on_written(uv_write_t *wr, int status);

static int queue_write(write_ctx *w, const uv_buf_t *bufs, unsigned nbufs)
{
    note_write(w->c, bufs, nbufs);
    return uv_write(&w->w, (uv_stream_t *)&w->c->tcp, bufs, nbufs, on_written);
}

/* libuv writes a request at once when the socket's queue is empty, and
 * calls on_written on its next loop turn: handing it the body chunk by
 * chunk from there makes each connection wait its turn, where a whole body
 * in one request let one writev move megabytes while every other
 * connection waited. */
static int write_next_chunk(write_ctx *w)
{
    ag_http_conn *c = w->c;
    size_t n = c->unsent < chunk_limit(c) ? c->unsent : chunk_limit(c);
    uv_buf_t b = uv_buf_init((char *)w->rest, (unsigned)n);
    w->rest += n;
    c->unsent -= n;
    return queue_write(w, &b, 1);
}

static void on_written(uv_write_t *wr, int status)
{
    write_ctx *w = (write_ctx *)wr;
    ag_http_conn *c = w->c;
    if (!c->closing && status == 0 && c->unsent > 0) {
        if ((status = write_next_chunk(w)) == 0)
            return;
    }
    c->unsent = 0;
    write_ctx_free(w);
    /* On close, libuv cancels pending writes before the close callback, so c
     * is still valid here. */
    if (c->closing)
        return;
    if (status < 0) {
        ag_http_conn_close(c);
        return;
    }
    if (c->close_after) {
        start_linger(c);
        return;
    }
    after_write(c);
}

/* Drops the n bytes uv_try_write took from the front of bufs. */
static uv_buf_t *skip_written(uv_buf_t *bufs, unsigned *nbufs, size_t n)
{
    while (*nbufs > 0 && n >= bufs->len) {
        n -= bufs->len;
        bufs++;
        (*nbufs)--;
    }
    if (*nbufs > 0) {
        bufs->base += n;
        bufs->len -= n;
    }
    return bufs;
}

/* Most keep-alive answers fit the socket's send buffer: written here, they
 * need no write request, and libuv does not re-arm the socket after one
 * (an epoll_ctl per response: a third of a 304's system calls). What does
 * not fit goes through uv_write. 1: all written; 0: some left; or libuv's
 * error (an AG_E* code). */
static int try_write_now(ag_http_conn *c, uv_buf_t **bufs, unsigned *nbufs)
{
    if (c->close_after)
        return 0;
    int n = uv_try_write((uv_stream_t *)&c->tcp, *bufs, *nbufs);
    if (n == UV_EAGAIN || n == UV_ENOSYS)
        return 0;
    if (n < 0)
        return n;
    *bufs = skip_written(*bufs, nbufs, (size_t)n);
    return *nbufs == 0;
}

void ag_http_conn_write(ag_http_conn *c, char *head, size_t head_len, const char *body,
                        size_t body_len, char *owned_body, ag_blob *blob)
{
    write_ctx *w = calloc(1, sizeof *w);
    c->req = NULL;
    c->state = CONN_WRITING;
    if (!w) {
        ag_log(AG_LOG_ERR, "out of memory answering a request: connection closed");
        free(head);
        free(owned_body);
        ag_blob_unref(blob);
        ag_http_conn_close(c);
        return;
    }
    /* The head and the body's first chunk go now, the rest from on_written. */
    size_t limit = chunk_limit(c);
    size_t first = head_len >= limit ? 0 : limit - head_len;
    if (first > body_len)
        first = body_len;
    *w = (write_ctx){.c = c, .head = head, .owned = owned_body, .blob = blob};
    w->rest = body ? body + first : NULL; /* no body (304, HEAD): NULL + 0 is undefined */
    c->unsent = body_len - first;
    c->write_queue_seen = SIZE_MAX;
    arm_timer(c, c->srv->limits.idle_timeout_ms);
    uv_buf_t all[2] = {uv_buf_init(head, (unsigned)head_len),
                       uv_buf_init((char *)body, (unsigned)first)};
    uv_buf_t *bufs = all;
    unsigned nbufs = first ? 2 : 1;
    /* What fits in one chunk (every 304, most errors) needs no write
     * request when the socket takes it at once. */
    if (c->unsent == 0) {
        note_write(c, bufs, nbufs);
        int now = try_write_now(c, &bufs, &nbufs);
        if (now != 0) {
            write_ctx_free(w);
            if (now < 0)
                ag_http_conn_close(c);
            else
                after_write(c);
            return;
        }
    }
    if (queue_write(w, bufs, nbufs) < 0) {
        c->unsent = 0;
        write_ctx_free(w);
        ag_http_conn_close(c);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    ag_http_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    ag_http_server *s = c->srv;
    ag_http_server_unlink(s, c);
    s->nclosing--;
    give_rbuf(s, c->rbuf);
    free(c);
    ag_http_server_maybe_done(s);
}

void ag_http_conn_close(ag_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->srv->nclosing++;
    ag_http_admit_gone(c);
    if (c->req && c->state == CONN_DISPATCHED) {
        /* The application still holds it: it is freed when answered. */
        c->req->conn = NULL;
        c->srv->orphans++;
    } else if (c->req) {
        ag_http_request_free(c->req);
    }
    c->req = NULL;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

void ag_http_conn_close_if_idle(ag_http_conn *c)
{
    if (c->state == CONN_LINGERING)
        return;
    c->close_after = true;
    if (c->state != CONN_READING || c->in_message)
        return;
    if (c->nrequests > 0) {
        ag_http_conn_close(c);
        return;
    }
    /* Accepted but not read yet: its request may already be in the socket
     * buffer, and closing would lose it (a restart under socket activation
     * must lose nothing). Give it a short grace to arrive, then close. */
    int64_t grace = c->srv->limits.header_timeout_ms;
    arm_timer(c, grace < AG_HTTP_LINGER_MS ? grace : AG_HTTP_LINGER_MS);
}

/* A client that stops reading would hold its connection forever: while a
 * response is queued, each idle period must see some of it leave. */
static void check_write_progress(ag_http_conn *c)
{
    size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) + c->unsent;
    if (queued > 0 && queued >= c->write_queue_seen) {
        ag_http_conn_close(c);
        return;
    }
    c->write_queue_seen = queued;
    arm_timer(c, c->srv->limits.idle_timeout_ms);
}

static void on_timer(uv_timer_t *t)
{
    ag_http_conn *c = t->data;
    if (c->state == CONN_LINGERING) {
        ag_http_conn_close(c);
    } else if (c->state == CONN_THROTTLED) {
        c->tokens = 1.0;
        c->tokens_at = uv_now(c->srv->loop);
        dispatch_when_allowed(c);
    } else if (c->state == CONN_WRITING) {
        check_write_progress(c);
    } else if (c->state == CONN_READING) {
        if (c->in_message)
            refuse(c, 408);
        else
            ag_http_conn_close(c);
    }
}

/* ---- accepting ---- */

static void free_handle(uv_handle_t *h)
{
    free(h);
}

/* Out of memory for a connection: take it off the backlog and close it, so
 * the client learns at once instead of waiting in the queue. */
static void reject(ag_http_server *s)
{
    ag_log(AG_LOG_ERR, "out of memory accepting a connection: closed");
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t || uv_tcp_init(s->loop, t) != 0) {
        free(t);
        return;
    }
    uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)t);
    uv_close((uv_handle_t *)t, free_handle);
}

/* The peer's address into c->peer and *a; false when unknown. */
static bool read_peer(ag_http_conn *c, struct sockaddr_storage *a)
{
    int len = sizeof *a;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)a, &len) != 0)
        return false;
    if (a->ss_family == AF_INET6)
        uv_ip6_name((struct sockaddr_in6 *)a, c->peer, sizeof c->peer);
    else if (a->ss_family == AF_INET)
        uv_ip4_name((struct sockaddr_in *)a, c->peer, sizeof c->peer);
    return true;
}

/* Every connection is accepted (the listen backlog is no place to wait);
 * ag_http_admit_new then makes room for it under the limits, or closes
 * it. */
void ag_http_conn_accept(ag_http_server *s)
{
    ag_http_conn *c = calloc(1, sizeof *c);
    if (!c) {
        reject(s);
        return;
    }
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    ag_http_server_link(s, c);
    if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp) != 0) {
        ag_http_conn_close(c);
        return;
    }
    struct sockaddr_storage addr;
    ag_http_admit_new(c, read_peer(c, &addr) ? &addr : NULL);
    if (c->closing)
        return;
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, &parser_settings);
    c->parser.data = c;
    c->state = CONN_READING;
    c->tokens = s->limits.max_requests_per_sec;
    c->tokens_at = uv_now(s->loop);
    arm_timer(c, s->limits.header_timeout_ms);
    update_reading(c);
}
