#include "daemon.h"

#include "http.h"
#include "service_import_queue.h"
#include "service_imports.h"
#include "log.h"
#include "ops_loop_busy.h"
#include "net_lazy.h"
#include "clock.h"
#include "error.h"
#include "daemon_plugins.h"
#include "plugin_host.h"
#include "reminders_ics.h"
#include "daemon_routes.h"
#include "daemon_mailin.h"
#include "mailin.h"
#include "documents.h"
#include "daemon_schedule.h"
#include "reminders.h"
#include "rsvp_http.h"
#include "rsvp_retention.h"
#include "ops_sdnotify.h"
#include "ops_status.h"
#include "tz.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#define RELOAD_DEBOUNCE_MS 250
#define TICK_MS (15 * 60 * 1000)
#define STOP_DEADLINE_MS 10000
/* The loop's longest stall on another process's lock, per statement. */
#define LOOP_BUSY_TIMEOUT_MS 50
#define STORE_RETRY_FIRST_MS 500
#define STORE_RETRY_MAX_MS 60000
#define RETENTION_INTERVAL_MS (24 * 3600 * 1000)

typedef struct {
    uv_loop_t loop;
    ag_service svc;
    ag_routes routes;
    ag_documents *documents;
    ag_http_server *http;
    ag_plugin_host *plugins;
    ag_net_lazy *net; /* outbound HTTP/SMTP for plugins, loaded at first use */
    ag_scheduler *reminders;
    ag_mailin_server *mailin; /* replies by email from `agendad mail-in`; NULL when off */
    uv_signal_t sig_hup, sig_term, sig_int;
    uv_fs_event_t watch_dir, watch_events;
    bool watching_events;
    uv_timer_t debounce, tick, deadline, watchdog;
    uv_timer_t retention;    /* replies and attendance past invitations.retention */
    uv_timer_t store_retry;  /* a reload that failed on the store, tried again */
    uint64_t store_retry_ms; /* next retry delay; 0 when the last reload reached the store */
    ag_loop_busy busy;
    ag_import_queue imports; /* members' batches, stored over several turns */
    ag_ops status;
    ag_daemon_schedule *schedule; /* /schedule/propose, /freebusy/ */
    bool stopping;
    bool http_down, reminders_drained, finished; /* the steps of a stop */
    bool handles_ready;
    bool forced; /* the stop deadline passed with connections still open */
} ag_daemon;

static void reload(ag_daemon *d, const char *why);

static void log_reload_stats(const ag_reconcile_stats *st, const char *why)
{
    ag_log(AG_LOG_NOTICE,
           "configuration loaded (%s): %d added, %d changed, %d unchanged, %d removed, "
           "%d restored",
           why, st->added, st->changed, st->unchanged, st->removed, st->restored);
}

static void on_debounce(uv_timer_t *t)
{
    reload(t->data, "config directory changed");
}

static void on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    (void)filename;
    (void)events;
    ag_daemon *d = h->data;
    if (status < 0 || d->stopping)
        return;
    /* Editors write a file in several steps: wait until they are done. */
    uv_timer_start(&d->debounce, on_debounce, RELOAD_DEBOUNCE_MS, 0);
}

static void watch_events_dir(ag_daemon *d)
{
    if (d->watching_events)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/events", d->svc.config_dir);
    uv_fs_event_init(&d->loop, &d->watch_events);
    d->watch_events.data = d;
    if (uv_fs_event_start(&d->watch_events, on_fs_event, path, 0) == 0) {
        d->watching_events = true;
        return;
    }
    /* No events/ yet: the directory watch will notice when it appears. */
    uv_close((uv_handle_t *)&d->watch_events, NULL);
}

static void notify_status(const char *state)
{
    sd_notifyf(0, "%s", state);
}

static void on_store_retry(uv_timer_t *t)
{
    reload(t->data, "retry after a store error");
}

/* A store error (locked by another process, disk full, read-only) is the
 * machine's, not the admin's: the same config is tried again, each wait
 * twice the last, rather than waiting for the next edit or SIGHUP. */
