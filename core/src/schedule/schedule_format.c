/* What every format shares: a growable text and the way times are
 * written. */
#include "schedule_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(ag_schedule_text *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *s = realloc(t->s, cap);
    if (!s) {
        t->failed = true;
        return false;
    }
    t->s = s;
    t->cap = cap;
    return true;
}

void ag_schedule_text_add(ag_schedule_text *t, const char *s)
{
    size_t n = strlen(s);
    if (!reserve(t, n))
        return;
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

void ag_schedule_text_addf(ag_schedule_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void ag_schedule_local_iso(int64_t t, const char *tzid, char *buf, size_t size)
{
    int minute, y, m, d;
    int64_t day = ag_schedule_local_day(t, tzid, &minute);
    ag_schedule_date_of(day, &y, &m, &d);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d", y, m, d, minute / 60, minute % 60);
}

void ag_schedule_utc_iso(int64_t t, char *buf, size_t size)
{
    int64_t day = t / AG_SCHEDULE_DAY - (t % AG_SCHEDULE_DAY < 0);
    int64_t sec = t - day * AG_SCHEDULE_DAY;
    int y, m, d;
    ag_schedule_date_of(day, &y, &m, &d);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
}
