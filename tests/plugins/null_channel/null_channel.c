/* Channel "null": every reminder is delivered at once. With `log: PATH`,
 * appends "MONOTONIC_NS ID UID" per reminder when it is handed over, so
 * that a benchmark measures the scheduler alone (CLOCK_MONOTONIC is the
 * same clock as Python's time.monotonic()). */
#include <agendad/plugin.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const agendad_host *host;
    agendad_plugin *self;
    int fd;
} sink;

static void note(const sink *k, const agendad_reminder *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[256];
    int len = snprintf(line, sizeof line, "%lld %s %s\n",
                       (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
                       AGENDAD_REMINDER_HAS(r, id) && r->id ? r->id : "-", r->event_uid);
    /* One write per line with O_APPEND: lines never interleave. */
    if (len > 0 && write(k->fd, line, (size_t)len) < 0)
        k->host->log(k->self, AGENDAD_LOG_WARNING, "cannot write its log");
}

static void send_reminder(agendad_reminder *r, void *data)
{
    sink *k = data;
    if (k->fd >= 0)
        note(k, r);
    r->done(r, AGENDAD_DELIVERED, NULL);
}

static int null_init(agendad_plugin *self, const agendad_host *host, void **state)
{
    sink *k = calloc(1, sizeof *k);
    if (!k)
        return AGENDAD_ENOMEM;
    k->host = host;
    k->self = self;
    k->fd = -1;
    const agendad_config_node *n = host->config_get(host->config(self), "log");
    const char *path = n ? host->config_scalar(n) : NULL;
    if (path && (k->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        host->log(self, AGENDAD_LOG_ERR, "cannot open its log");
        free(k);
        return AGENDAD_EPLUGIN;
    }
    int rc = host->register_channel(self, "null", send_reminder, k);
    if (rc != 0) {
        if (k->fd >= 0)
            close(k->fd);
        free(k);
        return rc;
    }
    *state = k;
    return 0;
}

static void null_fini(agendad_plugin *self, void *state)
{
    (void)self;
    sink *k = state;
    if (k->fd >= 0)
        close(k->fd);
    free(k);
}

AGENDAD_PLUGIN_DECLARE("null_channel", "1.0", null_init, null_fini);
