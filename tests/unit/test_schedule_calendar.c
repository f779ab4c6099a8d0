/* Finding a time's calendar: day numbers; Morocco's civil holidays from
 * the year each began; the religious ones from ICU's Hijri calendars, with
 * hijri_adjust and the probable days around them; the admin's additions
 * and removals; Ramadan; and working hours as instants across Morocco's
 * offset changes (UTC+1 with a Ramadan UTC+0 until 2026-09-20, UTC+0 since)
 * and Paris's summer time. */
#include "error.h"
#include "schedule_internal.h"
#include "tz.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define D(y, m, d) ag_schedule_day_of((y), (m), (d))
#define H 3600

static ag_schedule_input input(const char *hijri, int adjust)
{
    ag_schedule_input in = {.tzid = "Africa/Casablanca", .lang = "fr", .hijri_adjust = adjust};
    in.hijri = (char *)hijri;
    in.hours.usual = (ag_hours){0x1f, 8 * 60 + 30, 16 * 60 + 30};
    in.hours.ramadan = (ag_hours){0x1f, 9 * 60, 15 * 60};
    return in;
}

/* The calendar of the year around the day. */
typedef struct {
    ag_schedule_calendar cal;
} year;

static void build(const ag_schedule_input *in, int y, ag_schedule_calendar *cal)
{
    char *err = NULL;
    assert_int_equal(ag_schedule_calendar_build(in, D(y, 1, 1) - 3, 372, cal, &err), 0);
    assert_null(err);
}

static const ag_schedule_day *day(const ag_schedule_calendar *c, int y, int m, int d)
{
    const ag_schedule_day *x = ag_schedule_day_at(c, D(y, m, d));
    assert_non_null(x);
    return x;
}

static const char *holiday_fr(const ag_schedule_calendar *c, int y, int m, int d)
{
    return day(c, y, m, d)->holiday.fr;
}

static void test_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(D(1970, 1, 1), 0);
    assert_int_equal(D(2000, 3, 1) - D(2000, 2, 28), 2); /* 2000 is a leap year */
    assert_int_equal(D(2100, 3, 1) - D(2100, 2, 28), 1); /* 2100 is not */
    for (int64_t n = D(1900, 1, 1); n < D(2200, 1, 1); n += 17) {
        int y, m, d;
        ag_schedule_date_of(n, &y, &m, &d);
        assert_int_equal(D(y, m, d), n);
    }
    assert_int_equal(ag_schedule_weekday(D(2027, 1, 4)), 0); /* a Monday */
    assert_int_equal(ag_schedule_weekday(D(2026, 3, 22)), 6);
    assert_int_equal(ag_schedule_weekday(D(1969, 12, 31)), 2);
}

/* 14 January from 2024 (royal decision of May 2023), 31 October from
 * 2026 (decrees 2.26.14 and 2.25.1140); the others every year. */
static void test_civil_holidays_by_year(void **state)
{
    (void)state;
    ag_schedule_input in = input(NULL, 0);
    ag_schedule_calendar c;
    build(&in, 2023, &c);
    assert_null(holiday_fr(&c, 2023, 1, 14));
    assert_string_equal(holiday_fr(&c, 2023, 1, 11), "Manifeste de l'indépendance");
    ag_schedule_calendar_free(&c);
    build(&in, 2024, &c);
    assert_string_equal(holiday_fr(&c, 2024, 1, 14), "Nouvel an amazigh");
    ag_schedule_calendar_free(&c);
    build(&in, 2025, &c);
    assert_null(holiday_fr(&c, 2025, 10, 31));
    ag_schedule_calendar_free(&c);
    build(&in, 2026, &c);
    assert_non_null(holiday_fr(&c, 2026, 10, 31));
    assert_string_equal(day(&c, 2026, 10, 31)->holiday.ar, "عيد الوحدة");
    ag_schedule_calendar_free(&c);
    build(&in, 2027, &c);
    static const int dates[][2] = {{1, 1},  {1, 11}, {1, 14},  {5, 1},  {7, 30}, {8, 14},
                                   {8, 20}, {8, 21}, {10, 31}, {11, 6}, {11, 18}};
    size_t n = 0;
    for (int64_t x = D(2027, 1, 1); x <= D(2027, 12, 31); x++)
        n += ag_schedule_is_holiday(ag_schedule_day_at(&c, x));
    assert_int_equal(n, sizeof dates / sizeof dates[0]);
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        assert_true(ag_schedule_is_holiday(day(&c, 2027, dates[i][0], dates[i][1])));
    /* Without a Hijri calendar, no religious holiday and no Ramadan. */
    for (int64_t x = D(2027, 1, 1); x <= D(2027, 12, 31); x++)
        assert_false(ag_schedule_day_at(&c, x)->ramadan || ag_schedule_day_at(&c, x)->probable);
    ag_schedule_calendar_free(&c);
}

