/* Finding a time end to end on a small network read from a config
 * directory: the query's errors, unknown selectors, the order of the
 * answer (everyone free by time, probable holidays after, near-misses by
 * fewest busy members), no two proposals overlapping, completeness (the
 * one free window is the first slot), why each member is busy, all-day
 * events as the member's own local days, series with exceptions,
 * tentative and cancelled events, and the three formats. */
#include "config.h"
#include "error.h"
#include "schedule_internal.h"
#include "tz.h"
#include "utf8.h"

#include <jansson.h>
#include <libical/ical.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define D(y, m, d) ag_schedule_day_of((y), (m), (d))
#define H 3600
/* An instant in 2027, when Casablanca is UTC+0: local time is UTC. */
#define AT(m, d, h, min) (D(2027, (m), (d)) * 86400 + (h)*H + (min)*60)

static const char agendad_yaml[] = "timezone: Africa/Casablanca\n"
                                   "language: fr\n"
                                   "base_url: \"https://agenda.example.org\"\n"
                                   "categories:\n"
                                   "  - id: workshop\n"
                                   "    name: {fr: \"Ateliers\"}\n"
                                   "holidays:\n"
                                   "  - add: 2027-01-15\n"
                                   "    name: {ar: \"يوم جهوي\", fr: \"Fête régionale\"}\n";

static const char members_yaml[] =
    "members:\n"
    "  - id: fes-meknes\n"
    "    kind: region\n"
    "    name: {ar: \"جهة فاس مكناس\", fr: \"Région Fès-Meknès\"}\n"
    "  - id: fes\n"
    "    kind: commune\n"
    "    region: fes-meknes\n"
    "    name: {ar: \"فاس\", fr: \"Fès\"}\n"
    "  - id: taza\n"
    "    kind: commune\n"
    "    region: fes-meknes\n"
    "    name: {ar: \"تازة\", fr: \"Taza\"}\n"
    "  - id: paris\n"
    "    kind: commune\n"
    "    region: fes-meknes\n"
    "    name: {fr: \"Bureau de Paris\"}\n"
    "    timezone: Europe/Paris\n"
    "    hours: {start: \"09:00\", end: \"18:00\", ramadan: false}\n";

static const char events_yaml[] =
    "- uid: weekly-fes\n"
    "  title: {fr: \"Réunion hebdomadaire\", ar: \"اجتماع أسبوعي\"}\n"
    "  start: 2027-01-04T10:00\n"
    "  end: 2027-01-04T11:00\n"
    "  host: fes\n"
    "  audience: [fes]\n"
    "  recurrence: {rule: \"FREQ=WEEKLY;COUNT=10\", except: [2027-01-18T10:00]}\n"
    "- uid: taza-tentative\n"
    "  title: {fr: \"Peut-être\"}\n"
    "  start: 2027-01-05T14:00\n"
    "  end: 2027-01-05T15:00\n"
    "  host: fes-meknes\n"
    "  audience: [taza]\n"
    "  status: tentative\n"
    "- uid: taza-cancelled\n"
    "  title: {fr: \"Annulé\"}\n"
    "  start: 2027-01-06T09:00\n"
    "  end: 2027-01-06T12:00\n"
    "  host: fes-meknes\n"
    "  audience: [taza]\n"
    "  status: cancelled\n"
    "- uid: region-day\n"
    "  title: {fr: \"Journée de la région\"}\n"
    "  start: 2027-01-12\n"
    "  host: fes-meknes\n"
    "  audience: [\"region:fes-meknes\"]\n";

