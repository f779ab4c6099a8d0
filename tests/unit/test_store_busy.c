/* Members' busy time in the store: replaced per (member, source) in one
 * transaction, read back by window across sources, and a member never read
 * told apart from one read as free. */
#include "error.h"
#include "store.h"
#include "store_migration_busy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_db.h"

#include "raw_sql.h"

typedef struct {
    char path[64];
    ag_store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    temp_db_name(f->path, sizeof f->path, "busy");
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    temp_db_remove(f->path);
    free(f);
    return 0;
}

static void test_never_read_then_free(void **state)
{
    fx *f = *state;
    ag_busy_source *src;
    size_t n;
    assert_int_equal(ag_store_busy_sources(f->st, "fes", &src, &n, NULL), 0);
    assert_int_equal(n, 0);
    /* Read and found free: a source row, no interval. */
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 1000, NULL, 0, 50, NULL), 0);
    assert_int_equal(ag_store_busy_sources(f->st, "fes", &src, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(src[0].source, "feed");
    assert_int_equal(src[0].read_at, 50);
    assert_int_equal(src[0].from, 0);
    assert_int_equal(src[0].to, 1000);
    ag_store_busy_sources_free(src, n);
}

static void test_replace_and_window(void **state)
{
    fx *f = *state;
    ag_busy_interval a[] = {{300, 400, false}, {100, 200, true}, {900, 1100, false}};
    ag_busy_interval b[] = {{150, 350, false}};
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 2000, a, 3, 1, NULL), 0);
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "caldav", 0, 2000, b, 1, 1, NULL), 0);
    assert_int_equal(ag_store_busy_replace(f->st, "taza", "feed", 0, 2000, b, 1, 1, NULL), 0);
    ag_busy_interval *iv;
    size_t n;
    /* Overlapping [200, 1000): 100-200 ends at the bound and is left out. */
    assert_int_equal(ag_store_busy_load(f->st, "fes", 200, 1000, &iv, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_int_equal(iv[0].start, 150);
    assert_int_equal(iv[1].start, 300);
    assert_int_equal(iv[2].start, 900);
    assert_false(iv[2].tentative);
    free(iv);
    /* A second read of the feed replaces the first, the other source stays. */
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 2000, a + 1, 1, 2, NULL), 0);
    assert_int_equal(ag_store_busy_load(f->st, "fes", 0, 2000, &iv, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(iv[0].start, 100);
    assert_true(iv[0].tentative);
    assert_int_equal(iv[1].start, 150);
    free(iv);
    assert_int_equal(ag_store_busy_forget(f->st, "fes", NULL, NULL), 0);
    assert_int_equal(ag_store_busy_load(f->st, "fes", 0, 2000, &iv, &n, NULL), 0);
    assert_int_equal(n, 0);
    ag_busy_source *src;
    assert_int_equal(ag_store_busy_sources(f->st, "fes", &src, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ag_store_busy_load(f->st, "taza", 0, 2000, &iv, &n, NULL), 0);
    assert_int_equal(n, 1);
    free(iv);
}

static void test_bad_interval_changes_nothing(void **state)
{
    fx *f = *state;
    ag_busy_interval good[] = {{100, 200, false}};
    ag_busy_interval bad[] = {{100, 200, false}, {500, 500, false}};
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 2000, good, 1, 1, NULL), 0);
    char *err = NULL;
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 2000, bad, 2, 2, &err),
                     AG_EINVAL);
    assert_non_null(err);
    assert_non_null(strstr(err, "interval 1"));
    free(err);
    ag_busy_interval *iv;
    size_t n;
    assert_int_equal(ag_store_busy_load(f->st, "fes", 0, 2000, &iv, &n, NULL), 0);
    assert_int_equal(n, 1);
    free(iv);
}

static size_t rows(fx *f, const char *member)
{
    ag_busy_source *src;
    size_t n;
    assert_int_equal(ag_store_busy_sources(f->st, member, &src, &n, NULL), 0);
    ag_store_busy_sources_free(src, n);
    return n;
}

