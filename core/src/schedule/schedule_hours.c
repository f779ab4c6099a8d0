/* When a member can meet: its working hours on its working days, as
 * instants computed from its own zone's wall clock day by day, so that a
 * change of offset (Morocco's Ramadan hour until 2026, Paris's summer
 * time) moves the instants and never the hours. Holidays are whole local
 * days off; Ramadan's days take the Ramadan hours. */
#include "schedule_internal.h"

#include "error.h"

#include <stdlib.h>

/* At most one span of each kind per day: room for all is made at once. */
static void add_day(ag_schedule_week *w, const ag_schedule_day *d, int64_t day)
{
    if (ag_schedule_is_holiday(d)) {
        w->off_day[w->n_off] = d;
        w->off[w->n_off++] = (ag_schedule_span){ag_schedule_instant(day, 0, w->tzid),
                                                ag_schedule_instant(day + 1, 0, w->tzid)};
        return;
    }
    const ag_hours *h = d->ramadan ? &w->hours->ramadan : &w->hours->usual;
    if (!(h->days & (1u << ag_schedule_weekday(day))))
        return;
    int64_t start = ag_schedule_instant(day, h->start, w->tzid);
    int64_t end = ag_schedule_instant(day, h->end, w->tzid);
    if (end > start)
        w->open[w->n_open++] = (ag_schedule_span){start, end};
}

int ag_schedule_week_build(const ag_schedule_calendar *cal, const char *tzid,
                           const ag_work_hours *hours, ag_schedule_week *out)
{
    size_t room = cal->n ? cal->n : 1;
    *out = (ag_schedule_week){.tzid = tzid,
                              .hours = hours,
                              .open = malloc(room * sizeof *out->open),
                              .off = malloc(room * sizeof *out->off),
                              .off_day = malloc(room * sizeof *out->off_day)};
    if (!out->open || !out->off || !out->off_day) {
        ag_schedule_week_free(out);
        return AG_ENOMEM;
    }
    for (size_t i = 0; i < cal->n; i++)
        add_day(out, &cal->days[i], cal->first + (int64_t)i);
    return 0;
}

void ag_schedule_week_free(ag_schedule_week *w)
{
    free(w->open);
    free(w->off);
    free(w->off_day);
    *w = (ag_schedule_week){0};
}
