/* libcurl's multi-socket API on the libuv loop, after curl's multi-uv
 * example: curl tells us which sockets to watch (socket callback → one
 * uv_poll_t per socket) and when to wake it (timer callback → one
 * uv_timer_t); we hand readiness back with curl_multi_socket_action() and
 * collect finished transfers with curl_multi_info_read().
 *
 * SMTP submissions do not use the multi: libcurl 7.88 waits for the reply to
 * the end of DATA (and to QUIT) in a blocking loop inside the multi's own
 * calls (smtp_done → smtp_block_statemach, curl issues #4015 and #8555), which
 * would stall the daemon's loop for as long as a slow server takes. Each one
 * runs curl_easy_perform() on a libuv threadpool thread instead and comes
 * back through the same done list and deliver() as HTTP transfers.
 *
 * Done callbacks only run from drain(), which is reached from a loop callback
 * after curl has returned, so user code never runs inside libcurl and may
 * submit, cancel, or even free the ag_net from there. */
#include "net.h"

#include "error.h"

#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sock sock;

/* Transfers live on exactly one list: running (HTTP, owned by curl's multi),
 * waiting (SMTP, not yet handed to a thread), threads (SMTP, on a thread) or
 * done (waiting for their callback). */
typedef struct {
    ag_net_xfer *head, *tail;
} xfer_list;

/* SMTP submissions on threads at once. libuv's pool has 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise and is shared by the whole process (DNS,
 * file system requests): one stays free for those, whatever SMTP servers do.
 * More submissions wait on the loop, in order. */
#define SMTP_THREADS 3

/* Who settled an SMTP submission on a thread: the thread (curl returned) or
 * the loop (cancel, free). Whoever changes it from WORKING decides the
 * outcome; the thread aborts at its next progress call once it reads
 * SETTLED_BY_LOOP. */
enum { WORKING, SETTLED_BY_THREAD, SETTLED_BY_LOOP };

struct ag_net {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t curl_timer;
    uv_timer_t deliver_timer; /* runs callbacks of cancelled transfers later */
    int open_handles;         /* n is freed when the last close callback runs */
    xfer_list running, waiting, threads, done;
    int smtp_threads; /* submissions on threads */
    sock *socks;      /* polls not yet closing */
    char *proxy, *no_proxy;
    bool draining, closing, torn_down;
};

struct sock {
    uv_poll_t poll;
    curl_socket_t fd;
    ag_net *net;
    sock *prev, *next;
};

struct ag_net_xfer {
    ag_net *net;
    ag_net_xfer *prev, *next;
    xfer_list *home; /* the list it is on, NULL when none */
    CURL *easy;
    ag_net_done_fn done;
    void *data;
    char *what; /* "GET https://host/path" without credentials nor query, for logs */
    bool is_smtp, queued, cancelled, too_big, proxied;
    CURLcode rc;
    uint64_t started;
    int max_redirects;
    struct curl_slist *list; /* HTTP headers or SMTP recipients; curl does not copy them */
    char *payload;           /* request body or SMTP message; curl does not copy it either */
    size_t payload_len, payload_off;
    char *resp;
    size_t resp_len, resp_cap, max_body;
    char errbuf[CURL_ERROR_SIZE];
    char msg[CURL_ERROR_SIZE + 128];
    /* SMTP on a thread. While on_thread, the thread alone touches easy and
     * everything curl's callbacks write (payload_off, resp, errbuf, rc); the
     * loop only reads state. on_thread and delivered are the loop's. */
    uv_work_t work;
    atomic_int state;
    bool on_thread, delivered;
};

/* ---- lists ---- */

static void list_push(xfer_list *l, ag_net_xfer *x)
{
    x->home = l;
    x->next = NULL;
    x->prev = l->tail;
    if (l->tail)
        l->tail->next = x;
    else
        l->head = x;
    l->tail = x;
}

static void list_remove(xfer_list *l, ag_net_xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else
        l->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        l->tail = x->prev;
    x->prev = x->next = NULL;
    x->home = NULL;
}

