/* Events imported from members' own calendars. A pull replaces one member's
 * set as a whole; comparing with what is stored first means that an
 * unchanged feed writes nothing (no new SEQUENCE, no fsync, feeds' ETags
 * hold), and that an event gone from the source is published as CANCELLED
 * until it passes, as the network's own removed events are. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_COLS                                                                                \
    "uid, member, title_ar, title_fr, description_ar, description_fr, location_ar, location_fr, "  \
    "start_utc, end_utc, all_day, status, categories, sequence, created, last_modified, "          \
    "removed_at"

static const char *const status_names[] = {"confirmed", "tentative", "cancelled"};

void ag_import_rows_free(ag_import_row *rows, size_t n)
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

static char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

static ag_status status_from(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, status_names[i]) == 0)
            return (ag_status)i;
    return AG_STATUS_CONFIRMED;
}

static void read_row(sqlite3_stmt *s, ag_import_row *r)
{
    r->uid = col_text(s, 0);
    r->member = col_text(s, 1);
    r->title = (ag_text){col_text(s, 2), col_text(s, 3)};
    r->description = (ag_text){col_text(s, 4), col_text(s, 5)};
    r->location = (ag_text){col_text(s, 6), col_text(s, 7)};
    r->start = sqlite3_column_int64(s, 8);
    r->end = sqlite3_column_int64(s, 9);
    r->all_day = sqlite3_column_int(s, 10) != 0;
    r->status = status_from((const char *)sqlite3_column_text(s, 11));
    r->categories = col_text(s, 12);
    r->sequence = sqlite3_column_int(s, 13);
    r->created = sqlite3_column_int64(s, 14);
    r->last_modified = sqlite3_column_int64(s, 15);
    r->removed_at = sqlite3_column_int64(s, 16);
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
        read_row(s, &(*out)[(*n)++]);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return 0;
    ag_import_rows_free(*out, *n);
    *out = NULL;
    *n = 0;
    return ag_store_failf(st, err, "cannot read imported events from", "%s",
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
 * empty and this costs one index probe. */
