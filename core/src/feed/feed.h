/* Builds iCalendar feeds (RFC 5545, via libical) from the store's events and
 * the config's members, categories and settings. Pure: no I/O, no clock —
 * `now` is passed in so that output is reproducible. */
#ifndef AGENDAD_FEED_H
#define AGENDAD_FEED_H

#include "config.h"
#include "error.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    AG_FEED_NETWORK,  /* every public event */
    AG_FEED_MEMBER,   /* events the member hosts or is concerned by */
    AG_FEED_CATEGORY, /* events with the category (or a slot with that axis) */
    AG_FEED_EVENT,    /* one event (and its slots) */
} ag_feed_kind;

#define AG_FEED_MAX_ALARMS 8

typedef struct {
    ag_feed_kind kind;
    const char *key;  /* member id, category id or event uid; NULL for network */
    const char *lang; /* "ar" or "fr": language of text, falling back to the other */
    bool slots;       /* timed agenda slots as their own VEVENTs, RELATED-TO the event,
                         with the UID, SEQUENCE and DTSTAMP the store keeps for each
                         (ag_slot_state; without one: UID "<event uid>/slot-<n>", n its
                         1-based position, and the event's), cancelled with it, and the
                         items the agenda no longer has as STATUS:CANCELLED until the
                         event has passed; a series' slots repeat with it (same
                         RRULE/EXDATE, shifted) when on its first day. Untimed items, and
                         every item, are listed in the event's DESCRIPTION. (default
                         true) */
    int64_t alarms[AG_FEED_MAX_ALARMS]; /* VALARM lead times in seconds (default none) */
    size_t n_alarms;
    int64_t from, to;  /* window, Unix seconds; events wholly outside are left out (a series
                          stays while any instance overlaps); 0, 0: no window. An
                          AG_FEED_EVENT feed ignores the window. */
    bool members_only; /* include members-only events (a member feed opened with its token) */

    /* A cancelled (or removed) event and its items as STATUS:CONFIRMED and
     * TRANSP:TRANSPARENT, their SUMMARY after "[Annulé]" / "[ملغى]" in
     * q->lang: for Google Calendar, which drops CANCELLED events from
     * subscribed calendars. Default false: STATUS:CANCELLED. */
    bool cancelled_visible;
} ag_feed_query;

/* The one failure that is the query's, not the builder's. */
#define AG_FEED_NOT_FOUND AG_ENOENT

/* Builds the feed into *out (malloc'd, NUL-terminated, *len bytes without
 * the NUL). Returns 0; AG_FEED_NOT_FOUND (map to 404) when q->key names no
 * member or category, or no event this query may show (absent, members-only
 * without q->members_only, or removed and over); another negative AG_E*
 * code otherwise (AG_ENOMEM, AG_EZONE, AG_EINVAL for a bad rule). On failure
 * *err (malloc'd, when err is not NULL) says why and *out is NULL. An empty
 * feed is still a valid VCALENDAR. A removed event is included as
 * STATUS:CANCELLED until its last occurrence has ended (before `now`), then
 * left out. The same inputs give byte-identical output (events in uid order,
 * DTSTAMP = LAST-MODIFIED, no clock read). */
int ag_feed_build(const ag_config *cfg, const ag_stored_event *evs, size_t n,
                  const ag_feed_query *q, int64_t now, char **out, size_t *len, char **err);

/* Parses the value of an "alarm=1d,30m" query parameter (durations as in
 * config.h, each > 0 and at most 366 days, at most AG_FEED_MAX_ALARMS) into
 * q->alarms / q->n_alarms. "" means no alarm. 0, or AG_EINVAL leaving q
 * untouched. */
int ag_feed_parse_alarms(const char *list, ag_feed_query *q);

/* Instants spanning every instance of ev (the single occurrence of a one-off
 * event): 0; 1 when every instance is excluded; AG_EZONE for an unknown
 * zone, AG_EINVAL for a rule that does not parse. */
int ag_feed_series_span(const ag_event *ev, int64_t *first_start, int64_t *last_end);

bool ag_feed_imported_in_network(const ag_config *cfg, const ag_stored_event *sev);
bool ag_feed_imported_in_category(const ag_config *cfg, const ag_stored_event *sev, const char *id);

#endif
