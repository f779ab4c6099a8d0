/* What the daemon takes from and tells systemd: sockets passed by socket
 * activation, and the watchdog. Notifications (READY, RELOADING, STOPPING,
 * STATUS) are plain sd_notify calls in daemon.c. Everything here is a no-op
 * when not started by systemd. */
#ifndef AGENDAD_OPS_SDNOTIFY_H
#define AGENDAD_OPS_SDNOTIFY_H

#include <uv.h>

/* The name (FileDescriptorName=) of the mail-in socket's unit,
 * agendad-mail.socket. */
#define AG_OPS_SD_MAIL_NAME "mail-in"

/* The listening TCP socket systemd passed (LISTEN_FDS), or -1 when none.
 * A listening unix socket named AG_OPS_SD_MAIL_NAME is kept for
 * ag_ops_sd_mail_fd; other passed fds that are no listening stream socket
 * are logged and closed; only the first listening one is used (the HTTP
 * server has one listener). Unsets LISTEN_* so that plugins' children do
 * not inherit them. */
int ag_ops_sd_listen_fd(void);
/* The mail-in socket ag_ops_sd_listen_fd kept, once (then -1); -1 when
 * systemd passed none. */
int ag_ops_sd_mail_fd(void);

/* Initialises t on loop and, when systemd set WatchdogSec= for us, sends
 * WATCHDOG=1 from it at half the interval. The pings come from the loop
 * itself, so a loop stuck in a callback stops them and systemd restarts
 * the daemon. Returns the interval in microseconds, 0 when disabled. The
 * caller closes t. */
uint64_t ag_ops_sd_watchdog_start(uv_loop_t *loop, uv_timer_t *t);

#endif
