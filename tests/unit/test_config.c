#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "config_network.h"
#include "tz.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each test runs in a fresh temp dir holding "config/", loaded by that
 * relative name so that messages read "config/events/e.yaml:3:10". */
typedef struct {
    char base[PATH_MAX];
    char cwd[PATH_MAX];
    ag_config *cfg;
    ag_diags diags;
} fixture;

static const char AGENDAD_YAML[] =
    "listen: \"127.0.0.1:0\"\n"
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
    "    bare:\n";

static const char MEMBERS_YAML[] = "members:\n"
                                   "  - id: fes-meknes\n"
                                   "    kind: region\n"
                                   "    name: {ar: \"جهة فاس مكناس\", fr: \"Région Fès-Meknès\"}\n"
                                   "  - id: fes\n"
                                   "    kind: commune\n"
                                   "    region: fes-meknes\n"
                                   "    name: {fr: \"Commune de Fès\"}\n"
                                   "    emails: [contact@example.org]\n";

/* A minimal valid event; tests append keys to it (lines 1-5). */
#define EVENT_HEAD                                                                                 \
    "- uid: e1\n"                                                                                  \
    "  title: {fr: \"Atelier\"}\n"                                                                 \
    "  start: 2023-03-07T09:30\n"                                                                  \
    "  end: 2023-03-07T13:30\n"                                                                    \
    "  host: fes-meknes\n"

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void put(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->base, sizeof fx->base, "/tmp/agendad-config-XXXXXX");
    if (!fx || !mkdtemp(fx->base) || !getcwd(fx->cwd, sizeof fx->cwd) || chdir(fx->base) != 0)
        return -1;
    mkdir("config", 0700);
    mkdir("config/events", 0700);
    put("config/agendad.yaml", AGENDAD_YAML);
    put("config/members.yaml", MEMBERS_YAML);
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
    ag_config_free(fx->cfg);
    ag_diags_free(&fx->diags);
    if (chdir(fx->cwd) != 0)
        return -1;
    nftw(fx->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static int load(fixture *fx)
{
    return ag_config_load("config", &fx->cfg, &fx->diags);
}

static int load_event(fixture *fx, const char *yaml)
{
    put("config/events/e.yaml", yaml);
    return load(fx);
}

static void dump(const ag_diags *d)
{
    ag_diags_print(d, stderr);
}

static bool has_diag(const ag_diags *d, const char *where, const char *part)
{
    char buf[PATH_MAX + 32];
    for (size_t i = 0; i < d->n; i++) {
        const ag_diag *g = &d->v[i];
        if (g->line)
            snprintf(buf, sizeof buf, "%s:%d:%d", g->file ? g->file : "", g->line, g->col);
        else
            snprintf(buf, sizeof buf, "%s", g->file ? g->file : "");
        if (strcmp(buf, where) == 0 && strstr(g->msg, part))
            return true;
    }
    return false;
}

#define assert_diag(fx, where, part)                                                               \
    do {                                                                                           \
        if (!has_diag(&(fx)->diags, where, part)) {                                                \
            dump(&(fx)->diags);                                                                    \
            fail_msg("no diagnostic %s: ...%s...", where, part);                                   \
        }                                                                                          \
    } while (0)

/* The load fails with exactly one diagnostic, at where, containing part. */
static void expect_one(fixture *fx, const char *yaml, const char *where, const char *part)
{
    assert_int_equal(load_event(fx, yaml), AG_ECONFIG);
    assert_null(fx->cfg);
    assert_diag(fx, where, part);
    if (fx->diags.n != 1) {
        dump(&fx->diags);
        fail_msg("expected 1 diagnostic, got %zu", fx->diags.n);
    }
}

static const char VALID_EVENTS[] =
    "- uid: 2023-03-07-fes-meknes-cocreation-workshop\n"
    "  title: {ar: \"ورشة للإبداع المشترك\", fr: \"Atelier de co-création\"}\n"
    "  start: 2023-03-07T09:30\n"
    "  end: 2023-03-07 13:30\n"
    "  host: fes-meknes\n"
    "  audience: [network, region:fes-meknes, kind:commune, fes]\n"
    "  categories: [access-to-information]\n"
    "  reminders: [7d, 1d, 2h]\n"
    "  agenda:\n"
    "    - start: \"09:30\"\n"
    "      end: \"10:00\"\n"
    "      title: {ar: \"استقبال المشاركين\", fr: \"Accueil des participants\"}\n"
    "      kind: reception\n"
    "    - title: {ar: \"كلمات افتتاحية\"}\n"
    "      kind: opening\n"
    "    - start: \"10:00\"\n"
    "      end: 2023-03-07T12:00\n"
    "      title: {fr: \"Ateliers\"}\n"
    "      kind: workshop\n"
    "      axis: access-to-information\n"
    "- uid: b-training\n"
    "  title: {fr: \"Formation à distance\"}\n"
    "  start: 2023-04-10\n"
    "  end: 2023-04-12\n"
    "  timezone: Europe/Paris\n"
    "  host: fes\n"
    "  status: tentative\n"
    "  visibility: members\n"
    "  recurrence:\n"
    "    rule: \"FREQ=MONTHLY;COUNT=3\"\n"
    "    except: [2023-05-10]\n";

static void valid_config_loads(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", VALID_EVENTS);
    put("config/events/z.yml", "uid: c-oneday\ntitle: {fr: Jour}\nstart: 2023-06-01\nhost: fes\n");
    put("config/events/.hidden.yaml", "not: [valid");
    put("config/events/old.yaml~", "not: [valid");
    put("config/events/notes.txt", "not: [valid");
    if (load(fx) != 0)
        dump(&fx->diags);
    assert_non_null(fx->cfg);
    assert_int_equal(fx->diags.n, 0);
    const ag_config *c = fx->cfg;
    assert_int_equal(c->n_events, 3);
    /* sorted by uid */
    assert_string_equal(c->events[0].uid, "2023-03-07-fes-meknes-cocreation-workshop");
    assert_string_equal(c->events[1].uid, "b-training");
    assert_string_equal(c->events[2].uid, "c-oneday");
    assert_ptr_equal(ag_config_event(c, "b-training"), &c->events[1]);
}

static void valid_timed_event(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", VALID_EVENTS);
    assert_int_equal(load(fx), 0);
    const ag_event *e = ag_config_event(fx->cfg, "2023-03-07-fes-meknes-cocreation-workshop");
    assert_non_null(e);
    assert_string_equal(e->title.ar, "ورشة للإبداع المشترك");
    assert_string_equal(e->tzid, "Africa/Casablanca");
    assert_false(e->start.is_date);
    assert_int_equal(e->end.hour, 13);
    assert_int_equal(e->end.minute, 30);
    assert_int_equal(e->n_audience, 4);
    assert_string_equal(e->audience[1], "region:fes-meknes");
    assert_int_equal(e->n_reminders, 3);
    assert_int_equal(e->reminders[0], 7 * 86400);
    assert_int_equal(e->reminders[2], 7200);
    assert_int_equal(e->status, AG_STATUS_CONFIRMED);
    assert_string_equal(e->loc.file, "config/events/a.yaml");
    assert_int_equal(e->loc.line, 1);
    assert_int_equal(e->loc.col, 3);
}

static void valid_slots_keep_order(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", VALID_EVENTS);
    assert_int_equal(load(fx), 0);
    const ag_event *e = ag_config_event(fx->cfg, "2023-03-07-fes-meknes-cocreation-workshop");
    assert_int_equal(e->n_slots, 3);
    assert_true(e->slots[0].timed);
    assert_string_equal(e->slots[0].kind, "reception");
    assert_int_equal(e->slots[0].start.day, 7);
    assert_int_equal(e->slots[0].start.hour, 9);
    assert_int_equal(e->slots[0].end.minute, 0);
    assert_false(e->slots[0].start.is_date);
    assert_false(e->slots[1].timed);
    assert_string_equal(e->slots[1].title.ar, "كلمات افتتاحية");
    assert_null(e->slots[1].title.fr);
    assert_string_equal(e->slots[2].axis, "access-to-information");
    assert_int_equal(e->slots[2].end.hour, 12);
    assert_int_equal(e->slots[2].loc.line, 16);
    assert_int_equal(e->slots[2].loc.col, 7);
}

static void valid_all_day_and_recurrence(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", VALID_EVENTS);
    put("config/events/z.yml", "uid: c-oneday\ntitle: {fr: Jour}\nstart: 2023-06-01\nhost: fes\n");
    assert_int_equal(load(fx), 0);
    const ag_event *b = ag_config_event(fx->cfg, "b-training");
    assert_true(b->start.is_date && b->end.is_date);
    assert_int_equal(b->end.day, 12); /* inclusive, as written */
    assert_string_equal(b->tzid, "Europe/Paris");
    assert_int_equal(b->status, AG_STATUS_TENTATIVE);
    assert_int_equal(b->visibility, AG_VIS_MEMBERS);
    assert_string_equal(b->rrule, "FREQ=MONTHLY;COUNT=3");
    assert_int_equal(b->n_exdates, 1);
    assert_true(b->exdates[0].is_date);
    const ag_event *c = ag_config_event(fx->cfg, "c-oneday");
    assert_int_equal(ag_datetime_cmp(&c->start, &c->end), 0); /* end defaults to start */
    assert_null(c->rrule);
}

static void valid_settings_members_plugins(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx), 0);
    const ag_settings *s = &fx->cfg->settings;
    assert_string_equal(s->listen_host, "127.0.0.1");
    assert_int_equal(s->listen_port, 0);
    assert_string_equal(s->base_url, "http://127.0.0.1:0");
    assert_string_equal(s->default_tz, "Africa/Casablanca");
    assert_string_equal(s->default_lang, "ar");
    assert_int_equal(s->refresh_interval, 3600);
    assert_int_equal(s->header_timeout_ms, 10000);
    assert_int_equal(fx->cfg->n_categories, 2);
    assert_true(fx->cfg->categories[0].axis);
    assert_false(fx->cfg->categories[1].axis);
    assert_string_equal(fx->cfg->categories[0].name.ar, "الولوج إلى المعلومة");
    const ag_member *m = ag_config_member(fx->cfg, "fes");
    assert_int_equal(m->kind, AG_MEMBER_COMMUNE);
    assert_string_equal(m->region, "fes-meknes");
    assert_string_equal(m->emails[0], "contact@example.org");
    assert_int_equal(s->n_plugins, 2);
    assert_string_equal(s->plugins[0].name, "example");
    const ag_config_node *sec = s->plugins[0].section;
    assert_string_equal(ag_config_node_get(sec, "greeting")->scalar, "hello");
    assert_string_equal(sec->loc.file, "config/agendad.yaml");
    assert_int_equal(ag_config_node_get(sec, "greeting")->loc.line, 11);
    assert_int_equal(ag_config_node_get(sec, "greeting")->loc.col, 17);
    assert_int_equal(ag_config_node_get(sec, "targets")->n, 2);
    assert_int_equal(s->plugins[1].section->kind, AG_CFG_MAP);
    assert_int_equal(s->plugins[1].section->n, 0);
}

