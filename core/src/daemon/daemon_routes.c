#include "daemon_routes.h"

#include "documents.h"
#include "log.h"
#include "config_network.h"
#include "ops_status.h"
#include "rsvp_http.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEED_MAX_AGE 300

const char *const ag_daemon_routes_reserved[] = {
    "/feeds", "/healthz",    "/metrics",      "/status",           "/documents", "/status.html",
    "/rsvp",  "/attendance", "/transparency", "/transparency.csv", NULL};

/* A key is one path segment: no '/', not empty, bounded. */
static bool take_key(const char *s, const char *suffix, char *buf, size_t size)
{
    size_t n = strlen(s), sl = strlen(suffix);
    if (n <= sl || strcmp(s + n - sl, suffix) != 0 || n - sl >= size)
        return false;
    memcpy(buf, s, n - sl);
    buf[n - sl] = '\0';
    return strchr(buf, '/') == NULL;
}

bool ag_daemon_routes_parse_feed_path(const char *path, ag_feed_query *q, char *keybuf, size_t size)
{
    static const struct {
        const char *prefix;
        ag_feed_kind kind;
    } routes[] = {
        {"/feeds/members/", AG_FEED_MEMBER},
        {"/feeds/categories/", AG_FEED_CATEGORY},
        {"/events/", AG_FEED_EVENT},
    };
    if (strcmp(path, "/feeds/network.ics") == 0) {
        q->kind = AG_FEED_NETWORK;
        q->key = NULL;
        return true;
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        size_t pl = strlen(routes[i].prefix);
        if (strncmp(path, routes[i].prefix, pl) == 0 && take_key(path + pl, ".ics", keybuf, size)) {
            q->kind = routes[i].kind;
            q->key = keybuf;
            return true;
        }
    }
    return false;
}

/* Query options shared by every feed; false (and a 400 sent) when invalid. */
static bool parse_options(ag_http_request *req, ag_service *svc, int64_t now, ag_feed_query *q)
{
    const ag_settings *s = ag_service_settings(svc);
    const char *lang = ag_http_query(req, "lang");
    if (lang && strcmp(lang, "ar") != 0 && strcmp(lang, "fr") != 0) {
        ag_http_respond_error(req, 400, "lang must be ar or fr", NULL);
        return false;
    }
    q->lang = lang ? lang : s->default_lang;
    const char *slots = ag_http_query(req, "slots");
    if (slots && strcmp(slots, "0") != 0 && strcmp(slots, "1") != 0) {
        ag_http_respond_error(req, 400, "slots must be 0 or 1", NULL);
        return false;
    }
    q->slots = !slots || strcmp(slots, "1") == 0;
    const char *alarm = ag_http_query(req, "alarm");
    if (alarm && ag_feed_parse_alarms(alarm, q) < 0) {
        ag_http_respond_error(req, 400, "alarm must be a list of lead times such as 1d,30m", NULL);
        return false;
    }
    /* Google Calendar drops CANCELLED events from subscriptions. */
    const char *cancelled = ag_http_query(req, "cancelled");
    if (cancelled && strcmp(cancelled, "visible") != 0) {
        ag_http_respond_error(req, 400, "cancelled must be visible", NULL);
        return false;
    }
    q->cancelled_visible = cancelled != NULL;
    ag_service_default_window(svc, now, q);
    return true;
}

static bool parse_window_bound(ag_http_request *req, ag_service *svc, const char *name,
                               int64_t *bound)
{
    const char *v = ag_http_query(req, name);
    if (!v)
        return true;
    ag_datetime d;
    bool ok = ag_config_datetime_parse(v, &d) == 0 && d.is_date;
    if (ok)
        *bound = ag_tz_to_utc(&d, ag_service_settings(svc)->default_tz, &ok);
    if (!ok) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be a date such as 2026-01-31", name);
        ag_http_respond_error(req, 400, msg, NULL);
    }
    return ok;
}

/* Members-only events need the member's own feed and its token. */
static bool check_token(ag_http_request *req, ag_service *svc, ag_feed_query *q)
{
    const char *token = ag_http_query(req, "token");
    q->members_only = false;
    if (!token)
        return true;
    if (q->kind != AG_FEED_MEMBER || !svc->store) {
        ag_http_respond_error(req, 400, "token is only accepted on a member feed", NULL);
        return false;
    }
    bool valid = false;
    char *err = NULL;
    if (ag_store_token_check(svc->store, q->key, token, &valid, &err) < 0) {
        ag_log(AG_LOG_ERR, "token check for %s: %s", q->key, err);
        free(err);
        const char *const retry[] = {"Retry-After: 60", NULL};
        ag_http_respond_error(req, 503, "the token store is not available", retry);
        return false;
    }
    if (!valid) {
        ag_http_respond_error(req, 403, "this token is not valid for this member feed", NULL);
        return false;
    }
    q->members_only = true;
    return true;
}

