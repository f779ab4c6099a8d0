/* A member's CalDAV collection read as busy time (RFC 4791): what the
 * server answers to a free-busy-query REPORT, or, from a server that does
 * not do that one, to a calendar-query REPORT with a time-range. Runs in
 * the agendad-ical-import child: the answers are outside input. Busy time
 * is as si_import gives it: [start, end, tentative] arrays. */
#ifndef AGENDAD_SYNC_CALDAV_BUSY_H
#define AGENDAD_SYNC_CALDAV_BUSY_H

#include "ical_import.h"

/* The VFREEBUSY components of a free-busy-query answer: their BUSY,
 * BUSY-UNAVAILABLE and BUSY-TENTATIVE (tentative) periods within the
 * window, appended to busy. 1; 0 when the answer holds no VFREEBUSY that
 * libical reads without an error (the server does not do free-busy-query:
 * ask with a calendar-query instead); -1 with *err (malloc'd) when there
 * are more than lim->max_busy periods or memory runs out. */
int si_freebusy(const char *text, const si_limits *lim, json_t *busy, char **err);

/* busy without what any interval of minus covers (the network's own
 * events, which a free/busy answer counts as agendad pushed them), pieces
 * kept with their tentative flag; NULL when memory runs out. */
json_t *si_busy_subtract(json_t *busy, json_t *minus);

/* A calendar-query answer, a WebDAV multistatus of len bytes: the busy
 * time (si_busy, lim->skip_uids left out) of each response's
 * calendar-data, appended to busy, but for resources whose name (the
 * href's last segment, percent-decoded) is one of skip_names: those
 * agendad wrote itself. A resource that cannot be read is left out and
 * counted in *unreadable, the first's href and reason in *first_error
 * (malloc'd). false with *err (malloc'd) when the answer is not a
 * well-formed multistatus, declares a DOCTYPE or an entity, or holds more
 * than lim->max_busy busy intervals. */
bool si_multistatus(const char *xml, size_t len, const si_limits *lim,
                    const char *const *skip_names, size_t n_skip_names, json_t *busy,
                    size_t *unreadable, char **first_error, char **err);

#endif
