/* HTTP/1.1 server on the libuv loop, parsing with llhttp. It answers by
 * itself what needs no application knowledge: OPTIONS (204 with Allow and
 * CORS), methods other than GET/HEAD (405 with Allow), malformed requests
 * (400), oversized headers (431), URLs too long (414), request bodies (413),
 * and it enforces limits: connections, header bytes, header and idle
 * timeouts, requests per connection. The handler sees GET and HEAD, and
 * POST for the paths the application accepts it on (ag_http_server_accept_post):
 * an HTML form's body, application/x-www-form-urlencoded (else 415), of
 * AG_HTTP_MAX_FORM_BYTES at most (else 413); a POST elsewhere is 405 as
 * any other method. */
#ifndef AGENDAD_HTTP_H
#define AGENDAD_HTTP_H

#include "blob.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct ag_http_server ag_http_server;
typedef struct ag_http_request ag_http_request;

typedef struct {
    /* Beyond it, a new connection takes the place of the oldest one that has
     * not sent a complete request yet, else of the one idle on keep-alive
     * the longest; it is closed at once only when every other connection
     * has a request in progress. Fewer when the process may not open that
     * many files (see ag_http_server_new). */
    int max_connections;
    /* Connections from one address (IPv4, or an IPv6 /64) that have not sent
     * a complete request yet; beyond, that address's oldest such connection
     * is closed (0: no limit). */
    int max_pending_per_address;
    int max_header_bytes;      /* request line + headers; beyond: 431 */
    int max_url_bytes;         /* beyond: 414 */
    int max_requests_per_conn; /* then "Connection: close" */
    int max_requests_per_sec;  /* per connection, burst as large; beyond, requests wait (0: off) */
    int64_t header_timeout_ms; /* full headers must arrive within this: else 408/close */
    int64_t idle_timeout_ms;   /* keep-alive connection idle, or a response write making
                                  no progress (client not reading): close */
    /* Bytes of a response handed to a connection's socket per loop turn at
     * most, so that a large body cannot keep the loop from the others. */
    size_t write_chunk;
} ag_http_limits;

void ag_http_limits_default(ag_http_limits *l);

/* Called once per GET/HEAD request. The handler (or anything later, on the
 * loop) must call exactly one ag_http_respond* for req; req stays valid
 * until then even if the client has gone (the response is then dropped). */
typedef void (*ag_http_handler_fn)(ag_http_request *req, void *data);

/* The largest form body a POST may carry. */
#define AG_HTTP_MAX_FORM_BYTES 4096

/* Whether a POST to path (percent-decoded, without query) is read: called
 * once its headers are in, before any of its body is. */
typedef bool (*ag_http_post_fn)(const char *path, void *data);

/* limits may be NULL (defaults). Sets SIGPIPE to SIG_IGN if it is still at
 * SIG_DFL, since libuv writes with write(2). Raises the soft RLIMIT_NOFILE
 * to max_connections + 256 as far as the hard limit allows; short of that,
 * logs a warning and admits only as many connections as there are files
 * for beside those 256. Returns 0 or AG_ENOMEM. */
int ag_http_server_new(uv_loop_t *loop, const ag_http_limits *limits, ag_http_handler_fn fn,
                       void *data, ag_http_server **out);
/* Binds and listens on host:port (IPv4 or IPv6 literal, "[::1]" too).
 * 0, or libuv's code (an AG_E* code: UV_E* is -errno) with *err (malloc'd,
 * the caller frees it). */
int ag_http_server_listen(ag_http_server *s, const char *host, int port, char **err);
/* Adopts an already listening socket (systemd socket activation). */
int ag_http_server_adopt(ag_http_server *s, int fd, char **err);
/* The port actually bound (useful with port 0); a negative AG_E* code
 * when not listening. */
int ag_http_server_port(const ag_http_server *s);
void ag_http_server_set_limits(ag_http_server *s, const ag_http_limits *limits);
/* The paths POST is read on (fn NULL: none, the default). */
void ag_http_server_accept_post(ag_http_server *s, ag_http_post_fn fn, void *data);

/* Connections now, and what the server did to hold its ground since it was
 * created. */
typedef struct {
    int open;                    /* connections open now */
    int pending;                 /* of which: no complete request yet */
    int partial;                 /* of those: part of a request arrived (slow, dripping) */
    int idle;                    /* of which: idle on keep-alive between requests */
    int read_buffers;            /* of which: holding a read buffer now */
    uint64_t evicted;            /* closed to make room under max_connections */
    uint64_t evicted_by_address; /* closed for max_pending_per_address */
    uint64_t refused;            /* new connections closed at once: nobody could make room */
    size_t largest_write;        /* most bytes handed to a socket in one write */
} ag_http_stats;
void ag_http_server_stats(const ag_http_server *s, ag_http_stats *out);
/* Stops accepting; in-flight requests finish; idle connections close.
 * done(data) runs once every connection is gone; then free the server. */
