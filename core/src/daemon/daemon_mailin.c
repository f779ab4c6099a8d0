#include "daemon_mailin.h"

#include "clock.h"
#include "error.h"
#include "log.h"
#include "mailin.h"
#include "mailin_proto.h"
#include "metrics.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define BACKLOG 16

typedef struct conn conn;

struct ag_mailin_server {
    uv_loop_t *loop;
    ag_service *svc;
    uv_pipe_t listener;
    char *bound; /* the path this daemon bound (removed at stop); NULL for systemd's */
    conn *conns;
    int n_conns;
    bool listener_open;
    ag_metric *messages; /* agendad_mailin_messages_total{verdict} */
};

/* One client: its frame's head, then its message, parsed in the pool,
 * judged on the loop, answered in one line. */
struct conn {
    ag_mailin_server *srv;
    conn *next;
    uv_pipe_t pipe;
    uv_timer_t timer;
    int open_handles;
    bool closing, answered, working;
    char head[AG_MAILIN_MAX_HEAD];
    size_t head_n;
    bool have_head;
    size_t want; /* the message's length, from the head */
    char *body;
    size_t body_n, body_cap;
    char *rcpt;
    char chunk[READ_CHUNK];
    uv_work_t work;
    ag_mailin_reply reply;
    int parse_rc;
    uv_write_t write;
    char line[256];
};

static void maybe_free_server(ag_mailin_server *m)
{
    if (!m->listener_open && m->n_conns == 0) {
        free(m->bound);
        free(m);
    }
}

