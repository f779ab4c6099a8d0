/* A series' dates as the agenda pages walk them from the event's iCalendar
 * text (plugins/agenda/series.h), and its rule in words in Arabic and
 * French (series_words.h). The offsets stand in for the host's tzdata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "series.h"
#include "series_words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H 3600
#define DAY 86400

/* ------------------------------------------------------------- helpers */

static int32_t utc_offset(int64_t t, void *data)
{
    (void)t;
    (void)data;
    return 0;
}

/* UTC+1 until the instant *data, UTC+0 from then on (Morocco's last
 * change, 2026-09-20, as a shape). */
static int32_t plus_one_until(int64_t t, void *data)
{
    return t < *(const int64_t *)data ? H : 0;
}

/* The event as event_ical would hand it out: a VCALENDAR around one
 * VEVENT with its zone's VTIMEZONE (which the walk must not need). */
static char *ics(const char *dtstart, const char *dtend, const char *rrule, const char *extra)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    fprintf(f,
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            "BEGIN:VTIMEZONE\r\nTZID:Africa/Casablanca\r\nBEGIN:STANDARD\r\nTZNAME:+00\r\n"
            "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nDTSTART:20261006T100000\r\n"
            "END:STANDARD\r\nEND:VTIMEZONE\r\n"
            "BEGIN:VEVENT\r\nUID:t\r\nDTSTAMP:20261207T095334Z\r\n%s\r\n%s%s%s\r\n%s%s"
            "SUMMARY:t\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            dtstart, dtend ? dtend : "", dtend ? "\r\n" : "", rrule, extra ? extra : "",
            extra ? "\r\n" : "");
    fclose(f);
    return out;
}

static void parse(series *s, const char *dtstart, const char *dtend, const char *rrule,
                  const char *extra, series_offset_fn fn, void *data)
{
    char *text = ics(dtstart, dtend, rrule, extra);
    /* Not NUL-terminated as far as the parser knows: len stops short of it. */
    assert_int_equal(series_parse(s, text, strlen(text), fn, data), 0);
    free(text);
}

static int64_t at(int y, int mo, int d, int h, int mi)
{
    return series_wall(y, mo, d, h, mi, 0);
}

#define CAFE_START "DTSTART;TZID=Africa/Casablanca:20261006T100000"
#define CAFE_END "DTEND;TZID=Africa/Casablanca:20261006T110000"

/* --------------------------------------------------------------- dates */

static void wall_clock_arithmetic(void **state)
{
    (void)state;
    assert_int_equal(series_wall(1970, 1, 1, 0, 0, 0), 0);
    assert_int_equal(series_wall(2026, 12, 7, 12, 0, 0), 1796644800);
    assert_int_equal(series_wall(2028, 2, 29, 0, 0, 0) + DAY, series_wall(2028, 3, 1, 0, 0, 0));
    assert_int_equal(series_wall(1969, 12, 31, 0, 0, 0), -DAY);
}

/* The sample's Openness Café: first Tuesdays from October 2026 to
 * December 2027 (UNTIL in UTC), August 2027 left out. */
static void openness_cafe_dates(void **state)
{
    (void)state;
    series s;
    parse(&s, CAFE_START, CAFE_END, "RRULE:FREQ=MONTHLY;UNTIL=20271231T235959Z;BYDAY=1TU",
          "EXDATE;TZID=Africa/Casablanca:20270803T100000", utc_offset, NULL);
    assert_int_equal(s.n, 14);
    assert_false(s.capped);
    assert_false(s.all_day);
    assert_int_equal(s.dates[0].start, at(2026, 10, 6, 10, 0));
    assert_int_equal(s.dates[0].end, at(2026, 10, 6, 11, 0));
    assert_int_equal(s.dates[13].start, at(2027, 12, 7, 10, 0));
    for (size_t i = 0; i < s.n; i++)
        assert_int_not_equal(s.dates[i].start, at(2027, 8, 3, 10, 0));
    assert_int_equal(s.dates[9].start, at(2027, 7, 6, 10, 0)); /* July, then September */
    assert_int_equal(s.dates[10].start, at(2027, 9, 7, 10, 0));
    /* On 2026-12-07 the next date is 2027-01-05; during a date, that date. */
    size_t next = series_next(&s, at(2026, 12, 7, 12, 0));
    assert_int_equal(next, 3);
    assert_int_equal(s.dates[next].start, at(2027, 1, 5, 10, 0));
    assert_int_equal(series_next(&s, at(2027, 1, 5, 10, 30)), 3);
    assert_int_equal(series_next(&s, at(2027, 1, 5, 11, 0)), 4);
    assert_int_equal(series_next(&s, at(2028, 1, 1, 0, 0)), s.n);
    series_free(&s);
}

