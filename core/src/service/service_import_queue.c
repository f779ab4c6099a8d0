#include "service_import_queue.h"

#include "service_imports.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
    STEP_PREPARE,
    STEP_WRITE,
    STEP_COMMIT,
    STEP_CONVERT,
    STEP_PUBLISH,
    STEP_COPY,
    STEP_INSTALL,
    STEP_SWEEP,
    STEP_DONE
} step;

struct ag_import_job {
    ag_import_job *next;
    char *source, *member;
    int64_t now;
    step step;
    ag_import_row *rows; /* the batch, which write borrows from */
    size_t n_rows;
    ag_import_write *write; /* the new set being stored */
    int64_t gen;            /* its generation, kept once write is freed */
    ag_stored_event *evs;   /* made from the new set */
    size_t n_evs, converted;
    ag_import_publish publish;
    int written, rc;
    char *err;
    ag_import_done_fn done;
    void *data;
};

static void job_free(ag_import_job *j)
{
    ag_store_import_write_free(j->write);
    ag_store_import_rows_free(j->rows, j->n_rows);
    if (j->evs)
        ag_store_events_free(j->evs, j->n_evs);
    ag_service_publish_abort(&j->publish);
    free(j->source);
    free(j->member);
    free(j->err);
    free(j);
}

static void drop_rows(ag_import_job *j)
{
    ag_store_import_rows_free(j->rows, j->n_rows);
    j->rows = NULL;
    j->n_rows = 0;
}

/* Each step returns its next one; a failure goes straight to STEP_DONE
 * with rc (a negative AG_E* code) and err set. */
static step fail(ag_import_job *j, int rc, const char *why)
{
    j->rc = rc;
    if (!j->err)
        j->err = strdup(why);
    return STEP_DONE;
}

static step prepare(ag_import_queue *q, ag_import_job *j)
{
    ag_store *st = q->svc->store;
    if (!st)
        return fail(j, AG_ESTORE, "the state database is not open");
    int rc = ag_store_import_write_prepare(st, j->source, j->member, j->rows, j->n_rows, j->now,
                                           q->svc->cfg->settings.retention, &j->write, &j->written,
                                           &j->err);
    if (rc < 0)
        return fail(j, rc, "cannot store imported events");
    if (!j->write)
        return STEP_DONE; /* nothing changed: nothing written */
    j->gen = ag_store_import_write_gen(j->write);
    return STEP_WRITE;
}

static step write_rows(ag_import_queue *q, ag_import_job *j)
{
    int rc = ag_store_import_write_step(q->svc->store, j->write, AG_IMPORT_WRITE_CHUNK, &j->err);
    if (rc < 0)
        return fail(j, rc, "cannot store imported events");
    return rc ? STEP_COMMIT : STEP_WRITE;
}

static step commit(ag_import_queue *q, ag_import_job *j)
{
    int rc = ag_store_import_write_commit(q->svc->store, j->write, &j->err);
    if (rc < 0)
        return fail(j, rc, "cannot store imported events");
    size_t n;
    ag_store_import_write_rows(j->write, &n);
    j->evs = calloc(n ? n : 1, sizeof *j->evs);
    if (!j->evs)
        return fail(j, AG_ENOMEM, "out of memory loading imported events");
    j->n_evs = n;
    return STEP_CONVERT;
}

/* The stored set is what the write made of the batch: converted from
 * there rather than read back from the store. */
static step convert(ag_import_job *j)
{
    size_t n;
    const ag_import_row *rows = ag_store_import_write_rows(j->write, &n);
    size_t k = n - j->converted;
    if (k > AG_IMPORT_CHUNK)
        k = AG_IMPORT_CHUNK;
    int rc = ag_service_import_rows_convert(rows + j->converted, k, j->evs + j->converted);
    if (rc < 0)
        return fail(j, rc, "out of memory loading imported events");
    j->converted += k;
    if (j->converted < n)
        return STEP_CONVERT;
    ag_store_import_write_free(j->write);
    j->write = NULL;
    drop_rows(j);
    return STEP_PUBLISH;
}

static step publish(ag_import_queue *q, ag_import_job *j)
{
    ag_stored_event *evs = j->evs;
    j->evs = NULL;
    int rc;
    if (ag_service_publish_is_small(q->svc, j->member, j->n_evs)) {
        if ((rc = ag_service_import_publish(q->svc, j->member, evs, j->n_evs, &j->err)) < 0)
            return fail(j, rc, "cannot publish imported events");
        return STEP_SWEEP;
    }
    if ((rc = ag_service_publish_begin(q->svc, &j->publish, j->member, evs, j->n_evs, &j->err)) < 0)
        return fail(j, rc, "cannot publish imported events");
    return STEP_COPY;
}