static void list_move(ag_net_xfer *x, xfer_list *to)
{
    list_remove(x->home, x);
    list_push(to, x);
}

/* ---- handle lifetime ---- */

static void net_release(ag_net *n)
{
    if (--n->open_handles > 0 || !n->torn_down)
        return;
    free(n->proxy);
    free(n->no_proxy);
    free(n);
    curl_global_cleanup();
}

static void on_timer_closed(uv_handle_t *h)
{
    net_release(h->data);
}

static void on_sock_closed(uv_handle_t *h)
{
    sock *s = h->data;
    ag_net *n = s->net;
    free(s);
    net_release(n);
}

/* The uv_poll_t must outlive uv_close(): libuv still owns it until the close
 * callback, so it is freed there and never here. */
static void sock_close(sock *s)
{
    ag_net *n = s->net;
    if (s->prev)
        s->prev->next = s->next;
    else
        n->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static void teardown(ag_net *n)
{
    if (n->torn_down)
        return;
    n->torn_down = true;
    /* Closing cached connections calls the socket callback with
     * CURL_POLL_REMOVE, which closes their polls. */
    curl_multi_cleanup(n->multi);
    n->multi = NULL;
    while (n->socks)
        sock_close(n->socks);
    uv_close((uv_handle_t *)&n->curl_timer, on_timer_closed);
    uv_close((uv_handle_t *)&n->deliver_timer, on_timer_closed);
}

/* ---- results ---- */

static void xfer_free(ag_net_xfer *x)
{
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->list);
    free(x->payload);
    free(x->resp);
    free(x->what);
    free(x);
}

/* curl says "Couldn't connect to server" for every cause; the errno says
 * which (refused, unreachable...). The address is that of the last redirect,
 * where the connection failed, unless a proxy was in the way: then only
 * curl's message knows whether it was the proxy, and it keeps the word. */
/* errno's words in English whatever LC_MESSAGES: they end up in log lines
 * (the module does not link the core's ag_strerror). */
static const char *os_strerror(int e)
{
    const char *s = strerrordesc_np(e);
    return s ? s : "unknown error";
}

static const char *describe_connect_error(ag_net_xfer *x)
{
    long os_errno = 0;
    char *eff = NULL, *host = NULL, *port = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &eff);
    CURLU *u = curl_url();
    if (!os_errno)
        snprintf(x->msg, sizeof(x->msg), "%s", x->errbuf[0] ? x->errbuf : "cannot connect");
    else if (x->proxied || !eff || !u || curl_url_set(u, CURLUPART_URL, eff, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        snprintf(x->msg, sizeof(x->msg), "%s (%s)", x->errbuf, os_strerror((int)os_errno));
    else
        snprintf(x->msg, sizeof(x->msg), "cannot connect to %s port %s: %s", host, port,
                 os_strerror((int)os_errno));
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return x->msg;
}

/* Plain words for a log line or an admin; curl's own buffer when it says
 * more than we could. */
static const char *describe_error(ag_net_xfer *x)
{
    if (x->cancelled)
        return "cancelled";
    if (x->too_big || x->rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(x->msg, sizeof(x->msg), "response larger than %zu bytes", x->max_body);
        return x->msg;
    }
    switch (x->rc) {
    case CURLE_OK:
        return NULL;
    case CURLE_COULDNT_CONNECT:
        return describe_connect_error(x);
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(x->msg, sizeof(x->msg), "more than %d redirects", x->max_redirects);
        return x->msg;
    default:
        return x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->rc);
    }
}

/* curl_easy_header() values only live until its next call, so each is
 * copied; NULL when absent. */