static void settings_values(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "listen: \"[::1]:8081\"\n"
                               "timezone: Europe/Paris\n"
                               "language: fr\n"
                               "feeds: {window_from: 2022-01-01, window_to: \"+730d\", "
                               "refresh_interval: 30m}\n"
                               "http: {idle_timeout: 2m, max_connections: 10}\n"
                               "categories: []\n");
    put("config/events/e.yaml", "uid: x\ntitle: {fr: X}\nstart: 2023-01-01\nhost: fes\n");
    assert_int_equal(load(fx), 0);
    const ag_settings *s = &fx->cfg->settings;
    assert_string_equal(s->listen_host, "::1");
    assert_int_equal(s->listen_port, 8081);
    assert_string_equal(s->base_url, "http://[::1]:8081");
    assert_string_equal(s->default_lang, "fr");
    assert_true(s->window_from_is_date);
    assert_int_equal(s->window_from_date.year, 2022);
    assert_false(s->window_to_is_date);
    assert_int_equal(s->window_to_rel, 730 * 86400);
    assert_int_equal(s->refresh_interval, 1800);
    assert_int_equal(s->idle_timeout_ms, 120000);
    assert_int_equal(s->max_connections, 10);
    assert_string_equal(fx->cfg->events[0].tzid, "Europe/Paris"); /* default tz applied */
}

static void reminders_map_and_settings(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "categories: []\n"
                               "reminders:\n"
                               "  grace: 30m\n"
                               "  retry: {attempts: 3, initial: 2m, max: 1h}\n"
                               "  channels: [email, webhook]\n");
    assert_int_equal(load_event(fx, EVENT_HEAD "  reminders:\n"
                                               "    before: [1d, 2h]\n"
                                               "    channels: [command]\n"
                                               "    extra: [press@rmcto.test]\n"),
                     0);
    const ag_reminder_settings *r = &fx->cfg->settings.reminders;
    assert_int_equal(r->grace, 1800);
    assert_int_equal(r->retry_attempts, 3);
    assert_int_equal(r->retry_initial, 120);
    assert_int_equal(r->retry_max, 3600);
    assert_int_equal(r->n_channels, 2);
    assert_int_equal(r->check_interval, 60); /* default kept */
    const ag_event *e = &fx->cfg->events[0];
    assert_int_equal(e->n_reminders, 2);
    assert_string_equal(e->reminder_channels[0], "command");
    assert_string_equal(e->reminder_extra[0], "press@rmcto.test");
}

