/* The JSON answer, whose shape doc/admin.md fixes for scripts: keys are
 * only added, never renamed or dropped. */
#include "schedule_internal.h"

#include "error.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const why_names[] = {"holiday", "hours", "event", "calendar"};

/* Both take v over, whatever happens (as json_*_set_new do even when they
 * fail), and fail on a NULL v: an allocation that failed anywhere below
 * shows at the top. */
static bool set(json_t *obj, const char *key, json_t *v)
{
    if (obj)
        return json_object_set_new(obj, key, v) == 0;
    json_decref(v);
    return false;
}

static bool append(json_t *arr, json_t *v)
{
    if (arr)
        return json_array_append_new(arr, v) == 0;
    json_decref(v);
    return false;
}

static json_t *date_string(const ag_datetime *d)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->year, d->month, d->day);
    return json_string(buf);
}

static json_t *busy_entry(const ag_schedule_result *r, const ag_schedule_why *w)
{
    json_t *o = json_object();
    bool ok = set(o, "member", json_string(r->in->members[w->member].id)) &&
              set(o, "reason", json_string(why_names[w->why]));
    if (ok && w->why == AG_SCHEDULE_WHY_EVENT)
        ok = set(o, "uid", json_string(r->in->events[w->ev].ev.uid));
    if (ok)
        ok = set(o, "tentative", json_boolean(w->tentative));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static bool is_busy(const ag_schedule_slot *s, size_t member)
{
    for (size_t k = 0; k < s->n_busy; k++)
        if (s->busy[k].member == member)
            return true;
    return false;
}

static bool add_members(const ag_schedule_result *r, const ag_schedule_slot *s, json_t *slot)
{
    json_t *free_ = json_array(), *busy = json_array();
    bool ok = free_ && busy, unknown = false;
    for (size_t k = 0; ok && k < r->n_members; k++) {
        size_t m = r->members[k];
        if (is_busy(s, m))
            continue;
        ok = append(free_, json_string(r->in->members[m].id));
        unknown = unknown || ag_schedule_unknown(r->in, m, r->from, r->to);
    }
    for (size_t k = 0; ok && k < s->n_busy; k++)
        ok = append(busy, busy_entry(r, &s->busy[k]));
    if (!ok) {
        json_decref(free_);
        json_decref(busy);
        return false;
    }
    return set(slot, "free", free_) && set(slot, "busy", busy) &&
           set(slot, "probable_holiday", json_boolean(s->probable_holiday)) &&
           set(slot, "unknown_calendar", json_boolean(unknown));
}

static json_t *slot_json(const ag_schedule_result *r, const ag_schedule_slot *s)
{
    char start[32], end[32], local[32];
    ag_schedule_utc_iso(s->start, start, sizeof start);
    ag_schedule_utc_iso(s->end, end, sizeof end);
    ag_schedule_local_iso(s->start, r->in->tzid, local, sizeof local);
    json_t *o = json_object();
    if (set(o, "start", json_string(start)) && set(o, "end", json_string(end)) &&
        set(o, "local", json_string(local)) && set(o, "timezone", json_string(r->in->tzid)) &&
        add_members(r, s, o))
        return o;
    json_decref(o);
    return NULL;
}

static json_t *strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (!append(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The members, or only those whose calendar is unknown. */
static json_t *member_ids(const ag_schedule_result *r, bool unknown_only)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < r->n_members; k++) {
        size_t m = r->members[k];
        if (unknown_only && !ag_schedule_unknown(r->in, m, r->from, r->to))
            continue;
        if (!append(a, json_string(r->in->members[m].id))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *answer(const ag_schedule_result *r)
{
    json_t *o = json_object(), *slots = json_array();
    bool ok = set(o, "audience", strings(r->q->audience, r->q->n_audience)) &&
              set(o, "members", member_ids(r, false)) &&
              set(o, "duration_minutes", json_integer(r->q->duration / 60)) &&
              set(o, "from", date_string(&r->q->from)) && set(o, "to", date_string(&r->q->to)) &&
              set(o, "unknown_calendar", member_ids(r, true));
    for (size_t k = 0; ok && k < r->n_slots; k++)
        ok = append(slots, slot_json(r, &r->slots[k]));
    if (ok && set(o, "slots", slots))
        return o;
    if (!ok)
        json_decref(slots);
    json_decref(o);
    return NULL;
}

int ag_schedule_format_json(const ag_schedule_result *r, char **body, size_t *len)
{
    json_t *o = answer(r);
    char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!s)
        return AG_ENOMEM;
    /* json_dumps's text is freed with free() (jansson's default allocator). */
    size_t n = strlen(s);
    char *out = realloc(s, n + 2);
    if (!out) {
        free(s);
        return AG_ENOMEM;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    *body = out;
    *len = n + 1;
    return 0;
}
