/* reminder-command: the "command" channel, like `remind -k`: runs the
 * configured program once per reminder with uv_spawn (no shell, so nothing
 * in an event's text is ever interpreted), the reminder in environment
 * variables (AGENDAD_REMINDER_*) and its JSON (doc/admin.md, "Channels") on stdin.
 * Exit 0: delivered. Exit 75 (EX_TEMPFAIL), a signal or the time limit:
 * retried. Any other exit: permanent failure.
 *
 * Config (agendad.yaml, plugins.load.reminder-command):
 *   program: /usr/local/bin/agenda-notify   # absolute path
 *   args: ["--quiet"]                       # optional
 *   timeout: 30                             # seconds, then SIGKILL */
#include "reminder_json.h"
#include "plugin_opts.h"
#include "check.h"
#include "plugin_check.h"

#include <agendad/plugin.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EX_TEMPFAIL_ = 75, MAX_ARGS = 32, N_ENV = 12 };

typedef struct run run;

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    const char *program;
    const char *args[MAX_ARGS + 2]; /* program, args..., NULL */
    uint64_t timeout_ms;
    run *running;
} command;

struct run {
    command *cmd;
    agendad_reminder *r; /* NULL once done was called */
    uv_process_t proc;
    uv_pipe_t in;
    uv_timer_t timer;
    uv_write_t write;
    char *json;
    char *env[N_ENV + 1];
    int open_handles;
    bool timed_out;
    run *next;
};

static const char *opt(const command *c, const char *key)
{
    return po_opt(c->host, c->self, key);
}

static void unlink_run(command *c, run *x)
{
    for (run **p = &c->running; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            return;
        }
}

static void on_closed(uv_handle_t *h)
{
    run *x = h->data;
    if (--x->open_handles > 0)
        return;
    free(x->json);
    for (size_t i = 0; i < N_ENV; i++)
        free(x->env[i]);
    free(x);
}

static void close_all(run *x)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&x->proc, (uv_handle_t *)&x->in, (uv_handle_t *)&x->timer};
    for (size_t i = 0; i < 3; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], on_closed);
}

static void finish(run *x, agendad_delivery d, const char *error)
{
    if (x->r) {
        x->r->done(x->r, d, error);
        x->r = NULL;
    }
    unlink_run(x->cmd, x);
    close_all(x);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    run *x = p->data;
    char why[96];
    if (x->timed_out) {
        finish(x, AGENDAD_FAILED_TEMPORARY, "time limit reached: killed");
    } else if (sig) {
        snprintf(why, sizeof why, "killed by signal %d", sig);
        finish(x, AGENDAD_FAILED_TEMPORARY, why);
    } else if (status == 0) {
        finish(x, AGENDAD_DELIVERED, NULL);
    } else {
        snprintf(why, sizeof why, "exit status %lld", (long long)status);
        finish(x, status == EX_TEMPFAIL_ ? AGENDAD_FAILED_TEMPORARY : AGENDAD_FAILED_PERMANENT,
               why);
    }
}

static void on_timeout(uv_timer_t *t)
{
    run *x = t->data;
    x->timed_out = true;
    uv_process_kill(&x->proc, SIGKILL);
}

/* stdin is closed once written, so that the program sees the end of the
 * JSON; a program that does not read it gets EPIPE here, which is fine. */
static void on_written(uv_write_t *w, int status)
{
    (void)status;
    run *x = w->data;
    if (!uv_is_closing((uv_handle_t *)&x->in))
        uv_close((uv_handle_t *)&x->in, on_closed);
}

static char *env_var(const char *name, const char *value)
{
    char *s = NULL;
    return asprintf(&s, "%s=%s", name, value ? value : "") < 0 ? NULL : s;
}

static void fill_env(run *x, const agendad_reminder *r, const rem_text *t)
{
    char occ[32], lead[32], seq[16];
    rem_iso_utc(r->occurrence, occ, sizeof occ);
    snprintf(lead, sizeof lead, "%lld", (long long)r->lead_time);
    snprintf(seq, sizeof seq, "%d", t->sequence);
    const char *kv[N_ENV][2] = {
        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
        {"AGENDAD_REMINDER_ID", t->id},
        {"AGENDAD_REMINDER_KIND", t->kind},
        {"AGENDAD_EVENT_UID", r->event_uid},
        {"AGENDAD_EVENT_TITLE", t->langs[0].title},
        {"AGENDAD_EVENT_LOCATION", t->langs[0].location},
        {"AGENDAD_EVENT_SEQUENCE", seq},
        {"AGENDAD_OCCURRENCE", occ},
        {"AGENDAD_LEAD_SECONDS", lead},
        {"AGENDAD_RECIPIENT_MEMBER", r->recipient},
        {"AGENDAD_RECIPIENT_ADDRESS", t->address},
        {"AGENDAD_LANGUAGE", r->language},
    };
    for (size_t i = 0; i < N_ENV; i++)
        x->env[i] = env_var(kv[i][0], kv[i][1]);
}