static void error_reminders_map(void **state)
{
    expect_one(*state, EVENT_HEAD "  reminders: {before: [1d], extra: [\"not-an-address\"]}\n",
               "config/events/e.yaml:6:37", "\"not-an-address\" is not an email address");
}

static void error_reminders_key(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  reminders: {befor: [1d]}\n"), AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:6:15",
                "unknown key \"befor\" in reminders (did you mean");
    assert_diag(fx, "config/events/e.yaml:6:14", "reminders has no \"before\"");
}

static void error_unknown_key(void **state)
{
    expect_one(*state, EVENT_HEAD "  titel: x\n", "config/events/e.yaml:6:3",
               "unknown key \"titel\" in event (did you mean \"title\"? expected one of: uid, "
               "title, description");
}

static void online_url_is_kept(void **state)
{
    fixture *fx = *state;
    assert_int_equal(
        load_event(fx, EVENT_HEAD "  online_url: \"https://meet.example.org/ws?pwd=a,b\"\n"), 0);
    assert_string_equal(fx->cfg->events[0].online_url, "https://meet.example.org/ws?pwd=a,b");
}

/* Only an absolute http(s) URL a calendar app can open: each other form is
 * an error at the value. */
static void error_online_url(void **state)
{
    fixture *fx = *state;
    static const struct {
        const char *value, *part;
    } bad[] = {
        {"meet.example.org/ws", "online_url \"meet.example.org/ws\" must start with http://"},
        {"javascript:alert(1)", "must start with http:// or https://"},
        {"ftp://example.org/x", "must start with http:// or https://"},
        {"https://exa mple.org/", "is not a valid URL (unexpected character at offset 11)"},
        {"https:///path", "is not a valid URL (no host)"},
        {"[]", "expected text for online_url"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512];
        bool list = bad[i].value[0] == '[';
        snprintf(yaml, sizeof yaml, EVENT_HEAD "  online_url: %s%s%s\n", list ? "" : "\"",
                 bad[i].value, list ? "" : "\"");
        expect_one(fx, yaml, "config/events/e.yaml:6:15", bad[i].part);
        ag_diags_truncate(&fx->diags, 0);
    }
}

static void error_impossible_date(void **state)
{
    expect_one(*state, "- uid: e1\n  title: {fr: A}\n  start: 2023-02-29\n  host: fes-meknes\n",
               "config/events/e.yaml:3:10", "\"2023-02-29\" is not a real date");
}

static void error_utc_offset(void **state)
{
    expect_one(*state,
               "- uid: e1\n  title: {fr: A}\n  start: 2023-03-07T09:30Z\n"
               "  end: 2023-03-07T10:30\n  host: fes-meknes\n",
               "config/events/e.yaml:3:10", "the zone is given by \"timezone:\"");
}

static void error_end_before_start(void **state)
{
    expect_one(*state,
               "- uid: e1\n  title: {fr: A}\n  start: 2023-03-07T09:30\n"
               "  end: 2023-03-07T09:00\n  host: fes-meknes\n",
               "config/events/e.yaml:4:8",
               "the event ends (2023-03-07 09:00) before it starts (2023-03-07 09:30)");
}

static void error_timed_without_end(void **state)
{
    expect_one(*state, "- uid: e1\n  title: {fr: A}\n  start: 2023-03-07T09:30\n  host: fes\n",
               "config/events/e.yaml:3:10", "no \"end\"");
}

static void error_mixed_forms(void **state)
{
    expect_one(*state,
               "- uid: e1\n  title: {fr: A}\n  start: 2023-03-07\n"
               "  end: 2023-03-07T10:00\n  host: fes\n",
               "config/events/e.yaml:4:8", "both be dates");
}

static void error_slot_outside_event(void **state)
{
    expect_one(*state,
               EVENT_HEAD "  agenda:\n"
                          "    - start: \"13:00\"\n"
                          "      end: \"14:00\"\n"
                          "      title: {fr: \"Déjeuner\"}\n"
                          "      kind: meal\n",
               "config/events/e.yaml:7:7",
               "agenda item \"Déjeuner\" (13:00–14:00) is outside its event (2023-03-07 "
               "09:30–13:30)");
}

static void error_slots_overlap(void **state)
{
    expect_one(*state,
               EVENT_HEAD "  agenda:\n"
                          "    - {start: \"09:30\", end: \"10:30\", title: {fr: A}, kind: talk}\n"
                          "    - {title: {fr: Pause}, kind: break}\n"
                          "    - {start: \"10:00\", end: \"11:00\", title: {fr: B}, kind: talk}\n",
               "config/events/e.yaml:9:7",
               "agenda item \"B\" (10:00–11:00) overlaps \"A\" (09:30–10:30) at line 7");
}

static void error_slot_end_rules(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  agenda:\n"
                                               "    - {start: \"09:30\", title: {fr: A}}\n"
                                               "    - {start: \"11:00\", end: \"10:00\", "
                                               "title: {fr: B}}\n"
                                               "    - {title: {fr: C}, kind: braek}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:7:15", "a start but no end");
    assert_diag(fx, "config/events/e.yaml:8:29", "agenda item \"B\" (11:00–10:00) ends before");
    assert_diag(fx, "config/events/e.yaml:9:30", "did you mean \"break\"");
    assert_int_equal(fx->diags.n, 3);
}

/* issue 15 8f: a bad start hid the agenda's errors ("25:00"). Each is
 * reported at its place; what needs the start is not judged. */
static void error_bad_start_and_bad_slot(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "- uid: e1\n"
                                    "  title: {fr: A}\n"
                                    "  start: 2023-02-30T09:30\n"
                                    "  end: 2023-03-07T25:00\n"
                                    "  host: fes-meknes\n"
                                    "  agenda:\n"
                                    "    - {start: \"25:00\", end: \"26:00\", title: {fr: A}}\n"
                                    "    - {start: \"13:00\", end: \"14:00\", title: {fr: B}}\n"
                                    "    - {start: \"11:00\", end: \"10:00\", title: {fr: C}}\n"
                                    "    - {start: \"13:30\", end: \"15:00\", title: {fr: D}}\n"
                                    "    - {start: 2023-03-07T16:00, end: \"17:00\", "
                                    "title: {fr: E}, kind: braek}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:3:10", "\"2023-02-30T09:30\" is not a real date");
    assert_diag(fx, "config/events/e.yaml:4:8", "\"2023-03-07T25:00\" is not a real time of day");
    assert_diag(fx, "config/events/e.yaml:7:15", "\"25:00\" is not a real time of day");
    assert_diag(fx, "config/events/e.yaml:7:29", "\"26:00\" is not a real time of day");
    /* "HH:MM" against "HH:MM" needs no day: ordered, and overlaps seen */
    assert_diag(fx, "config/events/e.yaml:9:29", "agenda item \"C\" (11:00–10:00) ends before");
    assert_diag(fx, "config/events/e.yaml:10:7",
                "agenda item \"D\" (13:30–15:00) overlaps \"B\" (13:00–14:00) at line 8");
    assert_diag(fx, "config/events/e.yaml:11:69", "did you mean \"break\"");
    /* not judged: B outside the event, E's "17:00" against its date-time */
    assert_int_equal(fx->diags.n, 7);
}

