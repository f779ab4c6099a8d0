#include "ical_import.h"

#include "recur.h"

#include <libical/ical.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY 86400

typedef struct {
    icalcomponent *cal;
    const si_limits *lim;
    json_t *out;            /* events; NULL when only busy time is read */
    json_t *busy;           /* [[start, end, tentative], ...] */
    icaltimezone *day_zone; /* where an all-day event's days begin and end */
    char *err;              /* first error: the feed is refused */
} ctx;

/* One VEVENT with what every occurrence needs resolved. */
typedef struct {
    icalcomponent *comp;
    const char *uid;
    icaltimetype start; /* as written (zone dropped: floating in `zone`) */
    icaltimezone *zone; /* NULL for dates */
    int64_t start_utc;
    int64_t length; /* seconds */
    bool all_day;
} vevent;

static bool fail(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(ctx *c, const char *fmt, ...)
{
    if (c->err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->err, fmt, ap) < 0)
        c->err = NULL;
    va_end(ap);
    return false;
}

/* ------------------------------------------------------------- zones */

static icaltimezone *zone_for(ctx *c, const char *tzid)
{
    const char *iana = si_windows_zone(tzid);
    if (iana)
        return icaltimezone_get_builtin_timezone(iana);
    icaltimezone *z = icalcomponent_get_timezone(c->cal, tzid);
    if (!z)
        z = icaltimezone_get_builtin_timezone_from_tzid(tzid);
    if (!z)
        z = icaltimezone_get_builtin_timezone(tzid);
    return z;
}

static int64_t date_utc(icaltimetype t)
{
    struct tm tm = {.tm_year = t.year - 1900, .tm_mon = t.month - 1, .tm_mday = t.day};
    return (int64_t)timegm(&tm);
}

/* The zone a DATE-TIME property is in; false (error set) when its TZID is
 * unknown. Dates have none. */
static bool prop_zone(ctx *c, icalproperty *p, icaltimetype t, icaltimezone **zone)
{
    *zone = NULL;
    if (t.is_date)
        return true;
    if (icaltime_is_utc(t)) {
        *zone = icaltimezone_get_utc_timezone();
        return true;
    }
    icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    const char *tzid = tp ? icalparameter_get_tzid(tp) : NULL;
    *zone = zone_for(c, tzid ? tzid : c->lim->default_tzid);
    if (!*zone)
        return fail(c, "unknown time zone \"%s\"", tzid ? tzid : c->lim->default_tzid);
    return true;
}

static int64_t local_utc(icaltimetype t, icaltimezone *zone)
{
    if (t.is_date)
        return date_utc(t);
    t.zone = NULL;
    return (int64_t)icaltime_as_timet_with_zone(t, zone);
}

/* A time property's instant; false when absent or its zone unknown. */
static bool prop_instant(ctx *c, icalproperty *p, icaltimetype t, int64_t *out)
{
    icaltimezone *z;
    if (!prop_zone(c, p, t, &z))
        return false;
    *out = local_utc(t, z);
    return true;
}

/* ------------------------------------------------------------ output */

static bool put_str(ctx *c, json_t *o, const char *key, const char *v, const char *uid)
{
    if (!v || !*v)
        return true;
    json_t *s = json_string(v);
    if (!s)
        return fail(c, "event %s: %s is not valid UTF-8", uid, key);
    json_object_set_new(o, key, s);
    return true;
}

static const char *status_name(icalcomponent *comp)
{
    switch (icalcomponent_get_status(comp)) {
    case ICAL_STATUS_CANCELLED:
        return "cancelled";
    case ICAL_STATUS_TENTATIVE:
        return "tentative";
    default:
        return "confirmed";
    }
}

static const char *summary_lang(icalcomponent *comp)
{
    icalproperty *p = icalcomponent_get_first_property(comp, ICAL_SUMMARY_PROPERTY);
    icalparameter *l = p ? icalproperty_get_first_parameter(p, ICAL_LANGUAGE_PARAMETER) : NULL;
    const char *v = l ? icalparameter_get_language(l) : NULL;
    if (v && strncmp(v, "ar", 2) == 0)
        return "ar";
    if (v && strncmp(v, "fr", 2) == 0)
        return "fr";
    return NULL;
}

