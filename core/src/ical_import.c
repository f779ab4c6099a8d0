#include "ical_import.h"

#include "tz.h"

#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
/* Outside these years libical's time arithmetic is not worth trusting, and
 * no meeting of the network happens there. */
#define MIN_YEAR 1900
#define MAX_YEAR 2200

typedef struct {
    const char *uid;
    int64_t rid;
} override;

typedef struct {
    const ag_ical_limits *lim;
    icaltimezone *dflt;
    ag_ical_result *out;
    size_t cap;
    override *ovr; /* sorted by (uid, rid) */
    size_t n_ovr;
    bool oom;
} importer;

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
}

void ag_ical_limits_default(ag_ical_limits *lim, int64_t now)
{
    *lim = (ag_ical_limits){.from = now - 365 * (int64_t)DAY,
                            .to = now + 730 * (int64_t)DAY,
                            .max_events = 10000,
                            .max_steps = 100000,
                            .max_errors = 100,
                            .default_tz = "Africa/Casablanca"};
}

/* ---- times ---- */

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool plausible(struct icaltimetype t)
{
    return !icaltime_is_null_time(t) && t.year >= MIN_YEAR && t.year <= MAX_YEAR && t.month >= 1 &&
           t.month <= 12 && t.day >= 1 && t.day <= icaltime_days_in_month(t.month, t.year) &&
           (t.is_date || (t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 &&
                          t.second >= 0 && t.second <= 60));
}

/* The zone a property's time is in: the system tzdata's zone named by its
 * TZID when there is one, else the default. A feed's own VTIMEZONE is never
 * expanded: its rules may be stale or hostile (an RRULE every second), and
 * the network's members all live in the default zone anyway. */
static icaltimezone *prop_zone(icalproperty *p, const importer *im)
{
    icalparameter *tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    const char *tzid = tzp ? icalparameter_get_tzid(tzp) : NULL;
    icaltimezone *z = tzid ? ag_tz_get(tzid) : NULL;
    return z ? z : im->dflt;
}

/* Dates count as their midnight in UTC: they name days, not instants. */
static int64_t to_unix(struct icaltimetype t, icaltimezone *z)
{
    int64_t days = days_from_civil(t.year, t.month, t.day);
    if (t.is_date)
        return days * DAY;
    if (icaltime_is_utc(t) || !z)
        return days * DAY + t.hour * 3600 + t.minute * 60 + t.second;
    t.zone = NULL;
    return (int64_t)icaltime_as_timet_with_zone(t, z);
}

static bool prop_time(icalproperty *p, const importer *im, struct icaltimetype *t, int64_t *unix)
{
    icalvalue *v = p ? icalproperty_get_value(p) : NULL;
    if (!v)
        return false;
    icalvalue_kind k = icalvalue_isa(v);
    if (k != ICAL_DATETIME_VALUE && k != ICAL_DATE_VALUE)
        return false;
    *t = icalvalue_get_datetime(v);
    if (!plausible(*t))
        return false;
    *unix = to_unix(*t, prop_zone(p, im));
    return true;
}

/* ---- collecting events ---- */