static step copy(ag_import_queue *q, ag_import_job *j)
{
    return ag_service_publish_step(q->svc, &j->publish) ? STEP_INSTALL : STEP_COPY;
}

static step install(ag_import_queue *q, ag_import_job *j)
{
    int rc = ag_service_publish_end(q->svc, &j->publish, &j->err);
    if (rc < 0)
        return fail(j, rc, "cannot publish imported events");
    return STEP_SWEEP;
}

/* The old set's rows, AG_IMPORT_SWEEP_CHUNK per turn. A failure costs
 * only space until the next import or start: logged, not the pull's. */
static step sweep(ag_import_queue *q, ag_import_job *j)
{
    char *err = NULL;
    int n = q->svc->store ? ag_store_import_sweep_step(q->svc->store, j->member, j->gen,
                                                       AG_IMPORT_SWEEP_CHUNK, &err)
                          : 0;
    if (n < 0)
        ag_log(AG_LOG_WARNING, "%s", err ? err : "cannot delete old imported events");
    free(err);
    return n > 0 ? STEP_SWEEP : STEP_DONE;
}

static step run_step(ag_import_queue *q, ag_import_job *j)
{
    switch (j->step) {
    case STEP_PREPARE:
        return prepare(q, j);
    case STEP_WRITE:
        return write_rows(q, j);
    case STEP_COMMIT:
        return commit(q, j);
    case STEP_CONVERT:
        return convert(j);
    case STEP_PUBLISH:
        return publish(q, j);
    case STEP_COPY:
        return copy(q, j);
    case STEP_INSTALL:
        return install(q, j);
    case STEP_SWEEP:
        return sweep(q, j);
    case STEP_DONE:
        break;
    }
    return STEP_DONE;
}

/* The job leaves the queue before done runs: done may submit the next. */
static void finish(ag_import_queue *q, ag_import_job *j)
{
    q->head = j->next;
    if (!q->head)
        q->tail = NULL;
    j->done(j->rc, j->written, j->err, j->data);
    job_free(j);
}

/* One step per turn; the source's done gets a turn of its own too (a
 * plugin may save its state there). */
static void on_idle(uv_idle_t *h)
{
    ag_import_queue *q = h->data;
    ag_import_job *j = q->head;
    if (j && j->step == STEP_DONE)
        finish(q, j);
    else if (j)
        j->step = run_step(q, j);
    if (!q->head)
        uv_idle_stop(h);
}

void ag_service_import_queue_init(ag_import_queue *q, uv_loop_t *loop, ag_service *svc)
{
    memset(q, 0, sizeof *q);
    q->loop = loop;
    q->svc = svc;
    uv_idle_init(loop, &q->idle);
    q->idle.data = q;
    q->open = true;
}

int ag_service_import_queue_submit(ag_import_queue *q, const char *source, const char *member,
                                   ag_import_row *rows, size_t n, int64_t now,
                                   ag_import_done_fn done, void *data)
{
    ag_import_job *j = q->open ? calloc(1, sizeof *j) : NULL;
    if (j) {
        j->source = strdup(source);
        j->member = strdup(member);
    }
    if (!j || !j->source || !j->member) {
        if (j)
            job_free(j);
        ag_store_import_rows_free(rows, n);
        return q->open ? AG_ENOMEM : AG_ECANCELED;
    }
    *j = (ag_import_job){.source = j->source,
                         .member = j->member,
                         .now = now,
                         .rows = rows,
                         .n_rows = n,
                         .done = done,
                         .data = data};
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    uv_idle_start(&q->idle, on_idle);
    return 0;
}

void ag_service_import_queue_close(ag_import_queue *q)
{
    bool was_open = q->open;
    q->open = false; /* a done that submits again is refused */
    while (q->head) {
        ag_import_job *j = q->head;
        q->head = j->next;
        j->done(AG_IMPORT_CANCELLED, j->written, "the daemon is stopping", j->data);
        job_free(j);
    }
    q->tail = NULL;
    if (was_open && !uv_is_closing((uv_handle_t *)&q->idle))
        uv_close((uv_handle_t *)&q->idle, NULL);
}
