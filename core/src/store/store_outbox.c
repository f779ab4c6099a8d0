/* The reminder outbox and the scheduler's event fingerprints (see
 * store_outbox.h). Statements are prepared once and kept in the handle. */
#include "store_internal.h"
#include "store_outbox.h"

#include <stdlib.h>
#include <string.h>

enum {
    O_INSERT,
    O_DUE,
    O_NEXT,
    O_UPDATE,
    O_LIST,
    O_LIST_ALL,
    O_RETRY,
    O_PENDING_OF,
    O_REMINDED,
    O_FP_GET,
    O_FP_SET,
    O_FP_UIDS,
    O_COUNTS,
    O_COUNT_
};

#define ROW_COLS                                                                                   \
    "id, kind, uid, occurrence, lead, channel, member, address, seq, due, state, attempts, "       \
    "next_attempt, last_error, done_at"

static const char *const sql[O_COUNT_] = {
    [O_INSERT] = "INSERT OR IGNORE INTO outbox (kind, uid, occurrence, lead, channel, recipient, "
                 "member, address, seq, due, state, next_attempt, created) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [O_DUE] = "SELECT " ROW_COLS " FROM outbox WHERE state = 'pending' AND next_attempt <= ?1 "
              "ORDER BY next_attempt, id LIMIT ?2",
    [O_NEXT] = "SELECT min(next_attempt) FROM outbox WHERE state = 'pending'",
    [O_UPDATE] = "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt = ?4, "
                 "last_error = ?5, done_at = ?6 WHERE id = ?1",
    [O_LIST] = "SELECT " ROW_COLS " FROM outbox WHERE state = ?1 ORDER BY due, id",
    [O_LIST_ALL] = "SELECT " ROW_COLS " FROM outbox ORDER BY due, id",
    [O_RETRY] = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = ?2, "
                "last_error = NULL, done_at = 0 WHERE id = ?1 AND state IN ('failed', 'missed')",
    [O_PENDING_OF] = "SELECT id, occurrence FROM outbox WHERE uid = ?1 AND state = 'pending' "
                     "AND kind = 'reminder'",
    [O_REMINDED] = "SELECT " ROW_COLS " FROM outbox WHERE uid = ?1 AND kind = 'reminder' "
                   "AND state = 'sent' AND occurrence >= ?2 ORDER BY occurrence, id",
    [O_FP_GET] = "SELECT fingerprint, live FROM reminder_events WHERE uid = ?1",
    [O_FP_SET] = "INSERT INTO reminder_events (uid, fingerprint, live) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (uid) DO UPDATE SET fingerprint = excluded.fingerprint, "
                 "live = excluded.live",
    [O_FP_UIDS] = "SELECT uid FROM reminder_events ORDER BY uid",
    [O_COUNTS] = "SELECT state, channel, count(*) FROM outbox GROUP BY state, channel",
};

static const char *const state_names[] = {"pending", "sent", "failed", "missed", "dropped"};
static const char *const kind_names[AG_OUT_KIND_COUNT_] = {"reminder", "cancel",        "change",
                                                           "invite",   "invite-cancel", "minutes"};

const char *ag_store_outbox_state_name(ag_outbox_state s)
{
    return s < AG_OUT_ANY_ ? state_names[s] : "any";
}

const char *ag_store_outbox_kind_name(ag_outbox_kind k)
{
    return kind_names[k];
}

static int index_of(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return 0;
}

static sqlite3_stmt *stmt(ag_store *st, int id)
{
    _Static_assert(O_COUNT_ <= sizeof st->outbox_stmts / sizeof st->outbox_stmts[0],
                   "room for the outbox statements");
    return ag_store_cached(st, &st->outbox_stmts[id], sql[id]);
}

static int fail(ag_store *st, sqlite3_stmt *s, char **err, const char *what)
{
    int rc = ag_store_fail(st, err, what);
    if (s)
        sqlite3_reset(s);
    return rc;
}

int ag_store_outbox_begin(ag_store *st, char **err)
{
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot write the outbox of");
    return 0;
}

int ag_store_outbox_commit(ag_store *st, char **err)
{
    if (ag_store_exec(st, "COMMIT") == SQLITE_OK)
        return 0;
    int rc = ag_store_fail(st, err, "cannot commit the outbox of");
    ag_store_rollback(st);
    return rc;
}

void ag_store_outbox_rollback(ag_store *st)
{
    ag_store_rollback(st);
}

/* The recipient part of the unique key: one row per member contact address,
 * per bare extra address, or per member without address. */
static char *recipient_key(const ag_outbox_row *r)
{
    char *k = NULL;
    if (r->member && r->address)
        return asprintf(&k, "%s/%s", r->member, r->address) < 0 ? NULL : k;
    return strdup(r->member ? r->member : r->address ? r->address : "");
}

