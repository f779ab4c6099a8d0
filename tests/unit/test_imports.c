/* Imported events: namespaced uids, and the store's per-member replace that
 * writes nothing when nothing changed. */
#include "service_imports.h"
#include "error.h"
#include "store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void uids_are_namespaced_and_one_path_segment(void **state)
{
    (void)state;
    char *u = ag_service_import_uid("fes", "abc@google.com");
    assert_string_equal(u, "fes:abc@google.com");
    free(u);
    u = ag_service_import_uid("fes", "a/b c:d");
    assert_string_equal(u, "fes:a~2Fb~20c~3Ad");
    free(u);
    char long_uid[400];
    memset(long_uid, 'x', sizeof long_uid - 1);
    long_uid[sizeof long_uid - 1] = '\0';
    u = ag_service_import_uid("fes", long_uid);
    assert_int_equal(strncmp(u, "fes:sha256-", 11), 0);
    assert_int_equal(strlen(u), 11 + 64);
    free(u);
}

static ag_import_row row(const char *uid, const char *title, int64_t start)
{
    ag_import_row r = {0};
    r.uid = (char *)uid;
    r.title.fr = (char *)title;
    r.start = start;
    r.end = start + 3600;
    r.categories = (char *)"";
    return r;
}

static ag_store *open_store(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    ag_store *st = NULL;
    assert_int_equal(ag_store_open(path, &st, NULL), 0);
    return st;
}

static void replace_writes_only_changes(void **state)
{
    (void)state;
    char path[] = "/tmp/agendad-imports-XXXXXX";
    ag_store *st = open_store(path);
    ag_import_row rows[2] = {row("fes:a", "A", 2000000000), row("fes:b", "B", 2000100000)};
    int written = -1;
    assert_int_equal(
        ag_store_import_replace(st, "sync", "fes", rows, 2, 100, 86400, &written, NULL), 0);
    assert_int_equal(written, 2);
    assert_int_equal(
        ag_store_import_replace(st, "sync", "fes", rows, 2, 200, 86400, &written, NULL), 0);
    assert_int_equal(written, 0);
    rows[0].title.fr = (char *)"A2";
    assert_int_equal(
        ag_store_import_replace(st, "sync", "fes", rows, 1, 300, 86400, &written, NULL), 0);
    assert_int_equal(written, 2); /* a changed, b gone */
    /* Another member's batch never touches fes's rows. */
    ag_import_row other = row("rabat:a", "R", 2000000000);
    assert_int_equal(
        ag_store_import_replace(st, "sync", "rabat", &other, 1, 400, 86400, &written, NULL), 0);
    ag_import_row *out;
    size_t n;
    assert_int_equal(ag_store_load_imports(st, &out, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].uid, "fes:a");
    assert_string_equal(out[0].title.fr, "A2");
    assert_int_equal(out[0].sequence, 1);
    assert_int_equal(out[0].last_modified, 300);
    assert_string_equal(out[1].uid, "fes:b");
    assert_int_equal(out[1].removed_at, 300);
    assert_string_equal(out[2].member, "rabat");
    ag_stored_event *evs;
    assert_int_equal(ag_service_import_rows_to_events(out, n, &evs), 0);
    assert_string_equal(evs[0].imported_from, "fes");
    assert_string_equal(evs[0].ev.tzid, "UTC");
    assert_string_equal(evs[0].ev.host, "fes");
    ag_store_events_free(evs, n);
    ag_store_import_rows_free(out, n);
    ag_store_close(st);
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

static void duplicate_uids_in_a_batch_are_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/agendad-imports-XXXXXX";
    ag_store *st = open_store(path);
    ag_import_row rows[2] = {row("fes:a", "A", 2000000000), row("fes:a", "A", 2000000000)};
    char *err = NULL;
    assert_int_equal(ag_store_import_replace(st, "sync", "fes", rows, 2, 100, 86400, NULL, &err),
                     AG_EINVAL);
    assert_non_null(strstr(err, "twice"));
    free(err);
    ag_store_close(st);
    unlink(path);
}

