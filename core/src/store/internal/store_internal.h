/* Shared between the store_*.c files only: the handle, its cache of prepared
 * statements and the error helpers. Not part of the store's contract. */
#ifndef AGENDAD_STORE_INTERNAL_H
#define AGENDAD_STORE_INTERNAL_H

#include "error.h"
#include "store.h"

#include <sqlite3.h>
#include <sys/stat.h>

/* Every statement the store runs, prepared once on first use and kept for
 * the life of the connection. The SQL lives in store.c (ag_store_sql). */
typedef enum {
    Q_META_GET,
    Q_META_SET,
    Q_EV_ALL,
    Q_EV_AUDIENCE,
    Q_EV_CATEGORIES,
    Q_EV_EXDATES,
    Q_EV_REMINDERS,
    Q_EV_SLOTS,
    Q_EV_INSERT,
    Q_EV_UPDATE,
    Q_EV_REMOVE,
    Q_EV_DELETE,
    Q_DEL_AUDIENCE,
    Q_DEL_CATEGORIES,
    Q_DEL_EXDATES,
    Q_DEL_REMINDERS,
    Q_DEL_SLOTS,
    Q_INS_AUDIENCE,
    Q_INS_CATEGORY,
    Q_INS_EXDATE,
    Q_INS_REMINDER,
    Q_INS_SLOT,
    Q_EV_SLOT_NUMBER,
    Q_CANCEL_SLOTS,
    Q_EV_COUNT,
    Q_TOKEN_SET,
    Q_TOKEN_GET,
    Q_TOKEN_DEL,
    Q_EV_FLAGS,
    Q_EV_DOCUMENTS,
    Q_DEL_DOCUMENTS,
    Q_INS_DOCUMENT,
    Q_COUNT_
} ag_stmt_id;

struct ag_store {
    sqlite3 *db;
    char *path;
    bool readonly;
    bool immutable;     /* read as an immutable file (ag_store_options.untouched) */
    struct stat seen;   /* the file as it was then, for ag_store_unchanged */
    int64_t generation; /* last value read or committed; fallback on read errors */
    sqlite3_stmt *stmts[Q_COUNT_];
    sqlite3_stmt *outbox_stmts[16];    /* store_outbox.c's, prepared on first use */
    sqlite3_stmt *import_stmts[16];    /* store_import_write.c's, likewise */
    sqlite3_stmt *busy_stmts[8];       /* store_busy.c's, likewise */
    sqlite3_stmt *invitation_stmts[8]; /* store_invitations.c's, likewise */
    sqlite3_stmt *rsvp_stmts[24];      /* store_rsvp.c's, likewise */
};

/* How ag_status is spelled in the events and imported rows tables, by
 * value (AG_STATUS_COUNT of them). */
enum { AG_STATUS_COUNT = 3 };
extern const char *const ag_store_status_names[AG_STATUS_COUNT];

/* Column i of s's current row as a malloc'd string, NULL for SQL NULL;
 * sets *ok false when memory ran out (and returns NULL). */
char *ag_store_column_dup(sqlite3_stmt *s, int i, bool *ok);

/* Binds v, copied, or NULL when v is. */
int ag_store_bind_opt_text(sqlite3_stmt *s, int i, const char *v);

/* The statement id, reset with bindings cleared; NULL on a prepare error
 * (message in sqlite3_errmsg). */
sqlite3_stmt *ag_store_stmt(ag_store *st, ag_stmt_id id);
/* The statement in *slot, reset and unbound, prepared from text (once, kept
 * for the store's life) when *slot is NULL; NULL when it cannot be prepared. */
sqlite3_stmt *ag_store_cached(ag_store *st, sqlite3_stmt **slot, const char *text);

/* The AG_E* code of a sqlite result code: AG_ENOMEM, AG_EBUSY (another
 * connection holds the lock), AG_ECORRUPT (a malformed database file), else
 * AG_ESTORE. */
int ag_store_code(int sqlite_rc);
/* *err = "<what> <path>: <sqlite's message>"; returns the code of the
 * connection's last error (ag_store_code). Call it before a reset. */
