/* members.yaml `feed_url` and `sync:` (with `caldav:`): every key's wrong
 * types and values, each reported once, at the exact file:line:col, in the
 * exact words `agendad check` prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "config_network.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char base[PATH_MAX];
    char cwd[PATH_MAX];
    ag_config *cfg;
    ag_diags diags;
    size_t case_index; /* the test's initial state: which bad_case */
} fixture;

static const char AGENDAD_YAML[] = "categories:\n"
                                   "  - id: digitalisation\n"
                                   "    name: {ar: \"الرقمنة\", fr: \"Digitalisation\"}\n"
                                   "    axis: true\n"
                                   "  - id: citizen-participation\n"
                                   "    name: {fr: \"Participation citoyenne\"}\n"
                                   "    axis: true\n";

/* Lines 1-4; each case gives line 5 onwards. */
static const char MEMBER_HEAD[] = "members:\n"
                                  "  - id: fes\n"
                                  "    kind: region\n"
                                  "    name: {fr: \"Fès\"}\n";

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

/* A fresh directory holding "config/", loaded by that relative name so that
 * messages read "config/members.yaml:6:17". */
static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->case_index = (size_t)(uintptr_t)*state;
    snprintf(fx->base, sizeof fx->base, "/tmp/agendad-config-sync-XXXXXX");
    if (!mkdtemp(fx->base) || !getcwd(fx->cwd, sizeof fx->cwd) || chdir(fx->base) != 0)
        return -1;
    mkdir("config", 0700);
    mkdir("config/events", 0700);
    put("config/agendad.yaml", AGENDAD_YAML);
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

static int load_member(fixture *fx, const char *tail)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", MEMBER_HEAD, tail);
    put("config/members.yaml", text);
    return ag_config_load("config", &fx->cfg, &fx->diags);
}

static void where_of(const ag_diag *g, char *buf, size_t size)
{
    if (g->line)
        snprintf(buf, size, "%s:%d:%d", g->file ? g->file : "", g->line, g->col);
    else
        snprintf(buf, size, "%s", g->file ? g->file : "");
}

/* ------------------------------------------------------------- cases */

typedef struct {
    const char *name;
    const char *yaml;  /* members.yaml from line 5 */
    const char *where; /* file:line:col */
    const char *msg;   /* the whole message */
} bad_case;