static void serve_feed(ag_http_request *req, ag_service *svc, ag_feed_query *q)
{
    int64_t now = (int64_t)time(NULL);
    if (!parse_options(req, svc, now, q) || !parse_window_bound(req, svc, "from", &q->from) ||
        !parse_window_bound(req, svc, "to", &q->to) || !check_token(req, svc, q))
        return;
    int status = 500;
    char *err = NULL;
    ag_blob *b = ag_service_feed(svc, q, now, &status, &err);
    if (b) {
        ag_http_respond_blob(req, b, FEED_MAX_AGE);
        ag_blob_unref(b);
        return;
    }
    if (status >= 500)
        ag_log(AG_LOG_ERR, "feed %s: %s", ag_http_path(req), err ? err : "?");
    const char *const retry[] = {"Retry-After: 30", NULL};
    ag_http_respond_error(req, status, err, status == 503 ? retry : NULL);
    free(err);
}

static void serve_health(ag_http_request *req, ag_service *svc)
{
    static const char ok[] = "ok\n";
    if (!svc->have_events) {
        const char *const retry[] = {"Retry-After: 30", NULL};
        ag_http_respond_error(req, 503, "the event store is not available yet", retry);
        return;
    }
    const char *const nocache[] = {"Cache-Control: no-store", NULL};
    ag_http_respond(req, 200, "text/plain; charset=utf-8", ok, sizeof ok - 1, nocache);
}

/* Until a plugin serves pages, "/" tells a person where the feeds are. */
static void serve_index(ag_http_request *req, ag_service *svc)
{
    const ag_config *cfg = svc->cfg;
    const char *base = ag_service_settings(svc)->base_url;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        ag_http_respond_error(req, 500, "out of memory", NULL);
        return;
    }
    fprintf(f, "%s\n%s\n\n", ag_text_get(&cfg->settings.network_name, "ar"),
            ag_text_get(&cfg->settings.network_name, "fr"));
    fprintf(f, "Network / الشبكة:\n  %s/feeds/network.ics\n\nCategories / المحاور:\n", base);
    for (size_t i = 0; i < cfg->n_categories; i++)
        fprintf(f, "  %s/feeds/categories/%s.ics  %s\n", base, cfg->categories[i].id,
                ag_text_get(&cfg->categories[i].name, "fr"));
    fprintf(f, "\nMembers / الأعضاء:\n");
    for (size_t i = 0; i < cfg->n_members; i++)
        fprintf(f, "  %s/feeds/members/%s.ics  %s\n", base, cfg->members[i].id,
                ag_text_get(&cfg->members[i].name, "ar"));
    fclose(f);
    ag_http_respond(req, 200, "text/plain; charset=utf-8", text, len, NULL);
    free(text);
}

/* Metrics count by template, never by raw path. */
static const char *feed_route(ag_feed_kind kind)
{
    static const char *const routes[] = {"/feeds/network.ics", "/feeds/members/{id}.ics",
                                         "/feeds/categories/{id}.ics", "/events/{uid}.ics"};
    return routes[kind];
}

void ag_daemon_routes_handle(ag_http_request *req, void *data)
{
    ag_routes *r = data;
    const char *path = ag_http_path(req);
    ag_feed_query q = {0};
    char key[256];
    if (ag_daemon_routes_parse_feed_path(path, &q, key, sizeof key)) {
        ag_http_set_route(req, feed_route(q.kind));
        serve_feed(req, r->svc, &q);
        return;
    }
    if (strcmp(path, "/healthz") == 0) {
        ag_http_set_route(req, "/healthz");
        serve_health(req, r->svc);
        return;
    }
    if (r->status && ag_ops_status_dispatch(r->status, req))
        return;
    if (r->documents && ag_documents_dispatch(r->documents, req))
        return;
    if (ag_rsvp_http_handle(r->svc, req))
        return;
    ag_http_set_route(req, "plugin");
    if (r->extra && r->extra(req, r->extra_data))
        return;
    if (strcmp(path, "/") == 0) {
        ag_http_set_route(req, "/");
        serve_index(req, r->svc);
        return;
    }
    ag_http_set_route(req, "not_found");
    ag_http_respond_error(req, 404, "no such page; feeds are under /feeds/", NULL);
}

static bool reserved(const char *path)
{
    for (const char *const *p = ag_daemon_routes_reserved; *p; p++) {
        size_t n = strlen(*p);
        if (strncmp(path, *p, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return true;
    }
    return false;
}

bool ag_daemon_routes_accepts_post(const char *path, void *data)
{
    const ag_routes *r = data;
    if (ag_rsvp_http_accepts_post(path))
        return true;
    ag_feed_query q;
    char key[256];
    if (reserved(path) || ag_rsvp_http_owns(path) ||
        ag_daemon_routes_parse_feed_path(path, &q, key, sizeof key))
        return false;
    return r->extra_post && r->extra_post(path, r->extra_data);
}
