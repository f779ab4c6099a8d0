/* ATTENDEEs and VALARMs of an event imported from a member's own calendar.
 * They are personal data of the member's staff (e-mail addresses, who
 * accepted what) and the member's own reminders: an event source passes
 * them on only when the admin set sync.private_data for that member, and feeds
 * publish them only in that member's own feed opened with its token. */
#ifndef AGENDAD_MODEL_PRIVATE_H
#define AGENDAD_MODEL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *address; /* never NULL */
    char *cn, *partstat, *role;
} ag_attendee;

typedef enum {
    AG_TRIGGER_START = 0,
    AG_TRIGGER_END = 1,
    AG_TRIGGER_ABSOLUTE = 2,
} ag_trigger_kind;

typedef struct {
    char *action; /* "DISPLAY" or "AUDIO"; never NULL */
    ag_trigger_kind related;
    int64_t trigger; /* seconds from start/end, or a UTC instant */
    char *description, *summary;
} ag_alarm;

typedef struct {
    ag_attendee *attendees;
    size_t n_attendees;
    ag_alarm *alarms;
    size_t n_alarms;
} ag_private;

void ag_private_free(ag_private *p); /* the contents; p is left empty */

/* Deep copies. 0, or AG_ENOMEM (dst left empty). */
int ag_private_copy(ag_private *dst, const ag_private *src);

bool ag_private_eq(const ag_private *a, const ag_private *b);

/* Appends one attendee or alarm (strings copied). 0, AG_EINVAL without an
 * address or action, or AG_ENOMEM. */
int ag_private_add_attendee(ag_private *p, const char *address, const char *cn,
                            const char *partstat, const char *role);
int ag_private_add_alarm(ag_private *p, const char *action, ag_trigger_kind related,
                         int64_t trigger, const char *description, const char *summary);

#endif
