/* One run of agendad-ical-import on the loop: its input written to stdin,
 * its stdout and stderr read, with memory and CPU limits (the helper sets
 * them) and a wall-clock deadline, at most `parsers` at once (the others
 * wait for a slot). Its owner is told once every handle is closed; it then
 * judges the output (sync_proc_verdict) and frees it. */
#include "sync.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STDERR_MAX 4096

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

void sync_proc_init(sync_proc *p, sync_plugin *sp, char *input, size_t len, size_t max_output,
                    void (*closed)(sync_proc *p), void *owner)
{
    memset(p, 0, sizeof *p);
    p->sp = sp;
    p->body = uv_buf_init(input, (unsigned)len);
    p->out_buf.max = max_output;
    p->err_buf.max = STDERR_MAX;
    p->pidfd = -1;
    p->closed = closed;
    p->owner = owner;
    p->argv[p->argc++] = (char *)sp->helper;
}

void sync_proc_arg(sync_proc *p, const char *fmt, ...)
{
    if (p->argc + 1 >= SYNC_PROC_ARGS)
        return;
    char *slot = p->args[p->argc];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot, sizeof p->args[0], fmt, ap);
    va_end(ap);
    p->argv[p->argc++] = slot;
    p->argv[p->argc] = NULL;
}

void sync_proc_free(sync_proc *p)
{
    free(p->out_buf.data);
    free(p->err_buf.data);
    free(p->body.base);
    p->out_buf.data = p->err_buf.data = p->body.base = NULL;
}

static void start_waiting(sync_plugin *sp);

static void on_closed(uv_handle_t *h)
{
    sync_proc *p = h->data;
    if (--p->open_handles > 0)
        return;
    /* Detached at fini: sp is gone, only the owner's memory is left. */
    if (!p->detached) {
        p->sp->n_parsers--;
        start_waiting(p->sp);
    }
    p->closed(p);
}

/* The pidfd outlives the poll on it: libuv drops it from epoll at close. */
static void on_watch_closed(uv_handle_t *h)
{
    sync_proc *p = h->data;
    close(p->pidfd);
    p->pidfd = -1;
    on_closed(h);
}

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, on_closed);
}

/* Done once the process has exited and both of its output pipes are at
 * EOF, i.e. when every handle is closed. */
static void maybe_finish(sync_proc *p)
{
    if (!p->exited || !uv_is_closing((uv_handle_t *)&p->out) ||
        !uv_is_closing((uv_handle_t *)&p->err))
        return;
    if (p->pidfd >= 0 && !uv_is_closing((uv_handle_t *)&p->exit_watch))
        uv_close((uv_handle_t *)&p->exit_watch, on_watch_closed);
    close_handle((uv_handle_t *)&p->deadline);
    close_handle((uv_handle_t *)&p->in);
}

