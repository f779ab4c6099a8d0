/* The feed writes some lines without libical (ag_feed_buf_plain,
 * ag_feed_buf_utc); subscribers must get libical's bytes all the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "feed_internal.h"

#include <stdlib.h>
#include <string.h>

static char *libical_text(const char *name, const char *lang, const char *value)
{
    icalproperty *p = strcmp(name, "UID") == 0        ? icalproperty_new_uid(value)
                      : strcmp(name, "URL") == 0      ? icalproperty_new_url(value)
                      : strcmp(name, "SEQUENCE") == 0 ? icalproperty_new_sequence(atoi(value))
                      : strcmp(name, "SUMMARY") == 0  ? icalproperty_new_summary(value)
                                                      : icalproperty_new_location(value);
    if (lang)
        icalproperty_add_parameter(p, icalparameter_new_language(lang));
    char *s = icalproperty_as_ical_string_r(p);
    icalproperty_free(p);
    return s;
}

/* Either the fast path declines, or it writes what libical writes. */
static void check_text(const char *name, const char *lang, const char *value, bool want_fast)
{
    ag_feed_buf b = {0};
    bool fast = ag_feed_buf_plain(&b, name, lang, value);
    char *want = libical_text(name, lang, value);
    if (fast)
        assert_string_equal(b.data, want);
    else
        assert_int_equal(b.len, 0);
    if (want_fast)
        assert_true(fast);
    free(want);
    free(b.data);
}

static void short_plain_text_is_libicals(void **state)
{
    (void)state;
    check_text("UID", NULL, "bench-000000/slot-1", true);
    check_text("SUMMARY", "ar", "فقرة 1 من النشاط 0", true);
    check_text("SUMMARY", "fr", "Séquence 1 de l'activité 0 : ouverture", true);
    check_text("LOCATION", "fr", "Siège \"du\" Conseil <régional> & co", true);
    check_text("SUMMARY", "fr", "ⵜⴰⵎⴰⵣⵉⵖⵜ", true);
    check_text("URL", NULL, "http://127.0.0.1:8080/events/bench-000000", true);
    check_text("URL", NULL, "https://agenda.rmcto.example/events/2027-02-general-assembly", true);
    check_text("SEQUENCE", NULL, "0", true);
    check_text("SEQUENCE", NULL, "2147483647", true);
}

static void text_libical_changes_is_left_to_it(void **state)
{
    (void)state;
    const char *const values[] = {"a,b",      "a;b",    "a\\b",     "two\nlines",
                                  "cr\rx",    "tab\tx", "del\x7f",  "",
                                  "\xff\xfe", "\xd8",   "\xc0\xaf", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        check_text("SUMMARY", "fr", values[i], false);
        ag_feed_buf b = {0};
        assert_false(ag_feed_buf_plain(&b, "SUMMARY", "fr", values[i]) && values[i][0]);
        free(b.data);
    }
}

/* Around libical's folding threshold, in ASCII and in 2- and 3-octet
 * characters, with and without a parameter. */
static void lengths_around_the_fold_are_libicals(void **state)
{
    (void)state;
    const char *const units[] = {"a", "ف", "ⵣ", "é"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        char v[400] = "";
        for (int n = 0; n < 90; n++) {
            check_text("UID", NULL, v, false);
            check_text("URL", NULL, v, false);
            check_text("SUMMARY", "ar", v, false);
            strcat(v, units[u]);
        }
    }
}

static void random_text_is_libicals(void **state)
{
    (void)state;
    const char *const pieces[] = {"a", "Z", " ", ":",  "'",  "\"", "ف",
                                  "é", ",", ";", "\\", "\n", "-"};
    srand(7);
    for (int round = 0; round < 5000; round++) {
        char v[300] = "";
        int n = rand() % 60;
        for (int i = 0; i < n; i++)
            strcat(v, pieces[rand() % (int)(sizeof pieces / sizeof pieces[0])]);
        check_text(round % 3 == 1 ? "SUMMARY"
                   : round % 3    ? "URL"
                                  : "UID",
                   round % 3 == 1 ? "fr" : NULL, v, false);
    }
}

static void check_utc(int64_t t)
{
    ag_feed_buf fast = {0}, slow = {0};
    ag_feed_buf_utc(&fast, "DTSTART", t);
    ag_feed_buf_time(&slow, "DTSTART",
                     icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone()));
    assert_string_equal(fast.data, slow.data);
    free(fast.data);
    free(slow.data);
}

static void utc_times_are_libicals(void **state)
{
    (void)state;
    const int64_t times[] = {0,          -1,           1678176000,  1678179599, 951782400,
                             4102444799, 253402300799, -2208988800, 1790000000, 86399,
                             -86400,     -86401,       951868800,   4107542400, -62135596800};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        check_utc(times[i]);
    /* Every day of 1900-2100 at a varying time: leap years, month ends. */
    for (int64_t t = -2208988800; t < 4102444800; t += 86400 + 3607)
        check_utc(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_plain_text_is_libicals),
        cmocka_unit_test(text_libical_changes_is_left_to_it),
        cmocka_unit_test(lengths_around_the_fold_are_libicals),
        cmocka_unit_test(random_text_is_libicals),
        cmocka_unit_test(utc_times_are_libicals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