static uint64_t schedule_store_retry(ag_daemon *d)
{
    d->store_retry_ms = d->store_retry_ms ? d->store_retry_ms * 2 : STORE_RETRY_FIRST_MS;
    if (d->store_retry_ms > STORE_RETRY_MAX_MS)
        d->store_retry_ms = STORE_RETRY_MAX_MS;
    uv_timer_start(&d->store_retry, on_store_retry, d->store_retry_ms, 0);
    return d->store_retry_ms;
}

static void cancel_store_retry(ag_daemon *d)
{
    d->store_retry_ms = 0;
    uv_timer_stop(&d->store_retry);
}

static void report_store_error(ag_daemon *d, const char *err)
{
    uint64_t ms = schedule_store_retry(d);
    ag_log(AG_LOG_ERR, "%s; still serving the previous configuration, trying again in %.1f s",
           err ? err : "store error", (double)ms / 1000);
}

/* Parsing a large config peaks far above what the daemon keeps; glibc holds
 * on to the freed pages unless asked, and the resident size would stay at
 * that peak. */
static void release_memory(void)
{
    malloc_trim(0);
}

/* A tzdata upgrade frees libical's zones, which a computation of busy time
 * in the pool may be reading: then it waits for the next tick. */
static void refresh_tz(ag_daemon *d)
{
    if (ag_daemon_schedule_busy(d->schedule) || !ag_tz_refresh())
        return;
    ag_log(AG_LOG_NOTICE, "tzdata is now %s: rebuilding feeds", ag_tz_version());
    ag_service_invalidate(&d->svc);
}

static void reload(ag_daemon *d, const char *why)
{
    if (d->stopping)
        return;
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
               (unsigned long long)(uv_hrtime() / 1000));
    refresh_tz(d);
    ag_reconcile_stats st = {0};
    ag_diags diags = {0};
    char *err = NULL;
    ag_reload_result result = ag_service_reload(&d->svc, (int64_t)time(NULL), &st, &diags, &err);
    static const ag_status_reload outcome[] = {
        [AG_RELOAD_OK] = AG_STATUS_RELOAD_OK,
        [AG_RELOAD_CONFIG_ERROR] = AG_STATUS_RELOAD_CONFIG_ERROR,
        [AG_RELOAD_STORE_ERROR] = AG_STATUS_RELOAD_STORE_ERROR,
    };
    ag_ops_status_reloaded(&d->status, outcome[result], why, &diags, err, (int64_t)time(NULL));
    if (result == AG_RELOAD_STORE_ERROR)
        report_store_error(d, err);
    else
        cancel_store_retry(d);
    switch (result) {
    case AG_RELOAD_OK:
        log_reload_stats(&st, why);
        ag_plugins_notify(d->plugins, &st, NULL, 0);
        if (d->reminders)
            ag_reminders_rebuild(d->reminders, d->svc.cfg, d->svc.evs, d->svc.n_evs);
        release_memory();
        notify_status("READY=1\nSTATUS=serving");
        break;
    case AG_RELOAD_CONFIG_ERROR:
        ag_diags_log(&diags);
        ag_log(AG_LOG_ERR, "configuration not reloaded (%s): still serving the previous one", why);
        notify_status("READY=1\nSTATUS=serving the previous configuration (errors in the new one)");
        break;
    case AG_RELOAD_STORE_ERROR:
        notify_status("READY=1\nSTATUS=serving the previous configuration (store error)");
        break;
    }
    free(err);
    ag_diags_free(&diags);
    watch_events_dir(d);
}

static void on_sighup(uv_signal_t *s, int signum)
{
    (void)signum;
    reload(s->data, "SIGHUP");
}

