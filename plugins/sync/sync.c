/* sync: pulls each member's own calendar feed (members.yaml `feed_url`) on
 * the daemon's loop, on a per-member interval with backoff after failures,
 * and hands the events to the host, which publishes them in the member's
 * feed and, where the admin allows it, in the network's.
 *
 * Settings (agendad.yaml, plugins.load.sync), all optional:
 *   helper: PATH               agendad-ical-import (default: beside sync.so,
 *                              as in a build tree, else the installed one)
 *   timezone: Africa/Casablanca  zone of floating times in members' feeds
 *   connect_timeout: 10s, timeout: 60s, max_size: 8388608 (bytes),
 *   max_redirects: 5, ca_file: PATH, tls_insecure: false,
 *   parser_memory: 256 (MiB), parser_cpu: 10 (seconds), max_events: 5000,
 *   max_backoff: 6h, window_past: 366d, window_future: 731d
 * A reload (SIGHUP, or a changed config file) pulls every member at once. */
#include "sync.h"
#include "check.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYNC_HELPER_NAME "agendad-ical-import"
#ifndef AGENDAD_SYNC_HELPER
#define AGENDAD_SYNC_HELPER "/usr/libexec/agendad/" SYNC_HELPER_NAME
#endif
/* The installed helper's directory relative to the installed plugins'
 * (a tree installed with --prefix somewhere else keeps its layout). */
#ifndef AGENDAD_SYNC_HELPER_REL
#define AGENDAD_SYNC_HELPER_REL "../../../libexec/agendad"
#endif

void sync_log(sync_plugin *sp, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sp->host->log(sp->self, level, "%s", line);
}

/* ------------------------------------------------------------ schedule */

static void on_timer(uv_timer_t *t)
{
    sync_member *m = t->data;
    if (m->sp->stopping || !m->configured || m->xfer || m->child || m->fetch_waiting)
        return;
    sync_pull(m);
}

static void schedule(sync_member *m, int64_t delay_s)
{
    m->next_pull = (int64_t)time(NULL) + delay_s;
    uv_timer_start(&m->timer, on_timer, (uint64_t)delay_s * 1000, 0);
}

/* interval × 2^failures, capped: a dead server is asked less and less often,
 * never less than once per max_backoff. */
static int64_t backoff(const sync_member *m)
{
    int64_t d = m->interval;
    for (int i = 0; i < m->failures && d < m->sp->max_backoff; i++)
        d *= 2;
    return d < m->sp->max_backoff || m->sp->max_backoff < m->interval ? d : m->sp->max_backoff;
}

static void replace(char **dst, char *src)
{
    free(*dst);
    *dst = src;
}

/* /metrics: agendad_plugin_sync_pulls_total{member, result}. */
static void count_pull(sync_member *m, const char *error, bool changed)
{
    const agendad_host *h = m->sp->host;
    if (!m->sp->pulls)
        return;
    const char *const values[] = {m->id, error ? "error" : changed ? "changed" : "unchanged"};
    h->metric_add(m->sp->pulls, values, 1);
}

void sync_pull_done(sync_member *m, const char *error, bool changed)
{
    int64_t now = (int64_t)time(NULL);
    count_pull(m, error, changed);
    bool was_failing = m->last_error != NULL;
    bool was_private = m->copy_private;
    if (error) {
        m->failures++;
        replace(&m->last_error, strdup(error));
        sync_log(m->sp, AGENDAD_LOG_WARNING, "%s: %s (keeping the last good copy)", m->id, error);
    } else {
        m->failures = 0;
        m->last_success = now;
        m->copy_private = m->pulled_private;
        replace(&m->last_error, NULL);
    }
    if (changed) {
        /* The validators describe the copy just stored, not an older one. */
        replace(&m->etag, m->pending_etag);
        replace(&m->last_modified, m->pending_last_modified);
        m->pending_etag = m->pending_last_modified = NULL;
        m->writes++;
    }
    bool flipped = !error && (m->copy_private != was_private);
    sync_state_save(m, changed || error || was_failing || flipped);
    if (!m->sp->stopping && m->configured)
        schedule(m, error ? backoff(m) : m->interval);
}

/* ------------------------------------------------------------- members */

void sync_member_free(sync_member *m)
{
    free(m->id);
    free(m->url);
    free(m->language);
    free(m->day_tz);
    sync_busy_free(m);
    free(m->pending_etag);
    free(m->pending_last_modified);
    free(m->last_error);
    free(m->etag);
    free(m->last_modified);
    sync_push_free(m);
    free(m);
}

static sync_member *member_get(sync_plugin *sp, const char *id)
{
    for (size_t i = 0; i < sp->n_members; i++)
        if (strcmp(sp->members[i]->id, id) == 0)
            return sp->members[i];
    return NULL;
}

