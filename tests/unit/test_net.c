/* net: real transfers against peers on 127.0.0.1 that this test starts
 * (tests/peers/http_peer.py, tests/peers/smtp_peer.py) and stops by pid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t http_pid, smtp_pid;
static int http_port, smtp_port;
static char smtp_dir[] = "/tmp/agendad-test-net-XXXXXX";

/* ---- peers ---- */

static const char *python(void)
{
    /* Debian's interpreter: the one python3-aiosmtpd is installed for. */
    const char *p = getenv("AGENDAD_TEST_PYTHON");
    return p ? p : "/usr/bin/python3";
}

/* Starts a peer script and reads the port it prints on its first line. */
static int start_peer(const char *script, const char *arg, pid_t *pid)
{
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    if (!src)
        return -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/peers/%s", src, script);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *argv[] = {(char *)python(), path, (char *)arg, NULL};
    int rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    int port = -1;
    if (rc != 0 || !f || fscanf(f, "%d", &port) != 1)
        port = -1;
    if (f)
        fclose(f);
    return port;
}

static void stop_peer(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

static int peers_start(void **state)
{
    (void)state;
    http_port = start_peer("http_peer.py", "0", &http_pid);
    if (!mkdtemp(smtp_dir))
        return -1;
    smtp_port = start_peer("smtp_peer.py", smtp_dir, &smtp_pid);
    return http_port > 0 && smtp_port > 0 ? 0 : -1;
}

static int peers_stop(void **state)
{
    (void)state;
    stop_peer(http_pid);
    stop_peer(smtp_pid);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", smtp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- loop helpers ---- */

typedef struct {
    uv_loop_t loop;
    ag_net *net;
} fixture;

static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f || uv_loop_init(&f->loop) != 0 || ag_net_new(&f->loop, &f->net) != 0)
        return -1;
    *state = f;
    return 0;
}

/* Freeing the client, then running the loop dry, must leave no handle:
 * uv_loop_close() fails with UV_EBUSY otherwise. */
static int fixture_teardown(void **state)
{
    fixture *f = *state;
    ag_net_free(f->net);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&f->loop);
    free(f);
    return rc;
}

