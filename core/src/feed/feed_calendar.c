/* The VCALENDAR: calendar properties, one VTIMEZONE per zone a series uses,
 * then the selected events in uid order, each built and serialized on its
 * own and appended, which gives libical's bytes for the whole calendar
 * without ever holding its tree. */
#include "feed_internal.h"

#include "config_network.h"
#include "tz.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifndef AGENDAD_VERSION
#define AGENDAD_VERSION "0"
#endif

/* The instants a zone's VTIMEZONE must cover. */
typedef struct {
    const char *tzid;
    int64_t from, to;
} zone_span;

typedef struct {
    const ag_stored_event **sel; /* selected events, in uid order */
    size_t n_sel;
    zone_span *zones;
    size_t n_zones;
} selection;

static void selection_free(selection *s)
{
    free(s->sel);
    free(s->zones);
}

static int zone_add(selection *s, const char *tzid, int64_t from, int64_t to)
{
    for (size_t i = 0; i < s->n_zones; i++)
        if (strcmp(s->zones[i].tzid, tzid) == 0) {
            if (from < s->zones[i].from)
                s->zones[i].from = from;
            if (to > s->zones[i].to)
                s->zones[i].to = to;
            return 0;
        }
    zone_span *z = realloc(s->zones, (s->n_zones + 1) * sizeof *z);
    if (!z)
        return AG_ENOMEM;
    s->zones = z;
    s->zones[s->n_zones++] = (zone_span){tzid, from, to};
    return 0;
}

static int cmp_stored_uid(const void *a, const void *b)
{
    const ag_stored_event *const *x = a, *const *y = b;
    return strcmp((*x)->ev.uid, (*y)->ev.uid);
}

static int cmp_zone(const void *a, const void *b)
{
    return strcmp(((const zone_span *)a)->tzid, ((const zone_span *)b)->tzid);
}

/* Whether sev belongs in the feed, judged on its instants: inside the
 * window (an event feed ignores it: the event was asked for by name), and,
 * once removed, not yet over. */
static int take(const ag_stored_event *sev, const ag_feed_query *q, int64_t now, ag_feed_span *span,
                bool *taken, char **err)
{
    bool windowed = q->kind != AG_FEED_EVENT;
    int rc = ag_feed_event_span(&sev->ev, windowed ? q->from : 0, windowed ? q->to : 0, span, err);
    if (rc < 0)
        return rc;
    *taken = span->in_window && !(sev->removed_at != 0 && span->last_end <= now);
    return 0;
}

static int select_events(const ag_config *cfg, const ag_stored_event *evs, size_t n,
                         const ag_feed_query *q, int64_t now, selection *s, char **err)
{
    s->sel = malloc((n ? n : 1) * sizeof *s->sel);
    if (!s->sel) {
        *err = ag_feed_strdup_printf("out of memory");
        return AG_ENOMEM;
    }
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        if (!ag_feed_matches(cfg, &evs[i], q))
            continue;
        ag_feed_span span;
        bool taken;
        int rc = take(&evs[i], q, now, &span, &taken, err);
        if (rc < 0)
            return rc;
        if (!taken)
            continue;
        bool removed_slots = evs[i].n_removed_slots > 0 && span.last_end > now;
        if (ag_feed_uses_tzid(&evs[i], q, removed_slots) &&
            zone_add(s, evs[i].ev.tzid, span.first_start, span.last_end) < 0) {
            *err = ag_feed_strdup_printf("out of memory");
            return AG_ENOMEM;
        }
        if (s->n_sel > 0 && strcmp(s->sel[s->n_sel - 1]->ev.uid, evs[i].ev.uid) > 0)
            sorted = false;
        s->sel[s->n_sel++] = &evs[i];
    }
    /* The store hands events sorted by uid; sort anyway if not, since
     * byte-identical output is what keeps ETags stable. */
    if (!sorted)
        qsort(s->sel, s->n_sel, sizeof *s->sel, cmp_stored_uid);
    if (s->n_zones > 1)
        qsort(s->zones, s->n_zones, sizeof *s->zones, cmp_zone);
    return 0;
}