static const bad_case cases[] = {
    /* feed_url */
    {"feed_url_ftp", "    feed_url: ftp://cal.example.org/fes.ics\n", "config/members.yaml:5:15",
     "feed_url \"ftp://cal.example.org/fes.ics\" must start with http:// or https://"},
    {"feed_url_no_scheme", "    feed_url: cal.example.org/fes.ics\n", "config/members.yaml:5:15",
     "feed_url \"cal.example.org/fes.ics\" must start with http:// or https://"},
    {"feed_url_no_host", "    feed_url: \"https://\"\n", "config/members.yaml:5:15",
     "feed_url \"https://\" is not a valid URL (no host)"},
    {"feed_url_space", "    feed_url: \"http://cal example.org/fes.ics\"\n",
     "config/members.yaml:5:15",
     "feed_url \"http://cal example.org/fes.ics\" is not a valid URL (unexpected character at "
     "offset 10)"},
    {"feed_url_list", "    feed_url: [https://cal.example.org/fes.ics]\n",
     "config/members.yaml:5:15", "expected text for feed_url, found a list"},
    /* sync itself */
    {"sync_list", "    sync: [interval]\n", "config/members.yaml:5:11",
     "expected sync as a mapping (key: value lines), found a list"},
    {"sync_unknown_key_suggested", "    sync:\n      intervall: 1h\n", "config/members.yaml:6:7",
     "unknown key \"intervall\" in sync (did you mean \"interval\"? expected one of: interval, "
     "network, network_categories, categories, caldav, private_data)"},
    {"sync_unknown_key", "    sync:\n      push: true\n", "config/members.yaml:6:7",
     "unknown key \"push\" in sync (expected one of: interval, network, network_categories, "
     "categories, caldav, private_data)"},
    /* interval */
    {"interval_list", "    sync:\n      interval: [1h]\n", "config/members.yaml:6:17",
     "expected text for interval, found a list"},
    {"interval_words", "    sync:\n      interval: 1 hour\n", "config/members.yaml:6:17",
     "\"1 hour\" is not a valid duration for interval: write a number and a unit (s, m, h, d, "
     "w), e.g. 30m, 2h, 1d12h"},
    {"interval_zero", "    sync:\n      interval: 0s\n", "config/members.yaml:6:17",
     "interval must be between 1s and 7d"},
    {"interval_eight_days", "    sync:\n      interval: 8d\n", "config/members.yaml:6:17",
     "interval must be between 1s and 7d"},
    /* network, private_data */
    {"network_yes", "    sync:\n      network: sometimes\n", "config/members.yaml:6:16",
     "expected true or false for network"},
    {"private_data_number", "    sync:\n      private_data: 1\n", "config/members.yaml:6:21",
     "expected true or false for private_data"},
    {"private_data_map", "    sync:\n      private_data: {ar: true}\n", "config/members.yaml:6:21",
     "expected true or false for private_data"},
    /* network_categories, categories */
    {"network_categories_scalar", "    sync:\n      network_categories: digitalisation\n",
     "config/members.yaml:6:27", "expected a list for network_categories, found a single value"},
    {"network_categories_typo", "    sync:\n      network_categories: [digitalisaton]\n",
     "config/members.yaml:6:28",
     "unknown category \"digitalisaton\" (did you mean \"digitalisation\"?)"},
    {"categories_unknown", "    sync:\n      categories: [digitalisation, transparency]\n",
     "config/members.yaml:6:36", "unknown category \"transparency\""},
    {"categories_nested", "    sync:\n      categories: [[digitalisation]]\n",
     "config/members.yaml:6:20", "expected text for categories, found a list"},
    /* caldav */
    {"caldav_scalar", "    sync:\n      caldav: https://dav.example.org/fes/\n",
     "config/members.yaml:6:15",
     "expected caldav as a mapping (key: value lines), found a single value"},
    {"caldav_no_url",
     "    sync:\n      caldav:\n        username: agendad\n        password_file: fes-dav\n",
     "config/members.yaml:7:9", "caldav has no \"url\", which is required"},
    {"caldav_url_ftp", "    sync:\n      caldav:\n        url: ftp://dav.example.org/fes/\n",
     "config/members.yaml:7:14",
     "caldav url \"ftp://dav.example.org/fes/\" must start with http:// or https://"},
    {"caldav_url_no_host", "    sync:\n      caldav:\n        url: \"https://:443/fes/\"\n",
     "config/members.yaml:7:14", "caldav url \"https://:443/fes/\" is not a valid URL (no host)"},
    {"caldav_unknown_key",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        pasword_file: x\n",
     "config/members.yaml:8:9",
     "unknown key \"pasword_file\" in caldav (did you mean \"password_file\"? expected one of: "
     "url, username, password_file, network_wins)"},
    {"caldav_username_no_password_file",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        username: agendad\n",
     "config/members.yaml:7:9", "caldav has a username but no password_file"},
    {"caldav_password_file_no_username",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        password_file: x\n",
     "config/members.yaml:7:9", "caldav has a password_file but no username"},
    {"caldav_password_file_empty",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        username: a\n"
     "        password_file: \"\"\n",
     "config/members.yaml:9:24", "expected text for caldav password_file, found nothing"},
    {"caldav_username_list",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        username: [a]\n"
     "        password_file: x\n",
     "config/members.yaml:8:19", "expected text for caldav username, found a list"},
    {"caldav_network_wins_word",
     "    sync:\n      caldav:\n        url: https://dav.example.org/\n        username: a\n"
     "        password_file: x\n        network_wins: always\n",
     "config/members.yaml:10:23", "expected true or false for network_wins"},
};

