/* The reminder outbox: every reminder or notice the scheduler decided to
 * send, written before any send under a unique key, with its outcome. A row
 * is the durable promise "this recipient gets this once": the key (event
 * uid, occurrence, lead time, channel, recipient, kind, sequence) makes a
 * second insert of the same reminder a no-op, whatever crashed in between.
 * Also the scheduler's memory of each event's time and place, to notice a
 * move or a cancellation even when it happened while the daemon was down.
 * Errors as in store.h: a negative AG_E* code with *err malloc'd. */
#ifndef AGENDAD_STORE_OUTBOX_H
#define AGENDAD_STORE_OUTBOX_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

/* Schema step appended to store.c's migrations. */
#define AG_STORE_OUTBOX_SCHEMA                                                                     \
    "CREATE TABLE outbox ("                                                                        \
    "  id INTEGER PRIMARY KEY,"                                                                    \
    "  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'cancel', 'change')),"                       \
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
    "CREATE INDEX outbox_pending ON outbox (next_attempt) WHERE state = 'pending';"                \
    "CREATE TABLE reminder_events ("                                                               \
    "  uid TEXT PRIMARY KEY,"                                                                      \
    "  fingerprint TEXT NOT NULL,"                                                                 \
    "  live INTEGER NOT NULL"                                                                      \
    ") WITHOUT ROWID;"

typedef enum {
    AG_OUT_PENDING,
    AG_OUT_SENT,
    AG_OUT_FAILED,
    AG_OUT_MISSED,
    AG_OUT_DROPPED,
    AG_OUT_ANY_ /* list filter: every state */
} ag_outbox_state;

/* Since schema step 10 also: an invitation (iMIP REQUEST), its cancellation
 * (CANCEL), and the reminder to an event's host that its minutes are
 * missing. */
typedef enum {
    AG_OUT_REMINDER,
    AG_OUT_CANCEL,
    AG_OUT_CHANGE,
    AG_OUT_INVITE,
    AG_OUT_INVITE_CANCEL,
    AG_OUT_MINUTES,
    AG_OUT_KIND_COUNT_
} ag_outbox_kind;

typedef struct {
    int64_t id; /* set by the store */
    ag_outbox_kind kind;
    char *uid;
    int64_t occurrence; /* UTC instant */
    int64_t lead;       /* seconds; 0 for notices */
    char *channel;
    char *member;  /* member id, or NULL for an extra address */
    char *address; /* contact address, or NULL when the member has none */
    int seq;       /* the event's SEQUENCE for notices and invitations, 0 for reminders */
    int64_t due;
    ag_outbox_state state;
    int attempts;
    int64_t next_attempt;
    char *last_error;
    int64_t done_at;
} ag_outbox_row;

const char *ag_store_outbox_state_name(ag_outbox_state s);
const char *ag_store_outbox_kind_name(ag_outbox_kind k);
void ag_store_outbox_rows_free(ag_outbox_row *rows, size_t n);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK around a batch of writes. */
int ag_store_outbox_begin(ag_store *st, char **err);
int ag_store_outbox_commit(ag_store *st, char **err);
void ag_store_outbox_rollback(ag_store *st);

/* Inserts r (id, attempts, last_error ignored) unless a row with its key
 * exists; *inserted tells which (may be NULL). */
int ag_store_outbox_insert(ag_store *st, const ag_outbox_row *r, int64_t now, bool *inserted,
                           char **err);
/* Pending rows whose next attempt is at or before now, oldest due first, at
 * most limit. */
int ag_store_outbox_due(ag_store *st, int64_t now, size_t limit, ag_outbox_row **rows, size_t *n,
                        char **err);
/* Earliest next attempt of a pending row; *found false when none. */
int ag_store_outbox_next(ag_store *st, int64_t *when, bool *found, char **err);
/* Records an outcome. */
int ag_store_outbox_update(ag_store *st, int64_t id, ag_outbox_state state, int attempts,
                           int64_t next_attempt, const char *error, int64_t done_at, char **err);
/* Records an outcome as a transaction of its own that does not wait for
 * the disk (synchronous=NORMAL for this commit; the store is in WAL mode):
 * it survives a crash or kill -9 of the daemon at once, and a power loss
 * from the next synchronous commit on (the next batch of due reminders).
 * Losing it to a power cut can only send that reminder again, never lose
 * it, and it saves one fsync per reminder sent. Not inside a transaction. */
int ag_store_outbox_outcome(ag_store *st, int64_t id, ag_outbox_state state, int attempts,
                            int64_t next_attempt, const char *error, int64_t done_at, char **err);
/* The same for every commit until called again with false (the default:
 * commits wait for the disk); for a batch of outcomes. */
int ag_store_outbox_relaxed(ag_store *st, bool relaxed, char **err);
/* Rows in state (AG_OUT_ANY_: all), by due time. */
int ag_store_outbox_list(ag_store *st, ag_outbox_state state, ag_outbox_row **rows, size_t *n,
                         char **err);
/* A failed (or missed) row back to pending, attempts reset; *found false if
 * no such row in those states. */
int ag_store_outbox_retry(ag_store *st, int64_t id, int64_t now, bool *found, char **err);
/* Pending reminders of uid become dropped; keep_occurrence >= 0 spares the
 * reminders of the occurrences still scheduled (see scheduler.c): pass the
 * set as a sorted array. Returns the number dropped in *n. */
int ag_store_outbox_drop(ag_store *st, const char *uid, const int64_t *keep, size_t n_keep,
                         int64_t now, int *n, char **err);
/* Sent reminders of uid for occurrences at or after from: who was already
 * reminded of something still to come. */
int ag_store_outbox_reminded(ag_store *st, const char *uid, int64_t from, ag_outbox_row **rows,
                             size_t *n, char **err);

/* Calls fn once per (state, channel) present with its row count (metrics). */
typedef void (*ag_outbox_count_fn)(ag_outbox_state state, const char *channel, int64_t n,
                                   void *data);
int ag_store_outbox_counts(ag_store *st, ag_outbox_count_fn fn, void *data, char **err);

/* What the scheduler last saw of an event (time, place, status); *fp NULL
 * when unknown. */
int ag_store_outbox_fingerprint_get(ag_store *st, const char *uid, char **fp, bool *live,
                                    char **err);
int ag_store_outbox_fingerprint_set(ag_store *st, const char *uid, const char *fp, bool live,
                                    char **err);
/* Every uid with a fingerprint, for finding events gone from the store. */
int ag_store_outbox_fingerprint_uids(ag_store *st, char ***uids, size_t *n, char **err);

#endif
