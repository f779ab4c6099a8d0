#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ical_import.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRLF "\r\n"
#define CAL(body)                                                                                  \
    "BEGIN:VCALENDAR" CRLF "VERSION:2.0" CRLF "PRODID:-//test//EN" CRLF body "END:VCALENDAR" CRLF
/* 2026-01-01T00:00:00Z */
#define NOW 1767225600

static ag_ical_limits limits(void)
{
    ag_ical_limits l;
    ag_ical_limits_default(&l, NOW);
    return l;
}

static ag_ical_result import_ok(const char *text, const ag_ical_limits *l)
{
    ag_ical_result r;
    char *err = NULL;
    int rc = ag_ical_import(text, strlen(text), l, &r, &err);
    if (rc != 0)
        fail_msg("import failed: %s", err ? err : "?");
    return r;
}

static const ag_ical_event *find(const ag_ical_result *r, const char *uid, int64_t rid)
{
    for (size_t i = 0; i < r->n_events; i++)
        if (strcmp(r->events[i].uid, uid) == 0 && r->events[i].recurrence_id == rid)
            return &r->events[i];
    return NULL;
}

/* Times in the zone named by TZID (system tzdata), in UTC, floating (the
 * default zone) and dates; text comes back unescaped. */
static void single_events(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    ag_ical_result r = import_ok(
        CAL("BEGIN:VEVENT" CRLF "UID:a" CRLF "DTSTART;TZID=Africa/Casablanca:20260301T093000" CRLF
            "DTEND;TZID=Africa/Casablanca:20260301T113000" CRLF
            "SUMMARY:Atelier\\, co-création\\nورشة" CRLF "SEQUENCE:3" CRLF "STATUS:CANCELLED" CRLF
            "END:VEVENT" CRLF "BEGIN:VEVENT" CRLF "UID:b" CRLF "DTSTART:20260601T080000Z" CRLF
            "DURATION:PT1H" CRLF "LOCATION:Fès" CRLF "END:VEVENT" CRLF "BEGIN:VEVENT" CRLF
            "UID:c" CRLF "DTSTART;VALUE=DATE:20260610" CRLF "END:VEVENT" CRLF "BEGIN:VEVENT" CRLF
            "UID:d" CRLF "DTSTART:20260610T100000" CRLF "END:VEVENT" CRLF),
        &l);
    assert_int_equal(r.n_events, 4);
    assert_int_equal(r.n_errors, 0);
    const ag_ical_event *a = find(&r, "a", 0);
    assert_non_null(a);
    /* Ramadan 2026: Morocco at UTC+0. */
    assert_int_equal(a->start, 1772357400);
    assert_int_equal(a->end - a->start, 7200);
    assert_string_equal(a->summary, "Atelier, co-création\nورشة");
    assert_int_equal(a->sequence, 3);
    assert_true(a->cancelled);
    const ag_ical_event *b = find(&r, "b", 0);
    assert_int_equal(b->start, 1780300800);
    assert_int_equal(b->end - b->start, 3600);
    assert_string_equal(b->location, "Fès");
    assert_null(b->summary);
    const ag_ical_event *c = find(&r, "c", 0);
    assert_true(c->all_day);
    assert_int_equal(c->start, 1781049600);
    assert_int_equal(c->end - c->start, 86400);
    /* Floating 10:00 in Casablanca, June 2026: UTC+1. */
    assert_int_equal(find(&r, "d", 0)->start, 1781082000);
    ag_ical_result_free(&r);
}

/* A series is expanded in the window, minus EXDATEs and overridden
 * instances; the override comes as its own event. */
static void series_expanded(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    ag_ical_result r = import_ok(
        CAL("BEGIN:VEVENT" CRLF "UID:s" CRLF "DTSTART:20260105T090000Z" CRLF
            "DTEND:20260105T100000Z" CRLF "RRULE:FREQ=WEEKLY;COUNT=5" CRLF
            "EXDATE:20260112T090000Z" CRLF "END:VEVENT" CRLF "BEGIN:VEVENT" CRLF "UID:s" CRLF
            "RECURRENCE-ID:20260119T090000Z" CRLF "DTSTART:20260119T140000Z" CRLF
            "DTEND:20260119T150000Z" CRLF "SUMMARY:moved" CRLF "END:VEVENT" CRLF),
        &l);
    /* 5 instances - 1 EXDATE - 1 overridden + the override. */
    assert_int_equal(r.n_events, 4);
    assert_null(find(&r, "s", 1768208400));
    const ag_ical_event *moved = find(&r, "s", 1768813200);
    assert_non_null(moved);
    assert_string_equal(moved->summary, "moved");
    assert_int_equal(moved->start, 1768831200);
    assert_non_null(find(&r, "s", 1769418000));
    assert_int_equal(r.n_rejected, 0);
    ag_ical_result_free(&r);
}