static char *header_copy(ag_net_xfer *x, const char *name)
{
    struct curl_header *h = NULL;
    if (x->is_smtp || x->cancelled)
        return NULL;
    if (curl_easy_header(x->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    return strdup(h->value);
}

static void deliver(ag_net_xfer *x)
{
    ag_net_result r = {0};
    r.outcome = x->cancelled ? AG_NET_CANCELLED : x->rc == CURLE_OK ? AG_NET_OK : AG_NET_FAILED;
    r.curl_code = x->cancelled ? CURLE_ABORTED_BY_CALLBACK : x->rc;
    r.error = describe_error(x);
    if (!x->cancelled)
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
    /* A cancelled submission's thread may still be writing its buffers. */
    r.body = x->resp && !x->on_thread ? x->resp : "";
    r.body_len = x->on_thread ? 0 : x->resp_len;
    char *etag = header_copy(x, "ETag");
    char *last_modified = header_copy(x, "Last-Modified");
    char *content_type = header_copy(x, "Content-Type");
    r.etag = etag;
    r.last_modified = last_modified;
    r.content_type = content_type;
    r.elapsed_ms = (long)(uv_now(x->net->loop) - x->started);
    ag_log(AG_LOG_DEBUG, "net: %s: %ld%s%s (%ld ms)", x->what, r.status, r.error ? ", " : "",
           r.error ? r.error : "", r.elapsed_ms);
    x->done(&r, x->data);
    free(etag);
    free(last_modified);
    free(content_type);
}

/* Runs queued callbacks. Re-entered from a callback (ag_net_cancel,
 * ag_net_free) it returns at once: the outer call picks up what was queued. */
static void drain(ag_net *n)
{
    if (n->draining)
        return;
    n->draining = true;
    ag_net_xfer *x;
    while ((x = n->done.head)) {
        list_remove(&n->done, x);
        deliver(x);
        if (x->on_thread)
            x->delivered = true; /* freed once its thread has let go */
        else
            xfer_free(x);
    }
    n->draining = false;
    if (n->closing)
        teardown(n);
}

static void on_deliver(uv_timer_t *t)
{
    drain(t->data);
}

static void finish(ag_net_xfer *x, CURLcode rc, bool cancelled)
{
    ag_net *n = x->net;
    curl_multi_remove_handle(n->multi, x->easy);
    x->rc = rc;
    x->cancelled = cancelled;
    x->queued = true;
    list_remove(&n->running, x);
    list_push(&n->done, x);
}

/* Settled by the loop, its callback to come from drain(). */
static void queue_cancelled(ag_net_xfer *x)
{
    x->cancelled = true;
    x->queued = true;
    list_move(x, &x->net->done);
}

/* ---- SMTP on threads ---- */

/* On the thread. Non-zero aborts with CURLE_ABORTED_BY_CALLBACK; curl calls
 * this at least once a second, also while it waits for a reply, which bounds
 * how long a cancelled submission keeps its thread. */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    ag_net_xfer *x = p;
    return atomic_load(&x->state) == SETTLED_BY_LOOP;
}

static void smtp_work(uv_work_t *w)
{
    ag_net_xfer *x = w->data;
    if (atomic_load(&x->state) != WORKING)
        return;
    x->rc = curl_easy_perform(x->easy);
    int expected = WORKING;
    atomic_compare_exchange_strong(&x->state, &expected, SETTLED_BY_THREAD);
}

static void smtp_worked(uv_work_t *w, int status);

static void smtp_start_waiting(ag_net *n)
{
    ag_net_xfer *x;
    while (!n->closing && n->smtp_threads < SMTP_THREADS && (x = n->waiting.head)) {
        if (uv_queue_work(n->loop, &x->work, smtp_work, smtp_worked) != 0) {
            x->rc = CURLE_FAILED_INIT;
            x->queued = true;
            list_move(x, &n->done);
            uv_timer_start(&n->deliver_timer, on_deliver, 0, 0);
            continue;
        }
        x->on_thread = true;
        list_move(x, &n->threads);
        n->smtp_threads++;
        n->open_handles++; /* n outlives the thread, even past ag_net_free() */
    }
}

/* On the loop, once the thread has let go of x: libuv's handoff orders
 * everything the thread wrote before what follows. */
static void smtp_worked(uv_work_t *w, int status)
{
    (void)status; /* UV_ECANCELED only for a submission the loop had settled */
    ag_net_xfer *x = w->data;
    ag_net *n = x->net;
    x->on_thread = false;
    n->smtp_threads--;
    if (x->delivered) {
        xfer_free(x);
    } else if (!x->queued) {
        x->queued = true;
        list_move(x, &n->done);
    }
    smtp_start_waiting(n);
    drain(n);
    net_release(n);
}

/* Settles x as cancelled unless its thread finished first, in which case
 * its real result is on its way and false is returned. */
static bool smtp_cancel(ag_net_xfer *x)
{
    int expected = WORKING;
    if (!atomic_compare_exchange_strong(&x->state, &expected, SETTLED_BY_LOOP))
        return false;
    if (x->on_thread)
        uv_cancel((uv_req_t *)&x->work); /* not started yet: it never will */
    queue_cancelled(x);
    return true;
}

static void collect_done(ag_net *n)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(n->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
        /* finish() invalidates m: read the result first. */
        CURLcode rc = m->data.result;
        finish((ag_net_xfer *)x, rc, false);
    }
    drain(n);
}

