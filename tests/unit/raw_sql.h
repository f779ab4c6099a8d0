/* Reading and writing a state database behind the store's back, for tests
 * that check what is on disk or damage it. Include after cmocka.h. */
#ifndef AGENDAD_TEST_RAW_SQL_H
#define AGENDAD_TEST_RAW_SQL_H

#include <sqlite3.h>
#include <stdint.h>

/* The first column of sql's first row, read on a connection of its own. */
static inline int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* sql run on a connection of its own; the test fails with SQLite's
 * message if it does. */
static inline void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s", msg);
    sqlite3_close(db);
}

/* The schema version this build migrates to: what a fresh or migrated
 * database reads as PRAGMA user_version. */
#define RAW_SQL_SCHEMA_VERSION 11

/* Undoes schema step 11 (replies, rsvp keys, attendance, used form
 * tokens), for tests that make an older database: put it before the undo
 * of an earlier step. */
#define RAW_SQL_UNDO_RSVP                                                                          \
    "DROP TABLE rsvp_keys; DROP TABLE rsvp_replies; DROP TABLE rsvp_attendance;"                   \
    "DROP TABLE rsvp_form_tokens;"

/* Undoes schema step 10 (invitations, documents, the events' flags and the
 * outbox's new kinds; rows of those kinds are left out), for tests that make
 * an older database: put it before the undo of an earlier step. */
#define RAW_SQL_UNDO_INVITATIONS                                                                   \
    "DROP TABLE invitation_events; DROP TABLE invitations; DROP TABLE event_documents;"            \
    "ALTER TABLE events DROP COLUMN publish_attendance;"                                           \
    "ALTER TABLE events DROP COLUMN invitations;"                                                  \
    "CREATE TABLE outbox_3 (id INTEGER PRIMARY KEY,"                                               \
    " kind TEXT NOT NULL CHECK (kind IN ('reminder', 'cancel', 'change')),"                        \
    " uid TEXT NOT NULL, occurrence INTEGER NOT NULL, lead INTEGER NOT NULL,"                      \
    " channel TEXT NOT NULL, recipient TEXT NOT NULL, member TEXT, address TEXT,"                  \
    " seq INTEGER NOT NULL, due INTEGER NOT NULL,"                                                 \
    " state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'missed', 'dropped')),"    \
    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, last_error TEXT,"        \
    " created INTEGER NOT NULL, done_at INTEGER NOT NULL DEFAULT 0,"                               \
    " UNIQUE (uid, occurrence, lead, channel, recipient, kind, seq));"                             \
    "INSERT INTO outbox_3 SELECT id, kind, uid, occurrence, lead, channel, recipient, member,"     \
    " address, seq, due, state, attempts, next_attempt, last_error, created, done_at FROM outbox"  \
    " WHERE kind IN ('reminder', 'cancel', 'change');"                                             \
    "DROP TABLE outbox; ALTER TABLE outbox_3 RENAME TO outbox;"                                    \
    "CREATE INDEX outbox_pending ON outbox (next_attempt) WHERE state = 'pending';"

/* Undoes schema step 9 (members' busy time), for tests that make an older
 * database: put it before the undo of an earlier step. */
#define RAW_SQL_UNDO_BUSY "DROP TABLE busy_intervals; DROP TABLE busy_sources;"

/* Undoes schema step 8 (agenda items with their own state) on a database
 * of today's schema: event_slots as step 1 made it, from today's rows (live
 * items only: earlier steps knew no others), and events without last_slot_number;
 * for tests that make an older database. */
#define RAW_SQL_UNDO_SLOT_IDENTITY                                                                 \
    "CREATE TABLE event_slots_6 (uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"      \
    " pos INTEGER NOT NULL, timed INTEGER NOT NULL CHECK (timed IN (0, 1)),"                       \
    " start_local TEXT, end_local TEXT, title_ar TEXT, title_fr TEXT, kind TEXT, axis TEXT,"       \
    " PRIMARY KEY (uid, pos),"                                                                     \
    " CHECK (timed = 0 OR (start_local IS NOT NULL AND end_local IS NOT NULL))) WITHOUT ROWID;"    \
    "INSERT INTO event_slots_6 SELECT uid, pos, timed, start_local, end_local, title_ar,"          \
    " title_fr, kind, axis FROM event_slots WHERE removed_at = 0;"                                 \
    "DROP TABLE event_slots;"                                                                      \
    "ALTER TABLE event_slots_6 RENAME TO event_slots;"                                             \
    "ALTER TABLE events DROP COLUMN last_slot_number;"

#endif
