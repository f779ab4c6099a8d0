/* The sync plugin's check of its settings (ABI 1.8), check.c. */
#ifndef SYNC_CHECK_H
#define SYNC_CHECK_H

#include <agendad/plugin.h>

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* For `agendad check` (data: the sync_plugin): the calendar parser it would
 * run, agendad-ical-import, when a member has a feed to pull: it must be
 * there and executable, or every pull fails. */
void sync_check(agendad_check *c, void *data);
#endif

#endif
