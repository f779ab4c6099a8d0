/* An event's series: its RRULE with UNTIL brought to the event's wall
 * clock, and the walk over its dates with the exceptions left out. Feeds,
 * reminders and the agenda all walk series through here, on recur.h's
 * walker and cap. */
#ifndef AGENDAD_MODEL_SERIES_H
#define AGENDAD_MODEL_SERIES_H

#include "model.h"
#include "recur.h"

#include <libical/ical.h>
#include <stdbool.h>

typedef struct {
    struct icalrecurrencetype rule; /* UNTIL: floating local (date for all-day) */
    bool has_until;
    icaltimetype until_local; /* floating date-time; all-day: 23:59:59 of the date */
} ag_series;

/* ev->rrule parsed: 0, or AG_EINVAL when it does not parse. */
int ag_series_parse(const ag_event *ev, ag_series *out);

typedef struct {
    const ag_event *ev;
    ag_recur walk;
} ag_series_walk;

/* Starts walking ev's dates (local wall-clock times) from its start, under
 * the network's cap (AG_RECUR_MAX_INSTANCES). 0, or AG_EINVAL when the rule
 * does not parse or cannot be expanded. */
int ag_series_walk_begin(ag_series_walk *w, const ag_event *ev, const ag_series *s);
/* The next date that is not one of ev's exceptions; false at the end. */
bool ag_series_walk_next(ag_series_walk *w, icaltimetype *t);
void ag_series_walk_end(ag_series_walk *w);

#endif
