/* The one recurrence walk (recur.h) and an event's series over it
 * (model_series.h): the cap, its flag, exceptions and UNTIL in local time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model_series.h"
#include "recur.h"
#include "tz.h"

#include <string.h>

static size_t walk(const char *rule, size_t max, bool *capped)
{
    ag_recur w;
    icaltimetype start = icaltime_from_string("20260105T100000");
    assert_int_equal(ag_recur_begin(&w, icalrecurrencetype_from_string(rule), start, max), 0);
    icaltimetype t;
    size_t n = 0;
    while (ag_recur_next(&w, &t))
        n++;
    *capped = w.capped;
    ag_recur_end(&w);
    return n;
}

/* A rule with exactly max dates is whole; one more date is capped, and the
 * walk never gives more than max. */
static void cap_is_exact(void **state)
{
    (void)state;
    bool capped;
    assert_int_equal(walk("FREQ=DAILY;COUNT=1000", AG_RECUR_MAX_INSTANCES, &capped), 1000);
    assert_false(capped);
    assert_int_equal(walk("FREQ=DAILY;COUNT=1001", AG_RECUR_MAX_INSTANCES, &capped), 1000);
    assert_true(capped);
    /* Unbounded and sub-daily: the cap alone ends it, at once. */
    assert_int_equal(walk("FREQ=SECONDLY", 50, &capped), 50);
    assert_true(capped);
}

static void unexpandable_rule_fails_cleanly(void **state)
{
    (void)state;
    ag_recur w;
    struct icalrecurrencetype r = icalrecurrencetype_from_string("FREQ=WEEKLY;COUNT=2");
    r.freq = ICAL_NO_RECURRENCE;
    icaltimetype t;
    if (ag_recur_begin(&w, r, icaltime_from_string("20260105T100000"), 10) == 0)
        while (ag_recur_next(&w, &t))
            ;
    ag_recur_end(&w); /* safe either way */
    ag_recur_end(&w);
}

static ag_event event(const char *rrule, ag_datetime *exdates, size_t n_exdates)
{
    ag_event e;
    memset(&e, 0, sizeof e);
    e.uid = (char *)"cafe";
    e.tzid = (char *)"Africa/Casablanca";
    e.start = (ag_datetime){2026, 10, 6, 10, 0, 0, false};
    e.end = (ag_datetime){2026, 10, 6, 12, 0, 0, false};
    e.rrule = (char *)rrule;
    e.exdates = exdates;
    e.n_exdates = n_exdates;
    return e;
}

/* The monthly Openness Café: exceptions are left out, and a UTC UNTIL is
 * compared on the event's wall clock (Casablanca is UTC+0 from 2026-09-20,
 * so 10:00Z on the first Tuesday of February 2027 is still that day). */
static void series_skips_exceptions_and_reads_until_locally(void **state)
{
    (void)state;
    ag_datetime skip[] = {{2026, 11, 3, 10, 0, 0, false}};
    ag_event e = event("FREQ=MONTHLY;BYDAY=1TU;UNTIL=20270202T100000Z", skip, 1);
    ag_series s;
    assert_int_equal(ag_series_parse(&e, &s), 0);
    assert_true(s.has_until);
    ag_series_walk w;
    assert_int_equal(ag_series_walk_begin(&w, &e, &s), 0);
    const int want[][3] = {{2026, 10, 6}, {2026, 12, 1}, {2027, 1, 5}, {2027, 2, 2}};
    icaltimetype t;
    size_t n = 0;
    while (ag_series_walk_next(&w, &t)) {
        assert_true(n < 4);
        assert_int_equal(t.year, want[n][0]);
        assert_int_equal(t.month, want[n][1]);
        assert_int_equal(t.day, want[n][2]);
        n++;
    }
    ag_series_walk_end(&w);
    assert_int_equal(n, 4);
}

static void series_rejects_a_bad_rule(void **state)
{
    (void)state;
    ag_event e = event("FREQ=NEVER", NULL, 0);
    ag_series s;
    assert_true(ag_series_parse(&e, &s) < 0);
}

int main(void)
{
    ag_tz_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cap_is_exact),
        cmocka_unit_test(unexpandable_rule_fails_cleanly),
        cmocka_unit_test(series_skips_exceptions_and_reads_until_locally),
        cmocka_unit_test(series_rejects_a_bad_rule),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ag_tz_shutdown();
    return rc;
}