static json_t *categories_of(icalcomponent *comp)
{
    json_t *a = json_array();
    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_CATEGORIES_PROPERTY); p;
         p = icalcomponent_get_next_property(comp, ICAL_CATEGORIES_PROPERTY)) {
        json_t *s = json_string(icalproperty_get_categories(p));
        if (s)
            json_array_append_new(a, s);
    }
    return a;
}

/* Text that is not valid UTF-8 is left out rather than refusing the feed:
 * it is optional detail. */
static void set_str(json_t *o, const char *key, const char *v)
{
    json_t *s = v && *v ? json_string(v) : NULL;
    if (s)
        json_object_set_new(o, key, s);
}

/* PARTSTAT and ROLE as written, X- and IANA-registered values alike. */
static const char *enum_param(icalparameter *par, int value, int x_value)
{
    if (value == x_value)
        return icalparameter_get_xvalue(par);
    return icalparameter_enum_to_string(value);
}

static void put_params(json_t *o, icalproperty *p)
{
    icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
    icalparameter *ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
    icalparameter *role = icalproperty_get_first_parameter(p, ICAL_ROLE_PARAMETER);
    if (cn)
        set_str(o, "cn", icalparameter_get_cn(cn));
    if (ps)
        set_str(o, "partstat", enum_param(ps, icalparameter_get_partstat(ps), ICAL_PARTSTAT_X));
    if (role)
        set_str(o, "role", enum_param(role, icalparameter_get_role(role), ICAL_ROLE_X));
}

/* ATTENDEEs are personal data of the member's staff: read only with
 * private_data, and then as the source wrote them. */
static json_t *attendees_of(icalcomponent *comp)
{
    json_t *a = json_array();
    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_ATTENDEE_PROPERTY); p;
         p = icalcomponent_get_next_property(comp, ICAL_ATTENDEE_PROPERTY)) {
        json_t *s = json_string(icalproperty_get_attendee(p));
        if (!s || !*json_string_value(s)) {
            json_decref(s);
            continue;
        }
        json_t *o = json_object();
        json_object_set_new(o, "address", s);
        put_params(o, p);
        json_array_append_new(a, o);
    }
    return a;
}

/* The trigger as {"related": "start"|"end"|"absolute", "trigger": n}. */
static void put_trigger(json_t *o, icalproperty *p)
{
    struct icaltriggertype tr = icalproperty_get_trigger(p);
    if (!icaltime_is_null_time(tr.time)) {
        json_object_set_new(o, "related", json_string("absolute"));
        json_object_set_new(
            o, "trigger",
            json_integer((json_int_t)local_utc(tr.time, icaltimezone_get_utc_timezone())));
        return;
    }
    icalparameter *rel = icalproperty_get_first_parameter(p, ICAL_RELATED_PARAMETER);
    bool end = rel && icalparameter_get_related(rel) == ICAL_RELATED_END;
    json_object_set_new(o, "related", json_string(end ? "end" : "start"));
    json_object_set_new(o, "trigger", json_integer(icaldurationtype_as_int(tr.duration)));
}

/* Only alarms a subscriber's app shows: DISPLAY and AUDIO. EMAIL alarms
 * would have apps mail someone, PROCEDURE run something: left out. */
static json_t *alarm_of(icalcomponent *al)
{
    icalproperty *act = icalcomponent_get_first_property(al, ICAL_ACTION_PROPERTY);
    icalproperty *trg = icalcomponent_get_first_property(al, ICAL_TRIGGER_PROPERTY);
    if (!act || !trg)
        return NULL;
    icalproperty_action a = icalproperty_get_action(act);
    if (a != ICAL_ACTION_DISPLAY && a != ICAL_ACTION_AUDIO)
        return NULL;
    json_t *o = json_object();
    json_object_set_new(o, "action", json_string(a == ICAL_ACTION_AUDIO ? "AUDIO" : "DISPLAY"));
    put_trigger(o, trg);
    const char *d = icalcomponent_get_description(al), *s = icalcomponent_get_summary(al);
    set_str(o, "description", d);
    set_str(o, "summary", s);
    return o;
}

