/* rsvp/'s counting: an event's occurrences, its tally (who it concerns,
 * counted answers, attendance per member and per address), the JSON and
 * CSV of /events/UID/attendance.*, attendance recorded with its errors,
 * the host's checklist link, and the transparency figures on a fixture
 * whose numbers are worked out by hand. */
#include "config.h"
#include "error.h"
#include "rsvp.h"
#include "rsvp_tally.h"
#include "store.h"
#include "store_invitations.h"
#include "store_rsvp.h"
#include "tz.h"

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

/* 2026-06-01T12:00:00Z. Events are in UTC so that instants are plain. */
#define NOW 1780315200LL
#define DAY 86400LL

static const char agendad_yaml[] =
    "base_url: \"http://agenda.test\"\n"
    "timezone: UTC\n"
    "categories:\n"
    "  - {id: transparency, name: {fr: Transparence}, axis: true}\n"
    "  - {id: participation, name: {fr: Participation}, axis: true}\n"
    "  - {id: training, name: {fr: Formation}}\n"
    "invitations: {organizer: rsvp@reseau.test}\n"
    "documents: {minutes_due: 15d}\n";

static const char members_yaml[] =
    "members:\n"
    "  - {id: fes, kind: region, name: {fr: Fès}, emails: [a@fes.test, b@fes.test]}\n"
    "  - {id: taza, kind: commune, region: fes, name: {fr: Taza}, emails: [t@taza.test]}\n"
    "  - {id: oujda, kind: region, name: {fr: Oujda}, emails: [o@oujda.test]}\n";

/* held: 2026-05-01 (one month before NOW), minutes 2026-05-10: on time.
 * series: weekly from 2026-04-06 (Mondays), 4 times, the second one
 * excluded; minutes of 2026-04-07 (on time: before its last + 15 days).
 * late: 2026-03-01, minutes 2026-04-01 (after 15 days): late.
 * future: 2026-07-01. private: members only, publishes attendance. */
static const char events_yaml[] =
    "- uid: held\n"
    "  title: {fr: Concertation}\n"
    "  start: 2026-05-01T09:00\n"
    "  end: 2026-05-01T11:00\n"
    "  host: fes\n"
    "  audience: [fes, taza, oujda]\n"
    "  categories: [transparency]\n"
    "  invitations: true\n"
    "  publish_attendance: true\n"
    "  documents:\n"
    "    - {title: {fr: PV}, kind: minutes, published: 2026-05-10, url: \"https://x.test/pv\"}\n"
    "- uid: series\n"
    "  title: {fr: Conseil}\n"
    "  start: 2026-04-06T18:00\n"
    "  end: 2026-04-06T20:00\n"
    "  host: taza\n"
    "  audience: [taza, oujda]\n"
    "  categories: [participation]\n"
    "  recurrence: {rule: \"FREQ=WEEKLY;COUNT=4\", except: [2026-04-13T18:00]}\n"
    "  invitations: true\n"
    "  publish_attendance: true\n"
    "  documents:\n"
    "    - {title: {fr: PV}, kind: minutes, published: 2026-04-07, url: \"https://x.test/pv2\"}\n"
    "- uid: late\n"
    "  title: {fr: Atelier}\n"
    "  start: 2026-03-01\n"
    "  host: oujda\n"
    "  audience: [oujda]\n"
    "  categories: [participation]\n"
    "  documents:\n"
    "    - {title: {fr: PV}, kind: minutes, published: 2026-04-01, url: \"https://x.test/pv3\"}\n"
    "- uid: future\n"
    "  title: {fr: Bureau}\n"
    "  start: 2026-07-01T09:00\n"
    "  end: 2026-07-01T10:00\n"
    "  host: fes\n"
    "  audience: [fes, taza]\n"
    "  categories: [transparency]\n"
    "  invitations: true\n"
    "- uid: private\n"
    "  title: {fr: Interne}\n"
    "  start: 2026-05-02T09:00\n"
    "  end: 2026-05-02T10:00\n"
    "  host: fes\n"
    "  audience: [fes]\n"
    "  categories: [transparency]\n"
    "  visibility: members\n"
    "  publish_attendance: true\n";