/* ---- curl ↔ libuv ---- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock *s = h->data;
    ag_net *n = s->net;
    int flags = 0;
    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(n->multi, s->fd, flags, &running);
    collect_done(n);
}

static void on_curl_timeout(uv_timer_t *t)
{
    ag_net *n = t->data;
    int running;
    curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_done(n);
}

static sock *sock_open(ag_net *n, curl_socket_t fd)
{
    sock *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (uv_poll_init_socket(n->loop, &s->poll, fd) != 0) {
        free(s);
        return NULL;
    }
    s->fd = fd;
    s->net = n;
    s->poll.data = s;
    s->next = n->socks;
    if (n->socks)
        n->socks->prev = s;
    n->socks = s;
    n->open_handles++;
    curl_multi_assign(n->multi, fd, s);
    return s;
}

/* curl's socket callback, in curl's terms: 0, or -1 to fail the transfers
 * on fd. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    ag_net *n = userp;
    sock *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_close(s);
        return 0;
    }
    if (n->torn_down)
        return 0;
    if (!s && !(s = sock_open(n, fd)))
        return -1;
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&s->poll, events, on_poll) == 0 ? 0 : -1;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    ag_net *n = userp;
    if (n->torn_down)
        return 0;
    if (timeout_ms < 0) {
        uv_timer_stop(&n->curl_timer);
        return 0;
    }
    /* Never socket_action from here (curl is on the stack): let the loop call
     * back. 0 becomes 1 ms because libuv 1.44 runs a 0 ms timer started from a
     * timer callback in the same pass, and a curl asking for 0 again and again
     * would then starve the polls. */
    uv_timer_start(&n->curl_timer, on_curl_timeout, timeout_ms > 0 ? (uint64_t)timeout_ms : 1, 0);
    return 0;
}

/* ---- public: lifetime ---- */

/* Disposition is per process: an SMTP thread writing to a connection the
 * server has reset must not kill the daemon, whether or not an HTTP server
 * has already ignored SIGPIPE for its own writes. */
static void ignore_sigpipe(void)
{
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
}

int ag_net_new(uv_loop_t *loop, ag_net **out)
{
    *out = NULL;
    ignore_sigpipe();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AG_EIO;
    ag_net *n = calloc(1, sizeof(*n));
    if (!n || !(n->multi = curl_multi_init())) {
        free(n);
        curl_global_cleanup();
        return AG_ENOMEM;
    }
    n->loop = loop;
    curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
    uv_timer_init(loop, &n->curl_timer);
    uv_timer_init(loop, &n->deliver_timer);
    n->curl_timer.data = n;
    n->deliver_timer.data = n;
    n->open_handles = 2;
    *out = n;
    return 0;
}

void ag_net_free(ag_net *n)
{
    if (!n || n->closing)
        return;
    n->closing = true;
    while (n->running.head)
        finish(n->running.head, CURLE_OK, true);
    while (n->waiting.head)
        smtp_cancel(n->waiting.head);
    /* Those whose thread has finished but not yet come back are cancelled
     * like every other transfer in flight. */
    while (n->threads.head)
        if (!smtp_cancel(n->threads.head))
            queue_cancelled(n->threads.head);
    drain(n);
}

