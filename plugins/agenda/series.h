/* The dates of a recurring event, as the pages show them. The ABI has no
 * walk over a series' dates (event_span gives only its first start and its
 * last end), but event_ical hands out the event as the feeds publish it:
 * DTSTART in the event's zone, RRULE, EXDATE. This module reads that text
 * with libical and walks the rule on the event's wall clock, leaving the
 * exceptions out, as the core's feeds and reminders do; instants come from
 * the offsets the caller gives (the host's utc_offset, i.e. the system
 * tzdata), never from the VTIMEZONE in the text or libical's own tables.
 *
 * No host here: the caller hands over the text and an offset function, so
 * that unit tests drive it directly. */
#ifndef AGENDA_SERIES_H
#define AGENDA_SERIES_H

#include "recur.h"

#include <libical/ical.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The network's own cap on a rule, from the core's one walk (recur.h):
 * config validation refuses more, and the walk stops there whatever the
 * text says. */
#define SERIES_MAX_DATES AG_RECUR_MAX_INSTANCES

typedef struct {
    int64_t start, end; /* UTC instants; end exclusive */
    int64_t wall;       /* start on the event's wall clock: seconds since
                           1970-01-01T00:00 read as local time */
} series_date;

typedef struct {
    struct icalrecurrencetype rule; /* as published; rscale cleared */
    bool all_day;
    bool other_calendar; /* RSCALE names a calendar other than the Gregorian */
    series_date *dates;  /* n dates in order, exceptions left out; malloc'd */
    size_t n;
    bool capped; /* the rule had more than SERIES_MAX_DATES dates */
} series;

/* The UTC offset (seconds) in force at instant t in the event's zone. */
typedef int32_t (*series_offset_fn)(int64_t t, void *data);

/* Reads the first VEVENT of an iCalendar text (len bytes, not necessarily
 * NUL-terminated) and walks its RRULE. 0 with s filled (s->n may be 0
 * when every date is an exception); -1 when the text holds no VEVENT with
 * a DTSTART and an RRULE libical can walk, or when memory runs out (s is
 * then empty). Free with series_free either way. */
int series_parse(series *s, const char *text, size_t len, series_offset_fn offset, void *data);
void series_free(series *s);

/* Index of the first date that has not ended at now (it may be going on),
 * or s->n when every date has. */
size_t series_next(const series *s, int64_t now);

/* Wall-clock seconds of a civil date and time (proleptic Gregorian). */
int64_t series_wall(int year, int month, int day, int hour, int minute, int second);

#endif
