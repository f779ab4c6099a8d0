#include "model_series.h"

#include "error.h"
#include "tz.h"

#include <string.h>

/* UNTIL may come as a date, a UTC date-time or a floating one; bring it to
 * the event's wall clock so that it compares with local instances. */
static icaltimetype until_to_local(icaltimetype until, const ag_event *ev)
{
    if (icaltime_is_utc(until)) {
        icaltimezone *z = ag_tz_get(ev->tzid);
        until = icaltime_convert_to_zone(until, z);
    }
    until.zone = NULL;
    if (until.is_date) {
        /* libical marks a date's time fields -1: set them all. */
        until.is_date = 0;
        until.hour = 23;
        until.minute = 59;
        until.second = 59;
    }
    return until;
}

int ag_series_parse(const ag_event *ev, ag_series *out)
{
    memset(out, 0, sizeof *out);
    out->rule = icalrecurrencetype_from_string(ev->rrule);
    if (out->rule.freq == ICAL_NO_RECURRENCE)
        return AG_EINVAL;
    if (icaltime_is_null_time(out->rule.until))
        return 0;
    out->has_until = true;
    out->until_local = until_to_local(out->rule.until, ev);
    out->rule.until = out->until_local;
    if (ev->start.is_date) {
        out->rule.until.is_date = 1;
        out->rule.until.hour = out->rule.until.minute = out->rule.until.second = 0;
    }
    return 0;
}

static bool excluded(const ag_event *ev, icaltimetype t)
{
    ag_datetime dt = ag_tz_model_local(t);
    for (size_t i = 0; i < ev->n_exdates; i++)
        if (ag_datetime_cmp(&ev->exdates[i], &dt) == 0)
            return true;
    return false;
}

int ag_series_walk_begin(ag_series_walk *w, const ag_event *ev, const ag_series *s)
{
    w->ev = ev;
    /* recur answers 0 or -1: it links libical alone, not this table. */
    int rc =
        ag_recur_begin(&w->walk, s->rule, ag_tz_ical_local(&ev->start), AG_RECUR_MAX_INSTANCES);
    return rc < 0 ? AG_EINVAL : 0;
}

bool ag_series_walk_next(ag_series_walk *w, icaltimetype *t)
{
    while (ag_recur_next(&w->walk, t))
        if (!excluded(w->ev, *t))
            return true;
    return false;
}

void ag_series_walk_end(ag_series_walk *w)
{
    ag_recur_end(&w->walk);
}
