/* The import mapping of agendad-ical-import: what a member's feed becomes. */
#include "ical_import.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CAL(body) "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" body "END:VCALENDAR\r\n"

static const si_limits lim = {0, 4102444800LL, 1000, 100000, 1000, "Africa/Casablanca", false};

static json_t *ok(const char *text, const si_limits *l)
{
    char *err = NULL;
    json_t *a = si_import(text, l ? l : &lim, &err);
    if (!a)
        fail_msg("refused: %s", err);
    return a;
}

static char *refused(const char *text)
{
    char *err = NULL;
    json_t *a = si_import(text, &lim, &err);
    assert_null(a);
    assert_non_null(err);
    return err;
}

static json_t *find(json_t *arr, const char *uid)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "uid")), uid) == 0)
            return json_array_get(arr, i);
    return NULL;
}

static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void one_off_in_utc_and_floating_in_default_zone(void **state)
{
    (void)state;
    json_t *a = ok(CAL("BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:A\r\nDTSTART:20230307T093000Z\r\n"
                       "DTEND:20230307T133000Z\r\nEND:VEVENT\r\n"
                       "BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:B\r\nDTSTART:20230307T093000\r\n"
                       "DURATION:PT1H\r\nEND:VEVENT\r\n"),
                   NULL);
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(num(find(a, "a"), "start"), 1678181400);
    assert_int_equal(num(find(a, "a"), "end"), 1678181400 + 4 * 3600);
    /* Floating 09:30 in Casablanca (UTC+1 in March 2023) is 08:30Z. */
    assert_int_equal(num(find(a, "b"), "start"), 1678177800);
    assert_int_equal(num(find(a, "b"), "end"), 1678177800 + 3600);
    json_decref(a);
}

static void all_day_lasts_whole_days(void **state)
{
    (void)state;
    json_t *a = ok(CAL("BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:D\r\nDTSTART;VALUE=DATE:20270201\r\n"
                       "END:VEVENT\r\n"),
                   NULL);
    json_t *d = find(a, "d");
    assert_true(json_is_true(json_object_get(d, "all_day")));
    assert_int_equal(num(d, "end") - num(d, "start"), 86400);
    json_decref(a);
}

static const char series[] =
    CAL("BEGIN:VTIMEZONE\r\nTZID:Romance Standard Time\r\nBEGIN:STANDARD\r\n"
        "DTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n"
        "DTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:w\r\nSUMMARY;LANGUAGE=fr:Réunion\r\n"
        "DTSTART;TZID=Romance Standard Time:20270322T100000\r\n"
        "DTEND;TZID=Romance Standard Time:20270322T110000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
        "EXDATE;TZID=Romance Standard Time:20270329T100000\r\nCATEGORIES:Digitalisation\r\n"
        "ATTENDEE;CN=X:mailto:x@example.org\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Romance Standard Time:20270405T100000\r\n"
        "SUMMARY:Déplacée\r\nDTSTART;TZID=Romance Standard Time:20270405T150000\r\n"
        "DTEND;TZID=Romance Standard Time:20270405T160000\r\nEND:VEVENT\r\n");

static void series_with_exdate_override_and_windows_zone(void **state)
{
    (void)state;
    json_t *a = ok(series, NULL);
    assert_int_equal(json_array_size(a), 2);
    /* Windows name → Europe/Paris: CET on 22 March, CEST after the 28th. */
    json_t *first = find(a, "w/20270322T090000Z");
    assert_non_null(first);
    assert_string_equal(json_string_value(json_object_get(first, "tzid")), "Europe/Paris");
    assert_string_equal(json_string_value(json_object_get(first, "lang")), "fr");
    assert_string_equal(json_string_value(json_array_get(json_object_get(first, "categories"), 0)),
                        "Digitalisation");
    assert_null(find(a, "w/20270329T080000Z")); /* EXDATE */
    json_t *moved = find(a, "w/20270405T080000Z");
    assert_non_null(moved);
    assert_string_equal(json_string_value(json_object_get(moved, "summary")), "Déplacée");
    assert_int_equal(num(moved, "start"), 1806930000); /* 15:00 CEST = 13:00Z */
    assert_null(json_object_get(first, "attendees"));
    json_decref(a);
}

