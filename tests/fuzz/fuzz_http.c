/* libFuzzer target: the HTTP request path as a client drives it — llhttp,
 * our limits, target decoding, the router and conditional GET — on the
 * daemon's real server and routes over the sample network, forms (POST
 * to rsvp's pages) included. Each input is
 * sent on a fresh connection to a Unix-domain listener (no ports, no
 * TIME_WAIT), the client half-closes, and the loop runs until both sides
 * have closed. "@ETAG@" in an input becomes the network feed's current
 * ETag, so that the fuzzer reaches 304s without guessing a hash. */
#include "http_internal.h"
#include "daemon_routes.h"
#include "service.h"
#include "tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static ag_service svc;
static ag_routes routes;
static ag_http_server *srv;
static char dir[256], sock_path[300], state_path[300];
static char etag[80];

typedef struct {
    uv_pipe_t pipe;
    uv_connect_t connect;
    uv_write_t write;
    uv_shutdown_t shutdown;
    uv_buf_t buf;
    bool closed;
} client;

static void cleanup(void)
{
    char p[320];
    unlink(sock_path);
    unlink(state_path);
    snprintf(p, sizeof p, "%s-wal", state_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", state_path);
    unlink(p);
    rmdir(dir);
}

static int listen_unix(void)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0)
        abort();
    return fd;
}

static void read_etag(void)
{
    ag_feed_query q = {.kind = AG_FEED_NETWORK, .lang = "ar", .slots = true};
    int64_t now = (int64_t)time(NULL);
    ag_service_default_window(&svc, now, &q);
    int status;
    char *err = NULL;
    ag_blob *b = ag_service_feed(&svc, &q, now, &status, &err);
    if (!b)
        abort();
    snprintf(etag, sizeof etag, "%s", ag_blob_etag(b));
    ag_blob_unref(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/agendad-fuzz-http-XXXXXX");
    if (!mkdtemp(dir) || ag_tz_init() != 0)
        abort();
    snprintf(sock_path, sizeof sock_path, "%s/http.sock", dir);
    snprintf(state_path, sizeof state_path, "%s/state.db", dir);
    atexit(cleanup);
    uv_loop_init(&loop);
    ag_overrides ov = {.state_path = state_path, .listen = "127.0.0.1:8080"};
    ag_diags diags = {0};
    char *err = NULL;
    if (ag_service_open(&svc, AGENDAD_SAMPLE_CONFIG, &ov, &diags, &err) != 0) {
        ag_diags_print(&diags, stderr);
        fprintf(stderr, "service: %s\n", err ? err : "?");
        abort();
    }
    read_etag();
    routes.svc = &svc;
    ag_http_limits lim;
    ag_http_limits_default(&lim);
    /* Within reach of the fuzzer's input sizes, so that 431 and 414 are hit. */
    lim.max_header_bytes = 4096;
    lim.max_url_bytes = 1024;
    if (ag_http_server_new(&loop, &lim, ag_daemon_routes_handle, &routes, &srv) != 0 ||
        ag_http_server_adopt(srv, listen_unix(), &err) != 0)
        abort();
    /* Forms as the daemon takes them: rsvp's pages read a POST's body. */
    ag_http_server_accept_post(srv, ag_daemon_routes_accepts_post, &routes);
    return 0;
}

/* Replaces every "@ETAG@" with the feed's ETag; malloc'd. */
static char *expand(const uint8_t *data, size_t size, size_t *out_len)
{
    static const char mark[] = "@ETAG@";
    size_t ml = sizeof mark - 1, el = strlen(etag);
    char *out = malloc(size / ml * el + size + 1);
    size_t o = 0;
    if (!out)
        abort();
    for (size_t i = 0; i < size;) {
        if (size - i >= ml && memcmp(data + i, mark, ml) == 0) {
            memcpy(out + o, etag, el);
            o += el;
            i += ml;
        } else {
            out[o++] = (char)data[i++];
        }
    }
    *out_len = o;
    return out;
}

static void on_closed(uv_handle_t *h)
{
    ((client *)h->data)->closed = true;
}

static void close_client(client *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->pipe))
        uv_close((uv_handle_t *)&c->pipe, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char sink[65536];
    *buf = uv_buf_init(sink, sizeof sink);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)buf;
    if (n < 0)
        close_client(s->data);
}

static void on_shutdown(uv_shutdown_t *r, int status)
{
    (void)r;
    (void)status;
}

static void on_write(uv_write_t *w, int status)
{
    client *c = w->data;
    if (status == 0)
        uv_shutdown(&c->shutdown, (uv_stream_t *)&c->pipe, on_shutdown);
}

static void on_connect(uv_connect_t *r, int status)
{
    client *c = r->data;
    if (status < 0) {
        close_client(c);
        return;
    }
    c->write.data = c;
    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
    uv_write(&c->write, (uv_stream_t *)&c->pipe, &c->buf, 1, on_write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len;
    char *bytes = expand(data, size, &len);
    client c = {.buf = uv_buf_init(bytes, (unsigned)len)};
    uv_pipe_init(&loop, &c.pipe, 0);
    c.pipe.data = c.connect.data = &c;
    uv_pipe_connect(&c.connect, &c.pipe, sock_path, on_connect);
    while (!c.closed || srv->nconns > 0)
        uv_run(&loop, UV_RUN_ONCE);
    free(bytes);
    return 0;
}
