/* reminder-command's check of its settings (ABI 1.8), check.c. */
#ifndef REMINDER_COMMAND_CHECK_H
#define REMINDER_COMMAND_CHECK_H

#include <agendad/plugin.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* For `agendad check`: what init would refuse (program not an absolute
 * path, more than max_args args), and a program that cannot be run, which
 * the daemon would only find out at each reminder. */
void command_check(agendad_check *c, const agendad_host *h, agendad_plugin *self, int max_args);
#endif

#endif
