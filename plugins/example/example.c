/* example: a small plugin that shows the whole ABI at work.
 *
 *   GET /plugins/example/hello[?lang=ar|fr]  text summary: the configured
 *       greeting, the number of live events and the next one to start;
 *   reminder channel "log": writes each reminder to the log (useful to try
 *       reminders out before a real channel is configured);
 *   change listener: logs what each reload changed.
 *
 * Config (agendad.yaml, plugins.load.example):
 *   greeting: "Salam"   # optional, the first line of the summary */
#include <agendad/plugin.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    const char *greeting; /* borrowed from the config section: lives until fini */
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    agendad_check *check; /* while `agendad check` runs ours: config errors go there */
#endif
} example;

typedef struct {
    example *ex;
    int64_t now;
    const agendad_event *next;
    int64_t next_start;
} next_search;

static int find_next(const agendad_event *ev, void *data)
{
    next_search *s = data;
    agendad_when w;
    if (s->ex->host->event_when(s->ex->self, ev, &w) != 0)
        return 0; /* unknown zone: the feed reports it; here it just is not "next" */
    if (w.start >= s->now && (!s->next || w.start < s->next_start)) {
        s->next = ev;
        s->next_start = w.start;
    }
    return 0;
}

static void format_utc(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "%" PRId64, t);
}

static void write_summary(example *ex, FILE *out, const char *lang)
{
    const agendad_host *h = ex->host;
    next_search s = {.ex = ex, .now = (int64_t)time(NULL)};
    h->event_foreach(ex->self, find_next, &s);
    fprintf(out, "%s\nevents: %zu\n", ex->greeting, h->event_count(ex->self));
    if (s.next) {
        const char *title = h->event_text(ex->self, s.next, AGENDAD_TEXT_TITLE, lang);
        char when[32];
        format_utc(s.next_start, when, sizeof when);
        fprintf(out, "next: %s %s %s\n", when, h->event_uid(ex->self, s.next), title ? title : "");
    }
}

static void hello(agendad_request *req, void *data)
{
    example *ex = data;
    const agendad_host *h = ex->host;
    const char *lang = h->request_query(req, "lang");
    if (lang && strcmp(lang, "ar") != 0 && strcmp(lang, "fr") != 0) {
        h->respond_error(req, 400, "lang must be ar or fr");
        return;
    }
    char *body = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&body, &len);
    if (!out) {
        h->respond_error(req, 503, "out of memory");
        return;
    }
    write_summary(ex, out, lang ? lang : "ar");
    if (fclose(out) != 0) {
        free(body);
        h->respond_error(req, 503, "out of memory");
        return;
    }
    static const char *const headers[] = {"Cache-Control: no-cache", NULL};
    h->respond(req, 200, "text/plain; charset=utf-8", body, len, headers);
    free(body);
}

static void log_reminder(agendad_reminder *r, void *data)
{
    example *ex = data;
    char when[32];
    format_utc(r->occurrence, when, sizeof when);
    ex->host->log(ex->self, AGENDAD_LOG_NOTICE,
                  "reminder: %s at %s, %" PRId64 "s ahead, to %s (%s)", r->event_uid, when,
                  r->lead_time, r->recipient, r->language);
    r->done(r, AGENDAD_DELIVERED, NULL);
}

static void log_changes(const agendad_changes *c, void *data)
{
    example *ex = data;
    ex->host->log(ex->self, AGENDAD_LOG_INFO,
                  "reload: %d added, %d changed, %d removed, %d restored, %d unchanged", c->added,
                  c->changed, c->removed, c->restored, c->unchanged);
}

__attribute__((format(printf, 3, 4))) static void
config_error(example *ex, const agendad_config_node *n, const char *fmt, ...)
{
    const char *file;
    int line, col;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (ex->check) {
        ex->host->check_error(ex->check, n, "%s", msg);
        return;
    }
#endif
    ex->host->config_location(n, &file, &line, &col);
    ex->host->log(ex->self, AGENDAD_LOG_ERR, "%s:%d:%d: %s", file ? file : "agendad.yaml", line,
                  col, msg);
}

static int read_config(example *ex)
{
    const agendad_host *h = ex->host;
    const agendad_config_node *section = h->config(ex->self);
    for (size_t i = 0; i < h->config_len(section); i++) {
        const char *key = h->config_key(section, i);
        if (strcmp(key, "greeting") != 0) {
            config_error(ex, h->config_item(section, i),
                         "unknown key \"%s\" (the example plugin knows \"greeting\")", key);
            return -1;
        }
    }
    const agendad_config_node *g = h->config_get(section, "greeting");
    if (g && !h->config_scalar(g)) {
        config_error(ex, g, "greeting must be text, like greeting: \"Salam\"");
        return -1;
    }
    ex->greeting = g ? h->config_scalar(g) : "Salam";
    return 0;
}

static int register_all(example *ex)
{
    const agendad_host *h = ex->host;
    int rc = h->register_route(ex->self, "/plugins/example/hello", hello, ex);
    if (rc == 0)
        rc = h->register_channel(ex->self, "log", log_reminder, ex);
    if (rc == 0)
        rc = h->register_listener(ex->self, log_changes, ex);
    if (rc != 0)
        h->log(ex->self, AGENDAD_LOG_ERR, "registration failed: %s", h->strerror(rc));
    return rc;
}

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* `agendad check` (ABI 1.8) runs this: the settings init refuses, reported
 * where the admin wrote them rather than logged as the plugin is left out. */
static void check_settings(agendad_check *c, void *data)
{
    example *ex = data;
    ex->check = c;
    read_config(ex);
    ex->check = NULL;
}
#endif

static int example_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    example *ex = calloc(1, sizeof *ex);
    if (!ex)
        return AGENDAD_ENOMEM;
    ex->host = host;
    ex->self = self;
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    /* Loaded by the command line (`agendad check`): register the check and
     * start nothing. */
    if (AGENDAD_HOST_HAS(host, register_check) && host->command_line(self)) {
        if (host->register_check(self, check_settings, ex) != 0) {
            free(ex);
            return AGENDAD_EPLUGIN;
        }
        *state = ex;
        return 0;
    }
#endif
    if (read_config(ex) != 0 || register_all(ex) != 0) {
        free(ex);
        return AGENDAD_EPLUGIN;
    }
    *state = ex;
    return 0;
}

static void example_fini(agendad_plugin *self, void *state)
{
    (void)self;
    free(state);
}

AGENDAD_PLUGIN_DECLARE("example", "1.0.0", example_init, example_fini);