static void on_watchdog(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

static void on_tick(uv_timer_t *t)
{
    (*(int *)t->data)++;
}

static void on_nudge(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until *counter reaches target; fails after 20 s. libuv 1.44
 * runs due timers *before* it polls in UV_RUN_ONCE: a callback delivered
 * from a timer would leave uv_run blocked in the poll until the next event,
 * so a short ticker bounds each pass. */
static void run_until(uv_loop_t *loop, const int *counter, int target)
{
    bool expired = false;
    uv_timer_t watchdog, nudge;
    uv_timer_init(loop, &watchdog);
    uv_timer_init(loop, &nudge);
    watchdog.data = &expired;
    uv_timer_start(&watchdog, on_watchdog, 20000, 0);
    uv_timer_start(&nudge, on_nudge, 10, 10);
    while (*counter < target && !expired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&watchdog, NULL);
    uv_close((uv_handle_t *)&nudge, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    assert_false(expired);
}

/* Runs the loop for ms milliseconds. */
static void run_for(uv_loop_t *loop, uint64_t ms)
{
    int fired = 0;
    uv_timer_t t;
    uv_timer_init(loop, &t);
    t.data = &fired;
    uv_timer_start(&t, on_tick, ms, 0);
    while (!fired)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* ---- results ---- */

typedef struct {
    int calls;
    ag_net_outcome outcome;
    long status;
    int curl_code;
    long elapsed_ms;
    char *error, *body, *etag, *last_modified, *content_type;
    size_t body_len;
    int *counter; /* shared completion count, when several transfers run */
    ag_net *free_on_done;
    int submit_after_free; /* what submitting returned right after that free */
} capture;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void on_done(const ag_net_result *r, void *data)
{
    capture *c = data;
    c->calls++;
    c->outcome = r->outcome;
    c->status = r->status;
    c->curl_code = r->curl_code;
    c->elapsed_ms = r->elapsed_ms;
    c->error = dup_or_null(r->error);
    c->body = malloc(r->body_len + 1);
    memcpy(c->body, r->body, r->body_len + 1);
    c->body_len = r->body_len;
    c->etag = dup_or_null(r->etag);
    c->last_modified = dup_or_null(r->last_modified);
    c->content_type = dup_or_null(r->content_type);
    if (c->counter)
        (*c->counter)++;
    if (c->free_on_done) {
        ag_net_free(c->free_on_done);
        c->submit_after_free =
            ag_net_http(c->free_on_done, &(ag_net_http_req){.url = "http://x/"}, on_done, c, NULL);
    }
}

static void capture_clear(capture *c)
{
    free(c->error);
    free(c->body);
    free(c->etag);
    free(c->last_modified);
    free(c->content_type);
    memset(c, 0, sizeof(*c));
}

static char *url(const char *path)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", http_port, path);
    return buf;
}

/* One HTTP transfer, run to completion. */
static void http_run(fixture *f, const ag_net_http_req *req, capture *c)
{
    assert_int_equal(ag_net_http(f->net, req, on_done, c, NULL), 0);
    assert_int_equal(c->calls, 0); /* never from inside the submit call */
    run_until(&f->loop, &c->calls, 1);
    assert_int_equal(c->calls, 1);
}

/* ---- HTTP ---- */

static void get_with_etag_then_304(void **state)
{
    fixture *f = *state;
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics")}, &c);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 200);
    assert_null(c.error);
    assert_non_null(strstr(c.body, "BEGIN:VCALENDAR\r\n"));
    assert_string_equal(c.etag, "\"feed-v1\"");
    assert_string_equal(c.last_modified, "Tue, 07 Mar 2023 09:00:00 GMT");
    assert_string_equal(c.content_type, "text/calendar; charset=utf-8");

    char cond[128];
    snprintf(cond, sizeof(cond), "If-None-Match: %s", c.etag);
    const char *headers[] = {cond, NULL};
    capture_clear(&c);
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics"), .headers = headers}, &c);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 304);
    assert_int_equal(c.body_len, 0);
    assert_string_equal(c.etag, "\"feed-v1\"");
    capture_clear(&c);
}

static void redirects_followed_up_to_limit(void **state)
{
    fixture *f = *state;
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/redirect/3")}, &c);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 200);
    assert_string_equal(c.body, "landed");
    /* Headers are those of the last response only. */
    assert_string_equal(c.etag, "\"landed\"");
    assert_null(c.last_modified);
    capture_clear(&c);

    http_run(f, &(ag_net_http_req){.url = url("/redirect/10"), .max_redirects = 3}, &c);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    assert_string_equal(c.error, "more than 3 redirects");
    capture_clear(&c);

    http_run(f, &(ag_net_http_req){.url = url("/redirect/1"), .max_redirects = -1}, &c);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 302);
    capture_clear(&c);
}

static void total_timeout_applies(void **state)
{
    fixture *f = *state;
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/slow?ms=3000"), .total_timeout_ms = 300}, &c);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    assert_int_equal(c.curl_code, 28); /* CURLE_OPERATION_TIMEDOUT */
    assert_non_null(strstr(c.error, "timed out"));
    assert_in_range(c.elapsed_ms, 250, 2000);
    capture_clear(&c);
}

static void size_limit_applies(void **state)
{
    fixture *f = *state;
    const char *paths[] = {"/huge?bytes=1000000&cl=1", "/huge?bytes=1000000&cl=0"};
    for (size_t i = 0; i < 2; i++) {
        capture c = {0};
        http_run(f, &(ag_net_http_req){.url = url(paths[i]), .max_body_bytes = 100000}, &c);
        assert_int_equal(c.outcome, AG_NET_FAILED);
        assert_string_equal(c.error, "response larger than 100000 bytes");
        assert_true(c.body_len <= 100000);
        capture_clear(&c);
    }
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/huge?bytes=100000&cl=0"), .max_body_bytes = 100000},
             &c);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.body_len, 100000);
    capture_clear(&c);
}

