#include "tz.h"

#include "error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tz_version[32] = "unknown";

/* libical finds a builtin zone by a linear scan of ~600 names; a feed asks
 * for the same zone for every event. A per-thread cache of the last lookup,
 * dropped whenever libical's zones are freed (the generation moves). */
static atomic_uint zone_generation;
static _Thread_local struct {
    unsigned generation;
    char name[64];
    icaltimezone *zone;
} last_zone;

static void drop_zone_cache(void)
{
    atomic_fetch_add(&zone_generation, 1);
}

/* Debian's tzdata ships tzdata.zi whose first line is "# version 2026f". */
static void read_version(char *out, size_t size)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/tzdata.zi", dir ? dir : "/usr/share/zoneinfo");
    snprintf(out, size, "unknown");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[128];
    if (fgets(line, sizeof line, f) && strncmp(line, "# version ", 10) == 0) {
        /* A version longer than out is cut, not a reason to fail the build
         * (-Wformat-truncation at -O2). */
        size_t n = strcspn(line + 10, "\r\n");
        if (n >= size)
            n = size - 1;
        memcpy(out, line + 10, n);
        out[n] = '\0';
    }
    fclose(f);
}

int ag_tz_init(void)
{
    read_version(tz_version, sizeof tz_version);
    /* libical loads zones lazily and not thread-safely: load the ones every
     * feed needs now, on the main thread. */
    return icaltimezone_get_builtin_timezone("Africa/Casablanca") ? 0 : AG_EZONE;
}

void ag_tz_shutdown(void)
{
    drop_zone_cache();
    icaltimezone_free_builtin_timezones();
}

const char *ag_tz_version(void)
{
    return tz_version;
}

int ag_tz_refresh(void)
{
    char now[sizeof tz_version];
    read_version(now, sizeof now);
    if (strcmp(now, tz_version) == 0)
        return 0;
    /* libical caches every zone it built from the old files. */
    drop_zone_cache();
    icaltimezone_free_builtin_timezones();
    memcpy(tz_version, now, sizeof tz_version);
    return 1;
}

icaltimezone *ag_tz_get(const char *tzid)
{
    if (!tzid || !*tzid || strncmp(tzid, "/", 1) == 0)
        return NULL;
    if (strcmp(tzid, "UTC") == 0)
        return icaltimezone_get_utc_timezone();
    unsigned gen = atomic_load(&zone_generation);
    if (last_zone.zone && last_zone.generation == gen && strcmp(last_zone.name, tzid) == 0)
        return last_zone.zone;
    icaltimezone *z = icaltimezone_get_builtin_timezone(tzid);
    if (z && strlen(tzid) < sizeof last_zone.name) {
        strcpy(last_zone.name, tzid);
        last_zone.zone = z;
        last_zone.generation = gen;
    }
    return z;
}

bool ag_tz_known(const char *tzid)
{
    return ag_tz_get(tzid) != NULL;
}

int64_t ag_tz_to_utc(const ag_datetime *local, const char *tzid, bool *ok)
{
    icaltimezone *z = ag_tz_get(tzid);
    *ok = z != NULL;
    if (!z)
        return -1;
    icaltimetype t = icaltime_null_time();
    t.year = local->year;
    t.month = local->month;
    t.day = local->day;
    t.hour = local->is_date ? 0 : local->hour;
    t.minute = local->is_date ? 0 : local->minute;
    t.second = local->is_date ? 0 : local->second;
    t.is_date = 0;
    t.zone = z;
    return (int64_t)icaltime_as_timet_with_zone(t, z);
}

int32_t ag_tz_utc_offset(int64_t t, const char *tzid, bool *ok)
{
    icaltimezone *z = ag_tz_get(tzid);
    *ok = z != NULL;
    if (!z)
        return -1;
    icaltimetype local = icaltime_from_timet_with_zone((time_t)t, 0, z);
    icaltimetype wall = local;
    wall.zone = NULL; /* read the wall clock as if it were UTC */
    return (int32_t)((int64_t)icaltime_as_timet_with_zone(wall, icaltimezone_get_utc_timezone()) -
                     t);
}

icalcomponent *ag_tz_vtimezone(const char *tzid, int64_t from, int64_t to)
{
    icaltimezone *z = ag_tz_get(tzid);
    if (!z)
        return NULL;
    icalcomponent *src = icaltimezone_get_component(z);
    if (!src)
        return NULL;
    icalcomponent *vtz = icalcomponent_new_clone(src);
    /* libical names builtin zones "/freeassociation.sourceforge.net/<IANA>";
     * calendar apps match on the IANA name. */
    icalproperty *p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
    if (p)
        icalproperty_set_tzid(p, tzid);
    icalproperty *loc = icalcomponent_get_first_property(vtz, ICAL_X_PROPERTY);
    while (loc) {
        icalproperty *next = icalcomponent_get_next_property(vtz, ICAL_X_PROPERTY);
        if (strcmp(icalproperty_get_x_name(loc), "X-LIC-LOCATION") == 0) {
            icalcomponent_remove_property(vtz, loc);
            icalproperty_free(loc);
        }
        loc = next;
    }
    icaltimezone *utc = icaltimezone_get_utc_timezone();
    icaltimetype start = icaltime_from_timet_with_zone((time_t)from, 0, utc);
    icaltimetype end = icaltime_from_timet_with_zone((time_t)to, 0, utc);
    icaltimezone_truncate_vtimezone(vtz, start, end, 0);
    return vtz;
}

icaltimetype ag_tz_ical_local(const ag_datetime *dt)
{
    icaltimetype t = icaltime_null_time();
    t.year = dt->year;
    t.month = dt->month;
    t.day = dt->day;
    t.is_date = dt->is_date;
    if (!dt->is_date) {
        t.hour = dt->hour;
        t.minute = dt->minute;
        t.second = dt->second;
    }
    return t;
}

ag_datetime ag_tz_model_local(icaltimetype t)
{
    ag_datetime dt = {t.year, t.month, t.day, 0, 0, 0, t.is_date != 0};
    if (!t.is_date) {
        dt.hour = t.hour;
        dt.minute = t.minute;
        dt.second = t.second;
    }
    return dt;
}
