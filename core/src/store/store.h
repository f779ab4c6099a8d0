/* The daemon's memory, in sqlite (WAL mode, versioned migrations): per event
 * its canonical snapshot, SEQUENCE, created / LAST-MODIFIED instants and,
 * once its file is gone, when it was removed; feed tokens (hashed). Config is
 * the admin's truth; ag_store_reconcile() brings the store in line with it in
 * one transaction. Every function returns 0 (or the count it names) on
 * success, or a negative AG_E* code (error.h) with *err set to a malloc'd
 * message (caller frees) when err is not NULL: AG_ESTORE for sqlite's
 * errors, AG_EBUSY when another connection holds the lock, AG_ECORRUPT for
 * a malformed database or row, AG_ENOMEM... */
#ifndef AGENDAD_STORE_H
#define AGENDAD_STORE_H

#include "config.h"
#include "model.h"
#include "model_private.h"

#include <stdint.h>

typedef struct ag_store ag_store;

/* Opens (creating if needed) and migrates the database at path. A missing
 * directory, or a database written by a newer agendad (PRAGMA user_version
 * above what this build knows), is refused with a message saying so. */
int ag_store_open(const char *path, ag_store **out, char **err);

typedef struct {
    /* Never create, migrate or write: for commands that only read the state
     * (export, inspection) next to a running daemon. Writes fail cleanly. */
    bool readonly;
    /* How long a write waits for another connection's lock; 0 = 5000 ms. */
    int busy_timeout_ms;
    /* With readonly: leave no file behind either. A reader of a WAL
     * database makes sqlite create its -wal and -shm files when no other
     * connection has; so when they are absent (no daemon has the database
     * open) the file is read as an immutable one instead, and
     * ag_store_unchanged() tells afterwards whether it stayed so. */
    bool untouched;
} ag_store_options;

/* ag_store_open with options (NULL = defaults, same as ag_store_open). A
 * read-only open requires the database to exist at the current version. */
int ag_store_open_with(const char *path, const ag_store_options *opt, ag_store **out, char **err);
void ag_store_close(ag_store *st);

/* How long each statement waits for another connection's lock from now on.
 * The daemon opens with the default (nothing to serve yet), then shortens
 * it: its connection is used on the event loop, where a wait is a stall of
 * every request, so a locked database must fail fast and be retried by a
 * timer instead. */
void ag_store_set_busy_timeout(ag_store *st, int ms);

typedef struct {
    int added, changed, unchanged, removed, restored;
    int purged; /* removed rows deleted after retention */
    /* Agenda items whose row was written: added, changed, removed, restored,
     * purged, moved in the agenda or given the admin's id (whether their
     * event is counted as changed or not). */
    int slots_written;
    /* Unchanged events whose stored-only flags (invitations,
     * publish_attendance) were written: no SEQUENCE moved, but the store
     * changed (a new generation). */
    int flagged;
} ag_reconcile_stats;

/* For each config event: new → SEQUENCE 0, created = last_modified = now;
 * snapshot changed → SEQUENCE+1, last_modified = now; unchanged → untouched.
 * A stored event missing from config → removed_at = now, SEQUENCE+1,
 * last_modified = now (published as CANCELLED). A removed event whose file
 * comes back → restored (SEQUENCE+1). Rows removed more than `retention`
 * seconds after their last occurrence ended are purged.
 *
 * Agenda items the same way, each on its own (store_slots.c): the config's
 * items are matched with the stored ones (by id, then title, then start
 * time), a matched item keeps its UID, and its SEQUENCE and LAST-MODIFIED
 * move only when its own VEVENT changes; a new item gets a UID never given
 * before; a stored item the agenda no longer has is removed (CANCELLED) and
 * purged like a removed event. All in one transaction: on failure nothing
 * changes. */
int ag_store_reconcile(ag_store *st, const ag_config *cfg, int64_t now, ag_reconcile_stats *stats,
                       char **err);