/* Buffers are the caller's only until the submit call returns. */
static void post_sends_method_headers_body(void **state)
{
    fixture *f = *state;
    char *body = strdup("{\"event\":\"atelier-fes-2023\"}");
    char *h1 = strdup("Content-Type: application/json");
    char *h2 = strdup("X-Agendad-Test: \xd9\x88\xd8\xb1\xd8\xb4\xd8\xa9");
    const char **headers = calloc(3, sizeof(*headers));
    headers[0] = h1;
    headers[1] = h2;
    char *u = strdup(url("/echo"));
    ag_net_http_req req = {.url = u,
                           .headers = headers,
                           .body = body,
                           .body_len = strlen(body),
                           .username = "secretariat",
                           .password = "s3cret"};
    capture c = {0};
    assert_int_equal(ag_net_http(f->net, &req, on_done, &c, NULL), 0);
    free(body);
    free(h1);
    free(h2);
    free(headers);
    free(u);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_string_equal(c.content_type, "application/json");
    assert_non_null(strstr(c.body, "\"method\": \"POST\""));
    assert_non_null(strstr(c.body, "\"content-type\": \"application/json\""));
    assert_non_null(strstr(c.body, "\"user-agent\": \"agendad/" AGENDAD_VERSION "\""));
    /* base64("secretariat:s3cret") */
    assert_non_null(strstr(c.body, "\"authorization\": \"Basic c2VjcmV0YXJpYXQ6czNjcmV0\""));
    assert_non_null(strstr(c.body, "\"body\": \"{\\\"event\\\":\\\"atelier-fes-2023\\\"}\""));
    assert_null(strstr(c.body, "\"expect\""));
    capture_clear(&c);
}

static void other_methods(void **state)
{
    fixture *f = *state;
    const char *methods[] = {"PUT", "REPORT", "PROPFIND", "DELETE"};
    for (size_t i = 0; i < 4; i++) {
        bool with_body = i < 3;
        char expect[64];
        snprintf(expect, sizeof(expect), "\"method\": \"%s\"", methods[i]);
        capture c = {0};
        http_run(f,
                 &(ag_net_http_req){.url = url("/echo"),
                                    .method = methods[i],
                                    .body = with_body ? "<x/>\0tail" : NULL,
                                    .body_len = with_body ? 9 : 0},
                 &c);
        assert_int_equal(c.status, 200);
        assert_non_null(strstr(c.body, expect));
        if (with_body)
            assert_non_null(strstr(c.body, "\"body\": \"<x/>\\u0000tail\""));
        else
            assert_non_null(strstr(c.body, "\"body\": \"\""));
        capture_clear(&c);
    }
}

static void head_has_headers_and_no_body(void **state)
{
    fixture *f = *state;
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics"), .method = "HEAD"}, &c);
    assert_int_equal(c.status, 200);
    assert_int_equal(c.body_len, 0);
    assert_string_equal(c.etag, "\"feed-v1\"");
    capture_clear(&c);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd); /* bound, never listened: connecting is refused */
    return ntohs(sa.sin_port);
}

static void connection_refused_in_plain_words(void **state)
{
    fixture *f = *state;
    char u[64], expect[96];
    int port = closed_port();
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", port);
    snprintf(expect, sizeof(expect), "cannot connect to 127.0.0.1 port %d: Connection refused",
             port);
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = u}, &c);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    assert_string_equal(c.error, expect);
    assert_int_equal(c.status, 0);
    capture_clear(&c);
}

/* A proxy from the environment would send this to a closed port. */
static void environment_proxy_ignored(void **state)
{
    fixture *f = *state;
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", closed_port());
    setenv("http_proxy", proxy, 1);
    setenv("ALL_PROXY", proxy, 1);
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics")}, &c);
    unsetenv("http_proxy");
    unsetenv("ALL_PROXY");
    assert_int_equal(c.status, 200);
    capture_clear(&c);

    assert_int_equal(ag_net_set_proxy(f->net, proxy, NULL), 0);
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics")}, &c);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    char expect[96];
    snprintf(expect, sizeof(expect), "port %s after", strrchr(proxy, ':') + 1);
    assert_non_null(strstr(c.error, expect)); /* names the proxy, not the server */
    assert_non_null(strstr(c.error, "(Connection refused)"));
    capture_clear(&c);
    assert_int_equal(ag_net_set_proxy(f->net, proxy, "127.0.0.1"), 0);
    http_run(f, &(ag_net_http_req){.url = url("/feed.ics")}, &c);
    assert_int_equal(c.status, 200);
    capture_clear(&c);
}

