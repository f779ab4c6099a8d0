/* Members' busy time read for the whole network at once gives what the
 * per-member reads give: every interval touching the window, every
 * source's last read, members of the config or not; and a callback can
 * stop the read. */
#include "error.h"
#include "store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_db.h"

typedef struct {
    char path[64];
    ag_store *st;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    temp_db_name(f->path, sizeof f->path, "busy-read");
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    temp_db_remove(f->path);
    free(f);
    return 0;
}

typedef struct {
    char text[2048];
    size_t used;
    int stop_after; /* intervals; -1: never */
} seen;

static int on_interval(void *data, const char *member, const ag_busy_interval *iv)
{
    seen *s = data;
    if (s->stop_after == 0)
        return AG_ECANCELED;
    s->stop_after--;
    s->used +=
        (size_t)snprintf(s->text + s->used, sizeof s->text - s->used, "%s %lld-%lld%s;", member,
                         (long long)iv->start, (long long)iv->end, iv->tentative ? "?" : "");
    return 0;
}

static int on_read(void *data, const char *member, const ag_busy_source *src)
{
    seen *s = data;
    s->used += (size_t)snprintf(s->text + s->used, sizeof s->text - s->used,
                                "read %s %s %lld [%lld,%lld);", member, src->source,
                                (long long)src->read_at, (long long)src->from, (long long)src->to);
    return 0;
}

static void test_whole_network(void **state)
{
    fx *f = *state;
    ag_busy_interval a[] = {{100, 200, false}, {900, 1100, true}};
    ag_busy_interval b[] = {{150, 350, false}, {2000, 2100, false}};
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 3000, a, 2, 7, NULL), 0);
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "caldav", 0, 3000, b, 2, 8, NULL), 0);
    assert_int_equal(ag_store_busy_replace(f->st, "taza", "feed", 0, 3000, NULL, 0, 9, NULL), 0);
    seen s = {.stop_after = -1};
    char *err = NULL;
    /* [200, 2000): 100-200 ends at the bound and 2000-2100 starts at it. */
    assert_int_equal(ag_store_busy_load_all(f->st, 200, 2000, on_interval, on_read, &s, &err), 0);
    assert_null(err);
    /* The reads first (by the table's key), then the intervals. */
    assert_non_null(strstr(s.text, "read fes caldav 8 [0,3000);"));
    assert_non_null(strstr(s.text, "read fes feed 7 [0,3000);"));
    assert_non_null(strstr(s.text, "read taza feed 9 [0,3000);"));
    assert_non_null(strstr(s.text, "fes 900-1100?;"));
    assert_non_null(strstr(s.text, "fes 150-350;"));
    assert_null(strstr(s.text, "fes 100-200"));
    assert_null(strstr(s.text, "2000-2100"));
    assert_true(strstr(s.text, "read taza") < strstr(s.text, "fes 150-350;"));
}

static void test_stopped_by_a_callback(void **state)
{
    fx *f = *state;
    ag_busy_interval a[] = {{100, 200, false}, {300, 400, false}};
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 3000, a, 2, 7, NULL), 0);
    seen s = {.stop_after = 1};
    char *err = NULL;
    assert_int_equal(ag_store_busy_load_all(f->st, 0, 3000, on_interval, on_read, &s, &err),
                     AG_ECANCELED);
    assert_non_null(err);
    free(err);
    /* The read transaction is over: the store takes writes again. */
    assert_int_equal(ag_store_busy_replace(f->st, "fes", "feed", 0, 3000, a, 1, 8, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_network, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_by_a_callback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