/* Several exceptions in one EXDATE, as RFC 5545 allows. */
static void exdate_list(void **state)
{
    (void)state;
    series s;
    parse(&s, CAFE_START, CAFE_END, "RRULE:FREQ=MONTHLY;COUNT=4;BYDAY=1TU",
          "EXDATE;TZID=Africa/Casablanca:20261103T100000,20261201T100000", utc_offset, NULL);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.dates[0].start, at(2026, 10, 6, 10, 0));
    assert_int_equal(s.dates[1].start, at(2027, 1, 5, 10, 0));
    series_free(&s);
}

/* Instants from the offsets given, on each date's side of a change; UNTIL
 * in UTC is compared on the wall clock (10:00 local is 09:00 UTC there). */
static void offsets_and_utc_until(void **state)
{
    (void)state;
    int64_t change = at(2026, 9, 20, 2, 0);
    series s;
    parse(&s, "DTSTART;TZID=Africa/Casablanca:20260917T100000",
          "DTEND;TZID=Africa/Casablanca:20260917T110000", "RRULE:FREQ=DAILY;UNTIL=20260921T100000Z",
          NULL, plus_one_until, &change);
    assert_int_equal(s.n, 5); /* 17, 18, 19 (UTC+1), 20, 21 (UTC+0) */
    assert_int_equal(s.dates[0].start, at(2026, 9, 17, 9, 0));
    assert_int_equal(s.dates[2].end, at(2026, 9, 19, 10, 0));
    assert_int_equal(s.dates[3].start, at(2026, 9, 20, 10, 0));
    assert_int_equal(s.dates[4].wall, at(2026, 9, 21, 10, 0));
    series_free(&s);

    /* 10:00 local is 09:00 UTC: an UNTIL at 09:00Z keeps that date. */
    int64_t never = INT64_MAX;
    parse(&s, "DTSTART;TZID=Africa/Casablanca:20260910T100000", NULL,
          "RRULE:FREQ=DAILY;UNTIL=20260912T090000Z", NULL, plus_one_until, &never);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.dates[2].start, at(2026, 9, 12, 9, 0));
    assert_int_equal(s.dates[2].end, s.dates[2].start); /* no DTEND: no length */
    series_free(&s);
}

static void all_day_series(void **state)
{
    (void)state;
    series s;
    parse(&s, "DTSTART;VALUE=DATE:20270101", "DTEND;VALUE=DATE:20270103",
          "RRULE:FREQ=YEARLY;COUNT=3", "EXDATE;VALUE=DATE:20280101", utc_offset, NULL);
    assert_true(s.all_day);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.dates[0].start, at(2027, 1, 1, 0, 0));
    assert_int_equal(s.dates[0].end, at(2027, 1, 3, 0, 0));
    assert_int_equal(s.dates[1].start, at(2029, 1, 1, 0, 0));
    series_free(&s);
}

/* A start in UTC walks in UTC and is shown on the wall clock. */
static void utc_start(void **state)
{
    (void)state;
    int64_t never = INT64_MAX;
    series s;
    parse(&s, "DTSTART:20261006T090000Z", "DTEND:20261006T100000Z",
          "RRULE:FREQ=WEEKLY;UNTIL=20261020T090000Z", NULL, plus_one_until, &never);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.dates[2].start, at(2026, 10, 20, 9, 0));
    assert_int_equal(s.dates[2].wall, at(2026, 10, 20, 10, 0));
    series_free(&s);
}

static void walk_is_capped(void **state)
{
    (void)state;
    series s;
    parse(&s, CAFE_START, CAFE_END, "RRULE:FREQ=DAILY;COUNT=5000", NULL, utc_offset, NULL);
    assert_int_equal(s.n, SERIES_MAX_DATES);
    assert_true(s.capped);
    series_free(&s);
}