/* The end that does not fit the start: the agenda is read on the start's
 * day, but not held against a span that does not exist. */
static void error_end_before_start_keeps_agenda(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "- uid: e1\n"
                                    "  title: {fr: A}\n"
                                    "  start: 2023-03-07T09:30\n"
                                    "  end: 2023-03-07T09:00\n"
                                    "  host: fes-meknes\n"
                                    "  recurrence: {rule: \"FREQ=WEEKLY\"}\n"
                                    "  agenda:\n"
                                    "    - {start: \"13:00\", end: \"14:00\", title: {fr: A}, "
                                    "kind: meal}\n"
                                    "    - {start: \"13:30\", end: 2023-03-07T15:00, "
                                    "title: {fr: B}}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:4:8", "the event ends (2023-03-07 09:00) before it");
    assert_diag(fx, "config/events/e.yaml:6:22", "the recurrence rule has no end");
    assert_diag(fx, "config/events/e.yaml:9:7",
                "agenda item \"B\" (13:30–15:00) overlaps \"A\" (13:00–14:00) at line 8");
    assert_int_equal(fx->diags.n, 3);
}

/* An item's own error does not hide that another overlaps it. */
static void error_slot_error_and_overlap(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  agenda:\n"
                                               "    - {start: \"09:30\", end: \"10:30\", "
                                               "title: {fr: A}, kind: tallk}\n"
                                               "    - {start: \"10:00\", end: \"11:00\", "
                                               "title: {fr: B}, kind: talk}\n"
                                               "    - {start: \"12:30\", end: \"11:30\", "
                                               "title: {fr: C}}\n"
                                               "    - {start: \"11:15\", end: \"12:45\", "
                                               "title: {fr: D}}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:7:60", "did you mean \"talk\"");
    assert_diag(fx, "config/events/e.yaml:8:7",
                "agenda item \"B\" (10:00–11:00) overlaps \"A\" (09:30–10:30) at line 7");
    /* C ends before it starts: not held against the others as well */
    assert_diag(fx, "config/events/e.yaml:9:29", "agenda item \"C\" (12:30–11:30) ends before");
    assert_int_equal(fx->diags.n, 3);
}

/* Without a start, the rule and the exceptions are checked for what they
 * are; their form against the start and the walk of dates wait for it. */
static void error_bad_start_and_recurrence(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "- uid: e1\n"
                                    "  title: {fr: A}\n"
                                    "  start: 2023-13-07\n"
                                    "  host: fes-meknes\n"
                                    "  recurrence:\n"
                                    "    rule: \"FREQ=HOURLY;BYDAY=MO\"\n"
                                    "    except: [2023-02-30, 2023-03-14T09:30]\n"
                                    "- uid: e2\n"
                                    "  title: {fr: B}\n"
                                    "  start: 2023-03-07T09:30\n"
                                    "  host: fes-meknes\n"
                                    "  recurrence: {rule: \"FREQ=DAILY;UNTIL=20230310\"}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:3:10", "\"2023-13-07\" is not a real date");
    assert_diag(fx, "config/events/e.yaml:6:11", "the recurrence rule has no end");
    assert_diag(fx, "config/events/e.yaml:6:11", "more frequent than daily cannot also use");
    assert_diag(fx, "config/events/e.yaml:7:14", "\"2023-02-30\" is not a real date");
    /* e2: no end, and UNTIL a date: both are its own */
    assert_diag(fx, "config/events/e.yaml:10:10", "has a start time but no \"end\"");
    assert_diag(fx, "config/events/e.yaml:12:22", "UNTIL must be a date-time");
    assert_int_equal(fx->diags.n, 6);
}

/* One item of the wrong type hid the errors of the others in its list. */
static void error_lists_check_every_item(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  audience: [[x], fez]\n"
                                               "  categories: [{a: b}, acces-to-information]\n"
                                               "  reminders:\n"
                                               "    before: [1d, 2d, 3d, 4d, 5d, 6d, 7d, 8d, 9d, "
                                               "10d, soon]\n"
                                               "    extra: [[x], not-an-address]\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:6:14", "expected text for audience");
    assert_diag(fx, "config/events/e.yaml:6:19", "unknown member \"fez\" (did you mean \"fes\"?)");
    assert_diag(fx, "config/events/e.yaml:7:16", "expected text for categories");
    assert_diag(fx, "config/events/e.yaml:7:24",
                "unknown category \"acces-to-information\" (did you mean");
    assert_diag(fx, "config/events/e.yaml:9:13", "an event has at most 10 reminders, not 11");
    assert_diag(fx, "config/events/e.yaml:9:55", "\"soon\" is not a valid duration");
    assert_diag(fx, "config/events/e.yaml:10:13", "expected text for extra reminder addresses");
    assert_diag(fx, "config/events/e.yaml:10:18", "\"not-an-address\" is not an email address");
    assert_int_equal(fx->diags.n, 8);
}

/* The same in members.yaml; emails that could not be read are not "no
 * emails" for the email channel. */
static void error_member_lists_check_every_item(void **state)
{
    fixture *fx = *state;
    put("config/members.yaml", "members:\n"
                               "  - id: fes-meknes\n"
                               "    kind: region\n"
                               "    name: {fr: R}\n"
                               "    emails: [[x], not-an-address]\n"
                               "    reminders: {channels: [email, [y], Web]}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/members.yaml:5:14", "expected text for emails");
    assert_diag(fx, "config/members.yaml:5:19", "\"not-an-address\" is not an email address");
    assert_diag(fx, "config/members.yaml:6:35", "expected text for reminder channels");
    assert_diag(fx, "config/members.yaml:6:40", "\"Web\" is not a channel name");
    assert_int_equal(fx->diags.n, 4);
}

static void slot_ids(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  agenda:\n"
                                               "    - {id: opening, title: {fr: A}}\n"
                                               "    - {title: {fr: B}}\n"
                                               "    - {id: slot-1x, title: {fr: C}}\n"),
                     0);
    const ag_event *e = ag_config_event(fx->cfg, "e1");
    assert_string_equal(e->slots[0].id, "opening");
    assert_null(e->slots[1].id);
    assert_string_equal(e->slots[2].id, "slot-1x");
}

