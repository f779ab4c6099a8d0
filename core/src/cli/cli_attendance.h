/* `agendad attendance` and `agendad rsvp-key`: who attended an event
 * (marks, the host's checklist link, the tally), and the rsvp keys. Both
 * write the state database next to a running daemon, as `agendad token`
 * does (sqlite's WAL and lock let them). */
#ifndef AGENDAD_CLI_ATTENDANCE_H
#define AGENDAD_CLI_ATTENDANCE_H

#include "service.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *uid;
    const char *occurrence; /* --occurrence YYYY-MM-DD, or NULL */
    const char *present;    /* --present ID[,ID...], or NULL */
    const char *absent;     /* --absent ID[,ID...], or NULL */
    bool link;              /* --link: print the host's checklist URL */
} ag_attendance_args;

/* Marks attendance (--present, --absent), prints the checklist link
 * (--link), or else prints the event's tally as CSV. Returns the exit
 * code: 0, 1 (failed), 2 (bad usage). */
int ag_cli_attendance(ag_service *svc, const ag_attendance_args *a, FILE *out, FILE *err);

/* `agendad rsvp-key rotate [--grace DURATION]` adds a signing key and
 * retires the others after the grace (default 60 days; 0 at once);
 * `agendad rsvp-key list` lists the keys (never their bytes). */
int ag_cli_rsvp_key(ag_service *svc, const char *action, const char *grace, FILE *out, FILE *err);

#endif