/* Eid al-Fitr 1446 was Monday 31 March 2025 in Morocco (the Ministry of
 * Habous sighted the moon on 30 March), a day after the Umm al-Qura
 * tables: the default (islamic-umalqura, hijri_adjust -1) gives it; the
 * days around are probable. */
static void test_eid_al_fitr_2025(void **state)
{
    (void)state;
    ag_schedule_input in = input("islamic-umalqura", -1);
    ag_schedule_calendar c;
    build(&in, 2025, &c);
    assert_string_equal(holiday_fr(&c, 2025, 3, 31), "Aïd al-Fitr");
    assert_string_equal(holiday_fr(&c, 2025, 4, 1), "Aïd al-Fitr");
    assert_string_equal(day(&c, 2025, 3, 31)->holiday.ar, "عيد الفطر");
    assert_true(day(&c, 2025, 3, 30)->probable);
    assert_false(ag_schedule_is_holiday(day(&c, 2025, 3, 30)));
    assert_true(day(&c, 2025, 4, 2)->probable);
    assert_false(day(&c, 2025, 4, 3)->probable);
    assert_false(day(&c, 2025, 3, 31)->probable);
    /* Eid al-Adha 1446: Saturday 7 June 2025 in Morocco. */
    assert_string_equal(holiday_fr(&c, 2025, 6, 7), "Aïd al-Adha");
    assert_string_equal(holiday_fr(&c, 2025, 6, 8), "Aïd al-Adha");
    ag_schedule_calendar_free(&c);
}

/* The dates the Ministry of Habous announced: with the default those it
 * sighted a day after the Umm al-Qura tables are holidays, and those it
 * sighted on the tables' day (Aïd al-Fitr 1442 and 1443) are probable. */
static void test_announced_dates(void **state)
{
    (void)state;
    static const struct {
        int y, m, d;
        const char *fr;
        bool computed;
    } announced[] = {
        {2025, 3, 31, "Aïd al-Fitr", true},  {2023, 4, 22, "Aïd al-Fitr", true},
        {2025, 6, 7, "Aïd al-Adha", true},   {2021, 7, 21, "Aïd al-Adha", true},
        {2021, 5, 13, "Aïd al-Fitr", false}, {2022, 5, 2, "Aïd al-Fitr", false},
    };
    ag_schedule_input in = input("islamic-umalqura", -1);
    for (size_t i = 0; i < sizeof announced / sizeof announced[0]; i++) {
        ag_schedule_calendar c;
        build(&in, announced[i].y, &c);
        const ag_schedule_day *d = day(&c, announced[i].y, announced[i].m, announced[i].d);
        if (announced[i].computed) {
            assert_string_equal(d->holiday.fr, announced[i].fr);
        } else {
            assert_false(ag_schedule_is_holiday(d));
            assert_true(d->probable);
            const ag_schedule_day *next =
                day(&c, announced[i].y, announced[i].m, announced[i].d + 1);
            assert_string_equal(next->holiday.fr, announced[i].fr);
        }
        ag_schedule_calendar_free(&c);
    }
}

/* Each calendar and adjustment moves the dates as ICU computes them:
 * Umm al-Qura unadjusted has Saudi Arabia's 30 March; the arithmetical
 * civil calendar has 31 March; hijri_adjust adds days to the Hijri date,
 * so -1 moves a holiday one Gregorian day later. */
static void test_calendars_and_adjust(void **state)
{
    (void)state;
    static const struct {
        const char *cal;
        int adjust, month, day;
    } cases[] = {
        {"islamic-umalqura", 0, 3, 30}, {"islamic-umalqura", -1, 3, 31},
        {"islamic-umalqura", -2, 4, 1}, {"islamic-civil", 0, 3, 31},
        {"islamic-civil", 1, 3, 30},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ag_schedule_input in = input(cases[i].cal, cases[i].adjust);
        ag_schedule_calendar c;
        build(&in, 2025, &c);
        const ag_schedule_day *before = day(&c, 2025, cases[i].month, cases[i].day - 1);
        assert_string_equal(holiday_fr(&c, 2025, cases[i].month, cases[i].day), "Aïd al-Fitr");
        assert_false(ag_schedule_is_holiday(before));
        assert_true(before->probable);
        assert_true(before->ramadan);
        ag_schedule_calendar_free(&c);
    }
}

