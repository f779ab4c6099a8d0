/* Members' batches from event sources (sync), stored and published over
 * several loop turns instead of one: a member's thousand events cost tens
 * of ms to write, read back, convert and splice, and every feed request
 * that arrives meanwhile waits. One batch at a time, in the order
 * submitted, one step per turn (an idle handle: the loop polls without
 * sleeping in between, so requests are served between two steps):
 *
 *   1. the batch compared with the member's stored set (one read): nothing
 *      changed, nothing more to do;
 *   2. the new set written as a new generation, AG_IMPORT_WRITE_CHUNK rows
 *      per turn, each chunk its own transaction, which no reader sees;
 *   3. the new generation made current, in one short transaction: readers
 *      and a restart see the last good copy or the new one, never a mix;
 *   4. the new set made events, AG_IMPORT_CHUNK at a time (from memory:
 *      the write knows what it stored);
 *   5. the events published in place of the member's old ones: copies of
 *      the imported and merged arrays with the member's run replaced, made
 *      AG_PUBLISH_CHUNK events per turn, then swapped in, and only the
 *      cached feeds they change dropped, in one turn;
 *   6. the old generation's rows deleted, AG_IMPORT_SWEEP_CHUNK per turn.
 *
 * Feeds show the old copy until step 5, the new one from then on. */
#ifndef AGENDAD_SERVICE_IMPORT_QUEUE_H
#define AGENDAD_SERVICE_IMPORT_QUEUE_H

#include "error.h"
#include "service.h"

#include <uv.h>

#define AG_IMPORT_CHUNK 200
/* Rows a turn writes or deletes: ~2 ms of SQLite's time at 200. */
#define AG_IMPORT_WRITE_CHUNK 200
#define AG_IMPORT_SWEEP_CHUNK 400

/* rc: 0 (stored and published, or nothing to write) or a negative AG_E*
 * code other than AG_IMPORT_CANCELLED (nothing changed, or the store has
 * the batch but the feeds could not take it: err says which); written:
 * rows the store wrote. err is borrowed for the call. */
typedef void (*ag_import_done_fn)(int rc, int written, const char *err, void *data);

typedef struct ag_import_job ag_import_job;

typedef struct {
    uv_loop_t *loop;
    ag_service *svc;
    uv_idle_t idle;
    bool open; /* idle initialised, not closed */
    ag_import_job *head, *tail;
} ag_import_queue;

void ag_service_import_queue_init(ag_import_queue *q, uv_loop_t *loop, ag_service *svc);
/* Takes over rows (n, as ag_store_import_replace takes them); done runs on
 * the loop, once, after later turns. 0, or AG_ENOMEM, or AG_ECANCELED once
 * the queue is closed (rows freed, done never runs). */
int ag_service_import_queue_submit(ag_import_queue *q, const char *source, const char *member,
                                   ag_import_row *rows, size_t n, int64_t now,
                                   ag_import_done_fn done, void *data);
/* done's rc for a batch that ag_service_import_queue_close dropped unfinished. */
#define AG_IMPORT_CANCELLED AG_ECANCELED

/* Drops every batch not finished and closes the idle handle. Each dropped
 * batch's done runs once, now, with rc AG_IMPORT_CANCELLED, so that its
 * owner frees what it holds; it must call no plugin then (they are about
 * to be unloaded) nor submit. A batch whose store write committed stays
 * stored: the next start loads it. */
void ag_service_import_queue_close(ag_import_queue *q);

#endif