/* URL-safe, unique within the event, and not of the form the store gives
 * to items without an id; each error on its own. */
static void error_slot_ids(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  agenda:\n"
                                               "    - {id: Opening, title: {fr: A}}\n"
                                               "    - {id: slot-3, title: {fr: B}}\n"
                                               "    - {id: pause, title: {fr: C}}\n"
                                               "    - {id: pause, title: {fr: D}}\n"
                                               "    - {id: [x], title: {fr: E}}\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:7:12",
                "\"Opening\" is not a valid agenda item id: use only lowercase letters");
    assert_diag(fx, "config/events/e.yaml:8:12",
                "\"slot-3\" is not a valid agenda item id: slot-<number> names the items that "
                "have no id");
    assert_diag(fx, "config/events/e.yaml:10:7",
                "agenda item id \"pause\" is already given to \"C\" at line 9");
    assert_diag(fx, "config/events/e.yaml:11:12", "expected text for agenda item id");
    assert_int_equal(fx->diags.n, 4);
}

static void error_unknown_member(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "- uid: e1\n  title: {fr: A}\n  start: 2023-03-07\n"
                                    "  host: fez\n"
                                    "  audience: [network, region:fes, kind:village, fes-meknez]\n"
                                    "  categories: [acces-to-information, nope]\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:4:9", "unknown member \"fez\" (did you mean \"fes\"?)");
    assert_diag(fx, "config/events/e.yaml:5:23", "\"fes\" is not a region");
    assert_diag(fx, "config/events/e.yaml:5:35", "\"kind:village\" is not a valid audience");
    assert_diag(fx, "config/events/e.yaml:5:49", "did you mean \"fes-meknes\"");
    assert_diag(fx, "config/events/e.yaml:6:16",
                "unknown category \"acces-to-information\" (did you mean "
                "\"access-to-information\"?)");
    assert_diag(fx, "config/events/e.yaml:6:38", "unknown category \"nope\"");
    assert_int_equal(fx->diags.n, 6);
}

/* Did you mean, for categories: a typo of an id as for members, and else
 * the category whose id or name holds the word (issue 15, 8f). */
static bool has_exact(const ag_diags *d, const char *msg)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->v[i].msg, msg) == 0)
            return true;
    return false;
}

static void error_unknown_category_suggests(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  categories: [formations, information, Accès, "
                                               "\"الولوج\", traning, nope, vie]\n"
                                               "  agenda:\n"
                                               "    - {title: {fr: A}, axis: acces-information}\n"),
                     AG_ECONFIG);
    static const char *const want[] = {
        "unknown category \"formations\" (did you mean \"training\"?)",
        "unknown category \"information\" (did you mean \"access-to-information\"?)",
        "unknown category \"Accès\" (did you mean \"access-to-information\"?)",
        "unknown category \"الولوج\" (did you mean \"access-to-information\"?)",
        "unknown category \"traning\" (did you mean \"training\"?)",
        "unknown category \"nope\"",
        "unknown category \"vie\"",
        "unknown category \"acces-information\" (did you mean \"access-to-information\"?)",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!has_exact(&fx->diags, want[i])) {
            dump(&fx->diags);
            fail_msg("no diagnostic: %s", want[i]);
        }
    }
    assert_diag(fx, "config/events/e.yaml:6:16", "\"formations\"");
    assert_diag(fx, "config/events/e.yaml:8:30", "\"acces-information\"");
    assert_int_equal(fx->diags.n, 8);
}

static void error_duplicate_uid(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", EVENT_HEAD);
    put("config/events/b.yaml", "# again\n" EVENT_HEAD);
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/events/b.yaml:2:3",
                "uid \"e1\" is already used by config/events/a.yaml:1:3");
    assert_int_equal(fx->diags.n, 1);
}

/* An event with errors of its own still holds its uid. */
static void error_duplicate_uid_of_event_with_errors(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", "- uid: e1\n  title: {fr: A}\n  start: 2023-02-30\n  host: fes\n"
                                "- uid: e2\n  title: {fr: B}\n  start: 2023-03-01\n  host: fes\n");
    put("config/events/b.yaml", "# again\n" EVENT_HEAD "- uid: e2\n  title: {fr: C}\n"
                                "  start: 2023-03-01\n  host: fes\n  status: done\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/events/a.yaml:3:10", "\"2023-02-30\" is not a real date");
    assert_diag(fx, "config/events/b.yaml:2:3",
                "uid \"e1\" is already used by config/events/a.yaml:1:3");
    assert_diag(fx, "config/events/b.yaml:11:11", "\"done\" is not a valid status");
    assert_diag(fx, "config/events/b.yaml:7:3",
                "uid \"e2\" is already used by config/events/a.yaml:5:3");
    assert_int_equal(fx->diags.n, 4);
}

static void error_unknown_tz(void **state)
{
    expect_one(*state, EVENT_HEAD "  timezone: Africa/Casablnca\n", "config/events/e.yaml:6:13",
               "unknown time zone \"Africa/Casablnca\"");
}

static void error_unbounded_rrule(void **state)
{
    expect_one(*state, EVENT_HEAD "  recurrence: {rule: \"FREQ=WEEKLY;BYDAY=TU\"}\n",
               "config/events/e.yaml:6:22",
               "the recurrence rule has no end: add COUNT=… or UNTIL=…");
}

static void error_too_many_instances(void **state)
{
    expect_one(*state, EVENT_HEAD "  recurrence:\n    rule: FREQ=SECONDLY;COUNT=100000\n",
               "config/events/e.yaml:7:11", "more than 1000 dates");
}

static void error_recurrence_too_long(void **state)
{
    expect_one(*state, EVENT_HEAD "  recurrence:\n    rule: FREQ=YEARLY;COUNT=20\n",
               "config/events/e.yaml:7:11", "more than 10 years after the start");
}

static void error_bad_rrule_and_exdate(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, EVENT_HEAD "  recurrence:\n    rule: FREQ=FORTNIGHTLY\n"
                                               "    except: [2023-03-14]\n"
                                               "  reminders: [1d, 0s, soon]\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:7:11", "is not a valid recurrence rule");
    assert_diag(fx, "config/events/e.yaml:8:14", "an exception must be a date-time");
    assert_diag(fx, "config/events/e.yaml:9:19", "must come some time before");
    assert_diag(fx, "config/events/e.yaml:9:23", "\"soon\" is not a valid duration");
    assert_int_equal(fx->diags.n, 4);
}