static sync_member *member_add(sync_plugin *sp, const char *id)
{
    sync_member **g = realloc(sp->members, (sp->n_members + 1) * sizeof *g);
    if (!g)
        return NULL;
    sp->members = g;
    sync_member *m = calloc(1, sizeof *m);
    if (!m || !(m->id = strdup(id))) {
        free(m);
        return NULL;
    }
    m->sp = sp;
    uv_timer_init(sp->host->loop, &m->timer);
    uv_timer_init(sp->host->loop, &m->dav_timer);
    uv_timer_init(sp->host->loop, &m->busy_timer);
    m->timer.data = m->dav_timer.data = m->busy_timer.data = m;
    m->open_timers = 3;
    sync_state_load(m);
    sync_push_load(m);
    sp->members[sp->n_members++] = m;
    return m;
}

/* The zone members.yaml gives the member (`timezone`), where its days
 * begin for its all-day busy time; NULL: the plugin's `timezone`. */
static char *member_zone(sync_plugin *sp, const agendad_member *am)
{
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    const agendad_host *h = sp->host;
    if (!AGENDAD_HOST_HAS(h, member_config))
        return NULL;
    const agendad_config_node *tz = h->config_get(h->member_config(sp->self, am), "timezone");
    const char *v = tz ? h->config_scalar(tz) : NULL;
    return v && *v ? strdup(v) : NULL;
#else
    (void)sp;
    (void)am;
    return NULL;
#endif
}

static void update_member(sync_member *m, const agendad_member_sync *s, const char *lang)
{
    bool new_url = !m->url || !s->feed_url || strcmp(m->url, s->feed_url) != 0;
    if (new_url && m->url) {
        /* Another feed: the old validators would make it look unchanged. */
        replace(&m->etag, NULL);
        replace(&m->last_modified, NULL);
    }
    replace(&m->url, s->feed_url ? strdup(s->feed_url) : NULL);
    replace(&m->language, lang ? strdup(lang) : NULL);
    m->interval = s->interval > 0 ? s->interval : 3600;
    m->private_data = s->private_data;
    m->configured = m->url != NULL;
    if (m->dav.url && s->caldav_url && strcmp(m->dav.url, s->caldav_url) != 0) {
        /* Another collection, maybe another server: read it at once, and
         * ask it free-busy-query afresh. */
        m->dav_busy.last_attempt = 0;
        m->dav_busy.no_freebusy_at = 0;
        uv_timer_stop(&m->busy_timer);
    }
    replace(&m->dav.url, s->caldav_url ? strdup(s->caldav_url) : NULL);
    replace(&m->dav.username, s->caldav_username ? strdup(s->caldav_username) : NULL);
    replace(&m->dav.password_file,
            s->caldav_password_file ? strdup(s->caldav_password_file) : NULL);
    m->dav.network_wins = s->network_wins;
    m->dav.configured = m->dav.url != NULL;
}

static int visit_member(const agendad_member *am, void *data)
{
    sync_plugin *sp = data;
    const agendad_host *h = sp->host;
    agendad_member_sync s = {.size = sizeof s};
    if (h->member_sync(sp->self, am, &s) != 0 || (!s.feed_url && !s.caldav_url))
        return 0;
    const char *id = h->member_id(sp->self, am);
    sync_member *m = member_get(sp, id);
    if (!m && !(m = member_add(sp, id)))
        return 0;
    update_member(m, &s, h->member_language(sp->self, am));
    replace(&m->day_tz, member_zone(sp, am));
    return 0;
}

static void on_dav_timer(uv_timer_t *t)
{
    sync_member *m = t->data;
    sync_push(m);
    uv_timer_start(&m->dav_timer, on_dav_timer, (uint64_t)m->interval * 1000, 0);
}

/* Pushes now and then every interval (an edit is pushed at the reload that
 * brings it; the timer retries failures). */
static void push_now(sync_member *m)
{
    uv_timer_start(&m->dav_timer, on_dav_timer, 0, 0);
}

static void on_busy_timer(uv_timer_t *t)
{
    sync_member *m = t->data;
    sync_busy_read(m);
    uv_timer_start(&m->busy_timer, on_busy_timer, (uint64_t)m->interval * 1000, 0);
}

/* A CalDAV collection is read as busy time at most once per interval (its
 * last read is kept across restarts): a reload does not read it again, a
 * new collection is read at once. */
