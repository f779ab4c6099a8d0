/* Logging: plain lines on a terminal, sd-daemon "<N>" priority prefixes under
 * systemd (when JOURNAL_STREAM names our stderr) so that journald keeps the
 * levels. */
#ifndef AGENDAD_LOG_H
#define AGENDAD_LOG_H

#include <stdarg.h>

typedef enum {
    AG_LOG_ERR = 3,
    AG_LOG_WARNING = 4,
    AG_LOG_NOTICE = 5,
    AG_LOG_INFO = 6,
    AG_LOG_DEBUG = 7,
} ag_log_level;

/* Messages above this level are dropped. Default AG_LOG_INFO. */
void ag_log_set_level(ag_log_level max);
void ag_log(ag_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ag_logv(ag_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
