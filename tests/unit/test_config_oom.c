/* Out of memory while a config loads never passes without a word: each
 * allocation of a load is made to fail in turn, and every load either fails
 * with a diagnostic (so `agendad check` fails and the daemon keeps its last
 * good config) or gives exactly the config that a load with memory to spare
 * gives. A config with an event missing must never come out.
 *
 * The allocator is wrapped at link time, for this test's binary only
 * (-Wl,--wrap in tests/CMakeLists.txt): the core's own calls to malloc,
 * calloc, realloc, strdup, strndup and asprintf come here; the libraries'
 * (libyaml, libc inside strdup) do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "tz.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the allocator: fail the allocation numbered fail_at (from 0) ---- */

static long fail_at = -1; /* -1: fail none */
static long counted;      /* allocations seen since armed */
static bool realloc_only; /* count realloc alone */
static bool failed;       /* the armed allocation was reached and failed */

static void arm(long at, bool reallocs)
{
    fail_at = at;
    counted = 0;
    realloc_only = reallocs;
    failed = false;
}

static void disarm(void)
{
    fail_at = -1;
}

static bool fail_now(bool is_realloc)
{
    if (fail_at < 0 || (realloc_only && !is_realloc))
        return false;
    if (counted++ != fail_at)
        return false;
    failed = true;
    return true;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void *__wrap_malloc(size_t n)
{
    return fail_now(false) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now(false) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now(true) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now(false) ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return fail_now(false) ? NULL : __real_strndup(s, n);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
    if (fail_now(false))
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(out, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- a config that uses every part of the schema ---- */

static const char AGENDAD_YAML[] =
    "listen: \"127.0.0.1:8080\"\n"
    "timezone: Africa/Casablanca\n"
    "language: fr\n"
    "network:\n"
    "  name: {ar: \"الشبكة\", fr: \"Le réseau\"}\n"
    "  description: {fr: \"Activités du réseau\"}\n"
    "feeds:\n"
    "  window_from: \"2022-01-01\"\n"
    "  window_to: \"+730d\"\n"
    "http:\n"
    "  max_connections: 64\n"
    "categories:\n"
    "  - id: access-to-information\n"
    "    name: {ar: \"الولوج إلى المعلومة\", fr: \"Accès à l'information\"}\n"
    "    axis: true\n"
    "  - id: training\n"
    "    name: {fr: \"Formation\"}\n"
    "plugins:\n"
    "  load:\n"
    "    example:\n"
    "      greeting: hello\n"
    "      targets: [a, b]\n"
    "    bare:\n"
    "reminders:\n"
    "  channels: [email, webhook]\n";

static const char MEMBERS_YAML[] = "members:\n"
                                   "  - id: fes-meknes\n"
                                   "    kind: region\n"
                                   "    name: {ar: \"جهة فاس مكناس\", fr: \"Région Fès-Meknès\"}\n"
                                   "    language: ar\n"
                                   "  - id: fes\n"
                                   "    kind: commune\n"
                                   "    region: fes-meknes\n"
                                   "    name: {fr: \"Commune de Fès\"}\n"
                                   "    province: {fr: \"Préfecture de Fès\"}\n"
                                   "    emails: [contact@fes.example, agenda@fes.example]\n"
                                   "    feed_url: https://cal.fes.example/agenda.ics\n"
                                   "    reminders: {channels: [email]}\n"
                                   "    sync:\n"
                                   "      interval: 2h\n"
                                   "      network_categories: [training]\n"
                                   "      categories: [access-to-information]\n"
                                   "      caldav:\n"
                                   "        url: https://dav.fes.example/cal/\n"
                                   "        username: agenda\n"
                                   "        password_file: fes.pw\n";

static const char EVENTS_A_YAML[] =
    "- uid: workshop-2023\n"
    "  title: {ar: \"ورشة\", fr: \"Atelier de co-création\"}\n"
    "  description: {fr: \"Une journée\"}\n"
    "  location: {fr: \"Fès\"}\n"
    "  start: 2023-03-07T09:30\n"
    "  end: 2023-03-07T16:00\n"
    "  timezone: Africa/Casablanca\n"
    "  host: fes-meknes\n"
    "  audience: [network, \"region:fes-meknes\", fes]\n"
    "  categories: [access-to-information, training]\n"
    "  status: tentative\n"
    "  visibility: members\n"
    "  reminders:\n"
    "    before: [1d, 2h]\n"
    "    channels: [email]\n"
    "    extra: [press@network.example]\n"
    "  agenda:\n"
    "    - {start: \"09:30\", end: \"10:00\", title: {fr: Accueil}, kind: break}\n"
    "    - {start: \"10:00\", end: \"12:00\", title: {fr: Ateliers}, axis: training}\n"
    "- uid: cafe\n"
    "  title: {fr: \"Café de l'ouverture\"}\n"
    "  start: 2023-04-04T18:00\n"
    "  end: 2023-04-04T19:00\n"
    "  host: fes\n"
    "  recurrence:\n"
    "    rule: FREQ=WEEKLY;BYDAY=TU;COUNT=10\n"
    "    except: [2023-04-11T18:00]\n"
    "  reminders: [30m]\n";

static const char EVENTS_B_YAML[] = "uid: founding\n"
                                    "title: {ar: \"تأسيس الشبكة\"}\n"
                                    "start: 2022-10-21\n"
                                    "host: fes-meknes\n";

typedef struct {
    char base[PATH_MAX];
    char cwd[PATH_MAX];
    ag_config *ref; /* loaded with memory to spare */
} fixture;

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->base, sizeof fx->base, "/tmp/agendad-config-oom-XXXXXX");
    if (!mkdtemp(fx->base) || !getcwd(fx->cwd, sizeof fx->cwd) || chdir(fx->base) != 0)
        return -1;
    mkdir("config", 0700);
    mkdir("config/events", 0700);
    put("config/agendad.yaml", AGENDAD_YAML);
    put("config/members.yaml", MEMBERS_YAML);
    put("config/events/a.yaml", EVENTS_A_YAML);
    put("config/events/b.yaml", EVENTS_B_YAML);
    ag_diags d = {0};
    if (ag_config_load("config", &fx->ref, &d) != 0) {
        ag_diags_print(&d, stderr);
        return -1;
    }
    ag_diags_free(&d);
    if (fx->ref->n_events != 3 || fx->ref->n_members != 2 || fx->ref->n_categories != 2)
        return -1;
    *state = fx;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ag_config_free(fx->ref);
    if (chdir(fx->cwd) != 0)
        return -1;
    nftw(fx->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* ---- what "exactly the same config" means ---- */

static bool strv_same(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!ag_str_eq(a[i], b[i]))
            return false;
    return true;
}

static bool loc_same(const ag_loc *a, const ag_loc *b)
{
    return ag_str_eq(a->file, b->file) && a->line == b->line && a->col == b->col;
}

static bool node_same(const ag_config_node *a, const ag_config_node *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind || a->n != b->n || !ag_str_eq(a->scalar, b->scalar) ||
        !loc_same(&a->loc, &b->loc))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->kind == AG_CFG_MAP && !ag_str_eq(a->keys[i], b->keys[i]))
            return false;
        if (!node_same(a->items[i], b->items[i]))
            return false;
    }
    return true;
}

