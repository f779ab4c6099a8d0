/* Replies, keys, attendance and used form tokens (schema step 11). See
 * store_rsvp.h; rsvp/ holds the decisions around them. */
#include "store_internal.h"
#include "store_rsvp.h"

#include <stdlib.h>
#include <string.h>

enum {
    R_KEY_CURRENT,
    R_KEY_GET,
    R_KEY_INSERT,
    R_KEY_RETIRE,
    R_KEYS,
    R_INVITATION,
    R_LAST_RECORDED,
    R_REPLY_INSERT,
    R_NONCE_INSERT,
    R_LINK_COUNT,
    R_ANSWERS_ONE,
    R_ANSWERS_ALL,
    R_REPLIES_OF,
    R_ATT_SET,
    R_ATT_ONE,
    R_ATT_ALL,
    R_INVITED_UIDS,
    R_PURGE_REPLIES,
    R_PURGE_ATT,
    R_PURGE_TOKENS,
    R_PURGE_KEYS,
    R_PURGE_INV_REPLIES,
    R_PURGE_INV,
    R_PURGE_INV_OUTBOX,
    R_COUNT_
};

_Static_assert(R_COUNT_ <= sizeof((ag_store *)0)->rsvp_stmts / sizeof((ag_store *)0)->rsvp_stmts[0],
               "room for every statement");

/* The answer that counts for an invitation: the latest recorded reply at
 * its SEQUENCE (a recorded reply is a verified one). */
#define ANSWER_COLS                                                                                \
    "i.id, i.uid, i.address, i.member, (SELECT r.partstat FROM rsvp_replies r "                    \
    "WHERE r.invitation = i.id AND r.outcome = 'recorded' AND r.sequence = i.sequence "            \
    "ORDER BY r.dtstamp DESC, r.id DESC LIMIT 1), i.sequence, i.cancelled, i.created "             \
    "FROM invitations i "