static json_t *alarms_of(icalcomponent *comp)
{
    json_t *a = json_array();
    for (icalcomponent *al = icalcomponent_get_first_component(comp, ICAL_VALARM_COMPONENT); al;
         al = icalcomponent_get_next_component(comp, ICAL_VALARM_COMPONENT)) {
        json_t *o = alarm_of(al);
        if (o)
            json_array_append_new(a, o);
    }
    return a;
}

static bool emit(ctx *c, icalcomponent *comp, const char *uid, int64_t start, int64_t end,
                 bool all_day, const char *tzid)
{
    if (end < start)
        end = start;
    if (end <= c->lim->from || start >= c->lim->to)
        return true;
    if (json_array_size(c->out) >= c->lim->max_events)
        return fail(c, "more than %zu events", c->lim->max_events);
    json_t *o = json_object();
    json_object_set_new(o, "start", json_integer(start));
    json_object_set_new(o, "end", json_integer(end));
    json_object_set_new(o, "all_day", json_boolean(all_day));
    json_object_set_new(o, "status", json_string(status_name(comp)));
    json_object_set_new(o, "categories", categories_of(comp));
    if (c->lim->private_data) {
        json_object_set_new(o, "attendees", attendees_of(comp));
        json_object_set_new(o, "alarms", alarms_of(comp));
    }
    const char *summary = icalcomponent_get_summary(comp);
    bool ok = put_str(c, o, "uid", uid, uid) &&
              put_str(c, o, "summary", summary && *summary ? summary : "(untitled)", uid) &&
              put_str(c, o, "description", icalcomponent_get_description(comp), uid) &&
              put_str(c, o, "location", icalcomponent_get_location(comp), uid) &&
              put_str(c, o, "lang", summary_lang(comp), uid) && put_str(c, o, "tzid", tzid, uid);
    if (ok)
        json_array_append_new(c->out, o);
    else
        json_decref(o);
    return ok;
}

/* ---------------------------------------------------------- busy time */

/* TRANSP:TRANSPARENT and STATUS:CANCELLED leave the member free; every
 * other occurrence makes it busy, whatever its CLASS. */
static bool makes_busy(icalcomponent *comp)
{
    if (icalcomponent_get_status(comp) == ICAL_STATUS_CANCELLED)
        return false;
    icalproperty *p = icalcomponent_get_first_property(comp, ICAL_TRANSP_PROPERTY);
    icalproperty_transp t = p ? icalproperty_get_transp(p) : ICAL_TRANSP_OPAQUE;
    return t != ICAL_TRANSP_TRANSPARENT && t != ICAL_TRANSP_TRANSPARENTNOCONFLICT;
}

/* A date's UTC midnight (date_utc) as the midnight that starts that day in
 * the member's zone: an all-day event is busy for the member's local day. */
static int64_t local_day(const ctx *c, int64_t utc_midnight)
{
    time_t tt = (time_t)utc_midnight;
    struct tm tm;
    gmtime_r(&tt, &tm);
    icaltimetype t = icaltime_null_time();
    t.year = tm.tm_year + 1900;
    t.month = tm.tm_mon + 1;
    t.day = tm.tm_mday;
    return (int64_t)icaltime_as_timet_with_zone(t, c->day_zone);
}

/* The times of an occurrence, and nothing else of it. */
static bool add_busy(ctx *c, icalcomponent *comp, int64_t start, int64_t end, bool all_day)
{
    if (!makes_busy(comp))
        return true;
    if (all_day) {
        start = local_day(c, start);
        end = local_day(c, end);
    }
    const si_limits *l = c->lim;
    if (end <= start || end <= (l->busy_from ? l->busy_from : l->from) || start >= l->to)
        return true;
    size_t max = l->max_busy ? l->max_busy : l->max_events;
    if (json_array_size(c->busy) >= max)
        return fail(c, "more than %zu busy intervals", max);
    bool tentative = icalcomponent_get_status(comp) == ICAL_STATUS_TENTATIVE;
    json_t *iv = json_pack("[I,I,i]", (json_int_t)start, (json_int_t)end, tentative ? 1 : 0);
    if (!iv || json_array_append_new(c->busy, iv) < 0)
        return fail(c, "out of memory");
    return true;
}