static void error_slow_rrule_refused(void **state)
{
    expect_one(*state,
               EVENT_HEAD "  recurrence: {rule: \"FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5\"}\n",
               "config/events/e.yaml:6:22", "more frequent than daily");
}

static void error_duplicate_key(void **state)
{
    expect_one(*state, EVENT_HEAD "  title: {fr: \"Encore\"}\n", "config/events/e.yaml:6:3",
               "the key \"title\" is given twice (first at line 2, column 3)");
}

static void error_alias_bomb(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\"]\n"
                                    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                                    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                                    "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:1:4", "anchors (&a) are not allowed");
    assert_int_equal(fx->diags.n, 1);
}

static void error_alias_use(void **state)
{
    expect_one(*state, EVENT_HEAD "  description: *t\n", "config/events/e.yaml:6:16",
               "aliases (*t) are not allowed");
}

static void error_invalid_utf8(void **state)
{
    fixture *fx = *state;
    static const char yaml[] = "- uid: e1\n  title: {fr: \"Atelier \xff\"}\n";
    write_file("config/events/e.yaml", yaml, sizeof yaml - 1);
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:2:24", "not valid UTF-8");
    assert_int_equal(fx->diags.n, 1);
}

static void error_nul_escape(void **state)
{
    expect_one(*state, EVENT_HEAD "  description: {fr: \"a\\0b\"}\n", "config/events/e.yaml:6:21",
               "NUL character");
}

static void error_tab_indentation(void **state)
{
    expect_one(*state, "- uid: e1\n\ttitle: {fr: A}\n", "config/events/e.yaml:2:1",
               "tab: YAML is indented with spaces");
}

static void error_yaml_syntax(void **state)
{
    expect_one(*state, EVENT_HEAD "  agenda: [\n", "config/events/e.yaml:7:1", "YAML syntax error");
}

static void error_two_documents(void **state)
{
    expect_one(*state, EVENT_HEAD "---\n" EVENT_HEAD, "config/events/e.yaml:6:1",
               "a file holds one YAML document");
}

static void error_complex_key(void **state)
{
    expect_one(*state, EVENT_HEAD "  ? [a, b]\n  : x\n", "config/events/e.yaml:6:5",
               "a key must be a plain word");
}

static void empty_event_file_is_fine(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "# nothing yet\n"), 0);
    assert_int_equal(fx->cfg->n_events, 0);
}

static void missing_events_dir_is_fine(void **state)
{
    fixture *fx = *state;
    remove("config/events");
    assert_int_equal(load(fx), 0);
    assert_int_equal(fx->cfg->n_events, 0);
}

static void error_missing_members(void **state)
{
    fixture *fx = *state;
    remove("config/members.yaml");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/members.yaml", "this file is missing");
}

/* A file or list that could not be read leaves what refers to its entries
 * unjudged: an "unknown member" for each event would only repeat it. */
static void error_unreadable_lists_not_repeated(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "listen: \"127.0.0.1:0\"\n");
    put("config/members.yaml", "members: [\n");
    put("config/events/e.yaml", EVENT_HEAD "  audience: [fes, region:fes-meknes, kind:commun]\n"
                                           "  categories: [training]\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/agendad.yaml:1:1", "agendad.yaml has no \"categories\"");
    assert_diag(fx, "config/members.yaml:2:1", "YAML syntax error");
    assert_diag(fx, "config/events/e.yaml:6:38", "\"kind:commun\" is not a valid audience");
    assert_int_equal(fx->diags.n, 3);
    ag_diags_free(&fx->diags);
    memset(&fx->diags, 0, sizeof fx->diags);
    put("config/agendad.yaml", "categories: {id: training}\n");
    put("config/members.yaml", "members: {id: fes}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/agendad.yaml:1:13", "expected a list for categories");
    assert_diag(fx, "config/members.yaml:1:10", "expected a list for members");
    assert_diag(fx, "config/events/e.yaml:6:38", "\"kind:commun\" is not a valid audience");
    assert_int_equal(fx->diags.n, 3);
}

static void error_types_and_required(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_event(fx, "- uid: \"bad uid\"\n"
                                    "  title: {en: Workshop}\n"
                                    "  description: just text\n"
                                    "  start: 2023-03-07\n"
                                    "  audience: network\n"
                                    "  status: done\n"
                                    "- [1, 2]\n"),
                     AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:1:8", "uid \"bad uid\" may only use");
    assert_diag(fx, "config/events/e.yaml:2:11", "unknown key \"en\"");
    assert_diag(fx, "config/events/e.yaml:3:16", "expected the event's description as {ar:");
    assert_diag(fx, "config/events/e.yaml:1:3", "this event has no \"host\", which is required");
    assert_diag(fx, "config/events/e.yaml:5:13", "expected a list for audience");
    assert_diag(fx, "config/events/e.yaml:6:11", "\"done\" is not a valid status");
    assert_diag(fx, "config/events/e.yaml:7:3", "expected event as a mapping");
}

static void error_members(void **state)
{
    fixture *fx = *state;
    put("config/members.yaml", "members:\n"
                               "  - {id: fes-meknes, kind: region, name: {fr: R}}\n"
                               "  - {id: Fes, kind: commune, region: fes-meknes, name: {fr: F}}\n"
                               "  - {id: sefrou, kind: province, name: {fr: S}}\n"
                               "  - {id: meknes, kind: commune, region: fes-meknez, name: {}}\n"
                               "  - {id: fes-meknes, kind: region, name: {ar: ج}}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/members.yaml:3:10", "\"Fes\" is not a valid member id");
    assert_diag(fx, "config/members.yaml:4:5", "has no \"region\", which a province needs");
    assert_diag(fx, "config/members.yaml:5:59", "needs the text in Arabic (ar:), French");
    assert_diag(fx, "config/members.yaml:6:10",
                "member id \"fes-meknes\" is already used by config/members.yaml:2:5");
}

static void error_member_region_reference(void **state)
{
    fixture *fx = *state;
    put("config/members.yaml", "members:\n"
                               "  - {id: fes-meknes, kind: region, name: {fr: R}}\n"
                               "  - {id: fes, kind: commune, region: fes-meknez, name: {fr: F}}\n"
                               "  - {id: sefrou, kind: commune, region: fes, name: {fr: S}}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/members.yaml:3:38",
                "unknown region \"fes-meknez\" (did you mean \"fes-meknes\"?)");
    assert_diag(fx, "config/members.yaml:4:41", "\"fes\" is a commune, not a region");
    assert_int_equal(fx->diags.n, 2);
}

/* An entry with errors of its own is still known by its id: what refers to
 * it is not reported again, what it refers to is still checked, and a bad
 * id or kind hides none of its other errors. */
