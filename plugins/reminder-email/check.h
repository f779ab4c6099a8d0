/* reminder-email's checks of its settings (ABI 1.8), check.c. */
#ifndef REMINDER_EMAIL_CHECK_H
#define REMINDER_EMAIL_CHECK_H

#include <agendad/plugin.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* For `agendad check` (host->command_line true): what init would refuse,
 * url and from, the SMTP password's file or credential. Always: the
 * members whose own reminder channels name the email channel but who have
 * no address (the daemon runs it on each reload, and at start). */
void email_check(agendad_check *c, const agendad_host *h, agendad_plugin *self);
#endif

#endif