static void invalid_requests_rejected_without_callback(void **state)
{
    fixture *f = *state;
    capture c = {0};
    const char *crlf[] = {"X-A: b\r\nX-Injected: 1", NULL};
    const ag_net_http_req bad[] = {
        {.url = "ftp://127.0.0.1/x"},
        {.url = "not a url"},
        {.url = url("/echo"), .headers = crlf},
        {.url = url("/echo"), .method = "GET /x HTTP/1.1\r\n"},
        {.url = NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ag_net_http(f->net, &bad[i], on_done, &c, NULL), -EINVAL);
    const char *rcpt[] = {"a@example.ma", NULL};
    char smtp_url[64];
    snprintf(smtp_url, sizeof(smtp_url), "http://127.0.0.1:%d", smtp_port);
    assert_int_equal(
        ag_net_smtp(f->net,
                    &(ag_net_smtp_req){
                        .url = smtp_url, .from = "b@example.ma", .rcpt = rcpt, .message = "x"},
                    on_done, &c, NULL),
        -EINVAL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(c.calls, 0);
}

/* ---- concurrency, cancellation, loop ---- */

static void fifty_parallel_transfers(void **state)
{
    fixture *f = *state;
    enum { N = 50 };
    capture c[N] = {0};
    int finished = 0;
    for (int i = 0; i < N; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/slow?ms=%d", 100 + i % 5 * 20);
        c[i].counter = &finished;
        assert_int_equal(
            ag_net_http(f->net, &(ag_net_http_req){.url = url(path)}, on_done, &c[i], NULL), 0);
    }
    uint64_t start = uv_now(&f->loop);
    run_until(&f->loop, &finished, N);
    uv_update_time(&f->loop);
    /* Sequential would take at least 50 × 100 ms. */
    assert_true(uv_now(&f->loop) - start < 4000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].status, 200);
        assert_string_equal(c[i].body, "slow");
        capture_clear(&c[i]);
    }
}

static void loop_never_blocked(void **state)
{
    fixture *f = *state;
    int ticks = 0;
    uv_timer_t tick;
    uv_timer_init(&f->loop, &tick);
    tick.data = &ticks;
    uv_timer_start(&tick, on_tick, 20, 20);
    capture c = {0};
    http_run(f, &(ag_net_http_req){.url = url("/slow?ms=600")}, &c);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(c.status, 200);
    assert_true(ticks >= 10);
    capture_clear(&c);
}

static void cancel_runs_callback_once_later(void **state)
{
    fixture *f = *state;
    capture c = {0};
    ag_net_xfer *x = NULL;
    assert_int_equal(
        ag_net_http(f->net, &(ag_net_http_req){.url = url("/slow?ms=2000")}, on_done, &c, &x), 0);
    assert_non_null(x);
    run_for(&f->loop, 100); /* connected and waiting */
    ag_net_cancel(x);
    assert_int_equal(c.calls, 0);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_CANCELLED);
    assert_string_equal(c.error, "cancelled");
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(c.calls, 1);
    capture_clear(&c);
}

static void on_free_timer(uv_timer_t *t)
{
    ag_net_free(t->data);
}

/* The fixture's teardown calls ag_net_free again: a second call on a
 * client being closed must be harmless, so it is given a fresh one. */
