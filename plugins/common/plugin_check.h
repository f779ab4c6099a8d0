/* What the reminder channels' checks of their settings share (ABI 1.8,
 * `agendad check`; see "checks of the settings" in plugin.h): whether the
 * command line loaded the plugin, registering a check, and checking a
 * secret kept out of the config as po_read_secret reads it. Built against
 * the public plugin header only: against an older one the command line is
 * never seen and there are no checks. */
#ifndef AGENDAD_PLUGIN_CHECK_H
#define AGENDAD_PLUGIN_CHECK_H

#include <agendad/plugin.h>

#include <stdbool.h>

/* True when the command line (a plugin's command, `agendad check`) loaded
 * the plugin rather than the daemon: register the checks, start nothing. */
bool po_command_line(const agendad_host *h, agendad_plugin *self);

#if AGENDAD_PLUGIN_ABI_MINOR >= 8
/* Registers fn where the host has checks; 0 (nothing done) where not. */
int po_register_check(const agendad_host *h, agendad_plugin *self, agendad_check_fn fn, void *data);

/* What po_read_secret would refuse, reported at the key's node: a
 * credential without $CREDENTIALS_DIRECTORY, a file that cannot be read.
 * what names the secret, as for po_read_secret, marked PN_() (it is
 * translated in the message). Returns -1 after a report,
 * 0 when neither key is set, 1 when the secret can be read: *empty then
 * tells whether its first line is empty. *at (may be NULL) receives the
 * node of the key that names it, NULL when neither is set. */
int po_check_secret(const agendad_host *h, agendad_plugin *self, agendad_check *c,
                    const char *file_key, const char *cred_key, const char *what, bool *empty,
                    const agendad_config_node **at);
#endif

#endif
