/* The bundled plugins' messages for admins (their checks of the settings)
 * are in agendad's own catalog: P_("...") looks one up in the domain
 * "agendad", which the host has bound and whose language it has set
 * (LC_MESSAGES) before it loads any plugin. Log lines stay in English and
 * are not marked. See doc/plugins.md, "Messages in the admin's language". */
#ifndef AGENDAD_PLUGIN_I18N_H
#define AGENDAD_PLUGIN_I18N_H

#include <libintl.h>

#define P_(s) dgettext("agendad", s)
/* Marks a string translated later with P_(var). */
#define PN_(s) s

#endif