/* The load fails with exactly the case's one diagnostic. */
static void bad_sync_setting_is_reported_at_its_place(void **state)
{
    fixture *fx = *state;
    const bad_case *c = &cases[fx->case_index];
    assert_int_equal(load_member(fx, c->yaml), AG_ECONFIG);
    assert_null(fx->cfg);
    if (fx->diags.n != 1)
        ag_diags_print(&fx->diags, stderr);
    assert_int_equal(fx->diags.n, 1);
    char where[PATH_MAX + 32];
    where_of(&fx->diags.v[0], where, sizeof where);
    assert_string_equal(where, c->where);
    assert_string_equal(fx->diags.v[0].msg, c->msg);
}

static void every_sync_key_loads(void **state)
{
    fixture *fx = *state;
    int rc = load_member(fx, "    feed_url: https://cal.example.org/fes.ics?lang=fr\n"
                             "    sync:\n"
                             "      interval: 90m\n"
                             "      network: false\n"
                             "      network_categories: [digitalisation]\n"
                             "      categories: [citizen-participation]\n"
                             "      private_data: true\n"
                             "      caldav:\n"
                             "        url: https://dav.example.org:8443/calendars/fes/agenda/\n"
                             "        username: agendad\n"
                             "        password_file: fes-caldav\n"
                             "        network_wins: true\n");
    if (rc != 0)
        ag_diags_print(&fx->diags, stderr);
    assert_int_equal(rc, 0);
    const ag_member *m = ag_config_member(fx->cfg, "fes");
    assert_non_null(m);
    assert_string_equal(m->feed_url, "https://cal.example.org/fes.ics?lang=fr");
    assert_int_equal(m->sync.interval, 5400);
    assert_false(m->sync.network);
    assert_int_equal(m->sync.n_network_categories, 1);
    assert_string_equal(m->sync.network_categories[0], "digitalisation");
    assert_int_equal(m->sync.n_categories, 1);
    assert_true(m->sync.private_data);
    assert_string_equal(m->sync.caldav_url, "https://dav.example.org:8443/calendars/fes/agenda/");
    assert_string_equal(m->sync.caldav_username, "agendad");
    assert_string_equal(m->sync.caldav_password_file, "fes-caldav");
    assert_true(m->sync.network_wins);
}

static void sync_defaults(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_member(fx, "    feed_url: http://127.0.0.1:8081/fes.ics\n"), 0);
    const ag_member *m = ag_config_member(fx->cfg, "fes");
    assert_int_equal(m->sync.interval, 3600);
    assert_false(m->sync.network);
    assert_false(m->sync.private_data);
    assert_null(m->sync.caldav_url);
}

/* Errors in several keys are all reported, in file order. */
static void every_error_is_reported(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load_member(fx, "    sync:\n"
                                     "      interval: soon\n"
                                     "      network: maybe\n"
                                     "      caldav:\n"
                                     "        url: dav.example.org\n"),
                     AG_ECONFIG);
    assert_int_equal(fx->diags.n, 3);
}

#define N_CASES (sizeof cases / sizeof cases[0])

int main(void)
{
    struct CMUnitTest tests[N_CASES + 3];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){.name = cases[i].name,
                                       .test_func = bad_sync_setting_is_reported_at_its_place,
                                       .setup_func = setup,
                                       .teardown_func = teardown,
                                       .initial_state = (void *)(uintptr_t)i};
    tests[N_CASES] =
        (struct CMUnitTest)cmocka_unit_test_setup_teardown(every_sync_key_loads, setup, teardown);
    tests[N_CASES + 1] =
        (struct CMUnitTest)cmocka_unit_test_setup_teardown(sync_defaults, setup, teardown);
    tests[N_CASES + 2] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(every_error_is_reported,
                                                                            setup, teardown);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
