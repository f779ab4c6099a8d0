/* A restart or reload whose event files did not change takes the events
 * from the store (no parse, no reconcile); any change, a purge falling due
 * or a store without the fingerprint still gets the full reconcile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config_network.h"
#include "service.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROUTED "warm-start-routed"
#define PAST "warm-start-past"

#define ROUTED_FILE                                                                                \
    "- uid: " ROUTED "\n"                                                                          \
    "  title: {fr: Routes des rappels}\n"                                                          \
    "  start: 2027-05-04T10:00\n"                                                                  \
    "  end: 2027-05-04T12:00\n"                                                                    \
    "  host: fes-meknes\n"                                                                         \
    "  reminders:\n"                                                                               \
    "    before: [1d]\n"                                                                           \
    "    channels: [%s]\n"                                                                         \
    "    extra: [press@rmcto.example, %s]\n"

static const char PAST_FILE[] = "- uid: " PAST "\n"
                                "  title: {fr: Passé}\n"
                                "  start: 2020-01-07T10:00\n"
                                "  end: 2020-01-07T12:00\n"
                                "  host: fes-meknes\n";

typedef struct {
    char dir[64], config[128], state[128];
} fx;

static void write_file(const fx *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/events/%s", f->config, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void write_routed(const fx *f, const char *channel, const char *extra)
{
    char text[1024];
    snprintf(text, sizeof text, ROUTED_FILE, channel, extra);
    write_file(f, "routed.yaml", text);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-warm-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->config, sizeof f->config, "%s/config", f->dir);
    snprintf(f->state, sizeof f->state, "%s/state.db", f->dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp -r '%s/config' '%s'", getenv("AGENDAD_SOURCE_DIR"), f->config);
    if (system(cmd) != 0)
        return -1;
    write_routed(f, "email", "a@rmcto.example");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void open_service(const fx *f, ag_service *svc)
{
    ag_overrides ov = {.state_path = f->state};
    ag_diags diags = {0};
    char *err = NULL;
    assert_int_equal(ag_service_open(svc, f->config, &ov, &diags, &err), 0);
    assert_null(err);
    ag_diags_free(&diags);
}

static const ag_stored_event *stored(const ag_service *svc, const char *uid)
{
    for (size_t i = 0; i < svc->n_evs; i++)
        if (strcmp(svc->evs[i].ev.uid, uid) == 0)
            return &svc->evs[i];
    return NULL;
}

static void assert_routes(const ag_service *svc, const char *channel, const char *extra)
{
    const ag_event *e = ag_config_event(svc->cfg, ROUTED);
    assert_non_null(e);
    assert_int_equal(e->n_reminder_channels, 1);
    assert_string_equal(e->reminder_channels[0], channel);
    assert_int_equal(e->n_reminder_extra, 2);
    assert_string_equal(e->reminder_extra[0], "press@rmcto.example");
    assert_string_equal(e->reminder_extra[1], extra);
    assert_string_equal(e->host, "fes-meknes");
}

/* What the scheduler and feeds see is the same whichever way it came. */
static void unchanged_files_reuse_the_store(void **state)
{
    fx *f = *state;
    ag_service a, b;
    open_service(f, &a);
    assert_false(a.events_reused); /* a fresh store has no fingerprint */
    assert_routes(&a, "email", "a@rmcto.example");
    open_service(f, &b);
    assert_true(b.events_reused);
    assert_routes(&b, "email", "a@rmcto.example");
    assert_int_equal(b.cfg->n_events, a.cfg->n_events);
    for (size_t i = 0; i < a.cfg->n_events; i++) {
        assert_string_equal(b.cfg->events[i].uid, a.cfg->events[i].uid);
        assert_int_equal(b.cfg->events[i].n_audience, a.cfg->events[i].n_audience);
    }
    assert_int_equal(b.n_evs, a.n_evs);
    for (size_t i = 0; i < a.n_evs; i++) {
        assert_true(ag_event_equal(&b.evs[i].ev, &a.evs[i].ev));
        assert_int_equal(b.evs[i].sequence, a.evs[i].sequence);
        assert_int_equal(b.evs[i].last_modified, a.evs[i].last_modified);
    }
    ag_service_close(&a);
    ag_service_close(&b);
}

/* The fingerprint names this build (its GNU build ID), so that a rebuild
 * that parses events differently reconciles them again. */
static void fingerprint_names_the_build(void **state)
{
    fx *f = *state;
    ag_service svc;
    open_service(f, &svc);
    char *fp = ag_config_fingerprint(svc.cfg);
    assert_non_null(fp);
    const char *build = strstr(fp, " build ");
    assert_non_null(build);
    assert_true(strspn(build + 7, "0123456789abcdef") >= 16);
    free(fp);
    ag_service_close(&svc);
}

/* Routes are config only: a change reconciles (so that the scheduler gets
 * them) without moving the event's SEQUENCE. */
