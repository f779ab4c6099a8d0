/* Shared between the feed_*.c files; not part of the feed contract. */
#ifndef AGENDAD_FEED_INTERNAL_H
#define AGENDAD_FEED_INTERNAL_H

#include "feed.h"
#include "model_series.h"

#include <libical/ical.h>

/* What the selection and the VTIMEZONE cut need to know of an event. */
typedef struct {
    int64_t first_start, last_end; /* instants spanning every instance */
    bool in_window;                /* some instance overlaps the query window */
} ag_feed_span;

/* Wall-clock conversions between the model and libical (floating times). */
/* A date as the date-time of its midnight; a date-time unchanged. */
icaltimetype ag_feed_midnight(icaltimetype t);
/* Seconds from a to b counted on the wall clock (no zone involved). */
int64_t ag_feed_wall_diff(const ag_datetime *a, const ag_datetime *b);

/* Instants of every instance (or the single occurrence), checked against
 * [from, to] (from == to == 0: no window). 0, or AG_EZONE / AG_EINVAL
 * with *err set. */
int ag_feed_event_span(const ag_event *ev, int64_t from, int64_t to, ag_feed_span *span,
                       char **err);
/* Whether q's kind, key and visibility rules take ev (window aside). */
bool ag_feed_matches(const ag_config *cfg, const ag_stored_event *sev, const ag_feed_query *q);

/* Output: libical serializes every property and component; we only put
 * the pieces in order (which lets an event's slots reuse the text of the
 * properties they share with it). Failure (allocation) is sticky. */
/* Lines that only depend on a value from a small set and on the query
 * (CATEGORIES of a category id, X-AGENDAD-KIND of a slot kind) are
 * serialized once per build: they repeat on nearly every slot. */
#define AG_FEED_MEMO_MAX 64
typedef struct {
    const char *prop;
    char *value, *line;
} ag_feed_memo_entry;
#define AG_FEED_TZ_RECENT 4
typedef struct {
    const char *tzid; /* NULL: empty */
    ag_datetime local;
    int64_t utc;
} ag_feed_tz_recent;
typedef struct {
    ag_feed_memo_entry e[AG_FEED_MEMO_MAX];
    size_t n;
    ag_feed_tz_recent tz[AG_FEED_TZ_RECENT]; /* last local -> UTC conversions */
    size_t tz_next;
} ag_feed_memo;

typedef struct {
    char *data;
    size_t len, cap;
    bool failed;
    ag_feed_memo *memo; /* NULL: nothing memoised */
} ag_feed_buf;
/* A buffer for a few lines: per event, where the default first 64 KiB
 * allocation cost page faults each time the heap trimmed it away. */
void ag_feed_buf_small(ag_feed_buf *b);
/* Allocates an empty buffer's first cap bytes at once, in huge pages when
 * large: an overestimate costs address space only, never touched memory. */
void ag_feed_buf_reserve(ag_feed_buf *b, size_t cap);
void ag_feed_buf_put(ag_feed_buf *b, const char *s, size_t n);
void ag_feed_buf_puts(ag_feed_buf *b, const char *s);
void ag_feed_buf_take(ag_feed_buf *b, char *s);               /* appends and frees s */
void ag_feed_buf_prop(ag_feed_buf *b, icalproperty *p);       /* serializes and frees p */
void ag_feed_buf_component(ag_feed_buf *b, icalcomponent *c); /* same for c */
/* A date-time property without parameters, e.g. DTSTART:20230307T090000Z:
 * libical's value printer without a property tree, which cost more than the
 * whole rest of a slot. The line is far shorter than the 75-octet fold. */
void ag_feed_buf_time(ag_feed_buf *b, const char *name, icaltimetype t);
/* The same from a Unix time, as libical would print it in UTC, without
 * libical: every slot has two. */
void ag_feed_buf_utc(ag_feed_buf *b, const char *name, int64_t t);
/* NAME[;LANGUAGE=lang]:value when libical would write exactly that (a short
 * line, nothing to escape); false, and nothing written, otherwise. libical
 * serializes through a property tree and a per-character fold, which cost
 * most of a slot; test_feed.c checks the bytes are libical's. */
bool ag_feed_buf_plain(ag_feed_buf *b, const char *name, const char *lang, const char *value);
/* Appends the line memoised for (prop, value); false when there is none. */
bool ag_feed_memo_put(ag_feed_buf *b, const char *prop, const char *value);
/* Memoises what was appended from offset `from` as the line of (prop, value). */
void ag_feed_memo_add(ag_feed_buf *b, const char *prop, const char *value, size_t from);
void ag_feed_memo_free(ag_feed_memo *m);

/* Whether sev's removed agenda items are published (STATUS:CANCELLED): it
 * has some, and its event has not passed at now, as a removed event is
 * published until it has. */
bool ag_feed_removed_slots_shown(const ag_stored_event *sev, int64_t now);
/* Whether sev's VEVENTs carry TZID (a timed series, or the timed slots of an
 * all-day one, removed ones included when removed_slots), so that the
 * calendar needs that zone's VTIMEZONE. */
bool ag_feed_uses_tzid(const ag_stored_event *sev, const ag_feed_query *q, bool removed_slots);

/* Whether sev's attendees and alarms go into feed q (see feed_private.c),
 * and writing them (alarms only when the event is not cancelled). */
bool ag_feed_shows_private(const ag_config *cfg, const ag_stored_event *sev,
                           const ag_feed_query *q);
void ag_feed_add_private(ag_feed_buf *b, const ag_stored_event *sev, const char *title,
                         bool alarms);

/* Writes the VEVENT of sev and, when q->slots, those of its timed slots,
 * and of its removed ones when removed_slots (ag_feed_removed_slots_shown).
 * 0, or a negative AG_E* code (AG_EINVAL, AG_ENOMEM) with *err set. */
int ag_feed_write_event(ag_feed_buf *b, const ag_config *cfg, const ag_stored_event *sev,
                        const ag_feed_query *q, bool removed_slots, char **err);

/* The text in lang ("ar", else "fr") or, failing that, the other
 * language; *used names the language actually taken, so that a LANGUAGE
 * parameter never lies. Borrowed; NULL when both are missing. */
const char *ag_feed_text(const ag_text *t, const char *lang, const char **used);
/* Text for values libical 3.0.16 writes unescaped (X- properties,
 * CATEGORIES): ',' ';' and line breaks become spaces. malloc'd or NULL. */
char *ag_feed_plain_text(const char *s);
icalproperty *ag_feed_x(const char *name, const char *value);

char *ag_feed_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
