/* `agendad reminders`: lists the outbox and puts a failed reminder back. */
#ifndef AGENDAD_CLI_REMINDERS_H
#define AGENDAD_CLI_REMINDERS_H

#include "service.h"

#include <stdio.h>

/* filter: pending, sent, failed, missed, dropped, all (NULL: all). retry_id:
 * the id of a failed or missed row to send again (NULL: list). Prints to
 * out, errors to err. Returns the exit code. */
int ag_cli_reminders(ag_service *svc, const char *filter, const char *retry_id, FILE *out,
                     FILE *err);

#endif
