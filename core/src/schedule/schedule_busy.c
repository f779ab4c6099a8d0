/* What makes a member busy: every occurrence of the live network events it
 * hosts or is in the audience of (walked once for all members through
 * model_series, exceptions left out), and its own calendar as the store
 * holds it. A timed occurrence lasts its event's wall-clock length from
 * its own start, as feeds publish it; an all-day one takes whole days of
 * the member's own zone. */
#include "schedule_internal.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

static const char *kind_name(ag_member_kind k)
{
    static const char *const names[] = {"region", "province", "commune"};
    return names[k];
}

bool ag_schedule_selects(const char *sel, const ag_schedule_member *m)
{
    if (strcmp(sel, "network") == 0 || strcmp(sel, m->id) == 0)
        return true;
    if (strncmp(sel, "region:", 7) == 0)
        return m->region && strcmp(sel + 7, m->region) == 0;
    if (strncmp(sel, "kind:", 5) == 0)
        return strcmp(sel + 5, kind_name(m->kind)) == 0;
    return false;
}

bool ag_schedule_concerned(const ag_schedule_member *m, const ag_event *ev)
{
    if (ev->host && strcmp(ev->host, m->id) == 0)
        return true;
    for (size_t i = 0; i < ev->n_audience; i++)
        if (ag_schedule_selects(ev->audience[i], m))
            return true;
    return false;
}

static int64_t wall_of(const ag_datetime *t)
{
    return ag_schedule_day_of(t->year, t->month, t->day) * AG_SCHEDULE_DAY + t->hour * 3600 +
           t->minute * 60 + t->second;
}

static int64_t wall_of_ical(icaltimetype t)
{
    return ag_schedule_day_of(t.year, t.month, t.day) * AG_SCHEDULE_DAY + t.hour * 3600 +
           t.minute * 60 + t.second;
}

typedef struct {
    ag_schedule_occurrences *o;
    size_t cap;
    int64_t from, to;         /* instants a timed occurrence must touch */
    int64_t from_day, to_day; /* days an all-day one must touch (a day wider) */
} builder;

static int push(builder *b, ag_schedule_occurrence oc)
{
    if (b->o->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        ag_schedule_occurrence *v = realloc(b->o->v, cap * sizeof *v);
        if (!v)
            return AG_ENOMEM;
        b->o->v = v;
        b->cap = cap;
    }
    b->o->v[b->o->n++] = oc;
    return 0;
}

/* One occurrence starting at local wall time `wall` (seconds); *past once
 * occurrences start after the window, so that the walk stops. */
static int add_occurrence(builder *b, const ag_schedule_event *e, int32_t i, int64_t wall,
                          bool *past)
{
    const ag_event *ev = &e->ev;
    int64_t day = wall / AG_SCHEDULE_DAY;
    *past = day > b->to_day;
    if (*past)
        return 0;
    if (ev->start.is_date) {
        int64_t n_days = ag_schedule_day_of(ev->end.year, ev->end.month, ev->end.day) -
                         ag_schedule_day_of(ev->start.year, ev->start.month, ev->start.day) + 1;
        if (day + n_days <= b->from_day)
            return 0;
        return push(
            b, (ag_schedule_occurrence){.ev = i, .all_day = true, .day = day, .n_days = n_days});
    }
    int64_t length = wall_of(&ev->end) - wall_of(&ev->start);
    int64_t start = ag_schedule_wall_instant(wall, ev->tzid);
    int64_t end = ag_schedule_wall_instant(wall + length, ev->tzid);
    if (end <= b->from || start >= b->to || end <= start)
        return 0;
    return push(b, (ag_schedule_occurrence){.ev = i, .start = start, .end = end});
}

static int add_event(builder *b, const ag_schedule_event *e, int32_t i)
{
    bool past;
    if (!e->recurs)
        return add_occurrence(b, e, i, wall_of(&e->ev.start), &past);
    ag_series_walk w;
    if (ag_series_walk_begin(&w, &e->ev, &e->series) < 0)
        return 0; /* validated by the config: cannot happen; nothing to add */
    icaltimetype t;
    int rc = 0;
    while (rc == 0 && ag_series_walk_next(&w, &t)) {
        rc = add_occurrence(b, e, i, wall_of_ical(t), &past);
        if (past)
            break;
    }
    ag_series_walk_end(&w);
    return rc;
}