static int dup_opt(char **dst, const char *src)
{
    char *copy = NULL;
    if (src && *src && !(copy = strdup(src)))
        return AG_ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

int ag_net_set_proxy(ag_net *n, const char *proxy, const char *no_proxy)
{
    int rc = dup_opt(&n->proxy, proxy);
    return rc ? rc : dup_opt(&n->no_proxy, no_proxy);
}

void ag_net_cancel(ag_net_xfer *x)
{
    if (!x || x->queued)
        return;
    ag_net *n = x->net;
    if (!x->is_smtp)
        finish(x, CURLE_OK, true);
    else if (!smtp_cancel(x))
        return;
    uv_timer_start(&n->deliver_timer, on_deliver, 0, 0);
}

/* ---- submitting ---- */

static bool has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* Parses url with curl's own parser, checks its scheme against the allowed
 * ones and builds the log label without user, password nor query (feed
 * tokens travel in queries). */
static int url_label(const char *verb, const char *url, const char *s1, const char *s2,
                     char **label)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = AG_EINVAL;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (strcmp(scheme, s1) != 0 && strcmp(scheme, s2) != 0)
        goto out;
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    size_t len = strlen(verb) + strlen(scheme) + strlen(host) + (port ? strlen(port) : 0) +
                 (path ? strlen(path) : 0) + 8;
    rc = AG_ENOMEM;
    if ((*label = malloc(len))) {
        snprintf(*label, len, "%s %s://%s%s%s%s", verb, scheme, host, port ? ":" : "",
                 port ? port : "", path ? path : "");
        rc = 0;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
    ag_net_xfer *x = userp;
    size_t len = size * nmemb;
    if (len > x->max_body - x->resp_len) {
        x->too_big = true;
        return 0; /* short write: curl aborts with CURLE_WRITE_ERROR */
    }
    if (x->resp_len + len + 1 > x->resp_cap) {
        size_t cap = x->resp_cap ? x->resp_cap : 4096;
        while (cap < x->resp_len + len + 1)
            cap *= 2;
        char *grown = realloc(x->resp, cap);
        if (!grown)
            return 0;
        x->resp = grown;
        x->resp_cap = cap;
    }
    memcpy(x->resp + x->resp_len, ptr, len);
    x->resp_len += len;
    x->resp[x->resp_len] = '\0';
    return len;
}

static size_t on_upload(char *buf, size_t size, size_t nitems, void *userp)
{
    ag_net_xfer *x = userp;
    size_t len = x->payload_len - x->payload_off;
    if (len > size * nitems)
        len = size * nitems;
    memcpy(buf, x->payload + x->payload_off, len);
    x->payload_off += len;
    return len;
}

static int xfer_new(ag_net *n, ag_net_done_fn done, void *data, ag_net_xfer **out)
{
    ag_net_xfer *x = calloc(1, sizeof(*x));
    if (!x || !(x->easy = curl_easy_init())) {
        free(x);
        return AG_ENOMEM;
    }
    x->net = n;
    x->done = done;
    x->data = data;
    CURL *e = x->easy;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
    /* Signals belong to the daemon's loop; curl's threaded resolver needs none. */
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "agendad/" AGENDAD_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
    *out = x;
    return bad ? AG_EIO : 0;
}

static int set_common(ag_net_xfer *x, const char *user, const char *password, long connect_ms,
                      long total_ms, bool insecure, const char *ca_file)
{
    CURL *e = x->easy;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                            connect_ms > 0 ? connect_ms : AG_NET_DEFAULT_CONNECT_TIMEOUT_MS) !=
           CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                            total_ms > 0 ? total_ms : AG_NET_DEFAULT_TOTAL_TIMEOUT_MS) != CURLE_OK;
    /* curl copies strings it is given, so the caller's password is not kept here. */
    if (user)
        bad |= curl_easy_setopt(e, CURLOPT_USERNAME, user) != CURLE_OK;
    if (password)
        bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, password) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L) != CURLE_OK;
    if (ca_file)
        bad |= curl_easy_setopt(e, CURLOPT_CAINFO, ca_file) != CURLE_OK;
    return bad ? AG_EINVAL : 0;
}