int ag_store_outbox_insert(ag_store *st, const ag_outbox_row *r, int64_t now, bool *inserted,
                           char **err)
{
    sqlite3_stmt *s = stmt(st, O_INSERT);
    char *key = recipient_key(r);
    if (!s || !key) {
        free(key);
        return fail(st, s, err, "cannot add to the outbox of");
    }
    sqlite3_bind_text(s, 1, kind_names[r->kind], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, r->uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, r->occurrence);
    sqlite3_bind_int64(s, 4, r->lead);
    sqlite3_bind_text(s, 5, r->channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, key, -1, SQLITE_TRANSIENT);
    ag_store_bind_opt_text(s, 7, r->member);
    ag_store_bind_opt_text(s, 8, r->address);
    sqlite3_bind_int(s, 9, r->seq);
    sqlite3_bind_int64(s, 10, r->due);
    sqlite3_bind_text(s, 11, state_names[r->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 12, r->next_attempt);
    sqlite3_bind_int64(s, 13, now);
    free(key);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, "cannot add to the outbox of");
    if (inserted)
        *inserted = sqlite3_changes(st->db) > 0;
    sqlite3_reset(s);
    return 0;
}

static bool read_row(sqlite3_stmt *s, ag_outbox_row *r)
{
    bool ok = true;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    r->kind = index_of(kind_names, AG_OUT_KIND_COUNT_, (const char *)sqlite3_column_text(s, 1));
    r->uid = ag_store_column_dup(s, 2, &ok);
    r->occurrence = sqlite3_column_int64(s, 3);
    r->lead = sqlite3_column_int64(s, 4);
    r->channel = ag_store_column_dup(s, 5, &ok);
    r->member = ag_store_column_dup(s, 6, &ok);
    r->address = ag_store_column_dup(s, 7, &ok);
    r->seq = sqlite3_column_int(s, 8);
    r->due = sqlite3_column_int64(s, 9);
    r->state = index_of(state_names, 5, (const char *)sqlite3_column_text(s, 10));
    r->attempts = sqlite3_column_int(s, 11);
    r->next_attempt = sqlite3_column_int64(s, 12);
    r->last_error = ag_store_column_dup(s, 13, &ok);
    r->done_at = sqlite3_column_int64(s, 14);
    return ok && r->uid && r->channel;
}

static void row_free(ag_outbox_row *r)
{
    free(r->uid);
    free(r->channel);
    free(r->member);
    free(r->address);
    free(r->last_error);
}

void ag_store_outbox_rows_free(ag_outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        row_free(&rows[i]);
    free(rows);
}

/* Steps s to the end, collecting rows. */
static int collect(ag_store *st, sqlite3_stmt *s, ag_outbox_row **rows, size_t *n, char **err)
{
    ag_outbox_row *v = NULL;
    size_t len = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 16;
            ag_outbox_row *g = realloc(v, cap * sizeof *g);
            if (!g)
                break;
            v = g;
        }
        if (!read_row(s, &v[len])) {
            row_free(&v[len]);
            break;
        }
        len++;
    }
    if (rc != SQLITE_DONE) {
        ag_store_outbox_rows_free(v, len);
        if (rc == SQLITE_ROW)
            return ag_store_failf(st, err, AG_ENOMEM, "cannot read the outbox of", "out of memory");
        return fail(st, s, err, "cannot read the outbox of");
    }
    sqlite3_reset(s);
    *rows = v;
    *n = len;
    return 0;
}

int ag_store_outbox_due(ag_store *st, int64_t now, size_t limit, ag_outbox_row **rows, size_t *n,
                        char **err)
{
    sqlite3_stmt *s = stmt(st, O_DUE);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
    return collect(st, s, rows, n, err);
}

int ag_store_outbox_next(ag_store *st, int64_t *when, bool *found, char **err)
{
    sqlite3_stmt *s = stmt(st, O_NEXT);
    if (!s || sqlite3_step(s) != SQLITE_ROW)
        return fail(st, s, err, "cannot read the outbox of");
    *found = sqlite3_column_type(s, 0) != SQLITE_NULL;
    *when = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 0;
}

int ag_store_outbox_update(ag_store *st, int64_t id, ag_outbox_state state, int attempts,
                           int64_t next_attempt, const char *error, int64_t done_at, char **err)
{
    sqlite3_stmt *s = stmt(st, O_UPDATE);
    if (!s)
        return fail(st, s, err, "cannot update the outbox of");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, state_names[state], -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, attempts);
    sqlite3_bind_int64(s, 4, next_attempt);
    ag_store_bind_opt_text(s, 5, error);
    sqlite3_bind_int64(s, 6, done_at);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, "cannot update the outbox of");
    sqlite3_reset(s);
    return 0;
}