static void start_busy_reads(sync_member *m)
{
    if (!m->sp->busy || uv_is_active((uv_handle_t *)&m->busy_timer))
        return;
    int64_t since = (int64_t)time(NULL) - m->dav_busy.last_attempt;
    int64_t wait =
        m->dav_busy.last_attempt && since >= 0 && since < m->interval ? m->interval - since : 0;
    uv_timer_start(&m->busy_timer, on_busy_timer, (uint64_t)wait * 1000, 0);
}

/* Members as configured now; every one pulled at once (start, reload). */
static void refresh_members(sync_plugin *sp)
{
    for (size_t i = 0; i < sp->n_members; i++)
        sp->members[i]->configured = sp->members[i]->dav.configured = false;
    sp->host->member_foreach(sp->self, visit_member, sp);
    for (size_t i = 0; i < sp->n_members; i++) {
        sync_member *m = sp->members[i];
        if (!m->configured && !m->child) /* a child's result may wait on the timer */
            uv_timer_stop(&m->timer);
        else if (!m->xfer && !m->child && !m->fetch_waiting)
            schedule(m, 0);
        if (m->dav.configured) {
            push_now(m);
            start_busy_reads(m);
        } else {
            uv_timer_stop(&m->dav_timer);
            uv_timer_stop(&m->busy_timer);
        }
    }
}

static void on_reload(const agendad_changes *changes, void *data)
{
    (void)changes;
    refresh_members(data);
}

/* ------------------------------------------------------------ settings */

static const char *setting(sync_plugin *sp, const char *key)
{
    const agendad_config_node *n = sp->host->config_get(sp->host->config(sp->self), key);
    return n ? sp->host->config_scalar(n) : NULL;
}

/* "90", "90s", "30m", "2h", "7d": seconds; -1 when malformed. */
static int64_t seconds(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return -1;
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            return (int64_t)v * units[i].mult;
    return -1;
}

static bool number_setting(sync_plugin *sp, const char *key, bool duration, int64_t *out)
{
    const char *v = setting(sp, key);
    if (!v)
        return true;
    int64_t n = duration ? seconds(v) : seconds(v);
    if (n < 0 || (!duration && strspn(v, "0123456789") != strlen(v))) {
        const char *file;
        int line = 0, col = 0;
        sp->host->config_location(sp->host->config_get(sp->host->config(sp->self), key), &file,
                                  &line, &col);
        sync_log(sp, AGENDAD_LOG_ERR, "%s:%d:%d: %s \"%s\" is not a %s", file ? file : "?", line,
                 col, key, v, duration ? "duration such as 30s, 10m, 6h" : "whole number");
        return false;
    }
    *out = n;
    return true;
}

/* Any address inside sync.so, for dladdr. */
static const char sync_anchor;

/* The directory sync.so was loaded from, with its final '/'; NULL when
 * unknown. Caller frees. */
static char *plugin_dir(void)
{
    Dl_info info;
    if (!dladdr(&sync_anchor, &info) || !info.dli_fname)
        return NULL;
    const char *slash = strrchr(info.dli_fname, '/');
    return slash ? strndup(info.dli_fname, (size_t)(slash - info.dli_fname) + 1) : NULL;
}

/* The helper: the `helper` setting; else agendad-ical-import beside
 * sync.so (a build tree, where both are built into the same directory, as
 * scripts/start.sh runs it); else the installed one, found from sync.so's
 * own directory, then at the path it was installed to. */
void sync_find_helper(sync_plugin *sp)
{
    const char *set = setting(sp, "helper");
    sp->helper = set ? set : AGENDAD_SYNC_HELPER;
    char *dir = set ? NULL : plugin_dir();
    if (!dir)
        return;
    const char *const rel[] = {"", AGENDAD_SYNC_HELPER_REL "/"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s%s%s", dir, rel[i], SYNC_HELPER_NAME) < 0)
            break;
        if (access(path, X_OK) == 0) {
            sp->helper = sp->helper_path = path;
            break;
        }
        free(path);
    }
    free(dir);
}