static sqlite3_stmt *stmt(ag_store *st, int id)
{
    static const char *const sql[R_COUNT_] = {
        [R_KEY_CURRENT] = "SELECT id, key, created, retired FROM rsvp_keys WHERE retired = 0 "
                          "ORDER BY id DESC LIMIT 1",
        [R_KEY_GET] = "SELECT id, key, created, retired FROM rsvp_keys WHERE id = ?1",
        [R_KEY_INSERT] = "INSERT INTO rsvp_keys (key, created) VALUES (?1, ?2)",
        [R_KEY_RETIRE] = "UPDATE rsvp_keys SET retired = ?1 WHERE retired = 0",
        [R_KEYS] = "SELECT id, key, created, retired FROM rsvp_keys ORDER BY id",
        [R_INVITATION] = "SELECT sequence, cancelled FROM invitations WHERE id = ?1",
        [R_LAST_RECORDED] = "SELECT dtstamp FROM rsvp_replies WHERE invitation = ?1 AND "
                            "outcome = 'recorded' AND sequence = ?2 ORDER BY dtstamp DESC "
                            "LIMIT 1",
        [R_REPLY_INSERT] = "INSERT INTO rsvp_replies (invitation, partstat, sequence, dtstamp, "
                           "via, verified, outcome, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                           "?7, ?8)",
        [R_NONCE_INSERT] = "INSERT OR IGNORE INTO rsvp_form_tokens (nonce, used_at) "
                           "VALUES (?1, ?2)",
        [R_LINK_COUNT] = "SELECT count(*) FROM rsvp_replies r JOIN invitations i ON "
                         "i.id = r.invitation WHERE r.received_at >= ?2 AND r.via = 'link' AND "
                         "i.address = ?1",
        [R_ANSWERS_ONE] = "SELECT " ANSWER_COLS "WHERE i.uid = ?1 "
                          "ORDER BY i.uid, i.member, i.address",
        [R_ANSWERS_ALL] = "SELECT " ANSWER_COLS "ORDER BY i.uid, i.member, i.address",
        [R_REPLIES_OF] = "SELECT partstat, sequence, dtstamp, via, verified, outcome, "
                         "received_at FROM rsvp_replies WHERE invitation = ?1 ORDER BY id",
        [R_ATT_SET] = "INSERT INTO rsvp_attendance (uid, occurrence, member, address, present, "
                      "at, via, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                      "ON CONFLICT (uid, occurrence, member, address) DO UPDATE SET "
                      "present = excluded.present, at = excluded.at, via = excluded.via, "
                      "recorded_at = excluded.recorded_at",
        [R_ATT_ONE] = "SELECT uid, occurrence, member, address, present, at, recorded_at "
                      "FROM rsvp_attendance WHERE uid = ?1 "
                      "ORDER BY uid, occurrence, member, address",
        [R_ATT_ALL] = "SELECT uid, occurrence, member, address, present, at, recorded_at "
                      "FROM rsvp_attendance ORDER BY uid, occurrence, member, address",
        [R_INVITED_UIDS] = "SELECT DISTINCT uid FROM invitations ORDER BY uid",
        [R_PURGE_REPLIES] = "DELETE FROM rsvp_replies WHERE id IN (SELECT id FROM rsvp_replies "
                            "WHERE received_at < ?1 LIMIT ?2)",
        [R_PURGE_ATT] = "DELETE FROM rsvp_attendance WHERE (uid, occurrence, member, address) IN "
                        "(SELECT uid, occurrence, member, address FROM rsvp_attendance "
                        "WHERE at < ?1 LIMIT ?2)",
        [R_PURGE_TOKENS] = "DELETE FROM rsvp_form_tokens WHERE nonce IN (SELECT nonce FROM "
                           "rsvp_form_tokens WHERE used_at < ?1 LIMIT ?2)",
        [R_PURGE_KEYS] = "DELETE FROM rsvp_keys WHERE retired != 0 AND retired < ?1",
        [R_PURGE_INV_REPLIES] = "DELETE FROM rsvp_replies WHERE id IN (SELECT r.id FROM "
                                "rsvp_replies r JOIN invitations i ON i.id = r.invitation "
                                "WHERE i.uid = ?1 AND i.created < ?2 LIMIT ?3)",
        [R_PURGE_INV] = "DELETE FROM invitations WHERE id IN (SELECT id FROM invitations "
                        "WHERE uid = ?1 AND created < ?2 LIMIT ?3)",
        /* The outbox rows that carried the invitations hold the addresses
         * too; a pending one is still to be sent, whatever its age. */
        [R_PURGE_INV_OUTBOX] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE "
                               "uid = ?1 AND kind IN ('invite', 'invite-cancel') AND state <> "
                               "'pending' AND created < ?2 LIMIT ?3)",
    };
    return ag_store_cached(st, &st->rsvp_stmts[id], sql[id]);
}

static const char *const outcome_names[] = {
    [AG_STORE_REPLY_RECORDED] = "recorded",
    [AG_STORE_REPLY_STALE] = "stale",
    [AG_STORE_REPLY_UNVERIFIED] = "unverified",
};

/* Steps s to its end; 0, or the store's error (s reset either way). */
static int run(ag_store *st, sqlite3_stmt *s, char **err, const char *what)
{
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    if (rc != SQLITE_DONE) {
        rc = ag_store_fail(st, err, what);
        if (s)
            sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

static int begin(ag_store *st, char **err, const char *what)
{
    return ag_store_exec(st, "BEGIN IMMEDIATE") == SQLITE_OK ? 0 : ag_store_fail(st, err, what);
}

/* Commits when rc is 0, else rolls back; rc, or the commit's error. */
static int end(ag_store *st, int rc, char **err, const char *what)
{
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, what);
    if (rc < 0)
        ag_store_rollback(st);
    return rc;
}

/* Grows *v (elements of size sz) to hold n + 1; false when memory ran out. */
static bool grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*v, c * sz);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}

/* ---- keys ---- */

