/* Events imported from members' own calendars: reading the current
 * generations (the views of store_migration_generations.h). Writing is
 * store_import_write.c's. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_COLS                                                                                \
    "uid, member, title_ar, title_fr, description_ar, description_fr, location_ar, location_fr, "  \
    "start_utc, end_utc, all_day, status, categories, sequence, created, last_modified, "          \
    "removed_at"

void ag_store_import_rows_free(ag_import_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].uid);
        free(rows[i].member);
        ag_text_free(&rows[i].title);
        ag_text_free(&rows[i].description);
        ag_text_free(&rows[i].location);
        free(rows[i].categories);
        ag_private_free(&rows[i].priv);
    }
    free(rows);
}

static ag_status status_from(const char *s)
{
    for (int i = 0; i < AG_STATUS_COUNT; i++)
        if (s && strcmp(s, ag_store_status_names[i]) == 0)
            return (ag_status)i;
    return AG_STATUS_CONFIRMED;
}

/* false when memory ran out for one of its strings (a row read with a
 * field missing would be published so). */
static bool read_row(sqlite3_stmt *s, ag_import_row *r)
{
    bool ok = true;
    r->uid = ag_store_column_dup(s, 0, &ok);
    r->member = ag_store_column_dup(s, 1, &ok);
    r->title = (ag_text){ag_store_column_dup(s, 2, &ok), ag_store_column_dup(s, 3, &ok)};
    r->description = (ag_text){ag_store_column_dup(s, 4, &ok), ag_store_column_dup(s, 5, &ok)};
    r->location = (ag_text){ag_store_column_dup(s, 6, &ok), ag_store_column_dup(s, 7, &ok)};
    r->start = sqlite3_column_int64(s, 8);
    r->end = sqlite3_column_int64(s, 9);
    r->all_day = sqlite3_column_int(s, 10) != 0;
    r->status = status_from((const char *)sqlite3_column_text(s, 11));
    r->categories = ag_store_column_dup(s, 12, &ok);
    r->sequence = sqlite3_column_int(s, 13);
    r->created = sqlite3_column_int64(s, 14);
    r->last_modified = sqlite3_column_int64(s, 15);
    r->removed_at = sqlite3_column_int64(s, 16);
    return ok;
}

/* Runs a SELECT of IMPORT_COLS (member bound as ?1 when given). */
static int select_rows(ag_store *st, const char *sql, const char *member, ag_import_row **out,
                       size_t *n, char **err)
{
    sqlite3_stmt *s = NULL;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read imported events from");
    if (member)
        sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            ag_import_row *g = realloc(*out, ncap * sizeof *g);
            if (!g)
                break;
            *out = g;
            cap = ncap;
        }
        memset(&(*out)[*n], 0, sizeof **out);
        if (!read_row(s, &(*out)[(*n)++]))
            break;
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return 0;
    ag_store_import_rows_free(*out, *n);
    *out = NULL;
    *n = 0;
    return ag_store_failf(st, err, rc == SQLITE_ROW ? AG_ENOMEM : ag_store_code(rc),
                          "cannot read imported events from", "%s",
                          rc == SQLITE_ROW ? "out of memory" : sqlite3_errstr(rc));
}

static int cmp_uid_row(const void *key, const void *row)
{
    return strcmp(key, ((const ag_import_row *)row)->uid);
}

static int add_attendee(sqlite3_stmt *s, ag_private *p)
{
    return ag_private_add_attendee(
        p, (const char *)sqlite3_column_text(s, 1), (const char *)sqlite3_column_text(s, 2),
        (const char *)sqlite3_column_text(s, 3), (const char *)sqlite3_column_text(s, 4));
}

static int add_alarm(sqlite3_stmt *s, ag_private *p)
{
    return ag_private_add_alarm(p, (const char *)sqlite3_column_text(s, 1),
                                (ag_trigger_kind)sqlite3_column_int(s, 2),
                                sqlite3_column_int64(s, 3), (const char *)sqlite3_column_text(s, 4),
                                (const char *)sqlite3_column_text(s, 5));
}

/* Attaches child rows (uid in column 0, in pos order) to rows, which are
 * sorted by uid. Most members never set private_data: the tables are then
 * empty and this costs one index probe. 0; a sqlite result code; or add's
 * negative AG_E* code. */
static int attach(ag_store *st, const char *sql, const char *member, ag_import_row *rows, size_t n,
                  int (*add)(sqlite3_stmt *, ag_private *))
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (member)
        sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC);
    int added = 0;
    while (added == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        ag_import_row *r = bsearch(sqlite3_column_text(s, 0), rows, n, sizeof *rows, cmp_uid_row);
        if (r)
            added = add(s, &r->priv);
    }
    sqlite3_finalize(s);
    return added < 0 ? added : rc == SQLITE_DONE ? 0 : rc;
}

#define OF_MEMBER(table) " FROM " table " WHERE ?1 IS NULL OR member = ?1 ORDER BY uid, pos"

static int load_private(ag_store *st, const char *member, ag_import_row *rows, size_t n, char **err)
{
    if (n == 0)
        return 0;
    int rc = attach(st, "SELECT uid, address, cn, partstat, role" OF_MEMBER("imported_attendees"),
                    member, rows, n, add_attendee);
    if (rc == 0)
        rc = attach(st,
                    "SELECT uid, action, related, trigger_at, description, summary" OF_MEMBER(
                        "imported_alarms"),
                    member, rows, n, add_alarm);
    if (rc == 0)
        return 0;
    /* An attendee or alarm that found no room was dropped, and sqlite's
     * own message would not say so. */
    if (rc == AG_ENOMEM)
        return ag_store_failf(st, err, AG_ENOMEM, "cannot read imported events from",
                              "out of memory");
    int code = ag_store_fail(st, err, "cannot read imported events from");
    return rc < 0 ? rc : code;
}

/* Rows and their private data, from one snapshot (the caller's transaction
 * or this one). */
static int select_all(ag_store *st, const char *sql, const char *member, ag_import_row **out,
                      size_t *n, char **err)
{
    int rc = select_rows(st, sql, member, out, n, err);
    if (rc < 0)
        return rc;
    if ((rc = load_private(st, member, *out, *n, err)) == 0)
        return 0;
    ag_store_import_rows_free(*out, *n);
    *out = NULL;
    *n = 0;
    return rc;
}

int ag_store_load_imports(ag_store *st, ag_import_row **out, size_t *n, char **err)
{
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read imported events from");
    int rc = select_all(st, "SELECT " IMPORT_COLS " FROM imported_events ORDER BY uid", NULL, out,
                        n, err);
    ag_store_rollback(st);
    return rc;
}

int ag_store_select_member_imports(ag_store *st, const char *member, ag_import_row **out, size_t *n,
                                   char **err)
{
    return select_all(st,
                      "SELECT " IMPORT_COLS " FROM imported_events WHERE member = ?1 ORDER BY uid",
                      member, out, n, err);
}

int ag_store_load_member_imports(ag_store *st, const char *member, ag_import_row **out, size_t *n,
                                 char **err)
{
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read imported events from");
    int rc = ag_store_select_member_imports(st, member, out, n, err);
    ag_store_rollback(st);
    return rc;
}