static char *dup_opt(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static void push(importer *im, icalcomponent *ev, int64_t start, int64_t end, bool all_day,
                 int64_t rid)
{
    ag_ical_result *r = im->out;
    if (r->n_events >= im->lim->max_events) {
        r->n_truncated++;
        return;
    }
    if (r->n_events == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 16;
        ag_ical_event *v = realloc(r->events, cap * sizeof *v);
        if (!v) {
            im->oom = true;
            return;
        }
        r->events = v;
        im->cap = cap;
    }
    icalproperty *st = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    ag_ical_event e = {
        .uid = strdup(icalcomponent_get_uid(ev)),
        .summary = dup_opt(icalcomponent_get_summary(ev)),
        .description = dup_opt(icalcomponent_get_description(ev)),
        .location = dup_opt(icalcomponent_get_location(ev)),
        .start = start,
        .end = end,
        .all_day = all_day,
        .cancelled = st && icalproperty_get_status(st) == ICAL_STATUS_CANCELLED,
        .sequence = icalcomponent_get_sequence(ev),
        .recurrence_id = rid,
    };
    if (!e.uid)
        im->oom = true;
    r->events[r->n_events++] = e;
}

static bool in_window(const importer *im, int64_t start, int64_t end)
{
    return end >= im->lim->from && start <= im->lim->to;
}

static int cmp_override(const void *a, const void *b)
{
    const override *x = a, *y = b;
    int c = strcmp(x->uid, y->uid);
    return c ? c : (x->rid > y->rid) - (x->rid < y->rid);
}

static bool overridden(const importer *im, const char *uid, int64_t rid)
{
    override key = {uid, rid};
    return im->n_ovr && bsearch(&key, im->ovr, im->n_ovr, sizeof key, cmp_override);
}

/* Instances that a RECURRENCE-ID VEVENT replaces, so that expanding the
 * series does not return them twice. */
static void collect_overrides(importer *im, icalcomponent *cal)
{
    size_t cap = 0;
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
        struct icaltimetype t;
        int64_t rid;
        const char *uid = icalcomponent_get_uid(ev);
        if (!uid || !prop_time(p, im, &t, &rid))
            continue;
        if (im->n_ovr == cap) {
            cap = cap ? cap * 2 : 8;
            override *v = realloc(im->ovr, cap * sizeof *v);
            if (!v) {
                im->oom = true;
                return;
            }
            im->ovr = v;
        }
        im->ovr[im->n_ovr++] = (override){uid, rid};
    }
    if (im->n_ovr)
        qsort(im->ovr, im->n_ovr, sizeof *im->ovr, cmp_override);
}

static bool excluded(icalcomponent *ev, const importer *im, int64_t start)
{
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        struct icaltimetype t;
        int64_t x;
        if (prop_time(p, im, &t, &x) && x == start)
            return true;
    }
    return false;
}

/* DTEND, else DTSTART + DURATION, else the start (a day for a date). */
static bool event_end(icalcomponent *ev, const importer *im, struct icaltimetype start_t,
                      int64_t start, int64_t *end)
{
    struct icaltimetype t;
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    if (p)
        return prop_time(p, im, &t, end) && *end >= start;
    p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    if (p) {
        struct icaldurationtype d = icalproperty_get_duration(p);
        int secs = icaldurationtype_as_int(d);
        *end = start + secs;
        return !icaldurationtype_is_bad_duration(d) && secs >= 0;
    }
    *end = start + (start_t.is_date ? DAY : 0);
    return true;
}

static bool unbounded(const struct icalrecurrencetype *r)
{
    return r->count <= 0 && icaltime_is_null_time(r->until);
}

/* Starts the iterator near the window when the rule allows it (libical
 * cannot skip ahead in a COUNT rule), so that an old series with a short
 * period does not spend every step before the window. */
static void skip_to_window(icalrecur_iterator *it, const struct icalrecurrencetype *r,
                           struct icaltimetype start_t, int64_t start, int64_t len, icaltimezone *z,
                           const importer *im)
{
    int64_t from = im->lim->from - len;
    if (r->count > 0 || start_t.is_date || from <= start)
        return;
    struct icaltimetype t = icaltime_from_timet_with_zone((time_t)from, 0, z);
    t.zone = NULL;
    icalrecur_iterator_set_start(it, t);
}

