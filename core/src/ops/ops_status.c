#include "ops_status.h"
#include "html.h"

#include "error.h"
#include "log.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void register_core(ag_ops *st)
{
    ag_metrics *m = st->metrics;
    const char *const route_status[] = {"route", "status", NULL};
    const char *const route[] = {"route", NULL};
    const char *const result[] = {"result", NULL};
    const char *const version[] = {"version", NULL};
    st->http_requests = ag_metrics_counter(
        m, "agendad_http_requests_total",
        "HTTP responses by route template and status; 304 over all GETs of a feed route is the "
        "share of revalidations that cost no body.",
        route_status);
    st->http_bytes = ag_metrics_counter(m, "agendad_http_response_body_bytes_total",
                                        "Body bytes handed to connections, by route.", route);
    st->reloads =
        ag_metrics_counter(m, "agendad_config_reloads_total",
                           "Config reloads by result (ok, config_error, store_error).", result);
    st->last_reload_time = ag_metrics_gauge(
        m, "agendad_config_last_reload_timestamp_seconds",
        "When the last reload attempt ended (Unix time); 0 before the first.", NULL);
    st->last_reload_ok = ag_metrics_gauge(
        m, "agendad_config_last_reload_success",
        "1 when the last reload (or the start) loaded its config, 0 when it kept the previous.",
        NULL);
    st->events = ag_metrics_gauge(m, "agendad_events",
                                  "Events in the store that the config still defines.", NULL);
    st->members = ag_metrics_gauge(m, "agendad_members", "Members in the config.", NULL);
    st->start_time = ag_metrics_gauge(m, "agendad_start_time_seconds",
                                      "When the daemon started (Unix time).", NULL);
    st->build_info = ag_metrics_gauge(m, "agendad_build_info", "Always 1; the version.", version);
}

int ag_ops_status_init(ag_ops *st, ag_service *svc, int64_t now)
{
    memset(st, 0, sizeof *st);
    st->metrics = ag_metrics_new();
    if (!st->metrics)
        return AG_ENOMEM;
    st->svc = svc;
    svc->metrics = st->metrics;
    st->started_at = st->loaded_at = now;
    register_core(st);
    const char *const v[] = {AGENDAD_VERSION};
    ag_metric_set(st->build_info, v, 1);
    ag_metric_set(st->start_time, NULL, (double)now);
    ag_metric_set(st->last_reload_ok, NULL, 1);
    return 0;
}

static void clear_errors(ag_ops *st)
{
    for (size_t i = 0; i < st->n_last_errors; i++)
        free(st->last_errors[i]);
    free(st->last_errors);
    st->last_errors = NULL;
    st->n_last_errors = 0;
}

void ag_ops_status_fini(ag_ops *st)
{
    if (st->svc)
        st->svc->metrics = NULL;
    clear_errors(st);
    free(st->last_trigger);
    ag_metrics_free(st->metrics);
    memset(st, 0, sizeof *st);
}

void ag_ops_status_observe_http(const char *route, int status, size_t body_bytes, void *data)
{
    ag_ops *st = data;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    const char *const rs[] = {route, code};
    const char *const r[] = {route};
    ag_metric_add(st->http_requests, rs, 1);
    ag_metric_add(st->http_bytes, r, (double)body_bytes);
}

static const char *result_name(ag_status_reload r)
{
    static const char *const names[] = {"ok", "config_error", "store_error"};
    return names[r];
}

static char *format_diag(const ag_diag *d)
{
    char *s = NULL;
    int rc;
    if (d->file && d->line)
        rc = asprintf(&s, "%s:%d:%d: %s", d->file, d->line, d->col, d->msg);
    else if (d->file)
        rc = asprintf(&s, "%s: %s", d->file, d->msg);
    else
        rc = asprintf(&s, "%s", d->msg);
    return rc < 0 ? NULL : s;
}

static void keep_errors(ag_ops *st, const ag_diags *diags, const char *err)
{
    size_t n = (diags ? diags->n : 0) + (err ? 1 : 0);
    st->last_errors = n ? calloc(n, sizeof *st->last_errors) : NULL;
    if (!st->last_errors)
        return;
    for (size_t i = 0; diags && i < diags->n; i++)
        if ((st->last_errors[st->n_last_errors] = format_diag(&diags->v[i])))
            st->n_last_errors++;
    if (err && (st->last_errors[st->n_last_errors] = strdup(err)))
        st->n_last_errors++;
}

