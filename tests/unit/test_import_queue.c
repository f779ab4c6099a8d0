/* The import queue at shutdown: a batch dropped unfinished still reports,
 * once, so that whoever submitted it can free what it holds (a daemon
 * stopped during a pull leaked the plugin host's batch before). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service_import_queue.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    ag_import_queue *q;
    int calls, rc;
    char *owned; /* freed by done, as the daemon's report is: LSan checks */
    int resubmit_rc;
} report;

static void on_done(int rc, int written, const char *err, void *data)
{
    report *r = data;
    (void)written;
    r->calls++;
    r->rc = rc;
    assert_non_null(err);
    free(r->owned);
    r->owned = NULL;
    /* A done that submits again while the queue closes is refused. */
    r->resubmit_rc = ag_service_import_queue_submit(r->q, "sync", "again", NULL, 0, 0, on_done, r);
}

static ag_import_row *one_row(const char *uid)
{
    ag_import_row *rows = calloc(1, sizeof *rows);
    assert_non_null(rows);
    rows[0].uid = strdup(uid);
    return rows;
}

static void closing_cancels_each_unfinished_batch_once(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    ag_service svc = {0}; /* never reached: the queue closes before a turn */
    ag_import_queue q;
    ag_service_import_queue_init(&q, &loop, &svc);
    report a = {.q = &q, .owned = strdup("fes-meknes")}, b = {.q = &q, .owned = strdup("rabat")};
    assert_int_equal(ag_service_import_queue_submit(&q, "sync", "fes-meknes", one_row("a@fes"), 1,
                                                    0, on_done, &a),
                     0);
    assert_int_equal(
        ag_service_import_queue_submit(&q, "sync", "rabat-sale-kenitra", NULL, 0, 0, on_done, &b),
        0);
    assert_int_equal(a.calls, 0); /* never during submit */

    ag_service_import_queue_close(&q);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.rc, AG_IMPORT_CANCELLED);
    assert_int_equal(a.resubmit_rc, AG_ECANCELED);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.rc, AG_IMPORT_CANCELLED);
    assert_null(a.owned);
    assert_null(b.owned);

    report late = {.q = &q};
    assert_int_equal(ag_service_import_queue_submit(&q, "sync", "oujda", one_row("x@oujda"), 1, 0,
                                                    on_done, &late),
                     AG_ECANCELED);
    assert_int_equal(late.calls, 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closing_cancels_each_unfinished_batch_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