static const char *settings_diff(const ag_settings *a, const ag_settings *b)
{
    if (!ag_str_eq(a->listen_host, b->listen_host) || a->listen_port != b->listen_port ||
        !ag_str_eq(a->state_path, b->state_path) || !ag_str_eq(a->base_url, b->base_url) ||
        !ag_str_eq(a->default_tz, b->default_tz) || !ag_str_eq(a->default_lang, b->default_lang) ||
        !ag_text_eq(&a->network_name, &b->network_name) ||
        !ag_text_eq(&a->network_description, &b->network_description) ||
        !ag_str_eq(a->plugin_dir, b->plugin_dir) || a->max_connections != b->max_connections)
        return "a setting differs";
    if (!strv_same(a->reminders.channels, a->reminders.n_channels, b->reminders.channels,
                   b->reminders.n_channels))
        return "the default reminder channels differ";
    if (a->n_plugins != b->n_plugins)
        return "a plugin is missing";
    for (size_t i = 0; i < a->n_plugins; i++)
        if (!ag_str_eq(a->plugins[i].name, b->plugins[i].name) ||
            !node_same(a->plugins[i].section, b->plugins[i].section) ||
            !loc_same(&a->plugins[i].loc, &b->plugins[i].loc))
            return "a plugin's settings differ";
    return NULL;
}

