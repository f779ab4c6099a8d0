/* Reading someone else's iCalendar feed (a member's own calendar), the way
 * the sync plugin imports it: outside input, so everything is bounded.
 *
 *   ag_ical_limits lim;
 *   ag_ical_limits_default(&lim, now);
 *   ag_ical_result r;
 *   char *err = NULL;
 *   if (ag_ical_import(body, len, &lim, &r, &err) < 0) { log err; free(err); }
 *   else { use r.events[0 .. r.n_events); ag_ical_result_free(&r); }
 *
 * What it decides, so that callers need not:
 * - libical never fails on bad input, it inserts X-LIC-ERROR properties:
 *   more than lim.max_errors of them and the whole feed is refused (a feed
 *   that broken would import garbage); fewer are counted in n_errors.
 * - A VEVENT without UID or DTSTART, with an unusable time, or with an RRULE
 *   that has neither COUNT nor UNTIL is left out and counted in n_rejected
 *   (the same rule as our own config: a series must end).
 * - A series is expanded into one event per instance inside [from, to],
 *   EXDATEs and instances overridden by a RECURRENCE-ID VEVENT left out;
 *   at most max_steps iterations per series, at most max_events events in
 *   all. What a cap cut off is counted in n_truncated.
 * - Floating times are read in lim.default_tz; unknown TZIDs too. */
#ifndef AGENDAD_ICAL_IMPORT_H
#define AGENDAD_ICAL_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t from, to;       /* window, Unix seconds: events wholly outside are left out */
    size_t max_events;      /* events returned, instances included */
    size_t max_steps;       /* recurrence iterations per series, skipped ones included */
    size_t max_errors;      /* X-LIC-ERROR properties tolerated in the whole feed */
    const char *default_tz; /* zone of floating times; NULL or unknown: UTC */
} ag_ical_limits;

/* One year back and two ahead of now, 10,000 events, 100,000 steps per
 * series, 100 errors, Africa/Casablanca. */
void ag_ical_limits_default(ag_ical_limits *lim, int64_t now);

typedef struct {
    char *uid;                              /* never NULL */
    char *summary, *description, *location; /* unescaped UTF-8 as sent; NULL when absent */
    int64_t start, end;                     /* Unix seconds, end exclusive (== start when
                                               the event has no length). All-day: the
                                               dates' midnights in UTC */
    bool all_day;
    bool cancelled; /* STATUS:CANCELLED */
    int sequence;
    int64_t recurrence_id; /* instance of a series (expanded or an override): its original
                              start, as start; 0 for a single event */
} ag_ical_event;

typedef struct {
    ag_ical_event *events; /* in feed order; a series' instances in time order */
    size_t n_events;
    size_t n_errors;    /* X-LIC-ERROR properties found (all ≤ max_errors) */
    size_t n_rejected;  /* VEVENTs left out */
    size_t n_truncated; /* instances or events a cap cut off */
} ag_ical_result;

/* Parses text (len bytes; it need not be NUL-terminated; parsing stops at a
 * NUL). Returns 0 and fills *out, or -1 with *err (malloc'd when err is not
 * NULL): not an iCalendar object, too many errors, or out of memory. */
int ag_ical_import(const char *text, size_t len, const ag_ical_limits *lim, ag_ical_result *out,
                   char **err);
void ag_ical_result_free(ag_ical_result *r);

#endif