static int spawn(command *c, run *x)
{
    uv_loop_t *loop = c->host->loop;
    uv_pipe_init(loop, &x->in, 0);
    uv_timer_init(loop, &x->timer);
    x->in.data = x->timer.data = x->proc.data = x->write.data = x;
    x->open_handles = 3;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&x->in},
        {.flags = UV_IGNORE},
        {.flags = UV_INHERIT_FD, .data.fd = 2}, /* its complaints reach the daemon's log */
    };
    uv_process_options_t o = {.exit_cb = on_exit_cb,
                              .file = c->program,
                              .args = (char **)c->args,
                              .env = x->env,
                              .stdio_count = 3,
                              .stdio = stdio};
    int rc = uv_spawn(loop, &x->proc, &o);
    if (rc < 0)
        return rc;
    uv_buf_t buf = uv_buf_init(x->json, (unsigned)strlen(x->json));
    uv_write(&x->write, (uv_stream_t *)&x->in, &buf, 1, on_written);
    uv_timer_start(&x->timer, on_timeout, c->timeout_ms, 0);
    return 0;
}

static void send_reminder(agendad_reminder *r, void *data)
{
    command *c = data;
    rem_text t;
    if (rem_text_load(c->host, c->self, r, &t) != 0) {
        r->done(r, AGENDAD_FAILED_PERMANENT, "the event is gone");
        return;
    }
    run *x = calloc(1, sizeof *x);
    if (!x) {
        rem_text_free(&t);
        r->done(r, AGENDAD_FAILED_TEMPORARY, "out of memory");
        return;
    }
    x->cmd = c;
    x->r = r;
    x->json = rem_json(&t, r->language, AGENDAD_REMINDER_HAS(r, id) && r->both_languages);
    fill_env(x, r, &t);
    rem_text_free(&t);
    x->next = c->running;
    c->running = x;
    int rc = x->json ? spawn(c, x) : UV_ENOMEM;
    if (rc < 0) {
        char why[128];
        snprintf(why, sizeof why, "cannot run %s: %s", c->program, uv_strerror(rc));
        /* uv_spawn failed: the process handle was initialized and must be
         * closed like the others. */
        finish(x, AGENDAD_FAILED_TEMPORARY, why);
    }
}

static int load_args(command *c)
{
    c->args[0] = c->program;
    const agendad_host *h = c->host;
    const agendad_config_node *a = h->config_get(h->config(c->self), "args");
    size_t n = a ? h->config_len(a) : 0;
    if (n > MAX_ARGS) {
        h->log(c->self, AGENDAD_LOG_ERR, "at most %d args", MAX_ARGS);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        c->args[i + 1] = h->config_scalar(h->config_item(a, i));
    return 0;
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* check.c's check (ABI 1.8), for `agendad check`. */
static void check_settings(agendad_check *ck, void *data)
{
    command *c = data;
    command_check(ck, c->host, c->self, MAX_ARGS);
}
#endif

static int command_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    if (!AGENDAD_HOST_HAS(host, mem_free)) {
        host->log(self, AGENDAD_LOG_ERR, "needs agendad plugin ABI 1.2");
        return AGENDAD_EPLUGIN;
    }
    command *c = calloc(1, sizeof *c);
    if (!c)
        return AGENDAD_ENOMEM;
    *c = (command){.host = host, .self = self};
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (po_command_line(host, self)) {
        /* The command line: the check tells what is refused below. */
        if (po_register_check(host, self, check_settings, c) != 0) {
            free(c);
            return AGENDAD_EPLUGIN;
        }
        *state = c;
        return 0;
    }
#endif
    c->program = opt(c, "program");
    const char *t = opt(c, "timeout");
    c->timeout_ms = (uint64_t)(t ? atol(t) : 30) * 1000;
    if (!c->program || c->program[0] != '/') {
        host->log(self, AGENDAD_LOG_ERR, "program must be an absolute path");
        free(c);
        return AGENDAD_EPLUGIN;
    }
    if (load_args(c) < 0 || host->register_channel(self, "command", send_reminder, c) != 0) {
        free(c);
        return AGENDAD_EPLUGIN;
    }
    *state = c;
    return 0;
}

/* Programs still running are killed; their reminders are retried at the
 * next start (the outbox keeps them pending). */
static void command_fini(agendad_plugin *self, void *state)
{
    (void)self;
    command *c = state;
    while (c->running) {
        run *x = c->running;
        uv_process_kill(&x->proc, SIGKILL);
        finish(x, AGENDAD_FAILED_TEMPORARY, "the daemon is stopping");
    }
    free(c);
}

AGENDAD_PLUGIN_DECLARE("reminder-command", "1.0", command_init, command_fini);