static void close_handle(void *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Closes the daemon's own handles; the HTTP server closes its own. */
static void close_own(ag_daemon *d)
{
    if (!d->handles_ready)
        return;
    d->handles_ready = false;
    void *handles[] = {&d->sig_hup,   &d->sig_term,    &d->sig_int,     &d->debounce,
                       &d->tick,      &d->deadline,    &d->watch_dir,   &d->watchdog,
                       &d->retention, &d->store_retry, &d->busy.prepare};
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
        close_handle(handles[i]);
    if (d->watching_events)
        close_handle(&d->watch_events);
}

/* After plugins' fini: their pending transfers are cancelled and the host
 * drops the callbacks. */
static void stop_net(ag_daemon *d)
{
    ag_net_lazy_free(d->net);
    d->net = NULL;
}

/* A reply being parsed is dropped unanswered: its `agendad mail-in` exits
 * 75 and the MTA gives it again later. */
static void stop_mailin(ag_daemon *d)
{
    ag_daemon_mailin_stop(d->mailin);
    d->mailin = NULL;
}

/* Once requests are answered and deliveries have reported: plugins close
 * their own handles, the loop then runs their callbacks and ends. The
 * scheduler is abandoned first, so that whatever a plugin's fini cancels
 * stays pending rather than counting as a failed attempt. */
static void finish_stop(ag_daemon *d)
{
    if (d->finished)
        return;
    d->finished = true;
    stop_mailin(d);
    ag_reminders_abandon(d->reminders);
    /* Before fini: a batch's done would call into a plugin being unloaded. */
    ag_service_import_queue_close(&d->imports);
    ag_plugins_fini(d->plugins);
    ag_reminders_stop(d->reminders);
    stop_net(d);
    close_own(d);
}

static void maybe_finish_stop(ag_daemon *d)
{
    if (d->http_down && d->reminders_drained)
        finish_stop(d);
}

static void on_http_down(void *data)
{
    ag_daemon *d = data;
    d->http_down = true;
    maybe_finish_stop(d);
}

static void on_reminders_drained(void *data)
{
    ag_daemon *d = data;
    d->reminders_drained = true;
    maybe_finish_stop(d);
}

/* Connections still open: the loop stops where it is. Only deliveries
 * left: they stay pending, and the stop goes on cleanly. */
static void on_deadline(uv_timer_t *t)
{
    ag_daemon *d = t->data;
    if (d->http_down) {
        ag_reminders_abandon(d->reminders);
        d->reminders_drained = true;
        maybe_finish_stop(d);
        return;
    }
    ag_log(AG_LOG_WARNING, "stop deadline reached: dropping the remaining connections");
    d->forced = true;
    uv_stop(&d->loop);
}

static void on_stop_signal(uv_signal_t *s, int signum)
{
    ag_daemon *d = s->data;
    if (d->stopping)
        return;
    d->stopping = true;
    uv_fs_event_stop(&d->watch_dir);
    uv_timer_stop(&d->store_retry);
    stop_mailin(d);
    uv_timer_stop(&d->retention);
    ag_log(AG_LOG_NOTICE, "%s received: finishing requests and stopping",
           signum == SIGTERM ? "SIGTERM" : "SIGINT");
    notify_status("STOPPING=1\nSTATUS=stopping");
    uv_timer_start(&d->deadline, on_deadline, STOP_DEADLINE_MS, 0);
    uv_unref((uv_handle_t *)&d->deadline);
    ag_reminders_drain(d->reminders, on_reminders_drained, d);
    ag_daemon_schedule_stop(d->schedule);
    ag_http_server_shutdown(d->http, on_http_down, d);
}

static void on_tick(uv_timer_t *t)
{
    /* A tzdata upgrade changes instants: every cached feed is stale. */
    refresh_tz(t->data);
}

/* Replies, attendance and invitations past invitations.retention go at
 * start and once a day, a batch per loop turn while there are many. */
static void on_retention(uv_timer_t *t)
{
    ag_daemon *d = t->data;
    bool more = false;
    int deleted = 0;
    char *err = NULL;
    if (d->svc.store && d->svc.cfg &&
        ag_rsvp_retention_step(d->svc.store, d->svc.cfg, d->svc.evs, d->svc.n_evs, ag_clock_now(),
                               &more, &deleted, &err) < 0)
        ag_log(AG_LOG_WARNING, "retention of replies and attendance: %s",
               err ? err : "failed; trying again tomorrow");
    else if (deleted > 0)
        ag_log(AG_LOG_INFO,
               "retention: %d replies, attendance marks, invitations and used "
               "form tokens deleted",
               deleted);
    free(err);
    uv_timer_start(t, on_retention, more ? 0 : RETENTION_INTERVAL_MS, 0);
}

static void init_handles(ag_daemon *d)
{
    uv_signal_init(&d->loop, &d->sig_hup);
    uv_signal_init(&d->loop, &d->sig_term);
    uv_signal_init(&d->loop, &d->sig_int);
    d->sig_hup.data = d->sig_term.data = d->sig_int.data = d;
    uv_signal_start(&d->sig_hup, on_sighup, SIGHUP);
    uv_signal_start(&d->sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_stop_signal, SIGINT);
    uv_timer_init(&d->loop, &d->debounce);
    uv_timer_init(&d->loop, &d->tick);
    uv_timer_init(&d->loop, &d->deadline);
    uv_timer_init(&d->loop, &d->store_retry);
    uv_timer_init(&d->loop, &d->retention);
    d->debounce.data = d->tick.data = d->deadline.data = d->store_retry.data = d;
    d->retention.data = d;
    uv_timer_start(&d->tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_start(&d->retention, on_retention, 0, 0);
    uint64_t wd = ag_ops_sd_watchdog_start(&d->loop, &d->watchdog);
    if (wd)
        ag_log(AG_LOG_INFO, "systemd watchdog: pinging every %llu ms",
               (unsigned long long)(wd / 2000));
    if (ag_ops_loop_busy_start(&d->busy, &d->loop, d->svc.metrics) < 0)
        ag_log(AG_LOG_WARNING, "loop turns are not measured");
    d->handles_ready = true;
    uv_fs_event_init(&d->loop, &d->watch_dir);
    d->watch_dir.data = d;
    if (uv_fs_event_start(&d->watch_dir, on_fs_event, d->svc.config_dir, 0) < 0)
        ag_log(AG_LOG_WARNING, "cannot watch %s: reload with SIGHUP", d->svc.config_dir);
    watch_events_dir(d);
}

static void print_subscribe_urls(const ag_service *svc)
{
    const ag_settings *s = ag_service_settings(svc);
    const char *rest = strstr(s->base_url, "://");
    rest = rest ? rest + 3 : s->base_url;
    ag_log(AG_LOG_NOTICE, "subscribe to the network: %s/feeds/network.ics", s->base_url);
    ag_log(AG_LOG_NOTICE, "  or, in apps that take it: webcal://%s/feeds/network.ics", rest);
    for (size_t i = 0; i < svc->cfg->n_categories; i++)
        ag_log(AG_LOG_NOTICE, "  category %s: %s/feeds/categories/%s.ics",
               svc->cfg->categories[i].id, s->base_url, svc->cfg->categories[i].id);
    ag_log(AG_LOG_NOTICE, "  each member: %s/feeds/members/MEMBER-ID.ics (%zu members)",
           s->base_url, svc->cfg->n_members);
}

/* Socket activation: systemd holds the socket, so connections that arrive
 * while the daemon restarts wait in its backlog instead of being refused.
 * true when a passed socket is served (listen: is then ignored). */
static bool adopt_systemd_socket(ag_daemon *d)
{
    int fd = ag_ops_sd_listen_fd();
    if (fd < 0)
        return false;
    char *err = NULL;
    if (ag_http_server_adopt(d->http, fd, &err) < 0) {
        ag_log(AG_LOG_WARNING, "cannot serve the socket systemd passed (%s): listening myself",
               err);
        free(err);
        return false;
    }
    ag_log(AG_LOG_NOTICE, "agendad %s serving on the socket passed by systemd (port %d; tzdata %s)",
           AGENDAD_VERSION, ag_http_server_port(d->http), ag_tz_version());
    return true;
}

static int start_http(ag_daemon *d)
{
    const ag_settings *s = ag_service_settings(&d->svc);
    ag_http_limits lim;
    ag_http_limits_default(&lim);
    lim.max_connections = s->max_connections;
    lim.max_pending_per_address = s->max_pending_per_address;
    lim.max_header_bytes = s->max_header_bytes;
    lim.max_requests_per_conn = s->max_requests_per_conn;
    lim.max_requests_per_sec = s->max_requests_per_sec;
    lim.header_timeout_ms = s->header_timeout_ms;
    lim.idle_timeout_ms = s->idle_timeout_ms;
    d->documents = ag_documents_new(&d->svc);
    if (!d->documents)
        ag_log(AG_LOG_ERR, "cannot serve documents: out of memory");
    int rc = ag_daemon_schedule_new(&d->loop, &d->svc, &d->schedule);
    d->routes = (ag_routes){
        .svc = &d->svc, .status = &d->status, .documents = d->documents, .schedule = d->schedule};
    if (rc == 0)
        rc = ag_http_server_new(&d->loop, &lim, ag_daemon_routes_handle, &d->routes, &d->http);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "cannot start the HTTP server: %s", ag_strerror(rc));
        return rc;
    }
    ag_http_server_observe(d->http, ag_ops_status_observe_http, &d->status);
    ag_http_server_accept_post(d->http, ag_daemon_routes_accepts_post, &d->routes);
    if (adopt_systemd_socket(d))
        return 0;
    char *err = NULL;
    if ((rc = ag_http_server_listen(d->http, s->listen_host, s->listen_port, &err)) < 0) {
        ag_log(AG_LOG_ERR, "cannot listen on %s:%d: %s", s->listen_host, s->listen_port, err);
        free(err);
        return rc;
    }
    ag_log(AG_LOG_NOTICE, "agendad %s serving on http://%s:%d/ (tzdata %s)", AGENDAD_VERSION,
           s->listen_host, ag_http_server_port(d->http), ag_tz_version());
    return 0;
}

