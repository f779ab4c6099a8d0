#include "log.h"

#include "utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ag_log_level max_level = AG_LOG_INFO;

void ag_log_set_level(ag_log_level max)
{
    max_level = max;
}

static const char *level_name(ag_log_level level)
{
    switch (level) {
    case AG_LOG_ERR:
        return "error";
    case AG_LOG_WARNING:
        return "warning";
    case AG_LOG_NOTICE:
        return "notice";
    case AG_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

/* JOURNAL_STREAM names the stream journald reads ("DEV:INODE"); it is
 * inherited by children whose stderr may go elsewhere (a pipe, a file), so
 * it counts only when it is our stderr (sd-daemon(3), systemd.exec(5)). */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void ag_logv(ag_log_level level, const char *fmt, va_list ap)
{
    if (level > max_level)
        return;
    /* journald adds its own timestamps and reads "<N>" as the priority. */
    static int under_journal = -1;
    if (under_journal < 0)
        under_journal = stderr_is_journal();
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ag_utf8_fix_truncation(msg, sizeof msg);
    if (under_journal) {
        fprintf(stderr, "<%d>%s\n", (int)level, msg);
    } else {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s agendad %s: %s\n", stamp, level_name(level), msg);
    }
}

void ag_log(ag_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ag_logv(level, fmt, ap);
    va_end(ap);
}
