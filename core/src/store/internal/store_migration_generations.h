/* Schema step 6: imported rows by generation, so that a member's new set
 * can be written over several short transactions (import_write.c) and
 * still replace the old one at once. A member's rows of generation
 * import_current.gen are its published set; rows of any other generation
 * are an import in progress (or interrupted: removed at the next start) or
 * an old set being deleted. The clustered key (member, gen, uid) makes both
 * a member's set and a generation's deletion one range, and an insert one
 * b-tree write instead of three (rowid table, uid and member indexes).
 *
 * imported_events, imported_attendees and imported_alarms stay, as views of
 * the current generations: what readers (and an admin's sqlite3 shell) see
 * is still the old copy or the new one, never a mix. */
#ifndef AGENDAD_STORE_MIGRATION_GENERATIONS_H
#define AGENDAD_STORE_MIGRATION_GENERATIONS_H

#define AG_IMPORT_ROW_COLS                                                                         \
    "uid, source, title_ar, title_fr, description_ar, description_fr, location_ar, location_fr, "  \
    "start_utc, end_utc, all_day, status, categories, sequence, created, last_modified, "          \
    "removed_at"

#define AG_STORE_IMPORT_GENERATIONS_SCHEMA                                                         \
    "CREATE TABLE import_rows ("                                                                   \
    "  member TEXT NOT NULL,"                                                                      \
    "  gen INTEGER NOT NULL,"                                                                      \
    "  uid TEXT NOT NULL,"                                                                         \
    "  source TEXT NOT NULL,"                                                                      \
    "  title_ar TEXT, title_fr TEXT,"                                                              \
    "  description_ar TEXT, description_fr TEXT,"                                                  \
    "  location_ar TEXT, location_fr TEXT,"                                                        \
    "  start_utc INTEGER NOT NULL,"                                                                \
    "  end_utc INTEGER NOT NULL CHECK (end_utc >= start_utc),"                                     \
    "  all_day INTEGER NOT NULL CHECK (all_day IN (0, 1)),"                                        \
    "  status TEXT NOT NULL CHECK (status IN ('confirmed', 'tentative', 'cancelled')),"            \
    "  categories TEXT NOT NULL DEFAULT '',"                                                       \
    "  sequence INTEGER NOT NULL CHECK (sequence >= 0),"                                           \
    "  created INTEGER NOT NULL,"                                                                  \
    "  last_modified INTEGER NOT NULL,"                                                            \
    "  removed_at INTEGER NOT NULL DEFAULT 0,"                                                     \
    "  PRIMARY KEY (member, gen, uid)"                                                             \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE import_attendees ("                                                              \
    "  member TEXT NOT NULL, gen INTEGER NOT NULL, uid TEXT NOT NULL, pos INTEGER NOT NULL,"       \
    "  address TEXT NOT NULL,"                                                                     \
    "  cn TEXT, partstat TEXT, role TEXT,"                                                         \
    "  PRIMARY KEY (member, gen, uid, pos)"                                                        \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE import_alarms ("                                                                 \
    "  member TEXT NOT NULL, gen INTEGER NOT NULL, uid TEXT NOT NULL, pos INTEGER NOT NULL,"       \
    "  action TEXT NOT NULL,"                                                                      \
    "  related INTEGER NOT NULL CHECK (related IN (0, 1, 2)),"                                     \
    "  trigger_at INTEGER NOT NULL,"                                                               \
    "  description TEXT, summary TEXT,"                                                            \
    "  PRIMARY KEY (member, gen, uid, pos)"                                                        \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE import_current ("                                                                \
    "  member TEXT PRIMARY KEY,"                                                                   \
    "  gen INTEGER NOT NULL"                                                                       \
    ") WITHOUT ROWID;"                                                                             \
    "INSERT INTO import_current (member, gen) SELECT DISTINCT member, 1 FROM imported_events;"     \
    "INSERT INTO import_rows (member, gen, " AG_IMPORT_ROW_COLS ") "                               \
    "  SELECT member, 1, " AG_IMPORT_ROW_COLS " FROM imported_events;"                             \
    "INSERT INTO import_attendees "                                                                \
    "  SELECT e.member, 1, a.uid, a.pos, a.address, a.cn, a.partstat, a.role"                      \
    "  FROM imported_attendees a JOIN imported_events e ON e.uid = a.uid;"                         \
    "INSERT INTO import_alarms "                                                                   \
    "  SELECT e.member, 1, a.uid, a.pos, a.action, a.related, a.trigger_at, a.description,"        \
    "  a.summary FROM imported_alarms a JOIN imported_events e ON e.uid = a.uid;"                  \
    "DROP TABLE imported_attendees;"                                                               \
    "DROP TABLE imported_alarms;"                                                                  \
    "DROP TABLE imported_events;"                                                                  \
    "CREATE VIEW imported_events AS SELECT r.* FROM import_rows r"                                 \
    "  JOIN import_current c ON c.member = r.member AND c.gen = r.gen;"                            \
    "CREATE VIEW imported_attendees AS SELECT a.* FROM import_attendees a"                         \
    "  JOIN import_current c ON c.member = a.member AND c.gen = a.gen;"                            \
    "CREATE VIEW imported_alarms AS SELECT a.* FROM import_alarms a"                               \
    "  JOIN import_current c ON c.member = a.member AND c.gen = a.gen;"

#endif