static bool read_settings(sync_plugin *sp)
{
    int64_t ct = 10, tt = 60, size = 8 << 20, redirects = 5, mem = 256, cpu = 10, events = 5000,
            maxb = 6 * 3600, past = 366 * 86400, future = 731 * 86400,
            parsers = (int64_t)uv_available_parallelism();
    bool ok = number_setting(sp, "connect_timeout", true, &ct) &&
              number_setting(sp, "timeout", true, &tt) &&
              number_setting(sp, "max_size", false, &size) &&
              number_setting(sp, "max_redirects", false, &redirects) &&
              number_setting(sp, "parser_memory", false, &mem) &&
              number_setting(sp, "parser_cpu", false, &cpu) &&
              number_setting(sp, "max_events", false, &events) &&
              number_setting(sp, "max_backoff", true, &maxb) &&
              number_setting(sp, "window_past", true, &past) &&
              number_setting(sp, "window_future", true, &future) &&
              number_setting(sp, "parsers", false, &parsers);
    sp->connect_timeout_ms = (long)ct * 1000;
    sp->total_timeout_ms = (long)tt * 1000;
    sp->max_bytes = (size_t)size;
    sp->max_redirects = redirects == 0 ? -1 : (int)redirects;
    sp->parser_memory_mb = (long)mem;
    sp->parser_cpu_s = cpu > 0 ? (long)cpu : 1;
    sp->max_events = (long)events;
    sp->max_backoff = maxb;
    sp->window_past = past;
    sp->window_future = future;
    sp->max_parsers = parsers > 0 ? (int)parsers : 1;
    sync_find_helper(sp);
    sp->default_tz = setting(sp, "timezone") ? setting(sp, "timezone") : "Africa/Casablanca";
    sp->ca_file = setting(sp, "ca_file");
    const char *insecure = setting(sp, "tls_insecure");
    sp->tls_insecure = insecure && strcmp(insecure, "true") == 0;
    return ok;
}

/* ------------------------------------------------------------ lifecycle */

static int sync_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    if (!AGENDAD_HOST_HAS(host, state_set)) {
        host->log(self, AGENDAD_LOG_ERR, "needs agendad with plugin ABI 1.2 (member sync)");
        return AGENDAD_EPLUGIN;
    }
    sync_plugin *sp = calloc(1, sizeof *sp);
    if (!sp)
        return AGENDAD_ENOMEM;
    sp->host = host;
    sp->self = self;
#if AGENDAD_PLUGIN_ABI_MINOR >= 8
    if (AGENDAD_HOST_HAS(host, command_line) && host->command_line(self)) {
        /* The command line, for `agendad sync status`: it reads what the
         * daemon saved; nothing is pulled, pushed or saved here. */
        int rc = host->register_command(self, "sync", sync_status_command, sp);
        if (rc == 0 && AGENDAD_HOST_HAS(host, register_check))
            rc = host->register_check(self, sync_check, sp); /* check.c */
        if (rc != 0)
            free(sp);
        else
            *state = sp;
        return rc;
    }
#endif
    int rc = read_settings(sp) ? 0 : AGENDAD_EINVAL;
    if (rc == 0)
        rc = host->register_source(self, "sync", &sp->source);
    if (rc == 0)
        rc = host->register_route(self, "/plugins/sync", sync_status_route, sp);
    if (rc == 0)
        rc = host->register_listener(self, on_reload, sp);
    if (rc != 0) {
        free(sp->helper_path);
        free(sp);
        return rc;
    }
#if AGENDAD_PLUGIN_ABI_MINOR >= 9
    sp->busy = AGENDAD_HOST_HAS(host, source_busy_replace);
#endif
    if (AGENDAD_HOST_HAS(host, metric_register)) {
        static const char *const labels[] = {"member", "result", NULL};
        sp->pulls = host->metric_register(
            self, AGENDAD_METRIC_COUNTER, "pulls_total",
            "Pulls of members' feeds by result: changed, unchanged (304 or same), error.", labels);
    }
    *state = sp;
    refresh_members(sp);
    sync_log(sp, AGENDAD_LOG_INFO, "%zu member feeds to pull (calendar parser: %s)", sp->n_members,
             sp->helper);
    return 0;
}

void sync_member_maybe_free(sync_member *m)
{
    if (m->open_timers == 0 && !m->child && !m->dav_busy.proc)
        sync_member_free(m);
}

/* A member is freed once its timers and any parser child are closed. */
static void on_timer_closed(uv_handle_t *h)
{
    sync_member *m = h->data;
    if (--m->open_timers == 0)
        sync_member_maybe_free(m);
}

static void sync_fini(agendad_plugin *self, void *state)
{
    (void)self;
    sync_plugin *sp = state;
    sp->stopping = true;
    for (size_t i = 0; i < sp->n_members; i++) {
        sync_member *m = sp->members[i];
        sync_state_save(m, true);
        sync_pull_abort(m);
        sync_busy_abort(m);
        m->stopping = true;
        if (m->dav.xfer)
            sp->host->xfer_cancel(m->dav.xfer);
        uv_close((uv_handle_t *)&m->timer, on_timer_closed);
        uv_close((uv_handle_t *)&m->dav_timer, on_timer_closed);
        uv_close((uv_handle_t *)&m->busy_timer, on_timer_closed);
    }
    free(sp->members);
    free(sp->helper_path);
    free(sp);
}

AGENDAD_PLUGIN_DECLARE("sync", "1.0", sync_init, sync_fini);