static void free_with_transfers_in_flight(void **state)
{
    fixture *f = *state;
    enum { N = 10 };
    capture c[N + 1] = {0};
    for (int i = 0; i < N; i++)
        assert_int_equal(ag_net_http(f->net, &(ag_net_http_req){.url = url("/slow?ms=3000")},
                                     on_done, &c[i], NULL),
                         0);
    char smtp_url[64];
    snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%d", closed_port());
    const char *rcpt[] = {"a@example.ma", NULL};
    assert_int_equal(ag_net_smtp(f->net,
                                 &(ag_net_smtp_req){.url = smtp_url,
                                                    .from = "b@example.ma",
                                                    .rcpt = rcpt,
                                                    .message = "x\r\n",
                                                    .message_len = 3},
                                 on_done, &c[N], NULL),
                     0);
    uv_timer_t t;
    uv_timer_init(&f->loop, &t);
    t.data = f->net;
    uv_timer_start(&t, on_free_timer, 200, 0);
    run_until(&f->loop, &c[0].calls, 1);
    uv_close((uv_handle_t *)&t, NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].outcome, AG_NET_CANCELLED);
        capture_clear(&c[i]);
    }
    /* The SMTP one may have failed to connect before the free. */
    assert_int_equal(c[N].calls, 1);
    capture_clear(&c[N]);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(ag_net_new(&f->loop, &f->net), 0);
}

static void free_from_inside_a_callback(void **state)
{
    fixture *f = *state;
    capture fast = {.free_on_done = f->net}, slow = {0};
    assert_int_equal(
        ag_net_http(f->net, &(ag_net_http_req){.url = url("/slow?ms=3000")}, on_done, &slow, NULL),
        0);
    assert_int_equal(
        ag_net_http(f->net, &(ag_net_http_req){.url = url("/feed.ics")}, on_done, &fast, NULL), 0);
    run_until(&f->loop, &fast.calls, 1);
    assert_int_equal(fast.status, 200);
    assert_int_equal(slow.calls, 1);
    assert_int_equal(slow.outcome, AG_NET_CANCELLED);
    /* Until the loop runs its close callbacks, the client refuses work. */
    assert_int_equal(fast.submit_after_free, -ESHUTDOWN);
    capture_clear(&fast);
    capture_clear(&slow);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(ag_net_new(&f->loop, &f->net), 0);
}

/* ---- SMTP ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    FILE *mem = open_memstream(&buf, &cap);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(fp);
    fclose(mem);
    *len = cap;
    return buf;
}

static void smtp_message_arrives_byte_for_byte(void **state)
{
    fixture *f = *state;
    static const char msg[] =
        "From: RMCTO <agenda@rmcto.ma>\r\n"
        "To: fes-meknes@example.ma, secretariat@example.ma\r\n"
        "Subject: =?UTF-8?B?2YjYsdi02Kk=?=\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Rappel : atelier de co-cr\xc3\xa9"
        "ation, 2023-03-07 09:00 (Africa/Casablanca).\r\n"
        "\xd9\x88\xd8\xb1\xd8\xb4\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb9\xd9\x85\xd9\x84\r\n"
        ".a line starting with a dot\r\n"
        ".\r\n"
        "end\r\n";
    const char *rcpt[] = {"fes-meknes@example.ma", "secretariat@example.ma", NULL};
    char u[64];
    snprintf(u, sizeof(u), "smtp://127.0.0.1:%d", smtp_port);
    capture c = {0};
    assert_int_equal(ag_net_smtp(f->net,
                                 &(ag_net_smtp_req){.url = u,
                                                    .from = "agenda@rmcto.ma",
                                                    .rcpt = rcpt,
                                                    .message = msg,
                                                    .message_len = sizeof(msg) - 1},
                                 on_done, &c, NULL),
                     0);
    assert_int_equal(c.calls, 0);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 250);
    capture_clear(&c);

    char path[256];
    size_t len;
    snprintf(path, sizeof(path), "%s/1.eml", smtp_dir);
    char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, sizeof(msg) - 1);
    assert_memory_equal(got, msg, len);
    free(got);
    snprintf(path, sizeof(path), "%s/1.env", smtp_dir);
    got = slurp(path, &len);
    assert_non_null(got);
    assert_string_equal(got, "agenda@rmcto.ma\nfes-meknes@example.ma\nsecretariat@example.ma\n");
    free(got);
}

/* The peer offers no STARTTLS: a required one must fail, never fall back
 * to sending in clear. */
