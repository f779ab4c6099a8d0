#include "cli_mailin.h"

#include "cli_error.h"
#include "config.h"
#include "error.h"
#include "i18n.h"
#include "mailin.h"
#include "mailin_proto.h"
#include "tz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

/* The message, up to AG_MAILIN_MAX_MESSAGE bytes; *too_large when there
 * was more (the rest is read and dropped, so that the MTA's write does
 * not fail before our status). NULL on a read error or out of memory. */
static char *read_message(FILE *in, size_t *len, bool *too_large)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    *too_large = false;
    while (buf) {
        if (n == cap) {
            if (cap > AG_MAILIN_MAX_MESSAGE) {
                *too_large = true;
                n = 0; /* keep reading, keep nothing */
            } else {
                char *more = realloc(buf, cap * 2);
                if (!more)
                    break;
                buf = more;
                cap *= 2;
            }
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf || ferror(in)) {
        free(buf);
        return NULL;
    }
    *too_large = *too_large || n > AG_MAILIN_MAX_MESSAGE;
    *len = n;
    return buf;
}

/* invitations.mail_socket of DIR/agendad.yaml; malloc'd, NULL when the
 * config does not load (said on err). */
static char *socket_path(const char *config_dir, FILE *err)
{
    ag_config *cfg = NULL;
    ag_diags diags = {0};
    ag_tz_init();
    char *path = NULL;
    if (ag_config_load_base(config_dir, &cfg, &diags) < 0) {
        ag_diags_print(&diags, err);
        ag_cli_error(err, "mail-in", _("%s has errors: the message stays with the mail system\n"),
                     config_dir);
    } else if (!(path = strdup(cfg->settings.mail_socket))) {
        ag_cli_error(err, "mail-in", "%s\n", _("out of memory"));
    }
    ag_config_free(cfg);
    ag_diags_free(&diags);
    ag_tz_shutdown();
    return path;
}

static int connect_to(const char *path, FILE *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ag_cli_error(err, "mail-in", _("cannot open a socket: %s\n"), strerror(errno));
        return -1;
    }
    struct timeval tv = {.tv_sec = AG_CLI_MAILIN_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    int e = errno;
    close(fd);
    if (e == EACCES || e == EPERM)
        ag_cli_error(err, "mail-in",
                     _("%s: permission denied: the mail system's user must be in the socket's "
                       "group (see invitations.mail_group in admin.md)\n"),
                     path);
    else if (e == ENOENT || e == ECONNREFUSED)
        ag_cli_error(err, "mail-in", _("%s: agendad is not running (%s)\n"), path, strerror(e));
    else
        ag_cli_error(err, "mail-in", "%s: %s\n", path, strerror(e));
    return -1;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* One line from the daemon, NUL-terminated without its \n; false when it
 * closed or timed out first. */
static bool read_line(int fd, char *line, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = recv(fd, line + n, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    return true;
}

/* The envelope recipient, as Postfix's local(8) and Exim's pipe transport
 * give it to the command: it holds the tag even where no header does. */
static const char *envelope_recipient(void)
{
    const char *r = getenv("ORIGINAL_RECIPIENT");
    return r && *r ? r : getenv("RECIPIENT");
}

static int hand_over(const char *path, const char *msg, size_t len, FILE *err)
{
    int fd = connect_to(path, err);
    if (fd < 0)
        return EX_TEMPFAIL;
    char head[AG_MAILIN_MAX_HEAD], line[512];
    int h = ag_mailin_head_write(head, sizeof head, len, envelope_recipient());
    int code = EX_TEMPFAIL;
    if (h < 0 || !send_all(fd, head, (size_t)h) || !send_all(fd, msg, len))
        ag_cli_error(err, "mail-in", _("%s: cannot send the message: %s\n"), path,
                     errno == EAGAIN ? _("timed out") : strerror(errno));
    else if (!read_line(fd, line, sizeof line))
        ag_cli_error(err, "mail-in", _("%s: no answer from agendad: %s\n"), path,
                     errno == EAGAIN ? _("timed out") : _("it closed the connection (stopping?)"));
    else if ((code = ag_mailin_exit_code(line)) != EX_OK)
        /* The daemon's verdict, in its words (mailin_proto.h): the MTA's. */
        ag_cli_error(err, "mail-in", "%s\n", line);
    close(fd);
    return code;
}

int ag_cli_mailin(const char *config_dir, FILE *in, FILE *err)
{
    size_t len = 0;
    bool too_large = false;
    char *msg = read_message(in, &len, &too_large);
    if (!msg) {
        ag_cli_error(err, "mail-in", _("cannot read the message on stdin\n"));
        return EX_TEMPFAIL;
    }
    int code;
    if (too_large) {
        ag_cli_error(err, "mail-in", _("the message is larger than %u MiB: not a reply\n"),
                     AG_MAILIN_MAX_MESSAGE / (1024 * 1024));
        code = EX_DATAERR;
    } else {
        char *path = socket_path(config_dir, err);
        code = path ? hand_over(path, msg, len, err) : EX_TEMPFAIL;
        free(path);
    }
    free(msg);
    return code;
}