static void bad_text_refused(void **state)
{
    (void)state;
    series s;
    const char *none = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" CAFE_START "\r\nEND:VEVENT\r\n"
                       "END:VCALENDAR\r\n";
    assert_int_equal(series_parse(&s, none, strlen(none), utc_offset, NULL), -1);
    assert_int_equal(s.n, 0);
    assert_int_equal(series_parse(&s, "garbage", 7, utc_offset, NULL), -1);
    assert_int_equal(series_parse(&s, "", 0, utc_offset, NULL), -1);
    series_free(&s);
}

/* --------------------------------------------------------------- words */

static datefmt *df;

static int setup(void **state)
{
    (void)state;
    df = datefmt_new();
    return df ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    datefmt_free(df);
    return 0;
}

typedef struct {
    const char *dtstart, *rrule, *fr, *ar;
} worded;

static void assert_words(const worded *w)
{
    series s;
    char rrule[160], out[512];
    snprintf(rrule, sizeof rrule, "RRULE:%s", w->rrule);
    parse(&s, w->dtstart, NULL, rrule, NULL, utc_offset, NULL);
    assert_int_equal(series_words(&s, "fr", df, out, sizeof out), 0);
    if (strcmp(out, w->fr) != 0)
        fail_msg("%s (fr): \"%s\", not \"%s\"", w->rrule, out, w->fr);
    assert_int_equal(series_words(&s, "ar", df, out, sizeof out), 0);
    if (strcmp(out, w->ar) != 0)
        fail_msg("%s (ar): \"%s\", not \"%s\"", w->rrule, out, w->ar);
    series_free(&s);
}

#define TUE "DTSTART;TZID=Africa/Casablanca:20261006T100000" /* a Tuesday */
#define MON "DTSTART;TZID=Africa/Casablanca:20261005T100000"