typedef struct {
    char dir[64];
    ag_config *cfg;
    ag_schedule_input *in;
} fx;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-propose-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char events[96];
    snprintf(events, sizeof events, "%s/events", f->dir);
    mkdir(events, 0755);
    write_file(f->dir, "agendad.yaml", agendad_yaml);
    write_file(f->dir, "members.yaml", members_yaml);
    write_file(f->dir, "events/e.yaml", events_yaml);
    ag_tz_init();
    ag_diags d = {0};
    int rc = ag_config_load(f->dir, &f->cfg, &d);
    if (rc < 0)
        ag_diags_print(&d, stderr);
    ag_diags_free(&d);
    assert_int_equal(rc, 0);
    ag_stored_event *evs = calloc(f->cfg->n_events, sizeof *evs);
    for (size_t i = 0; i < f->cfg->n_events; i++)
        evs[i].ev = f->cfg->events[i];
    char *err = NULL;
    assert_int_equal(ag_schedule_input_new(f->cfg, evs, f->cfg->n_events, &f->in, &err), 0);
    free(evs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_schedule_input_free(f->in);
    ag_config_free(f->cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    ag_tz_shutdown();
    free(f);
    return 0;
}

/* Gives member m a calendar read over all of 2027, busy at v[0..n). */
static void set_calendar(ag_schedule_input *in, const char *id, const ag_busy_interval *v, size_t n)
{
    in->cal_from = AT(1, 1, 0, 0);
    in->cal_to = D(2028, 1, 1) * 86400;
    for (size_t i = 0; i < in->n_members; i++) {
        ag_schedule_member *m = &in->members[i];
        if (strcmp(m->id, id) != 0)
            continue;
        free(m->cal);
        free(m->reads);
        m->cal = n ? malloc(n * sizeof *v) : NULL;
        if (n)
            memcpy(m->cal, v, n * sizeof *v);
        m->n_cal = n;
        m->reads = malloc(sizeof *m->reads);
        m->reads[0] = (ag_schedule_span){in->cal_from, in->cal_to};
        m->n_reads = 1;
    }
}

static int parse(ag_schedule_query *q, const char *audience, const char *duration, const char *from,
                 const char *to, const char *count, char **err)
{
    const char *names[] = {"audience", "duration", "from", "to", "count"};
    const char *values[] = {audience, duration, from, to, count};
    return ag_schedule_query_parse(names, values, count ? 5 : 4, q, err);
}

static json_t *propose_json(const fx *f, const char *audience, const char *duration,
                            const char *from, const char *to, const char *count)
{
    ag_schedule_query q;
    char *err = NULL, *body = NULL;
    size_t len;
    assert_int_equal(parse(&q, audience, duration, from, to, count, &err), 0);
    int rc = ag_schedule_propose(f->in, &q, AG_SCHEDULE_JSON, NULL, 0, &body, &len, &err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    ag_schedule_query_free(&q);
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    assert_non_null(j);
    free(body);
    return j;
}

static int64_t slot_start(json_t *slot)
{
    const char *s = json_string_value(json_object_get(slot, "start"));
    int y, mo, d, h, mi;
    assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi), 5);
    return D(y, mo, d) * 86400 + h * H + mi * 60;
}

static void test_query_errors(void **state)
{
    (void)state;
    static const struct {
        const char *audience, *duration, *from, *to, *count, *says;
    } bad[] = {
        {"fes", "0m", "2027-01-04", "2027-01-05", NULL, "longer than zero"},
        {"fes", "-1h", "2027-01-04", "2027-01-05", NULL, "not a duration"},
        {"fes", "90s", "2027-01-04", "2027-01-05", NULL, "whole minutes"},
        {"fes", "25h", "2027-01-04", "2027-01-05", NULL, "longer than a day"},
        {"fes", "1h", "2027-13-04", "2027-01-05", NULL, "not a date"},
        {"fes", "1h", "2027-01-04T09:00", "2027-01-05", NULL, "not a date"},
        {"fes", "1h", "2027-01-05", "2027-01-04", NULL, "before"},
        {"fes", "1h", "2027-01-01", "2028-01-02", NULL, "367 days"},
        {"fes", "1h", "2027-01-04", "2027-01-05", "0", "count"},
        {"fes", "1h", "2027-01-04", "2027-01-05", "1001", "count"},
        {"fes", "1h", "2027-01-04", "2027-01-05", "3x", "count"},
        {"fes,,taza", "1h", "2027-01-04", "2027-01-05", NULL, "empty selector"},
        {"fes,", "1h", "2027-01-04", "2027-01-05", NULL, "empty selector"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_schedule_query q;
        char *err = NULL;
        assert_int_equal(
            parse(&q, bad[i].audience, bad[i].duration, bad[i].from, bad[i].to, bad[i].count, &err),
            AG_EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, bad[i].says));
        assert_null(strchr(err, '\n'));
        free(err);
        ag_schedule_query_free(&q);
    }
    const char *names[] = {"audience", "duration", "from", "to", "audience"};
    const char *values[] = {"fes", "1h", "2027-01-04", "2027-01-05", "taza"};
    ag_schedule_query q;
    char *err = NULL;
    assert_int_equal(ag_schedule_query_parse(names, values, 5, &q, &err), AG_EINVAL);
    assert_non_null(strstr(err, "twice"));
    free(err);
    ag_schedule_query_free(&q);
    names[4] = "colour";
    assert_int_equal(ag_schedule_query_parse(names, values, 5, &q, &err), AG_EINVAL);
    assert_non_null(strstr(err, "unknown parameter \"colour\""));
    free(err);
    ag_schedule_query_free(&q);
    assert_int_equal(ag_schedule_query_parse(names, values, 3, &q, &err), AG_EINVAL);
    assert_string_equal(err, "to is required");
    free(err);
    ag_schedule_query_free(&q);
    /* 366 days is the most; the defaults. */
    assert_int_equal(
        parse(&q, "fes,region:fes-meknes", "90m", "2028-01-01", "2028-12-31", NULL, &err), 0);
    assert_int_equal(q.n_audience, 2);
    assert_string_equal(q.audience[1], "region:fes-meknes");
    assert_int_equal(q.duration, 5400);
    assert_int_equal(q.count, 10);
    assert_int_equal(q.step, 1800);
    ag_schedule_query_free(&q);
}