static int copy_list(ag_net_xfer *x, const char *const *items)
{
    for (size_t i = 0; items && items[i]; i++) {
        if (has_crlf(items[i]))
            return AG_EINVAL; /* would inject a header or an SMTP command */
        struct curl_slist *l = curl_slist_append(x->list, items[i]);
        if (!l)
            return AG_ENOMEM;
        x->list = l;
    }
    return 0;
}

static int copy_payload(ag_net_xfer *x, const char *src, size_t len)
{
    if (!(x->payload = malloc(len + 1)))
        return AG_ENOMEM;
    if (len)
        memcpy(x->payload, src, len);
    x->payload[len] = '\0';
    x->payload_len = len;
    return 0;
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
            return false;
    return true;
}

static int set_method(ag_net_xfer *x, const char *method, const ag_net_http_req *req)
{
    CURL *e = x->easy;
    int bad = 0;
    if (!req->body && strcmp(method, "GET") == 0)
        return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK ? 0 : AG_EINVAL;
    if (!req->body && strcmp(method, "HEAD") == 0)
        return curl_easy_setopt(e, CURLOPT_NOBODY, 1L) == CURLE_OK ? 0 : AG_EINVAL;
    if (req->body || strcmp(method, "POST") == 0) {
        int rc = copy_payload(x, req->body, req->body ? req->body_len : 0);
        if (rc)
            return rc;
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->payload_len) !=
               CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->payload) != CURLE_OK;
    }
    if (strcmp(method, "POST") != 0)
        bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK;
    return bad ? AG_EINVAL : 0;
}

static int set_proxy(ag_net_xfer *x)
{
    ag_net *n = x->net;
    int bad = 0;
    /* "" rather than unset: an unset proxy lets curl read http_proxy & co. */
    bad |= curl_easy_setopt(x->easy, CURLOPT_PROXY, n->proxy ? n->proxy : "") != CURLE_OK;
    x->proxied = n->proxy != NULL;
    if (n->no_proxy)
        bad |= curl_easy_setopt(x->easy, CURLOPT_NOPROXY, n->no_proxy) != CURLE_OK;
    return bad ? AG_EINVAL : 0;
}

static int http_setup(ag_net_xfer *x, const ag_net_http_req *req)
{
    CURL *e = x->easy;
    const char *method = req->method ? req->method : req->body ? "POST" : "GET";
    if (!is_token(method))
        return AG_EINVAL;
    int rc = url_label(method, req->url, "http", "https", &x->what);
    if (!rc)
        rc = set_common(x, req->username, req->password, req->connect_timeout_ms,
                        req->total_timeout_ms, req->tls_insecure, req->ca_file);
    if (!rc)
        rc = set_method(x, method, req);
    if (!rc)
        rc = copy_list(x, req->headers);
    if (!rc)
        rc = set_proxy(x);
    if (rc)
        return rc;
    /* Without "Expect:", curl waits up to a second for a 100 Continue before
     * sending a large body to servers that never send one. */
    struct curl_slist *l = curl_slist_append(x->list, "Expect:");
    if (!l)
        return AG_ENOMEM;
    x->list = l;
    x->max_body = req->max_body_bytes ? req->max_body_bytes : AG_NET_DEFAULT_MAX_BODY_BYTES;
    x->max_redirects = req->max_redirects ? req->max_redirects : AG_NET_DEFAULT_MAX_REDIRECTS;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, x->max_redirects > 0 ? 1L : 0L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)x->max_redirects) != CURLE_OK;
    /* Fails before the first byte when Content-Length already says too much. */
    if (x->max_body < (size_t)INT64_MAX)
        bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body) != CURLE_OK;
    /* Decoded by curl, so the size limit also bounds what a gzip bomb expands to. */
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->list) != CURLE_OK;
    return bad ? AG_EINVAL : 0;
}

