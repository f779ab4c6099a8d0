/* What an operator asks a running daemon: /metrics (Prometheus text),
 * /status (JSON) and /status.html (the same facts for a person). It keeps
 * the facts the daemon learns as it runs — when it started and last loaded
 * its config, how the last reload went and with which errors — and the core
 * metric families (HTTP, feeds, reloads).
 *
 * Access: peers on loopback (unless http.metrics_loopback is false, e.g.
 * behind a local reverse proxy where every client looks local), and anyone
 * presenting "Authorization: Bearer TOKEN" with the token of
 * http.metrics_token_file. Others get 401 (a token is configured) or 403. */
#ifndef AGENDAD_OPS_STATUS_H
#define AGENDAD_OPS_STATUS_H

#include "diag.h"
#include "http.h"
#include "metrics.h"
#include "plugin_host.h"
#include "service.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    AG_STATUS_RELOAD_OK,
    AG_STATUS_RELOAD_CONFIG_ERROR,
    AG_STATUS_RELOAD_STORE_ERROR,
} ag_status_reload;

typedef struct ag_ops {
    ag_metrics *metrics; /* owned */
    ag_service *svc;     /* borrowed */
    ag_plugin_host *plugins;
    int64_t started_at, loaded_at; /* Unix seconds; loaded_at: last good config */
    int64_t last_reload_at;        /* 0: no reload since start */
    ag_status_reload last_result;
    char *last_trigger; /* "SIGHUP", "config directory changed"... */
    char **last_errors; /* "file:line:col: message" lines of the last failed reload */
    size_t n_last_errors;
    /* Core families, kept to update without a lookup. */
    ag_metric *http_requests, *http_bytes, *reloads, *last_reload_time, *last_reload_ok;
    ag_metric *events, *members, *start_time, *build_info;
    /* Called before /metrics renders, for gauges read from elsewhere (the
     * reminder outbox); may be NULL. */
    void (*refresh)(void *data);
    void *refresh_data;
} ag_ops;

/* 0, or AG_ENOMEM. svc must stay valid until ag_ops_status_fini.
 * svc->metrics is pointed at the registry, so feed builds are measured. */
int ag_ops_status_init(ag_ops *st, ag_service *svc, int64_t now);
void ag_ops_status_fini(ag_ops *st);

/* Counts each response by route and status (an ag_http_observer_fn; data
 * is the ag_ops). */
void ag_ops_status_observe_http(const char *route, int status, size_t body_bytes, void *data);

/* Records a reload's outcome; diags and err as ag_service_reload left them
 * (either may be empty/NULL). */
void ag_ops_status_reloaded(ag_ops *st, ag_status_reload result, const char *trigger,
                            const ag_diags *diags, const char *err, int64_t now);

/* Serves /metrics, /status and /status.html: true when path was one of
 * them (and a response was sent). */
bool ag_ops_status_dispatch(ag_ops *st, ag_http_request *req);

#endif