static void changed_routes_are_reconciled_without_sequence(void **state)
{
    fx *f = *state;
    ag_service svc;
    open_service(f, &svc);
    int seq = stored(&svc, ROUTED)->sequence;
    ag_service_close(&svc);
    write_routed(f, "webhook", "b@rmcto.example");
    open_service(f, &svc);
    assert_false(svc.events_reused);
    assert_routes(&svc, "webhook", "b@rmcto.example");
    assert_int_equal(stored(&svc, ROUTED)->sequence, seq);
    ag_service_close(&svc);
    open_service(f, &svc);
    assert_true(svc.events_reused);
    assert_routes(&svc, "webhook", "b@rmcto.example");
    ag_service_close(&svc);
}

static void edit_while_stopped_is_reconciled(void **state)
{
    fx *f = *state;
    ag_service svc;
    open_service(f, &svc);
    int seq = stored(&svc, ROUTED)->sequence;
    ag_service_close(&svc);
    char moved[1024];
    snprintf(moved, sizeof moved, ROUTED_FILE, "email", "a@rmcto.example");
    memcpy(strstr(moved, "end: 2027-05-04T12:00") + 16, "13", 2);
    write_file(f, "routed.yaml", moved);
    open_service(f, &svc);
    assert_false(svc.events_reused);
    assert_int_equal(stored(&svc, ROUTED)->sequence, seq + 1);
    assert_int_equal(stored(&svc, ROUTED)->ev.end.hour, 13);
    ag_service_close(&svc);
    /* A removed file: its event is published CANCELLED. */
    char path[256];
    snprintf(path, sizeof path, "%s/events/routed.yaml", f->config);
    assert_int_equal(unlink(path), 0);
    open_service(f, &svc);
    assert_false(svc.events_reused);
    assert_int_not_equal(stored(&svc, ROUTED)->removed_at, 0);
    assert_int_equal(stored(&svc, ROUTED)->sequence, seq + 2);
    assert_null(ag_config_event(svc.cfg, ROUTED));
    ag_service_close(&svc);
}

/* The same bytes again, even rewritten, are the same files. */
static void rewriting_the_same_bytes_still_reuses(void **state)
{
    fx *f = *state;
    ag_service svc;
    open_service(f, &svc);
    ag_service_close(&svc);
    write_routed(f, "email", "a@rmcto.example");
    open_service(f, &svc);
    assert_true(svc.events_reused);
    ag_service_close(&svc);
}

/* A removed row past retention is purged by a reconcile: when one falls
 * due, unchanged files do not skip it. */
static void purge_falling_due_reconciles(void **state)
{
    fx *f = *state;
    write_file(f, "past.yaml", PAST_FILE);
    ag_service svc;
    open_service(f, &svc);
    ag_service_close(&svc);
    char path[256];
    snprintf(path, sizeof path, "%s/events/past.yaml", f->config);
    assert_int_equal(unlink(path), 0);
    open_service(f, &svc);
    assert_false(svc.events_reused);
    assert_non_null(stored(&svc, PAST));
    ag_diags diags = {0};
    char *err = NULL;
    ag_reconcile_stats st;
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(ag_service_reload(&svc, now, &st, &diags, &err), AG_RELOAD_OK);
    assert_true(svc.events_reused);
    assert_int_equal(st.unchanged, (int)svc.cfg->n_events);
    assert_non_null(stored(&svc, PAST)); /* removed just now: kept */
    assert_int_equal(ag_service_reload(&svc, now + 40 * 86400, &st, &diags, &err), AG_RELOAD_OK);
    assert_false(svc.events_reused);
    assert_int_equal(st.purged, 1);
    assert_null(stored(&svc, PAST));
    ag_service_close(&svc);
}

/* A daemon that cannot start says everything wrong in one go: errors in
 * the event files too, not only in agendad.yaml or members.yaml. */
static void errors_in_base_and_event_files_come_together(void **state)
{
    fx *f = *state;
    write_file(f, "broken.yaml",
               "- uid: broken\n  title: {fr: Cassé}\n  start: 2027-02-30T10:00\n"
               "  end: 2027-03-01T10:00\n  host: fes-meknes\n");
    char path[256];
    snprintf(path, sizeof path, "%s/members.yaml", f->config);
    FILE *out = fopen(path, "a");
    assert_non_null(out);
    fputs("bogus_key: 1\n", out);
    fclose(out);
    ag_service svc;
    ag_overrides ov = {.state_path = f->state};
    ag_diags diags = {0};
    char *err = NULL;
    assert_int_equal(ag_service_open(&svc, f->config, &ov, &diags, &err), AG_ECONFIG);
    bool members = false, event = false;
    for (size_t i = 0; i < diags.n; i++) {
        members |= strstr(diags.v[i].file, "members.yaml") != NULL;
        event |= strstr(diags.v[i].file, "broken.yaml") != NULL;
    }
    assert_true(members);
    assert_true(event);
    ag_diags_free(&diags);
    free(err);
    ag_service_close(&svc);
}

int main(void)
{
    ag_tz_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(unchanged_files_reuse_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(fingerprint_names_the_build, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_routes_are_reconciled_without_sequence, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(edit_while_stopped_is_reconciled, setup, teardown),
        cmocka_unit_test_setup_teardown(rewriting_the_same_bytes_still_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(purge_falling_due_reconciles, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_in_base_and_event_files_come_together, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ag_tz_shutdown();
    return rc;
}
