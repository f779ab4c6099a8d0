/* The input of a proposal: copies of what it reads, so that a reload (or a
 * worker thread) never pulls anything from under it. */
#include "schedule_internal.h"

#include "error.h"
#include "tz.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

__attribute__((format(printf, 3, 4))) static int fail(char **err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(err, fmt, ap) < 0)
            *err = NULL;
        va_end(ap);
    }
    return code;
}

/* "example.org" of "https://example.org:8443/x". */
static char *host_of(const char *url, bool *ok)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n = strcspn(h, ":/?#");
    char *s = strndup(h, n);
    if (!s)
        *ok = false;
    return s;
}

static bool copy_holidays(ag_schedule_input *in, const ag_schedule_settings *s)
{
    if (!s->n_holidays)
        return true;
    if (!(in->holidays = calloc(s->n_holidays, sizeof *in->holidays)))
        return false;
    bool ok = true;
    for (size_t i = 0; i < s->n_holidays; i++, in->n_holidays++) {
        ag_holiday *h = &in->holidays[i];
        h->date = s->holidays[i].date;
        h->remove = s->holidays[i].remove;
        h->name.ar = dup_or_null(s->holidays[i].name.ar, &ok);
        h->name.fr = dup_or_null(s->holidays[i].name.fr, &ok);
    }
    return ok;
}

static bool copy_settings(ag_schedule_input *in, const ag_settings *s)
{
    bool ok = true;
    in->tzid = dup_or_null(s->default_tz, &ok);
    in->lang = dup_or_null(s->default_lang, &ok);
    in->host = s->base_url ? host_of(s->base_url, &ok) : dup_or_null("localhost", &ok);
    in->hijri = dup_or_null(s->scheduling.hijri, &ok);
    in->hijri_adjust = s->scheduling.hijri_adjust;
    in->hours = s->scheduling.hours;
    return copy_holidays(in, &s->scheduling) && ok;
}

static bool copy_member(ag_schedule_input *in, ag_schedule_member *d, const ag_member *m)
{
    bool ok = true;
    d->id = dup_or_null(m->id, &ok);
    d->kind = m->kind;
    d->region = dup_or_null(m->kind == AG_MEMBER_REGION ? m->id : m->region, &ok);
    d->name.ar = dup_or_null(m->name.ar, &ok);
    d->name.fr = dup_or_null(m->name.fr, &ok);
    d->tzid = dup_or_null(m->timezone ? m->timezone : in->tzid, &ok);
    /* A member built without hours (not by the config) works the network's. */
    d->hours = m->hours.usual.days ? m->hours : in->hours;
    return ok;
}

static bool live(const ag_stored_event *e)
{
    return !e->removed_at && !e->imported_from && e->ev.status != AG_STATUS_CANCELLED;
}

static int copy_events(ag_schedule_input *in, const ag_stored_event *evs, size_t n, char **err)
{
    if (!n)
        return 0;
    if (!(in->events = calloc(n, sizeof *in->events)))
        return fail(err, AG_ENOMEM, "out of memory copying the %s", "events");
    for (size_t i = 0; i < n; i++) {
        if (!live(&evs[i]))
            continue;
        ag_schedule_event *e = &in->events[in->n_events];
        if (ag_event_copy(&e->ev, &evs[i].ev) < 0)
            return fail(err, AG_ENOMEM, "out of memory copying the %s", "events");
        in->n_events++;
        if (!ag_tz_get(e->ev.tzid))
            return fail(err, AG_EZONE, "unknown time zone %s", e->ev.tzid);
        e->recurs = e->ev.rrule && ag_series_parse(&e->ev, &e->series) == 0;
    }
    return 0;
}

static int copy_members(ag_schedule_input *in, const ag_config *cfg, char **err)
{
    if (!cfg->n_members)
        return 0;
    if (!(in->members = calloc(cfg->n_members, sizeof *in->members)))
        return fail(err, AG_ENOMEM, "out of memory copying the %s", "members");
    for (size_t i = 0; i < cfg->n_members; i++) {
        ag_schedule_member *m = &in->members[in->n_members++];
        if (!copy_member(in, m, &cfg->members[i]))
            return fail(err, AG_ENOMEM, "out of memory copying the %s", "members");
        /* Looked up here, on the loop thread: libical loads zones lazily. */
        if (!ag_tz_get(m->tzid))
            return fail(err, AG_EZONE, "unknown time zone %s", m->tzid);
    }
    return 0;
}

int ag_schedule_input_new(const ag_config *cfg, const ag_stored_event *evs, size_t n_evs,
                          ag_schedule_input **out, char **err)
{
    if (err)
        *err = NULL;
    *out = NULL;
    ag_schedule_input *in = calloc(1, sizeof *in);
    if (!in)
        return fail(err, AG_ENOMEM, "out of memory copying the %s", "settings");
    /* libical makes its UTC zone at the first call: here, on the loop. */
    icaltimezone_get_utc_timezone();
    int rc = copy_settings(in, &cfg->settings)
                 ? 0
                 : fail(err, AG_ENOMEM, "out of memory copying the %s", "settings");
    if (rc == 0 && !ag_tz_get(in->tzid))
        rc = fail(err, AG_EZONE, "unknown time zone %s", in->tzid);
    if (rc == 0)
        rc = copy_members(in, cfg, err);
    if (rc == 0)
        rc = copy_events(in, evs, n_evs, err);
    if (rc < 0) {
        ag_schedule_input_free(in);
        return rc;
    }
    *out = in;
    return 0;
}

