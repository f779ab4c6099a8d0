/* Dates as day numbers, and the wall clock of a zone. The civil-date
 * arithmetic is Howard Hinnant's days_from_civil and its inverse: exact
 * for the proleptic Gregorian calendar, with no table and no libc zone. */
#include "schedule_internal.h"
#include "tz.h"

#include <stdio.h>

int64_t ag_schedule_day_of(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ag_schedule_date_of(int64_t day, int *year, int *month, int *mday)
{
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

int ag_schedule_weekday(int64_t day)
{
    /* 1970-01-01 was a Thursday (3, counting from Monday). */
    int64_t w = (day + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

ag_datetime ag_schedule_datetime(int64_t day, int minute)
{
    ag_datetime t = {0};
    ag_schedule_date_of(day, &t.year, &t.month, &t.day);
    t.hour = minute / 60;
    t.minute = minute % 60;
    return t;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t ag_schedule_local_day(int64_t t, const char *tzid, int *minute)
{
    bool ok;
    int64_t wall = t + ag_tz_utc_offset(t, tzid, &ok);
    if (!ok)
        wall = t;
    int64_t day = floor_div(wall, AG_SCHEDULE_DAY);
    if (minute)
        *minute = (int)((wall - day * AG_SCHEDULE_DAY) / 60);
    return day;
}

int64_t ag_schedule_wall_instant(int64_t wall, const char *tzid)
{
    int64_t day = floor_div(wall, AG_SCHEDULE_DAY);
    int64_t sec = wall - day * AG_SCHEDULE_DAY;
    ag_datetime t = ag_schedule_datetime(day, (int)(sec / 60));
    t.second = (int)(sec % 60);
    bool ok;
    int64_t u = ag_tz_to_utc(&t, tzid, &ok);
    return ok ? u : wall;
}

int64_t ag_schedule_instant(int64_t day, int minute, const char *tzid)
{
    return ag_schedule_wall_instant(day * AG_SCHEDULE_DAY + minute * 60, tzid);
}