/* What the admin removed from members.yaml goes at the reconcile that
 * applies it: a member's every calendar, or one calendar of a member. */
static void test_reconcile_forgets_what_is_no_longer_configured(void **state)
{
    fx *f = *state;
    ag_busy_interval iv[] = {{100, 200, false}};
    static const char *const ids[] = {"fes", "taza", "gone"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ag_store_busy_replace(f->st, ids[i], "feed", 0, 2000, iv, 1, 1, NULL), 0);
        assert_int_equal(ag_store_busy_replace(f->st, ids[i], "caldav", 0, 2000, iv, 1, 1, NULL),
                         0);
    }
    /* Another source's rows are its writer's business. */
    assert_int_equal(ag_store_busy_replace(f->st, "taza", "other", 0, 2000, iv, 1, 1, NULL), 0);
    ag_member members[2] = {{.id = "fes",
                             .feed_url = "http://127.0.0.1/fes.ics",
                             .sync = {.caldav_url = "http://127.0.0.1/dav/fes/"}},
                            {.id = "taza", .feed_url = "http://127.0.0.1/taza.ics"}};
    ag_config cfg = {.members = members, .n_members = 2};
    ag_reconcile_stats stats;
    char *err = NULL;
    assert_int_equal(ag_store_reconcile(f->st, &cfg, 10, &stats, &err), 0);
    assert_null(err);
    assert_int_equal(rows(f, "fes"), 2);
    assert_int_equal(rows(f, "taza"), 2); /* feed and other: no caldav configured */
    assert_int_equal(rows(f, "gone"), 0);
    ag_busy_interval *out;
    size_t n;
    assert_int_equal(ag_store_busy_load(f->st, "gone", 0, 2000, &out, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ag_store_busy_load(f->st, "taza", 0, 2000, &out, &n, NULL), 0);
    assert_int_equal(n, 2);
    free(out);
    ag_busy_source *src;
    assert_int_equal(ag_store_busy_sources(f->st, "taza", &src, &n, NULL), 0);
    assert_string_equal(src[0].source, "feed");
    assert_string_equal(src[1].source, "other");
    ag_store_busy_sources_free(src, n);
}

/* The plan of what a proposal reads, 66 times each: one index, in order. */
static char *load_plan(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN " AG_STORE_BUSY_LOAD_SQL, -1, &s, NULL),
        SQLITE_OK);
    char plan[512] = "";
    while (sqlite3_step(s) == SQLITE_ROW) {
        strncat(plan, (const char *)sqlite3_column_text(s, 3), sizeof plan - strlen(plan) - 2);
        strcat(plan, ";");
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return strdup(plan);
}

static void test_load_reads_the_index_alone_in_order(void **state)
{
    fx *f = *state;
    char *plan = load_plan(f->path);
    assert_non_null(strstr(plan, "COVERING INDEX busy_intervals_span"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    free(plan);
}

/* A database of step 9 gets the index, its intervals whole. */
static void test_step_9_database_gains_the_index(void **state)
{
    fx *f = *state;
    ag_busy_interval a[] = {{300, 400, false}, {100, 200, true}};
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 2000, a, 2, 1, NULL), 0);
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path, RAW_SQL_UNDO_BUSY_SPAN RAW_SQL_UNDO_RSVP RAW_SQL_UNDO_INVITATIONS
             "PRAGMA user_version = 9;");
    char *plan = load_plan(f->path);
    assert_null(strstr(plan, "COVERING INDEX"));
    free(plan);
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    test_load_reads_the_index_alone_in_order(state);
    ag_busy_interval *iv;
    size_t n;
    assert_int_equal(ag_store_busy_load(f->st, "fes", 0, 2000, &iv, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(iv[0].start, 100);
    assert_true(iv[0].tentative);
    assert_int_equal(iv[1].start, 300);
    free(iv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_never_read_then_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_interval_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_forgets_what_is_no_longer_configured, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_reads_the_index_alone_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_9_database_gains_the_index, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