static void forget_calendar(ag_schedule_member *m)
{
    free(m->cal);
    free(m->reads);
    m->cal = NULL;
    m->reads = NULL;
    m->n_cal = m->n_reads = 0;
}

/* While the store's rows come in: members found by id, each calendar
 * grown by doubling. */
typedef struct {
    ag_schedule_input *in;
    size_t *by_id; /* member indices, sorted by id */
    size_t *room;  /* per member: intervals its calendar has room for */
    size_t last;   /* the member of the last row: a member's rows come together */
} loader;

static int cmp_by_id(const void *key, const void *elem, void *data)
{
    const ag_schedule_input *in = data;
    return strcmp(key, in->members[*(const size_t *)elem].id);
}

static ag_schedule_member *member_named(loader *l, const char *id, size_t *at)
{
    if (l->last < l->in->n_members && strcmp(l->in->members[l->last].id, id) == 0) {
        *at = l->last;
        return &l->in->members[*at];
    }
    size_t lo = 0, hi = l->in->n_members;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_by_id(id, &l->by_id[mid], l->in);
        if (c == 0) {
            *at = l->last = l->by_id[mid];
            return &l->in->members[*at];
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL; /* a member the config no longer has */
}

static int on_read(void *data, const char *member, const ag_busy_source *src)
{
    size_t at;
    ag_schedule_member *m = member_named(data, member, &at);
    if (!m)
        return 0;
    ag_schedule_span *v = realloc(m->reads, (m->n_reads + 1) * sizeof *v);
    if (!v)
        return AG_ENOMEM;
    m->reads = v;
    v[m->n_reads++] = (ag_schedule_span){src->from, src->to};
    return 0;
}

static int on_interval(void *data, const char *member, const ag_busy_interval *iv)
{
    loader *l = data;
    size_t at;
    ag_schedule_member *m = member_named(l, member, &at);
    if (!m)
        return 0;
    if (m->n_cal == l->room[at]) {
        size_t room = l->room[at] ? 2 * l->room[at] : 64;
        ag_busy_interval *v = realloc(m->cal, room * sizeof *v);
        if (!v)
            return AG_ENOMEM;
        m->cal = v;
        l->room[at] = room;
    }
    m->cal[m->n_cal++] = *iv;
    return 0;
}

static int cmp_member(const void *a, const void *b, void *data)
{
    const ag_schedule_input *in = data;
    return strcmp(in->members[*(const size_t *)a].id, in->members[*(const size_t *)b].id);
}

static int cmp_interval(const void *a, const void *b)
{
    const ag_busy_interval *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static bool sorted(const ag_busy_interval *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_interval(&v[i - 1], &v[i]) > 0)
            return false;
    return true;
}

static int load_all(ag_schedule_input *in, ag_store *st, int64_t from, int64_t to, char **err)
{
    size_t n = in->n_members ? in->n_members : 1;
    loader l = {in, malloc(n * sizeof *l.by_id), calloc(n, sizeof *l.room), SIZE_MAX};
    int rc = 0;
    if (!l.by_id || !l.room)
        rc = fail(err, AG_ENOMEM, "out of memory reading the %s", "calendars");
    for (size_t i = 0; rc == 0 && i < in->n_members; i++)
        l.by_id[i] = i;
    if (rc == 0) {
        qsort_r(l.by_id, in->n_members, sizeof *l.by_id, cmp_member, in);
        rc = ag_store_busy_load_all(st, from, to, on_interval, on_read, &l, err);
    }
    /* The store gives them in its table's order, most often each source's
     * by start already; proposals walk them by start. */
    for (size_t i = 0; rc == 0 && i < in->n_members; i++)
        if (!sorted(in->members[i].cal, in->members[i].n_cal))
            qsort(in->members[i].cal, in->members[i].n_cal, sizeof *in->members[i].cal,
                  cmp_interval);
    free(l.by_id);
    free(l.room);
    return rc;
}

int ag_schedule_input_load_calendars(ag_schedule_input *in, ag_store *st, int64_t from, int64_t to,
                                     char **err)
{
    if (err)
        *err = NULL;
    for (size_t i = 0; i < in->n_members; i++)
        forget_calendar(&in->members[i]);
    in->cal_from = from;
    in->cal_to = to;
    int rc = load_all(in, st, from, to, err);
    if (rc < 0) {
        for (size_t i = 0; i < in->n_members; i++)
            forget_calendar(&in->members[i]);
        in->cal_from = in->cal_to = 0;
    }
    return rc;
}

bool ag_schedule_unknown(const ag_schedule_input *in, size_t member, int64_t from, int64_t to)
{
    const ag_schedule_member *m = &in->members[member];
    if (from < in->cal_from || to > in->cal_to)
        return true;
    for (size_t i = 0; i < m->n_reads; i++)
        if (m->reads[i].start <= from && m->reads[i].end >= to)
            return false;
    return true;
}

void ag_schedule_input_free(ag_schedule_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_members; i++) {
        ag_schedule_member *m = &in->members[i];
        free(m->id);
        free(m->region);
        ag_text_free(&m->name);
        free(m->tzid);
        forget_calendar(m);
    }
    free(in->members);
    for (size_t i = 0; i < in->n_events; i++)
        ag_event_free(&in->events[i].ev);
    free(in->events);
    for (size_t i = 0; i < in->n_holidays; i++)
        ag_text_free(&in->holidays[i].name);
    free(in->holidays);
    free(in->tzid);
    free(in->lang);
    free(in->host);
    free(in->hijri);
    free(in);
}