/* How the store publishes one agenda item as its own VEVENT. */
typedef struct {
    char *uid;             /* "<event uid>/slot-<n>", or "<event uid>/<id>" for an
                              item that had its id when it first came */
    int sequence;          /* its own SEQUENCE */
    int64_t created;       /* Unix seconds */
    int64_t last_modified; /* Unix seconds; also its DTSTAMP */
    int64_t removed_at;    /* 0 while the agenda has it */
} ag_slot_state;

/* An item the agenda no longer has: its last content, published CANCELLED
 * until its event has passed, kept as long as a removed event would be. */
typedef struct {
    ag_slot slot;
    ag_slot_state state;
} ag_removed_slot;

typedef struct {
    ag_event ev; /* rebuilt from the normalized tables; loc.file NULL */
    int sequence;
    int64_t created;       /* Unix seconds */
    int64_t last_modified; /* Unix seconds; also the DTSTAMP */
    int64_t removed_at;    /* 0 while its config file still defines it */
    char *imported_from;   /* member id for an event imported from its own calendar
                              (sync), NULL for the network's events */
    ag_private priv;       /* imported only: its ATTENDEEs and VALARMs, kept when the
                              admin set sync.private_data (empty otherwise) */
    /* Parallel to ev.slots (the agenda, in order). NULL for an event the
     * store did not give (an imported one, a test's): its items are then
     * published by position, "<uid>/slot-<n>", with the event's SEQUENCE
     * and times, as before items had their own. */
    ag_slot_state *slot_states;
    ag_removed_slot *removed_slots; /* in their last order */
    size_t n_removed_slots;
    int last_slot_number; /* highest n of a "<uid>/slot-<n>" given so far */
} ag_stored_event;

/* ag_store_reconcile, then the events as ag_store_load_events gives them
 * (without reading them twice when nothing changed). *out is the caller's
 * (ag_store_events_free). 0, or a negative AG_E* code with *err. */
int ag_store_reconcile_load(ag_store *st, const ag_config *cfg, int64_t now,
                            ag_reconcile_stats *stats, ag_stored_event **out, size_t *n,
                            char **err);

/* Every stored event (live and removed), sorted by uid. Caller frees with
 * ag_store_events_free. */
int ag_store_load_events(ag_store *st, ag_stored_event **out, size_t *n, char **err);
void ag_store_events_free(ag_stored_event *evs, size_t n);

/* The event uid among evs[0..n) (sorted by uid, as ag_store_load_events
 * gives them), live or removed; NULL when absent or evs is NULL. Borrowed
 * from evs. */
const ag_stored_event *ag_store_event_find(const ag_stored_event *evs, size_t n, const char *uid);

/* Increases whenever reconcile changed anything (purges included); feeds
 * cached under an older generation are stale. Persisted: survives restarts,
 * so it never goes back. 0 for a fresh database. */
int64_t ag_store_generation(ag_store *st);

/* Number of stored events still defined by config (live) and removed ones
 * kept for their CANCELLED publication; either pointer may be NULL. */
int ag_store_event_count(ag_store *st, size_t *live, size_t *removed, char **err);

/* Member feed tokens. create: makes a new random token for member (replacing
 * any previous one: rotation), returns it once in *token (caller frees); only
 * its SHA-256 is stored. check: *valid set to whether token is member's. */
int ag_store_token_create(ag_store *st, const char *member, char **token, char **err);
int ag_store_token_check(ag_store *st, const char *member, const char *token, bool *valid,
                         char **err);
int ag_store_token_revoke(ag_store *st, const char *member, char **err);

/* Events imported from members' own calendars (sync), one row per event,
 * uid namespaced as "<member>:<source uid>". Instants are UTC; an all-day
 * event spans [start, end) from UTC midnight to UTC midnight. */
typedef struct {
    char *uid;
    char *member;
    ag_text title, description, location;
    int64_t start, end;
    bool all_day;
    ag_status status;
    char *categories; /* category ids separated by single spaces; "" for none */
    int sequence;
    int64_t created, last_modified, removed_at;
    ag_private priv; /* attendees and alarms (tables imported_attendees/_alarms) */
} ag_import_row;

