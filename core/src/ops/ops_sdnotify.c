#include "ops_sdnotify.h"

#include "error.h"
#include "log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

/* The mail-in socket found among the passed ones, kept for the daemon's
 * mail-in server, which starts after the HTTP server took its own. */
static int mail_fd = -1;

static bool named(char **names, int i, const char *name)
{
    return names && names[i] && strcmp(names[i], name) == 0;
}

int ag_ops_sd_listen_fd(void)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0)
        ag_log(AG_LOG_WARNING, "ignoring the sockets passed by systemd: %s", ag_err_errno(-n));
    int chosen = -1;
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        if (named(names, i, AG_OPS_SD_MAIL_NAME) && mail_fd < 0 &&
            sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
            mail_fd = fd;
            continue;
        }
        if (chosen < 0 && !named(names, i, AG_OPS_SD_MAIL_NAME) &&
            sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
            chosen = fd;
            continue;
        }
        ag_log(AG_LOG_WARNING,
               "socket %d passed by systemd is not used: agendad serves one "
               "listening TCP socket and one mail-in socket named %s",
               fd, AG_OPS_SD_MAIL_NAME);
        close(fd);
    }
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    return chosen;
}

int ag_ops_sd_mail_fd(void)
{
    int fd = mail_fd;
    mail_fd = -1;
    return fd;
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

uint64_t ag_ops_sd_watchdog_start(uv_loop_t *loop, uv_timer_t *t)
{
    uv_timer_init(loop, t);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    uint64_t ms = usec / 2000;
    uv_timer_start(t, on_watchdog, 0, ms ? ms : 1);
    /* The pings must not keep a stopping loop alive. */
    uv_unref((uv_handle_t *)t);
    return usec;
}
