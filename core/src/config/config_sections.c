/* The feeds: and http: sections of agendad.yaml. */
#include "config_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A window bound: a date, or a signed duration relative to now. */
static bool load_bound(const ag_config_node *n, const char *what, bool *is_date, ag_datetime *date,
                       int64_t *rel, ag_diags *d)
{
    if (!ag_config_scalar(d, n, what))
        return false;
    const char *s = n->scalar;
    int64_t secs;
    if ((s[0] == '+' || s[0] == '-') && ag_config_duration_parse(s + 1, &secs) == 0) {
        *is_date = false;
        *rel = s[0] == '-' ? -secs : secs;
        return true;
    }
    ag_datetime t;
    if (ag_config_parse_datetime(s, &t) == AG_DT_OK && t.is_date) {
        *is_date = true;
        *date = t;
        return true;
    }
    ag_config_err(d, &n->loc,
                  "\"%s\" is not a valid %s: write a date (2022-01-01) or a duration before or "
                  "after now (-365d, +730d)",
                  s, what);
    return false;
}

static void check_window(const ag_settings *s, const ag_config_node *to, ag_diags *d)
{
    bool bad = false;
    if (s->window_from_is_date && s->window_to_is_date)
        bad = ag_datetime_cmp(&s->window_from_date, &s->window_to_date) >= 0;
    else if (!s->window_from_is_date && !s->window_to_is_date)
        bad = s->window_from_rel >= s->window_to_rel;
    if (bad)
        ag_config_err(d, &to->loc,
                      "the feed window ends (window_to) before it starts (window_from)");
}

static void load_window(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    const ag_config_node *from = ag_config_node_get(n, "window_from");
    const ag_config_node *to = ag_config_node_get(n, "window_to");
    bool ok = true;
    if (from)
        ok = load_bound(from, "window_from", &s->window_from_is_date, &s->window_from_date,
                        &s->window_from_rel, d);
    if (to)
        ok = load_bound(to, "window_to", &s->window_to_is_date, &s->window_to_date,
                        &s->window_to_rel, d) &&
             ok;
    if (ok)
        check_window(s, to ? to : from ? from : n, d);
}

static bool positive_duration(const ag_config_node *n, const char *what, int64_t *out, ag_diags *d)
{
    int64_t v;
    if (!ag_config_duration(d, n, what, &v))
        return false;
    if (v <= 0) {
        ag_config_err(d, &n->loc, "%s must be longer than zero", what);
        return false;
    }
    *out = v;
    return true;
}

void ag_config_load_feeds(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"window_from", "window_to", "refresh_interval", "retention",
                                       NULL};
    if (!ag_config_check_keys(d, n, keys, "feeds") && n->kind != AG_CFG_MAP)
        return;
    load_window(s, n, d);
    const ag_config_node *v = ag_config_node_get(n, "refresh_interval");
    if (v)
        positive_duration(v, "refresh_interval", &s->refresh_interval, d);
    v = ag_config_node_get(n, "retention");
    if (v)
        ag_config_duration(d, v, "retention", &s->retention);
}

static void load_int(const ag_config_node *map, const char *key, long min, long max, int *out,
                     ag_diags *d)
{
    const ag_config_node *v = ag_config_node_get(map, key);
    long x;
    if (v && ag_config_int(d, v, key, min, max, &x))
        *out = (int)x;
}

static void load_ms(const ag_config_node *map, const char *key, int64_t *out, ag_diags *d)
{
    const ag_config_node *v = ag_config_node_get(map, key);
    int64_t secs;
    if (v && positive_duration(v, key, &secs, d))
        *out = secs * 1000;
}

void ag_config_load_http(ag_settings *s, const ag_config_node *n, ag_diags *d)
{
    static const char *const keys[] = {"max_connections",
                                       "max_pending_per_address",
                                       "max_header_bytes",
                                       "max_requests_per_connection",
                                       "max_requests_per_second",
                                       "header_timeout",
                                       "idle_timeout",
                                       "metrics_loopback",
                                       "metrics_token_file",
                                       "admin_token_file",
                                       NULL};
    ag_config_check_keys(d, n, keys, "http");
    load_int(n, "max_connections", 1, 1000000, &s->max_connections, d);
    load_int(n, "max_pending_per_address", 0, 1000000, &s->max_pending_per_address, d);
    load_int(n, "max_header_bytes", 1024, 16 << 20, &s->max_header_bytes, d);
    load_int(n, "max_requests_per_connection", 1, INT_MAX, &s->max_requests_per_conn, d);
    load_int(n, "max_requests_per_second", 0, 1000000, &s->max_requests_per_sec, d);
    load_ms(n, "header_timeout", &s->header_timeout_ms, d);
    load_ms(n, "idle_timeout", &s->idle_timeout_ms, d);
    ag_config_load_http_access(s, n, d);
}