static const ag_stored_event *plugin_events(void *data, size_t *n)
{
    ag_daemon *d = data;
    *n = d->svc.n_evs;
    return d->svc.evs;
}

static const ag_config *plugin_config(void *data)
{
    return ((ag_daemon *)data)->svc.cfg;
}

static int plugin_event_ics(void *data, const char *uid, const char *lang, bool cancel, char **out,
                            size_t *len)
{
    ag_daemon *d = data;
    return ag_reminders_ics(&d->svc, uid, lang, cancel, ag_clock_now(), out, len);
}

static int plugin_event_itip(void *data, const char *uid, const char *lang,
                             const ag_plugin_itip *it, char **out, size_t *len)
{
    ag_daemon *d = data;
    return ag_reminders_ics_itip(&d->svc, uid, lang, it, ag_clock_now(), out, len);
}

static int64_t plugin_generation(void *data)
{
    return ((ag_daemon *)data)->svc.generation;
}

static bool plugin_dispatch(ag_http_request *req, void *data)
{
    return ag_plugins_dispatch(((ag_daemon *)data)->plugins, req);
}

static bool plugin_accepts_post(const char *path, void *data)
{
    return ag_plugins_accepts_post(((ag_daemon *)data)->plugins, path);
}

static int plugin_event_attendance(void *data, const char *uid,
                                   int (*fn)(const agendad_attendance *a, void *fn_data),
                                   void *fn_data)
{
    return ag_rsvp_event_attendance(&((ag_daemon *)data)->svc, uid, fn, fn_data);
}

