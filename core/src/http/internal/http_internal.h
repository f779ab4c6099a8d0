/* Private to the http_*.c files: the structures behind the opaque handles of
 * http.h and the functions the parts call on each other. */
#ifndef AGENDAD_HTTP_INTERNAL_H
#define AGENDAD_HTTP_INTERNAL_H

#include "error.h"
#include "http.h"

#include <llhttp.h>

/* One read buffer per connection bounds what a pipelining or slow client can
 * make us hold: requests are parsed one at a time and reading stops when the
 * buffer is full. Its size does not limit a request's size: the parser
 * copies each piece out as it goes. It is allocated when bytes arrive and
 * freed once they are parsed, so that a connection waiting for a request
 * holds none. */
#define AG_HTTP_READ_BUF 16384
/* Read buffers given back are kept for the next reads, up to this many:
 * a malloc and free of 16 KiB per request was a twentieth of a 304's
 * instructions. */
#define AG_HTTP_SPARE_BUFS 16
/* Default of ag_http_limits.write_chunk: what one connection's socket is
 * given per loop turn at most (see tests/bench/fairness.py). */
#ifndef AG_HTTP_WRITE_CHUNK
#define AG_HTTP_WRITE_CHUNK (64 * 1024)
#endif
/* File descriptors kept beside max_connections for everything else the
 * daemon opens (the store, plugins, outbound connections). */
#define AG_HTTP_FD_RESERVE 256
/* After the last response, how long we drain the client's leftovers so that
 * closing does not reset the connection before it read our answer. */
#define AG_HTTP_LINGER_MS 1000

typedef struct {
    char *s;
    size_t len, cap;
    /* An add failed: every later one fails too, so that a text built by
     * many adds is checked once, at its end, and never goes out with a
     * piece missing. */
    bool failed;
} ag_sbuf;

