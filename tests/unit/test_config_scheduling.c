/* What finding a time reads of the config: `scheduling:` (hours with a
 * Ramadan variant, the Hijri calendar), `holidays:`, and a member's
 * `timezone` and `hours`, with their defaults and every error at its
 * file:line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "config_network.h"
#include "error.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    ag_config *cfg;
    ag_diags diags;
} fixture;

static const char CATEGORIES[] = "categories:\n"
                                 "  - id: training\n"
                                 "    name: {fr: \"Formation\"}\n";

static const char MEMBERS[] = "members:\n"
                              "  - id: fes-meknes\n"
                              "    kind: region\n"
                              "    name: {fr: \"Région Fès-Meknès\"}\n";

static void put(const fixture *fx, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/agendad-sched-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    ag_tz_init();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    ag_config_free(fx->cfg);
    ag_diags_free(&fx->diags);
    char path[128];
    snprintf(path, sizeof path, "%s/agendad.yaml", fx->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/members.yaml", fx->dir);
    unlink(path);
    rmdir(fx->dir);
    ag_tz_shutdown();
    free(fx);
    return 0;
}

/* agendad.yaml is `extra` then the categories; members.yaml the region,
 * then `member` (lines 5 on) when given. */
static int load(fixture *fx, const char *extra, const char *member)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", extra, CATEGORIES);
    put(fx, "agendad.yaml", text);
    snprintf(text, sizeof text, "%s%s", MEMBERS, member ? member : "");
    put(fx, "members.yaml", text);
    return ag_config_load(fx->dir, &fx->cfg, &fx->diags);
}

/* An error at line:col of file whose message holds part. */
static void assert_diag(const fixture *fx, const char *file, int line, int col, const char *part)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fx->dir, file);
    for (size_t i = 0; i < fx->diags.n; i++) {
        const ag_diag *g = &fx->diags.v[i];
        if (g->file && strcmp(g->file, path) == 0 && g->line == line && g->col == col &&
            strstr(g->msg, part))
            return;
    }
    ag_diags_print(&fx->diags, stderr);
    fail_msg("no error \"%s\" at %s:%d:%d", part, file, line, col);
}

static void test_defaults(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "", NULL), 0);
    const ag_schedule_settings *s = &fx->cfg->settings.scheduling;
    assert_int_equal(s->hours.usual.days, 0x1f);
    assert_int_equal(s->hours.usual.start, 8 * 60 + 30);
    assert_int_equal(s->hours.usual.end, 16 * 60 + 30);
    assert_int_equal(s->hours.ramadan.days, 0x1f);
    assert_int_equal(s->hours.ramadan.start, 9 * 60);
    assert_int_equal(s->hours.ramadan.end, 15 * 60);
    assert_string_equal(s->hijri, "islamic-umalqura");
    assert_int_equal(s->hijri_adjust, -1);
    assert_int_equal(s->n_holidays, 0);
    const ag_member *m = &fx->cfg->members[0];
    assert_null(m->timezone);
    assert_memory_equal(&m->hours, &s->hours, sizeof m->hours);
}

static void test_values(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx,
                          "scheduling:\n"
                          "  hours:\n"
                          "    days: [mon, tue, wed, thu, fri, sat]\n"
                          "    start: \"08:00\"\n"
                          "    end: \"16:00\"\n"
                          "    ramadan: {start: \"10:00\"}\n"
                          "  hijri: islamic-civil\n"
                          "  hijri_adjust: 1\n"
                          "holidays:\n"
                          "  - add: 2027-03-02\n"
                          "    name: {ar: \"يوم جهوي\", fr: \"Fête régionale\"}\n"
                          "  - remove: 2027-01-11\n",
                          "  - id: paris\n"
                          "    kind: commune\n"
                          "    region: fes-meknes\n"
                          "    name: {fr: \"Bureau de Paris\"}\n"
                          "    timezone: Europe/Paris\n"
                          "    hours: {days: [mon, tue], end: \"17:00\", ramadan: false}\n"),
                     0);
    const ag_schedule_settings *s = &fx->cfg->settings.scheduling;
    assert_int_equal(s->hours.usual.days, 0x3f);
    assert_int_equal(s->hours.usual.start, 8 * 60);
    /* Ramadan: its days are the week's; what it does not say, the default. */
    assert_int_equal(s->hours.ramadan.days, 0x3f);
    assert_int_equal(s->hours.ramadan.start, 10 * 60);
    assert_int_equal(s->hours.ramadan.end, 15 * 60);
    assert_string_equal(s->hijri, "islamic-civil");
    assert_int_equal(s->hijri_adjust, 1);
    assert_int_equal(s->n_holidays, 2);
    assert_false(s->holidays[0].remove);
    assert_int_equal(s->holidays[0].date.month, 3);
    assert_string_equal(s->holidays[0].name.fr, "Fête régionale");
    assert_true(s->holidays[1].remove);
    assert_null(s->holidays[1].name.fr);
    const ag_member *m = ag_config_member(fx->cfg, "paris");
    assert_string_equal(m->timezone, "Europe/Paris");
    assert_int_equal(m->hours.usual.days, 0x3);
    assert_int_equal(m->hours.usual.start, 8 * 60); /* the network's */
    assert_int_equal(m->hours.usual.end, 17 * 60);
    assert_memory_equal(&m->hours.ramadan, &m->hours.usual, sizeof m->hours.usual);
}

