/* The daemon's mail-in socket: `agendad mail-in` (run by the MTA as an
 * unprivileged user) hands it one message per connection
 * (mailin_proto.h); the message is parsed in libuv's pool, judged and
 * recorded on the loop, where the store is, and the verdict goes back. */
#ifndef AGENDAD_DAEMON_MAILIN_H
#define AGENDAD_DAEMON_MAILIN_H

#include "service.h"

#include <uv.h>

typedef struct ag_mailin_server ag_mailin_server;

/* Connections served at once; more get TEMPFAIL at once (the MTA retries). */
#define AG_MAILIN_MAX_CONNECTIONS 8
/* A client has this long to send its message, and gets its verdict. */
#define AG_MAILIN_TIMEOUT_MS 30000

/* Serves fd when systemd passed one (>= 0: its socket unit made it, with
 * the unit's mode and group), else binds settings' mail_socket: a stale
 * socket there is replaced, a live one (another daemon) is not; mode 0660,
 * group mail_group when set. svc's store records the replies. 0 with *out,
 * or a negative AG_E* code with *err (malloc'd). */
int ag_daemon_mailin_start(uv_loop_t *loop, ag_service *svc, int fd, ag_mailin_server **out,
                           char **err);
/* Stops accepting; connections waiting for their message are closed (the
 * client exits 75); a message being parsed is dropped unanswered. The
 * socket file it bound is removed. Frees itself once its handles are
 * closed; NULL is a no-op. */
void ag_daemon_mailin_stop(ag_mailin_server *m);

#endif