/* Checks that the key names something; AG_FEED_NOT_FOUND when it does not. */
static int check_key(const ag_config *cfg, const ag_feed_query *q, char **err)
{
    if (q->kind == AG_FEED_NETWORK)
        return 0;
    if (!q->key) {
        *err = ag_feed_strdup_printf("feed query without a key");
        return AG_EINVAL;
    }
    bool found = q->kind == AG_FEED_EVENT ||
                 (q->kind == AG_FEED_MEMBER && ag_config_member(cfg, q->key)) ||
                 (q->kind == AG_FEED_CATEGORY && ag_config_category(cfg, q->key));
    if (found)
        return 0;
    *err = ag_feed_strdup_printf("no %s \"%s\"", q->kind == AG_FEED_MEMBER ? "member" : "category",
                                 q->key);
    return AG_FEED_NOT_FOUND;
}

static const ag_text *calendar_name(const ag_config *cfg, const ag_feed_query *q,
                                    const selection *s)
{
    switch (q->kind) {
    case AG_FEED_MEMBER:
        return &ag_config_member(cfg, q->key)->name;
    case AG_FEED_CATEGORY:
        return &ag_config_category(cfg, q->key)->name;
    case AG_FEED_EVENT:
        return s->n_sel > 0 ? &s->sel[0]->ev.title : &cfg->settings.network_name;
    default:
        return &cfg->settings.network_name;
    }
}

/* NAME (RFC 7986, which libical knows and escapes) and its older twin
 * X-WR-CALNAME (which libical 3.0.16 does not escape). */
static void add_named(icalcomponent *cal, icalproperty *(*make)(const char *), const char *x_name,
                      const ag_text *t, const char *lang, const char *fallback)
{
    const char *used = "fr";
    const char *s = ag_feed_text(t, lang, &used);
    if (!s || !*s) {
        if (!fallback)
            return;
        s = fallback;
    }
    icalproperty *p = make(s);
    icalproperty_add_parameter(p, icalparameter_new_language(used));
    icalcomponent_add_property(cal, p);
    char *plain = ag_feed_plain_text(s);
    if (plain && *plain)
        icalcomponent_add_property(cal, ag_feed_x(x_name, plain));
    free(plain);
}

static void add_refresh(icalcomponent *cal, int64_t seconds)
{
    if (seconds <= 0)
        seconds = 3600;
    if (seconds > INT_MAX) /* libical durations are ints */
        seconds = INT_MAX;
    struct icaldurationtype d = icaldurationtype_from_int((int)seconds);
    icalproperty *p = icalproperty_new_refreshinterval(d);
    icalproperty_add_parameter(p, icalparameter_new_value(ICAL_VALUE_DURATION));
    icalcomponent_add_property(cal, p);
    char *ttl = icaldurationtype_as_ical_string_r(d);
    if (ttl)
        icalcomponent_add_property(cal, ag_feed_x("X-PUBLISHED-TTL", ttl));
    free(ttl);
}