typedef struct {
    char dir[64];
    char db[128];
    ag_config *cfg;
    ag_store *st;
    ag_stored_event *evs;
    size_t n;
} fx;

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void invite(fx *f, const char *uid, const char *address, const char *member)
{
    ag_invitation iv = {.uid = (char *)uid,
                        .address = (char *)address,
                        .member = (char *)member,
                        .created = NOW - 60 * DAY};
    assert_int_equal(ag_store_invitation_add(f->st, &iv, NULL, NULL), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/agendad-tally-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char events[96];
    snprintf(events, sizeof events, "%s/events", f->dir);
    assert_int_equal(mkdir(events, 0700), 0);
    write_file(f->dir, "agendad.yaml", agendad_yaml);
    write_file(f->dir, "members.yaml", members_yaml);
    write_file(f->dir, "events/all.yaml", events_yaml);
    ag_tz_init();
    ag_diags d = {0};
    if (ag_config_load(f->dir, &f->cfg, &d) < 0) {
        ag_diags_print(&d, stderr);
        fail_msg("config does not load");
    }
    ag_diags_free(&d);
    snprintf(f->db, sizeof f->db, "%s/state.db", f->dir);
    assert_int_equal(ag_store_open(f->db, &f->st, NULL), 0);
    assert_int_equal(
        ag_store_reconcile_load(f->st, f->cfg, NOW - 90 * DAY, NULL, &f->evs, &f->n, NULL), 0);
    const char *const inv[][3] = {
        {"held", "a@fes.test", "fes"},     {"held", "b@fes.test", "fes"},
        {"held", "t@taza.test", "taza"},   {"held", "o@oujda.test", "oujda"},
        {"series", "t@taza.test", "taza"}, {"series", "o@oujda.test", "oujda"},
        {"future", "a@fes.test", "fes"},   {"future", "extra@x.test", NULL},
    };
    for (size_t i = 0; i < sizeof inv / sizeof inv[0]; i++)
        invite(f, inv[i][0], inv[i][1], inv[i][2]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_events_free(f->evs, f->n);
    ag_store_close(f->st);
    ag_config_free(f->cfg);
    ag_tz_shutdown();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static const ag_event *event(fx *f, const char *uid)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->evs[i].ev.uid, uid) == 0)
            return &f->evs[i].ev;
    fail_msg("no event %s", uid);
    return NULL;
}

static void reply(fx *f, const char *uid, const char *address, ag_rsvp_partstat p, bool verified)
{
    ag_invitation iv;
    bool found = false;
    assert_int_equal(ag_store_invitation_find(f->st, uid, address, &iv, &found, NULL), 0);
    assert_true(found);
    ag_rsvp_outcome o;
    assert_int_equal(ag_rsvp_record(f->st, iv.id, p, 0, NOW, verified, "mail", NOW, &o, NULL), 0);
    ag_invitation_clear(&iv);
}

static void mark(fx *f, const char *uid, const char *date, const char *present, const char *absent)
{
    const char *p[] = {present}, *a[] = {absent};
    char *err = NULL;
    int rc = ag_rsvp_attendance_record(f->st, f->cfg, event(f, uid), date, p, present ? 1 : 0, a,
                                       absent ? 1 : 0, "cli", NOW, &err);
    if (rc < 0)
        fail_msg("%s", err);
}