/* Each year has each religious holiday: 2 days of Eid al-Fitr, 2 of Eid
 * al-Adha, 2 of Mawlid, 1 Muharram; 29 or 30 days of Ramadan. */
static void test_religious_days_per_year(void **state)
{
    (void)state;
    ag_schedule_input in = input("islamic-umalqura", -1);
    for (int y = 2024; y <= 2029; y++) {
        ag_schedule_calendar c;
        build(&in, y, &c);
        size_t fitr = 0, adha = 0, mawlid = 0, muharram = 0, ramadan = 0;
        for (int64_t x = D(y, 1, 1); x <= D(y, 12, 31); x++) {
            const ag_schedule_day *d = ag_schedule_day_at(&c, x);
            const char *h = d->holiday.fr ? d->holiday.fr : "";
            fitr += strcmp(h, "Aïd al-Fitr") == 0;
            adha += strcmp(h, "Aïd al-Adha") == 0;
            mawlid += strcmp(h, "Aïd al-Mawlid") == 0;
            muharram += strstr(h, "Moharram") != NULL;
            ramadan += d->ramadan;
        }
        /* A Gregorian year holds 354 to 355 Hijri days and sometimes a
         * second Muharram 1 or Ramadan (2008, 2030...), not in 2024-2029. */
        assert_int_equal(fitr, 2);
        assert_int_equal(adha, 2);
        assert_int_equal(mawlid, 2);
        assert_int_equal(muharram, 1);
        assert_in_range(ramadan, 29, 30);
        ag_schedule_calendar_free(&c);
    }
}

/* Ramadan 1447 began around 18-19 February 2026 and ended around 19-20
 * March 2026. */
static void test_ramadan_2026(void **state)
{
    (void)state;
    ag_schedule_input in = input("islamic-umalqura", -1);
    ag_schedule_calendar c;
    build(&in, 2026, &c);
    assert_false(day(&c, 2026, 2, 10)->ramadan);
    assert_true(day(&c, 2026, 2, 20)->ramadan);
    assert_true(day(&c, 2026, 3, 1)->ramadan);
    assert_true(day(&c, 2026, 3, 18)->ramadan);
    assert_false(day(&c, 2026, 3, 25)->ramadan);
    ag_schedule_calendar_free(&c);
}

static void test_admin_holidays(void **state)
{
    (void)state;
    ag_holiday list[] = {
        {.date = {2027, 3, 2, 0, 0, 0, true}, .name = {"يوم جهوي", "Fête régionale"}},
        {.date = {2027, 1, 11, 0, 0, 0, true}, .remove = true},
        {.date = {2025, 3, 31, 0, 0, 0, true}, .remove = true},
    };
    ag_schedule_input in = input("islamic-umalqura", -1);
    in.holidays = list;
    in.n_holidays = 3;
    ag_schedule_calendar c;
    build(&in, 2027, &c);
    assert_string_equal(holiday_fr(&c, 2027, 3, 2), "Fête régionale");
    assert_string_equal(day(&c, 2027, 3, 2)->holiday.ar, "يوم جهوي");
    assert_false(ag_schedule_is_holiday(day(&c, 2027, 1, 11)));
    assert_true(ag_schedule_is_holiday(day(&c, 2027, 1, 14)));
    ag_schedule_calendar_free(&c);
    /* A computed day removed: neither a holiday nor what makes its
     * neighbour probable; the other day of the feast stays. */
    build(&in, 2025, &c);
    assert_false(ag_schedule_is_holiday(day(&c, 2025, 3, 31)));
    assert_false(day(&c, 2025, 3, 31)->probable);
    assert_false(day(&c, 2025, 3, 30)->probable);
    assert_true(ag_schedule_is_holiday(day(&c, 2025, 4, 1)));
    assert_true(day(&c, 2025, 4, 2)->probable);
    ag_schedule_calendar_free(&c);
}

/* The member's working spans over the days a..b. */
static ag_schedule_week week(const ag_schedule_input *in, const char *tz, ag_schedule_calendar *c,
                             int64_t a, int64_t b)
{
    char *err = NULL;
    assert_int_equal(ag_schedule_calendar_build(in, a, (size_t)(b - a + 1), c, &err), 0);
    ag_schedule_week w;
    assert_int_equal(ag_schedule_week_build(c, tz, &in->hours, &w), 0);
    return w;
}