static bool read_key(sqlite3_stmt *s, ag_store_rsvp_key *out)
{
    const void *blob = sqlite3_column_blob(s, 1);
    if (!blob || sqlite3_column_bytes(s, 1) != AG_STORE_RSVP_KEY_BYTES)
        return false;
    out->id = sqlite3_column_int64(s, 0);
    memcpy(out->key, blob, AG_STORE_RSVP_KEY_BYTES);
    out->created = sqlite3_column_int64(s, 2);
    out->retired = sqlite3_column_int64(s, 3);
    return true;
}

/* One key row from s: 1 when read, 0 when none, or an error. */
static int step_key(ag_store *st, sqlite3_stmt *s, ag_store_rsvp_key *out, char **err)
{
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    int ret;
    if (rc == SQLITE_ROW)
        ret = read_key(s, out)
                  ? 1
                  : ag_store_failf(st, err, AG_ECORRUPT, "cannot read an rsvp key from",
                                   "a key is not %d bytes", AG_STORE_RSVP_KEY_BYTES);
    else
        ret = rc == SQLITE_DONE ? 0 : ag_store_fail(st, err, "cannot read an rsvp key from");
    if (s)
        sqlite3_reset(s);
    return ret;
}

static int insert_key(ag_store *st, const unsigned char *key, int64_t now, int64_t *id, char **err)
{
    sqlite3_stmt *s = stmt(st, R_KEY_INSERT);
    if (s && (sqlite3_bind_blob(s, 1, key, AG_STORE_RSVP_KEY_BYTES, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int64(s, 2, now) != SQLITE_OK))
        s = NULL;
    int rc = run(st, s, err, "cannot save an rsvp key to");
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int ag_store_rsvp_key_current(ag_store *st, const unsigned char fresh[AG_STORE_RSVP_KEY_BYTES],
                              int64_t now, ag_store_rsvp_key *out, char **err)
{
    if (err)
        *err = NULL;
    /* Read first: once a key exists, signing takes no write lock. */
    int rc = step_key(st, stmt(st, R_KEY_CURRENT), out, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = begin(st, err, "cannot save an rsvp key to")) < 0)
        return rc;
    rc = step_key(st, stmt(st, R_KEY_CURRENT), out, err);
    if (rc == 0) {
        *out = (ag_store_rsvp_key){.created = now};
        memcpy(out->key, fresh, AG_STORE_RSVP_KEY_BYTES);
        rc = insert_key(st, fresh, now, &out->id, err);
    }
    return end(st, rc < 0 ? rc : 0, err, "cannot save an rsvp key to");
}

int ag_store_rsvp_key_get(ag_store *st, int64_t id, ag_store_rsvp_key *out, bool *found, char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, R_KEY_GET);
    if (s && sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        s = NULL;
    int rc = step_key(st, s, out, err);
    *found = rc == 1;
    return rc < 0 ? rc : 0;
}

int ag_store_rsvp_key_rotate(ag_store *st, const unsigned char fresh[AG_STORE_RSVP_KEY_BYTES],
                             int64_t now, int64_t retire_at, int64_t *id, char **err)
{
    if (err)
        *err = NULL;
    static const char what[] = "cannot rotate the rsvp keys in";
    int rc = begin(st, err, what);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s = stmt(st, R_KEY_RETIRE);
    /* retired = 0 means "not retired": a key retired at instant 0 would
     * come back to life. */
    if (s && sqlite3_bind_int64(s, 1, retire_at > 0 ? retire_at : 1) != SQLITE_OK)
        s = NULL;
    rc = run(st, s, err, what);
    if (rc == 0)
        rc = insert_key(st, fresh, now, id, err);
    return end(st, rc, err, what);
}

int ag_store_rsvp_keys(ag_store *st, ag_store_rsvp_key **out, size_t *n, char **err)
{
    if (err)
        *err = NULL;
    *out = NULL;
    *n = 0;
    static const char what[] = "cannot read the rsvp keys from";
    sqlite3_stmt *s = stmt(st, R_KEYS);
    size_t cap = 0;
    int step = SQLITE_ERROR, rc = 0;
    while (s && rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (!grow((void **)out, &cap, *n, sizeof **out))
            rc = ag_store_failf(st, err, AG_ENOMEM, what, "out of memory");
        else if (!read_key(s, &(*out)[(*n)++]))
            rc = ag_store_failf(st, err, AG_ECORRUPT, what, "a key is not %d bytes",
                                AG_STORE_RSVP_KEY_BYTES);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = ag_store_fail(st, err, what);
    if (s)
        sqlite3_reset(s);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- replies ---- */

/* The invitation's SEQUENCE and whether it was cancelled: 1, 0 when there
 * is no such invitation, or an error. */
static int invitation_state(ag_store *st, int64_t id, int *sequence, bool *cancelled, char **err)
{
    sqlite3_stmt *s = stmt(st, R_INVITATION);
    if (s && sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        s = NULL;
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    int ret = rc == SQLITE_ROW    ? 1
              : rc == SQLITE_DONE ? 0
                                  : ag_store_fail(st, err, "cannot read an invitation from");
    if (ret == 1) {
        *sequence = sqlite3_column_int(s, 0);
        *cancelled = sqlite3_column_int(s, 1) != 0;
    }
    if (s)
        sqlite3_reset(s);
    return ret;
}

/* Whether a reply recorded at sequence is later than dtstamp. */
static int later_recorded(ag_store *st, int64_t invitation, int sequence, int64_t dtstamp,
                          bool *later, char **err)
{
    sqlite3_stmt *s = stmt(st, R_LAST_RECORDED);
    if (s && (sqlite3_bind_int64(s, 1, invitation) != SQLITE_OK ||
              sqlite3_bind_int(s, 2, sequence) != SQLITE_OK))
        s = NULL;
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    *later = rc == SQLITE_ROW && sqlite3_column_int64(s, 0) > dtstamp;
    int ret = rc == SQLITE_ROW || rc == SQLITE_DONE
                  ? 0
                  : ag_store_fail(st, err, "cannot read the replies from");
    if (s)
        sqlite3_reset(s);
    return ret;
}

static int decide(ag_store *st, const ag_store_reply *r, int sequence, bool cancelled,
                  ag_store_reply_outcome *outcome, char **err)
{
    if (!r->verified) {
        *outcome = AG_STORE_REPLY_UNVERIFIED;
        return 0;
    }
    if (cancelled || r->sequence != sequence) {
        *outcome = AG_STORE_REPLY_STALE;
        return 0;
    }
    bool later = false;
    int rc = later_recorded(st, r->invitation, r->sequence, r->dtstamp, &later, err);
    *outcome = later ? AG_STORE_REPLY_STALE : AG_STORE_REPLY_RECORDED;
    return rc;
}

/* The nonce, if any, used now: *replayed when it was used before. */
static int use_nonce(ag_store *st, const ag_store_reply *r, bool *replayed, char **err)
{
    *replayed = false;
    if (!r->form_nonce)
        return 0;
    sqlite3_stmt *s = stmt(st, R_NONCE_INSERT);
    if (s && (sqlite3_bind_text(s, 1, r->form_nonce, -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int64(s, 2, r->received_at) != SQLITE_OK))
        s = NULL;
    int rc = run(st, s, err, "cannot record a form token in");
    if (rc == 0)
        *replayed = sqlite3_changes(st->db) == 0;
    return rc;
}

int ag_store_rsvp_nonce_use(ag_store *st, const char *nonce, int64_t now, bool *replayed,
                            char **err)
{
    if (err)
        *err = NULL;
    ag_store_reply r = {.form_nonce = nonce, .received_at = now};
    return use_nonce(st, &r, replayed, err);
}

static int insert_reply(ag_store *st, const ag_store_reply *r, ag_store_reply_outcome outcome,
                        char **err)
{
    sqlite3_stmt *s = stmt(st, R_REPLY_INSERT);
    if (s && (sqlite3_bind_int64(s, 1, r->invitation) != SQLITE_OK ||
              sqlite3_bind_text(s, 2, r->partstat, -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int(s, 3, r->sequence) != SQLITE_OK ||
              sqlite3_bind_int64(s, 4, r->dtstamp) != SQLITE_OK ||
              sqlite3_bind_text(s, 5, r->via, -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int(s, 6, r->verified) != SQLITE_OK ||
              sqlite3_bind_text(s, 7, outcome_names[outcome], -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int64(s, 8, r->received_at) != SQLITE_OK))
        s = NULL;
    return run(st, s, err, "cannot record a reply in");
}

static int reply_add_locked(ag_store *st, const ag_store_reply *r, ag_store_reply_outcome *outcome,
                            bool *found, bool *replayed, char **err)
{
    int sequence = 0;
    bool cancelled = false;
    int rc = invitation_state(st, r->invitation, &sequence, &cancelled, err);
    if (rc <= 0)
        return rc;
    *found = true;
    if ((rc = use_nonce(st, r, replayed, err)) < 0 || *replayed)
        return rc;
    if ((rc = decide(st, r, sequence, cancelled, outcome, err)) < 0)
        return rc;
    return insert_reply(st, r, *outcome, err);
}

int ag_store_rsvp_reply_add(ag_store *st, const ag_store_reply *r, ag_store_reply_outcome *outcome,
                            bool *found, bool *replayed, char **err)
{
    if (err)
        *err = NULL;
    *found = *replayed = false;
    *outcome = AG_STORE_REPLY_UNVERIFIED;
    static const char what[] = "cannot record a reply in";
    int rc = begin(st, err, what);
    if (rc < 0)
        return rc;
    rc = reply_add_locked(st, r, outcome, found, replayed, err);
    return end(st, rc, err, what);
}

int ag_store_rsvp_link_replies_since(ag_store *st, const char *address, int64_t since, int *count,
                                     char **err)
{
    if (err)
        *err = NULL;
    *count = 0;
    sqlite3_stmt *s = stmt(st, R_LINK_COUNT);
    if (s && (sqlite3_bind_text(s, 1, address, -1, SQLITE_STATIC) != SQLITE_OK ||
              sqlite3_bind_int64(s, 2, since) != SQLITE_OK))
        s = NULL;
    int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int(s, 0);
    int ret = rc == SQLITE_ROW ? 0 : ag_store_fail(st, err, "cannot count the replies in");
    if (s)
        sqlite3_reset(s);
    return ret;
}

/* ---- reading rows ---- */

typedef bool (*row_reader)(sqlite3_stmt *s, void *row);

/* Every row of s, each read by fn into an element of size sz of *out. On
 * failure the rows read so far are handed to drop, and *out is NULL. */
static int read_rows(ag_store *st, sqlite3_stmt *s, size_t sz, row_reader fn,
                     void (*drop)(void *v, size_t n), void **out, size_t *n, char **err,
                     const char *what)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    int rc = s ? SQLITE_ROW : SQLITE_ERROR;
    bool oom = false;
    while (s && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (!grow(out, &cap, *n, sz)) {
            oom = true;
            break;
        }
        void *row = (char *)*out + *n * sz;
        memset(row, 0, sz);
        (*n)++;
        if (!fn(s, row)) {
            oom = true;
            break;
        }
    }
    int ret = oom                 ? ag_store_failf(st, err, AG_ENOMEM, what, "out of memory")
              : rc == SQLITE_DONE ? 0
                                  : ag_store_fail(st, err, what);
    if (s)
        sqlite3_reset(s);
    if (ret < 0) {
        drop(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return ret;
}

static bool read_answer(sqlite3_stmt *s, void *row)
{
    ag_store_rsvp_answer *a = row;
    bool ok = true;
    a->invitation = sqlite3_column_int64(s, 0);
    a->uid = ag_store_column_dup(s, 1, &ok);
    a->address = ag_store_column_dup(s, 2, &ok);
    a->member = ag_store_column_dup(s, 3, &ok);
    a->partstat = ag_store_column_dup(s, 4, &ok);
    a->sequence = sqlite3_column_int(s, 5);
    a->cancelled = sqlite3_column_int(s, 6) != 0;
    a->created = sqlite3_column_int64(s, 7);
    return ok && a->uid && a->address;
}

void ag_store_rsvp_answers_free(ag_store_rsvp_answer *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].uid);
        free(v[i].address);
        free(v[i].member);
        free(v[i].partstat);
    }
    free(v);
}

static void drop_answers(void *v, size_t n)
{
    ag_store_rsvp_answers_free(v, n);
}

int ag_store_rsvp_answers(ag_store *st, const char *uid, ag_store_rsvp_answer **out, size_t *n,
                          char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, uid ? R_ANSWERS_ONE : R_ANSWERS_ALL);
    if (s && uid && sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC) != SQLITE_OK)
        s = NULL;
    return read_rows(st, s, sizeof **out, read_answer, drop_answers, (void **)out, n, err,
                     "cannot read the invitations from");
}

static bool read_reply(sqlite3_stmt *s, void *row)
{
    ag_store_rsvp_reply_row *r = row;
    bool ok = true;
    r->partstat = ag_store_column_dup(s, 0, &ok);
    r->sequence = sqlite3_column_int(s, 1);
    r->dtstamp = sqlite3_column_int64(s, 2);
    r->via = ag_store_column_dup(s, 3, &ok);
    r->verified = sqlite3_column_int(s, 4) != 0;
    const char *outcome = (const char *)sqlite3_column_text(s, 5);
    r->outcome = AG_STORE_REPLY_UNVERIFIED;
    for (size_t i = 0; outcome && i < sizeof outcome_names / sizeof outcome_names[0]; i++)
        if (strcmp(outcome, outcome_names[i]) == 0)
            r->outcome = (ag_store_reply_outcome)i;
    r->received_at = sqlite3_column_int64(s, 6);
    return ok;
}

void ag_store_rsvp_replies_free(ag_store_rsvp_reply_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].partstat);
        free(v[i].via);
    }
    free(v);
}

static void drop_replies(void *v, size_t n)
{
    ag_store_rsvp_replies_free(v, n);
}

int ag_store_rsvp_replies_of(ag_store *st, int64_t invitation, ag_store_rsvp_reply_row **out,
                             size_t *n, char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, R_REPLIES_OF);
    if (s && sqlite3_bind_int64(s, 1, invitation) != SQLITE_OK)
        s = NULL;
    return read_rows(st, s, sizeof **out, read_reply, drop_replies, (void **)out, n, err,
                     "cannot read the replies from");
}

