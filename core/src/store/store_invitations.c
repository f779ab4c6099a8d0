/* Invitations and the scheduler's memory of each event's (see
 * store_invitations.h). Statements are prepared once and kept in the
 * handle. */
#include "store_internal.h"
#include "store_invitations.h"

#include <stdlib.h>
#include <string.h>

enum { I_GET, I_FIND, I_OF, I_ADD, I_SET, I_STATE_GET, I_STATE_SET, I_COUNT_ };

#define COLS "id, uid, address, member, lang, sequence, created, cancelled"

static const char *const sql[I_COUNT_] = {
    [I_GET] = "SELECT " COLS " FROM invitations WHERE id = ?1",
    [I_FIND] = "SELECT " COLS " FROM invitations WHERE uid = ?1 AND address = lower(?2)",
    [I_OF] = "SELECT " COLS " FROM invitations WHERE uid = ?1 ORDER BY member, address",
    [I_ADD] = "INSERT INTO invitations (uid, address, member, lang, sequence, created, cancelled) "
              "VALUES (?1, lower(?2), ?3, ?4, ?5, ?6, ?7)",
    [I_SET] = "UPDATE invitations SET sequence = ?2, cancelled = ?3 WHERE id = ?1",
    [I_STATE_GET] = "SELECT fingerprint, sequence FROM invitation_events WHERE uid = ?1",
    [I_STATE_SET] = "INSERT INTO invitation_events (uid, fingerprint, sequence) "
                    "VALUES (?1, ?2, ?3) ON CONFLICT (uid) DO UPDATE SET "
                    "fingerprint = excluded.fingerprint, sequence = excluded.sequence",
};

static const char READ[] = "cannot read the invitations of", WRITE[] = "cannot write the "
                                                                       "invitations of";

static sqlite3_stmt *stmt(ag_store *st, int id)
{
    _Static_assert(I_COUNT_ <= sizeof st->invitation_stmts / sizeof st->invitation_stmts[0],
                   "room for the invitation statements");
    return ag_store_cached(st, &st->invitation_stmts[id], sql[id]);
}

static int fail(ag_store *st, sqlite3_stmt *s, char **err, const char *what)
{
    int rc = ag_store_fail(st, err, what);
    if (s)
        sqlite3_reset(s);
    return rc;
}

void ag_invitation_clear(ag_invitation *iv)
{
    free(iv->uid);
    free(iv->address);
    free(iv->member);
    free(iv->lang);
    memset(iv, 0, sizeof *iv);
}

void ag_store_invitations_free(ag_invitation *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ag_invitation_clear(&v[i]);
    free(v);
}

/* false on out of memory (iv cleared). */
static bool read_row(sqlite3_stmt *s, ag_invitation *iv)
{
    bool ok = true;
    memset(iv, 0, sizeof *iv);
    iv->id = sqlite3_column_int64(s, 0);
    iv->uid = ag_store_column_dup(s, 1, &ok);
    iv->address = ag_store_column_dup(s, 2, &ok);
    iv->member = ag_store_column_dup(s, 3, &ok);
    iv->lang = ag_store_column_dup(s, 4, &ok);
    iv->sequence = sqlite3_column_int(s, 5);
    iv->created = sqlite3_column_int64(s, 6);
    iv->cancelled = sqlite3_column_int(s, 7) != 0;
    if (ok && iv->uid && iv->address)
        return true;
    ag_invitation_clear(iv);
    return false;
}

/* The one row s selects, if any. */
static int one(ag_store *st, sqlite3_stmt *s, ag_invitation *out, bool *found, char **err)
{
    *found = false;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(s);
        return 0;
    }
    if (rc != SQLITE_ROW)
        return fail(st, s, err, READ);
    bool ok = read_row(s, out);
    sqlite3_reset(s);
    if (!ok)
        return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
    *found = true;
    return 0;
}

