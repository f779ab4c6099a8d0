/* The import mapping of agendad-ical-import: what a member's feed becomes,
 * as events and as busy time. */
#include "ical_import.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CAL(body) "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" body "END:VCALENDAR\r\n"

static const si_limits lim = {.to = 4102444800LL,
                              .max_instances = 1000,
                              .max_iterations = 100000,
                              .max_events = 1000,
                              .default_tzid = "Africa/Casablanca"};

/* The whole result: {"events": [...], "busy": [...]}. */
static json_t *imported(const char *text, const si_limits *l)
{
    char *err = NULL;
    json_t *r = si_import(text, l ? l : &lim, &err);
    if (!r)
        fail_msg("refused: %s", err);
    assert_true(json_is_array(json_object_get(r, "events")));
    assert_true(json_is_array(json_object_get(r, "busy")));
    return r;
}

/* Its events (the caller decrefs them). */
static json_t *ok(const char *text, const si_limits *l)
{
    json_t *r = imported(text, l);
    json_t *a = json_incref(json_object_get(r, "events"));
    json_decref(r);
    return a;
}

/* Its busy time (the caller decrefs it). */
static json_t *busy_of(const char *text, const si_limits *l)
{
    json_t *r = imported(text, l);
    json_t *b = json_incref(json_object_get(r, "busy"));
    json_decref(r);
    return b;
}