static void error_members_with_errors_stay_known(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "categories:\n"
                               "  - {id: training, name: {fr: Formation}}\n"
                               "  - {id: axe, name: {en: Axis}}\n");
    put("config/members.yaml",
        "members:\n"
        "  - {id: fes-meknes, kind: region, name: {fr: R}, emails: [bad]}\n"
        "  - {id: fes, kind: commune, region: fes-meknes, name: {fr: F}}\n"
        "  - {id: Sefrou, kind: provinc, name: {fr: S}, emails: [bad2]}\n"
        "  - {id: meknes, kind: comune, name: {fr: M}, region: fes-meknes}\n"
        "  - {id: ifrane, kind: commune, name: {fr: I}, region: meknes, emails: [bad3]}\n"
        "  - {id: azrou, kind: commune, name: {fr: A}, region: ifrane}\n"
        "  - {id: fes-meknes, kind: region, name: {fr: R2}}\n");
    put("config/events/e.yaml", "- uid: e1\n"
                                "  title: {fr: A}\n"
                                "  start: 2023-03-07\n"
                                "  host: meknes\n"
                                "  audience: [region:fes-meknes, meknes, region:meknes, "
                                "region:ifrane, Sefrou]\n"
                                "  categories: [training, axe]\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/agendad.yaml:3:22", "unknown key \"en\"");
    assert_diag(fx, "config/members.yaml:2:60", "\"bad\" is not an email address");
    assert_diag(fx, "config/members.yaml:4:10", "\"Sefrou\" is not a valid member id");
    assert_diag(fx, "config/members.yaml:4:24",
                "\"provinc\" is not a valid member kind (did you mean \"province\"?");
    assert_diag(fx, "config/members.yaml:4:57", "\"bad2\" is not an email address");
    assert_diag(fx, "config/members.yaml:5:24",
                "\"comune\" is not a valid member kind (did you mean \"commune\"?");
    assert_diag(fx, "config/members.yaml:6:73", "\"bad3\" is not an email address");
    assert_diag(fx, "config/members.yaml:7:55", "\"ifrane\" is a commune, not a region");
    assert_diag(fx, "config/members.yaml:8:10",
                "member id \"fes-meknes\" is already used by config/members.yaml:2:5");
    assert_diag(fx, "config/events/e.yaml:5:56",
                "\"region:ifrane\" is not a valid audience: \"ifrane\" is not a region");
    /* an id that is not one cannot be referred to: its fix leaves this */
    assert_diag(fx, "config/events/e.yaml:5:71", "unknown member \"Sefrou\"");
    /* not reported again: meknes (its kind unknown: region or not), axe */
    assert_int_equal(fx->diags.n, 11);
}

static void member_reminder_channels(void **state)
{
    fixture *fx = *state;
    put("config/members.yaml",
        "members:\n"
        "  - {id: fes-meknes, kind: region, name: {fr: R}}\n"
        "  - id: fes\n"
        "    kind: commune\n"
        "    region: fes-meknes\n"
        "    name: {fr: F}\n"
        "    emails: [contact@example.org]\n"
        "    reminders: {channels: [webhook, email]}\n"
        "  - {id: oujda, kind: region, name: {fr: O}, reminders: {channels: []}}\n");
    assert_int_equal(load(fx), 0);
    const ag_member *r = &fx->cfg->members[0], *f = &fx->cfg->members[1], *o = &fx->cfg->members[2];
    assert_false(r->has_reminder_channels);
    assert_true(f->has_reminder_channels);
    assert_int_equal(f->n_reminder_channels, 2);
    assert_string_equal(f->reminder_channels[0], "webhook");
    assert_string_equal(f->reminder_channels[1], "email");
    assert_true(o->has_reminder_channels); /* an empty list opts out */
    assert_int_equal(o->n_reminder_channels, 0);
    /* Each member's entry stays, as written, for the plugins' checks. */
    const ag_config_node *entry = ag_config_member_node(fx->cfg, f);
    assert_non_null(entry);
    assert_int_equal(entry->loc.line, 3);
    const ag_config_node *list =
        ag_config_node_get(ag_config_node_get(entry, "reminders"), "channels");
    assert_non_null(list);
    assert_int_equal(list->n, 2);
    assert_string_equal(list->items[1]->scalar, "email");
    assert_int_equal(list->items[1]->loc.line, 8);
    assert_int_equal(list->items[1]->loc.col, 37);
    assert_null(ag_config_member_node(fx->cfg, NULL));
}

static void error_member_reminder_channels(void **state)
{
    fixture *fx = *state;
    put("config/members.yaml",
        "members:\n"
        "  - {id: fes-meknes, kind: region, name: {fr: R}, reminders: {channels: [email]}}\n"
        "  - {id: oujda, kind: region, name: {fr: O}, reminders: {channels: [Web, x, x]}}\n"
        "  - {id: rabat, kind: region, name: {fr: B}, reminders: {chanels: [x]}}\n"
        "  - {id: tanger, kind: region, name: {fr: T}, reminders: [webhook]}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    /* A channel's needs are its plugin's to check (reminder-email's check
     * refuses fes-meknes, reached by email without an address). */
    assert_diag(fx, "config/members.yaml:3:69", "\"Web\" is not a channel name");
    assert_diag(fx, "config/members.yaml:3:77", "channel \"x\" is listed twice");
    assert_diag(fx, "config/members.yaml:4:58", "unknown key \"chanels\" in member reminders");
    assert_diag(fx, "config/members.yaml:5:58", "expected member reminders as a mapping");
    assert_false(has_diag(&fx->diags, "config/members.yaml:2:74", "emails"));
}

static void error_settings(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "listen: \"localhost\"\n"
                               "language: en\n"
                               "feeds: {window_from: \"+10d\", window_to: \"-10d\"}\n"
                               "http: {header_timeout: 10 seconds}\n"
                               "categories:\n"
                               "  - {id: Axis, name: {fr: A}}\n"
                               "plugins:\n"
                               "  load:\n"
                               "    Bad.Name: {}\n"
                               "    good: [1]\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/agendad.yaml:1:9", "not a valid listen address");
    assert_diag(fx, "config/agendad.yaml:2:11", "\"en\" is not a valid language");
    assert_diag(fx, "config/agendad.yaml:3:41", "the feed window ends");
    assert_diag(fx, "config/agendad.yaml:4:24", "not a valid duration");
    assert_diag(fx, "config/agendad.yaml:6:10", "not a valid category id");
    assert_diag(fx, "config/agendad.yaml:9:5", "not a valid plugin name");
    assert_diag(fx, "config/agendad.yaml:10:11", "must be a mapping");
    assert_int_equal(fx->diags.n, 7);
}

static void error_missing_categories(void **state)
{
    fixture *fx = *state;
    put("config/agendad.yaml", "listen: \"127.0.0.1:99999\"\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/agendad.yaml:1:9", "port from 0 to 65535");
    assert_diag(fx, "config/agendad.yaml:1:1", "has no \"categories\"");
}