int ag_schedule_occurrences_build(const ag_schedule_input *in, int64_t from, int64_t to,
                                  const bool *wanted, ag_schedule_occurrences *out)
{
    *out = (ag_schedule_occurrences){0};
    if (!(out->first = malloc((in->n_events + 1) * sizeof *out->first)))
        return AG_ENOMEM;
    /* Local days a day wider than the UTC window on each side: no zone is
     * further than 14 hours from UTC. */
    builder b = {out, 0, from, to, from / AG_SCHEDULE_DAY - 2, to / AG_SCHEDULE_DAY + 2};
    for (size_t i = 0; i < in->n_events; i++) {
        out->first[i] = out->n;
        if ((!wanted || wanted[i]) && add_event(&b, &in->events[i], (int32_t)i) < 0) {
            ag_schedule_occurrences_free(out);
            return AG_ENOMEM;
        }
    }
    out->first[in->n_events] = out->n;
    return 0;
}

void ag_schedule_occurrences_free(ag_schedule_occurrences *o)
{
    free(o->v);
    free(o->first);
    *o = (ag_schedule_occurrences){0};
}

typedef struct {
    ag_schedule_busy *v;
    size_t n, cap;
} busy_list;

static int busy_push(busy_list *l, ag_schedule_busy b)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        ag_schedule_busy *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return AG_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = b;
    return 0;
}

static int add_events(const ag_schedule_input *in, const ag_schedule_occurrences *occ,
                      const ag_schedule_member *m, int64_t from, int64_t to, busy_list *l)
{
    for (size_t i = 0; i < in->n_events; i++) {
        const ag_schedule_event *e = &in->events[i];
        if (occ->first[i] == occ->first[i + 1] || !ag_schedule_concerned(m, &e->ev))
            continue;
        bool tentative = e->ev.status == AG_STATUS_TENTATIVE;
        for (size_t k = occ->first[i]; k < occ->first[i + 1]; k++) {
            const ag_schedule_occurrence *o = &occ->v[k];
            int64_t s = o->start, en = o->end;
            if (o->all_day) {
                s = ag_schedule_instant(o->day, 0, m->tzid);
                en = ag_schedule_instant(o->day + o->n_days, 0, m->tzid);
            }
            if (en > from && s < to &&
                busy_push(l, (ag_schedule_busy){s, en, (int32_t)i, tentative}) < 0)
                return AG_ENOMEM;
        }
    }
    return 0;
}

/* The store gives a calendar sorted: only the few events are sorted, then
 * both are merged in one pass. */
int ag_schedule_member_busy(const ag_schedule_input *in, const ag_schedule_occurrences *occ,
                            size_t member, int64_t from, int64_t to, ag_schedule_busy **out,
                            size_t *n)
{
    const ag_schedule_member *m = &in->members[member];
    busy_list ev = {0}, cal = {0};
    int rc = add_events(in, occ, m, from, to, &ev);
    for (size_t i = 0; rc == 0 && i < m->n_cal; i++) {
        const ag_busy_interval *c = &m->cal[i];
        if (c->end > from && c->start < to)
            rc = busy_push(&cal, (ag_schedule_busy){c->start, c->end, -1, c->tentative});
    }
    ag_schedule_busy *all = NULL;
    if (rc == 0 && ev.n + cal.n && !(all = malloc((ev.n + cal.n) * sizeof *all)))
        rc = AG_ENOMEM;
    if (rc == 0) {
        ag_schedule_busy_sort(ev.v, ev.n);
        ag_schedule_busy_union(ev.v, ev.n, cal.v, cal.n, all);
        *out = all;
        *n = ev.n + cal.n;
    }
    free(ev.v);
    free(cal.v);
    return rc;
}