/* What curl_easy_perform() on a thread needs to end within bounded time
 * and leave nothing that blocks the loop. */
static int smtp_thread_setup(ag_net_xfer *x, long total_ms)
{
    CURL *e = x->easy;
    long total_s = ((total_ms > 0 ? total_ms : AG_NET_DEFAULT_TOTAL_TIMEOUT_MS) + 999) / 1000;
    int bad = 0;
    x->work.data = x;
    atomic_init(&x->state, WORKING);
    bad |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, x) != CURLE_OK;
    /* A connection kept for reuse would be closed by curl_easy_cleanup() on
     * the loop, which sends QUIT and waits for its reply there. */
    bad |= curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    /* The total timeout does not cover the wait for the reply to QUIT. */
    bad |= curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, total_s) != CURLE_OK;
    return bad ? AG_EINVAL : 0;
}

static int smtp_setup(ag_net_xfer *x, const ag_net_smtp_req *req)
{
    CURL *e = x->easy;
    if (!req->from || has_crlf(req->from) || !req->rcpt || !req->rcpt[0] || !req->message)
        return AG_EINVAL;
    x->is_smtp = true;
    x->max_body = AG_NET_DEFAULT_MAX_BODY_BYTES;
    int rc = url_label("SMTP", req->url, "smtp", "smtps", &x->what);
    if (!rc)
        rc = set_common(x, req->username, req->password, req->connect_timeout_ms, req->timeout_ms,
                        req->tls_insecure, req->ca_file);
    if (!rc)
        rc = copy_list(x, req->rcpt);
    if (!rc)
        rc = copy_payload(x, req->message, req->message_len);
    if (rc)
        return rc;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
    bad |=
        curl_easy_setopt(e, CURLOPT_USE_SSL,
                         req->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAIL_FROM, req->from) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->list) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_READDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->payload_len) != CURLE_OK;
    return bad ? AG_EINVAL : smtp_thread_setup(x, req->timeout_ms);
}

static int submit(ag_net *n, ag_net_xfer *x, int setup_rc, ag_net_xfer **out)
{
    if (setup_rc == 0 && !x->is_smtp && curl_multi_add_handle(n->multi, x->easy) != CURLM_OK)
        setup_rc = AG_EIO;
    if (setup_rc) {
        xfer_free(x);
        return setup_rc;
    }
    x->started = uv_now(n->loop);
    if (x->is_smtp) {
        list_push(&n->waiting, x);
        smtp_start_waiting(n);
    } else {
        list_push(&n->running, x);
    }
    if (out)
        *out = x;
    return 0;
}

static int check_args(ag_net *n, const void *req, const char *url, ag_net_done_fn done,
                      ag_net_xfer **out)
{
    if (out)
        *out = NULL;
    if (!n || !req || !url || !done)
        return AG_EINVAL;
    return n->closing ? AG_ESHUTDOWN : 0;
}

int ag_net_http(ag_net *n, const ag_net_http_req *req, ag_net_done_fn done, void *data,
                ag_net_xfer **out_handle)
{
    int rc = check_args(n, req, req ? req->url : NULL, done, out_handle);
    ag_net_xfer *x = NULL;
    if (rc || (rc = xfer_new(n, done, data, &x)) == AG_ENOMEM)
        return rc;
    return submit(n, x, rc ? rc : http_setup(x, req), out_handle);
}

int ag_net_smtp(ag_net *n, const ag_net_smtp_req *req, ag_net_done_fn done, void *data,
                ag_net_xfer **out_handle)
{
    int rc = check_args(n, req, req ? req->url : NULL, done, out_handle);
    ag_net_xfer *x = NULL;
    if (rc || (rc = xfer_new(n, done, data, &x)) == AG_ENOMEM)
        return rc;
    return submit(n, x, rc ? rc : smtp_setup(x, req), out_handle);
}