int ag_store_fail(ag_store *st, char **err, const char *what);
/* *err = "<what> <path>: <formatted detail>"; returns code. */
int ag_store_failf(ag_store *st, char **err, int code, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* store_snapshot.c: for a read-only open that leaves no file behind, the
 * URI that opens path as immutable (malloc'd), or NULL when path may not be
 * read so: another connection may have it open (its -wal or -journal is
 * there), or it does not exist. *seen receives the file's stat. */
char *ag_store_immutable_uri(const char *path, struct stat *seen);

/* Runs SQL without results (BEGIN, COMMIT...); SQLITE_OK or an error code. */
int ag_store_exec(ag_store *st, const char *sql);
/* Rolls back if a transaction is open; keeps no error of its own, since the
 * caller already reported the one that made it roll back. */
void ag_store_rollback(ag_store *st);

/* Reads every event, sorted by uid, in the caller's transaction. */
int ag_store_load_locked(ag_store *st, ag_stored_event **out, size_t *n, char **err);
/* Writes ev's content: as a new row (sequence 0, created = last_modified =
 * now, its items numbered up to last_slot_number), or over an existing row
 * (sequence+1, last_modified = now, restored). Its agenda items are written
 * apart (ag_store_write_slots), since each has its own state. */
int ag_store_insert_event(ag_store *st, const ag_event *ev, int last_slot_number, int64_t now,
                          char **err);
int ag_store_replace_event(ag_store *st, const ag_event *ev, int64_t now, char **err);
/* Writes ev's stored-only flags (invitations, publish_attendance) over its
 * row, moving neither SEQUENCE nor LAST-MODIFIED. */
int ag_store_write_event_flags(ag_store *st, const ag_event *ev, char **err);

/* One agenda item row: its content, its place and its state (live items
 * first, at their place in the agenda, then the removed ones). Borrowed. */
typedef struct {
    const ag_slot *slot;
    const ag_slot_state *state;
} ag_slot_row;

/* Writes rows[0..n) (row i at pos i) as the item rows of event uid,
 * replacing those it had (a new event has none). */
int ag_store_write_slots(ag_store *st, const char *uid, const ag_slot_row *rows, size_t n,
                         bool replace, char **err);
/* Records last_number as the highest "slot-<n>" event uid gave. */
int ag_store_set_slot_number(ag_store *st, const char *uid, int last_number, char **err);
/* The live items of event uid, which its removal cancels: SEQUENCE+1,
 * LAST-MODIFIED now. The number of items, or a negative AG_E* code. */
int ag_store_cancel_slots(ag_store *st, const char *uid, int64_t now, char **err);

/* store_reconcile.c: whether a row removed at removed_at from event e (the
 * event itself, or one of its items) is due for deletion at now: more than
 * retention after both its removal and e's last occurrence's end. */
bool ag_store_removed_due(const ag_event *e, int64_t removed_at, int64_t now, int64_t retention);

/* store_slots.c: the agenda items of config event e, matched with those of
 * its stored row se (NULL when e is new; se->removed_at set when e comes
 * back), as they are to be written. */
typedef struct {
    ag_slot_row *rows; /* live items (e's agenda, in order), then removed ones */
    ag_slot_state *states;
    size_t n;
    int last_number;
    int written; /* items added, changed, removed, restored, purged or given an id */
    char **uids; /* the UIDs given here (states point at them) */
    size_t n_uids;
} ag_slot_plan;

/* 0, or AG_ENOMEM. plan->written == 0: the stored rows stay as they are. */
int ag_store_slots_plan(const ag_stored_event *se, const ag_event *e, int64_t now,
                        int64_t retention, ag_slot_plan *plan);
void ag_store_slots_plan_free(ag_slot_plan *plan);

/* member's imported rows (current generation) with their private data,
 * sorted by uid, in the caller's transaction. */
int ag_store_select_member_imports(ag_store *st, const char *member, ag_import_row **out, size_t *n,
                                   char **err);

/* Generation persisted in meta, written inside the caller's transaction. */
int ag_store_write_generation(ag_store *st, int64_t gen, char **err);

#endif