static void test_unknown_selectors(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {"nobody", "region:fes", "kind:province", "kind:village",
                                      "region:nowhere"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_schedule_query q;
        char *err = NULL, *body = NULL;
        size_t len;
        assert_int_equal(parse(&q, bad[i], "1h", "2027-01-04", "2027-01-05", NULL, &err), 0);
        assert_int_equal(
            ag_schedule_propose(f->in, &q, AG_SCHEDULE_TXT, NULL, 0, &body, &len, &err), AG_ENOENT);
        assert_non_null(strstr(err, bad[i]));
        assert_null(body);
        free(err);
        ag_schedule_query_free(&q);
    }
}

/* fes and taza, Tuesday 2027-01-05 only: fes's calendar is busy but from
 * 13:00 to 14:00; taza's tentative event fills 14:00-15:00. The one
 * window where both are free for an hour is the first slot proposed. */
static void test_only_free_window_comes_first(void **state)
{
    fx *f = *state;
    ag_busy_interval fes[] = {{AT(1, 5, 8, 0), AT(1, 5, 13, 0), false},
                              {AT(1, 5, 14, 0), AT(1, 5, 17, 0), false}};
    set_calendar(f->in, "fes", fes, 2);
    set_calendar(f->in, "taza", NULL, 0);
    json_t *j = propose_json(f, "fes,taza", "1h", "2027-01-05", "2027-01-05", "20");
    json_t *slots = json_object_get(j, "slots");
    assert_true(json_array_size(slots) > 1);
    json_t *first = json_array_get(slots, 0);
    assert_int_equal(slot_start(first), AT(1, 5, 13, 0));
    assert_string_equal(json_string_value(json_object_get(first, "local")), "2027-01-05T13:00");
    assert_int_equal(json_array_size(json_object_get(first, "busy")), 0);
    assert_int_equal(json_array_size(json_object_get(first, "free")), 2);
    assert_false(json_boolean_value(json_object_get(first, "unknown_calendar")));
    /* Then near-misses, one member busy each, in time order, none
     * overlapping another proposal. */
    int64_t prev = 0;
    for (size_t k = 1; k < json_array_size(slots); k++) {
        json_t *s = json_array_get(slots, k);
        json_t *busy = json_object_get(s, "busy");
        assert_int_equal(json_array_size(busy), 1);
        assert_true(slot_start(s) > prev);
        prev = slot_start(s);
        for (size_t o = 0; o < k; o++) {
            int64_t a = slot_start(json_array_get(slots, o));
            assert_true(a + H <= slot_start(s) || slot_start(s) + H <= a);
        }
        json_t *b = json_array_get(busy, 0);
        const char *who = json_string_value(json_object_get(b, "member"));
        const char *why = json_string_value(json_object_get(b, "reason"));
        if (strcmp(who, "taza") == 0) { /* its tentative event, 14:00-15:00 */
            assert_string_equal(why, "event");
            assert_string_equal(json_string_value(json_object_get(b, "uid")), "taza-tentative");
            assert_true(json_boolean_value(json_object_get(b, "tentative")));
            assert_true(slot_start(s) < AT(1, 5, 15, 0) && slot_start(s) + H > AT(1, 5, 14, 0));
        } else {
            assert_string_equal(who, "fes");
            assert_string_equal(why, "calendar");
            assert_null(json_object_get(b, "uid"));
        }
    }
    json_decref(j);
}

/* The weekly meeting of fes, 10:00-11:00 on Mondays, except on 18 January;
 * the all-day region event on 12 January; the added holiday on 15 January;
 * 11 January is a holiday of the built-in list; taza's cancelled event
 * counts for nothing. */