int ag_store_invitation_get(ag_store *st, int64_t id, ag_invitation *out, bool *found, char **err)
{
    sqlite3_stmt *s = stmt(st, I_GET);
    if (!s)
        return fail(st, s, err, READ);
    sqlite3_bind_int64(s, 1, id);
    return one(st, s, out, found, err);
}

int ag_store_invitation_find(ag_store *st, const char *uid, const char *address, ag_invitation *out,
                             bool *found, char **err)
{
    sqlite3_stmt *s = stmt(st, I_FIND);
    if (!s)
        return fail(st, s, err, READ);
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, address, -1, SQLITE_TRANSIENT);
    return one(st, s, out, found, err);
}

int ag_store_invitations_of(ag_store *st, const char *uid, ag_invitation **out, size_t *n,
                            char **err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = stmt(st, I_OF);
    if (!s)
        return fail(st, s, err, READ);
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    ag_invitation *v = NULL;
    size_t len = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            ag_invitation *g = realloc(v, cap * sizeof *g);
            if (!g)
                break;
            v = g;
        }
        if (!read_row(s, &v[len]))
            break;
        len++;
    }
    if (rc != SQLITE_DONE) {
        ag_store_invitations_free(v, len);
        if (rc == SQLITE_ROW) {
            sqlite3_reset(s);
            return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
        }
        return fail(st, s, err, READ);
    }
    sqlite3_reset(s);
    *out = v;
    *n = len;
    return 0;
}

int ag_store_invitation_add(ag_store *st, const ag_invitation *iv, int64_t *id, char **err)
{
    sqlite3_stmt *s = stmt(st, I_ADD);
    if (!s)
        return fail(st, s, err, WRITE);
    sqlite3_bind_text(s, 1, iv->uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, iv->address, -1, SQLITE_TRANSIENT);
    ag_store_bind_opt_text(s, 3, iv->member);
    ag_store_bind_opt_text(s, 4, iv->lang);
    sqlite3_bind_int(s, 5, iv->sequence);
    sqlite3_bind_int64(s, 6, iv->created);
    sqlite3_bind_int(s, 7, iv->cancelled);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
            sqlite3_reset(s);
            return ag_store_failf(st, err, AG_EEXIST, WRITE,
                                  "event %s already invited this address", iv->uid);
        }
        return fail(st, s, err, WRITE);
    }
    if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_reset(s);
    return 0;
}

int ag_store_invitation_set(ag_store *st, int64_t id, int sequence, bool cancelled, char **err)
{
    sqlite3_stmt *s = stmt(st, I_SET);
    if (!s)
        return fail(st, s, err, WRITE);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, sequence);
    sqlite3_bind_int(s, 3, cancelled);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, WRITE);
    sqlite3_reset(s);
    return 0;
}

int ag_store_invitation_state_get(ag_store *st, const char *uid, char **fp, int *sequence,
                                  char **err)
{
    *fp = NULL;
    sqlite3_stmt *s = stmt(st, I_STATE_GET);
    if (!s)
        return fail(st, s, err, READ);
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        bool ok = true;
        *fp = ag_store_column_dup(s, 0, &ok);
        *sequence = sqlite3_column_int(s, 1);
        sqlite3_reset(s);
        if (!ok)
            return ag_store_failf(st, err, AG_ENOMEM, READ, "out of memory");
        return 0;
    }
    if (rc != SQLITE_DONE)
        return fail(st, s, err, READ);
    sqlite3_reset(s);
    return 0;
}

int ag_store_invitation_state_set(ag_store *st, const char *uid, const char *fp, int sequence,
                                  char **err)
{
    sqlite3_stmt *s = stmt(st, I_STATE_SET);
    if (!s)
        return fail(st, s, err, WRITE);
    sqlite3_bind_text(s, 1, uid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, fp, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, sequence);
    if (sqlite3_step(s) != SQLITE_DONE)
        return fail(st, s, err, WRITE);
    sqlite3_reset(s);
    return 0;
}