/* No COUNT, no UNTIL: refused, like in our own config. */
static void unbounded_rule_rejected(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    ag_ical_result r =
        import_ok(CAL("BEGIN:VEVENT" CRLF "UID:u" CRLF "DTSTART:20260105T090000Z" CRLF
                      "RRULE:FREQ=SECONDLY" CRLF "END:VEVENT" CRLF "BEGIN:VEVENT" CRLF "UID:ok" CRLF
                      "DTSTART:20260105T090000Z" CRLF "END:VEVENT" CRLF),
                  &l);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.n_rejected, 1);
    ag_ical_result_free(&r);
}

/* A bounded rule can still ask for billions of instances: the step cap
 * ends it, and what was cut is counted. */
static void huge_series_truncated(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    l.max_steps = 1000;
    ag_ical_result r =
        import_ok(CAL("BEGIN:VEVENT" CRLF "UID:h" CRLF "DTSTART:20000101T000000Z" CRLF
                      "RRULE:FREQ=SECONDLY;COUNT=2000000000" CRLF "END:VEVENT" CRLF),
                  &l);
    assert_int_equal(r.n_events, 0); /* all before the window */
    assert_int_equal(r.n_truncated, 1);
    ag_ical_result_free(&r);
    l.max_events = 10;
    r = import_ok(CAL("BEGIN:VEVENT" CRLF "UID:m" CRLF "DTSTART:20260101T000000Z" CRLF
                      "RRULE:FREQ=MINUTELY;UNTIL=20270101T000000Z" CRLF "END:VEVENT" CRLF),
                  &l);
    assert_int_equal(r.n_events, 10);
    assert_true(r.n_truncated > 0);
    ag_ical_result_free(&r);
}

/* An UNTIL series that started long ago starts iterating near the window. */
static void old_series_skips_ahead(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    l.max_steps = 100;
    ag_ical_result r =
        import_ok(CAL("BEGIN:VEVENT" CRLF "UID:old" CRLF "DTSTART:19900101T090000Z" CRLF
                      "RRULE:FREQ=DAILY;UNTIL=20250110T090000Z" CRLF "END:VEVENT" CRLF),
                  &l);
    /* The window opens 2025-01-01: 2025-01-01 .. 2025-01-10. */
    assert_int_equal(r.n_events, 10);
    ag_ical_result_free(&r);
}

static void errors_counted_and_bounded(void **state)
{
    (void)state;
    const char *text =
        CAL("BEGIN:VEVENT" CRLF "UID:e" CRLF "DTSTART:not-a-time" CRLF "END:VEVENT" CRLF
            "BEGIN:VEVENT" CRLF "UID:f" CRLF "DTSTART:20260105T090000Z" CRLF "END:VEVENT" CRLF);
    ag_ical_limits l = limits();
    ag_ical_result r = import_ok(text, &l);
    assert_true(r.n_errors >= 1);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.n_rejected, 1);
    ag_ical_result_free(&r);
    l.max_errors = 0;
    char *err = NULL;
    assert_int_equal(ag_ical_import(text, strlen(text), &l, &r, &err), -1);
    assert_non_null(strstr(err, "syntax errors"));
    free(err);
}

static void not_a_calendar(void **state)
{
    (void)state;
    ag_ical_limits l = limits();
    ag_ical_result r;
    char *err = NULL;
    const char *inputs[] = {"", "<html>404</html>", "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        assert_int_equal(ag_ical_import(inputs[i], strlen(inputs[i]), &l, &r, &err), -1);
        assert_non_null(err);
        free(err);
        err = NULL;
    }
    /* Bytes after a NUL are not read; the input need not end with one. */
    const char cut[] = CAL("") "\0garbage";
    r = import_ok(cut, &l);
    ag_ical_result_free(&r);
    assert_int_equal(ag_ical_import(cut, sizeof cut - 1, &l, &r, &err), 0);
    ag_ical_result_free(&r);
}

int main(void)
{
    if (ag_tz_init() != 0) {
        fprintf(stderr, "tz init failed\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_events),           cmocka_unit_test(series_expanded),
        cmocka_unit_test(unbounded_rule_rejected), cmocka_unit_test(huge_series_truncated),
        cmocka_unit_test(old_series_skips_ahead),  cmocka_unit_test(errors_counted_and_bounded),
        cmocka_unit_test(not_a_calendar),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ag_tz_shutdown();
    return rc;
}
