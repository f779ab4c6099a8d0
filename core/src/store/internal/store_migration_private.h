/* Schema step 4: the private data (ATTENDEEs, VALARMs) of imported events,
 * kept only for members whose admin set sync.private_data. In its own file
 * so that schema steps added on other branches merge as one line each in
 * store.c's list. Child tables rather than columns of imported_events, like
 * the network events' own lists, so that each field keeps its type and an
 * unchanged feed still compares equal field by field. */
#ifndef AGENDAD_STORE_MIGRATION_PRIVATE_H
#define AGENDAD_STORE_MIGRATION_PRIVATE_H

#define AG_STORE_PRIVATE_DATA_SCHEMA                                                               \
    "CREATE TABLE imported_attendees ("                                                            \
    "  uid TEXT NOT NULL REFERENCES imported_events(uid) ON DELETE CASCADE,"                       \
    "  pos INTEGER NOT NULL,"                                                                      \
    "  address TEXT NOT NULL,"                                                                     \
    "  cn TEXT, partstat TEXT, role TEXT,"                                                         \
    "  PRIMARY KEY (uid, pos)"                                                                     \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE imported_alarms ("                                                               \
    "  uid TEXT NOT NULL REFERENCES imported_events(uid) ON DELETE CASCADE,"                       \
    "  pos INTEGER NOT NULL,"                                                                      \
    "  action TEXT NOT NULL,"                                                                      \
    "  related INTEGER NOT NULL CHECK (related IN (0, 1, 2)),"                                     \
    "  trigger_at INTEGER NOT NULL,"                                                               \
    "  description TEXT, summary TEXT,"                                                            \
    "  PRIMARY KEY (uid, pos)"                                                                     \
    ") WITHOUT ROWID;"

#endif