static void free_rows(ag_import_row *rows, size_t n)
{
    ag_store_import_rows_free(rows, n);
}

/* A member's batch as rows; NULL on out of memory. */
static ag_import_row *batch_rows(ag_daemon *d, const char *member, const agendad_source_event *evs,
                                 size_t n)
{
    ag_import_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (ag_service_import_row_from_source(d->svc.cfg, member, &evs[i], &rows[i]) < 0) {
            free_rows(rows, i);
            return NULL;
        }
    return rows;
}

static void log_written(const char *source, const char *member, int written)
{
    if (written > 0)
        ag_log(AG_LOG_INFO, "%s: %d imported events of %s written", source, written, member);
}

/* A member's batch from an event source (sync) into the store and feeds. */
static int plugin_source_import(void *data, const char *source, const char *member,
                                const agendad_source_event *evs, size_t n, char **err)
{
    ag_daemon *d = data;
    ag_import_row *rows = batch_rows(d, member, evs, n);
    if (!rows) {
        *err = strdup("out of memory");
        return AG_ENOMEM;
    }
    int written = 0;
    int rc =
        ag_service_import(&d->svc, source, member, rows, n, (int64_t)time(NULL), &written, err);
    free_rows(rows, n);
    if (rc == 0)
        log_written(source, member, written);
    return rc;
}