static void test_series_all_day_and_holiday(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "fes", NULL, 0);
    set_calendar(f->in, "taza", NULL, 0);
    json_t *j = propose_json(f, "fes", "1h", "2027-01-04", "2027-01-25", "1000");
    json_t *slots = json_object_get(j, "slots");
    bool seen_18 = false;
    for (size_t k = 0; k < json_array_size(slots); k++) {
        int64_t s = slot_start(json_array_get(slots, k));
        assert_false(s < AT(1, 4, 11, 0) && s + H > AT(1, 4, 10, 0));
        assert_false(s < AT(1, 25, 11, 0) && s + H > AT(1, 25, 10, 0));
        assert_false(s >= AT(1, 11, 0, 0) && s < AT(1, 13, 0, 0));
        assert_false(s >= AT(1, 15, 0, 0) && s < AT(1, 16, 0, 0));
        seen_18 = seen_18 || (s < AT(1, 18, 11, 0) && s + H > AT(1, 18, 10, 0));
    }
    assert_true(seen_18);
    json_decref(j);
    /* Why, when asked for fes and taza on the region's day. */
    j = propose_json(f, "fes,taza", "1h", "2027-01-12", "2027-01-12", "1");
    assert_int_equal(json_array_size(json_object_get(j, "slots")), 0);
    json_decref(j);
    /* taza on 6 January: the cancelled event's hours are free. */
    j = propose_json(f, "taza", "3h", "2027-01-06", "2027-01-06", "1");
    assert_int_equal(slot_start(json_array_get(json_object_get(j, "slots"), 0)), AT(1, 6, 8, 30));
    json_decref(j);
}

/* Paris works 09:00-18:00 its own time: in January 08:00-17:00 UTC. With
 * fes (08:30-16:30 UTC+0), both are free 09:00-16:30 Paris time... the
 * common hours are 08:30-16:30 UTC, minus Paris's 08:00 start. */
static void test_member_zone(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "fes", NULL, 0);
    set_calendar(f->in, "paris", NULL, 0);
    json_t *j = propose_json(f, "fes,paris", "8h", "2027-01-05", "2027-01-05", "5");
    json_t *slots = json_object_get(j, "slots");
    assert_int_equal(slot_start(json_array_get(slots, 0)), AT(1, 5, 8, 30));
    assert_int_equal(json_array_size(json_object_get(json_array_get(slots, 0), "busy")), 0);
    json_decref(j);
    /* A slot 16:30-17:00 UTC is Paris's but out of fes's hours. */
    j = propose_json(f, "fes,paris", "30m", "2027-01-05", "2027-01-05", "1000");
    slots = json_object_get(j, "slots");
    bool hours_seen = false;
    for (size_t k = 0; k < json_array_size(slots); k++) {
        json_t *s = json_array_get(slots, k);
        if (slot_start(s) != AT(1, 5, 16, 30))
            continue;
        json_t *b = json_array_get(json_object_get(s, "busy"), 0);
        assert_string_equal(json_string_value(json_object_get(b, "member")), "fes");
        assert_string_equal(json_string_value(json_object_get(b, "reason")), "hours");
        hours_seen = true;
    }
    assert_true(hours_seen);
    json_decref(j);
}

/* An all-day event is the member's local day: Paris is busy from 23:00 UTC
 * the day before; a tentative event is BUSY-TENTATIVE. */
static void test_freebusy(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "paris", NULL, 0);
    set_calendar(f->in, "taza", (ag_busy_interval[]){{AT(1, 5, 14, 30), AT(1, 5, 16, 0), false}},
                 1);
    char *body = NULL, *err = NULL;
    size_t len;
    assert_int_equal(ag_schedule_freebusy(f->in, "paris", AT(1, 10, 0, 0), AT(1, 14, 0, 0), 0,
                                          &body, &len, &err),
                     0);
    assert_non_null(strstr(body, "FREEBUSY;FBTYPE=BUSY:20270111T230000Z/20270112T230000Z"));
    assert_null(strstr(body, "SUMMARY"));
    free(body);
    assert_int_equal(
        ag_schedule_freebusy(f->in, "taza", AT(1, 5, 0, 0), AT(1, 6, 0, 0), 0, &body, &len, &err),
        0);
    assert_non_null(
        strstr(body, "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270105T140000Z/20270105T143000Z"));
    assert_non_null(strstr(body, "FREEBUSY;FBTYPE=BUSY:20270105T143000Z/20270105T160000Z"));
    icalcomponent *c = icalparser_parse_string(body);
    assert_non_null(icalcomponent_get_first_component(c, ICAL_VFREEBUSY_COMPONENT));
    icalcomponent_free(c);
    free(body);
    assert_int_equal(ag_schedule_freebusy(f->in, "nobody", 0, 1, 0, &body, &len, &err), AG_ENOENT);
    free(err);
}

