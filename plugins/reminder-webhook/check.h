/* reminder-webhook's check of its settings (ABI 1.8), check.c. */
#ifndef REMINDER_WEBHOOK_CHECK_H
#define REMINDER_WEBHOOK_CHECK_H

#include <agendad/plugin.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* For `agendad check`: what init would refuse, in its words: no url, a
 * secret that cannot be read (secret_file, or secret_credential in
 * $CREDENTIALS_DIRECTORY), or none, or an empty one. */
void webhook_check(agendad_check *c, const agendad_host *h, agendad_plugin *self);
#endif

#endif