/* One occurrence: an event of the member's feed when published, and busy
 * time when the member is busy then (private ones too). */
static bool occurrence(ctx *c, icalcomponent *comp, const char *uid, int64_t start, int64_t end,
                       bool all_day, const char *tzid, bool publish)
{
    if (end < start)
        end = start;
    if (publish && c->out && !emit(c, comp, uid, start, end, all_day, tzid))
        return false;
    return add_busy(c, comp, start, end, all_day);
}

/* ------------------------------------------------------------ events */

static bool is_public(icalcomponent *comp)
{
    icalproperty *p = icalcomponent_get_first_property(comp, ICAL_CLASS_PROPERTY);
    if (!p)
        return true;
    icalproperty_class k = icalproperty_get_class(p);
    return k != ICAL_CLASS_PRIVATE && k != ICAL_CLASS_CONFIDENTIAL;
}

static const char *zone_name(icaltimezone *z)
{
    return z ? icaltimezone_get_location(z) ? icaltimezone_get_location(z)
                                            : icaltimezone_get_tzid(z)
             : NULL;
}

/* DTSTART, and the length from DTEND or DURATION (a date without either
 * lasts one day, a date-time without either is an instant). */
static bool read_vevent(ctx *c, icalcomponent *comp, vevent *v)
{
    memset(v, 0, sizeof *v);
    v->comp = comp;
    v->uid = icalcomponent_get_uid(comp);
    if (!v->uid || !*v->uid)
        return fail(c, "an event has no UID");
    icalproperty *ps = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
    if (!ps)
        return fail(c, "event %s has no DTSTART", v->uid);
    v->start = icalproperty_get_dtstart(ps);
    v->all_day = v->start.is_date != 0;
    if (!prop_zone(c, ps, v->start, &v->zone))
        return false;
    v->start_utc = local_utc(v->start, v->zone);
    icalproperty *pe = icalcomponent_get_first_property(comp, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(comp, ICAL_DURATION_PROPERTY);
    int64_t end = v->start_utc + (v->all_day ? DAY : 0);
    if (pe && !prop_instant(c, pe, icalproperty_get_dtend(pe), &end))
        return false;
    if (!pe && pd)
        end = v->start_utc + icaldurationtype_as_int(icalproperty_get_duration(pd));
    v->length = end > v->start_utc ? end - v->start_utc : 0;
    return true;
}

/* Occurrence key: the instant of its original start. */
static void rid_text(int64_t t, bool all_day, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, all_day ? "%Y%m%d" : "%Y%m%dT%H%M%SZ", &tm);
}

static bool emit_single(ctx *c, const vevent *v, bool publish)
{
    return occurrence(c, v->comp, v->uid, v->start_utc, v->start_utc + v->length, v->all_day,
                      zone_name(v->zone), publish);
}

/* ---------------------------------------------------------- series */

typedef struct {
    icalcomponent **comps; /* overrides of this UID */
    int64_t *rids;
    size_t n;
    int64_t *exdates;
    size_t n_exdates;
} series_extra;

static bool is_exdate(const series_extra *x, int64_t t)
{
    for (size_t i = 0; i < x->n_exdates; i++)
        if (x->exdates[i] == t)
            return true;
    return false;
}

static icalcomponent *override_for(const series_extra *x, int64_t t, size_t *idx)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->rids[i] == t) {
            *idx = i;
            return x->comps[i];
        }
    return NULL;
}

