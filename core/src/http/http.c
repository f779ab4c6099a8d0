/* The listening side of the HTTP server: sockets, limits, shutdown. */
#include "http_internal.h"

#include "log.h"

#include <arpa/inet.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

void ag_http_limits_default(ag_http_limits *l)
{
    l->max_connections = 16384;
    l->max_pending_per_address = 256;
    l->max_header_bytes = 16 * 1024;
    l->max_url_bytes = 8 * 1024;
    l->max_requests_per_conn = 1000;
    l->max_requests_per_sec = 1000;
    l->header_timeout_ms = 10 * 1000;
    l->idle_timeout_ms = 60 * 1000;
    l->write_chunk = AG_HTTP_WRITE_CHUNK;
}

/* Each connection is a file descriptor. Raises the soft limit to what
 * max_connections needs, as far as the hard limit allows (systemd's default
 * soft limit is 1024, for the sake of select(), which we do not use). When
 * it does not allow enough, says so, and admits only as many connections as
 * there are descriptors beside the reserve: then waiting connections make
 * room as at max_connections, where running out would have libuv close
 * every new connection unseen. */
static void fit_fd_limit(ag_http_server *s)
{
    int max_connections = s->limits.max_connections;
    s->fd_cap = INT_MAX;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)max_connections + AG_HTTP_FD_RESERVE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t can = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (can > rl.rlim_cur) {
            rl.rlim_cur = can;
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return;
    rlim_t cap =
        rl.rlim_cur > 2 * AG_HTTP_FD_RESERVE ? rl.rlim_cur - AG_HTTP_FD_RESERVE : rl.rlim_cur / 2;
    s->fd_cap = cap > 0 ? (int)cap : 1;
    ag_log(AG_LOG_WARNING,
           "http: max_connections is %d but this process may open only %llu files "
           "(LimitNOFILE=, ulimit -n): %d connections at most, %d files being kept for the "
           "rest",
           max_connections, (unsigned long long)rl.rlim_cur, s->fd_cap,
           (int)(rl.rlim_cur - (rlim_t)s->fd_cap));
}

int ag_http_server_new(uv_loop_t *loop, const ag_http_limits *limits, ag_http_handler_fn fn,
                       void *data, ag_http_server **out)
{
    ag_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return AG_ENOMEM;
    s->loop = loop;
    if (limits)
        s->limits = *limits;
    else
        ag_http_limits_default(&s->limits);
    s->fn = fn;
    s->data = data;
    fit_fd_limit(s);
    /* libuv writes with write(2): a client that resets its connection would
     * otherwise kill the whole daemon with SIGPIPE. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    *out = s;
    return 0;
}

static void set_err(char **err, const char *what, int rc)
{
    if (!err)
        return;
    const char *msg = uv_strerror(rc);
    size_t n = strlen(what) + strlen(msg) + 3;
    *err = malloc(n);
    if (*err)
        snprintf(*err, n, "%s: %s", what, msg);
}

static void on_listener_closed(uv_handle_t *h)
{
    ag_http_server *s = h->data;
    s->listener_closing = false;
    ag_http_server_maybe_done(s);
}

static void close_listener(ag_http_server *s)
{
    if (!s->listener_open)
        return;
    s->listener_open = false;
    s->listener_closing = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}

static void on_connection(uv_stream_t *listener, int status)
{
    ag_http_server *s = listener->data;
    if (status < 0 || s->shutting_down)
        return;
    ag_http_conn_accept(s);
}

static int init_listener(ag_http_server *s, char **err)
{
    if (s->listener_open || s->listener_closing || s->shutting_down) {
        set_err(err, "listen", UV_EBUSY);
        return UV_EBUSY;
    }
    int rc = uv_tcp_init(s->loop, &s->listener);
    if (rc < 0) {
        set_err(err, "uv_tcp_init", rc);
        return rc;
    }
    s->listener.data = s;
    s->listener_open = true;
    return 0;
}

/* A failed listen still leaves an initialised handle that must be closed. */
static int fail_listener(ag_http_server *s, char **err, const char *what, int rc)
{
    set_err(err, what, rc);
    close_listener(s);
    return rc;
}

/* Accepts "::1" as well as the bracketed "[::1]" of URLs and listen: lines. */
static int parse_addr(const char *host, int port, struct sockaddr_storage *addr)
{
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        host = buf;
    }
    if (strchr(host, ':'))
        return uv_ip6_addr(host, port, (struct sockaddr_in6 *)addr);
    return uv_ip4_addr(host, port, (struct sockaddr_in *)addr);
}

