/* `agendad run`: the libuv loop that serves feeds, reloads on SIGHUP and on
 * changes in the config directory, and stops cleanly on SIGTERM/SIGINT. */
#ifndef AGENDAD_DAEMON_H
#define AGENDAD_DAEMON_H

#include "service.h"

/* Runs until stopped. Returns the process exit code: 0 after a clean stop,
 * 1 when it could not start (the reason is logged). */
int ag_daemon_run(const char *config_dir, const ag_overrides *ov);

#endif
