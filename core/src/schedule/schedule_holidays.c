/* Morocco's public holidays, day by day: the civil ones by their date
 * from the year each was created, the religious ones by the Hijri date
 * that ICU computes, and the admin's `holidays:` over both. Sources and
 * choices: doc/admin.md, "Holidays". */
#include "schedule_internal.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>

/* The list of the public administration (decree 2-77-169 of 28 February
 * 1977 as amended) and of the Labour Code's paid holidays. since: the first
 * year the day was off (0: before any date agendad schedules). */
static const struct {
    int month, day, since;
    ag_schedule_name name;
} civil[] = {
    {1, 1, 0, {"رأس السنة الميلادية", "Nouvel an"}},
    {1, 11, 0, {"ذكرى تقديم وثيقة الاستقلال", "Manifeste de l'indépendance"}},
    /* Royal decision of 3 May 2023; decrees of 23 November 2023. */
    {1, 14, 2024, {"رأس السنة الأمازيغية", "Nouvel an amazigh"}},
    {5, 1, 0, {"عيد الشغل", "Fête du travail"}},
    {7, 30, 2000, {"عيد العرش", "Fête du Trône"}},
    {8, 14, 1979, {"ذكرى استرجاع إقليم وادي الذهب", "Allégeance de Oued Eddahab"}},
    {8, 20, 0, {"ذكرى ثورة الملك والشعب", "Révolution du Roi et du Peuple"}},
    {8, 21, 2000, {"عيد الشباب", "Fête de la jeunesse"}},
    /* Decrees 2.26.14 and 2.25.1140. */
    {10, 31, 2026, {"عيد الوحدة", "Aïd al-Wahda (Fête de l'unité)"}},
    {11, 6, 1976, {"ذكرى المسيرة الخضراء", "Marche verte"}},
    {11, 18, 0, {"عيد الاستقلال", "Fête de l'indépendance"}},
};

/* By Hijri month (1-based) and day. */
static const struct {
    int month, day;
    ag_schedule_name name;
} religious[] = {
    {1, 1, {"فاتح محرم", "Nouvel an de l'Hégire (1er Moharram)"}},
    {3, 12, {"عيد المولد النبوي", "Aïd al-Mawlid"}},
    {3, 13, {"عيد المولد النبوي", "Aïd al-Mawlid"}},
    {10, 1, {"عيد الفطر", "Aïd al-Fitr"}},
    {10, 2, {"عيد الفطر", "Aïd al-Fitr"}},
    {12, 10, {"عيد الأضحى", "Aïd al-Adha"}},
    {12, 11, {"عيد الأضحى", "Aïd al-Adha"}},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const ag_schedule_name *civil_holiday(int64_t day)
{
    int y, m, d;
    ag_schedule_date_of(day, &y, &m, &d);
    for (size_t i = 0; i < N_OF(civil); i++)
        if (civil[i].month == m && civil[i].day == d && y >= civil[i].since)
            return &civil[i].name;
    return NULL;
}

static const ag_schedule_name *religious_holiday(int month, int day)
{
    for (size_t i = 0; i < N_OF(religious); i++)
        if (religious[i].month == month && religious[i].day == day)
            return &religious[i].name;
    return NULL;
}

typedef struct {
    int month, day; /* Hijri, 1-based; 0 when off */
} hijri_date;

static UCalendar *open_hijri(const char *calendar, char **err)
{
    static const UChar utc[] = {'U', 'T', 'C', 0};
    char locale[64];
    snprintf(locale, sizeof locale, "@calendar=%s", calendar);
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *c = ucal_open(utc, 3, locale, UCAL_DEFAULT, &st);
    if (U_FAILURE(st)) {
        if (c)
            ucal_close(c);
        if (err &&
            asprintf(err, "ICU cannot open the %s calendar: %s", calendar, u_errorName(st)) < 0)
            *err = NULL;
        return NULL;
    }
    return c;
}

/* The Hijri date of each day [first, first + n): ICU's date of the day
 * hijri_adjust days later, at noon, so that no zone moves it. */
static int hijri_dates(const ag_schedule_input *in, int64_t first, size_t n, hijri_date *out,
                       char **err)
{
    if (!in->hijri)
        return 0;
    UCalendar *c = open_hijri(in->hijri, err);
    if (!c)
        return AG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        /* Every Hijri month has 29 days at least: ICU is asked only where
         * the next day may start a new month. */
        if (i && out[i - 1].day && out[i - 1].day < 29) {
            out[i] = (hijri_date){out[i - 1].month, out[i - 1].day + 1};
            continue;
        }
        int64_t day = first + (int64_t)i + in->hijri_adjust;
        UErrorCode st = U_ZERO_ERROR;
        ucal_setMillis(c, ((double)day * AG_SCHEDULE_DAY + AG_SCHEDULE_DAY / 2) * 1000.0, &st);
        out[i].month = ucal_get(c, UCAL_MONTH, &st) + 1;
        out[i].day = ucal_get(c, UCAL_DATE, &st);
        if (U_FAILURE(st))
            out[i] = (hijri_date){0, 0};
    }
    ucal_close(c);
    return 0;
}