/* Days next to a religious holiday come after the everyone-free days.
 * Eid al-Fitr 1448 by the default calendar: 10-11 March 2027, so 9 and 12
 * March are probable. */
static void test_probable_holidays_after(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "taza", NULL, 0);
    json_t *j = propose_json(f, "taza", "8h", "2027-03-08", "2027-03-12", "10");
    json_t *slots = json_object_get(j, "slots");
    /* Ramadan's 09:00-15:00 leaves no 8 hours on 8 and 9 March. */
    assert_int_equal(json_array_size(slots), 1);
    assert_int_equal(slot_start(json_array_get(slots, 0)), AT(3, 12, 8, 30));
    json_decref(j);
    j = propose_json(f, "taza", "5h", "2027-03-08", "2027-03-12", "10");
    slots = json_object_get(j, "slots");
    assert_int_equal(json_array_size(slots), 3);
    assert_int_equal(slot_start(json_array_get(slots, 0)), AT(3, 8, 9, 0));
    assert_false(json_boolean_value(json_object_get(json_array_get(slots, 0), "probable_holiday")));
    assert_int_equal(slot_start(json_array_get(slots, 1)), AT(3, 9, 9, 0));
    assert_true(json_boolean_value(json_object_get(json_array_get(slots, 1), "probable_holiday")));
    assert_int_equal(slot_start(json_array_get(slots, 2)), AT(3, 12, 8, 30));
    assert_true(json_boolean_value(json_object_get(json_array_get(slots, 2), "probable_holiday")));
    json_decref(j);
}

/* Never read: proposed, and said. */
static void test_unknown_calendar(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "fes", NULL, 0);
    for (size_t i = 0; i < f->in->n_members; i++)
        if (strcmp(f->in->members[i].id, "taza") == 0) {
            free(f->in->members[i].reads);
            f->in->members[i].reads = NULL;
            f->in->members[i].n_reads = 0;
        }
    json_t *j = propose_json(f, "fes,taza", "1h", "2027-01-06", "2027-01-06", "1");
    json_t *u = json_object_get(j, "unknown_calendar");
    assert_int_equal(json_array_size(u), 1);
    assert_string_equal(json_string_value(json_array_get(u, 0)), "taza");
    json_t *s = json_array_get(json_object_get(j, "slots"), 0);
    assert_true(json_boolean_value(json_object_get(s, "unknown_calendar")));
    assert_int_equal(json_array_size(json_object_get(s, "free")), 2);
    json_decref(j);
}

static char *propose_text(const fx *f, ag_schedule_format fmt, const char *lang, size_t *len)
{
    ag_schedule_query q;
    char *err = NULL, *body = NULL;
    assert_int_equal(parse(&q, "region:fes-meknes", "2h", "2027-01-04", "2027-01-06", "6", &err),
                     0);
    assert_int_equal(ag_schedule_propose(f->in, &q, fmt, lang, AT(1, 1, 0, 0), &body, len, &err),
                     0);
    ag_schedule_query_free(&q);
    return body;
}

static void test_formats(void **state)
{
    fx *f = *state;
    set_calendar(f->in, "fes", NULL, 0);
    size_t len;
    char *fr = propose_text(f, AG_SCHEDULE_TXT, "fr", &len);
    assert_true(ag_utf8_valid(fr, len));
    assert_non_null(strstr(fr, "Créneaux pour region:fes-meknes — 4 membres, 2 h"));
    assert_non_null(strstr(fr, "lundi"));
    free(fr);
    char *ar = propose_text(f, AG_SCHEDULE_TXT, "ar", &len);
    assert_true(ag_utf8_valid(ar, len));
    assert_non_null(strstr(ar, "مواعيد مقترحة"));
    assert_non_null(strstr(ar, "الاثنين"));
    free(ar);
    char *ics = propose_text(f, AG_SCHEDULE_ICS, "fr", &len);
    icalcomponent *c = icalparser_parse_string(ics);
    assert_non_null(c);
    size_t n = 0;
    for (icalcomponent *e = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(c, ICAL_VEVENT_COMPONENT), n++) {
        assert_int_equal(icalcomponent_get_status(e), ICAL_STATUS_TENTATIVE);
        assert_non_null(strstr(icalcomponent_get_uid(e), "@agenda.example.org"));
    }
    assert_int_equal(n, 6);
    icalcomponent_free(c);
    free(ics);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test_setup_teardown(test_unknown_selectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_free_window_comes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_series_all_day_and_holiday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freebusy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probable_holidays_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