void ag_store_import_rows_free(ag_import_row *rows, size_t n);

/* Makes the stored events of member (from source) be rows[0..n) (only uid,
 * member, texts, instants, status, categories and priv are read): new ones are
 * added, changed ones rewritten with SEQUENCE+1 and LAST-MODIFIED now, missing
 * ones marked removed (published as CANCELLED until they pass), and removed
 * ones whose end is more than retention ago deleted. Nothing at all is written
 * when nothing changed. *written (may be NULL): rows changed. Readers see the
 * old set or the new one, never a mix (ag_import_write_* below, all at
 * once). */
int ag_store_import_replace(ag_store *st, const char *source, const char *member,
                            const ag_import_row *rows, size_t n, int64_t now, int64_t retention,
                            int *written, char **err);

/* The same over several calls, each a short transaction, so that the loop
 * can serve requests between them:
 *
 *   prepare   compares rows with the stored set (one read): *written rows
 *             change; none: *out NULL and nothing to do. Else *out is the
 *             new set, which borrows rows' strings: keep rows until
 *             ag_store_import_write_free.
 *   step      writes up to max rows of the new set as a new generation,
 *             which no reader sees: 1 once every row is in, 0 more to do.
 *   commit    makes the new generation the member's current one (the only
 *             moment readers' view changes); fails if another write made
 *             a generation current since prepare.
 *   sweep     deletes up to max rows of the member's other generations;
 *             the number deleted (0: none left).
 *
 * An import abandoned at any point (error, kill -9) leaves the old set
 * current; its rows go at the member's next sweep or with
 * ag_store_import_sweep_all. */
typedef struct ag_import_write ag_import_write;
int ag_store_import_write_prepare(ag_store *st, const char *source, const char *member,
                                  const ag_import_row *rows, size_t n, int64_t now,
                                  int64_t retention, ag_import_write **out, int *written,
                                  char **err);
int ag_store_import_write_step(ag_store *st, ag_import_write *w, size_t max, char **err);
int ag_store_import_write_commit(ag_store *st, ag_import_write *w, char **err);
/* The new set, sorted by uid, as readers will see it once committed
 * (sequence, created, last_modified, removed_at as stored; member set). */
const ag_import_row *ag_store_import_write_rows(const ag_import_write *w, size_t *n);
const char *ag_store_import_write_member(const ag_import_write *w);
int64_t ag_store_import_write_gen(const ag_import_write *w);
void ag_store_import_write_free(ag_import_write *w);
int ag_store_import_sweep_step(ag_store *st, const char *member, int64_t keep, size_t max,
                               char **err);
/* Deletes every generation that is not its member's current one (what a
 * kill -9 mid-import left); *deleted (may be NULL): generations deleted.
 * Only for the one process that imports (the daemon, at start): another's
 * import in progress looks the same. */
int ag_store_import_sweep_all(ag_store *st, int *deleted, char **err);
/* Every imported row, sorted by uid. Caller frees with ag_store_import_rows_free. */
int ag_store_load_imports(ag_store *st, ag_import_row **out, size_t *n, char **err);
/* The same for one member only: what a pull of its feed may have changed. */
int ag_store_load_member_imports(ag_store *st, const char *member, ag_import_row **out, size_t *n,
                                 char **err);

/* Members' busy time, times only (store_busy.c): what each member's own
 * calendar says, per source ("feed" for its pulled feed, "caldav" for its
 * CalDAV server), with no text, attendees or UID, so that nothing here can
 * reach a feed. Instants are UTC seconds, [start, end). */
typedef struct {
    int64_t start, end;
    bool tentative; /* the calendar said TENTATIVE (or FBTYPE=BUSY-TENTATIVE) */
} ag_busy_interval;

/* When a source last read a member's calendar, and over which window. */
typedef struct {
    char *source;
    int64_t read_at, from, to;
} ag_busy_source;