static void remove_store(const char *path)
{
    char aux[64];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

/* Attendees and alarms are stored with their row, compared like the rest of
 * it (an unchanged batch writes nothing, a changed PARTSTAT is an edit), and
 * go when the row goes. */
static void private_data_is_stored_and_compared(void **state)
{
    (void)state;
    char path[] = "/tmp/agendad-imports-XXXXXX";
    ag_store *st = open_store(path);
    ag_import_row r = row("fes:a", "A", 2000000000);
    assert_int_equal(
        ag_private_add_attendee(&r.priv, "mailto:a@fes.example", "Agent, Fès", "ACCEPTED", NULL),
        0);
    assert_int_equal(ag_private_add_alarm(&r.priv, "DISPLAY", AG_TRIGGER_END, -900, NULL, "S"), 0);
    int written = -1;
    assert_int_equal(ag_store_import_replace(st, "sync", "fes", &r, 1, 100, 0, &written, NULL), 0);
    assert_int_equal(written, 1);
    assert_int_equal(ag_store_import_replace(st, "sync", "fes", &r, 1, 200, 0, &written, NULL), 0);
    assert_int_equal(written, 0);
    free(r.priv.attendees[0].partstat);
    r.priv.attendees[0].partstat = strdup("DECLINED");
    assert_int_equal(ag_store_import_replace(st, "sync", "fes", &r, 1, 300, 0, &written, NULL), 0);
    assert_int_equal(written, 1);
    ag_import_row *out;
    size_t n;
    assert_int_equal(ag_store_load_member_imports(st, "fes", &out, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].sequence, 1);
    assert_int_equal(out[0].priv.n_attendees, 1);
    assert_string_equal(out[0].priv.attendees[0].cn, "Agent, Fès");
    assert_string_equal(out[0].priv.attendees[0].partstat, "DECLINED");
    assert_null(out[0].priv.attendees[0].role);
    assert_int_equal(out[0].priv.n_alarms, 1);
    assert_int_equal(out[0].priv.alarms[0].related, AG_TRIGGER_END);
    assert_int_equal(out[0].priv.alarms[0].trigger, -900);
    assert_null(out[0].priv.alarms[0].description);
    ag_store_import_rows_free(out, n);
    ag_private_free(&r.priv);
    /* Without them (private_data turned off): rewritten, and none left. */
    assert_int_equal(ag_store_import_replace(st, "sync", "fes", &r, 1, 400, 0, &written, NULL), 0);
    assert_int_equal(written, 1);
    assert_int_equal(ag_store_load_imports(st, &out, &n, NULL), 0);
    assert_int_equal(out[0].priv.n_attendees + out[0].priv.n_alarms, 0);
    ag_store_import_rows_free(out, n);
    ag_store_close(st);
    remove_store(path);
}

static ag_stored_event *events_of(const char *const *uids, size_t n)
{
    ag_stored_event *v = calloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].ev.uid = strdup(uids[i]);
        v[i].imported_from = strndup(uids[i], strcspn(uids[i], ":"));
    }
    return v;
}

static void assert_uids(const ag_stored_event *v, size_t n, const char *const *want, size_t n_want)
{
    assert_int_equal(n, n_want);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(v[i].ev.uid, want[i]);
}

/* A member's run is replaced in place, its neighbours ("fes-meknes:" sorts
 * right after "fes:", "fe:" right before) untouched. */
static void splice_replaces_one_members_run(void **state)
{
    (void)state;
    const char *start[] = {"fe:z", "fes-meknes:a", "rabat:a"};
    ag_stored_event *all = events_of(start, 3);
    size_t n = 3;
    const char *fes[] = {"fes:a", "fes:b"};
    assert_int_equal(ag_service_imports_splice(&all, &n, "fes", events_of(fes, 2), 2), 0);
    const char *after_add[] = {"fe:z", "fes-meknes:a", "fes:a", "fes:b", "rabat:a"};
    assert_uids(all, n, after_add, 5);
    const char *fes2[] = {"fes:c"};
    assert_int_equal(ag_service_imports_splice(&all, &n, "fes", events_of(fes2, 1), 1), 0);
    const char *after_edit[] = {"fe:z", "fes-meknes:a", "fes:c", "rabat:a"};
    assert_uids(all, n, after_edit, 4);
    assert_int_equal(ag_service_imports_splice(&all, &n, "fes", events_of(NULL, 0), 0), 0);
    assert_uids(all, n, start, 3);
    assert_int_equal(ag_service_imports_splice(&all, &n, "zagora", events_of(fes2, 0), 0), 0);
    assert_uids(all, n, start, 3);
    ag_store_events_free(all, n);
}

/* The stepwise copy gives the same array as the in-place splice, whatever
 * the step size, and reuses a large enough spare buffer. */
static void run_copy_matches_the_splice(void **state)
{
    (void)state;
    const char *start[] = {"event-1", "fe:z", "fes-meknes:a", "fes:a", "fes:b", "rabat:a"};
    ag_stored_event *all = events_of(start, 6);
    const char *fresh_uids[] = {"fes:a", "fes:c", "fes:d"};
    ag_stored_event *fresh = events_of(fresh_uids, 3);
    const char *want[] = {"event-1", "fe:z", "fes-meknes:a", "fes:a", "fes:c", "fes:d", "rabat:a"};
    for (size_t step = 1; step <= 8; step++) {
        ag_event_buf spare = {0};
        ag_run_copy c;
        assert_int_equal(ag_service_run_copy_start(&c, all, 6, "fes", fresh, 3, &spare), 0);
        assert_null(spare.v);
        assert_true(c.cap >= c.n_dst);
        while (!ag_service_run_copy_step(&c, step))
            ;
        assert_uids(c.dst, c.n_dst, want, 7);
        ag_stored_event *made = c.dst;
        spare = (ag_event_buf){c.dst, c.cap};
        assert_int_equal(ag_service_run_copy_start(&c, all, 6, "fes", fresh, 3, &spare), 0);
        assert_ptr_equal(c.dst, made);
        free(c.dst);
    }
    ag_store_events_free(fresh, 3);
    ag_store_events_free(all, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uids_are_namespaced_and_one_path_segment),
        cmocka_unit_test(replace_writes_only_changes),
        cmocka_unit_test(duplicate_uids_in_a_batch_are_refused),
        cmocka_unit_test(private_data_is_stored_and_compared),
        cmocka_unit_test(splice_replaces_one_members_run),
        cmocka_unit_test(run_copy_matches_the_splice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
