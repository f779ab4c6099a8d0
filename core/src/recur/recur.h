/* The one walk over the dates of an RFC 5545 recurrence rule in agendad,
 * and the one cap policy for it. libical's iterator has no cap of its own:
 * FREQ=SECONDLY without an end yields millions of dates.
 *
 * The policy: the network's own events may have at most
 * AG_RECUR_MAX_INSTANCES dates, all within AG_RECUR_MAX_YEARS of the
 * start; config validation rejects any rule beyond that, so feeds,
 * reminders and reconciliation, which walk only validated rules, give the
 * same cap and never meet it. Calendars from outside (members' feeds,
 * parsed by a plugin's import helper) are walked with the cap their
 * importer sets for them.
 *
 * Depends on libical only, so that a plugin's import helper, which runs
 * without the daemon, links it as it is. */
#ifndef AGENDAD_RECUR_H
#define AGENDAD_RECUR_H

#include <libical/ical.h>
#include <stdbool.h>
#include <stddef.h>

#define AG_RECUR_MAX_INSTANCES 1000
#define AG_RECUR_MAX_YEARS 10

typedef struct {
    icalrecur_iterator *it;
    size_t given, max;
    bool capped; /* the rule has more than max dates: the walk stopped there */
} ag_recur;

/* Starts a walk of rule from dtstart (the first date, a floating local
 * time or a date). 0, or -1 when libical cannot expand the rule (nothing
 * to end then). */
int ag_recur_begin(ag_recur *w, struct icalrecurrencetype rule, icaltimetype dtstart, size_t max);
/* The next date in *t; false at the rule's end, or once max dates were
 * given and the rule has more (w->capped is then true). */
bool ag_recur_next(ag_recur *w, icaltimetype *t);
/* Frees the walk (safe after a failed begin). */
void ag_recur_end(ag_recur *w);

#endif