static void smtp_required_starttls_never_falls_back(void **state)
{
    fixture *f = *state;
    char u[64];
    snprintf(u, sizeof(u), "smtp://127.0.0.1:%d", smtp_port);
    const char *rcpt[] = {"a@example.ma", NULL};
    capture c = {0};
    assert_int_equal(ag_net_smtp(f->net,
                                 &(ag_net_smtp_req){.url = u,
                                                    .starttls = true,
                                                    .from = "b@example.ma",
                                                    .rcpt = rcpt,
                                                    .message = "x\r\n",
                                                    .message_len = 3},
                                 on_done, &c, NULL),
                     0);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    assert_non_null(c.error);
    capture_clear(&c);
    char path[256];
    snprintf(path, sizeof(path), "%s/2.eml", smtp_dir);
    assert_int_equal(access(path, F_OK), -1);
}

static void smtp_refused_connection(void **state)
{
    fixture *f = *state;
    char u[64];
    snprintf(u, sizeof(u), "smtp://127.0.0.1:%d", closed_port());
    const char *rcpt[] = {"a@example.ma", NULL};
    capture c = {0};
    assert_int_equal(ag_net_smtp(f->net,
                                 &(ag_net_smtp_req){.url = u,
                                                    .from = "b@example.ma",
                                                    .rcpt = rcpt,
                                                    .message = "x\r\n",
                                                    .message_len = 3},
                                 on_done, &c, NULL),
                     0);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_FAILED);
    assert_non_null(strstr(c.error, "Connection refused"));
    capture_clear(&c);
}

/* ---- SMTP server slow to answer the end of DATA ---- */

/* The peer drops a K.started file when it starts holding the K-th reply. */
static int held_count(void)
{
    DIR *d = opendir(smtp_dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        n += len > 8 && strcmp(e->d_name + len - 8, ".started") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

static void run_until_held(uv_loop_t *loop, int target)
{
    for (int i = 0; i < 500 && held_count() < target; i++)
        run_for(loop, 20);
    assert_true(held_count() >= target);
}

/* The peer holds its reply to the end of DATA for the ms in rcpt
 * "hold-MS@...". */
static void smtp_held(fixture *f, const char *rcpt0, capture *c, ag_net_xfer **x)
{
    const char *rcpt[] = {rcpt0, NULL};
    char u[64];
    snprintf(u, sizeof(u), "smtp://127.0.0.1:%d", smtp_port);
    assert_int_equal(ag_net_smtp(f->net,
                                 &(ag_net_smtp_req){.url = u,
                                                    .from = "agenda@rmcto.ma",
                                                    .rcpt = rcpt,
                                                    .message = "Subject: x\r\n\r\nx\r\n",
                                                    .message_len = 16,
                                                    .timeout_ms = 30000},
                                 on_done, c, x),
                     0);
    assert_int_equal(c->calls, 0);
}

/* Runs the loop until only what it had before this transfer is left, i.e.
 * until the submission's thread has ended; returns how long that took. */
static uint64_t run_dry_ms(uv_loop_t *loop)
{
    uint64_t start = uv_hrtime();
    uv_run(loop, UV_RUN_DEFAULT);
    return (uv_hrtime() - start) / 1000000;
}

/* libcurl 7.88 waits for that reply without returning to the loop: the
 * submission runs on a thread, so the loop keeps ticking meanwhile. */
static void smtp_held_reply_leaves_loop_running(void **state)
{
    fixture *f = *state;
    int ticks = 0, held = held_count();
    uv_timer_t tick;
    uv_timer_init(&f->loop, &tick);
    tick.data = &ticks;
    uv_timer_start(&tick, on_tick, 50, 50);
    capture c = {0};
    smtp_held(f, "hold-1500@example.ma", &c, NULL);
    run_until_held(&f->loop, held + 1);
    int ticks_at_hold = ticks;
    run_until(&f->loop, &c.calls, 1);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(c.outcome, AG_NET_OK);
    assert_int_equal(c.status, 250);
    assert_true(c.elapsed_ms >= 1400);
    /* About 28 expected; a blocked loop gets 1 at most. */
    assert_true(ticks - ticks_at_hold >= 5);
    capture_clear(&c);
}

/* The callback comes at once; the thread, told through the progress
 * callback, gives up within about a second rather than at the peer's 20 s. */
static void smtp_cancel_during_held_reply(void **state)
{
    fixture *f = *state;
    int held = held_count();
    capture c = {0};
    ag_net_xfer *x = NULL;
    smtp_held(f, "hold-20000@example.ma", &c, &x);
    run_until_held(&f->loop, held + 1);
    ag_net_cancel(x);
    assert_int_equal(c.calls, 0);
    run_until(&f->loop, &c.calls, 1);
    assert_int_equal(c.outcome, AG_NET_CANCELLED);
    assert_string_equal(c.error, "cancelled");
    assert_int_equal(c.status, 0);
    assert_true(c.elapsed_ms < 5000);
    assert_true(run_dry_ms(&f->loop) < 5000);
    assert_int_equal(c.calls, 1);
    capture_clear(&c);
}

/* Three on threads, one waiting for a thread: every callback runs before
 * ag_net_free() returns, and the threads end soon after. */
static void smtp_free_during_held_reply(void **state)
{
    fixture *f = *state;
    enum { N = 4 };
    int held = held_count();
    capture c[N] = {0};
    for (int i = 0; i < N; i++)
        smtp_held(f, "hold-20000@example.ma", &c[i], NULL);
    run_until_held(&f->loop, held + 3);
    ag_net_free(f->net);
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].outcome, AG_NET_CANCELLED);
        capture_clear(&c[i]);
    }
    assert_true(run_dry_ms(&f->loop) < 5000);
    assert_int_equal(held_count(), held + 3); /* the fourth never started */
    assert_int_equal(ag_net_new(&f->loop, &f->net), 0);
}