static const ag_holiday *admin_day(const ag_schedule_input *in, int64_t day)
{
    for (size_t i = 0; i < in->n_holidays; i++) {
        const ag_datetime *d = &in->holidays[i].date;
        if (ag_schedule_day_of(d->year, d->month, d->day) == day)
            return &in->holidays[i];
    }
    return NULL;
}

/* A religious holiday computed for day i of h (h has one day more on each
 * side than the calendar), unless the admin removed that day. */
static const ag_schedule_name *computed(const ag_schedule_input *in, const hijri_date *h,
                                        int64_t first, ptrdiff_t i)
{
    const ag_holiday *a = admin_day(in, first + i);
    if (a && a->remove)
        return NULL;
    return religious_holiday(h[i + 1].month, h[i + 1].day);
}

static void fill_day(const ag_schedule_input *in, const hijri_date *h, int64_t first, size_t i,
                     ag_schedule_day *d)
{
    int64_t day = first + (int64_t)i;
    const ag_schedule_name *rel = computed(in, h, first, (ptrdiff_t)i);
    const ag_schedule_name *civ = civil_holiday(day);
    const ag_holiday *a = admin_day(in, day);
    d->ramadan = h[i + 1].month == 9;
    if (a && a->remove)
        civ = NULL;
    if (rel || civ)
        d->holiday = rel ? *rel : *civ;
    /* Morocco sights the moon: a religious holiday may fall a day before
     * or after the computed one. */
    d->probable =
        !rel && !civ && !(a && a->remove) &&
        (computed(in, h, first, (ptrdiff_t)i - 1) || computed(in, h, first, (ptrdiff_t)i + 1));
    if (a && !a->remove) {
        d->holiday = (ag_schedule_name){a->name.ar, a->name.fr};
        d->probable = false;
    }
}

int ag_schedule_calendar_build(const ag_schedule_input *in, int64_t first, size_t n,
                               ag_schedule_calendar *out, char **err)
{
    *out = (ag_schedule_calendar){first, n, calloc(n ? n : 1, sizeof *out->days)};
    hijri_date *h = calloc(n + 2, sizeof *h);
    if (!out->days || !h) {
        free(h);
        ag_schedule_calendar_free(out);
        return AG_ENOMEM;
    }
    int rc = hijri_dates(in, first - 1, n + 2, h, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        fill_day(in, h, first, i, &out->days[i]);
    free(h);
    if (rc < 0)
        ag_schedule_calendar_free(out);
    return rc;
}

void ag_schedule_calendar_free(ag_schedule_calendar *c)
{
    free(c->days);
    c->days = NULL;
    c->n = 0;
}

const ag_schedule_day *ag_schedule_day_at(const ag_schedule_calendar *c, int64_t day)
{
    if (day < c->first || day >= c->first + (int64_t)c->n)
        return NULL;
    return &c->days[day - c->first];
}

bool ag_schedule_is_holiday(const ag_schedule_day *d)
{
    return d && (d->holiday.ar || d->holiday.fr);
}