static void unlink_conn(conn *c)
{
    ag_mailin_server *m = c->srv;
    for (conn **p = &m->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    m->n_conns--;
}

static void free_conn(conn *c)
{
    ag_mailin_server *m = c->srv;
    unlink_conn(c);
    ag_mailin_reply_clear(&c->reply);
    free(c->body);
    free(c->rcpt);
    free(c);
    maybe_free_server(m);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (--c->open_handles == 0 && !c->working)
        free_conn(c);
}

static void close_conn(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_close((uv_handle_t *)&c->pipe, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_written(uv_write_t *w, int status)
{
    (void)status;
    close_conn(w->data);
}

/* The verdict line; the connection closes once it is written. */
static void answer(conn *c, ag_mailin_verdict v, const char *said)
{
    static const char *const counted[] = {[AG_MAILIN_KEPT] = "recorded",
                                          [AG_MAILIN_DROPPED] = "dropped",
                                          [AG_MAILIN_BOUNCED] = "bounced",
                                          [AG_MAILIN_RETRY] = "retry"};
    if (c->answered || c->closing)
        return;
    c->answered = true;
    ag_metric_add(c->srv->messages, (const char *const[]){counted[v]}, 1);
    const char *word = ag_mailin_verdict_word(v);
    uv_read_stop((uv_stream_t *)&c->pipe);
    int n = snprintf(c->line, sizeof c->line, "%s %s\n", word, said);
    if (n < 0 || (size_t)n >= sizeof c->line) {
        n = (int)sizeof c->line - 1;
        c->line[n - 1] = '\n';
    }
    uv_buf_t buf = uv_buf_init(c->line, (unsigned)n);
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0)
        close_conn(c);
}

/* ------------------------------------------------------------- parse */

static void do_parse(uv_work_t *w)
{
    conn *c = w->data;
    c->parse_rc = ag_mailin_parse(c->body, c->body_n, c->rcpt, &c->reply);
}

static void after_parse(uv_work_t *w, int status)
{
    conn *c = w->data;
    c->working = false;
    free(c->body);
    c->body = NULL;
    if (c->closing) {
        if (c->open_handles == 0)
            free_conn(c);
        return;
    }
    ag_store *st = c->srv->svc->store;
    if (status < 0 || c->parse_rc < 0) {
        ag_log(AG_LOG_WARNING, "mail-in: a message is left to the mail system to retry: %s",
               ag_strerror(status < 0 ? status : c->parse_rc));
        answer(c, AG_MAILIN_RETRY, "agendad cannot read it now: try again later");
    } else if (!st) {
        answer(c, AG_MAILIN_RETRY, "the state database is not open: try again later");
    } else {
        const char *said = NULL;
        ag_mailin_verdict v = ag_mailin_judge(st, &c->reply, ag_clock_now(), &said);
        answer(c, v, said);
    }
    ag_mailin_reply_clear(&c->reply);
}

/* The whole message is in: GMime's parse of up to 10 MiB is no work for
 * the loop, so it goes to libuv's pool; the judgement comes back to it. */
static void start_parse(conn *c)
{
    uv_read_stop((uv_stream_t *)&c->pipe);
    uv_timer_stop(&c->timer);
    c->work.data = c;
    c->working = true;
    int rc = uv_queue_work(c->srv->loop, &c->work, do_parse, after_parse);
    if (rc < 0) {
        c->working = false;
        answer(c, AG_MAILIN_RETRY, "agendad cannot read it now: try again later");
    }
}

/* ------------------------------------------------------------- read */

static int add_body(conn *c, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (n > c->want - c->body_n)
        return AG_EINVAL; /* more than the head said */
    if (c->body_n + n > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : READ_CHUNK;
        while (cap < c->body_n + n)
            cap *= 2;
        if (cap > c->want)
            cap = c->want;
        char *more = realloc(c->body, cap ? cap : 1);
        if (!more)
            return AG_ENOMEM;
        c->body = more;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_n, p, n);
    c->body_n += n;
    return 0;
}

static void refuse(conn *c, int rc)
{
    if (rc == AG_ERANGE)
        answer(c, AG_MAILIN_BOUNCED, "the message is too large to be a reply");
    else if (rc == AG_ENOMEM)
        answer(c, AG_MAILIN_RETRY, "agendad cannot read it now: try again later");
    else
        answer(c, AG_MAILIN_RETRY, "not a mail-in request this agendad understands");
}

/* The head first (into its buffer), then what follows it is the message. */
static int take(conn *c, const char *p, size_t n)
{
    if (c->have_head)
        return add_body(c, p, n);
    size_t room = sizeof c->head - c->head_n;
    size_t k = n < room ? n : room;
    memcpy(c->head + c->head_n, p, k);
    c->head_n += k;
    int h = ag_mailin_head_read(c->head, c->head_n, &c->want, &c->rcpt);
    if (h <= 0)
        return h;
    c->have_head = true;
    int rc = add_body(c, c->head + h, c->head_n - (size_t)h);
    return rc < 0 ? rc : add_body(c, p + k, n - k);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    *buf = uv_buf_init(c->chunk, sizeof c->chunk);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        close_conn(c); /* gone before its message was whole: it exits 75 */
        return;
    }
    int rc = take(c, buf->base, (size_t)nread);
    if (rc < 0)
        refuse(c, rc);
    else if (c->have_head && c->body_n == c->want)
        start_parse(c);
}

static void on_timeout(uv_timer_t *t)
{
    conn *c = t->data;
    answer(c, AG_MAILIN_RETRY, "the message did not arrive in time");
}

/* ------------------------------------------------------------- accept */

static void on_connection(uv_stream_t *server, int status)
{
    ag_mailin_server *m = server->data;
    if (status < 0)
        return;
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return; /* stays in the backlog until memory allows */
    c->srv = m;
    uv_pipe_init(m->loop, &c->pipe, 0);
    uv_timer_init(m->loop, &c->timer);
    c->pipe.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = m->conns;
    m->conns = c;
    m->n_conns++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        close_conn(c);
        return;
    }
    if (m->n_conns > AG_MAILIN_MAX_CONNECTIONS) {
        answer(c, AG_MAILIN_RETRY, "agendad is busy with other messages: try again later");
        return;
    }
    uv_timer_start(&c->timer, on_timeout, AG_MAILIN_TIMEOUT_MS, 0);
    if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
        close_conn(c);
}

/* ------------------------------------------------------------- bind */

