/* What the MIME walk (mailin_parse.c) and the calendar reader
 * (mailin_calendar.c) share. */
#ifndef AGENDAD_MAILIN_INTERNAL_H
#define AGENDAD_MAILIN_INTERNAL_H

#include "mailin.h"

typedef enum {
    AG_MAILIN_CAL_REPLY,     /* a REPLY, read into the reply */
    AG_MAILIN_CAL_OTHER,     /* no answer: another METHOD (COUNTER...), a bare REQUEST, ... */
    AG_MAILIN_CAL_MALFORMED, /* libical marked errors, or a REPLY without what RFC 5546 requires */
} ag_mailin_cal;

/* Reads text (NUL-terminated) as one VCALENDAR. declared_method: the MIME
 * part's method= (or NULL), which stands for a missing METHOD. A REPLY is
 * an answer, and so is a REQUEST sent back with an ATTENDEE's PARTSTAT
 * set. On AG_MAILIN_CAL_REPLY, r's uid, sequence, dtstamp and attendees are
 * set; otherwise r->why says why. 0, or AG_ENOMEM. */
int ag_mailin_calendar_read(const char *text, const char *declared_method, ag_mailin_reply *r,
                            ag_mailin_cal *kind);

/* An address as compared: "mailto:" and quotes dropped, spaces around
 * trimmed, lowercased; *out malloc'd, NULL when nothing is left. 0, or
 * AG_ENOMEM. */
int ag_mailin_address_norm(const char *s, char **out);

#endif
