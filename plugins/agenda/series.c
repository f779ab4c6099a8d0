#include "series.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY 86400

int64_t series_wall(int year, int month, int day, int hour, int minute, int second)
{
    /* Days from civil (H. Hinnant): exact for every proleptic Gregorian date. */
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * DAY + (int64_t)hour * 3600 + minute * 60 + second;
}

/* The civil date-time of a wall-clock time, as a floating icaltimetype. */
static icaltimetype from_wall(int64_t wall, bool is_date)
{
    int64_t days = (wall >= 0 ? wall : wall - (DAY - 1)) / DAY, secs = wall - days * DAY;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    icaltimetype t = icaltime_null_time();
    t.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    t.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    t.year = (int)(yoe + era * 400 + (t.month <= 2));
    t.is_date = is_date;
    if (!is_date) {
        t.hour = (int)(secs / 3600);
        t.minute = (int)(secs / 60 % 60);
        t.second = (int)(secs % 60);
    }
    return t;
}

static int64_t wall_of(icaltimetype t)
{
    return t.is_date ? series_wall(t.year, t.month, t.day, 0, 0, 0)
                     : series_wall(t.year, t.month, t.day, t.hour, t.minute, t.second);
}

typedef struct {
    series_offset_fn fn;
    void *data;
} offsets;

/* The instant a wall-clock time names: the offset is looked up at a first
 * guess, then again at the instant it gives, which settles on the right
 * side of a change of offset. */
static int64_t to_utc(const offsets *o, int64_t wall)
{
    int32_t first = o->fn(wall, o->data);
    int64_t t = wall - first;
    int32_t second = o->fn(t, o->data);
    if (second != first && o->fn(wall - second, o->data) == second)
        t = wall - second;
    return t;
}

/* A UTC date-time on the event's wall clock; anything else as written. */
static int64_t local_wall(const offsets *o, icaltimetype t)
{
    if (icaltime_is_utc(t)) {
        int64_t utc = wall_of(t);
        return utc + o->fn(utc, o->data);
    }
    return wall_of(t);
}

/* A UTC UNTIL brought to the event's wall clock, so that libical compares
 * it with the floating dates of a start in the event's zone (as the
 * core's series walk does). */
static icaltimetype until_local(const offsets *o, icaltimetype until, icaltimetype start)
{
    if (icaltime_is_null_time(until) || until.is_date || !icaltime_is_utc(until) ||
        icaltime_is_utc(start))
        return until;
    return from_wall(local_wall(o, until), start.is_date);
}

static bool excluded(const int64_t *exdates, size_t n, int64_t wall, bool all_day)
{
    for (size_t i = 0; i < n; i++)
        if (exdates[i] == wall || (all_day && exdates[i] / DAY == wall / DAY))
            return true;
    return false;
}

/* The exceptions' wall-clock times; NULL with *n == 0 when there are none. */
static int64_t *read_exdates(const offsets *o, icalcomponent *ev, size_t *n, bool *failed)
{
    size_t count = icalcomponent_count_properties(ev, ICAL_EXDATE_PROPERTY);
    *n = 0;
    if (count == 0)
        return NULL;
    int64_t *out = malloc(count * sizeof *out);
    if (!out) {
        *failed = true;
        return NULL;
    }
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY);
         p && *n < count; p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY))
        out[(*n)++] = local_wall(o, icalproperty_get_exdate(p));
    return out;
}

/* The length of each date on the wall clock (DTEND or DURATION; an
 * all-day event without either lasts its day). */
static int64_t wall_length(const offsets *o, icalcomponent *ev, icaltimetype start)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    if (p)
        return local_wall(o, icalproperty_get_dtend(p)) - local_wall(o, start);
    p = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    if (p)
        return icaldurationtype_as_int(icalproperty_get_duration(p));
    return start.is_date ? DAY : 0;
}

static int add_date(series *s, size_t *cap, int64_t wall, int64_t len, const offsets *o)
{
    if (s->n == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        series_date *d = realloc(s->dates, grown * sizeof *d);
        if (!d)
            return -1;
        s->dates = d;
        *cap = grown;
    }
    s->dates[s->n++] = (series_date){to_utc(o, wall), to_utc(o, wall + len), wall};
    return 0;
}

static int walk(series *s, icalcomponent *ev, icaltimetype start, const offsets *o)
{
    bool failed = false;
    size_t n_ex = 0, cap = 0;
    int64_t *exdates = read_exdates(o, ev, &n_ex, &failed);
    if (failed)
        return -1;
    int64_t len = wall_length(o, ev, start);
    struct icalrecurrencetype rule = s->rule;
    rule.until = until_local(o, rule.until, start);
    ag_recur w;
    int rc = ag_recur_begin(&w, rule, start, SERIES_MAX_DATES) == 0 ? 0 : -1;
    icaltimetype t;
    while (rc == 0 && ag_recur_next(&w, &t)) {
        /* The walk goes on in UTC when DTSTART is UTC: read it as local. */
        int64_t wall = local_wall(o, t);
        if (!excluded(exdates, n_ex, wall, s->all_day))
            rc = add_date(s, &cap, wall, len, o);
    }
    s->capped = w.capped;
    ag_recur_end(&w);
    free(exdates);
    icalerror_clear_errno();
    return rc;
}

static icalcomponent *first_vevent(icalcomponent *root)
{
    if (icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT)
        return root;
    return icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
}

int series_parse(series *s, const char *text, size_t len, series_offset_fn offset, void *data)
{
    memset(s, 0, sizeof *s);
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, text, len);
    copy[len] = '\0';
    icalcomponent *root = icalparser_parse_string(copy);
    free(copy);
    icalcomponent *ev = root ? first_vevent(root) : NULL;
    icalproperty *dtstart = ev ? icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY) : NULL;
    icalproperty *rrule = ev ? icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) : NULL;
    int rc = -1;
    if (dtstart && rrule) {
        icaltimetype start = icalproperty_get_dtstart(dtstart);
        s->rule = icalproperty_get_rrule(rrule);
        s->all_day = start.is_date;
        offsets o = {offset, data};
        if (s->rule.freq != ICAL_NO_RECURRENCE && !icaltime_is_null_time(start))
            rc = walk(s, ev, start, &o);
        /* The RSCALE text belongs to the component freed below. */
        s->other_calendar = s->rule.rscale && strcasecmp(s->rule.rscale, "GREGORIAN") != 0;
        s->rule.rscale = NULL;
    }
    if (root)
        icalcomponent_free(root);
    icalerror_clear_errno();
    if (rc != 0)
        series_free(s);
    return rc;
}

void series_free(series *s)
{
    free(s->dates);
    s->dates = NULL;
    s->n = 0;
}

size_t series_next(const series *s, int64_t now)
{
    size_t i = 0;
    while (i < s->n && s->dates[i].end <= now)
        i++;
    return i;
}