static bool sync_same(const ag_member_sync *a, const ag_member_sync *b)
{
    return a->interval == b->interval && a->network == b->network &&
           strv_same(a->network_categories, a->n_network_categories, b->network_categories,
                     b->n_network_categories) &&
           strv_same(a->categories, a->n_categories, b->categories, b->n_categories) &&
           a->private_data == b->private_data && ag_str_eq(a->caldav_url, b->caldav_url) &&
           ag_str_eq(a->caldav_username, b->caldav_username) &&
           ag_str_eq(a->caldav_password_file, b->caldav_password_file) &&
           a->network_wins == b->network_wins;
}

static const char *members_diff(const ag_config *a, const ag_config *b)
{
    if (a->n_members != b->n_members)
        return "a member is missing";
    for (size_t i = 0; i < a->n_members; i++) {
        const ag_member *x = &a->members[i], *y = &b->members[i];
        if (!ag_str_eq(x->id, y->id) || x->kind != y->kind || !ag_text_eq(&x->name, &y->name) ||
            !ag_str_eq(x->region, y->region) || !ag_text_eq(&x->province, &y->province) ||
            !ag_str_eq(x->language, y->language) ||
            !strv_same(x->emails, x->n_emails, y->emails, y->n_emails) ||
            !ag_str_eq(x->feed_url, y->feed_url) ||
            !strv_same(x->reminder_channels, x->n_reminder_channels, y->reminder_channels,
                       y->n_reminder_channels) ||
            x->has_reminder_channels != y->has_reminder_channels ||
            !sync_same(&x->sync, &y->sync) || !loc_same(&x->loc, &y->loc))
            return "a member differs";
    }
    if (a->n_categories != b->n_categories)
        return "a category is missing";
    for (size_t i = 0; i < a->n_categories; i++) {
        const ag_category *x = &a->categories[i], *y = &b->categories[i];
        if (!ag_str_eq(x->id, y->id) || !ag_text_eq(&x->name, &y->name) || x->axis != y->axis ||
            !loc_same(&x->loc, &y->loc))
            return "a category differs";
    }
    return NULL;
}

static const char *events_diff(const ag_config *a, const ag_config *b)
{
    if (a->n_events != b->n_events)
        return "an event is missing";
    for (size_t i = 0; i < a->n_events; i++) {
        const ag_event *x = &a->events[i], *y = &b->events[i];
        if (!ag_event_equal(x, y))
            return "an event differs";
        if (!strv_same(x->reminder_channels, x->n_reminder_channels, y->reminder_channels,
                       y->n_reminder_channels) ||
            !strv_same(x->reminder_extra, x->n_reminder_extra, y->reminder_extra,
                       y->n_reminder_extra))
            return "an event's reminder routes differ";
        if (!loc_same(&x->loc, &y->loc))
            return "an event's location in its file differs";
        for (size_t j = 0; j < x->n_slots; j++)
            if (!loc_same(&x->slots[j].loc, &y->slots[j].loc))
                return "an agenda item's location in its file differs";
    }
    return NULL;
}

static const char *config_diff(const ag_config *a, const ag_config *b)
{
    const char *why = settings_diff(&a->settings, &b->settings);
    if (!why)
        why = members_diff(a, b);
    return why ? why : events_diff(a, b);
}

/* Fails allocation k (of the kind counted), for k = 0, 1, ... until a load
 * meets no failure; returns how many loads met one. */
static long sweep(const fixture *fx, bool reallocs)
{
    for (long k = 0;; k++) {
        ag_config *cfg = NULL;
        ag_diags d = {0};
        arm(k, reallocs);
        int rc = ag_config_load("config", &cfg, &d);
        disarm();
        if (!failed) {
            assert_int_equal(rc, 0);
            assert_null(config_diff(fx->ref, cfg));
            ag_config_free(cfg);
            ag_diags_free(&d);
            return k;
        }
        if (rc == 0) {
            const char *why = config_diff(fx->ref, cfg);
            if (why)
                fail_msg("%s %ld failed, the config loaded without a word, and %s",
                         reallocs ? "realloc" : "allocation", k, why);
        } else {
            assert_true(rc == AG_ECONFIG || rc == AG_ENOMEM);
            assert_null(cfg);
            assert_true(ag_diags_count(&d) > 0);
        }
        ag_config_free(cfg);
        ag_diags_free(&d);
    }
}