void ag_ops_status_reloaded(ag_ops *st, ag_status_reload result, const char *trigger,
                            const ag_diags *diags, const char *err, int64_t now)
{
    const char *const r[] = {result_name(result)};
    ag_metric_add(st->reloads, r, 1);
    ag_metric_set(st->last_reload_time, NULL, (double)now);
    ag_metric_set(st->last_reload_ok, NULL, result == AG_STATUS_RELOAD_OK);
    st->last_reload_at = now;
    st->last_result = result;
    free(st->last_trigger);
    st->last_trigger = strdup(trigger ? trigger : "");
    clear_errors(st);
    if (result == AG_STATUS_RELOAD_OK)
        st->loaded_at = now;
    else
        keep_errors(st, diags, err);
}

/* ---- access ---- */

static bool is_loopback(const char *peer)
{
    return strncmp(peer, "127.", 4) == 0 || strcmp(peer, "::1") == 0 ||
           strncmp(peer, "::ffff:127.", 11) == 0;
}

/* Sends the refusal itself and returns false when req may not see it. */
static bool allowed(ag_ops *st, ag_http_request *req)
{
    const ag_settings *s = ag_service_settings(st->svc);
    if (s->metrics_loopback && is_loopback(ag_http_peer(req)))
        return true;
    if (ag_http_bearer_check(req, s->metrics_token) == AG_HTTP_BEARER_OK)
        return true;
    if (s->metrics_token) {
        const char *const h[] = {"WWW-Authenticate: Bearer realm=\"agendad\"", NULL};
        ag_http_respond_error(req, 401, "a bearer token is required", h);
    } else {
        ag_http_respond_error(req, 403, "only from the local machine", NULL);
    }
    return false;
}

/* ---- facts shared by /metrics and /status ---- */

typedef struct {
    size_t events, members, categories;
} counts;

static counts count_all(const ag_service *svc)
{
    counts c = {0};
    for (size_t i = 0; i < svc->n_evs; i++)
        if (!svc->evs[i].removed_at)
            c.events++;
    if (svc->cfg) {
        c.members = svc->cfg->n_members;
        c.categories = svc->cfg->n_categories;
    }
    return c;
}

/* Gauges read from state at scrape time rather than kept up to date. */
static void refresh_gauges(ag_ops *st)
{
    counts c = count_all(st->svc);
    ag_metric_set(st->events, NULL, (double)c.events);
    ag_metric_set(st->members, NULL, (double)c.members);
    if (st->refresh)
        st->refresh(st->refresh_data);
}

static void serve_metrics(ag_ops *st, ag_http_request *req)
{
    refresh_gauges(st);
    size_t len;
    char *text = ag_metrics_render(st->metrics, &len);
    if (!text) {
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    const char *const h[] = {"Cache-Control: no-store", NULL};
    ag_http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, h);
    free(text);
}

