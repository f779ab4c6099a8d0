/* TEMPORARY (feed branch only): the value parsers declared in config.h, so
 * that feed.c and its tests link before the config branch lands. The config
 * branch's implementation replaces this file; drop it when merging. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static int64_t unit_seconds(char u)
{
    switch (u) {
    case 'w':
        return 7 * 86400;
    case 'd':
        return 86400;
    case 'h':
        return 3600;
    case 'm':
        return 60;
    case 's':
        return 1;
    default:
        return 0;
    }
}

int ag_parse_duration(const char *s, int64_t *seconds)
{
    if (!s || !*s)
        return -1;
    int64_t total = 0;
    while (*s) {
        if (!isdigit((unsigned char)*s))
            return -1;
        int64_t n = 0;
        for (; isdigit((unsigned char)*s); s++) {
            if (n > (INT64_MAX - 9) / 10)
                return -1;
            n = n * 10 + (*s - '0');
        }
        int64_t unit = unit_seconds(*s++);
        if (unit == 0 || n > (INT64_MAX - total) / unit)
            return -1;
        total += n * unit;
    }
    *seconds = total;
    return 0;
}

/* Reads exactly `width` digits. */
static bool digits(const char **p, int width, int *out)
{
    int v = 0;
    for (int i = 0; i < width; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += width;
    *out = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

static bool parse_date(const char **p, ag_datetime *dt)
{
    return digits(p, 4, &dt->year) && *(*p)++ == '-' && digits(p, 2, &dt->month) &&
           *(*p)++ == '-' && digits(p, 2, &dt->day) && dt->month >= 1 && dt->month <= 12 &&
           dt->day >= 1 && dt->day <= days_in_month(dt->year, dt->month);
}

static bool parse_time(const char **p, ag_datetime *dt)
{
    if (!digits(p, 2, &dt->hour) || *(*p)++ != ':' || !digits(p, 2, &dt->minute))
        return false;
    if (**p == ':' && (++*p, !digits(p, 2, &dt->second)))
        return false;
    return dt->hour < 24 && dt->minute < 60 && dt->second < 60;
}

int ag_parse_datetime(const char *s, ag_datetime *out)
{
    if (!s)
        return -1;
    ag_datetime dt = {0};
    const char *p = s;
    if (!parse_date(&p, &dt))
        return -1;
    if (*p == '\0') {
        dt.is_date = true;
    } else if ((*p != 'T' && *p != ' ') || (++p, !parse_time(&p, &dt)) || *p != '\0') {
        return -1;
    }
    *out = dt;
    return 0;
}