/* Makes what source says of member over [from, to) be iv[0..n) (each with
 * start < end; others are refused with AG_EINVAL and nothing changes), and
 * records the read at now, in one transaction. Intervals are kept as given
 * (overlaps included): readers merge them. */
int ag_store_busy_replace(ag_store *st, const char *member, const char *source, int64_t from,
                          int64_t to, const ag_busy_interval *iv, size_t n, int64_t now,
                          char **err);
/* Every source's intervals of member overlapping [from, to), sorted by start,
 * in one read. *out is malloc'd (NULL when none; caller frees). */
int ag_store_busy_load(ag_store *st, const char *member, int64_t from, int64_t to,
                       ag_busy_interval **out, size_t *n, char **err);
/* The sources that ever read member's calendar, sorted by name; none: the
 * calendar was never read. Free with ag_store_busy_sources_free. */
int ag_store_busy_sources(ag_store *st, const char *member, ag_busy_source **out, size_t *n,
                          char **err);
void ag_store_busy_sources_free(ag_busy_source *v, size_t n);
/* Every member's busy intervals overlapping [from, to) and every source's
 * last read, as ag_store_busy_load and ag_store_busy_sources give them one
 * member at a time, for a whole network in one read transaction
 * (store_busy_read.c): each read through on_read, then each interval
 * through on_interval, in no particular order. The arguments are borrowed
 * for the call only. A callback's negative AG_E* code stops the read and
 * is returned. 0, or a negative AG_E* code with *err. */
typedef int (*ag_store_busy_fn)(void *data, const char *member, const ag_busy_interval *iv);
typedef int (*ag_store_read_fn)(void *data, const char *member, const ag_busy_source *src);
int ag_store_busy_load_all(ag_store *st, int64_t from, int64_t to, ag_store_busy_fn on_interval,
                           ag_store_read_fn on_read, void *data, char **err);
/* Forgets what any source said of member (a member removed from the
 * config, or whose calendar is no longer configured for source; source
 * NULL: all sources). */
int ag_store_busy_forget(ag_store *st, const char *member, const char *source, char **err);
/* Forgets, in the caller's transaction, every source's busy time of the
 * members cfg no longer has, and "feed" or "caldav" of a member whose
 * feed_url or sync.caldav cfg no longer has (ag_store_reconcile calls it:
 * what the admin removed is not kept). Other sources are left alone. */
int ag_store_busy_forget_unconfigured(ag_store *st, const ag_config *cfg, char **err);

/* Generic key/value for small daemon state (e.g. last tzdata version). get
 * sets *value to a malloc'd copy, or NULL when key is absent (not an error).
 * The key "generation" is the store's own. */
int ag_store_meta_get(ag_store *st, const char *key, char **value, char **err);
int ag_store_meta_set(ag_store *st, const char *key, const char *value, char **err);
int ag_store_meta_delete(ag_store *st, const char *key, char **err);
/* n keys set (values[i] NULL: deleted) in one transaction: one fsync for a
 * plugin's whole state instead of one per key. 0, or a negative AG_E* code
 * with *err and nothing changed. */
int ag_store_meta_set_many(ag_store *st, const char *const *keys, const char *const *values,
                           size_t n, char **err);

/* Every meta key that starts with prefix, with its value, sorted by key and
 * read in one statement (so one consistent snapshot). *keys and *values are
 * malloc'd, as is each string; free with ag_store_meta_list_free. 0, or a
 * negative AG_E* code with *err. */
int ag_store_meta_list(ag_store *st, const char *prefix, char ***keys, char ***values, size_t *n,
                       char **err);
void ag_store_meta_list_free(char **keys, char **values, size_t n);

/* After an open with `untouched`: false when another process opened or
 * wrote the database while it was read as immutable (its -wal appeared, or
 * the file changed), so that what was read may be torn: close and read
 * again. Always true after any other open. */
bool ag_store_unchanged(ag_store *st);

#endif