int ag_store_outbox_relaxed(ag_store *st, bool relaxed, char **err)
{
    if (ag_store_exec(st, relaxed ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL") !=
        SQLITE_OK)
        return ag_store_fail(st, err, "cannot set the durability of");
    return 0;
}

int ag_store_outbox_outcome(ag_store *st, int64_t id, ag_outbox_state state, int attempts,
                            int64_t next_attempt, const char *error, int64_t done_at, char **err)
{
    int rc = ag_store_outbox_relaxed(st, true, err);
    if (rc < 0)
        return rc;
    rc = ag_store_outbox_update(st, id, state, attempts, next_attempt, error, done_at, err);
    /* Everything else keeps waiting for the disk, the due batches first. */
    int back = ag_store_outbox_relaxed(st, false, rc == 0 ? err : NULL);
    return rc == 0 ? back : rc;
}

int ag_store_outbox_list(ag_store *st, ag_outbox_state state, ag_outbox_row **rows, size_t *n,
                         char **err)
{
    sqlite3_stmt *s = stmt(st, state == AG_OUT_ANY_ ? O_LIST_ALL : O_LIST);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    if (state != AG_OUT_ANY_)
        sqlite3_bind_text(s, 1, state_names[state], -1, SQLITE_STATIC);
    return collect(st, s, rows, n, err);
}

int ag_store_outbox_retry(ag_store *st, int64_t id, int64_t now, bool *found, char **err)
{
    sqlite3_stmt *s = stmt(st, O_RETRY);
    if (!s)
        return fail(st, s, err, "cannot update the outbox of");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, "cannot update the outbox of");
    *found = sqlite3_changes(st->db) > 0;
    sqlite3_reset(s);
    return 0;
}

static bool kept(const int64_t *keep, size_t n, int64_t occ)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keep[mid] == occ)
            return true;
        if (keep[mid] < occ)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Ids first, updates after: an UPDATE while the SELECT is stepping would
 * work in sqlite, but collecting keeps each statement simple. */
int ag_store_outbox_drop(ag_store *st, const char *uid, const int64_t *keep, size_t n_keep,
                         int64_t now, int *n, char **err)
{
    *n = 0;
    sqlite3_stmt *s = stmt(st, O_PENDING_OF);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    int64_t *ids = NULL;
    size_t len = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (kept(keep, n_keep, sqlite3_column_int64(s, 1)))
            continue;
        int64_t *g = realloc(ids, (len + 1) * sizeof *g);
        if (!g)
            break;
        ids = g;
        ids[len++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        free(ids);
        return ag_store_failf(st, err, rc == SQLITE_ROW ? AG_ENOMEM : ag_store_code(rc),
                              "cannot read the outbox of", "%s",
                              rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(st->db));
    }
    for (size_t i = 0; i < len; i++) {
        rc = ag_store_outbox_update(st, ids[i], AG_OUT_DROPPED, 0, 0, "event moved or cancelled",
                                    now, err);
        if (rc < 0) {
            free(ids);
            return rc;
        }
    }
    free(ids);
    *n = (int)len;
    return 0;
}

int ag_store_outbox_reminded(ag_store *st, const char *uid, int64_t from, ag_outbox_row **rows,
                             size_t *n, char **err)
{
    sqlite3_stmt *s = stmt(st, O_REMINDED);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, from);
    return collect(st, s, rows, n, err);
}

int ag_store_outbox_fingerprint_get(ag_store *st, const char *uid, char **fp, bool *live,
                                    char **err)
{
    *fp = NULL;
    sqlite3_stmt *s = stmt(st, O_FP_GET);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        bool ok = true;
        *fp = ag_store_column_dup(s, 0, &ok);
        *live = sqlite3_column_int(s, 1) != 0;
        if (!ok) {
            fail(st, s, err, "cannot read the outbox of");
            return AG_ENOMEM;
        }
    } else if (rc != SQLITE_DONE) {
        return fail(st, s, err, "cannot read the outbox of");
    }
    sqlite3_reset(s);
    return 0;
}

int ag_store_outbox_fingerprint_set(ag_store *st, const char *uid, const char *fp, bool live,
                                    char **err)
{
    sqlite3_stmt *s = stmt(st, O_FP_SET);
    if (!s)
        return fail(st, s, err, "cannot write the outbox of");
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, fp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, live);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, "cannot write the outbox of");
    sqlite3_reset(s);
    return 0;
}

int ag_store_outbox_fingerprint_uids(ag_store *st, char ***uids, size_t *n, char **err)
{
    sqlite3_stmt *s = stmt(st, O_FP_UIDS);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    char **v = NULL;
    size_t len = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char **g = realloc(v, (len + 1) * sizeof *g);
        if (!g)
            break;
        v = g;
        if (!(v[len] = strdup((const char *)sqlite3_column_text(s, 0))))
            break;
        len++;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        for (size_t i = 0; i < len; i++)
            free(v[i]);
        free(v);
        /* The message has always said out of memory, a failed step too. */
        return ag_store_failf(st, err, rc == SQLITE_ROW ? AG_ENOMEM : ag_store_code(rc),
                              "cannot read the outbox of", "out of memory");
    }
    *uids = v;
    *n = len;
    return 0;
}

int ag_store_outbox_counts(ag_store *st, ag_outbox_count_fn fn, void *data, char **err)
{
    sqlite3_stmt *s = stmt(st, O_COUNTS);
    if (!s)
        return fail(st, s, err, "cannot read the outbox of");
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ag_outbox_state state = index_of(state_names, 5, (const char *)sqlite3_column_text(s, 0));
        fn(state, (const char *)sqlite3_column_text(s, 1), sqlite3_column_int64(s, 2), data);
    }
    if (rc != SQLITE_DONE)
        return fail(st, s, err, "cannot read the outbox of");
    sqlite3_reset(s);
    return 0;
}