static void iso_time(int64_t t, char out[32])
{
    if (!t) {
        strcpy(out, "");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_key_str(FILE *f, const char *key, const char *value, bool comma)
{
    fprintf(f, "%s\"%s\":", comma ? "," : "", key);
    json_str(f, value);
}

static double http_count(const ag_ops *st, const char *status)
{
    /* Feed routes only: a 304 ratio over health checks would mean nothing. */
    static const char *const routes[] = {"/feeds/network.ics", "/feeds/members/{id}.ics",
                                         "/feeds/categories/{id}.ics", "/events/{uid}.ics"};
    double n = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *const v[] = {routes[i], status};
        n += ag_metric_value(st->http_requests, v);
    }
    return n;
}

static void json_plugins(FILE *f, const ag_ops *st)
{
    fprintf(f, ",\"plugins\":[");
    for (size_t i = 0; i < ag_plugins_count(st->plugins); i++) {
        fputs(i ? "," : "", f);
        json_str(f, ag_plugins_name(st->plugins, i));
    }
    fputc(']', f);
}

static void json_reload(FILE *f, const ag_ops *st)
{
    char at[32];
    iso_time(st->last_reload_at, at);
    fprintf(f, ",\"last_reload\":");
    if (!st->last_reload_at) {
        fputs("null", f);
        return;
    }
    fputc('{', f);
    json_key_str(f, "at", at, false);
    json_key_str(f, "trigger", st->last_trigger, true);
    json_key_str(f, "result", result_name(st->last_result), true);
    fprintf(f, ",\"errors\":[");
    for (size_t i = 0; i < st->n_last_errors; i++) {
        fputs(i ? "," : "", f);
        json_str(f, st->last_errors[i]);
    }
    fputs("]}", f);
}

/* Every metric series, so that a person sees on /status what /metrics
 * tells Prometheus (reminders by channel, sync pulls by member...). */
typedef struct {
    FILE *f;
    bool html;
    size_t n;
} sample_out;

static void json_sample(const ag_metric_sample *s, void *data)
{
    sample_out *o = data;
    fputs(o->n++ ? ",{" : "{", o->f);
    json_key_str(o->f, "name", s->family, false);
    fputs(",\"labels\":{", o->f);
    for (size_t i = 0; i < s->n_labels; i++)
        json_key_str(o->f, s->label_names[i], s->label_values[i], i > 0);
    fputc('}', o->f);
    if (s->histogram)
        fprintf(o->f, ",\"count\":%llu,\"sum\":%.6g}", (unsigned long long)s->count, s->value);
    else
        fprintf(o->f, ",\"value\":%.6g}", s->value);
}

static void json_metrics(FILE *f, const ag_ops *st)
{
    sample_out o = {f, false, 0};
    fputs(",\"metrics\":[", f);
    ag_metrics_foreach(st->metrics, json_sample, &o);
    fputc(']', f);
}

static void write_json(FILE *f, const ag_ops *st)
{
    const ag_settings *s = ag_service_settings(st->svc);
    counts c = count_all(st->svc);
    char started[32], loaded[32];
    iso_time(st->started_at, started);
    iso_time(st->loaded_at, loaded);
    fputc('{', f);
    json_key_str(f, "version", AGENDAD_VERSION, false);
    json_key_str(f, "tzdata", ag_tz_version(), true);
    json_key_str(f, "config_dir", st->svc->config_dir, true);
    json_key_str(f, "state", s->state_path, true);
    json_key_str(f, "base_url", s->base_url, true);
    json_key_str(f, "started_at", started, true);
    json_key_str(f, "loaded_at", loaded, true);
    fprintf(f, ",\"events\":%zu,\"members\":%zu,\"categories\":%zu", c.events, c.members,
            c.categories);
    json_plugins(f, st);
    json_reload(f, st);
    const char *const ok[] = {"ok"};
    fprintf(f, ",\"reloads\":{\"ok\":%.0f,\"failed\":%.0f}", ag_metric_value(st->reloads, ok),
            ag_metric_value(st->reloads, (const char *const[]){"config_error"}) +
                ag_metric_value(st->reloads, (const char *const[]){"store_error"}));
    fprintf(f, ",\"feed_requests\":{\"ok\":%.0f,\"not_modified\":%.0f}", http_count(st, "200"),
            http_count(st, "304"));
    json_metrics(f, st);
    fputs("}\n", f);
}

/* ---- HTML ---- */

static void html_row(FILE *f, const char *name, const char *value)
{
    fprintf(f, "<tr><th>%s</th><td>", name);
    ag_html_text(f, value);
    fputs("</td></tr>\n", f);
}

static void html_row_n(FILE *f, const char *name, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", v);
    html_row(f, name, buf);
}

static void html_plugins(FILE *f, const ag_ops *st)
{
    fputs("<tr><th>plugins running</th><td>", f);
    for (size_t i = 0; i < ag_plugins_count(st->plugins); i++) {
        fputs(i ? ", " : "", f);
        ag_html_text(f, ag_plugins_name(st->plugins, i));
    }
    fputs("</td></tr>\n", f);
}

static void html_reload(FILE *f, const ag_ops *st)
{
    char at[32];
    iso_time(st->last_reload_at, at);
    html_row(f, "last reload", st->last_reload_at ? at : "none since start");
    if (!st->last_reload_at)
        return;
    html_row(f, "triggered by", st->last_trigger);
    html_row(f, "result", result_name(st->last_result));
    if (!st->n_last_errors)
        return;
    fputs("<tr><th>errors</th><td><ul>\n", f);
    for (size_t i = 0; i < st->n_last_errors; i++) {
        fputs("<li><code>", f);
        ag_html_text(f, st->last_errors[i]);
        fputs("</code></li>\n", f);
    }
    fputs("</ul></td></tr>\n", f);
}

static void html_sample(const ag_metric_sample *s, void *data)
{
    sample_out *o = data;
    fputs("<tr><td>", o->f);
    ag_html_text(o->f, s->family);
    fputs("</td><td>", o->f);
    for (size_t i = 0; i < s->n_labels; i++) {
        fputs(i ? ", " : "", o->f);
        ag_html_text(o->f, s->label_names[i]);
        fputc('=', o->f);
        ag_html_text(o->f, s->label_values[i]);
    }
    if (s->histogram)
        fprintf(o->f, "</td><td>%llu (sum %.6g)</td></tr>\n", (unsigned long long)s->count,
                s->value);
    else
        fprintf(o->f, "</td><td>%.6g</td></tr>\n", s->value);
}

static void html_metrics(FILE *f, const ag_ops *st)
{
    sample_out o = {f, true, 0};
    fputs("<h2>Counters</h2>\n<table>\n<tr><th>metric</th><th>labels</th><th>value</th></tr>\n", f);
    ag_metrics_foreach(st->metrics, html_sample, &o);
    fputs("</table>\n", f);
}

static void write_html(FILE *f, const ag_ops *st)
{
    const ag_settings *s = ag_service_settings(st->svc);
    counts c = count_all(st->svc);
    char started[32], loaded[32];
    iso_time(st->started_at, started);
    iso_time(st->loaded_at, loaded);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>agendad status</title>"
          "<style>th{text-align:left;padding-right:1em}</style></head><body>\n"
          "<h1>agendad status</h1>\n<table>\n",
          f);
    html_row(f, "version", AGENDAD_VERSION);
    html_row(f, "tzdata", ag_tz_version());
    html_row(f, "config directory", st->svc->config_dir);
    html_row(f, "state", s->state_path);
    html_row(f, "base URL", s->base_url);
    html_row(f, "started at", started);
    html_row(f, "config loaded at", loaded);
    html_row_n(f, "events", (double)c.events);
    html_row_n(f, "members", (double)c.members);
    html_row_n(f, "categories", (double)c.categories);
    html_plugins(f, st);
    html_reload(f, st);
    html_row_n(f, "feed responses 200", http_count(st, "200"));
    html_row_n(f, "feed responses 304", http_count(st, "304"));
    fputs("</table>\n", f);
    html_metrics(f, st);
    fputs("<p><a href=\"/status\">JSON</a> · <a href=\"/metrics\">metrics</a></p>\n"
          "</body></html>\n",
          f);
}

static void serve_doc(ag_ops *st, ag_http_request *req, bool html)
{
    refresh_gauges(st);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    if (html)
        write_html(f, st);
    else
        write_json(f, st);
    if (fclose(f) != 0) {
        free(text);
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    const char *const h[] = {"Cache-Control: no-store", NULL};
    ag_http_respond(req, 200, html ? "text/html; charset=utf-8" : "application/json", text, len, h);
    free(text);
}

bool ag_ops_status_dispatch(ag_ops *st, ag_http_request *req)
{
    const char *path = ag_http_path(req);
    static const char *const routes[] = {"/metrics", "/status", "/status.html"};
    size_t i = 0;
    while (i < 3 && strcmp(path, routes[i]) != 0)
        i++;
    if (i == 3)
        return false;
    ag_http_set_route(req, routes[i]);
    if (!allowed(st, req))
        return true;
    if (i == 0)
        serve_metrics(st, req);
    else
        serve_doc(st, req, i == 2);
    return true;
}