static void occurrences_of_a_series(void **state)
{
    fx *f = *state;
    ag_rsvp_occurrence *o;
    size_t n;
    assert_int_equal(ag_rsvp_occurrences(event(f, "series"), &o, &n), 0);
    assert_int_equal(n, 3); /* 4 less the exception */
    assert_string_equal(o[0].date, "2026-04-06");
    assert_string_equal(o[1].date, "2026-04-20");
    assert_string_equal(o[2].date, "2026-04-27");
    assert_int_equal(o[1].end - o[1].start, 7200);
    free(o);
    /* An all-day event: its day. */
    assert_int_equal(ag_rsvp_occurrences(event(f, "late"), &o, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(o[0].date, "2026-03-01");
    assert_int_equal(o[0].end - o[0].start, DAY);
    free(o);
}

static char *json_of(fx *f, const char *uid, const char *occurrence)
{
    ag_rsvp_tally t;
    assert_int_equal(ag_rsvp_tally_event(f->st, f->cfg, event(f, uid), occurrence, &t, NULL), 0);
    char *json;
    size_t len;
    assert_int_equal(ag_rsvp_tally_json(&t, &json, &len), 0);
    assert_int_equal(strlen(json), len);
    ag_rsvp_tally_free(&t);
    return json;
}

/* Answers by member: any contact accepting wins; unverified ones are not
 * counted; attendance per member, a member's own mark over its
 * addresses'; extra addresses are no member. */
static void tally_and_json(void **state)
{
    fx *f = *state;
    reply(f, "held", "a@fes.test", AG_RSVP_DECLINED, true);
    reply(f, "held", "b@fes.test", AG_RSVP_ACCEPTED, true);
    reply(f, "held", "t@taza.test", AG_RSVP_DELEGATED, true);
    reply(f, "held", "o@oujda.test", AG_RSVP_ACCEPTED, false); /* From only */
    mark(f, "held", NULL, "fes", "oujda");
    mark(f, "held", NULL, "t@taza.test", NULL);
    char *json = json_of(f, "held", NULL);
    assert_string_equal(json, "{\"uid\": \"held\", \"occurrence\": \"2026-05-01\", "
                              "\"invited\": [\"fes\", \"oujda\", \"taza\"], "
                              "\"accepted\": [\"fes\"], \"tentative\": [\"taza\"], "
                              "\"declined\": [], \"no_answer\": [\"oujda\"], "
                              "\"attended\": [\"fes\", \"taza\"], \"absent\": [\"oujda\"]}\n");
    free(json);
    assert_null(strchr(json = json_of(f, "future", NULL), '@'));
    assert_non_null(strstr(json, "\"occurrence\": null"));
    free(json);
    /* The member's own mark wins over an address's. */
    mark(f, "held", NULL, NULL, "taza");
    json = json_of(f, "held", NULL);
    assert_non_null(strstr(json, "\"attended\": [\"fes\"], \"absent\": [\"oujda\", \"taza\"]"));
    free(json);
    ag_rsvp_tally t;
    assert_int_equal(ag_rsvp_tally_event(f->st, f->cfg, event(f, "held"), NULL, &t, NULL), 0);
    char *csv;
    size_t len;
    assert_int_equal(ag_rsvp_tally_csv(&t, &csv, &len), 0);
    assert_string_equal(csv, "member,invited,reply,attended\r\n"
                             "fes,yes,accepted,present\r\n"
                             "oujda,yes,no_answer,absent\r\n"
                             "taza,yes,tentative,absent\r\n");
    free(csv);
    ag_rsvp_tally_free(&t);
}

static void series_attendance_per_occurrence(void **state)
{
    fx *f = *state;
    mark(f, "series", "2026-04-06", "taza", "oujda");
    mark(f, "series", "2026-04-20", "oujda", NULL);
    char *json = json_of(f, "series", NULL); /* the latest with marks */
    assert_non_null(strstr(json, "\"occurrence\": \"2026-04-20\""));
    assert_non_null(strstr(json, "\"attended\": [\"oujda\"], \"absent\": []"));
    free(json);
    json = json_of(f, "series", "2026-04-06");
    assert_non_null(strstr(json, "\"attended\": [\"taza\"], \"absent\": [\"oujda\"]"));
    free(json);
}

static void attendance_errors(void **state)
{
    fx *f = *state;
    const char *nobody[] = {"nobody"}, *fes[] = {"fes"}, *addr[] = {"who@else.test"};
    char *err = NULL;
    const ag_event *held = event(f, "held"), *series = event(f, "series");
    assert_int_equal(
        ag_rsvp_attendance_record(f->st, f->cfg, held, NULL, nobody, 1, NULL, 0, "cli", NOW, &err),
        AG_EINVAL);
    assert_non_null(strstr(err, "no member \"nobody\""));
    free(err);
    assert_int_equal(
        ag_rsvp_attendance_record(f->st, f->cfg, held, NULL, fes, 1, fes, 1, "cli", NOW, &err),
        AG_EINVAL);
    free(err);
    /* An address that was not invited: said without repeating it. */
    assert_int_equal(
        ag_rsvp_attendance_record(f->st, f->cfg, held, NULL, addr, 1, NULL, 0, "cli", NOW, &err),
        AG_EINVAL);
    assert_null(strstr(err, "else.test"));
    free(err);
    assert_int_equal(
        ag_rsvp_attendance_record(f->st, f->cfg, series, NULL, fes, 1, NULL, 0, "cli", NOW, &err),
        AG_EINVAL);
    assert_non_null(strstr(err, "2026-04-06"));
    free(err);
    assert_int_equal(ag_rsvp_attendance_record(f->st, f->cfg, series, "2026-04-13", fes, 1, NULL, 0,
                                               "cli", NOW, &err),
                     AG_EINVAL); /* the exception */
    free(err);
}

static void host_links(void **state)
{
    fx *f = *state;
    char *url = NULL, *uid = NULL, *date = NULL;
    int64_t expires = NOW + 30 * DAY;
    assert_int_equal(
        ag_rsvp_host_link(f->st, "http://agenda.test", "held", "2026-05-01", expires, &url, NULL),
        0);
    const char *token = strstr(url, "/attendance/") + strlen("/attendance/");
    ag_rsvp_verdict v;
    assert_int_equal(ag_rsvp_host_link_check(f->st, token, NOW, &uid, &date, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    assert_string_equal(uid, "held");
    assert_string_equal(date, "2026-05-01");
    free(uid);
    free(date);
    assert_int_equal(ag_rsvp_host_link_check(f->st, token, expires, &uid, &date, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_EXPIRED);
    /* Another event under the same signature. */
    char *forged = NULL;
    assert_true(asprintf(&forged, "c2VyaWVz%s", strchr(token, '.')) > 0);
    assert_int_equal(ag_rsvp_host_link_check(f->st, forged, NOW, &uid, &date, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_TAMPERED);
    free(forged);
    assert_int_equal(ag_rsvp_host_link_check(f->st, "x.y", NOW, &uid, &date, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_TAMPERED);
    free(url);
}

/* Worked out by hand over [NOW - 365 d, NOW):
 *   members (events publishing attendance, with invitations):
 *     held concerns fes, taza, oujda; series concerns taza, oujda; the
 *     private event publishes attendance but invites nobody.
 *     fes: invited 1, replied 1 (a verified accept), marked at held and at
 *     private, present at both; taza: invited 2, replied 0, marked once
 *     (series 04-06) present; oujda: invited 2, replied 0 (unverified),
 *     marked at held (absent) and series 04-06 (absent), 04-20 (present).
 *   axes (public events, a series as one ending with its last
 *     occurrence): transparency: held (on time); participation: the series
 *     (ended 04-27, minutes 04-07: on time) and late (minutes after 15
 *     days): 2 held, 1 on time. */
static void transparency_figures(void **state)
{
    fx *f = *state;
    reply(f, "held", "a@fes.test", AG_RSVP_ACCEPTED, true);
    reply(f, "held", "o@oujda.test", AG_RSVP_ACCEPTED, false);
    mark(f, "held", NULL, "fes", "oujda");
    mark(f, "private", NULL, "fes", NULL);
    mark(f, "series", "2026-04-06", "taza", "oujda");
    mark(f, "series", "2026-04-20", "oujda", NULL);
    ag_rsvp_transparency t;
    assert_int_equal(ag_rsvp_transparency_compute(f->st, f->cfg, f->evs, f->n, NOW, &t, NULL), 0);
    char *csv;
    size_t len;
    assert_int_equal(ag_rsvp_transparency_csv(&t, &csv, &len), 0);
    assert_string_equal(csv, "kind,id,invited,replies,marked,present,attendance_rate,held,"
                             "minutes_due,minutes_on_time,minutes_share\r\n"
                             "member,fes,1,1,2,2,100.0,,,,\r\n"
                             "member,taza,2,0,1,1,100.0,,,,\r\n"
                             "member,oujda,2,0,3,1,33.3,,,,\r\n"
                             "axis,transparency,,,,,,1,1,1,100.0\r\n"
                             "axis,participation,,,,,,2,2,1,50.0\r\n");
    free(csv);
    ag_rsvp_transparency_free(&t);
    /* A year later, nothing is in the window. */
    assert_int_equal(
        ag_rsvp_transparency_compute(f->st, f->cfg, f->evs, f->n, NOW + 400 * DAY, &t, NULL), 0);
    assert_int_equal(t.members[0].invited + t.members[0].marked + t.axes[1].held, 0);
    ag_rsvp_transparency_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(occurrences_of_a_series, setup, teardown),
        cmocka_unit_test_setup_teardown(tally_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(series_attendance_per_occurrence, setup, teardown),
        cmocka_unit_test_setup_teardown(attendance_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(host_links, setup, teardown),
        cmocka_unit_test_setup_teardown(transparency_figures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
