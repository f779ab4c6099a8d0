/* Members' busy time read for a whole network at once: finding a time over
 * 66 members read each member's rows through the index and sorted them,
 * 66 statements; one scan of the table in its own order, in one read
 * transaction, costs a fraction of that. */
#include "store_internal.h"

#include <stdlib.h>

static const char sql_intervals[] =
    "SELECT member, start, end, tentative FROM busy_intervals WHERE start < ?2 AND end > ?1";
static const char sql_sources[] =
    "SELECT member, source, read_at, window_from, window_to FROM busy_sources";

static int each_interval(sqlite3_stmt *s, ag_store_busy_fn on_interval, void *data)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *member = (const char *)sqlite3_column_text(s, 0);
        ag_busy_interval iv = {sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                               sqlite3_column_int(s, 3) != 0};
        int r = member ? on_interval(data, member, &iv) : 0;
        if (r < 0)
            return r;
    }
    return rc == SQLITE_DONE ? 0 : AG_ESTORE;
}

static int each_source(sqlite3_stmt *s, ag_store_read_fn on_read, void *data)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *member = (const char *)sqlite3_column_text(s, 0);
        ag_busy_source src = {(char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2),
                              sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)};
        int r = member && src.source ? on_read(data, member, &src) : 0;
        if (r < 0)
            return r;
    }
    return rc == SQLITE_DONE ? 0 : AG_ESTORE;
}

/* One statement, prepared for this read only: it runs once per proposal. */
static int run(ag_store *st, const char *sql, int64_t from, int64_t to,
               ag_store_busy_fn on_interval, ag_store_read_fn on_read, void *data, char **err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read busy time from");
    int rc = SQLITE_OK;
    if (on_interval)
        rc =
            sqlite3_bind_int64(s, 1, from) == SQLITE_OK && sqlite3_bind_int64(s, 2, to) == SQLITE_OK
                ? each_interval(s, on_interval, data)
                : AG_ESTORE;
    else
        rc = each_source(s, on_read, data);
    if (rc == AG_ESTORE)
        rc = ag_store_fail(st, err, "cannot read busy time from");
    else if (rc < 0)
        rc = ag_store_failf(st, err, rc, "cannot read busy time from", "%s", ag_strerror(rc));
    sqlite3_finalize(s);
    return rc;
}

int ag_store_busy_load_all(ag_store *st, int64_t from, int64_t to, ag_store_busy_fn on_interval,
                           ag_store_read_fn on_read, void *data, char **err)
{
    if (err)
        *err = NULL;
    /* Both statements see the same state: a replace between them would
     * pair a member's new calendar with its old read. */
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read busy time from");
    int rc = run(st, sql_sources, from, to, NULL, on_read, data, err);
    if (rc == 0)
        rc = run(st, sql_intervals, from, to, on_interval, NULL, data, err);
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot read busy time from");
    if (rc < 0)
        ag_store_rollback(st);
    return rc;
}