/* More submissions than threads: they wait their turn, each is answered
 * once, and one cancelled while waiting never reaches the server. */
static void smtp_more_submissions_than_threads(void **state)
{
    fixture *f = *state;
    enum { N = 8 };
    int held = held_count(), finished = 0;
    capture c[N] = {0};
    ag_net_xfer *last = NULL;
    for (int i = 0; i < N; i++) {
        c[i].counter = &finished;
        smtp_held(f, "hold-300@example.ma", &c[i], &last);
    }
    ag_net_cancel(last);
    uint64_t start = uv_now(&f->loop);
    run_until(&f->loop, &finished, N);
    uv_update_time(&f->loop);
    assert_true(uv_now(&f->loop) - start < 2 * N * 300); /* not one after the other */
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].calls, 1);
        assert_int_equal(c[i].outcome, i < N - 1 ? AG_NET_OK : AG_NET_CANCELLED);
        capture_clear(&c[i]);
    }
    assert_int_equal(held_count(), held + N - 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        T(get_with_etag_then_304),
        T(redirects_followed_up_to_limit),
        T(total_timeout_applies),
        T(size_limit_applies),
        T(post_sends_method_headers_body),
        T(other_methods),
        T(head_has_headers_and_no_body),
        T(connection_refused_in_plain_words),
        T(environment_proxy_ignored),
        T(invalid_requests_rejected_without_callback),
        T(fifty_parallel_transfers),
        T(loop_never_blocked),
        T(cancel_runs_callback_once_later),
        T(free_with_transfers_in_flight),
        T(free_from_inside_a_callback),
        T(smtp_message_arrives_byte_for_byte),
        T(smtp_required_starttls_never_falls_back),
        T(smtp_refused_connection),
        /* After the others: the peer numbers messages held here on. */
        T(smtp_held_reply_leaves_loop_running),
        T(smtp_cancel_during_held_reply),
        T(smtp_free_during_held_reply),
        T(smtp_more_submissions_than_threads),
    };
    return cmocka_run_group_tests(tests, peers_start, peers_stop);
}