static void rules_in_words(void **state)
{
    (void)state;
    static const worded cases[] = {
        {TUE, "FREQ=MONTHLY;UNTIL=20271231T235959Z;BYDAY=1TU",
         "chaque mois, le premier mardi, jusqu'au 7 décembre 2027",
         "كل شهر، يوم الثلاثاء الأول، حتى 7 دجنبر 2027"},
        {TUE, "FREQ=WEEKLY;COUNT=3", "chaque semaine, le mardi, jusqu'au 20 octobre 2026",
         "كل أسبوع، يوم الثلاثاء، حتى 20 أكتوبر 2026"},
        {MON, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=6",
         "toutes les 2 semaines, le lundi, le mercredi et le vendredi, jusqu'au 23 octobre 2026",
         "كل أسبوعين، أيام الاثنين والأربعاء والجمعة، حتى 23 أكتوبر 2026"},
        {MON, "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=2",
         "chaque semaine, le lundi et le jeudi, jusqu'au 8 octobre 2026",
         "كل أسبوع، يومي الاثنين والخميس، حتى 8 أكتوبر 2026"},
        {TUE, "FREQ=DAILY;INTERVAL=3;COUNT=4", "tous les 3 jours, jusqu'au 15 octobre 2026",
         "كل 3 أيام، حتى 15 أكتوبر 2026"},
        {TUE, "FREQ=DAILY;INTERVAL=12;COUNT=2", "tous les 12 jours, jusqu'au 18 octobre 2026",
         "كل 12 يوما، حتى 18 أكتوبر 2026"},
        {TUE, "FREQ=DAILY;COUNT=2", "chaque jour, jusqu'au 7 octobre 2026",
         "كل يوم، حتى 7 أكتوبر 2026"},
        {TUE, "FREQ=MONTHLY;BYDAY=-1FR;COUNT=2",
         "chaque mois, le dernier vendredi, jusqu'au 27 novembre 2026",
         "كل شهر، يوم الجمعة الأخير، حتى 27 نونبر 2026"},
        {TUE, "FREQ=MONTHLY;BYDAY=1MO,3TH;COUNT=2",
         "chaque mois, le premier lundi et le troisième jeudi, jusqu'au 2 novembre 2026",
         "كل شهر، يوم الاثنين الأول ويوم الخميس الثالث، حتى 2 نونبر 2026"},
        {TUE, "FREQ=MONTHLY;INTERVAL=2;BYDAY=-2WE;COUNT=2",
         "tous les 2 mois, l'avant-dernier mercredi, jusqu'au 23 décembre 2026",
         "كل شهرين، يوم الأربعاء ما قبل الأخير، حتى 23 دجنبر 2026"},
        {TUE, "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=4",
         "chaque mois, le 1er et le 15, jusqu'au 1 décembre 2026",
         "كل شهر، في الأيام 1 و15 من الشهر، حتى 1 دجنبر 2026"},
        {TUE, "FREQ=MONTHLY;COUNT=2", "chaque mois, le 6, jusqu'au 6 novembre 2026",
         "كل شهر، في اليوم 6 من الشهر، حتى 6 نونبر 2026"},
        {TUE, "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2",
         "chaque mois, le dernier jour du mois, jusqu'au 30 novembre 2026",
         "كل شهر، في آخر يوم من الشهر، حتى 30 نونبر 2026"},
        {TUE, "FREQ=YEARLY;COUNT=2", "chaque année, le 6 octobre, jusqu'au 6 octobre 2027",
         "كل سنة، في 6 أكتوبر، حتى 6 أكتوبر 2027"},
        {TUE, "FREQ=YEARLY;BYMONTH=4;BYDAY=2TU;COUNT=2",
         "chaque année, le deuxième mardi d'avril, jusqu'au 11 avril 2028",
         "كل سنة، يوم الثلاثاء الثاني من أبريل، حتى 11 أبريل 2028"},
        {TUE, "FREQ=YEARLY;BYMONTH=3;BYDAY=1MO;COUNT=2",
         "chaque année, le premier lundi de mars, jusqu'au 6 mars 2028",
         "كل سنة، يوم الاثنين الأول من مارس، حتى 6 مارس 2028"},
        /* Said as weekly: they skip no week. */
        {TUE, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=5",
         "chaque semaine, le lundi, le mardi, le mercredi, le jeudi et le vendredi, jusqu'au 12 "
         "octobre 2026",
         "كل أسبوع، أيام الاثنين والثلاثاء والأربعاء والخميس والجمعة، حتى 12 أكتوبر 2026"},
        {TUE, "FREQ=MONTHLY;BYDAY=TU;COUNT=3", "chaque semaine, le mardi, jusqu'au 20 octobre 2026",
         "كل أسبوع، يوم الثلاثاء، حتى 20 أكتوبر 2026"},
        /* Said generically. */
        {TUE, "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1;COUNT=2", "se répète jusqu'au 24 novembre 2026",
         "يتكرر حتى 24 نونبر 2026"},
        {TUE, "FREQ=HOURLY;INTERVAL=2;COUNT=3", "se répète jusqu'au 6 octobre 2026",
         "يتكرر حتى 6 أكتوبر 2026"},
        {TUE, "FREQ=YEARLY;BYMONTH=3,4;BYDAY=1MO;COUNT=2", "se répète jusqu'au 5 avril 2027",
         "يتكرر حتى 5 أبريل 2027"},
        {TUE, "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU;COUNT=2", "se répète jusqu'au 13 octobre 2026",
         "يتكرر حتى 13 أكتوبر 2026"},
        /* No end: nothing to be "until". */
        {TUE, "FREQ=WEEKLY", "chaque semaine, le mardi", "كل أسبوع، يوم الثلاثاء"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_words(&cases[i]);
}

/* The last date kept is the end said, not the rule's last one. */
static void words_end_at_last_date_kept(void **state)
{
    (void)state;
    series s;
    char out[256];
    parse(&s, TUE, NULL, "RRULE:FREQ=WEEKLY;COUNT=3",
          "EXDATE;TZID=Africa/Casablanca:20261020T100000", utc_offset, NULL);
    assert_int_equal(series_words(&s, "fr", df, out, sizeof out), 0);
    assert_string_equal(out, "chaque semaine, le mardi, jusqu'au 13 octobre 2026");
    /* Too small a buffer: nothing rather than half a phrase. */
    assert_int_equal(series_words(&s, "ar", df, out, 20), -1);
    assert_string_equal(out, "");
    series_free(&s);
    assert_int_equal(series_words(&s, "fr", df, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wall_clock_arithmetic), cmocka_unit_test(openness_cafe_dates),
        cmocka_unit_test(exdate_list),           cmocka_unit_test(offsets_and_utc_until),
        cmocka_unit_test(all_day_series),        cmocka_unit_test(utc_start),
        cmocka_unit_test(walk_is_capped),        cmocka_unit_test(bad_text_refused),
        cmocka_unit_test(rules_in_words),        cmocka_unit_test(words_end_at_last_date_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
