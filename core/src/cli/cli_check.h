/* `agendad check`, its second half: the plugins the configuration loads
 * check their own settings (agendad_check_fn). They are loaded on a loop of
 * their own, as for a plugin's command (host->command_line is true),
 * without a store and without events; each check's errors join the core's
 * diagnostics, and a plugin that cannot be loaded, or whose init fails, is
 * an error at its plugins.load entry: the daemon would leave it out. */
#ifndef AGENDAD_CLI_CHECK_H
#define AGENDAD_CLI_CHECK_H

#include "config.h"
#include "service.h"

#include <stdbool.h>

/* Loads cfg's plugins from ov's plugin directory (else the configured one),
 * runs their checks on cfg and adds what they report to diags. cfg needs
 * its settings and members only: a cfg whose event files had errors does.
 * Nothing is loaded (nor printed) when cfg loads no plugin. The plugins'
 * log lines show only with verbose. Returns how many errors it added. */
size_t ag_cli_check_plugins(const ag_config *cfg, const ag_overrides *ov, bool verbose,
                            ag_diags *diags);

#endif
