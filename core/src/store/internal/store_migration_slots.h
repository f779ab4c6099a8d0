/* Schema step 8: agenda items keep their identity when the agenda is
 * edited. Each item row carries the UID it is published under, the admin's
 * id when it has one, its own SEQUENCE, CREATED and LAST-MODIFIED, and,
 * once the agenda no longer has it, when it was removed (published
 * CANCELLED, like a removed event, until its event has passed). pos is its
 * place in the agenda, the removed items after the live ones; rows are kept
 * in that order, so that loading needs no sort. A slot_uid, and an id, are
 * unique within their event by the planner's making (store_slots.c):
 * another index would cost each row written. events gains the
 * highest n given to a "<uid>/slot-<n>", so that a number is never given
 * twice even after the item that had it is purged.
 *
 * Before this step an item's UID was its position ("<uid>/slot-<pos+1>")
 * and it shared its event's SEQUENCE, CREATED and LAST-MODIFIED: each row
 * is given exactly those, so that what subscribers have keeps its UID and
 * its bytes. event_slots is rebuilt under the same name (its key changes). */
#ifndef AGENDAD_STORE_MIGRATION_SLOTS_H
#define AGENDAD_STORE_MIGRATION_SLOTS_H

#define AG_STORE_SLOT_IDENTITY_SCHEMA                                                              \
    "CREATE TABLE event_items ("                                                                   \
    "  uid TEXT NOT NULL REFERENCES events(uid) ON DELETE CASCADE,"                                \
    "  pos INTEGER NOT NULL,"                                                                      \
    "  slot_uid TEXT NOT NULL,"                                                                    \
    "  id TEXT,"                                                                                   \
    "  timed INTEGER NOT NULL CHECK (timed IN (0, 1)),"                                            \
    "  start_local TEXT, end_local TEXT,"                                                          \
    "  title_ar TEXT, title_fr TEXT,"                                                              \
    "  kind TEXT, axis TEXT,"                                                                      \
    "  sequence INTEGER NOT NULL CHECK (sequence >= 0),"                                           \
    "  created INTEGER NOT NULL,"                                                                  \
    "  last_modified INTEGER NOT NULL,"                                                            \
    "  removed_at INTEGER NOT NULL DEFAULT 0,"                                                     \
    "  PRIMARY KEY (uid, pos, slot_uid),"                                                          \
    "  CHECK (timed = 0 OR (start_local IS NOT NULL AND end_local IS NOT NULL))"                   \
    ") WITHOUT ROWID;"                                                                             \
    "INSERT INTO event_items (uid, pos, slot_uid, id, timed, start_local, end_local, title_ar,"    \
    "  title_fr, kind, axis, sequence, created, last_modified, removed_at)"                        \
    "  SELECT s.uid, s.pos, s.uid || '/slot-' || (s.pos + 1), NULL, s.timed, s.start_local,"       \
    "  s.end_local, s.title_ar, s.title_fr, s.kind, s.axis, e.sequence, e.created,"                \
    "  e.last_modified, 0 FROM event_slots s JOIN events e ON e.uid = s.uid;"                      \
    "DROP TABLE event_slots;"                                                                      \
    "ALTER TABLE event_items RENAME TO event_slots;"                                               \
    "ALTER TABLE events ADD COLUMN last_slot_number INTEGER NOT NULL DEFAULT 0;"                   \
    "UPDATE events SET last_slot_number ="                                                         \
    "  (SELECT coalesce(max(s.pos) + 1, 0) FROM event_slots s WHERE s.uid = events.uid);"

#endif
