/* Connection, schema migrations, statement cache, meta and errors. Events
 * live in store_events.c, reconcile in store_reconcile.c, tokens in
 * store_tokens.c. */
#include "store_config.h"
#include "store_internal.h"
#include "store_migration_busy.h"
#include "store_migration_generations.h"
#include "store_migration_invitations.h"
#include "store_migration_online.h"
#include "store_migration_private.h"
#include "store_migration_rsvp.h"
#include "store_migration_slots.h"
#include "store_outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DEFAULT_BUSY_TIMEOUT_MS = 5000 };

/* Each entry moves the schema from version i to i+1, in one transaction.
 * Never edit a released entry: append a new one. Child rows name their
 * event by uid and keep the admin's order in pos; datetimes are local
 * wall-clock text, "YYYY-MM-DD" for a date, "YYYY-MM-DDTHH:MM:SS" otherwise,
 * so that a date and a midnight stay different. */
static const char *const migrations[] = {
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE events ("
    "  uid TEXT PRIMARY KEY,"
    "  title_ar TEXT, title_fr TEXT,"
    "  description_ar TEXT, description_fr TEXT,"
    "  location_ar TEXT, location_fr TEXT,"
    "  start_local TEXT NOT NULL CHECK (length(start_local) IN (10, 19)),"
    "  end_local TEXT NOT NULL CHECK (length(end_local) IN (10, 19)),"
    "  tzid TEXT NOT NULL,"
    "  host TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled')),"
    "  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'members')),"
    "  rrule TEXT,"
    "  sequence INTEGER NOT NULL CHECK (sequence >= 0),"
    "  created INTEGER NOT NULL,"
    "  last_modified INTEGER NOT NULL,"
    "  removed_at INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE event_audience ("
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  selector TEXT NOT NULL,"
    "  PRIMARY KEY (uid, pos)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event_categories ("
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  PRIMARY KEY (uid, pos)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event_exdates ("
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  at_local TEXT NOT NULL CHECK (length(at_local) IN (10, 19)),"
    "  PRIMARY KEY (uid, pos)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event_reminders ("
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  seconds INTEGER NOT NULL,"
    "  PRIMARY KEY (uid, pos)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event_slots ("
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  timed INTEGER NOT NULL CHECK (timed IN (0, 1)),"
    "  start_local TEXT, end_local TEXT,"
    "  title_ar TEXT, title_fr TEXT,"
    "  kind TEXT, axis TEXT,"
    "  PRIMARY KEY (uid, pos),"
    "  CHECK (timed = 0 OR (start_local IS NOT NULL AND end_local IS NOT NULL))"
    ") WITHOUT ROWID;"
    "CREATE TABLE tokens ("
    "  member TEXT PRIMARY KEY,"
    "  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),"
    "  created INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 2: events imported from members' own calendars (sync). */
    "CREATE TABLE imported_events ("
    "  uid TEXT PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  member TEXT NOT NULL,"
    "  title_ar TEXT, title_fr TEXT,"
    "  description_ar TEXT, description_fr TEXT,"
    "  location_ar TEXT, location_fr TEXT,"
    "  start_utc INTEGER NOT NULL,"
    "  end_utc INTEGER NOT NULL CHECK (end_utc >= start_utc),"
    "  all_day INTEGER NOT NULL CHECK (all_day IN (0, 1)),"
    "  status TEXT NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled')),"
    "  categories TEXT NOT NULL DEFAULT '',"
    "  sequence INTEGER NOT NULL CHECK (sequence >= 0),"
    "  created INTEGER NOT NULL,"
    "  last_modified INTEGER NOT NULL,"
    "  removed_at INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX imported_events_member ON imported_events (member);",
    /* 3: the reminder outbox (store_outbox.c). */
    AG_STORE_OUTBOX_SCHEMA,
    /* 4: ATTENDEEs and VALARMs of imported events (sync.private_data). */
    AG_STORE_PRIVATE_DATA_SCHEMA,
    /* 5: what config says beside the events rows (store_config.c). */
    AG_STORE_CONFIG_SCHEMA,
    /* 6: imported rows by generation (store_migration_generations.h). */
    AG_STORE_IMPORT_GENERATIONS_SCHEMA,
    /* 7: events' online meeting links (store_migration_online.h). */
    AG_STORE_ONLINE_URL_SCHEMA,
    /* 8: agenda items with their own UID and state (store_migration_slots.h). */
    AG_STORE_SLOT_IDENTITY_SCHEMA,
    /* 9: members' busy time, times only (store_busy.c). */
    AG_STORE_BUSY_SCHEMA,
    /* 10: invitations, documents, the flags (store_migration_invitations.h). */
    AG_STORE_INVITATIONS_SCHEMA,
    /* 11: replies, rsvp keys, attendance, used form tokens (store_rsvp.c). */
    AG_STORE_RSVP_SCHEMA,
};
enum { SCHEMA_VERSION = sizeof migrations / sizeof migrations[0] };

#define EV_COLS                                                                                    \
    "uid, title_ar, title_fr, description_ar, description_fr, location_ar, location_fr, "          \
    "start_local, end_local, tzid, host, status, visibility, rrule, online_url"

static const char *const sql[Q_COUNT_] = {
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [Q_EV_ALL] = "SELECT " EV_COLS ", sequence, created, last_modified, removed_at, "
                 "last_slot_number, invitations, publish_attendance FROM events ORDER BY uid",
    /* Whole tables, merged with Q_EV_ALL's rows (store_events.c). */
    [Q_EV_AUDIENCE] = "SELECT uid, selector FROM event_audience ORDER BY uid, pos",
    [Q_EV_CATEGORIES] = "SELECT uid, id FROM event_categories ORDER BY uid, pos",
    [Q_EV_EXDATES] = "SELECT uid, at_local FROM event_exdates ORDER BY uid, pos",
    [Q_EV_REMINDERS] = "SELECT uid, seconds FROM event_reminders ORDER BY uid, pos",
    /* In key order: the live items by their place, then the removed ones. */
    [Q_EV_SLOTS] = "SELECT uid, timed, start_local, end_local, title_ar, title_fr, kind, axis, "
                   "slot_uid, id, sequence, created, last_modified, removed_at "
                   "FROM event_slots ORDER BY uid, pos, slot_uid",
    [Q_EV_INSERT] = "INSERT INTO events (" EV_COLS ", sequence, created, last_modified, "
                    "removed_at, last_slot_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                    "?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?16, 0, ?17)",
    [Q_EV_UPDATE] = "UPDATE events SET title_ar = ?2, title_fr = ?3, description_ar = ?4, "
                    "description_fr = ?5, location_ar = ?6, location_fr = ?7, "
                    "start_local = ?8, end_local = ?9, tzid = ?10, host = ?11, status = ?12, "
                    "visibility = ?13, rrule = ?14, online_url = ?15, sequence = sequence + 1, "
                    "last_modified = ?16, removed_at = 0 WHERE uid = ?1",
    [Q_EV_REMOVE] = "UPDATE events SET removed_at = ?2, sequence = sequence + 1, "
                    "last_modified = ?2 WHERE uid = ?1",
    [Q_EV_DELETE] = "DELETE FROM events WHERE uid = ?1",
    [Q_DEL_AUDIENCE] = "DELETE FROM event_audience WHERE uid = ?1",
    [Q_DEL_CATEGORIES] = "DELETE FROM event_categories WHERE uid = ?1",
    [Q_DEL_EXDATES] = "DELETE FROM event_exdates WHERE uid = ?1",
    [Q_DEL_REMINDERS] = "DELETE FROM event_reminders WHERE uid = ?1",
    [Q_DEL_SLOTS] = "DELETE FROM event_slots WHERE uid = ?1",
    [Q_INS_AUDIENCE] = "INSERT INTO event_audience (uid, pos, selector) VALUES (?1, ?2, ?3)",
    [Q_INS_CATEGORY] = "INSERT INTO event_categories (uid, pos, id) VALUES (?1, ?2, ?3)",
    [Q_INS_EXDATE] = "INSERT INTO event_exdates (uid, pos, at_local) VALUES (?1, ?2, ?3)",
    [Q_INS_REMINDER] = "INSERT INTO event_reminders (uid, pos, seconds) VALUES (?1, ?2, ?3)",
    [Q_INS_SLOT] = "INSERT INTO event_slots (uid, pos, timed, start_local, end_local, "
                   "title_ar, title_fr, kind, axis, slot_uid, id, sequence, created, "
                   "last_modified, removed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12, ?13, ?14, ?15)",
    [Q_EV_SLOT_NUMBER] = "UPDATE events SET last_slot_number = ?2 WHERE uid = ?1",
    [Q_CANCEL_SLOTS] = "UPDATE event_slots SET sequence = sequence + 1, last_modified = ?2 "
                       "WHERE uid = ?1 AND removed_at = 0",
    [Q_EV_COUNT] = "SELECT count(*) FILTER (WHERE removed_at = 0), "
                   "count(*) FILTER (WHERE removed_at != 0) FROM events",
    [Q_TOKEN_SET] = "INSERT INTO tokens (member, sha256, created) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (member) DO UPDATE SET sha256 = excluded.sha256, "
                    "created = excluded.created",
    [Q_TOKEN_GET] = "SELECT sha256 FROM tokens WHERE member = ?1",
    [Q_TOKEN_DEL] = "DELETE FROM tokens WHERE member = ?1",
    [Q_EV_FLAGS] = "UPDATE events SET invitations = ?2, publish_attendance = ?3 WHERE uid = ?1",
    [Q_EV_DOCUMENTS] = "SELECT uid, title_ar, title_fr, kind, published, url, file "
                       "FROM event_documents ORDER BY uid, pos",
    [Q_DEL_DOCUMENTS] = "DELETE FROM event_documents WHERE uid = ?1",
    [Q_INS_DOCUMENT] = "INSERT INTO event_documents (uid, pos, title_ar, title_fr, kind, "
                       "published, url, file) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

static void set_errv(char **err, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void set_errv(char **err, const char *fmt, va_list ap)
{
    if (!err)
        return;
    *err = NULL;
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
}

/* Sets *err and returns code. */
static int set_err(int code, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_err(int code, char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_errv(err, fmt, ap);
    va_end(ap);
    return code;
}

int ag_store_code(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_NOMEM:
        return AG_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AG_EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return AG_ECORRUPT;
    default:
        return AG_ESTORE;
    }
}

int ag_store_fail(ag_store *st, char **err, const char *what)
{
    int code = ag_store_code(sqlite3_errcode(st->db));
    return set_err(code, err, "%s %s: %s", what, st->path, sqlite3_errmsg(st->db));
}

int ag_store_failf(ag_store *st, char **err, int code, const char *what, const char *fmt, ...)
{
    char *detail = NULL;
    va_list ap;
    va_start(ap, fmt);
    set_errv(&detail, fmt, ap);
    va_end(ap);
    set_err(code, err, "%s %s: %s", what, st->path, detail ? detail : "out of memory");
    free(detail);
    return code;
}

sqlite3_stmt *ag_store_cached(ag_store *st, sqlite3_stmt **slot, const char *text)
{
    sqlite3_stmt *s = *slot;
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return s;
    }
    if (sqlite3_prepare_v3(st->db, text, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return NULL;
    *slot = s;
    return s;
}

sqlite3_stmt *ag_store_stmt(ag_store *st, ag_stmt_id id)
{
    return ag_store_cached(st, &st->stmts[id], sql[id]);
}

int ag_store_exec(ag_store *st, const char *text)
{
    return sqlite3_exec(st->db, text, NULL, NULL, NULL);
}

void ag_store_rollback(ag_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* sqlite's own message for a missing or unwritable directory is "unable to
 * open database file", which does not tell the admin what to fix. */
static int check_dir(const char *path, char **err)
{
    if (strcmp(path, ":memory:") == 0)
        return 0;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return set_err(AG_ENOMEM, err, "cannot open state database %s: out of memory", path);
    struct stat sb;
    int rc = 0;
    if (stat(dir, &sb) != 0)
        rc = set_err(-errno, err, "cannot open state database %s: directory %s: %s", path, dir,
                     strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        rc = set_err(AG_ENOTDIR, err, "cannot open state database %s: %s is not a directory", path,
                     dir);
    else if (access(path, F_OK) != 0 && access(dir, W_OK | X_OK) != 0)
        rc = set_err(-errno, err,
                     "cannot create state database %s: directory %s is not writable: %s", path, dir,
                     strerror(errno));
    free(dir);
    return rc;
}

static int read_int(ag_store *st, const char *query, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, query, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

/* WAL lets feed readers (this process or `agendad export`) read while a
 * reload writes. synchronous=FULL rather than NORMAL: writes are rare (a
 * reload, a token rotation), so an fsync per commit costs nothing
 * measurable, and NORMAL could lose the last commit on power failure: a
 * rotated token handed out would vanish and the leaked old one come back. */
static int configure(ag_store *st, int busy_ms, char **err)
{
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, busy_ms > 0 ? busy_ms : DEFAULT_BUSY_TIMEOUT_MS);
    if (ag_store_exec(st, "PRAGMA foreign_keys = ON") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot configure state database");
    if (st->readonly)
        return 0;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
    bool wal = mode && (strcmp(mode, "wal") == 0 || strcmp(mode, "memory") == 0);
    int ret = 0;
    if (!wal && mode)
        ret = set_err(AG_ESTORE, err,
                      "cannot enable WAL mode on state database %s: journal mode stays %s",
                      st->path, mode);
    else if (!wal)
        ret = ag_store_fail(st, err, "cannot enable WAL mode on state database");
    sqlite3_finalize(s);
    if (ret < 0)
        return ret;
    if (ag_store_exec(st, "PRAGMA synchronous = FULL") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot configure state database");
    return 0;
}

static int refuse_newer(ag_store *st, int64_t version, char **err)
{
    return set_err(AG_ESTORE, err,
                   "cannot open state database %s: its schema version %" PRId64
                   " is newer than this agendad knows (%d); run the agendad that wrote it, "
                   "or restore a backup",
                   st->path, version, (int)SCHEMA_VERSION);
}

static int apply_migration(ag_store *st, int64_t from, char **err)
{
    char *bump = sqlite3_mprintf("PRAGMA user_version = %d", (int)from + 1);
    if (!bump)
        return set_err(AG_ENOMEM, err, "cannot migrate state database %s: out of memory", st->path);
    int rc = ag_store_exec(st, migrations[from]);
    if (rc == SQLITE_OK)
        rc = ag_store_exec(st, bump);
    sqlite3_free(bump);
    if (rc != SQLITE_OK)
        return set_err(ag_store_code(rc), err,
                       "cannot migrate state database %s to schema version %d: %s", st->path,
                       (int)from + 1, sqlite3_errmsg(st->db));
    return 0;
}

/* An up-to-date database is only read, so that a read-only file still
 * opens (and fails cleanly at the first write). Otherwise the version is
 * read again inside the write transaction, so that two processes opening a
 * fresh database cannot both apply the same step. */
static int migrate(ag_store *st, char **err)
{
    int64_t current = 0;
    if (read_int(st, "PRAGMA user_version", &current) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read state database");
    if (current == SCHEMA_VERSION)
        return 0;
    if (current > SCHEMA_VERSION)
        return refuse_newer(st, current, err);
    for (;;) {
        if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
            return ag_store_fail(st, err, "cannot migrate state database");
        int64_t version = 0;
        int rc;
        if (read_int(st, "PRAGMA user_version", &version) != SQLITE_OK)
            rc = ag_store_fail(st, err, "cannot migrate state database");
        else if (version > SCHEMA_VERSION)
            rc = refuse_newer(st, version, err);
        else if (version == SCHEMA_VERSION)
            rc = 1;
        else
            rc = apply_migration(st, version, err);
        if (rc < 0) {
            ag_store_rollback(st);
            return rc;
        }
        if (ag_store_exec(st, "COMMIT") != SQLITE_OK) {
            int fail = ag_store_fail(st, err, "cannot migrate state database");
            ag_store_rollback(st);
            return fail;
        }
        if (rc == 1)
            return 0;
    }
}

static int check_version_readonly(ag_store *st, char **err)
{
    int64_t version = 0;
    if (read_int(st, "PRAGMA user_version", &version) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read state database");
    if (version > SCHEMA_VERSION)
        return refuse_newer(st, version, err);
    if (version < SCHEMA_VERSION)
        return set_err(AG_ESTORE, err,
                       "cannot read state database %s: its schema version %" PRId64
                       " is older than this agendad's (%d); open it read-write once (start "
                       "the daemon) to migrate it",
                       st->path, version, (int)SCHEMA_VERSION);
    return 0;
}

static int load_generation(ag_store *st, char **err)
{
    char *value = NULL;
    int rc = ag_store_meta_get(st, "generation", &value, err);
    if (rc < 0)
        return rc;
    st->generation = value ? strtoll(value, NULL, 10) : 0;
    free(value);
    return 0;
}

int ag_store_open_with(const char *path, const ag_store_options *opt, ag_store **out, char **err)
{
    *out = NULL;
    if (err)
        *err = NULL;
    int rc = check_dir(path, err);
    if (rc < 0)
        return rc;
    ag_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return set_err(AG_ENOMEM, err, "cannot open state database %s: out of memory", path);
    }
    st->readonly = opt && opt->readonly;
    char *uri = st->readonly && opt->untouched ? ag_store_immutable_uri(path, &st->seen) : NULL;
    st->immutable = uri != NULL;
    /* One connection per store, used by one thread (the loop, or a
     * command's main): SQLite's per-call mutex (Debian builds it serialized)
     * was 3 % of loading 10,000 events, two locks per column read. */
    int flags = SQLITE_OPEN_NOMUTEX | (uri ? SQLITE_OPEN_URI : 0) |
                (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    rc = sqlite3_open_v2(uri ? uri : path, &st->db, flags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        if (st->db)
            rc = ag_store_fail(st, err, "cannot open state database");
        else
            rc = set_err(AG_ENOMEM, err, "cannot open state database %s: out of memory", path);
        ag_store_close(st);
        return rc;
    }
    if ((rc = configure(st, opt ? opt->busy_timeout_ms : 0, err)) < 0 ||
        (rc = st->readonly ? check_version_readonly(st, err) : migrate(st, err)) < 0 ||
        (rc = load_generation(st, err)) < 0) {
        ag_store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}

int ag_store_open(const char *path, ag_store **out, char **err)
{
    return ag_store_open_with(path, NULL, out, err);
}

void ag_store_close(ag_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < Q_COUNT_; i++)
        sqlite3_finalize(st->stmts[i]);
    for (size_t i = 0; i < sizeof st->outbox_stmts / sizeof st->outbox_stmts[0]; i++)
        sqlite3_finalize(st->outbox_stmts[i]);
    for (size_t i = 0; i < sizeof st->import_stmts / sizeof st->import_stmts[0]; i++)
        sqlite3_finalize(st->import_stmts[i]);
    for (size_t i = 0; i < sizeof st->busy_stmts / sizeof st->busy_stmts[0]; i++)
        sqlite3_finalize(st->busy_stmts[i]);
    for (size_t i = 0; i < sizeof st->invitation_stmts / sizeof st->invitation_stmts[0]; i++)
        sqlite3_finalize(st->invitation_stmts[i]);
    for (size_t i = 0; i < sizeof st->rsvp_stmts / sizeof st->rsvp_stmts[0]; i++)
        sqlite3_finalize(st->rsvp_stmts[i]);
    /* close_v2 rather than close: a statement leaked by a bug would make
     * close fail and leave the WAL uncheckpointed. */
    sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

void ag_store_set_busy_timeout(ag_store *st, int ms)
{
    sqlite3_busy_timeout(st->db, ms);
}

int ag_store_meta_get(ag_store *st, const char *key, char **value, char **err)
{
    *value = NULL;
    sqlite3_stmt *s = ag_store_stmt(st, Q_META_GET);
    if (!s || sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
        return ag_store_fail(st, err, "cannot read meta from");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        *value = strdup(v ? v : "");
        sqlite3_reset(s);
        if (!*value)
            return ag_store_failf(st, err, AG_ENOMEM, "cannot read meta from", "out of memory");
        return 0;
    }
    int ret = rc == SQLITE_DONE ? 0 : ag_store_fail(st, err, "cannot read meta from");
    sqlite3_reset(s);
    return ret;
}

int ag_store_meta_set(ag_store *st, const char *key, const char *value, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_META_SET);
    if (!s || sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(s) != SQLITE_DONE) {
        int rc = ag_store_fail(st, err, "cannot save meta to");
        if (s)
            sqlite3_reset(s);
        return rc;
    }
    sqlite3_reset(s);
    return 0;
}

int ag_store_meta_delete(ag_store *st, const char *key, char **err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "DELETE FROM meta WHERE key = ?1", -1, &s, NULL);
    if (rc == SQLITE_OK && sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC) == SQLITE_OK)
        rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : ag_store_fail(st, err, "cannot delete meta from");
}

int ag_store_meta_set_many(ag_store *st, const char *const *keys, const char *const *values,
                           size_t n, char **err)
{
    if (ag_store_exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return ag_store_fail(st, err, "cannot save meta to");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = values[i] ? ag_store_meta_set(st, keys[i], values[i], err)
                       : ag_store_meta_delete(st, keys[i], err);
    if (rc == 0 && ag_store_exec(st, "COMMIT") != SQLITE_OK)
        rc = ag_store_fail(st, err, "cannot commit meta to");
    if (rc < 0)
        ag_store_rollback(st);
    return rc < 0 ? rc : 0;
}

int ag_store_write_generation(ag_store *st, int64_t gen, char **err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, gen);
    return ag_store_meta_set(st, "generation", buf, err);
}

/* Read back rather than trusted from memory, so that a reader next to the
 * daemon (export) sees the daemon's reloads; the cached value covers a
 * transient read error, since this function cannot report one. */
int64_t ag_store_generation(ag_store *st)
{
    char *value = NULL;
    if (ag_store_meta_get(st, "generation", &value, NULL) == 0) {
        st->generation = value ? strtoll(value, NULL, 10) : 0;
        free(value);
    }
    return st->generation;
}

int ag_store_event_count(ag_store *st, size_t *live, size_t *removed, char **err)
{
    sqlite3_stmt *s = ag_store_stmt(st, Q_EV_COUNT);
    if (!s || sqlite3_step(s) != SQLITE_ROW) {
        int rc = ag_store_fail(st, err, "cannot count events in");
        if (s)
            sqlite3_reset(s);
        return rc;
    }
    if (live)
        *live = (size_t)sqlite3_column_int64(s, 0);
    if (removed)
        *removed = (size_t)sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return 0;
}
