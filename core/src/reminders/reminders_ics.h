/* The .ics a reminder carries: the event's own feed (the same builder as
 * /events/UID.ics), turned into an iTIP object with METHOD:PUBLISH, or
 * METHOD:CANCEL with STATUS:CANCELLED for a cancellation notice, so that
 * mail clients offer to add, update or remove it. */
#ifndef AGENDAD_REMINDERS_ICS_H
#define AGENDAD_REMINDERS_ICS_H

#include "plugin_host.h"
#include "service.h"

#include <stdbool.h>
#include <stddef.h>

/* *out malloc'd, NUL-terminated. 0; AG_ENOENT (no such event); AG_EFEED;
 * AG_ENOMEM. */
int ag_reminders_ics(ag_service *svc, const char *uid, const char *lang, bool cancel, int64_t now,
                     char **out, size_t *len);

/* Sets METHOD (and for a cancel, STATUS:CANCELLED on every VEVENT) in the
 * calendar text; *out malloc'd. 0, AG_EINVAL (not a calendar) or
 * AG_ENOMEM. */
int ag_reminders_ics_method(const char *ics, bool cancel, char **out, size_t *len);

/* The event as an invitation (RFC 5546): METHOD:REQUEST, or METHOD:CANCEL
 * with STATUS:CANCELLED, its VEVENT with it->sequence as SEQUENCE, an
 * ORGANIZER (mailto:, CN) and one ATTENDEE, it->attendee: ROLE
 * REQ-PARTICIPANT, PARTSTAT NEEDS-ACTION, RSVP TRUE (a CANCEL's without the
 * last two) and CN. *out malloc'd. 0; AG_ENOENT; AG_EFEED; AG_ENOMEM. */
int ag_reminders_ics_itip(ag_service *svc, const char *uid, const char *lang,
                          const ag_plugin_itip *it, int64_t now, char **out, size_t *len);
/* The same on a calendar's text (ag_reminders_ics_method's counterpart). */
int ag_reminders_itip_text(const char *ics, const ag_plugin_itip *it, char **out, size_t *len);

#endif