static bool read_exdates(ctx *c, const vevent *v, series_extra *x)
{
    icalcomponent *comp = v->comp;
    for (icalproperty *p = icalcomponent_get_first_property(comp, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(comp, ICAL_EXDATE_PROPERTY)) {
        int64_t t;
        if (!prop_instant(c, p, icalproperty_get_exdate(p), &t))
            return false;
        int64_t *g = realloc(x->exdates, (x->n_exdates + 1) * sizeof *g);
        if (!g)
            return fail(c, "out of memory");
        x->exdates = g;
        x->exdates[x->n_exdates++] = t;
    }
    return true;
}

/* An override replaces its occurrence with its own times and text; it is
 * published when its series is and it is public itself. */
static bool emit_override(ctx *c, icalcomponent *ov, const char *uid, bool publish)
{
    vevent o;
    if (!read_vevent(c, ov, &o))
        return false;
    return occurrence(c, ov, uid, o.start_utc, o.start_utc + o.length, o.all_day, zone_name(o.zone),
                      publish && is_public(ov));
}

static bool emit_orphan(ctx *c, const char *uid, icalcomponent *ov, int64_t rid, bool publish)
{
    char r[32], id[1100];
    icalproperty *p = icalcomponent_get_first_property(ov, ICAL_RECURRENCEID_PROPERTY);
    rid_text(rid, icalproperty_get_recurrenceid(p).is_date != 0, r, sizeof r);
    snprintf(id, sizeof id, "%.1000s/%s", uid, r);
    return emit_override(c, ov, id, publish);
}

static bool emit_occurrence(ctx *c, const vevent *v, const series_extra *x, icaltimetype t,
                            bool *done_overrides, bool publish)
{
    int64_t s = local_utc(t, v->zone);
    if (is_exdate(x, s))
        return true;
    char rid[32], uid[1100];
    rid_text(s, v->all_day, rid, sizeof rid);
    snprintf(uid, sizeof uid, "%.1000s/%s", v->uid, rid);
    size_t idx;
    icalcomponent *ov = override_for(x, s, &idx);
    if (ov) {
        done_overrides[idx] = true;
        return emit_override(c, ov, uid, publish);
    }
    return occurrence(c, v->comp, uid, s, s + v->length, v->all_day, zone_name(v->zone), publish);
}

/* RDATE dates count as busy time; they are not published (the import has
 * never published them). One whose occurrence an override replaces is the
 * override's (an orphan, emitted with the others), an EXDATE removes one. */
static bool rdates_busy(ctx *c, const vevent *v, const series_extra *x)
{
    for (icalproperty *p = icalcomponent_get_first_property(v->comp, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(v->comp, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype r = icalproperty_get_rdate(p);
        bool period = icaltime_is_null_time(r.time);
        icaltimetype t = period ? r.period.start : r.time;
        int64_t s, e;
        if (icaltime_is_null_time(t) || !prop_instant(c, p, t, &s))
            return !c->err;
        e = s + (t.is_date ? DAY : v->length);
        if (period && !icaltime_is_null_time(r.period.end) && !prop_instant(c, p, r.period.end, &e))
            return false;
        if (period && icaltime_is_null_time(r.period.end))
            e = s + icaldurationtype_as_int(r.period.duration);
        size_t idx;
        if (is_exdate(x, s) || override_for(x, s, &idx))
            continue;
        if (!add_busy(c, v->comp, s, e, t.is_date != 0))
            return false;
    }
    return true;
}

/* UNTIL in UTC beside a local DTSTART: libical compares wall clocks, so
 * bring it to the series' zone first. */
static void until_local(struct icalrecurrencetype *r, const vevent *v)
{
    if (icaltime_is_null_time(r->until) || !v->zone || !icaltime_is_utc(r->until))
        return;
    r->until = icaltime_convert_to_zone(r->until, v->zone);
    r->until.zone = NULL;
}

static bool expand(ctx *c, const vevent *v, struct icalrecurrencetype rule, const series_extra *x,
                   bool *done, bool publish)
{
    until_local(&rule, v);
    icaltimetype start = v->start;
    start.zone = NULL;
    ag_recur w;
    if (ag_recur_begin(&w, rule, start, c->lim->max_iterations) < 0)
        return fail(c, "event %s: its RRULE cannot be expanded", v->uid);
    size_t in_window = 0;
    bool ok = true;
    icaltimetype t;
    while (ok && ag_recur_next(&w, &t)) {
        int64_t s = local_utc(t, v->zone);
        if (s >= c->lim->to)
            break;
        /* Only what is published is capped per series: busy time has its
         * own cap over the whole calendar. */
        if (publish && c->out && s + v->length > c->lim->from &&
            ++in_window > c->lim->max_instances)
            ok = fail(c, "event %s: more than %zu occurrences in the window", v->uid,
                      c->lim->max_instances);
        else
            ok = emit_occurrence(c, v, x, t, done, publish);
    }
    if (ok && w.capped)
        ok = fail(c, "event %s: its RRULE has more than %zu occurrences", v->uid,
                  c->lim->max_iterations);
    ag_recur_end(&w);
    return ok;
}

/* A series without an end is refused only where it would be published:
 * busy time is walked to the window's end (members' private calendars
 * hold open-ended series, their weekly meetings). */
static bool emit_series(ctx *c, const vevent *v, icalproperty *rr, series_extra *x, bool publish)
{
    struct icalrecurrencetype rule = icalproperty_get_rrule(rr);
    if (rule.freq == ICAL_NO_RECURRENCE)
        return fail(c, "event %s: its RRULE does not parse", v->uid);
    if (publish && c->out && rule.count == 0 && icaltime_is_null_time(rule.until))
        return fail(c, "event %s: its RRULE has no end (neither COUNT nor UNTIL)", v->uid);
    if (!read_exdates(c, v, x))
        return false;
    bool *done = calloc(x->n + 1, sizeof *done);
    if (!done)
        return fail(c, "out of memory");
    bool ok = expand(c, v, rule, x, done, publish) && rdates_busy(c, v, x);
    /* Overrides moved onto a date the rule does not produce still happen. */
    for (size_t i = 0; ok && i < x->n; i++)
        if (!done[i] && !is_exdate(x, x->rids[i]))
            ok = emit_orphan(c, v->uid, x->comps[i], x->rids[i], publish);
    free(done);
    return ok;
}

/* ------------------------------------------------------- grouping */

typedef struct {
    const char *uid;
    icalcomponent *comp;
    bool is_override;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int r = strcmp(x->uid, y->uid);
    return r ? r : (int)x->is_override - (int)y->is_override;
}

static bool collect(ctx *c, entry **out, size_t *n)
{
    size_t cap = (size_t)icalcomponent_count_components(c->cal, ICAL_VEVENT_COMPONENT);
    *out = calloc(cap + 1, sizeof **out);
    *n = 0;
    if (!*out)
        return fail(c, "out of memory");
    for (icalcomponent *e = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT);
         e && *n < cap; e = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        const char *uid = icalcomponent_get_uid(e);
        if (!uid || !*uid)
            return fail(c, "an event has no UID");
        bool ov = icalcomponent_get_first_property(e, ICAL_RECURRENCEID_PROPERTY) != NULL;
        (*out)[(*n)++] = (entry){uid, e, ov};
    }
    qsort(*out, *n, sizeof **out, cmp_entry);
    return true;
}

static bool read_overrides(ctx *c, const entry *g, size_t n, series_extra *x)
{
    x->comps = calloc(n + 1, sizeof *x->comps);
    x->rids = calloc(n + 1, sizeof *x->rids);
    if (!x->comps || !x->rids)
        return fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) {
        icalproperty *p = icalcomponent_get_first_property(g[i].comp, ICAL_RECURRENCEID_PROPERTY);
        if (!prop_instant(c, p, icalproperty_get_recurrenceid(p), &x->rids[x->n]))
            return false;
        x->comps[x->n++] = g[i].comp;
    }
    return true;
}

static bool skipped(const ctx *c, const char *uid)
{
    for (size_t i = 0; i < c->lim->n_skip_uids; i++)
        if (strcmp(c->lim->skip_uids[i], uid) == 0)
            return true;
    return false;
}

/* A master without RRULE: itself, as always, and its RDATEs as busy time
 * (its overrides are neither published nor counted: the import has never
 * read them). */
static bool import_single(ctx *c, const vevent *v, bool publish)
{
    if (!emit_single(c, v, publish))
        return false;
    if (!icalcomponent_get_first_property(v->comp, ICAL_RDATE_PROPERTY))
        return true;
    series_extra x = {0};
    bool ok = read_exdates(c, v, &x) && rdates_busy(c, v, &x);
    free(x.exdates);
    return ok;
}

/* One UID: its master (first, sorted so) and its overrides. A private or
 * confidential master, and every occurrence of it, is busy time only. */
static bool import_group(ctx *c, const entry *g, size_t n)
{
    if (skipped(c, g[0].uid))
        return true;
    if (g[0].is_override) {
        /* Overrides without their series: each is an event of its own. */
        series_extra x = {0};
        bool ok = read_overrides(c, g, n, &x);
        for (size_t i = 0; ok && i < x.n; i++)
            ok = emit_orphan(c, g[0].uid, x.comps[i], x.rids[i], true);
        free(x.comps);
        free(x.rids);
        return ok;
    }
    vevent v;
    if (!read_vevent(c, g[0].comp, &v))
        return false;
    bool publish = is_public(g[0].comp);
    icalproperty *rr = icalcomponent_get_first_property(g[0].comp, ICAL_RRULE_PROPERTY);
    if (!rr)
        return import_single(c, &v, publish);
    series_extra x = {0};
    bool ok = read_overrides(c, g + 1, n - 1, &x) && emit_series(c, &v, rr, &x, publish);
    free(x.comps);
    free(x.rids);
    free(x.exdates);
    return ok;
}

static bool import_events(ctx *c)
{
    entry *all;
    size_t n;
    bool ok = collect(c, &all, &n);
    for (size_t i = 0; ok && i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(all[j].uid, all[i].uid) == 0)
            j++;
        ok = import_group(c, all + i, j - i);
        i = j;
    }
    free(all);
    return ok;
}