/* The open span that starts on the UTC day of `day` (or NULL). */
static const ag_schedule_span *open_on(const ag_schedule_week *w, int64_t day)
{
    for (size_t i = 0; i < w->n_open; i++)
        if (w->open[i].start >= day * 86400 - 12 * H && w->open[i].start < (day + 1) * 86400)
            return &w->open[i];
    return NULL;
}

static void assert_open(const ag_schedule_week *w, int64_t d, int64_t from_h, int64_t to_h)
{
    const ag_schedule_span *s = open_on(w, d);
    assert_non_null(s);
    assert_int_equal(s->start, d * 86400 + from_h);
    assert_int_equal(s->end, d * 86400 + to_h);
}

/* Casablanca: in Ramadan 2026 the clock is UTC+0 and the hours 09:00-15:00;
 * after it UTC+1 and 08:30-16:30 (07:30-15:30 UTC); from 20 September
 * 2026, UTC+0 for good. */
static void test_hours_casablanca(void **state)
{
    (void)state;
    ag_schedule_input in = input("islamic-umalqura", -1);
    ag_schedule_calendar c;
    ag_schedule_week w = week(&in, "Africa/Casablanca", &c, D(2026, 3, 1), D(2026, 10, 1));
    assert_open(&w, D(2026, 3, 2), 9 * H, 15 * H);
    assert_null(open_on(&w, D(2026, 3, 7))); /* a Saturday */
    assert_open(&w, D(2026, 4, 6), 7 * H + 1800, 15 * H + 1800);
    assert_open(&w, D(2026, 9, 18), 7 * H + 1800, 15 * H + 1800);
    assert_open(&w, D(2026, 9, 21), 8 * H + 1800, 16 * H + 1800);
    /* Aïd al-Fitr 2026 (Saturday 21 March by default) and the Throne Day
     * (Thursday 30 July): whole local days off. */
    assert_null(open_on(&w, D(2026, 7, 30)));
    bool found = false;
    for (size_t i = 0; i < w.n_off; i++)
        if (w.off[i].start == D(2026, 7, 30) * 86400 - H) {
            found = true;
            assert_int_equal(w.off[i].end, D(2026, 7, 31) * 86400 - H);
            assert_string_equal(w.off_day[i]->holiday.fr, "Fête du Trône");
        }
    assert_true(found);
    ag_schedule_week_free(&w);
    ag_schedule_calendar_free(&c);
}

/* Paris across the change to summer time on 28 March 2027: the same
 * 08:30-16:30 is 07:30 UTC on Friday and 06:30 UTC on Monday; a Moroccan
 * holiday is the member's own local day (from 23:00 UTC the day before in
 * winter). */
static void test_hours_paris(void **state)
{
    (void)state;
    ag_schedule_input in = input("islamic-umalqura", -1);
    ag_schedule_calendar c;
    ag_schedule_week w = week(&in, "Europe/Paris", &c, D(2027, 1, 1), D(2027, 4, 30));
    assert_open(&w, D(2027, 3, 26), 7 * H + 1800, 15 * H + 1800);
    assert_open(&w, D(2027, 3, 29), 6 * H + 1800, 14 * H + 1800);
    assert_null(open_on(&w, D(2027, 1, 11)));
    bool found = false;
    for (size_t i = 0; i < w.n_off; i++)
        found = found || (w.off[i].start == D(2027, 1, 10) * 86400 + 23 * H &&
                          w.off[i].end == D(2027, 1, 11) * 86400 + 23 * H);
    assert_true(found);
    ag_schedule_week_free(&w);
    ag_schedule_calendar_free(&c);
}

static int setup(void **state)
{
    (void)state;
    return ag_tz_init();
}

static int teardown(void **state)
{
    (void)state;
    ag_tz_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_numbers),          cmocka_unit_test(test_civil_holidays_by_year),
        cmocka_unit_test(test_eid_al_fitr_2025),     cmocka_unit_test(test_announced_dates),
        cmocka_unit_test(test_calendars_and_adjust), cmocka_unit_test(test_religious_days_per_year),
        cmocka_unit_test(test_ramadan_2026),         cmocka_unit_test(test_admin_holidays),
        cmocka_unit_test(test_hours_casablanca),     cmocka_unit_test(test_hours_paris),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