__attribute__((format(printf, 3, 4))) static int fail(char **err, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
    return rc;
}

/* Whether a process accepts connections on path (another daemon). */
static bool served(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return false;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* A socket left by a daemon that did not stop cleanly is replaced; a file
 * that is no socket, or a socket someone serves, is not. */
static int clear_path(const char *path, char **err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : fail(err, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return fail(err, AG_EEXIST, "%s exists and is no socket: not replaced", path);
    if (served(path))
        return fail(err, AG_EEXIST,
                    "%s is served by another process (another agendad?): not replaced", path);
    if (unlink(path) < 0)
        return fail(err, -errno, "cannot remove the stale socket %s: %s", path, strerror(errno));
    return 0;
}

/* Mode 0660, and the configured group: the MTA's pipe user is granted the
 * socket by being in that group. A group the daemon cannot give (it is
 * not root nor in it) is said, and the socket stays the daemon's group's. */
static void grant(const char *path, const char *group)
{
    if (chmod(path, 0660) < 0)
        ag_log(AG_LOG_WARNING, "mail-in: cannot make %s mode 0660: %s", path, strerror(errno));
    if (!group)
        return;
    struct group *g = getgrnam(group);
    if (!g)
        ag_log(AG_LOG_ERR, "mail-in: invitations.mail_group: no group \"%s\" on this machine",
               group);
    else if (chown(path, (uid_t)-1, g->gr_gid) < 0)
        ag_log(AG_LOG_ERR,
               "mail-in: cannot give %s to the group %s: %s (the daemon's user must be in that "
               "group)",
               path, group, strerror(errno));
}

static int listen_on(ag_mailin_server *m, int fd, const ag_settings *s, char **err)
{
    int rc;
    if (fd >= 0) {
        if ((rc = uv_pipe_open(&m->listener, fd)) < 0)
            return fail(err, rc, "the mail-in socket systemd passed: %s", uv_strerror(rc));
    } else {
        if ((rc = clear_path(s->mail_socket, err)) < 0)
            return rc;
        if ((rc = uv_pipe_bind(&m->listener, s->mail_socket)) < 0)
            return fail(err, rc, "cannot create %s: %s", s->mail_socket, uv_strerror(rc));
        if (!(m->bound = strdup(s->mail_socket)))
            return AG_ENOMEM;
        grant(s->mail_socket, s->mail_group);
    }
    if ((rc = uv_listen((uv_stream_t *)&m->listener, BACKLOG, on_connection)) < 0)
        return fail(err, rc, "cannot listen on %s: %s",
                    fd >= 0 ? "systemd's socket" : s->mail_socket, uv_strerror(rc));
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    ag_mailin_server *m = h->data;
    m->listener_open = false;
    maybe_free_server(m);
}

int ag_daemon_mailin_start(uv_loop_t *loop, ag_service *svc, int fd, ag_mailin_server **out,
                           char **err)
{
    *out = NULL;
    *err = NULL;
    ag_mailin_server *m = calloc(1, sizeof *m);
    if (!m)
        return AG_ENOMEM;
    m->loop = loop;
    m->svc = svc;
    m->messages = ag_metrics_counter(svc->metrics, "agendad_mailin_messages_total",
                                     "Messages agendad mail-in handed over, by verdict",
                                     (const char *const[]){"verdict", NULL});
    uv_pipe_init(loop, &m->listener, 0);
    m->listener.data = m;
    m->listener_open = true;
    int rc = listen_on(m, fd, ag_service_settings(svc), err);
    if (rc < 0) {
        if (m->bound)
            unlink(m->bound);
        uv_close((uv_handle_t *)&m->listener, on_listener_closed);
        return rc;
    }
    *out = m;
    return 0;
}

void ag_daemon_mailin_stop(ag_mailin_server *m)
{
    if (!m)
        return;
    if (m->bound)
        unlink(m->bound);
    for (conn *c = m->conns; c; c = c->next)
        close_conn(c);
    uv_close((uv_handle_t *)&m->listener, on_listener_closed);
}