/* The event list grows by realloc: an event that finds no room must fail
 * the load, not vanish from it. */
static void no_realloc_failure_drops_an_event(void **state)
{
    assert_true(sweep(*state, true) > 0);
}

static void no_allocation_failure_passes_silently(void **state)
{
    assert_true(sweep(*state, false) > 100);
}

/* What `agendad check` prints for the event that found no room. */
static void an_event_without_room_is_a_diagnostic(void **state)
{
    (void)state;
    for (long k = 0;; k++) {
        ag_config *cfg = NULL;
        ag_diags d = {0};
        arm(k, true);
        int rc = ag_config_load("config", &cfg, &d);
        disarm();
        assert_true(failed);
        bool found = false;
        for (size_t i = 0; i < d.n; i++)
            found = found || strcmp(d.v[i].msg, "out of memory while reading this event") == 0;
        ag_config_free(cfg);
        ag_diags_free(&d);
        if (found) {
            assert_int_equal(rc, AG_ECONFIG);
            return;
        }
        assert_true(k < 1000);
    }
}

/* A config with errors keeps what it rejected (members, categories,
 * events by their ids) to judge what refers to them: with each allocation
 * failing in turn, every load still fails with diagnostics, and frees all
 * (the sanitized build checks the leaks). */
static void rejected_entries_under_failures(void **state)
{
    (void)state;
    put("config/members.yaml", "members:\n"
                               "  - {id: fes-meknes, kind: region, name: {fr: R}, emails: [bad]}\n"
                               "  - {id: meknes, kind: comune, name: {fr: M}}\n"
                               "  - {id: fes, kind: commune, region: meknes, name: {fr: F}}\n");
    put("config/events/a.yaml", "- uid: e1\n  title: {fr: A}\n  start: 2023-02-30\n"
                                "  host: fes-meknes\n  categories: [formations]\n"
                                "  agenda: [{start: \"25:00\", end: \"10:00\", title: {fr: A}}]\n"
                                "- uid: e1\n  title: {fr: B}\n  start: 2023-03-01\n"
                                "  host: meknes\n  audience: [region:meknes]\n");
    for (long k = 0;; k++) {
        ag_config *cfg = NULL;
        ag_diags d = {0};
        arm(k, false);
        int rc = ag_config_load("config", &cfg, &d);
        disarm();
        assert_true(rc == AG_ECONFIG || rc == AG_ENOMEM);
        assert_null(cfg);
        assert_true(ag_diags_count(&d) > 0);
        ag_diags_free(&d);
        if (!failed)
            return;
        assert_true(k < 100000);
    }
}

/* A diagnostic that finds no room still counts, and says so when printed. */
static void a_diagnostic_without_room_still_counts(void **state)
{
    (void)state;
    for (long k = 0; k < 3; k++) {
        ag_diags d = {0};
        arm(k, false);
        ag_diags_add(&d, "config/events/a.yaml", 3, 7, "unknown key \"%s\"", "titel");
        disarm();
        assert_true(failed);
        assert_int_equal(d.n, 0);
        assert_int_equal(ag_diags_count(&d), 1);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ag_diags_print(&d, f);
        fclose(f);
        assert_string_equal(buf, "error: out of memory: 1 more error not listed\n");
        free(buf);
        ag_diags_free(&d);
    }
}

static int group_setup(void **state)
{
    (void)state;
    return ag_tz_init();
}

static int group_teardown(void **state)
{
    (void)state;
    ag_tz_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_realloc_failure_drops_an_event, setup, teardown),
        cmocka_unit_test_setup_teardown(rejected_entries_under_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(an_event_without_room_is_a_diagnostic, setup, teardown),
        cmocka_unit_test_setup_teardown(no_allocation_failure_passes_silently, setup, teardown),
        cmocka_unit_test(a_diagnostic_without_room_still_counts),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