static void test_off(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx, "scheduling: {hijri: \"off\"}\n", NULL), 0);
    assert_null(fx->cfg->settings.scheduling.hijri);
}

static void test_errors(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx,
                          "scheduling:\n"                                       /* 1 */
                          "  hour: {}\n"                                        /* 2 */
                          "  hours:\n"                                          /* 3 */
                          "    days: [mon, tue, mon, funday]\n"                 /* 4 */
                          "    start: \"16:30\"\n"                              /* 5 */
                          "    end: \"08:30\"\n"                                /* 6 */
                          "    ramadan: true\n"                                 /* 7 */
                          "  hijri: islamic-umalkura\n"                         /* 8 */
                          "  hijri_adjust: 3\n"                                 /* 9 */
                          "holidays:\n"                                         /* 10 */
                          "  - add: 2027-03-02\n"                               /* 11 */
                          "  - remove: 2027-01-11\n"                            /* 12 */
                          "    name: {fr: \"x\"}\n"                             /* 13 */
                          "  - add: 2027-02-30\n"                               /* 14 */
                          "    name: {fr: \"x\"}\n"                             /* 15 */
                          "  - add: 2027-03-02T09:00\n"                         /* 16 */
                          "    name: {fr: \"x\"}\n"                             /* 17 */
                          "  - {add: 2027-04-01, remove: 2027-04-01}\n"         /* 18 */
                          "  - remove: 2027-01-11\n",                           /* 19 */
                          "  - id: paris\n"                                     /* 5 */
                          "    kind: commune\n"                                 /* 6 */
                          "    region: fes-meknes\n"                            /* 7 */
                          "    name: {fr: \"Bureau de Paris\"}\n"               /* 8 */
                          "    timezone: Europe/Pariss\n"                       /* 9 */
                          "    hours: {start: \"9h\", ramadan: {days: []}}\n"), /* 10 */
                     AG_ECONFIG);
    assert_diag(fx, "agendad.yaml", 2, 3, "did you mean \"hours\"");
    assert_diag(fx, "agendad.yaml", 4, 22, "\"mon\" is listed twice");
    assert_diag(fx, "agendad.yaml", 4, 27, "\"funday\" is not a valid day of the week");
    assert_diag(fx, "agendad.yaml", 7, 14, "ramadan: write false");
    assert_diag(fx, "agendad.yaml", 8, 10, "did you mean \"islamic-umalqura\"");
    assert_diag(fx, "agendad.yaml", 9, 17, "from -2 to 2");
    assert_diag(fx, "agendad.yaml", 11, 5, "needs its \"name\"");
    assert_diag(fx, "agendad.yaml", 13, 11, "takes no name");
    assert_diag(fx, "agendad.yaml", 14, 10, "not a real date");
    assert_diag(fx, "agendad.yaml", 16, 10, "a whole day");
    assert_diag(fx, "agendad.yaml", 18, 5, "either");
    assert_diag(fx, "agendad.yaml", 19, 5, "2027-01-11 is already listed");
    assert_diag(fx, "members.yaml", 9, 15, "unknown time zone \"Europe/Pariss\"");
    assert_diag(fx, "members.yaml", 10, 20, "\"9h\" is not a valid start");
    assert_diag(fx, "members.yaml", 10, 42, "at least one day");
}

static void test_end_before_start(void **state)
{
    fixture *fx = *state;
    assert_int_equal(load(fx,
                          "scheduling:\n"
                          "  hours: {start: \"16:30\", end: \"08:30\"}\n",
                          NULL),
                     AG_ECONFIG);
    assert_diag(fx, "agendad.yaml", 2, 32, "end at 08:30, which is not after their start at 16:30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_before_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