/* ------------------------------------------------------------- parse */

static const char *first_error(icalcomponent *c)
{
    icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
    if (p)
        return icalproperty_get_xlicerror(p);
    for (icalcomponent *k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k;
         k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
        const char *e = first_error(k);
        if (e)
            return e;
    }
    return NULL;
}

static icalcomponent *parse(const char *text, char **err)
{
    icalcomponent *root = icalparser_parse_string(text);
    if (!root || icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT) {
        if (root)
            icalcomponent_free(root);
        *err = strdup("not a complete iCalendar feed (no BEGIN:VCALENDAR ... END:VCALENDAR)");
        return NULL;
    }
    /* libical does not fail on bad input: it marks it. A marked feed may
     * be cut short or mangled, so none of it replaces the last good copy. */
    if (icalcomponent_count_errors(root) > 0) {
        const char *e = first_error(root);
        if (asprintf(err, "the feed is malformed: %s", e ? e : "parse error") < 0)
            *err = NULL;
        icalcomponent_free(root);
        return NULL;
    }
    return root;
}

/* Reads cal into c->out (when set) and c->busy; false with c->err. */
static bool import_calendar(ctx *c)
{
    const char *day = c->lim->day_tzid ? c->lim->day_tzid : c->lim->default_tzid;
    c->day_zone = zone_for(c, day);
    if (!c->day_zone)
        return fail(c, "unknown time zone \"%s\"", day);
    return import_events(c);
}

