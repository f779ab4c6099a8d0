/* Schema step 11: what rsvp/ keeps about replies and attendance (issue 14).
 *
 *   rsvp_keys         HMAC-SHA-256 keys of reply tags, one-click links and
 *                     form tokens. The newest key with retired = 0 signs;
 *                     a key verifies until its retired instant (0: never
 *                     set), so that a rotation leaves a grace period.
 *   rsvp_replies      every reply received, by invitation (invitations.id,
 *                     step 10): the PARTSTAT, the SEQUENCE and DTSTAMP it
 *                     carried, how it came and whether its tag or link
 *                     verified, and what it did: recorded, or kept for audit
 *                     only as stale or unverified.
 *   rsvp_attendance   who attended an occurrence (its local start date),
 *                     per member and, where known, per address ('' when
 *                     not); at is the occurrence's start, for retention.
 *   rsvp_form_tokens  the nonces of the confirmation forms already posted
 *                     (replay protection), kept as long as a form is valid.
 *
 * Replies, attendance and invitations are deleted after
 * invitations.retention (rsvp_retention.c). */
#ifndef AGENDAD_STORE_MIGRATION_RSVP_H
#define AGENDAD_STORE_MIGRATION_RSVP_H

#define AG_STORE_RSVP_SCHEMA                                                                       \
    "CREATE TABLE rsvp_keys ("                                                                     \
    "  id INTEGER PRIMARY KEY,"                                                                    \
    "  key BLOB NOT NULL CHECK (length(key) = 32),"                                                \
    "  created INTEGER NOT NULL,"                                                                  \
    "  retired INTEGER NOT NULL DEFAULT 0"                                                         \
    ");"                                                                                           \
    "CREATE TABLE rsvp_replies ("                                                                  \
    "  id INTEGER PRIMARY KEY,"                                                                    \
    "  invitation INTEGER NOT NULL,"                                                               \
    "  partstat TEXT NOT NULL CHECK (partstat IN ('ACCEPTED', 'TENTATIVE', 'DECLINED', "           \
    "'DELEGATED')),"                                                                               \
    "  sequence INTEGER NOT NULL,"                                                                 \
    "  dtstamp INTEGER NOT NULL,"                                                                  \
    "  via TEXT NOT NULL CHECK (via IN ('mail', 'link')),"                                         \
    "  verified INTEGER NOT NULL CHECK (verified IN (0, 1)),"                                      \
    "  outcome TEXT NOT NULL CHECK (outcome IN ('recorded', 'stale', 'unverified')),"              \
    "  received_at INTEGER NOT NULL"                                                               \
    ");"                                                                                           \
    "CREATE INDEX rsvp_replies_invitation ON rsvp_replies (invitation, outcome);"                  \
    "CREATE INDEX rsvp_replies_received ON rsvp_replies (received_at);"                            \
    "CREATE TABLE rsvp_attendance ("                                                               \
    "  uid TEXT NOT NULL,"                                                                         \
    "  occurrence TEXT NOT NULL CHECK (length(occurrence) = 10),"                                  \
    "  member TEXT NOT NULL,"                                                                      \
    "  address TEXT NOT NULL DEFAULT '',"                                                          \
    "  present INTEGER NOT NULL CHECK (present IN (0, 1)),"                                        \
    "  at INTEGER NOT NULL,"                                                                       \
    "  via TEXT NOT NULL CHECK (via IN ('cli', 'link')),"                                          \
    "  recorded_at INTEGER NOT NULL,"                                                              \
    "  PRIMARY KEY (uid, occurrence, member, address)"                                             \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE INDEX rsvp_attendance_at ON rsvp_attendance (at);"                                     \
    "CREATE TABLE rsvp_form_tokens ("                                                              \
    "  nonce TEXT PRIMARY KEY,"                                                                    \
    "  used_at INTEGER NOT NULL"                                                                   \
    ") WITHOUT ROWID;"

#endif