/* 0, or AG_ENOMEM (also once an earlier add failed). */
int ag_http_sbuf_add(ag_sbuf *b, const char *s, size_t len);
int ag_http_sbuf_addf(ag_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_http_sbuf_free(ag_sbuf *b);
/* Hands over the string and empties b; NULL when memory ran out (now or
 * for an earlier add). */
char *ag_http_sbuf_take(ag_sbuf *b);

typedef struct {
    char *name, *value;
} ag_http_pair;

typedef enum {
    CONN_READING,    /* parsing; no request handed out */
    CONN_THROTTLED,  /* a complete request waits for the connection's rate limit */
    CONN_DISPATCHED, /* a request awaits ag_http_respond* */
    CONN_WRITING,    /* a response is being written */
    CONN_LINGERING,  /* last response sent, draining before close */
} ag_conn_state;

typedef struct ag_http_conn ag_http_conn;
typedef struct ag_http_addr ag_http_addr;

/* Intrusive queue of connections, oldest first (http_admit.c). */
typedef struct ag_http_node {
    struct ag_http_node *prev, *next;
} ag_http_node;

typedef struct {
    ag_http_node *head, *tail;
    int n;
} ag_http_queue;

struct ag_http_request {
    ag_http_server *srv;
    ag_http_conn *conn; /* NULL once the client is gone */
    uint8_t method;
    uint8_t http_major, http_minor;
    bool keep_alive;
    ag_sbuf url, field, value; /* accumulated while parsing */
    ag_http_pair *headers;
    size_t nheaders, cap_headers;
    char *path, *query;
    ag_http_pair *params;
    size_t nparams;
    bool target_parsed; /* path, query and params are set (a POST's, early) */
    bool post_ok;       /* a POST the application accepts: its form is read */
    ag_sbuf body;       /* a POST's body, AG_HTTP_MAX_FORM_BYTES at most */
    ag_http_pair *form; /* its fields, decoded */
    size_t nform;
    char peer[48];
    const char *route;   /* see ag_http_set_route; NULL: "unrouted" */
    bool private_answer; /* see ag_http_set_private */
};

struct ag_http_conn {
    ag_http_server *srv;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    llhttp_t parser;
    ag_conn_state state;
    ag_http_request *req; /* being parsed, or dispatched */
    int status_on_error;  /* set by a parser callback that refuses the request */
    size_t header_bytes;
    int nrequests;
    double tokens;      /* rate limit bucket: requests this connection may still make now */
    uint64_t tokens_at; /* uv_now() when tokens was last refilled */
    bool in_message;    /* the current request has started arriving */
    bool close_after;
    bool reading, closing, peer_eof;
    bool parsing; /* conn_parse is on the stack: an answer written at once returns to it */
    int open_handles;
    size_t write_queue_seen; /* bytes still queued at the last timer check */
    size_t unsent;           /* bytes of the response not handed to libuv yet */
    ag_http_conn *prev, *next;
    /* While it waits for a request: in the server's pending or idle queue,
     * and while pending, in its address's queue too (http_admit.c). */
    ag_http_queue *waiting_in;
    ag_http_node wait_node;
    ag_http_addr *addr;
    ag_http_node addr_node;
    char peer[48];
    size_t rlen, rpos;
    char *rbuf; /* AG_HTTP_READ_BUF bytes, or NULL while nothing is buffered */
};

struct ag_http_server {
    uv_loop_t *loop;
    ag_http_limits limits;
    ag_http_handler_fn fn;
    void *data;
    uv_tcp_t listener;
    bool listener_open, listener_closing;
    bool shutting_down;
    void (*done)(void *);
    void *done_data;
    int nconns;
    int nclosing; /* of nconns: closed, their handles not yet */
    int fd_cap;   /* connections the process has file descriptors for */
    int orphans;  /* requests whose connection closed before they were answered */
    ag_http_conn *conns;
    ag_http_observer_fn observer;
    void *observer_data;
    ag_http_post_fn post_fn; /* the paths POST is read on */
    void *post_data;
    /* http_admit.c: connections that wait for a request, oldest first */
    ag_http_queue pending, idle;
    ag_http_addr **addrs; /* hash table of addresses with pending connections */
    size_t naddr_buckets, naddrs;
    uint64_t noted_at; /* uv_now() of the last warning about evictions */
    uint64_t noted_evicted, noted_refused;
    ag_http_stats stats;
    char *spare_bufs[AG_HTTP_SPARE_BUFS];
    int nspare_bufs;
};

/* http.c */
void ag_http_server_maybe_done(ag_http_server *s);
void ag_http_server_link(ag_http_server *s, ag_http_conn *c);
void ag_http_server_unlink(ag_http_server *s, ag_http_conn *c);

/* http_admit.c */
/* c was just accepted from addr (NULL or another family: not counted per
 * address). Makes room for it under the limits by closing others, or
 * closes c itself (c->closing tells). */
void ag_http_admit_new(ag_http_conn *c, const struct sockaddr_storage *addr);
/* c has a complete request: it no longer waits. */
void ag_http_admit_busy(ag_http_conn *c);
/* c answered and waits for its next request (keep-alive). */
void ag_http_admit_idle(ag_http_conn *c);
/* c is closing. */
void ag_http_admit_gone(ag_http_conn *c);
/* Frees the address table (every connection is gone). */
void ag_http_admit_free(ag_http_server *s);

/* http_conn.c */
void ag_http_conn_accept(ag_http_server *s);
/* Queues head + body; takes ownership of head, owned_body and the blob ref. */
void ag_http_conn_write(ag_http_conn *c, char *head, size_t head_len, const char *body,
                        size_t body_len, char *owned_body, ag_blob *blob);
void ag_http_conn_close(ag_http_conn *c);
/* Closes a connection that has nothing in flight; on shutdown. */
void ag_http_conn_close_if_idle(ag_http_conn *c);

/* http_request.c */
ag_http_request *ag_http_request_new(ag_http_server *s, ag_http_conn *c);
void ag_http_request_free(ag_http_request *req);
/* The header field and value collected so far, added (or joined to an
 * earlier one of that name). 0, or AG_ENOMEM. */
int ag_http_request_add_header(ag_http_request *req);
/* Fills path, query and params from the URL (once). Returns 0, or an
 * HTTP status. */
int ag_http_request_parse_target(ag_http_request *req);
/* Whether a Content-Type value names an HTML form's urlencoded body. */
bool ag_http_request_is_form_type(const char *content_type);
/* Decodes the POST body into req->form. 0, or an HTTP status (400: a NUL
 * byte in a field; 500: out of memory). */
int ag_http_request_parse_form(ag_http_request *req);

/* http_response.c */
void ag_http_respond_options(ag_http_request *req);
void ag_http_respond_not_allowed(ag_http_request *req);
/* Whether this response lets the connection carry another request. */
bool ag_http_response_keeps_alive(const ag_http_request *req);

#endif