void ag_http_server_shutdown(ag_http_server *s, void (*done)(void *), void *data);
/* Only once done has run (or nothing was ever opened): aborts otherwise. */
void ag_http_server_free(ag_http_server *s);

/* Names the route that takes req, for metrics: a template such as
 * "/feeds/members/{id}.ics", never the raw path, so that the number of
 * series stays bounded. route must outlive the request (a literal).
 * Requests that no handler named (answered by the server itself: 400, 405,
 * OPTIONS...) count as "unrouted". */
void ag_http_set_route(ag_http_request *req, const char *route);

/* Marks req's answer, whatever it is (errors too), as one for its
 * authorised reader only: no "Access-Control-Allow-Origin" (another site's
 * scripts must not read it with the reader's credentials), and
 * "Cache-Control: no-store" on ag_http_respond* unless the caller names a
 * Cache-Control (no shared or browser cache keeps it). */
void ag_http_set_private(ag_http_request *req);

/* Told of every response when it is handed to the connection: route as set
 * above, status, and the body bytes sent (0 for HEAD, 304...). */
typedef void (*ag_http_observer_fn)(const char *route, int status, size_t body_bytes, void *data);
void ag_http_server_observe(ag_http_server *s, ag_http_observer_fn fn, void *data);

/* Request accessors; strings borrowed, valid until the response is sent. */
bool ag_http_is_head(const ag_http_request *req);
bool ag_http_is_post(const ag_http_request *req);
/* "GET", "HEAD" or "POST": the methods a handler sees. */
const char *ag_http_method(const ag_http_request *req);
/* Decoded value of the first field `name` of a POST's form ("+" is a
 * space), or NULL (no such field, or not a POST). A field whose value
 * held a NUL byte refuses the whole form with 400 before the handler. */
const char *ag_http_form(const ag_http_request *req, const char *name);
/* Percent-decoded path, without query. Never contains NUL (such requests are
 * refused with 400 before the handler runs). */
const char *ag_http_path(const ag_http_request *req);
/* Raw query string without '?', or "". Bytes RFC 3986 does not allow there
 * ("{", "|", raw UTF-8...) come percent-encoded. */
const char *ag_http_query_string(const ag_http_request *req);
/* Decoded value of the first query parameter `name`, or NULL. */
const char *ag_http_query(const ag_http_request *req, const char *name);
/* Header value by case-insensitive name, or NULL. */
const char *ag_http_header(const ag_http_request *req, const char *name);
/* Peer address as text ("127.0.0.1"), for logs and loopback checks. */
const char *ag_http_peer(const ag_http_request *req);

/* What a request's "Authorization: Bearer TOKEN" says against token (NULL:
 * none is configured, so no header can match). The comparison takes the
 * same time whatever part of a guess is right. */
typedef enum {
    AG_HTTP_BEARER_MISSING, /* no Authorization header */
    AG_HTTP_BEARER_WRONG,   /* another scheme, or another token */
    AG_HTTP_BEARER_OK,
} ag_http_bearer;
ag_http_bearer ag_http_bearer_check(const ag_http_request *req, const char *token);

/* Sends b with conditional GET (If-None-Match, then If-Modified-Since → 304),
 * gzip when Accept-Encoding allows, ETag, Last-Modified, Cache-Control
 * (max-age seconds; negative: no-cache), CORS ("Access-Control-Allow-Origin: *"
 * once, exposing ETag), HEAD without body. The gzip variant's ETag is the
 * blob's with "-gz" inside the quotes; If-None-Match accepts either form.
 * 304 and HEAD carry the Content-Length the 200 would have had. Takes a new
 * reference of b. */
void ag_http_respond_blob(ag_http_request *req, ag_blob *b, int max_age);
/* Any other response. extra_headers: NULL-terminated "Name: value" lines or
 * NULL (lines with CR or LF are dropped). body is copied. 204 and 304 get no
 * body, and 204 no Content-Length (RFC 9110 8.6). */
void ag_http_respond(ag_http_request *req, int status, const char *content_type, const char *body,
                     size_t len, const char *const *extra_headers);
/* Short text/plain error ("404 Not Found\n<detail>\n"). */
void ag_http_respond_error(ag_http_request *req, int status, const char *detail,
                           const char *const *extra_headers);

#endif