static void error_deep_nesting(void **state)
{
    fixture *fx = *state;
    char yaml[512] = "a: ";
    for (int i = 0; i < 100; i++)
        strcat(yaml, "[");
    assert_int_equal(load_event(fx, yaml), AG_ECONFIG);
    assert_diag(fx, "config/events/e.yaml:1:68", "nested more than 64 levels");
}

static void error_file_too_large(void **state)
{
    fixture *fx = *state;
    size_t len = (4u << 20) + 10;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, '#', len);
    write_file("config/events/big.yaml", big, len);
    free(big);
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/events/big.yaml", "larger than 4 MiB");
}

static void all_errors_reported(void **state)
{
    fixture *fx = *state;
    put("config/events/a.yaml", "- uid: a\n  title: {fr: A}\n  start: 2023-02-30\n  host: x\n");
    put("config/events/b.yaml", "- uid: b\n  titel: {fr: B}\n");
    assert_int_equal(load(fx), AG_ECONFIG);
    assert_diag(fx, "config/events/a.yaml:3:10", "not a real date");
    assert_diag(fx, "config/events/a.yaml:4:9", "unknown member \"x\"");
    assert_diag(fx, "config/events/b.yaml:2:3", "unknown key \"titel\"");
    assert_diag(fx, "config/events/b.yaml:1:3", "no \"title\"");
    assert_diag(fx, "config/events/b.yaml:1:3", "no \"start\"");
}

static void parse_duration_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {{"90s", 90},   {"30m", 1800},          {"2h", 7200},
              {"1d", 86400}, {"1w", 604800},         {"1d12h", 129600},
              {"0s", 0},     {"1w2d3h4m5s", 788645}, {"365d", 31536000}};
    static const char *const bad[] = {"",    "1",    "h",   "1x",  "12h1d",       "1d1d",
                                      "-1d", "1.5h", " 1h", "1h ", "1234567890s", "1D"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = -1;
        assert_int_equal(ag_config_duration_parse(ok[i].s, &v), 0);
        assert_int_equal(v, ok[i].v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v;
        if (ag_config_duration_parse(bad[i], &v) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

static void parse_datetime_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        ag_datetime t;
    } ok[] = {
        {"2023-03-07", {2023, 3, 7, 0, 0, 0, true}},
        {"2023-03-07T09:30", {2023, 3, 7, 9, 30, 0, false}},
        {"2023-03-07 09:30:15", {2023, 3, 7, 9, 30, 15, false}},
        {"2024-02-29", {2024, 2, 29, 0, 0, 0, true}},
        {"2000-02-29T23:59:59", {2000, 2, 29, 23, 59, 59, false}},
    };
    static const char *const bad[] = {"2023-02-29",
                                      "1900-02-29",
                                      "2023-04-31",
                                      "2023-13-01",
                                      "2023-00-10",
                                      "2023-03-00",
                                      "2023-03-07T24:00",
                                      "2023-03-07T09:60",
                                      "2023-03-07T09:30Z",
                                      "2023-03-07T09:30+01:00",
                                      "2023-3-7",
                                      "2023-03-07T9:30",
                                      "2023-03-07T09",
                                      "2023-03-07X09:30",
                                      "2023-03-07T09:30:00.5",
                                      "",
                                      "0000-01-01",
                                      "tomorrow"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ag_datetime t;
        assert_int_equal(ag_config_datetime_parse(ok[i].s, &t), 0);
        assert_int_equal(ag_datetime_cmp(&t, &ok[i].t), 0);
        assert_int_equal(t.is_date, ok[i].t.is_date);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_datetime t;
        if (ag_config_datetime_parse(bad[i], &t) == 0)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

static void sample_config_loads(void **state)
{
    (void)state;
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/config", src ? src : ".");
    struct stat st;
    char members[PATH_MAX + 16];
    snprintf(members, sizeof members, "%s/members.yaml", dir);
    if (stat(members, &st) != 0) {
        skip();
        return;
    }
    ag_config *cfg = NULL;
    ag_diags d = {0};
    int rc = ag_config_load(dir, &cfg, &d);
    if (rc != 0)
        ag_diags_print(&d, stderr);
    assert_int_equal(rc, 0);
    ag_config_free(cfg);
    ag_diags_free(&d);
}

static int group_teardown(void **state)
{
    (void)state;
    ag_tz_shutdown();
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(valid_config_loads),
        T(valid_timed_event),
        T(online_url_is_kept),
        T(error_online_url),
        T(valid_slots_keep_order),
        T(valid_all_day_and_recurrence),
        T(valid_settings_members_plugins),
        T(settings_values),
        T(reminders_map_and_settings),
        T(error_reminders_map),
        T(error_reminders_key),
        T(error_members_with_errors_stay_known),
        T(member_reminder_channels),
        T(error_member_reminder_channels),
        T(error_unknown_key),
        T(error_impossible_date),
        T(error_utc_offset),
        T(error_end_before_start),
        T(error_timed_without_end),
        T(error_mixed_forms),
        T(error_slot_outside_event),
        T(error_slots_overlap),
        T(error_slot_end_rules),
        T(error_bad_start_and_bad_slot),
        T(error_end_before_start_keeps_agenda),
        T(error_slot_error_and_overlap),
        T(error_bad_start_and_recurrence),
        T(error_lists_check_every_item),
        T(error_member_lists_check_every_item),
        T(slot_ids),
        T(error_slot_ids),
        T(error_unknown_member),
        T(error_unknown_category_suggests),
        T(error_duplicate_uid),
        T(error_duplicate_uid_of_event_with_errors),
        T(error_unknown_tz),
        T(error_unbounded_rrule),
        T(error_too_many_instances),
        T(error_recurrence_too_long),
        T(error_bad_rrule_and_exdate),
        T(error_slow_rrule_refused),
        T(error_duplicate_key),
        T(error_alias_bomb),
        T(error_alias_use),
        T(error_invalid_utf8),
        T(error_nul_escape),
        T(error_tab_indentation),
        T(error_yaml_syntax),
        T(error_two_documents),
        T(error_complex_key),
        T(empty_event_file_is_fine),
        T(missing_events_dir_is_fine),
        T(error_missing_members),
        T(error_unreadable_lists_not_repeated),
        T(error_types_and_required),
        T(error_members),
        T(error_member_region_reference),
        T(error_settings),
        T(error_missing_categories),
        T(error_deep_nesting),
        T(error_file_too_large),
        T(all_errors_reported),
        cmocka_unit_test(parse_duration_table),
        cmocka_unit_test(parse_datetime_table),
        cmocka_unit_test(sample_config_loads),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