/* ---- attendance ---- */

static int set_mark(ag_store *st, const char *uid, const char *occurrence, int64_t at,
                    const ag_store_attendance_mark *m, const char *via, int64_t now, char **err)
{
    sqlite3_stmt *s = stmt(st, R_ATT_SET);
    if (s &&
        (sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(s, 2, occurrence, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(s, 3, m->member ? m->member : "", -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(s, 4, m->address ? m->address : "", -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_int(s, 5, m->present) != SQLITE_OK ||
         sqlite3_bind_int64(s, 6, at) != SQLITE_OK ||
         sqlite3_bind_text(s, 7, via, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_int64(s, 8, now) != SQLITE_OK))
        s = NULL;
    return run(st, s, err, "cannot record attendance in");
}

int ag_store_rsvp_attendance_set(ag_store *st, const char *uid, const char *occurrence, int64_t at,
                                 const ag_store_attendance_mark *marks, size_t n, const char *via,
                                 int64_t now, char **err)
{
    if (err)
        *err = NULL;
    static const char what[] = "cannot record attendance in";
    int rc = begin(st, err, what);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = set_mark(st, uid, occurrence, at, &marks[i], via, now, err);
    return end(st, rc, err, what);
}

static bool read_mark(sqlite3_stmt *s, void *row)
{
    ag_store_attendance *a = row;
    bool ok = true;
    a->uid = ag_store_column_dup(s, 0, &ok);
    a->occurrence = ag_store_column_dup(s, 1, &ok);
    a->member = ag_store_column_dup(s, 2, &ok);
    a->address = ag_store_column_dup(s, 3, &ok);
    a->present = sqlite3_column_int(s, 4) != 0;
    a->at = sqlite3_column_int64(s, 5);
    a->recorded_at = sqlite3_column_int64(s, 6);
    return ok && a->uid && a->occurrence && a->member && a->address;
}

void ag_store_rsvp_attendance_free(ag_store_attendance *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].uid);
        free(v[i].occurrence);
        free(v[i].member);
        free(v[i].address);
    }
    free(v);
}

static void drop_marks(void *v, size_t n)
{
    ag_store_rsvp_attendance_free(v, n);
}

int ag_store_rsvp_attendance_of(ag_store *st, const char *uid, ag_store_attendance **out, size_t *n,
                                char **err)
{
    if (err)
        *err = NULL;
    sqlite3_stmt *s = stmt(st, uid ? R_ATT_ONE : R_ATT_ALL);
    if (s && uid && sqlite3_bind_text(s, 1, uid, -1, SQLITE_STATIC) != SQLITE_OK)
        s = NULL;
    return read_rows(st, s, sizeof **out, read_mark, drop_marks, (void **)out, n, err,
                     "cannot read attendance from");
}

static bool read_uid(sqlite3_stmt *s, void *row)
{
    bool ok = true;
    char **uid = row;
    *uid = ag_store_column_dup(s, 0, &ok);
    return *uid != NULL;
}

static void drop_uids(void *v, size_t n)
{
    char **uids = v;
    for (size_t i = 0; i < n; i++)
        free(uids[i]);
    free(uids);
}

int ag_store_rsvp_invited_uids(ag_store *st, char ***uids, size_t *n, char **err)
{
    if (err)
        *err = NULL;
    return read_rows(st, stmt(st, R_INVITED_UIDS), sizeof **uids, read_uid, drop_uids,
                     (void **)uids, n, err, "cannot read the invitations from");
}

/* ---- retention ---- */

/* Runs a purge statement bound to (t, max) or (uid, t, max); adds the
 * rows it deleted to *deleted. */
static int purge(ag_store *st, int id, const char *uid, int64_t t, size_t max, int *deleted,
                 char **err)
{
    sqlite3_stmt *s = stmt(st, id);
    int i = 1;
    if (s && uid && sqlite3_bind_text(s, i++, uid, -1, SQLITE_STATIC) != SQLITE_OK)
        s = NULL;
    if (s && sqlite3_bind_int64(s, i++, t) != SQLITE_OK)
        s = NULL;
    if (s && id != R_PURGE_KEYS && sqlite3_bind_int64(s, i, (sqlite3_int64)max) != SQLITE_OK)
        s = NULL;
    int rc = run(st, s, err, "cannot delete expired replies and attendance from");
    if (rc == 0)
        *deleted += sqlite3_changes(st->db);
    return rc;
}

int ag_store_rsvp_purge(ag_store *st, int64_t before, int64_t tokens_before, int64_t now,
                        const char *const *uids, size_t n, size_t max, int *deleted, char **err)
{
    if (err)
        *err = NULL;
    *deleted = 0;
    static const char what[] = "cannot delete expired replies and attendance from";
    int rc = begin(st, err, what);
    if (rc == 0)
        rc = purge(st, R_PURGE_REPLIES, NULL, before, max, deleted, err);
    if (rc == 0)
        rc = purge(st, R_PURGE_ATT, NULL, before, max, deleted, err);
    if (rc == 0)
        rc = purge(st, R_PURGE_TOKENS, NULL, tokens_before, max, deleted, err);
    if (rc == 0)
        rc = purge(st, R_PURGE_KEYS, NULL, now, max, deleted, err);
    /* An invitation's replies go before it: none is left pointing at
     * nothing. Bounded over all uids together. */
    for (size_t i = 0; rc == 0 && i < n && (size_t)*deleted < 4 * max; i++) {
        int before_inv = *deleted;
        rc = purge(st, R_PURGE_INV_REPLIES, uids[i], before, max, deleted, err);
        if (rc == 0 && *deleted - before_inv < (int)max)
            rc = purge(st, R_PURGE_INV, uids[i], before, max, deleted, err);
        if (rc == 0)
            rc = purge(st, R_PURGE_INV_OUTBOX, uids[i], before, max, deleted, err);
    }
    rc = end(st, rc, err, what);
    if (rc < 0)
        *deleted = 0;
    return rc;
}