static void on_exit_watch(uv_poll_t *w, int status, int events)
{
    sync_proc *p = w->data;
    (void)status;
    (void)events;
    /* A poll error (none is known for a pidfd) is left to waitid to tell. */
    int rc = sync_reap(p->pidfd, &p->exit_status, &p->term_signal);
    if (rc == EAGAIN)
        return;
    if (rc)
        snprintf(p->spawn_error, sizeof p->spawn_error,
                 "cannot learn how the calendar parser ended: %s", strerror(rc));
    uv_poll_stop(w);
    p->exited = true;
    uv_timer_stop(&p->deadline);
    maybe_finish(p);
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
    sync_proc *p = s->data;
    if (n > 0) {
        buf_put(s == (uv_stream_t *)&p->out ? &p->out_buf : &p->err_buf, buf->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    uv_read_stop(s);
    close_handle((uv_handle_t *)s);
    maybe_finish(p);
}

static void on_deadline(uv_timer_t *t)
{
    sync_proc *p = t->data;
    p->timed_out = true;
    sync_kill(p->pidfd, SIGKILL);
}

static void on_written(uv_write_t *w, int status)
{
    sync_proc *p = w->data;
    (void)status; /* EPIPE: the child stopped reading; its exit tells why */
    close_handle((uv_handle_t *)&p->in);
}

static void init_handles(sync_proc *p)
{
    uv_loop_t *loop = p->sp->host->loop;
    uv_pipe_init(loop, &p->in, 0);
    uv_pipe_init(loop, &p->out, 0);
    uv_pipe_init(loop, &p->err, 0);
    uv_timer_init(loop, &p->deadline);
    p->in.data = p->out.data = p->err.data = p->deadline.data = p->exit_watch.data = p;
    p->write.data = p;
    p->open_handles = 4;
}

/* A pipe libuv refuses stays closed: the child sees EOF or EPIPE on it, and
 * the plugin an output pipe at EOF. */
static void open_pipe(uv_pipe_t *pipe, int fd)
{
    if (uv_pipe_open(pipe, fd) < 0)
        close(fd);
}

/* 0 or an errno. */
static int spawn(sync_proc *p)
{
    init_handles(p);
    sync_spawned run;
    int rc = sync_spawn(p->argv, &run);
    if (rc)
        return rc;
    p->pidfd = run.pidfd;
    open_pipe(&p->in, run.in);
    open_pipe(&p->out, run.out);
    open_pipe(&p->err, run.err);
    rc = uv_poll_init(p->sp->host->loop, &p->exit_watch, run.pidfd);
    if (rc < 0) {
        /* Not watched, it would never be reaped. */
        sync_kill_reap(run.pidfd);
        close(run.pidfd);
        p->pidfd = -1;
        return -rc;
    }
    uv_poll_start(&p->exit_watch, UV_READABLE, on_exit_watch);
    p->open_handles++;
    return 0;
}

/* Every handle is closed the usual way and the close callbacks report it. */
static void spawn_failed(sync_proc *p, int rc)
{
    snprintf(p->spawn_error, sizeof p->spawn_error, "cannot start the calendar parser %s: %s",
             p->sp->helper, strerror(rc));
    p->exited = true;
    close_handle((uv_handle_t *)&p->out);
    close_handle((uv_handle_t *)&p->err);
    maybe_finish(p);
}

static void start_reading(uv_pipe_t *pipe)
{
    if (uv_read_start((uv_stream_t *)pipe, on_alloc, on_read) < 0)
        close_handle((uv_handle_t *)pipe);
}

static void start(sync_proc *p)
{
    p->sp->n_parsers++;
    p->started = true;
    int rc = spawn(p);
    if (rc) {
        spawn_failed(p, rc);
        return;
    }
    long deadline_ms = p->sp->parser_cpu_s * 3000 + 5000;
    uv_timer_start(&p->deadline, on_deadline, (uint64_t)deadline_ms, 0);
    start_reading(&p->out);
    start_reading(&p->err);
    if (uv_write(&p->write, (uv_stream_t *)&p->in, &p->body, 1, on_written) < 0)
        close_handle((uv_handle_t *)&p->in);
}

static void start_waiting(sync_plugin *sp)
{
    while (sp->parse_head && sp->n_parsers < sp->max_parsers) {
        sync_proc *p = sp->parse_head;
        sp->parse_head = p->next_waiting;
        if (!sp->parse_head)
            sp->parse_tail = NULL;
        p->next_waiting = NULL;
        p->waiting = false;
        start(p);
    }
}

void sync_proc_queue(sync_proc *p)
{
    sync_plugin *sp = p->sp;
    p->waiting = true;
    if (sp->parse_tail)
        sp->parse_tail->next_waiting = p;
    else
        sp->parse_head = p;
    sp->parse_tail = p;
    start_waiting(sp);
}

bool sync_proc_idle(const sync_proc *p)
{
    return p->open_handles == 0;
}

void sync_proc_detach(sync_proc *p)
{
    p->detached = true;
    if (!p->exited && p->started)
        sync_kill(p->pidfd, SIGKILL);
}

const char *sync_proc_verdict(sync_proc *p, char *buf, size_t size)
{
    const char *error = NULL;
    if (p->spawn_error[0])
        error = p->spawn_error;
    else if (p->timed_out)
        error = "the calendar parser ran out of time and was stopped";
    else if (p->term_signal == SIGXCPU || p->term_signal == SIGKILL)
        error = "the calendar parser ran out of CPU time and was stopped";
    else if (p->term_signal) {
        snprintf(buf, size, "the calendar parser crashed (signal %d)", p->term_signal);
        return buf;
    } else if (p->exit_status != 0) {
        snprintf(buf, size, "%s",
                 p->err_buf.len ? p->err_buf.data : "the calendar parser failed without a word");
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
    } else if (p->out_buf.overflow)
        error = "the calendar parser's output was too large";
    if (!error)
        return NULL;
    snprintf(buf, size, "%s", error);
    return buf;
}