int ag_http_server_listen(ag_http_server *s, const char *host, int port, char **err)
{
    struct sockaddr_storage addr;
    int rc = parse_addr(host, port, &addr);
    if (rc < 0) {
        set_err(err, host, rc);
        return rc;
    }
    if ((rc = init_listener(s, err)) < 0)
        return rc;
    rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0);
    if (rc < 0)
        return fail_listener(s, err, "bind", rc);
    rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc < 0)
        return fail_listener(s, err, "listen", rc);
    return 0;
}

int ag_http_server_adopt(ag_http_server *s, int fd, char **err)
{
    int rc = init_listener(s, err);
    if (rc < 0)
        return rc;
    rc = uv_tcp_open(&s->listener, fd);
    if (rc < 0)
        return fail_listener(s, err, "adopt socket", rc);
    /* The socket already listens; uv_listen only registers our callback. */
    rc = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
    if (rc < 0)
        return fail_listener(s, err, "listen", rc);
    return 0;
}

int ag_http_server_port(const ag_http_server *s)
{
    struct sockaddr_storage addr;
    int len = sizeof addr;
    if (!s->listener_open)
        return UV_ENOTCONN;
    int rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&addr, &len);
    if (rc < 0)
        return rc;
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

void ag_http_server_observe(ag_http_server *s, ag_http_observer_fn fn, void *data)
{
    s->observer = fn;
    s->observer_data = data;
}

void ag_http_server_set_limits(ag_http_server *s, const ag_http_limits *limits)
{
    s->limits = *limits;
    fit_fd_limit(s);
}

void ag_http_server_accept_post(ag_http_server *s, ag_http_post_fn fn, void *data)
{
    s->post_fn = fn;
    s->post_data = data;
}

void ag_http_server_stats(const ag_http_server *s, ag_http_stats *out)
{
    *out = s->stats;
    out->open = s->nconns - s->nclosing;
    out->pending = s->pending.n;
    out->idle = s->idle.n;
    out->read_buffers = out->partial = 0;
    for (const ag_http_conn *c = s->conns; c; c = c->next) {
        out->read_buffers += c->rbuf != NULL;
        out->partial += c->waiting_in == &s->pending && c->in_message;
    }
}

void ag_http_server_maybe_done(ag_http_server *s)
{
    if (!s->shutting_down || !s->done || s->listener_open || s->listener_closing || s->nconns > 0 ||
        s->orphans > 0)
        return;
    void (*done)(void *) = s->done;
    s->done = NULL;
    done(s->done_data);
}

void ag_http_server_link(ag_http_server *s, ag_http_conn *c)
{
    c->prev = NULL;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
}

void ag_http_server_unlink(ag_http_server *s, ag_http_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
}

void ag_http_server_shutdown(ag_http_server *s, void (*done)(void *), void *data)
{
    s->shutting_down = true;
    s->done = done;
    s->done_data = data;
    close_listener(s);
    for (ag_http_conn *c = s->conns, *next; c; c = next) {
        next = c->next; /* closing may unlink c later, never now */
        ag_http_conn_close_if_idle(c);
    }
    ag_http_server_maybe_done(s);
}

void ag_http_server_free(ag_http_server *s)
{
    if (!s)
        return;
    /* Freeing with live handles would leave libuv pointing into freed memory:
     * that is a caller bug, so make it loud rather than a use-after-free. */
    if (s->listener_open || s->listener_closing || s->nconns > 0 || s->orphans > 0) {
        fprintf(stderr, "ag_http_server_free: server still has live connections\n");
        abort();
    }
    ag_http_admit_free(s);
    while (s->nspare_bufs > 0)
        free(s->spare_bufs[--s->nspare_bufs]);
    free(s);
}