json_t *si_import(const char *text, const si_limits *lim, char **err)
{
    *err = NULL;
    icalcomponent *cal = parse(text, err);
    if (!cal)
        return NULL;
    ctx c = {.cal = cal, .lim = lim, .out = json_array(), .busy = json_array()};
    bool ok = c.out && c.busy && import_calendar(&c);
    icalcomponent_free(cal);
    json_t *res = ok && !c.err ? json_pack("{s:o,s:o}", "events", c.out, "busy", c.busy) : NULL;
    if (res)
        return res;
    if (ok && !c.err) {
        *err = strdup("out of memory");
        return NULL;
    }
    json_decref(c.out);
    json_decref(c.busy);
    *err = c.err ? c.err : strdup("import failed");
    return NULL;
}

bool si_busy(const char *text, const si_limits *lim, json_t *busy, char **err)
{
    *err = NULL;
    icalcomponent *cal = parse(text, err);
    if (!cal)
        return false;
    ctx c = {.cal = cal, .lim = lim, .busy = json_array()};
    bool ok = c.busy && import_calendar(&c) && !c.err && json_array_extend(busy, c.busy) == 0;
    icalcomponent_free(cal);
    json_decref(c.busy);
    if (!ok)
        *err = c.err ? c.err : strdup("out of memory");
    return ok;
}