/* The plugin host's callback and what the log line needs. */
typedef struct {
    char *source, *member;
    void (*done)(int rc, const char *err, void *ctx);
    void *ctx;
} import_report;

static void on_imported(int rc, int written, const char *err, void *data)
{
    import_report *r = data;
    if (rc == 0)
        log_written(r->source, r->member, written);
    /* A cancelled batch (AG_ECANCELED) is the host's AG_SOURCE_IMPORT_CANCELLED:
     * one code, passed through. */
    r->done(rc, err, r->ctx);
    free(r->source);
    free(r->member);
    free(r);
}

static int plugin_source_import_async(void *data, const char *source, const char *member,
                                      const agendad_source_event *evs, size_t n,
                                      void (*done)(int rc, const char *err, void *ctx), void *ctx,
                                      char **err)
{
    ag_daemon *d = data;
    import_report *r = calloc(1, sizeof *r);
    ag_import_row *rows = r ? batch_rows(d, member, evs, n) : NULL;
    int rc = AG_ENOMEM;
    if (rows) {
        *r = (import_report){strdup(source), strdup(member), done, ctx};
        /* The queue takes the rows over, also when it fails. */
        if (!r->source || !r->member)
            free_rows(rows, n);
        else if ((rc = ag_service_import_queue_submit(&d->imports, source, member, rows, n,
                                                      (int64_t)time(NULL), on_imported, r)) == 0)
            return 0;
    }
    if (r) {
        free(r->source);
        free(r->member);
    }
    free(r);
    /* The words plugins have always logged, the queue being closed too. */
    *err = strdup("out of memory");
    return rc;
}

/* A member's busy time from one of its calendars: times only, nothing
 * that a feed is built from. */
static int plugin_busy_replace(void *data, const char *member, const char *source, int64_t from,
                               int64_t to, const ag_busy_interval *iv, size_t n, char **err)
{
    ag_daemon *d = data;
    if (!d->svc.store) {
        *err = strdup("the state database is not open");
        return AG_ESTORE;
    }
    return ag_store_busy_replace(d->svc.store, member, source, from, to, iv, n, (int64_t)time(NULL),
                                 err);
}

static int plugin_state_get(void *data, const char *key, char **value)
{
    ag_daemon *d = data;
    *value = NULL;
    return d->svc.store ? ag_store_meta_get(d->svc.store, key, value, NULL) : AG_ESTORE;
}

static int plugin_state_set(void *data, const char *key, const char *value)
{
    ag_daemon *d = data;
    if (!d->svc.store)
        return AG_ESTORE;
    char *err = NULL;
    int rc = value ? ag_store_meta_set(d->svc.store, key, value, &err)
                   : ag_store_meta_delete(d->svc.store, key, &err);
    if (rc < 0)
        ag_log(AG_LOG_ERR, "plugin state not saved: %s", err ? err : "failed");
    free(err);
    return rc;
}

static int plugin_state_set_many(void *data, const char *const *keys, const char *const *values,
                                 size_t n)
{
    ag_daemon *d = data;
    if (!d->svc.store)
        return AG_ESTORE;
    char *err = NULL;
    int rc = ag_store_meta_set_many(d->svc.store, keys, values, n, &err);
    if (rc < 0)
        ag_log(AG_LOG_ERR, "plugin state not saved: %s", err ? err : "failed");
    free(err);
    return rc;
}

static int plugin_event_ical(void *data, const char *uid, const char *lang, char **out, size_t *len)
{
    return ag_daemon_event_ical(&((ag_daemon *)data)->svc, uid, lang, out, len);
}

/* A reloaded config is checked by the running plugins before it applies. */
static size_t check_reload(void *data, const ag_config *cfg, ag_diags *diags)
{
    ag_daemon *d = data;
    return ag_plugins_check(d->plugins, cfg, diags);
}

