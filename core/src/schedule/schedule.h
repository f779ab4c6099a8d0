/* Finding a time (issue #13): the slots in a window when the members an
 * audience names are free of network events, of their own calendars'
 * busy time, of holidays, and inside their working hours.
 *
 * CONTRACT between the engine branch (`schedule`) and the HTTP branch
 * (`schedule-http`). The engine branch owns this file and may refine it;
 * if it changes a name or a signature it says so in its commit message.
 *
 * Thread safety: an ag_schedule_input is immutable once built, and every
 * function below that takes it as const may run on a worker thread while
 * the loop thread goes on (no store handle, no libuv, no global state but
 * libical's zone cache, which the caller warms on the main thread with
 * ag_schedule_input_new: it looks up every zone it will need). libical
 * locks its zone cache, but does not survive it being freed: no
 * ag_tz_refresh or ag_tz_shutdown while a proposal runs. */
#ifndef AGENDAD_SCHEDULE_H
#define AGENDAD_SCHEDULE_H

#include "config.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of a query: a window of at most this many days (from and to
 * included), at most this many slots. */
#define AG_SCHEDULE_MAX_DAYS 366
#define AG_SCHEDULE_MAX_COUNT 1000

/* What is asked: from `agendad propose` options or the query string of
 * GET /schedule/propose (same names: audience, duration, from, to, count,
 * step). */
typedef struct {
    char **audience; /* selectors as an event's audience takes them */
    size_t n_audience;
    int64_t duration; /* seconds, > 0, whole minutes, at most a day */
    ag_datetime from; /* dates (is_date), both inclusive, in the network's zone */
    ag_datetime to;
    int count;    /* 1..AG_SCHEDULE_MAX_COUNT; default 10 */
    int64_t step; /* seconds, whole minutes, at most a day; default 1800 */
} ag_schedule_query;

/* Parses the query from name/value strings (n pairs; unknown names and
 * repeats refused; audience, duration, from and to required; audience a
 * comma-separated list). 0; AG_EINVAL for malformed values (CLI exit 2,
 * HTTP 400) with *err one line saying what is wrong (malloc'd), `to` before
 * `from` and a window over AG_SCHEDULE_MAX_DAYS included; AG_ENOMEM. Checks
 * that need the network (unknown member or selector: AG_ENOENT, CLI exit 1,
 * HTTP 400) are ag_schedule_propose's. *out is the caller's to free with
 * ag_schedule_query_free, also after a failure. */
int ag_schedule_query_parse(const char *const *names, const char *const *values, size_t n,
                            ag_schedule_query *out, char **err);
void ag_schedule_query_free(ag_schedule_query *q);

/* Everything a proposal reads, copied so that it outlives a reload and can
 * be read off the loop: the settings it needs (zones, hours, holidays,
 * Hijri), the members, and the live network events (evs: the store's or the
 * config's; removed, cancelled and imported ones skipped). Built on the
 * loop thread. 0, or AG_ENOMEM / AG_EZONE (a zone libical does not know)
 * with *err. */
typedef struct ag_schedule_input ag_schedule_input;
int ag_schedule_input_new(const ag_config *cfg, const ag_stored_event *evs, size_t n_evs,
                          ag_schedule_input **out, char **err);
/* The instants [*from, *to) that q's days cover in the network's zone:
 * the window to load calendars over for q. */
void ag_schedule_query_window(const ag_schedule_input *in, const ag_schedule_query *q,
                              int64_t *from, int64_t *to);
/* Adds the members' own calendars: for every member, its busy intervals
 * over [from, to) UTC and whether its calendar is known there: some source
 * (ag_store_busy_sources) read it over a window that covers [from, to).
 * May run on a worker thread with a store connection of that thread's own
 * (the daemon's is the loop's): reading 66 members x 1,000 intervals must
 * not stall feeds. Without this call no member calendar is known (all
 * "unknown_calendar"); proposals and free/busy outside [from, to) see no
 * calendar busy time. Called again, it replaces what the last call read.
 * 0, or a store error (AG_ESTORE...) with *err. */
int ag_schedule_input_load_calendars(ag_schedule_input *in, ag_store *st, int64_t from, int64_t to,
                                     char **err);
void ag_schedule_input_free(ag_schedule_input *in);

/* The answer, in one of the formats (txt and ics's texts in lang "ar" or
 * "fr", NULL: the network's language; json).
 * The JSON shape is the one doc/admin.md documents (fixed for scripts).
 * *body malloc'd (NUL-terminated; *len without the NUL). now: DTSTAMP of
 * the ics. 0; AG_ENOENT (unknown member or selector, or one that names no
 * member) or AG_EINVAL (a window over 366 days, `to` before `from`...)
 * with *err one line; AG_ENOMEM. */
typedef enum { AG_SCHEDULE_TXT, AG_SCHEDULE_JSON, AG_SCHEDULE_ICS } ag_schedule_format;
int ag_schedule_propose(const ag_schedule_input *in, const ag_schedule_query *q,
                        ag_schedule_format fmt, const char *lang, int64_t now, char **body,
                        size_t *len, char **err);

/* A member's VFREEBUSY (RFC 5545) over [from, to): FBTYPE=BUSY and
 * BUSY-TENTATIVE periods, no details, no hours or holidays. AG_ENOENT for
 * an unknown member; AG_EINVAL when from >= to. */
int ag_schedule_freebusy(const ag_schedule_input *in, const char *member, int64_t from, int64_t to,
                         int64_t now, char **body, size_t *len, char **err);

#endif
