/* A member's imported set written as a new generation over several
 * transactions: invisible until committed, the old set deleted after, and
 * what an interrupted import left removed at the next open. */
#include "error.h"
#include "store.h"

#include <setjmp.h>
#include <sqlite3.h>
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
    temp_db_name(f->path, sizeof f->path, "gen");
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

static void reopen(fx *f)
{
    ag_store_close(f->st);
    f->st = NULL;
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
}

/* n rows "fes:0".."fes:<n-1>" titled prefix+i. */
static ag_import_row *batch(size_t n, const char *prefix)
{
    ag_import_row *v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        char uid[32], title[32];
        snprintf(uid, sizeof uid, "fes:%02zu", i);
        snprintf(title, sizeof title, "%s%zu", prefix, i);
        v[i].uid = strdup(uid);
        v[i].member = strdup("fes");
        v[i].title.fr = strdup(title);
        v[i].start = 2000000000 + (int64_t)i * 3600;
        v[i].end = v[i].start + 3600;
        v[i].categories = strdup("");
    }
    return v;
}

/* The member's stored titles all start with prefix; there are n. */
static void assert_stored(fx *f, size_t n, const char *prefix, int sequence)
{
    ag_import_row *out;
    size_t got;
    assert_int_equal(ag_store_load_member_imports(f->st, "fes", &out, &got, NULL), 0);
    assert_int_equal(got, n);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(strncmp(out[i].title.fr, prefix, strlen(prefix)), 0);
        assert_int_equal(out[i].sequence, sequence);
    }
    ag_store_import_rows_free(out, got);
}

static int64_t rows_in_table(fx *f)
{
    return raw_int(f->path, "SELECT count(*) FROM import_rows WHERE member = 'fes'");
}

static void store_v1(fx *f, size_t n)
{
    ag_import_row *v1 = batch(n, "v1-");
    int written = 0;
    assert_int_equal(
        ag_store_import_replace(f->st, "sync", "fes", v1, n, 100, 86400, &written, NULL), 0);
    assert_int_equal(written, (int)n);
    ag_store_import_rows_free(v1, n);
}

/* Chunks of the new set are committed, yet readers see the old set until
 * the commit; abandoned there (a kill -9), a plain open (an offline
 * command beside the daemon) leaves them, the daemon's start-up sweep
 * removes them, and the next import is not confused by them. */
