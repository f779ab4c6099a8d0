/* An event's occurrences as attendance names them: by their local start
 * date, with their instants. */
#include "rsvp_tally.h"

#include "error.h"
#include "model_series.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libical marks a date's time fields -1: read it as its midnight. */
static icaltimetype midnight(icaltimetype t)
{
    if (t.is_date) {
        t.is_date = 0;
        t.hour = t.minute = t.second = 0;
    }
    return t;
}

/* Wall-clock seconds of one occurrence; an all-day end is inclusive. */
static int64_t wall_length(const ag_event *ev)
{
    icaltimetype a = midnight(ag_tz_ical_local(&ev->start));
    icaltimetype b = midnight(ag_tz_ical_local(&ev->end));
    int64_t len = (int64_t)icaltime_as_timet(b) - (int64_t)icaltime_as_timet(a);
    return ev->start.is_date ? len + 86400 : len;
}

/* The occurrence starting at local t; false for an unknown zone. */
static bool occurrence_at(const ag_event *ev, icaltimetype t, int64_t len, ag_rsvp_occurrence *o)
{
    bool ok = true, ok2 = true;
    t = midnight(t);
    ag_datetime ls = ag_tz_model_local(t);
    char date[32];
    snprintf(date, sizeof date, "%04d-%02d-%02d", ls.year, ls.month, ls.day);
    memcpy(o->date, date, sizeof o->date - 1);
    o->date[sizeof o->date - 1] = '\0';
    o->start = ag_tz_to_utc(&ls, ev->tzid, &ok);
    icaltime_adjust(&t, 0, 0, 0, (int)len);
    ag_datetime le = ag_tz_model_local(t);
    o->end = ag_tz_to_utc(&le, ev->tzid, &ok2);
    return ok && ok2;
}

static int append(ag_rsvp_occurrence **v, size_t *n, size_t *cap, const ag_rsvp_occurrence *o)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        ag_rsvp_occurrence *p = realloc(*v, c * sizeof *p);
        if (!p)
            return AG_ENOMEM;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = *o;
    return 0;
}

static int walk(const ag_event *ev, int64_t len, ag_rsvp_occurrence **out, size_t *n)
{
    ag_series r;
    ag_series_walk w;
    if (ag_series_parse(ev, &r) < 0 || ag_series_walk_begin(&w, ev, &r) < 0)
        return AG_EINVAL;
    size_t cap = 0;
    int rc = 0;
    icaltimetype t;
    while (rc == 0 && ag_series_walk_next(&w, &t)) {
        ag_rsvp_occurrence o;
        rc = occurrence_at(ev, t, len, &o) ? append(out, n, &cap, &o) : AG_EZONE;
    }
    ag_series_walk_end(&w);
    return rc;
}

int ag_rsvp_occurrences(const ag_event *ev, ag_rsvp_occurrence **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int64_t len = wall_length(ev);
    int rc;
    if (ev->rrule) {
        rc = walk(ev, len, out, n);
    } else {
        ag_rsvp_occurrence o;
        size_t cap = 0;
        rc = occurrence_at(ev, ag_tz_ical_local(&ev->start), len, &o) ? append(out, n, &cap, &o)
                                                                      : AG_EZONE;
    }
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
