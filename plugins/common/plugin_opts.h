/* Settings the reminder channels read from their own config section:
 * scalar options, and secrets kept out of the config (a file, or a systemd
 * credential by name). Built against the public plugin header only. */
#ifndef AGENDAD_PLUGIN_OPTS_H
#define AGENDAD_PLUGIN_OPTS_H

#include <agendad/plugin.h>

#include <stdbool.h>
#include <stddef.h>

/* The scalar at key in the plugin's section, or NULL. Borrowed until fini. */
const char *po_opt(const agendad_host *h, agendad_plugin *self, const char *key);
/* "true"/"yes" → true, anything else given → false, absent → def. */
bool po_opt_bool(const agendad_host *h, agendad_plugin *self, const char *key, bool def);

/* Reads the secret named by file_key (a path) or, failing that, cred_key (a
 * name in $CREDENTIALS_DIRECTORY), first line only. Returns 0 with *out
 * malloc'd, or with *out NULL when neither key is set; -1 after logging what
 * is wrong (what names the secret in the message, e.g. "SMTP password"). */
int po_read_secret(const agendad_host *h, agendad_plugin *self, const char *file_key,
                   const char *cred_key, const char *what, char **out);

#endif
