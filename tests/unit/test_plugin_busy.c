/* The host table's source_busy_replace (ABI 1.9): what it refuses before
 * the store sees anything, and what the store receives. White-box: the
 * host's records are built by hand around a fake service. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin_internal.h"

#include <stdio.h>
#include <string.h>

static ag_member members[] = {
    {.id = "fes", .feed_url = "http://127.0.0.1/fes.ics"},
    {.id = "taza", .sync = {.caldav_url = "http://127.0.0.1/dav/taza/"}},
};
static ag_config cfg = {.members = members, .n_members = 2};

static const ag_config *fake_config(void *data)
{
    (void)data;
    return &cfg;
}

/* What the last call handed the service. */
static struct {
    int calls;
    char member[32], source[32];
    int64_t from, to;
    ag_busy_interval iv[4];
    size_t n;
    int answer; /* what the service answers */
} seen;

static int fake_busy_replace(void *data, const char *member, const char *source, int64_t from,
                             int64_t to, const ag_busy_interval *iv, size_t n, char **err)
{
    (void)data;
    seen.calls++;
    snprintf(seen.member, sizeof seen.member, "%s", member);
    snprintf(seen.source, sizeof seen.source, "%s", source);
    seen.from = from;
    seen.to = to;
    seen.n = n;
    memcpy(seen.iv, iv, (n < 4 ? n : 4) * sizeof *iv);
    if (seen.answer < 0)
        *err = strdup("database is locked");
    return seen.answer;
}

static char logged[1024];

static void capture_logv(ag_log_level level, const char *fmt, va_list ap)
{
    (void)level;
    vsnprintf(logged, sizeof logged, fmt, ap);
}

typedef struct {
    ag_plugin_host host;
    agendad_plugin plugin;
    agendad_source source;
    agendad_host t;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->host.svc = (ag_plugin_services){
        .config = fake_config, .busy_replace = fake_busy_replace, .logv = capture_logv};
    f->plugin = (agendad_plugin){.host = &f->host, .name = "busy"};
    f->source = (agendad_source){.plugin = &f->plugin, .name = "busy"};
    ag_plugin_table_fill(&f->t);
    memset(&seen, 0, sizeof seen);
    logged[0] = '\0';
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void stored_as_given(void **state)
{
    fixture *f = *state;
    agendad_busy_interval iv[] = {{100, 200, false}, {150, 400, true}};
    assert_int_equal(f->t.source_busy_replace(&f->source, "fes", "feed", 0, 1000, iv, 2), 0);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.member, "fes");
    assert_string_equal(seen.source, "feed");
    assert_int_equal(seen.from, 0);
    assert_int_equal(seen.to, 1000);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.iv[1].start, 150);
    assert_int_equal(seen.iv[1].end, 400);
    assert_true(seen.iv[1].tentative);
    assert_false(seen.iv[0].tentative);
    /* Read and found free. */
    assert_int_equal(f->t.source_busy_replace(&f->source, "taza", "caldav", 0, 1000, NULL, 0), 0);
    assert_int_equal(seen.n, 0);
}

static void refused_before_the_store(void **state)
{
    fixture *f = *state;
    const agendad_host *t = &f->t;
    agendad_busy_interval iv[] = {{100, 200, false}, {300, 300, false}};
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "feed", 0, 1000, iv, 2),
                     AGENDAD_EINVAL);
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "feed", 1000, 1000, iv, 1),
                     AGENDAD_EINVAL);
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "calendar", 0, 1000, iv, 1),
                     AGENDAD_EINVAL);
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "feed", 0, 1000, NULL, 1),
                     AGENDAD_EINVAL);
    assert_int_equal(t->source_busy_replace(NULL, "fes", "feed", 0, 1000, iv, 1), AGENDAD_EINVAL);
    assert_int_equal(t->source_busy_replace(&f->source, NULL, "feed", 0, 1000, iv, 1),
                     AGENDAD_EINVAL);
    /* An unknown member, and a calendar the member does not have. */
    assert_int_equal(t->source_busy_replace(&f->source, "oujda", "feed", 0, 1000, iv, 1),
                     AGENDAD_ENOENT);
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "caldav", 0, 1000, iv, 1),
                     AGENDAD_ENOENT);
    assert_int_equal(t->source_busy_replace(&f->source, "taza", "feed", 0, 1000, iv, 1),
                     AGENDAD_ENOENT);
    assert_int_equal(seen.calls, 0);
    /* No state database: the command line. */
    f->host.svc.busy_replace = NULL;
    assert_int_equal(t->source_busy_replace(&f->source, "fes", "feed", 0, 1000, iv, 1),
                     AGENDAD_ESTATE);
}

static void a_store_failure_is_logged(void **state)
{
    fixture *f = *state;
    agendad_busy_interval iv[] = {{100, 200, false}};
    seen.answer = AG_EBUSY;
    assert_int_equal(f->t.source_busy_replace(&f->source, "fes", "feed", 0, 1000, iv, 1),
                     AGENDAD_EPLUGIN);
    assert_non_null(strstr(logged, "busy time of fes (feed) not stored: database is locked"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stored_as_given, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_before_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(a_store_failure_is_logged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
