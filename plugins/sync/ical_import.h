/* A member's iCalendar feed turned into the plain events the sync plugin
 * submits (one entry per occurrence inside a window, UTC instants, private
 * data left out) and into the member's busy time (times only); a CalDAV
 * server's answers turned into busy time (caldav_busy.c). Runs only in the short-lived
 * agendad-ical-import child, because libical 3.0.16 parses outside input without upstream's later
 * fuzzing fixes: a crash or a runaway there costs one pull, not the daemon. */
#ifndef AGENDAD_SYNC_ICAL_IMPORT_H
#define AGENDAD_SYNC_ICAL_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t from, to;             /* UTC window: occurrences wholly outside are left out */
    size_t max_instances;         /* per recurring event, inside the window */
    size_t max_iterations;        /* per recurring event, counting those outside the window */
    size_t max_events;            /* in the whole result */
    const char *default_tzid;     /* for floating times (no TZID, no Z) */
    bool private_data;            /* keep ATTENDEEs and DISPLAY/AUDIO VALARMs */
    const char *day_tzid;         /* where the member's days begin, for all-day busy time;
                                     NULL: default_tzid */
    const char *const *skip_uids; /* events left out altogether (the network's own) */
    size_t n_skip_uids;
    int64_t busy_from; /* busy time starts here (0: from): the past is no use */
    size_t max_busy;   /* busy intervals in the whole result (0: max_events) */
} si_limits;

/* Parses text (NUL-terminated) into {"events": [...], "busy": [...]}.
 * busy: the member's busy time over [busy_from, to), as [start, end, tentative]
 * (UTC instants, tentative 0 or 1): every occurrence that is neither
 * TRANSP:TRANSPARENT nor STATUS:CANCELLED, private and confidential ones
 * included, all-day ones over the member's local days (day_tzid), RDATEs
 * included; the times only. Occurrences that do not end after they start
 * make no busy time. events, one object per published occurrence:
 *   {"uid", "summary", "description"?, "location"?, "lang"?, "start", "end",
 *    "all_day", "status": "confirmed"|"tentative"|"cancelled", "tzid"?,
 *    "categories": [...],
 *    "attendees"?: [{"address", "cn"?, "partstat"?, "role"?}],
 *    "alarms"?: [{"action": "DISPLAY"|"AUDIO",
 *                 "related": "start"|"end"|"absolute", "trigger": seconds or
 *                 UTC instant, "description"?, "summary"?}]}
 * (attendees and alarms only with lim->private_data)
 * A series gives one entry per occurrence, uid "<UID>/<RECURRENCE-ID in
 * UTC>", RECURRENCE-ID overrides and EXDATEs applied. The whole feed is
 * refused (NULL, *err malloc'd, plain words) when libical reports a syntax
 * error, a TZID is unknown, the RRULE of a series it would publish has
 * neither COUNT nor UNTIL or more than max_instances occurrences in the
 * window, or another limit is passed. */
json_t *si_import(const char *text, const si_limits *lim, char **err);

/* Busy time only, as si_import's, appended to busy: one resource of a
 * member's CalDAV collection, or a network event to leave out. An RRULE
 * without an end is walked to the window's end. false with *err (malloc'd)
 * where si_import refuses, and then busy is as it was. */
bool si_busy(const char *text, const si_limits *lim, json_t *busy, char **err);

/* The IANA zone for a Windows zone name as Outlook writes it ("Romance
 * Standard Time"), from CLDR's windowsZones table that ICU carries; NULL
 * when it is not one. Static storage, overwritten by the next call. */
const char *si_windows_zone(const char *name);

#endif