static void expand(importer *im, icalcomponent *ev, icalproperty *rrule,
                   struct icaltimetype start_t, int64_t start, int64_t len)
{
    struct icalrecurrencetype r = icalproperty_get_rrule(rrule);
    icaltimezone *z = prop_zone(icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY), im);
    icalrecur_iterator *it = NULL;
    if (r.freq == ICAL_NO_RECURRENCE || unbounded(&r) ||
        !(it = icalrecur_iterator_new(r, start_t))) {
        im->out->n_rejected++;
        return;
    }
    skip_to_window(it, &r, start_t, start, len, z, im);
    const char *uid = icalcomponent_get_uid(ev);
    size_t steps = 0;
    for (;; steps++) {
        if (steps == im->lim->max_steps || im->out->n_events >= im->lim->max_events) {
            im->out->n_truncated++;
            break;
        }
        struct icaltimetype t = icalrecur_iterator_next(it);
        if (!plausible(t))
            break;
        int64_t s = to_unix(t, z);
        if (s > im->lim->to)
            break;
        if (in_window(im, s, s + len) && !excluded(ev, im, s) && !overridden(im, uid, s))
            push(im, ev, s, s + len, start_t.is_date, s);
        if (im->oom)
            break;
    }
    icalrecur_iterator_free(it);
}

static void import_vevent(importer *im, icalcomponent *ev)
{
    struct icaltimetype start_t;
    int64_t start, end;
    icalproperty *dtstart = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    if (!icalcomponent_get_uid(ev) || !prop_time(dtstart, im, &start_t, &start) ||
        !event_end(ev, im, start_t, start, &end)) {
        im->out->n_rejected++;
        return;
    }
    struct icaltimetype rid_t;
    int64_t rid;
    icalproperty *ridp = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    bool is_override = ridp && prop_time(ridp, im, &rid_t, &rid);
    icalproperty *rrule = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    if (rrule && !is_override) {
        expand(im, ev, rrule, start_t, start, end - start);
    } else if (in_window(im, start, end)) {
        push(im, ev, start, end, start_t.is_date, is_override ? rid : 0);
    }
}

static void import_calendar(importer *im, icalcomponent *cal)
{
    collect_overrides(im, cal);
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         ev && !im->oom; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
        import_vevent(im, ev);
    free(im->ovr);
    im->ovr = NULL;
    im->n_ovr = 0;
}

/* ---- entry points ---- */

static icalcomponent *parse(const char *text, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    memcpy(s, text, len);
    s[len] = '\0';
    icalcomponent *root = icalparser_parse_string(s);
    free(s);
    return root;
}

/* A feed is one VCALENDAR; libical wraps several in an XROOT. */
static void import_root(importer *im, icalcomponent *root)
{
    if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
        import_calendar(im, root);
        return;
    }
    for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
         c && !im->oom; c = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
        import_calendar(im, c);
}

int ag_ical_import(const char *text, size_t len, const ag_ical_limits *lim, ag_ical_result *out,
                   char **err)
{
    *out = (ag_ical_result){0};
    icalcomponent *root = parse(text, len);
    icalcomponent_kind k = root ? icalcomponent_isa(root) : ICAL_NO_COMPONENT;
    if (k != ICAL_VCALENDAR_COMPONENT && k != ICAL_XROOT_COMPONENT) {
        set_err(err, "not an iCalendar feed (no VCALENDAR)");
        if (root)
            icalcomponent_free(root);
        return -1;
    }
    out->n_errors = (size_t)icalcomponent_count_errors(root);
    if (out->n_errors > lim->max_errors) {
        set_err(err, "%zu syntax errors in the feed (at most %zu are tolerated)", out->n_errors,
                lim->max_errors);
        icalcomponent_free(root);
        return -1;
    }
    importer im = {.lim = lim, .out = out, .dflt = ag_tz_get(lim->default_tz)};
    import_root(&im, root);
    icalcomponent_free(root);
    if (im.oom) {
        ag_ical_result_free(out);
        set_err(err, "out of memory");
        return -1;
    }
    return 0;
}

void ag_ical_result_free(ag_ical_result *r)
{
    for (size_t i = 0; i < r->n_events; i++) {
        free(r->events[i].uid);
        free(r->events[i].summary);
        free(r->events[i].description);
        free(r->events[i].location);
    }
    free(r->events);
    *r = (ag_ical_result){0};
}
