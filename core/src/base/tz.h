/* Time zones from the system tzdata, through libical. Instants are computed
 * here and nowhere else, so that a tzdata upgrade changes every feed. */
#ifndef AGENDAD_TZ_H
#define AGENDAD_TZ_H

#include "datetime.h"

#include <libical/ical.h>
#include <stdbool.h>
#include <stdint.h>

/* Loads what later calls need (call once on the main thread). 0, or
 * AG_EZONE when the system tzdata lacks Africa/Casablanca. */
int ag_tz_init(void);
/* Frees libical's zone cache (tests, shutdown, tzdata change). */
void ag_tz_shutdown(void);
/* tzdata version ("2026f"), read from the system tzdata; "unknown" if not
 * found. Borrowed; stable until ag_tz_refresh(). */
const char *ag_tz_version(void);
/* Re-reads the tzdata version; if it changed, drops libical's zone cache
 * and returns 1, else 0. */
int ag_tz_refresh(void);

bool ag_tz_known(const char *tzid);

/* The wall-clock time as a floating libical time and back (a date stays a
 * date, with its time fields 0). */
icaltimetype ag_tz_ical_local(const ag_datetime *dt);
ag_datetime ag_tz_model_local(icaltimetype t);
/* Borrowed libical zone for an IANA name, or NULL. */
icaltimezone *ag_tz_get(const char *tzid);
/* Instant (Unix seconds) of a local wall-clock time in tzid. For a date,
 * its midnight. Times in a gap or an overlap resolve as libical does
 * (icaltime_as_timet_with_zone). -1 sets *ok false for an unknown zone. */
int64_t ag_tz_to_utc(const ag_datetime *local, const char *tzid, bool *ok);
/* Seconds to add to instant t (Unix seconds) to get the wall-clock time in
 * tzid (the UTC offset in force then), from the system tzdata. -1 sets *ok
 * false for an unknown zone. */
int32_t ag_tz_utc_offset(int64_t t, const char *tzid, bool *ok);
/* A VTIMEZONE for tzid with TZID exactly the IANA name (no libical prefix),
 * truncated to [from, to] (Unix seconds). Caller owns the component. */
icalcomponent *ag_tz_vtimezone(const char *tzid, int64_t from, int64_t to);

#endif
