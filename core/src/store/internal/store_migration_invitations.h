/* Schema step 10: invitations (issue 14). events gains the two flags that
 * are stored but not published (invitations, publish_attendance: changing
 * them moves no SEQUENCE); event_documents holds each event's documents in
 * order (published as ATTACH: they are content). invitations has one row
 * per (event, address) invited, its id named in reply tags and one-click
 * links, its sequence the SEQUENCE of the last REQUEST that re-invited;
 * invitation_events is the scheduler's memory of what each event's
 * invitations last said (time, place, status), to notice what calls for an
 * updated REQUEST even when it changed while the daemon was down. The
 * outbox is rebuilt under the same name for its CHECK to take the new
 * kinds: 'invite' (REQUEST), 'invite-cancel' (CANCEL) and 'minutes' (the
 * host reminded that an event's minutes are missing). */
#ifndef AGENDAD_STORE_MIGRATION_INVITATIONS_H
#define AGENDAD_STORE_MIGRATION_INVITATIONS_H

#define AG_STORE_INVITATIONS_SCHEMA                                                                \
    "ALTER TABLE events ADD COLUMN invitations INTEGER NOT NULL DEFAULT 0"                         \
    "  CHECK (invitations IN (0, 1));"                                                             \
    "ALTER TABLE events ADD COLUMN publish_attendance INTEGER NOT NULL DEFAULT 0"                  \
    "  CHECK (publish_attendance IN (0, 1));"                                                      \
    "CREATE TABLE event_documents ("                                                               \
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"                                \
    "  pos INTEGER NOT NULL,"                                                                      \
    "  title_ar TEXT, title_fr TEXT,"                                                              \
    "  kind TEXT NOT NULL CHECK (kind IN ('agenda', 'minutes', 'presentation', 'report',"          \
    "    'other')),"                                                                               \
    "  published TEXT NOT NULL CHECK (length(published) = 10),"                                    \
    "  url TEXT, file TEXT,"                                                                       \
    "  CHECK ((url IS NULL) != (file IS NULL)),"                                                   \
    "  PRIMARY KEY (uid, pos)"                                                                     \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE invitations ("                                                                   \
    "  id INTEGER PRIMARY KEY,"                                                                    \
    "  uid TEXT NOT NULL,"                                                                         \
    "  address TEXT NOT NULL,"                                                                     \
    "  member TEXT,"                                                                               \
    "  lang TEXT,"                                                                                 \
    "  sequence INTEGER NOT NULL,"                                                                 \
    "  created INTEGER NOT NULL,"                                                                  \
    "  cancelled INTEGER NOT NULL DEFAULT 0,"                                                      \
    "  UNIQUE (uid, address)"                                                                      \
    ");"                                                                                           \
    "CREATE TABLE invitation_events ("                                                             \
    "  uid TEXT PRIMARY KEY,"                                                                      \
    "  fingerprint TEXT NOT NULL,"                                                                 \
    "  sequence INTEGER NOT NULL"                                                                  \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE outbox_10 ("                                                                     \
    "  id INTEGER PRIMARY KEY,"                                                                    \
    "  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'cancel', 'change', 'invite',"               \
    "    'invite-cancel', 'minutes')),"                                                            \
    "  uid TEXT NOT NULL,"                                                                         \
    "  occurrence INTEGER NOT NULL,"                                                               \
    "  lead INTEGER NOT NULL,"                                                                     \
    "  channel TEXT NOT NULL,"                                                                     \
    "  recipient TEXT NOT NULL,"                                                                   \
    "  member TEXT, address TEXT,"                                                                 \
    "  seq INTEGER NOT NULL,"                                                                      \
    "  due INTEGER NOT NULL,"                                                                      \
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'missed', 'dropped')),"   \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                                       \
    "  next_attempt INTEGER NOT NULL,"                                                             \
    "  last_error TEXT,"                                                                           \
    "  created INTEGER NOT NULL,"                                                                  \
    "  done_at INTEGER NOT NULL DEFAULT 0,"                                                        \
    "  UNIQUE (uid, occurrence, lead, channel, recipient, kind, seq)"                              \
    ");"                                                                                           \
    "INSERT INTO outbox_10 (id, kind, uid, occurrence, lead, channel, recipient, member, address," \
    "  seq, due, state, attempts, next_attempt, last_error, created, done_at)"                     \
    "  SELECT id, kind, uid, occurrence, lead, channel, recipient, member, address, seq, due,"     \
    "  state, attempts, next_attempt, last_error, created, done_at FROM outbox;"                   \
    "DROP TABLE outbox;"                                                                           \
    "ALTER TABLE outbox_10 RENAME TO outbox;"                                                      \
    "CREATE INDEX outbox_pending ON outbox (next_attempt) WHERE state = 'pending';"

#endif