static void add_calendar_props(icalcomponent *cal, const ag_config *cfg, const ag_feed_query *q,
                               const selection *s)
{
    bool fr = q->lang && strcmp(q->lang, "fr") == 0;
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(
        cal, icalproperty_new_prodid(fr ? "-//RMCTO//agendad " AGENDAD_VERSION "//FR"
                                        : "-//RMCTO//agendad " AGENDAD_VERSION "//AR"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    add_named(cal, icalproperty_new_name, "X-WR-CALNAME", calendar_name(cfg, q, s), q->lang,
              "RMCTO");
    add_named(cal, icalproperty_new_description, "X-WR-CALDESC", &cfg->settings.network_description,
              q->lang, NULL);
    add_refresh(cal, cfg->settings.refresh_interval);
    if (cfg->settings.default_tz)
        icalcomponent_add_property(cal, ag_feed_x("X-WR-TIMEZONE", cfg->settings.default_tz));
}

static int add_zone(icalcomponent *cal, const char *tzid, int64_t from, int64_t to, char **err)
{
    icalcomponent *vtz = ag_tz_vtimezone(tzid, from, to);
    if (!vtz) {
        *err = ag_feed_strdup_printf("unknown time zone %s", tzid);
        return AG_EZONE;
    }
    icalcomponent_add_component(cal, vtz);
    return 0;
}

/* RFC 5545 wants at least one component in a VCALENDAR; strict parsers
 * reject an empty one, so an empty feed carries its default zone. */
static int add_placeholder_zone(icalcomponent *cal, const ag_config *cfg, const ag_feed_query *q,
                                int64_t now, char **err)
{
    const char *tzid = cfg->settings.default_tz ? cfg->settings.default_tz : "Africa/Casablanca";
    bool windowed = !(q->from == 0 && q->to == 0);
    return add_zone(cal, tzid, windowed ? q->from : now, windowed ? q->to : now, err);
}

/* The calendar's head: everything libical writes before its END line. */
static void write_head(ag_feed_buf *b, icalcomponent *cal)
{
    char *text = icalcomponent_as_ical_string_r(cal);
    static const char end[] = "END:VCALENDAR\r\n";
    size_t n = text ? strlen(text) : 0;
    if (!text || n < sizeof end - 1 || strcmp(text + n - (sizeof end - 1), end) != 0)
        b->failed = true;
    else
        ag_feed_buf_put(b, text, n - (sizeof end - 1));
    free(text);
}

static int write_calendar(ag_feed_buf *b, const ag_config *cfg, const ag_feed_query *q,
                          const selection *s, int64_t now, char **err)
{
    icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
    add_calendar_props(cal, cfg, q, s);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->n_zones; i++)
        rc = add_zone(cal, s->zones[i].tzid, s->zones[i].from, s->zones[i].to, err);
    if (rc == 0 && s->n_zones == 0 && s->n_sel == 0)
        rc = add_placeholder_zone(cal, cfg, q, now, err);
    if (rc == 0)
        write_head(b, cal);
    icalcomponent_free(cal);
    for (size_t i = 0; rc == 0 && i < s->n_sel; i++)
        rc = ag_feed_write_event(b, cfg, s->sel[i], q, ag_feed_removed_slots_shown(s->sel[i], now),
                                 err);
    ag_feed_buf_puts(b, "END:VCALENDAR\r\n");
    if (rc == 0 && b->failed) {
        *err = ag_feed_strdup_printf("out of memory");
        rc = AG_ENOMEM;
    }
    return rc;
}

/* About twice what a VEVENT takes (570 bytes on average in the benchmark's
 * network): the untouched rest of the reservation costs no memory. */
static size_t reservation(const selection *s, const ag_feed_query *q)
{
    size_t vevents = 0;
    for (size_t i = 0; i < s->n_sel; i++)
        vevents += 1 + (q->slots ? s->sel[i]->ev.n_slots + s->sel[i]->n_removed_slots : 0);
    return 65536 + vevents * 1024;
}

static int build(const ag_config *cfg, const ag_stored_event *evs, size_t n, const ag_feed_query *q,
                 int64_t now, char **out, size_t *len, char **err)
{
    int rc = check_key(cfg, q, err);
    if (rc < 0)
        return rc;
    selection s = {0};
    if ((rc = select_events(cfg, evs, n, q, now, &s, err)) < 0) {
        selection_free(&s);
        return rc;
    }
    if (q->kind == AG_FEED_EVENT && s.n_sel == 0) {
        selection_free(&s);
        *err = ag_feed_strdup_printf("no event \"%s\"", q->key);
        return AG_FEED_NOT_FOUND;
    }
    ag_feed_memo memo = {0};
    ag_feed_buf b = {.memo = &memo};
    ag_feed_buf_reserve(&b, reservation(&s, q));
    rc = write_calendar(&b, cfg, q, &s, now, err);
    ag_feed_memo_free(&memo);
    selection_free(&s);
    if (rc < 0) {
        free(b.data);
        return rc;
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

int ag_feed_build(const ag_config *cfg, const ag_stored_event *evs, size_t n,
                  const ag_feed_query *q, int64_t now, char **out, size_t *len, char **err)
{
    char *e = NULL;
    *out = NULL;
    *len = 0;
    int rc = build(cfg, evs, n, q, now, out, len, &e);
    if (err)
        *err = e;
    else
        free(e);
    return rc;
}

int ag_feed_parse_alarms(const char *list, ag_feed_query *q)
{
    int64_t alarms[AG_FEED_MAX_ALARMS];
    size_t n = 0;
    const char *p = list;
    while (p && *p) {
        size_t len = strcspn(p, ",");
        char item[32];
        if (len == 0 || len >= sizeof item || n == AG_FEED_MAX_ALARMS)
            return AG_EINVAL;
        memcpy(item, p, len);
        item[len] = '\0';
        /* libical durations are int seconds; a lead time beyond a year is a typo. */
        if (ag_config_duration_parse(item, &alarms[n]) < 0 || alarms[n] <= 0 ||
            alarms[n] > 366 * 86400)
            return AG_EINVAL;
        n++;
        p += len;
        if (*p == ',' && *++p == '\0')
            return AG_EINVAL;
    }
    memcpy(q->alarms, alarms, n * sizeof *alarms);
    q->n_alarms = n;
    return 0;
}