/* Plugins are loaded once: changing which plugins run needs a restart. */
static int load_plugins(ag_daemon *d)
{
    const ag_settings *s = ag_service_settings(&d->svc);
    ag_plugin_services ps = {0};
    ag_daemon_plugin_services(&ps);
    ps.events = plugin_events;
    ps.config = plugin_config;
    ps.generation = plugin_generation;
    ps.data = d;
    ps.event_ics = plugin_event_ics;
    ps.event_itip = plugin_event_itip;
    ps.source_import = plugin_source_import;
    ps.source_import_async = plugin_source_import_async;
    ps.busy_replace = plugin_busy_replace;
    ps.state_get = plugin_state_get;
    ps.state_set = plugin_state_set;
    ps.state_set_many = plugin_state_set_many;
    ps.event_ical = plugin_event_ical;
    ps.event_attendance = plugin_event_attendance;
    ag_service_import_queue_init(&d->imports, &d->loop, &d->svc);
    if (ag_net_lazy_new(&d->loop, &d->net) < 0)
        ag_log(AG_LOG_WARNING, "no network client: plugins cannot send or fetch");
    ps.net = d->net;
    ps.metrics = d->svc.metrics;
    int rc = ag_plugins_load(&d->loop, s->plugin_dir, s->plugins, s->n_plugins, &ps, &d->plugins);
    if (rc < 0) {
        /* The host fails only when memory runs out (nothing loaded). */
        ag_log(AG_LOG_ERR, "cannot load the plugins: out of memory");
        return AG_ENOMEM;
    }
    d->routes.extra = plugin_dispatch;
    d->routes.extra_post = plugin_accepts_post;
    d->routes.extra_data = d;
    d->svc.check = check_reload;
    d->svc.check_data = d;
    d->status.plugins = d->plugins;
    if (s->n_plugins)
        ag_log(AG_LOG_NOTICE, "%zu of %zu plugins running", ag_plugins_count(d->plugins),
               s->n_plugins);
    return 0;
}

/* What the plugins' checks find in the config the daemon starts with stops
 * it, as the config's own errors do (what `agendad check` fails on). */
static int check_plugins(ag_daemon *d)
{
    ag_diags diags = {0};
    size_t n = ag_plugins_check(d->plugins, d->svc.cfg, &diags);
    if (n > 0) {
        ag_diags_log(&diags);
        ag_log(AG_LOG_ERR, "not started: fix the errors above and start again");
    }
    ag_diags_free(&diags);
    return n > 0 ? AG_ECONFIG : 0;
}

static void refresh_reminder_metrics(void *data)
{
    ag_reminders_refresh_metrics(data);
}

/* After the plugins, whose channels it uses. */
static int start_reminders(ag_daemon *d)
{
    ag_clock_init();
    int64_t fake;
    double mono;
    if (ag_clock_fake_anchor(&fake, &mono))
        ag_log(AG_LOG_WARNING,
               "reminders run on the test clock (AGENDAD_TEST_CLOCK=1): Unix time %lld at "
               "CLOCK_MONOTONIC %.6f s",
               (long long)fake, mono);
    else if (ag_clock_is_fake())
        ag_log(AG_LOG_WARNING, "reminders run on the test clock (AGENDAD_TEST_CLOCK=1)");
    int rc = ag_reminders_new(&d->loop, d->svc.store, d->plugins, &d->reminders);
    if (rc == AG_ENOMEM)
        ag_log(AG_LOG_ERR, "cannot start the reminders: out of memory");
    if (rc < 0)
        return rc; /* the store's own error is logged already */
    ag_reminders_set_metrics(d->reminders, d->svc.metrics);
    d->status.refresh = refresh_reminder_metrics;
    d->status.refresh_data = d->reminders;
    ag_reminders_rebuild(d->reminders, d->svc.cfg, d->svc.evs, d->svc.n_evs);
    release_memory();
    return 0;
}

/* What a kill -9 left of an import (a generation never made current, an
 * old one half deleted) goes now, before the loop writes any; only the
 * daemon does this: an offline command run beside it (token, export) would
 * delete the rows of the import it is writing. */