static long long iv(json_t *busy, size_t i, size_t field)
{
    return json_integer_value(json_array_get(json_array_get(busy, i), field));
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

/* What counts as busy: every occurrence but transparent and cancelled ones,
 * private and confidential ones too (which are no events), tentative ones
 * marked; the times only. */
static const char mixed[] =
    CAL("BEGIN:VEVENT\r\nUID:busy\r\nSUMMARY:Busy\r\nDTSTART:20270104T090000Z\r\n"
        "DTEND:20270104T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:free\r\nSUMMARY:Free\r\nTRANSP:TRANSPARENT\r\n"
        "DTSTART:20270104T110000Z\r\nDTEND:20270104T120000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:off\r\nSUMMARY:Off\r\nSTATUS:CANCELLED\r\n"
        "DTSTART:20270104T130000Z\r\nDTEND:20270104T140000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:secret\r\nSUMMARY:Secret\r\nCLASS:PRIVATE\r\n"
        "DTSTART:20270105T090000Z\r\nDTEND:20270105T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:conf\r\nSUMMARY:Conf\r\nCLASS:CONFIDENTIAL\r\n"
        "DTSTART:20270105T110000Z\r\nDTEND:20270105T113000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:maybe\r\nSUMMARY:Maybe\r\nSTATUS:TENTATIVE\r\n"
        "DTSTART:20270106T090000Z\r\nDTEND:20270106T100000Z\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:instant\r\nSUMMARY:Instant\r\nDTSTART:20270107T090000Z\r\n"
        "END:VEVENT\r\n");

static void busy_time_counts_private_not_transparent_or_cancelled(void **state)
{
    (void)state;
    json_t *r = imported(mixed, NULL);
    json_t *ev = json_object_get(r, "events"), *b = json_object_get(r, "busy");
    /* Events as before: transparent and cancelled ones published, private
     * ones not. */
    assert_int_equal(json_array_size(ev), 5);
    assert_non_null(find(ev, "free"));
    assert_non_null(find(ev, "off"));
    assert_null(find(ev, "secret"));
    assert_null(find(ev, "conf"));
    assert_int_equal(json_array_size(b), 4);
    /* In uid order: busy, conf, maybe, secret. */
    assert_int_equal(iv(b, 0, 0), 1799053200); /* busy, 2027-01-04T09:00Z */
    assert_int_equal(iv(b, 0, 1), 1799056800);
    assert_int_equal(iv(b, 0, 2), 0);
    assert_int_equal(iv(b, 1, 0), 1799146800); /* conf */
    assert_int_equal(iv(b, 1, 1), 1799148600);
    assert_int_equal(iv(b, 2, 0), 1799226000); /* maybe */
    assert_int_equal(iv(b, 2, 2), 1);
    assert_int_equal(iv(b, 3, 0), 1799139600); /* secret */
    assert_int_equal(iv(b, 3, 2), 0);
    /* Nothing but three numbers per interval. */
    for (size_t i = 0; i < json_array_size(b); i++)
        assert_int_equal(json_array_size(json_array_get(b, i)), 3);
    json_decref(r);
}

/* A private series is expanded as busy time with its EXDATEs and
 * overrides (a cancelled override frees its occurrence, a moved one moves
 * it), even without an end; a public series without an end is refused. */
static void private_series_is_busy_time(void **state)
{
    (void)state;
    si_limits l = lim;
    l.from = 1798761600; /* 2027-01-01 */
    l.to = l.from + 28 * 86400;
    json_t *b = busy_of(
        CAL("BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:S\r\nCLASS:PRIVATE\r\n"
            "DTSTART;TZID=Europe/Paris:20261005T100000\r\nDTEND;TZID=Europe/"
            "Paris:20261005T110000\r\n"
            "RRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Paris:20270111T100000\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:S\r\nRECURRENCE-ID;TZID=Europe/"
            "Paris:20270118T100000\r\n"
            "STATUS:CANCELLED\r\nDTSTART;TZID=Europe/Paris:20270118T100000\r\n"
            "DTEND;TZID=Europe/Paris:20270118T110000\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:S\r\nRECURRENCE-ID;TZID=Europe/"
            "Paris:20270125T100000\r\n"
            "DTSTART;TZID=Europe/Paris:20270125T150000\r\n"
            "DTEND;TZID=Europe/Paris:20270125T160000\r\nEND:VEVENT\r\n"),
        &l);
    /* Mondays 4, 11 (EXDATE), 18 (cancelled), 25 (moved to 15:00 CET). */
    assert_int_equal(json_array_size(b), 2);
    assert_int_equal(iv(b, 0, 0), 1799053200); /* 2027-01-04T09:00Z */
    assert_int_equal(iv(b, 1, 0), 1800885600); /* 2027-01-25T14:00Z */
    assert_int_equal(iv(b, 1, 1), 1800889200);
    json_decref(b);
    char *e = refused(CAL("BEGIN:VEVENT\r\nUID:p\r\nSUMMARY:P\r\nDTSTART:20270101T100000Z\r\n"
                          "RRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"));
    assert_non_null(strstr(e, "no end"));
    free(e);
}

/* An all-day event is busy for the member's local days: across Paris's
 * midnight, not UTC's. */
static void all_day_busy_follows_the_members_days(void **state)
{
    (void)state;
    si_limits l = lim;
    l.day_tzid = "Europe/Paris";
    json_t *b = busy_of(CAL("BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:D\r\nDTSTART;VALUE=DATE:20270701\r\n"
                            "DTEND;VALUE=DATE:20270703\r\nEND:VEVENT\r\n"),
                        &l);
    assert_int_equal(json_array_size(b), 1);
    assert_int_equal(iv(b, 0, 0), 1814392800); /* 2027-06-30T22:00Z: midnight CEST */
    assert_int_equal(iv(b, 0, 1), 1814392800 + 2 * 86400);
    json_decref(b);
}

/* RDATEs are busy time (and, as ever, not published). */
static void rdates_are_busy_time(void **state)
{
    (void)state;
    json_t *r = imported(CAL("BEGIN:VEVENT\r\nUID:r\r\nSUMMARY:R\r\nDTSTART:20270104T090000Z\r\n"
                             "DTEND:20270104T100000Z\r\nRDATE:20270201T090000Z,20270301T090000Z\r\n"
                             "EXDATE:20270301T090000Z\r\nEND:VEVENT\r\n"),
                         NULL);
    json_t *b = json_object_get(r, "busy");
    assert_int_equal(json_array_size(json_object_get(r, "events")), 1);
    assert_int_equal(json_array_size(b), 2);
    assert_int_equal(iv(b, 1, 0), 1801472400); /* 2027-02-01T09:00Z */
    assert_int_equal(iv(b, 1, 1) - iv(b, 1, 0), 3600);
    json_decref(r);
}

/* Busy time starts at busy_from and has its own cap: a private daily
 * series is no event, and the per-series cap of published ones is not
 * its. */
static void busy_has_its_own_window_and_cap(void **state)
{
    (void)state;
    static const char daily[] = CAL("BEGIN:VEVENT\r\nUID:d\r\nSUMMARY:D\r\nCLASS:PRIVATE\r\n"
                                    "DTSTART:20270101T120000Z\r\nDTEND:20270101T130000Z\r\n"
                                    "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n");
    si_limits l = lim;
    l.from = 1798761600; /* 2027-01-01 */
    l.to = l.from + 1200 * 86400;
    l.busy_from = l.from + 10 * 86400;
    l.max_instances = 100;
    l.max_busy = 1500;
    json_t *b = busy_of(daily, &l);
    assert_int_equal(json_array_size(b), 1190);
    assert_int_equal(iv(b, 0, 0), l.busy_from + 12 * 3600);
    json_decref(b);
    l.max_busy = 1000;
    char *err = NULL;
    assert_null(si_import(daily, &l, &err));
    assert_non_null(strstr(err, "more than 1000 busy intervals"));
    free(err);
}

static void busy_only_skips_the_networks_own(void **state)
{
    (void)state;
    static const char *const skip[] = {"maybe", "secret"};
    si_limits l = lim;
    l.skip_uids = skip;
    l.n_skip_uids = 2;
    json_t *b = json_array();
    char *err = NULL;
    assert_true(si_busy(mixed, &l, b, &err));
    assert_int_equal(json_array_size(b), 2); /* busy and conf */
    /* A refused calendar adds nothing. */
    assert_false(si_busy(CAL("BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=No/Where:20270101T100000\r\n"
                             "END:VEVENT\r\n"),
                         &l, b, &err));
    assert_non_null(strstr(err, "No/Where"));
    free(err);
    assert_int_equal(json_array_size(b), 2);
    json_decref(b);
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
        cmocka_unit_test(busy_time_counts_private_not_transparent_or_cancelled),
        cmocka_unit_test(private_series_is_busy_time),
        cmocka_unit_test(all_day_busy_follows_the_members_days),
        cmocka_unit_test(rdates_are_busy_time),
        cmocka_unit_test(busy_has_its_own_window_and_cap),
        cmocka_unit_test(busy_only_skips_the_networks_own),
        cmocka_unit_test(windows_zone_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