static void attendees_only_when_asked(void **state)
{
    (void)state;
    si_limits l = lim;
    l.private_data = true;
    json_t *a = ok(series, &l);
    json_t *att = json_object_get(find(a, "w/20270322T090000Z"), "attendees");
    assert_int_equal(json_array_size(att), 1);
    json_t *x = json_array_get(att, 0);
    assert_string_equal(json_string_value(json_object_get(x, "address")), "mailto:x@example.org");
    assert_string_equal(json_string_value(json_object_get(x, "cn")), "X");
    json_decref(a);
}

static void private_and_confidential_are_left_out(void **state)
{
    (void)state;
    json_t *a = ok(CAL("BEGIN:VEVENT\r\nUID:p\r\nSUMMARY:P\r\nCLASS:PRIVATE\r\n"
                       "DTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
                       "BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:C\r\nCLASS:CONFIDENTIAL\r\n"
                       "DTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"),
                   NULL);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

static void window_bounds_occurrences(void **state)
{
    (void)state;
    si_limits l = lim;
    l.from = 1798761600; /* 2027-01-01 */
    l.to = l.from + 7 * 86400;
    json_t *a = ok(CAL("BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:D\r\nDTSTART:20260101T100000Z\r\n"
                       "RRULE:FREQ=DAILY;COUNT=3000\r\nEND:VEVENT\r\n"),
                   &l);
    assert_int_equal(json_array_size(a), 7);
    json_decref(a);
}

static void refusals_say_why(void **state)
{
    (void)state;
    char *e = refused(CAL("BEGIN:VEVENT\r\nUID:e\r\nSUMMARY:E\r\nDTSTART:20270101T100000Z\r\n"
                          "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"));
    assert_non_null(strstr(e, "no end"));
    free(e);
    e = refused(CAL("BEGIN:VEVENT\r\nUID:z\r\nSUMMARY:Z\r\n"
                    "DTSTART;TZID=Nowhere/Land:20270101T100000\r\nEND:VEVENT\r\n"));
    assert_non_null(strstr(e, "unknown time zone \"Nowhere/Land\""));
    free(e);
    e = refused("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:t\r\n");
    assert_non_null(strstr(e, "complete iCalendar"));
    free(e);
    e = refused(CAL("BEGIN:VEVENT\r\nUID:m\r\nSUMMARY:M\r\nDTSTART:yesterday\r\nEND:VEVENT\r\n"));
    assert_non_null(strstr(e, "malformed"));
    free(e);
    e = refused(CAL("BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:S\r\nDTSTART:20270101T100000Z\r\n"
                    "RRULE:FREQ=SECONDLY;COUNT=100000000\r\nEND:VEVENT\r\n"));
    assert_non_null(strstr(e, "occurrences"));
    free(e);
}

static void windows_zone_table(void **state)
{
    (void)state;
    assert_string_equal(si_windows_zone("Morocco Standard Time"), "Africa/Casablanca");
    assert_string_equal(si_windows_zone("W. Europe Standard Time"), "Europe/Berlin");
    assert_null(si_windows_zone("Europe/Paris"));
    assert_null(si_windows_zone(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_off_in_utc_and_floating_in_default_zone),
        cmocka_unit_test(all_day_lasts_whole_days),
        cmocka_unit_test(series_with_exdate_override_and_windows_zone),
        cmocka_unit_test(attendees_only_when_asked),
        cmocka_unit_test(private_and_confidential_are_left_out),
        cmocka_unit_test(window_bounds_occurrences),
        cmocka_unit_test(refusals_say_why),
        cmocka_unit_test(windows_zone_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
