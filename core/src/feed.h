/* Builds iCalendar feeds (RFC 5545, via libical) from the store's events and
 * the config's members, categories and settings. Pure: no I/O, no clock —
 * `now` is passed in so that output is reproducible. */
#ifndef AGENDAD_FEED_H
#define AGENDAD_FEED_H

#include "config.h"
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
    bool slots;       /* agenda slots as their own VEVENTs (default true) */
    int64_t alarms[AG_FEED_MAX_ALARMS]; /* VALARM lead times in seconds (default none) */
    size_t n_alarms;
    int64_t from, to;  /* window, Unix seconds; events wholly outside are left out */
    bool members_only; /* include members-only events (a member feed opened with its token) */
} ag_feed_query;

/* Builds the feed into *out (malloc'd, NUL-terminated, *len bytes without
 * the NUL). Returns 0, or -1 with *err (malloc'd). An empty feed is still a
 * valid VCALENDAR. A removed event is included as STATUS:CANCELLED until its
 * last occurrence has ended (before `now`), then left out. */
int ag_feed_build(const ag_config *cfg, const ag_stored_event *evs, size_t n,
                  const ag_feed_query *q, int64_t now, char **out, size_t *len, char **err);

/* Parses "alarm=1d,30m" style lists into q->alarms. 0 or -1 (bad value). */
int ag_feed_parse_alarms(const char *list, ag_feed_query *q);

#endif
