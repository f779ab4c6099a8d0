#include "ops_sdnotify.h"

#include "error.h"
#include "log.h"

#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

int ag_ops_sd_listen_fd(void)
{
    int n = sd_listen_fds(1);
    if (n < 0)
        ag_log(AG_LOG_WARNING, "ignoring the sockets passed by systemd: %s", ag_err_errno(-n));
    int chosen = -1;
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
        if (chosen < 0 && sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0) {
            chosen = fd;
            continue;
        }
        ag_log(AG_LOG_WARNING,
               "socket %d passed by systemd is not used: agendad serves one "
               "listening TCP socket",
               fd);
        close(fd);
    }
    return chosen;
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
