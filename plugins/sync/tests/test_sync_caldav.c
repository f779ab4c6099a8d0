/* A member's CalDAV answers as busy time (caldav_busy.c): the free/busy of
 * a free-busy-query, the resources of a calendar-query's multistatus, and
 * the network's own events taken out. */
#include "caldav_busy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define JAN4 INT64_C(1799020800) /* 2027-01-04T00:00Z */
#define H INT64_C(3600)

static const si_limits lim = {.from = JAN4 - 3 * 86400,
                              .to = JAN4 + 28 * 86400,
                              .max_instances = 1000,
                              .max_iterations = 100000,
                              .max_events = 100,
                              .default_tzid = "Africa/Casablanca"};

static long long iv(json_t *busy, size_t i, size_t field)
{
    return json_integer_value(json_array_get(json_array_get(busy, i), field));
}

/* As xandikos 0.2.8 answers: a TZID parameter beside UTC times. */
static const char freebusy_answer[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VFREEBUSY\r\n"
    "DTSTART;VALUE=DATE-TIME:20270101T000000Z\r\nDTEND;VALUE=DATE-TIME:20270201T000000Z\r\n"
    "FREEBUSY;TZID=UTC:20270104T090000Z/20270104T100000Z\r\n"
    "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270105T090000Z/PT2H,20270106T090000Z/20270106T093000Z\r\n"
    "FREEBUSY;FBTYPE=FREE:20270107T090000Z/20270107T100000Z\r\n"
    "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20270108T090000Z/20270108T100000Z\r\n"
    "FREEBUSY:20300101T090000Z/20300101T100000Z\r\n"
    "END:VFREEBUSY\r\nEND:VCALENDAR\r\n";

static void freebusy_periods(void **state)
{
    (void)state;
    json_t *b = json_array();
    char *err = NULL;
    assert_int_equal(si_freebusy(freebusy_answer, &lim, b, &err), 1);
    /* FREE and the period after the window are left out. */
    assert_int_equal(json_array_size(b), 4);
    assert_int_equal(iv(b, 0, 0), JAN4 + 9 * H);
    assert_int_equal(iv(b, 0, 1), JAN4 + 10 * H);
    assert_int_equal(iv(b, 0, 2), 0);
    assert_int_equal(iv(b, 1, 0), JAN4 + 86400 + 9 * H);
    assert_int_equal(iv(b, 1, 1), JAN4 + 86400 + 11 * H);
    assert_int_equal(iv(b, 1, 2), 1);
    assert_int_equal(iv(b, 2, 2), 1);
    assert_int_equal(iv(b, 3, 0), JAN4 + 4 * 86400 + 9 * H);
    assert_int_equal(iv(b, 3, 2), 0);
    json_decref(b);
}

/* What a server that does not do free-busy-query answers instead. */
static void no_vfreebusy_is_unsupported(void **state)
{
    (void)state;
    static const char *const answers[] = {
        "<?xml version='1.0'?><multistatus xmlns=\"DAV:\"><response><href>/u/cal/a.ics</href>"
        "</response></multistatus>",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VFREEBUSY\r\n",
        "",
    };
    for (size_t i = 0; i < sizeof answers / sizeof *answers; i++) {
        json_t *b = json_array();
        char *err = NULL;
        assert_int_equal(si_freebusy(answers[i], &lim, b, &err), 0);
        assert_int_equal(json_array_size(b), 0);
        json_decref(b);
    }
}

static json_t *spans(const long long (*v)[3], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("[I,I,i]", (json_int_t)v[i][0], (json_int_t)v[i][1], (int)v[i][2]));
    return a;
}

/* The network's events come out of the server's free/busy; what remains
 * keeps its flag. */
static void network_events_are_taken_out(void **state)
{
    (void)state;
    static const long long busy[][3] = {{100, 200, 0}, {300, 600, 1}, {700, 800, 0}};
    static const long long minus[][3] = {
        {650, 900, 0}, {350, 400, 0}, {100, 200, 1}, {380, 450, 0}};
    json_t *b = spans(busy, 3), *m = spans(minus, 4);
    json_t *out = si_busy_subtract(b, m);
    assert_int_equal(json_array_size(out), 2);
    assert_int_equal(iv(out, 0, 0), 300);
    assert_int_equal(iv(out, 0, 1), 350);
    assert_int_equal(iv(out, 0, 2), 1);
    assert_int_equal(iv(out, 1, 0), 450);
    assert_int_equal(iv(out, 1, 1), 600);
    json_decref(out);
    json_decref(b);
    json_decref(m);
}

#define RESOURCE(href, body)                                                                       \
    "<D:response><D:href>" href "</D:href><D:propstat><D:prop><C:calendar-data>"                   \
    "BEGIN:VCALENDAR&#13;\nVERSION:2.0\nPRODID:-//m//EN\n" body "END:VCALENDAR\n"                  \
    "</C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"

#define MULTISTATUS(body)                                                                          \
    "<?xml version='1.0' encoding='utf-8'?>\n<D:multistatus xmlns:D=\"DAV:\" "                     \
    "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">" body "</D:multistatus>"

