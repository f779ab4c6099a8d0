/* Which events a feed query includes, and over which instants an event
 * (every instance of a series) extends. */
#include "feed_internal.h"

#include "config_network.h"
#include "tz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ag_feed_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

icaltimetype ag_feed_midnight(icaltimetype t)
{
    /* libical marks a date's time fields -1 (icaltime_null_date): clearing
     * is_date alone would give 22:58:59 the day before. */
    if (t.is_date) {
        t.is_date = 0;
        t.hour = t.minute = t.second = 0;
    }
    return t;
}

int64_t ag_feed_wall_diff(const ag_datetime *a, const ag_datetime *b)
{
    /* Floating times convert as if they were UTC: exactly wall-clock seconds. */
    icaltimetype ta = ag_feed_midnight(ag_tz_ical_local(a));
    icaltimetype tb = ag_feed_midnight(ag_tz_ical_local(b));
    return (int64_t)icaltime_as_timet(tb) - (int64_t)icaltime_as_timet(ta);
}

/* Wall-clock length of one occurrence; an all-day end is inclusive. */
static int64_t wall_length(const ag_event *ev)
{
    int64_t len = ag_feed_wall_diff(&ev->start, &ev->end);
    return ev->start.is_date ? len + 86400 : len;
}

static void span_add(ag_feed_span *span, int64_t s, int64_t e, int64_t from, int64_t to, bool first)
{
    if (first || s < span->first_start)
        span->first_start = s;
    if (first || e > span->last_end)
        span->last_end = e;
    if ((from == 0 && to == 0) || (s <= to && e >= from))
        span->in_window = true;
}

/* Adds the occurrence starting at local t; false for an unknown zone. */
static bool add_occurrence(const ag_event *ev, icaltimetype t, int64_t len, int64_t from,
                           int64_t to, ag_feed_span *span, bool first)
{
    bool ok;
    t = ag_feed_midnight(t);
    ag_datetime ls = ag_tz_model_local(t);
    int64_t s = ag_tz_to_utc(&ls, ev->tzid, &ok);
    icaltime_adjust(&t, 0, 0, 0, (int)len);
    ag_datetime le = ag_tz_model_local(t);
    int64_t e = ag_tz_to_utc(&le, ev->tzid, &ok);
    if (!ok)
        return false;
    span_add(span, s, e, from, to, first);
    return true;
}

static int series_span(const ag_event *ev, int64_t from, int64_t to, ag_feed_span *span, char **err)
{
    ag_series r;
    int rc = ag_series_parse(ev, &r);
    if (rc < 0) {
        *err = ag_feed_strdup_printf("event %s: bad RRULE \"%s\"", ev->uid, ev->rrule);
        return rc;
    }
    ag_series_walk w;
    if ((rc = ag_series_walk_begin(&w, ev, &r)) < 0) {
        *err =
            ag_feed_strdup_printf("event %s: RRULE \"%s\" cannot be expanded", ev->uid, ev->rrule);
        return rc;
    }
    int64_t len = wall_length(ev);
    bool ok = true;
    icaltimetype t;
    while (ok && ag_series_walk_next(&w, &t))
        ok = add_occurrence(ev, t, len, from, to, span, span->first_start == INT64_MAX);
    ag_series_walk_end(&w);
    if (!ok) {
        *err = ag_feed_strdup_printf("event %s: unknown time zone %s", ev->uid, ev->tzid);
        return AG_EZONE;
    }
    return 0;
}

int ag_feed_event_span(const ag_event *ev, int64_t from, int64_t to, ag_feed_span *span, char **err)
{
    /* A series whose every instance is excluded keeps these sentinels:
     * it publishes nothing and is never in the window. */
    span->first_start = INT64_MAX;
    span->last_end = INT64_MIN;
    span->in_window = false;
    if (ev->rrule)
        return series_span(ev, from, to, span, err);
    if (!add_occurrence(ev, ag_tz_ical_local(&ev->start), wall_length(ev), from, to, span, true)) {
        *err = ag_feed_strdup_printf("event %s: unknown time zone %s", ev->uid, ev->tzid);
        return AG_EZONE;
    }
    return 0;
}

int ag_feed_series_span(const ag_event *ev, int64_t *first_start, int64_t *last_end)
{
    ag_feed_span span;
    char *err = NULL;
    int rc = ag_feed_event_span(ev, 0, 0, &span, &err);
    free(err);
    if (rc < 0)
        return rc;
    if (span.first_start == INT64_MAX)
        return 1;
    *first_start = span.first_start;
    *last_end = span.last_end;
    return 0;
}

static bool visible(const ag_event *ev, const ag_feed_query *q)
{
    return ev->visibility == AG_VIS_PUBLIC || q->members_only;
}

bool ag_feed_matches(const ag_config *cfg, const ag_stored_event *sev, const ag_feed_query *q)
{
    const ag_event *ev = &sev->ev;
    if (!visible(ev, q))
        return false;
    bool imported = sev->imported_from != NULL;
    switch (q->kind) {
    case AG_FEED_NETWORK:
        return !imported || ag_feed_imported_in_network(cfg, sev);
    case AG_FEED_MEMBER:
        return ag_config_member_concerned(cfg, ev, q->key);
    case AG_FEED_CATEGORY:
        return imported ? ag_feed_imported_in_category(cfg, sev, q->key)
                        : ag_config_event_in_category(ev, q->key);
    case AG_FEED_EVENT:
        return strcmp(ev->uid, q->key) == 0;
    }
    return false;
}
