/* Outbound network client on the daemon's loop: HTTP(S) requests and SMTP
 * submissions through libcurl's multi-socket API, driven by uv_poll/uv_timer
 * so that no transfer ever blocks the loop and no plugin integrates curl on
 * its own.
 *
 * Threading: call everything here from the loop's thread; callbacks run
 * there too. SMTP submissions alone run curl_easy_perform() on a thread of
 * libuv's pool (at most 3 at once, later ones wait their turn), because
 * libcurl 7.88 waits for the reply to the end of DATA without returning to
 * the loop. ag_net_new() calls curl_global_init(), which is thread-safe only
 * on libcurl builds with CURL_VERSION_THREADSAFE (Debian's is): elsewhere,
 * create the first ag_net before any other thread exists. It also ignores
 * SIGPIPE if its disposition is still the default, since a pool thread may
 * write to a reset connection.
 *
 * The daemon does not link this file: it is the network module's
 * (net_module.h), which the daemon loads at first use (net_lazy.h).
 *
 * Lifetime of a transfer: a submit function returns 0 and the done callback
 * then runs exactly once, later, on the loop (never from inside the submit
 * call), or it returns a negative AG_E* code (errno-valued: AG_EINVAL,
 * AG_ENOMEM, AG_EIO, AG_ESHUTDOWN once ag_net_free began) and the callback
 * never runs.
 * Everything a request points to is copied at submit time.
 *
 * Proxies: the environment (http_proxy, https_proxy, ALL_PROXY...) is
 * ignored, so that the daemon behaves the same under systemd as in an
 * admin's shell. ag_net_set_proxy() configures one explicitly; it applies to
 * HTTP(S) only, SMTP always connects directly. */
#ifndef AGENDAD_NET_H
#define AGENDAD_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct ag_net ag_net;
typedef struct ag_net_xfer ag_net_xfer;

/* Defaults for request fields left at zero. A total timeout always applies:
 * a peer that trickles bytes forever must not hold a transfer forever. */
#define AG_NET_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define AG_NET_DEFAULT_TOTAL_TIMEOUT_MS 60000L
#define AG_NET_DEFAULT_MAX_BODY_BYTES ((size_t)16 * 1024 * 1024)
#define AG_NET_DEFAULT_MAX_REDIRECTS 5

typedef enum {
    AG_NET_OK,        /* the exchange completed: any HTTP status, or SMTP accepted */
    AG_NET_FAILED,    /* transport or protocol failure, see error */
    AG_NET_CANCELLED, /* ag_net_cancel() or ag_net_free() */
} ag_net_outcome;

/* Everything is borrowed for the duration of the callback only. */
typedef struct {
    ag_net_outcome outcome;
    long status;       /* HTTP status of the last response, or last SMTP reply code; 0 if none */
    int curl_code;     /* CURLcode, for callers that need finer detail than outcome */
    const char *error; /* plain words when outcome != AG_NET_OK, else NULL */
    const char *body;  /* response body, NUL-terminated for convenience; "" if none */
    size_t body_len;
    const char *etag; /* headers of the last response (after redirects); NULL if absent */
    const char *last_modified;
    const char *content_type;
    long elapsed_ms;
} ag_net_result;

typedef void (*ag_net_done_fn)(const ag_net_result *r, void *data);

/* Zero means the default for every numeric field, so a designated
 * initializer with only url set is a valid GET. */
typedef struct {
    const char *url;    /* http:// or https:// */
    const char *method; /* GET, HEAD, POST, PUT, DELETE, REPORT, PROPFIND...; NULL: GET, or POST
                           when body is set */
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* request body, may contain NUL bytes */
    size_t body_len;
    long connect_timeout_ms;
    long total_timeout_ms;
    size_t max_body_bytes; /* larger responses fail with "response larger than N bytes" */
    int max_redirects;     /* 0: default; negative: do not follow redirects */
    const char *username;  /* HTTP basic auth; never logged, never sent to another host */
    const char *password;
    bool tls_insecure;   /* skip certificate and host name checks; for tests and lab setups only */
    const char *ca_file; /* PEM bundle replacing the system's CAs */
} ag_net_http_req;

typedef struct {
    const char *url;      /* smtp://host:port (STARTTLS per starttls) or smtps://host:port */
    bool starttls;        /* require STARTTLS on smtp:// (fail rather than send in clear) */
    const char *username; /* AUTH; never logged */
    const char *password;
    const char *from;        /* envelope sender (MAIL FROM), e.g. "agenda@example.ma" */
    const char *const *rcpt; /* envelope recipients, NULL-terminated, at least one */
    const char *message;     /* complete RFC 5322 message with CRLF line ends */
    size_t message_len;
    long connect_timeout_ms;
    long timeout_ms; /* whole submission */
    bool tls_insecure;
    const char *ca_file;
} ag_net_smtp_req;

/* The client's operations, declared once as types: net.c implements them
 * under the names below, the network module's table (net_module.h) carries
 * pointers of these types, and the daemon's lazy handle (net_lazy.h) offers
 * them on a handle that loads the module at its first transfer. */

/* Returns 0, or AG_EIO (curl cannot start) or AG_ENOMEM. */
typedef int ag_net_new_fn(uv_loop_t *loop, ag_net **out);

/* Cancels every pending transfer: their callbacks run before this returns,
 * each once, with AG_NET_CANCELLED. Closes the loop handles; the memory is
 * released by their close callbacks and, for SMTP submissions still on a
 * thread, when the thread ends (within about a second: it aborts at curl's
 * next progress call, and the total timeout bounds it anyway). So run the
 * loop with UV_RUN_DEFAULT until it returns before uv_loop_close(): their
 * uv_work_t keep it alive until then. No callback runs after this returns.
 * May be called from inside a done callback. NULL is a no-op. */
typedef void ag_net_free_fn(ag_net *n);

/* Starts a transfer: 0, and done runs once later; or a negative AG_E* code,
 * and done never runs. out_handle, if not NULL, receives a handle valid
 * until the callback starts. */
typedef int ag_net_http_fn(ag_net *n, const ag_net_http_req *req, ag_net_done_fn done, void *data,
                           ag_net_xfer **out_handle);
typedef int ag_net_smtp_fn(ag_net *n, const ag_net_smtp_req *req, ag_net_done_fn done, void *data,
                           ag_net_xfer **out_handle);

/* The callback runs once, later, with AG_NET_CANCELLED, unless the transfer
 * already finished, in which case it runs with its real result. Never call
 * it once the callback has started. An SMTP submission cancelled on its
 * thread may still reach the server (the reply to the end of DATA may be
 * on its way), exactly as one cancelled on the loop could. */
typedef void ag_net_cancel_fn(ag_net_xfer *x);

ag_net_new_fn ag_net_new;
ag_net_free_fn ag_net_free;
ag_net_http_fn ag_net_http;
ag_net_smtp_fn ag_net_smtp;
ag_net_cancel_fn ag_net_cancel;

/* Proxy URL for HTTP(S) transfers submitted afterwards ("http://proxy:3128");
 * NULL or "" for direct connections (the default). no_proxy is a curl
 * NOPROXY list ("localhost,127.0.0.1,.example.ma"), may be NULL. */
int ag_net_set_proxy(ag_net *n, const char *proxy, const char *no_proxy);

#endif