static const char query_answer[] = MULTISTATUS(
    RESOURCE("/u/cal/own.ics", "BEGIN:VEVENT\nUID:own\nDTSTART:20270104T090000Z\n"
                               "DTEND:20270104T100000Z\nCLASS:PRIVATE\nSUMMARY:x\nEND:VEVENT\n")
    /* What agendad pushed, by name (its @ percent-encoded by the server). */
    RESOURCE("/u/cal/agendad-push%40net.ics",
             "BEGIN:VEVENT\nUID:push@net\nDTSTART:20270105T090000Z\nDTEND:20270105T100000Z\n"
             "END:VEVENT\n")
    /* A copy of a network event under another name: by uid. */
    RESOURCE("/u/cal/copy.ics", "BEGIN:VEVENT\nUID:net-2\nDTSTART:20270106T090000Z\n"
                                "DTEND:20270106T100000Z\nEND:VEVENT\n")
        RESOURCE("/u/cal/free.ics", "BEGIN:VEVENT\nUID:free\nDTSTART:20270107T090000Z\n"
                                    "DTEND:20270107T100000Z\nTRANSP:TRANSPARENT\nEND:VEVENT\n")
            RESOURCE("/u/cal/bad.ics",
                     "BEGIN:VEVENT\nUID:bad\nDTSTART;TZID=No/Where:20270108T090000\n"
                     "END:VEVENT\n")
                RESOURCE("/u/cal/weekly.ics", "BEGIN:VEVENT\nUID:weekly\nDTSTART:20261005T140000Z\n"
                                              "DTEND:20261005T150000Z\nRRULE:FREQ=WEEKLY\n"
                                              "EXDATE:20270111T140000Z\nSTATUS:TENTATIVE\nEND:"
                                              "VEVENT\n") "<D:response><D:href>/u/cal/gone.ics</"
                                                          "D:href><D:status>HTTP/1.1 404 Not "
                                                          "Found</D:status>"
                                                          "</D:response>");

static void query_resources(void **state)
{
    (void)state;
    static const char *const names[] = {"agendad-push@net.ics"};
    static const char *const uids[] = {"push@net", "net-2"};
    si_limits l = lim;
    l.skip_uids = uids;
    l.n_skip_uids = 2;
    json_t *b = json_array();
    size_t unreadable;
    char *first = NULL, *err = NULL;
    assert_true(si_multistatus(query_answer, strlen(query_answer), &l, names, 1, b, &unreadable,
                               &first, &err));
    assert_null(err);
    assert_int_equal(unreadable, 1);
    assert_non_null(strstr(first, "/u/cal/bad.ics: "));
    assert_non_null(strstr(first, "No/Where"));
    free(first);
    /* own, then the open-ended weekly one on Mondays 4, 18, 25 (the 11th
     * is an EXDATE; the window ends on the 29th). */
    assert_int_equal(json_array_size(b), 4);
    assert_int_equal(iv(b, 0, 0), JAN4 + 9 * H);
    assert_int_equal(iv(b, 0, 2), 0);
    assert_int_equal(iv(b, 1, 0), JAN4 + 14 * H);
    assert_int_equal(iv(b, 1, 2), 1);
    assert_int_equal(iv(b, 2, 0), JAN4 + 14 * 86400 + 14 * H);
    assert_int_equal(iv(b, 3, 0), JAN4 + 21 * 86400 + 14 * H);
    json_decref(b);
}

static void hostile_or_wrong_answers_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *xml, *why;
    } cases[] = {
        {"<?xml version='1.0'?><!DOCTYPE m [<!ENTITY a \"aaaa\">]><m/>", "DOCTYPE"},
        {"<?xml version='1.0'?><html><body>error</body></html>", "not a WebDAV multistatus"},
        {"<?xml version='1.0'?><D:multistatus xmlns:D=\"DAV:\"><D:response>", "not well-formed"},
        {"", "not well-formed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *b = json_array();
        size_t unreadable;
        char *first = NULL, *err = NULL;
        assert_false(si_multistatus(cases[i].xml, strlen(cases[i].xml), &lim, NULL, 0, b,
                                    &unreadable, &first, &err));
        if (!strstr(err, cases[i].why))
            fail_msg("case %zu: \"%s\" does not say %s", i, err, cases[i].why);
        free(err);
        free(first);
        json_decref(b);
    }
    /* Over the limit of busy intervals. */
    si_limits l = lim;
    l.max_events = 2;
    json_t *b = json_array();
    size_t unreadable;
    char *first = NULL, *err = NULL;
    assert_false(si_multistatus(query_answer, strlen(query_answer), &l, NULL, 0, b, &unreadable,
                                &first, &err));
    assert_non_null(strstr(err, "limit"));
    free(err);
    free(first);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(freebusy_periods),
        cmocka_unit_test(no_vfreebusy_is_unsupported),
        cmocka_unit_test(network_events_are_taken_out),
        cmocka_unit_test(query_resources),
        cmocka_unit_test(hostile_or_wrong_answers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