static void sweep_imports(ag_daemon *d)
{
    int n = 0;
    char *err = NULL;
    if (!d->svc.store)
        return;
    if (ag_store_import_sweep_all(d->svc.store, &n, &err) < 0)
        ag_log(AG_LOG_WARNING, "%s", err ? err : "cannot delete unfinished imports");
    else if (n > 0)
        ag_log(AG_LOG_INFO, "deleted %d unfinished or replaced generations of imported events", n);
    free(err);
}

static int open_service(ag_daemon *d, const char *config_dir, const ag_overrides *ov)
{
    ag_diags diags = {0};
    char *err = NULL;
    int rc = ag_service_open(&d->svc, config_dir, ov, &diags, &err);
    if (rc == 0) {
        ag_service_set_busy_timeout(&d->svc, LOOP_BUSY_TIMEOUT_MS);
        sweep_imports(d);
    }
    if (rc < 0) {
        ag_diags_log(&diags);
        if (err)
            ag_log(AG_LOG_ERR, "%s", err);
        ag_log(AG_LOG_ERR, "not started: fix the errors above and start again");
    }
    ag_diags_free(&diags);
    free(err);
    return rc;
}

/* The mail-in socket, when systemd passed one or the network sends
 * invitations. Without it the feeds are served all the same: replies
 * wait in the MTA's queue (mail-in exits 75) until it works. Its path and
 * group are taken at start. */
static void start_mailin(ag_daemon *d)
{
    const ag_settings *s = ag_service_settings(&d->svc);
    int fd = ag_ops_sd_mail_fd();
    if (fd < 0 && !s->invitations_organizer)
        return;
    char *err = NULL;
    if (ag_daemon_mailin_start(&d->loop, &d->svc, fd, &d->mailin, &err) < 0)
        ag_log(AG_LOG_ERR, "mail-in: replies by email cannot come in: %s",
               err ? err : "out of memory");
    else
        ag_log(AG_LOG_NOTICE, "mail-in: replies by email taken on %s",
               fd >= 0 ? "the socket passed by systemd" : s->mail_socket);
    free(err);
}

static int start_status(ag_daemon *d)
{
    int rc = ag_ops_status_init(&d->status, &d->svc, time(NULL));
    if (rc < 0)
        ag_log(AG_LOG_ERR, "cannot start the status page: %s", ag_strerror(rc));
    return rc;
}

int ag_daemon_run(const char *config_dir, const ag_overrides *ov)
{
    ag_daemon *d = calloc(1, sizeof *d);
    if (!d || uv_loop_init(&d->loop) < 0) {
        free(d);
        return 1;
    }
    /* Before the first run: libuv counts idle time only when asked first. */
    uv_loop_configure(&d->loop, UV_METRICS_IDLE_TIME);
    ag_clock_init(); /* a test clock starts with the process, not after loading */
    ag_tz_init();
    ag_mailin_init();
    int rc = 1;
    if (open_service(d, config_dir, ov) == 0 && start_status(d) == 0 && start_http(d) == 0 &&
        load_plugins(d) == 0 && check_plugins(d) == 0 && start_reminders(d) == 0) {
        init_handles(d);
        start_mailin(d);
        print_subscribe_urls(&d->svc);
        notify_status("READY=1\nSTATUS=serving");
        uv_run(&d->loop, UV_RUN_DEFAULT);
        rc = 0;
    } else if (d->http) {
        ag_http_server_shutdown(d->http, NULL, NULL);
    }
    finish_stop(d);
    if (!d->forced) {
        uv_run(&d->loop, UV_RUN_DEFAULT);
        if (d->http)
            ag_http_server_free(d->http);
        ag_plugins_free(d->plugins);
        uv_loop_close(&d->loop);
    }
    ag_daemon_schedule_free(d->schedule);
    ag_reminders_free(d->reminders);
    ag_documents_free(d->documents);
    ag_ops_status_fini(&d->status);
    ag_service_close(&d->svc);
    ag_mailin_shutdown();
    ag_tz_shutdown();
    free(d);
    ag_log(AG_LOG_NOTICE, "stopped");
    return rc;
}