static int attach(ag_store *st, const char *sql, const char *member, ag_import_row *rows, size_t n,
                  int (*add)(sqlite3_stmt *, ag_private *))
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    if (member)
        sqlite3_bind_text(s, 1, member, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ag_import_row *r = bsearch(sqlite3_column_text(s, 0), rows, n, sizeof *rows, cmp_uid_row);
        if (r && add(s, &r->priv) < 0)
            break;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

#define OF_MEMBER(table)                                                                           \
    " FROM " table " WHERE ?1 IS NULL OR uid IN (SELECT uid FROM imported_events WHERE member = "  \
    "?1) ORDER BY uid, pos"

static int load_private(ag_store *st, const char *member, ag_import_row *rows, size_t n, char **err)
{
    if (n == 0)
        return 0;
    if (attach(st, "SELECT uid, address, cn, partstat, role" OF_MEMBER("imported_attendees"),
               member, rows, n, add_attendee) == 0 &&
        attach(st,
               "SELECT uid, action, related, trigger_at, description, summary" OF_MEMBER(
                   "imported_alarms"),
               member, rows, n, add_alarm) == 0)
        return 0;
    return ag_store_fail(st, err, "cannot read imported events from");
}

/* Rows and their private data, from one snapshot (the caller's transaction
 * or this one). */
static int select_all(ag_store *st, const char *sql, const char *member, ag_import_row **out,
                      size_t *n, char **err)
{
    if (select_rows(st, sql, member, out, n, err) < 0)
        return -1;
    if (load_private(st, member, *out, *n, err) == 0)
        return 0;
    ag_import_rows_free(*out, *n);
    *out = NULL;
    *n = 0;
    return -1;
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

int ag_store_load_member_imports(ag_store *st, const char *member, ag_import_row **out, size_t *n,
                                 char **err)
{
    if (ag_store_exec(st, "BEGIN") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read imported events from");
    int rc =
        select_all(st, "SELECT " IMPORT_COLS " FROM imported_events WHERE member = ?1 ORDER BY uid",
                   member, out, n, err);
    ag_store_rollback(st);
    return rc;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool text_eq(const ag_text *a, const ag_text *b)
{
    return str_eq(a->ar, b->ar) && str_eq(a->fr, b->fr);
}

static bool same_content(const ag_import_row *a, const ag_import_row *b)
{
    return text_eq(&a->title, &b->title) && text_eq(&a->description, &b->description) &&
           text_eq(&a->location, &b->location) && a->start == b->start && a->end == b->end &&
           a->all_day == b->all_day && a->status == b->status &&
           str_eq(a->categories ? a->categories : "", b->categories ? b->categories : "") &&
           ag_private_eq(&a->priv, &b->priv);
}

static int cmp_row_ptr(const void *a, const void *b)
{
    const ag_import_row *const *x = a, *const *y = b;
    return strcmp((*x)->uid, (*y)->uid);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static int insert_attendee(sqlite3_stmt *s, const ag_private *p, size_t i)
{
    const ag_attendee *a = &p->attendees[i];
    bind_text(s, 3, a->address);
    bind_text(s, 4, a->cn);
    bind_text(s, 5, a->partstat);
    bind_text(s, 6, a->role);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

static int insert_alarm(sqlite3_stmt *s, const ag_private *p, size_t i)
{
    const ag_alarm *a = &p->alarms[i];
    bind_text(s, 3, a->action);
    sqlite3_bind_int(s, 4, (int)a->related);
    sqlite3_bind_int64(s, 5, a->trigger);
    bind_text(s, 6, a->description);
    bind_text(s, 7, a->summary);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

static int insert_children(ag_store *st, const char *sql, const char *uid, const ag_private *p,
                           size_t n, int (*insert)(sqlite3_stmt *, const ag_private *, size_t))
{
    if (n == 0)
        return 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (int64_t)i);
        rc = insert(s, p, i);
    }
    sqlite3_finalize(s);
    return rc;
}

static int exec_uid(ag_store *st, const char *sql, const char *uid, int64_t now);

/* Replaces the row's attendees and alarms; old: whether it had some. */
static int write_private(ag_store *st, const ag_import_row *r, const ag_import_row *old)
{
    bool had = old && (old->priv.n_attendees || old->priv.n_alarms);
    if (had && (exec_uid(st, "DELETE FROM imported_attendees WHERE uid = ?1", r->uid, 0) < 0 ||
                exec_uid(st, "DELETE FROM imported_alarms WHERE uid = ?1", r->uid, 0) < 0))
        return -1;
    const ag_private *p = &r->priv;
    if (insert_children(st,
                        "INSERT INTO imported_attendees (uid, pos, address, cn, partstat, role) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        r->uid, p, p->n_attendees, insert_attendee) < 0)
        return -1;
    return insert_children(st,
                           "INSERT INTO imported_alarms (uid, pos, action, related, trigger_at, "
                           "description, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           r->uid, p, p->n_alarms, insert_alarm);
}

/* The two statements a batch repeats for each of its rows, prepared once:
 * parsing the SQL for each of a member's thousand rows cost more than the
 * writes. */
typedef struct {
    sqlite3_stmt *insert, *update;
} row_stmts;

static sqlite3_stmt *cached(ag_store *st, sqlite3_stmt **slot, const char *sql)
{
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
    } else if (sqlite3_prepare_v2(st->db, sql, -1, slot, NULL) != SQLITE_OK) {
        *slot = NULL;
    }
    return *slot;
}

static void row_stmts_finalize(row_stmts *w)
{
    sqlite3_finalize(w->insert);
    sqlite3_finalize(w->update);
}

/* INSERT (old NULL) or UPDATE with SEQUENCE+1 of one row's content. */
static int write_row(ag_store *st, row_stmts *w, const char *source, const char *member,
                     const ag_import_row *r, const ag_import_row *old, int64_t now)
{
    static const char insert[] =
        "INSERT INTO imported_events (uid, source, member, title_ar, title_fr, description_ar, "
        "description_fr, location_ar, location_fr, start_utc, end_utc, all_day, status, "
        "categories, sequence, created, last_modified, removed_at) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0, ?15, ?15, 0)";
    static const char update[] =
        "UPDATE imported_events SET source = ?2, member = ?3, title_ar = ?4, title_fr = ?5, "
        "description_ar = ?6, description_fr = ?7, location_ar = ?8, location_fr = ?9, "
        "start_utc = ?10, end_utc = ?11, all_day = ?12, status = ?13, categories = ?14, "
        "sequence = sequence + 1, last_modified = ?15, removed_at = 0 WHERE uid = ?1";
    sqlite3_stmt *s = old ? cached(st, &w->update, update) : cached(st, &w->insert, insert);
    if (!s)
        return -1;
    bind_text(s, 1, r->uid);
    bind_text(s, 2, source);
    bind_text(s, 3, member);
    bind_text(s, 4, r->title.ar);
    bind_text(s, 5, r->title.fr);
    bind_text(s, 6, r->description.ar);
    bind_text(s, 7, r->description.fr);
    bind_text(s, 8, r->location.ar);
    bind_text(s, 9, r->location.fr);
    sqlite3_bind_int64(s, 10, r->start);
    sqlite3_bind_int64(s, 11, r->end);
    sqlite3_bind_int(s, 12, r->all_day);
    bind_text(s, 13, status_names[r->status]);
    bind_text(s, 14, r->categories ? r->categories : "");
    sqlite3_bind_int64(s, 15, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return -1;
    return write_private(st, r, old);
}

static int exec_uid(ag_store *st, const char *sql, const char *uid, int64_t now)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, now);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* What to do with a stored row that the new batch lacks. */
static int retire_row(ag_store *st, const ag_import_row *old, int64_t now, int64_t retention,
                      int *written)
{
    if (old->removed_at == 0) {
        (*written)++;
        return exec_uid(st,
                        "UPDATE imported_events SET removed_at = ?2, sequence = sequence + 1, "
                        "last_modified = ?2 WHERE uid = ?1",
                        old->uid, now);
    }
    if (old->end + retention < now && old->removed_at + retention < now) {
        (*written)++;
        return exec_uid(st, "DELETE FROM imported_events WHERE uid = ?1", old->uid, now);
    }
    return 0;
}

/* Walks both uid-sorted lists like a merge. */
static int apply(ag_store *st, const char *source, const char *member, const ag_import_row **in,
                 size_t n_in, const ag_import_row *old, size_t n_old, int64_t now,
                 int64_t retention, int *written)
{
    size_t i = 0, j = 0;
    row_stmts w = {0};
    int rc = 0;
    while (rc == 0 && (i < n_in || j < n_old)) {
        int c = i == n_in ? 1 : j == n_old ? -1 : strcmp(in[i]->uid, old[j].uid);
        if (c < 0) {
            rc = write_row(st, &w, source, member, in[i], NULL, now);
            (*written)++;
            i++;
        } else if (c > 0) {
            rc = retire_row(st, &old[j++], now, retention, written);
        } else {
            if (old[j].removed_at != 0 || !same_content(in[i], &old[j])) {
                rc = write_row(st, &w, source, member, in[i], &old[j], now);
                (*written)++;
            }
            i++;
            j++;
        }
    }
    row_stmts_finalize(&w);
    return rc < 0 ? -1 : 0;
}

static int replace_locked(ag_store *st, const char *source, const char *member,
                          const ag_import_row **in, size_t n, int64_t now, int64_t retention,
                          int *written, char **err)
{
    ag_import_row *old;
    size_t n_old;
    if (select_all(st, "SELECT " IMPORT_COLS " FROM imported_events WHERE member = ?1 ORDER BY uid",
                   member, &old, &n_old, err) < 0)
        return -1;
    int rc = apply(st, source, member, in, n, old, n_old, now, retention, written);
    ag_import_rows_free(old, n_old);
    if (rc < 0)
        return ag_store_fail(st, err, "cannot store imported events in");
    return 0;
}

static int sorted_unique(const ag_import_row *rows, size_t n, const ag_import_row ***out,
                         ag_store *st, char **err)
{
    const ag_import_row **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return ag_store_failf(st, err, "cannot store imported events in", "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = &rows[i];
    qsort(v, n, sizeof *v, cmp_row_ptr);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1]->uid, v[i]->uid) == 0) {
            int rc = ag_store_failf(st, err, "cannot store imported events in",
                                    "uid %s appears twice in one batch", v[i]->uid);
            free(v);
            return rc;
        }
    *out = v;
    return 0;
}

/* The connection's synchronous level, or -1. */
static int synchronous_level(ag_store *st)
{
    sqlite3_stmt *s = NULL;
    int level = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        level = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return level;
}

static void set_synchronous(ag_store *st, int level)
{
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %d", level);
    ag_store_exec(st, sql);
}

static int replace_in_transaction(ag_store *st, const char *source, const char *member,
                                  const ag_import_row **in, size_t n, int64_t now,
                                  int64_t retention, int *count, char **err)
{
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot store imported events in");
    int rc = replace_locked(st, source, member, in, n, now, retention, count, err);
    if (rc == 0 && *count == 0) {
        ag_store_rollback(st); /* nothing changed: not even a commit */
        return 0;
    }
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot commit imported events to");
    if (rc < 0)
        ag_store_rollback(st);
    return rc;
}

int ag_store_import_replace(ag_store *st, const char *source, const char *member,
                            const ag_import_row *rows, size_t n, int64_t now, int64_t retention,
                            int *written, char **err)
{
    int count = 0;
    if (written)
        *written = 0;
    const ag_import_row **in = NULL; /* -O3 cannot see that failure returns early */
    if (sorted_unique(rows, n, &in, st, err) < 0)
        return -1;
    /* Committed without an fsync of its own (WAL, synchronous NORMAL): the
     * commit stays atomic, also across kill -9, and the next commit with
     * the usual level (the source's validators, saved once the batch is
     * stored) makes it durable with everything before it in the log. A
     * power cut in between loses the batch and keeps the old validators:
     * the next pull brings it again. The fsync cost 10-50 ms of the loop
     * per member's pull. */
    int level = synchronous_level(st);
    if (level > 1)
        set_synchronous(st, 1);
    int rc = replace_in_transaction(st, source, member, in, n, now, retention, &count, err);
    if (level > 1)
        set_synchronous(st, level);
    free(in);
    if (rc == 0 && written)
        *written = count;
    return rc;
}
