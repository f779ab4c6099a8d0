/* Schema step 9: members' busy time, times only (issue "find a time"). What
 * a member's own calendar says it is busy for, as an event source read it
 * from its feed or its CalDAV server: private and confidential events
 * included, but with no text, no attendees and no UID, so that nothing here
 * can be published. busy_sources says, per (member, source), when and over
 * which window the calendar was last read: a member without a row has
 * never been read, which a proposal says rather than taking it as free. */
#ifndef AGENDAD_STORE_MIGRATION_BUSY_H
#define AGENDAD_STORE_MIGRATION_BUSY_H

#define AG_STORE_BUSY_SCHEMA                                                                       \
    "CREATE TABLE busy_sources ("                                                                  \
    "  member TEXT NOT NULL,"                                                                      \
    "  source TEXT NOT NULL,"                                                                      \
    "  read_at INTEGER NOT NULL,"                                                                  \
    "  window_from INTEGER NOT NULL,"                                                              \
    "  window_to INTEGER NOT NULL,"                                                                \
    "  PRIMARY KEY (member, source)"                                                               \
    ") WITHOUT ROWID;"                                                                             \
    "CREATE TABLE busy_intervals ("                                                                \
    "  member TEXT NOT NULL,"                                                                      \
    "  source TEXT NOT NULL,"                                                                      \
    "  start INTEGER NOT NULL,"                                                                    \
    "  end INTEGER NOT NULL CHECK (end > start),"                                                  \
    "  tentative INTEGER NOT NULL DEFAULT 0 CHECK (tentative IN (0, 1))"                           \
    ");"                                                                                           \
    "CREATE INDEX busy_intervals_member ON busy_intervals (member, source, start);"

/* Schema step 12: the one index of busy_intervals covers what a proposal
 * reads (a member's intervals by start, with their end and tentative
 * flag), so that reading 66 members x 1,000 intervals walks the index
 * alone, in order: with step 9's (member, source, start), each row cost a
 * lookup in the table and the rows a sort, three times as long. Deleting
 * by (member, source) finds the member's rows through it as well. It may
 * run again on a database that has it (a test that undid later steps). */
#define AG_STORE_BUSY_SPAN_SCHEMA                                                                  \
    "DROP INDEX IF EXISTS busy_intervals_member;"                                                  \
    "CREATE INDEX IF NOT EXISTS busy_intervals_span ON busy_intervals (member, start, end, "       \
    "tentative);"

/* What ag_store_busy_load asks (?1 member, ?2 from, ?3 to), here so that a
 * test can check that it is read from that index alone, in order. */
#define AG_STORE_BUSY_LOAD_SQL                                                                     \
    "SELECT start, end, tentative FROM busy_intervals WHERE member = ?1 AND start < ?3 AND "       \
    "end > ?2 ORDER BY start, end"

#endif
