/* The scheduler's math (occurrences, EXDATE, lead times across Morocco's
 * Ramadan clock changes, backoff) and the outbox's unique key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reminders_ics.h"
#include "reminders.h"
#include "store_internal.h" /* the connection, to read its synchronous setting */
#include "store_outbox.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY INT64_C(86400)

static ag_datetime at(int y, int mo, int d, int h, int mi)
{
    return (ag_datetime){y, mo, d, h, mi, 0, false};
}

static ag_event event(ag_datetime start, const char *rrule)
{
    ag_event e = {0};
    e.uid = "ev-1";
    e.tzid = "Africa/Casablanca";
    e.start = start;
    e.end = start;
    e.end.hour += 1;
    e.rrule = (char *)rrule;
    return e;
}

/* 2026-03-22 10:00 is the first morning back on UTC+1 after Ramadan; the
 * day before is still UTC+0. "1 day before" is 24 real hours: 09:00 local
 * on the 21st, not 10:00. */
static void one_day_before_across_ramadan_change(void **state)
{
    (void)state;
    ag_event e = event(at(2026, 3, 22, 10, 0), NULL);
    int64_t *occ;
    size_t n;
    assert_int_equal(ag_reminders_occurrences(&e, 0, INT64_MAX / 2, &occ, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(occ[0], INT64_C(1774170000)); /* 09:00Z */
    int64_t due = occ[0] - DAY;
    ag_datetime wall = at(2026, 3, 21, 9, 0);
    bool ok;
    assert_int_equal(ag_tz_to_utc(&wall, "Africa/Casablanca", &ok), due);
    free(occ);
}

/* Entering Ramadan time (2026-02-15 03:00 → 02:00): 24 real hours before
 * 10:00 on the 15th is 11:00 on the 14th. */
static void one_day_before_into_ramadan(void **state)
{
    (void)state;
    ag_event e = event(at(2026, 2, 15, 10, 0), NULL);
    int64_t *occ;
    size_t n;
    assert_int_equal(ag_reminders_occurrences(&e, 0, INT64_MAX / 2, &occ, &n), 0);
    ag_datetime wall = at(2026, 2, 14, 11, 0);
    bool ok;
    assert_int_equal(ag_tz_to_utc(&wall, "Africa/Casablanca", &ok), occ[0] - DAY);
    free(occ);
}

static void series_respects_exdate_and_window(void **state)
{
    (void)state;
    ag_event e = event(at(2026, 4, 1, 10, 0), "FREQ=WEEKLY;COUNT=5");
    ag_datetime ex = at(2026, 4, 15, 10, 0);
    e.exdates = &ex;
    e.n_exdates = 1;
    int64_t *occ;
    size_t n;
    assert_int_equal(ag_reminders_occurrences(&e, 0, INT64_MAX / 2, &occ, &n), 0);
    assert_int_equal(n, 4);
    for (size_t i = 1; i < n; i++)
        assert_true(occ[i] > occ[i - 1]);
    assert_int_equal(occ[1] - occ[0], 7 * DAY);
    assert_int_equal(occ[2] - occ[1], 14 * DAY); /* the 15th is excluded */
    free(occ);
    /* The horizon: only what starts in [from, to]. */
    ag_datetime a = at(2026, 4, 7, 0, 0), b = at(2026, 4, 23, 0, 0);
    bool ok;
    assert_int_equal(ag_reminders_occurrences(&e, ag_tz_to_utc(&a, e.tzid, &ok),
                                              ag_tz_to_utc(&b, e.tzid, &ok), &occ, &n),
                     0);
    assert_int_equal(n, 2); /* the 8th and the 22nd */
    free(occ);
}

static void series_across_the_2026_change_keeps_wall_time(void **state)
{
    (void)state;
    /* Daily at 10:00 through 2026-09-20 (permanent UTC+0 from then). */
    ag_event e = event(at(2026, 9, 18, 10, 0), "FREQ=DAILY;COUNT=4");
    int64_t *occ;
    size_t n;
    assert_int_equal(ag_reminders_occurrences(&e, 0, INT64_MAX / 2, &occ, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(occ[1] - occ[0], DAY);
    assert_int_equal(occ[3] - occ[2], DAY);
    assert_int_equal(occ[2] - occ[1], DAY + 3600); /* the clock went back an hour */
    free(occ);
}

static void backoff_doubles_caps_and_jitters(void **state)
{
    (void)state;
    for (uint32_t rnd = 0; rnd < 1000; rnd += 37) {
        int64_t d1 = ag_reminders_backoff(1, 60, 3600, rnd);
        int64_t d3 = ag_reminders_backoff(3, 60, 3600, rnd);
        int64_t d20 = ag_reminders_backoff(20, 60, 3600, rnd);
        assert_true(d1 >= 30 && d1 <= 60);
        assert_true(d3 >= 120 && d3 <= 240);
        assert_true(d20 >= 1800 && d20 <= 3600);
    }
    assert_true(ag_reminders_backoff(2, 60, 3600, 0) != ag_reminders_backoff(2, 60, 3600, 59));
}

static ag_store *temp_store(char *path, size_t size)
{
    snprintf(path, size, "/tmp/agendad-sched-%d.db", (int)getpid());
    unlink(path);
    ag_store *st;
    char *err = NULL;
    assert_int_equal(ag_store_open(path, &st, &err), 0);
    return st;
}

static void drop_store(ag_store *st, const char *path)
{
    ag_store_close(st);
    char p[512];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void outbox_key_is_unique(void **state)
{
    (void)state;
    char path[256];
    ag_store *st = temp_store(path, sizeof path);
    ag_outbox_row r = {.kind = AG_OUT_REMINDER,
                       .uid = "ev-1",
                       .occurrence = 1000000,
                       .lead = DAY,
                       .channel = "email",
                       .member = "fes",
                       .address = "a@b.test",
                       .due = 1000000 - DAY,
                       .state = AG_OUT_PENDING};
    bool added;
    char *err = NULL;
    assert_int_equal(ag_store_outbox_insert(st, &r, 5, &added, &err), 0);
    assert_true(added);
    assert_int_equal(ag_store_outbox_insert(st, &r, 6, &added, &err), 0);
    assert_false(added);
    r.address = "c@b.test"; /* another address of the same member */
    assert_int_equal(ag_store_outbox_insert(st, &r, 6, &added, &err), 0);
    assert_true(added);
    r.kind = AG_OUT_CANCEL; /* a notice is not the reminder */
    assert_int_equal(ag_store_outbox_insert(st, &r, 6, &added, &err), 0);
    assert_true(added);
    ag_outbox_row *rows;
    size_t n;
    assert_int_equal(ag_store_outbox_due(st, 1000000, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    int64_t id = rows[0].id;
    ag_store_outbox_rows_free(rows, n);
    assert_int_equal(ag_store_outbox_update(st, id, AG_OUT_FAILED, 8, 0, "boom", 7, &err), 0);
    bool found;
    assert_int_equal(ag_store_outbox_retry(st, id, 0, &found, &err), 0);
    assert_true(found);
    assert_int_equal(ag_store_outbox_retry(st, id, 0, &found, &err), 0);
    assert_false(found); /* only failed or missed rows */
    assert_int_equal(ag_store_outbox_list(st, AG_OUT_FAILED, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    free(rows);
    int dropped;
    int64_t keep[] = {1000000};
    assert_int_equal(ag_store_outbox_drop(st, "ev-1", keep, 1, 9, &dropped, &err), 0);
    assert_int_equal(dropped, 0);
    assert_int_equal(ag_store_outbox_drop(st, "ev-1", NULL, 0, 9, &dropped, &err), 0);
    assert_int_equal(dropped, 2); /* reminders only: the notice stays */
    drop_store(st, path);
}

typedef struct {
    int64_t counts[AG_OUT_ANY_][2]; /* by state, for channels email and webhook */
} tally;

static void count_row(ag_outbox_state state, const char *channel, int64_t n, void *data)
{
    tally *t = data;
    t->counts[state][strcmp(channel, "email") == 0 ? 0 : 1] += n;
}

/* What /metrics shows: rows by state and channel, an outcome written by
 * the relaxed (no fsync) commit included, and the store back to waiting
 * for the disk afterwards. */
static void outbox_counts_and_relaxed_outcome(void **state)
{
    (void)state;
    char path[256];
    ag_store *st = temp_store(path, sizeof path);
    ag_outbox_row r = {.kind = AG_OUT_REMINDER,
                       .uid = "ev-1",
                       .occurrence = 1000000,
                       .lead = DAY,
                       .channel = "email",
                       .member = "fes",
                       .address = "a@b.test",
                       .due = 1000000 - DAY,
                       .state = AG_OUT_PENDING};
    char *err = NULL;
    assert_int_equal(ag_store_outbox_insert(st, &r, 5, NULL, &err), 0);
    r.address = "c@b.test";
    assert_int_equal(ag_store_outbox_insert(st, &r, 5, NULL, &err), 0);
    r.channel = "webhook";
    assert_int_equal(ag_store_outbox_insert(st, &r, 5, NULL, &err), 0);
    ag_outbox_row *rows;
    size_t n;
    assert_int_equal(ag_store_outbox_due(st, 1000000, 10, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    int64_t first = rows[0].id;
    ag_store_outbox_rows_free(rows, n);
    assert_int_equal(ag_store_outbox_outcome(st, first, AG_OUT_SENT, 1, 0, NULL, 9, &err), 0);
    tally t = {0};
    assert_int_equal(ag_store_outbox_counts(st, count_row, &t, &err), 0);
    assert_int_equal(t.counts[AG_OUT_SENT][0], 1);
    assert_int_equal(t.counts[AG_OUT_PENDING][0], 1);
    assert_int_equal(t.counts[AG_OUT_PENDING][1], 1);
    assert_int_equal(t.counts[AG_OUT_FAILED][0] + t.counts[AG_OUT_FAILED][1], 0);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2); /* FULL again */
    sqlite3_finalize(q);
    drop_store(st, path);
}

static void ics_method_publish_and_cancel(void **state)
{
    (void)state;
    const char *cal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                      "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n"
                      "DTSTART:20260410T080000Z\r\nSTATUS:CONFIRMED\r\nSEQUENCE:2\r\n"
                      "END:VEVENT\r\nEND:VCALENDAR\r\n";
    char *out;
    size_t len;
    assert_int_equal(ag_reminders_ics_method(cal, false, &out, &len), 0);
    assert_non_null(strstr(out, "METHOD:PUBLISH"));
    assert_non_null(strstr(out, "STATUS:CONFIRMED"));
    free(out);
    assert_int_equal(ag_reminders_ics_method(cal, true, &out, &len), 0);
    assert_non_null(strstr(out, "METHOD:CANCEL"));
    assert_non_null(strstr(out, "STATUS:CANCELLED"));
    assert_null(strstr(out, "STATUS:CONFIRMED"));
    assert_int_equal(len, strlen(out));
    free(out);
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
        cmocka_unit_test(one_day_before_across_ramadan_change),
        cmocka_unit_test(one_day_before_into_ramadan),
        cmocka_unit_test(series_respects_exdate_and_window),
        cmocka_unit_test(series_across_the_2026_change_keeps_wall_time),
        cmocka_unit_test(backoff_doubles_caps_and_jitters),
        cmocka_unit_test(outbox_key_is_unique),
        cmocka_unit_test(outbox_counts_and_relaxed_outcome),
        cmocka_unit_test(ics_method_publish_and_cancel),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
