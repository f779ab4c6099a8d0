#include "datetime.h"

#include "tz.h"

int ag_datetime_cmp(const ag_datetime *a, const ag_datetime *b)
{
    const int av[] = {a->year, a->month, a->day, a->hour, a->minute, a->second};
    const int bv[] = {b->year, b->month, b->day, b->hour, b->minute, b->second};
    for (size_t i = 0; i < sizeof av / sizeof av[0]; i++)
        if (av[i] != bv[i])
            return av[i] < bv[i] ? -1 : 1;
    return 0;
}

void ag_datetime_add_days(ag_datetime *dt, int days)
{
    icaltimetype t = ag_tz_ical_local(dt);
    icaltime_adjust(&t, days, 0, 0, 0);
    *dt = ag_tz_model_local(t);
}