static void interrupted_generation_is_invisible_and_swept_at_start(void **state)
{
    fx *f = *state;
    store_v1(f, 5);
    ag_import_row *v2 = batch(5, "v2-");
    ag_import_write *w = NULL;
    int written = 0;
    assert_int_equal(
        ag_store_import_write_prepare(f->st, "sync", "fes", v2, 5, 200, 86400, &w, &written, NULL),
        0);
    assert_non_null(w);
    assert_int_equal(written, 5);
    assert_int_equal(ag_store_import_write_step(f->st, w, 2, NULL), 0);
    assert_int_equal(ag_store_import_write_step(f->st, w, 2, NULL), 0);
    assert_int_equal(rows_in_table(f), 5 + 4);
    assert_stored(f, 5, "v1-", 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM imported_events"), 5);
    ag_store_import_write_free(w);
    reopen(f);
    assert_int_equal(rows_in_table(f), 5 + 4);
    int swept = 0;
    assert_int_equal(ag_store_import_sweep_all(f->st, &swept, NULL), 0);
    assert_int_equal(swept, 1);
    assert_int_equal(rows_in_table(f), 5);
    assert_stored(f, 5, "v1-", 0);
    assert_int_equal(
        ag_store_import_replace(f->st, "sync", "fes", v2, 5, 300, 86400, &written, NULL), 0);
    assert_int_equal(written, 5);
    assert_stored(f, 5, "v2-", 1);
    assert_int_equal(rows_in_table(f), 5);
    ag_store_import_rows_free(v2, 5);
}

/* What the write says it stored is what a reader loads once committed; the
 * old set goes a chunk per sweep. */
static void commit_publishes_and_sweep_deletes_in_chunks(void **state)
{
    fx *f = *state;
    store_v1(f, 6);
    ag_import_row *v2 = batch(4, "v2-"); /* two gone: kept as removed */
    v2[0].title.fr[1] = '1';             /* "v1-0": unchanged */
    ag_import_write *w = NULL;
    int written = 0;
    assert_int_equal(
        ag_store_import_write_prepare(f->st, "sync", "fes", v2, 4, 200, 86400, &w, &written, NULL),
        0);
    assert_int_equal(written, 5);
    int rc;
    while ((rc = ag_store_import_write_step(f->st, w, 4, NULL)) == 0)
        ;
    assert_int_equal(rc, 1);
    assert_stored(f, 6, "v1-", 0);
    assert_int_equal(ag_store_import_write_commit(f->st, w, NULL), 0);
    size_t n;
    const ag_import_row *mine = ag_store_import_write_rows(w, &n);
    ag_import_row *out;
    size_t got;
    assert_int_equal(ag_store_load_member_imports(f->st, "fes", &out, &got, NULL), 0);
    assert_int_equal(got, n);
    assert_int_equal(got, 6);
    for (size_t i = 0; i < got; i++) {
        assert_string_equal(out[i].uid, mine[i].uid);
        assert_string_equal(out[i].member, mine[i].member);
        assert_string_equal(out[i].title.fr, mine[i].title.fr);
        assert_int_equal(out[i].sequence, mine[i].sequence);
        assert_int_equal(out[i].created, mine[i].created);
        assert_int_equal(out[i].last_modified, mine[i].last_modified);
        assert_int_equal(out[i].removed_at, mine[i].removed_at);
    }
    assert_int_equal(out[0].sequence, 0);
    assert_int_equal(out[1].sequence, 1);
    assert_int_equal(out[5].removed_at, 200);
    ag_store_import_rows_free(out, got);
    assert_int_equal(rows_in_table(f), 12);
    int64_t gen = ag_store_import_write_gen(w);
    assert_int_equal(ag_store_import_sweep_step(f->st, "fes", gen, 4, NULL), 4);
    assert_int_equal(ag_store_import_sweep_step(f->st, "fes", gen, 4, NULL), 2);
    assert_int_equal(ag_store_import_sweep_step(f->st, "fes", gen, 4, NULL), 0);
    assert_int_equal(rows_in_table(f), 6);
    ag_store_import_write_free(w);
    ag_store_import_rows_free(v2, 4);
}

/* Two writers of one member: the second commit would drop the first's set
 * unseen, so it is refused and the first one's set stays. */
static void commit_refused_when_another_became_current(void **state)
{
    fx *f = *state;
    store_v1(f, 3);
    ag_import_row *v2 = batch(3, "v2-"), *v3 = batch(3, "v3-");
    ag_import_write *w = NULL;
    int written = 0;
    assert_int_equal(
        ag_store_import_write_prepare(f->st, "sync", "fes", v2, 3, 200, 86400, &w, &written, NULL),
        0);
    assert_int_equal(ag_store_import_write_step(f->st, w, 10, NULL), 1);
    assert_int_equal(
        ag_store_import_replace(f->st, "sync", "fes", v3, 3, 300, 86400, &written, NULL), 0);
    char *err = NULL;
    assert_int_equal(ag_store_import_write_commit(f->st, w, &err), AG_ESTORE);
    assert_non_null(strstr(err, "changed meanwhile"));
    free(err);
    assert_stored(f, 3, "v3-", 1);
    ag_store_import_write_free(w);
    assert_int_equal(ag_store_import_sweep_all(f->st, NULL, NULL), 0);
    assert_int_equal(rows_in_table(f), 3);
    ag_store_import_rows_free(v2, 3);
    ag_store_import_rows_free(v3, 3);
}

/* A database of schema 5 (one row per imported event, keyed by uid) keeps
 * its rows, their SEQUENCE and private data through the migration. */
static void schema_5_imports_survive_the_migration(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    f->st = NULL;
    raw_exec(f->path,
             RAW_SQL_UNDO_RSVP RAW_SQL_UNDO_INVITATIONS RAW_SQL_UNDO_BUSY RAW_SQL_UNDO_SLOT_IDENTITY
             "DROP VIEW imported_events; DROP VIEW imported_attendees; DROP VIEW imported_alarms;"
             "DROP TABLE import_rows; DROP TABLE import_attendees; DROP TABLE import_alarms;"
             "DROP TABLE import_current;"
             "ALTER TABLE events DROP COLUMN online_url;" /* schema step 7 (step 8 undone above) */
             "CREATE TABLE imported_events (uid TEXT PRIMARY KEY, source TEXT NOT NULL,"
             " member TEXT NOT NULL, title_ar TEXT, title_fr TEXT, description_ar TEXT,"
             " description_fr TEXT, location_ar TEXT, location_fr TEXT,"
             " start_utc INTEGER NOT NULL, end_utc INTEGER NOT NULL, all_day INTEGER NOT NULL,"
             " status TEXT NOT NULL, categories TEXT NOT NULL DEFAULT '',"
             " sequence INTEGER NOT NULL, created INTEGER NOT NULL,"
             " last_modified INTEGER NOT NULL, removed_at INTEGER NOT NULL DEFAULT 0);"
             "CREATE INDEX imported_events_member ON imported_events (member);"
             "CREATE TABLE imported_attendees (uid TEXT NOT NULL REFERENCES imported_events(uid)"
             " ON DELETE CASCADE, pos INTEGER NOT NULL, address TEXT NOT NULL, cn TEXT,"
             " partstat TEXT, role TEXT, PRIMARY KEY (uid, pos)) WITHOUT ROWID;"
             "CREATE TABLE imported_alarms (uid TEXT NOT NULL REFERENCES imported_events(uid)"
             " ON DELETE CASCADE, pos INTEGER NOT NULL, action TEXT NOT NULL,"
             " related INTEGER NOT NULL, trigger_at INTEGER NOT NULL, description TEXT,"
             " summary TEXT, PRIMARY KEY (uid, pos)) WITHOUT ROWID;"
             "INSERT INTO imported_events VALUES ('fes:a', 'sync', 'fes', NULL, 'A', NULL, NULL,"
             " NULL, NULL, 2000000000, 2000003600, 0, 'confirmed', '', 3, 10, 20, 0);"
             "INSERT INTO imported_events VALUES ('rabat:b', 'sync', 'rabat', NULL, 'B', NULL,"
             " NULL, NULL, NULL, 2000000000, 2000003600, 0, 'tentative', 'x', 0, 10, 10, 30);"
             "INSERT INTO imported_attendees VALUES ('fes:a', 0, 'mailto:a@fes.example', 'A',"
             " 'ACCEPTED', NULL);"
             "INSERT INTO imported_alarms VALUES ('fes:a', 0, 'DISPLAY', 1, -900, NULL, 'S');"
             "PRAGMA user_version = 5;");
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    assert_int_equal(raw_int(f->path, "PRAGMA user_version"), RAW_SQL_SCHEMA_VERSION);
    ag_import_row *out;
    size_t n;
    assert_int_equal(ag_store_load_imports(f->st, &out, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].uid, "fes:a");
    assert_int_equal(out[0].sequence, 3);
    assert_int_equal(out[0].created, 10);
    assert_int_equal(out[0].priv.n_attendees, 1);
    assert_string_equal(out[0].priv.attendees[0].partstat, "ACCEPTED");
    assert_int_equal(out[0].priv.n_alarms, 1);
    assert_int_equal(out[0].priv.alarms[0].trigger, -900);
    assert_string_equal(out[1].member, "rabat");
    assert_int_equal(out[1].removed_at, 30);
    assert_int_equal(out[1].status, AG_STATUS_TENTATIVE);
    ag_store_import_rows_free(out, n);
}

/* Rows of the new set deleted by someone else before the commit (another
 * process's sweep): the commit is refused, the old set stays current. */
static void commit_refused_when_rows_went_missing(void **state)
{
    fx *f = *state;
    store_v1(f, 3);
    ag_import_row *v2 = batch(3, "v2-");
    ag_import_write *w = NULL;
    int written = 0;
    assert_int_equal(
        ag_store_import_write_prepare(f->st, "sync", "fes", v2, 3, 200, 86400, &w, &written, NULL),
        0);
    assert_int_equal(ag_store_import_write_step(f->st, w, 10, NULL), 1);
    ag_store *other = NULL;
    assert_int_equal(ag_store_open(f->path, &other, NULL), 0);
    assert_int_equal(ag_store_import_sweep_all(other, NULL, NULL), 0);
    ag_store_close(other);
    char *err = NULL;
    assert_int_equal(ag_store_import_write_commit(f->st, w, &err), AG_ESTORE);
    assert_non_null(strstr(err, "changed meanwhile"));
    free(err);
    assert_stored(f, 3, "v1-", 0);
    ag_store_import_write_free(w);
    ag_store_import_rows_free(v2, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(interrupted_generation_is_invisible_and_swept_at_start),
        T(commit_publishes_and_sweep_deletes_in_chunks),
        T(commit_refused_when_another_became_current),
        T(commit_refused_when_rows_went_missing),
        T(schema_5_imports_survive_the_migration),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
