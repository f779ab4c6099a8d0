/* What mail-in records for each reply fixture (tests/integration/
 * fixtures/mailin/), against a real store with invitations and rsvp's
 * signed reply addresses: verified through the tag, stale, unverified by
 * From, dropped, bounced; the store busy (retry); and log lines that name
 * no address. */
#include "error.h"
#include "mailin.h"
#include "rsvp.h"
#include "store.h"
#include "store_invitations.h"
#include "store_rsvp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "temp_db.h"
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UID "2027-mailin-general-assembly"
#define ORGANIZER "rsvp@reseau.example"

static const char *const invitees[] = {
    "secretariat@fes-meknes.example", "bureau@oriental.example", "contact@souss-massa.example",
    "com@marrakech.example",          "cabinet@rabat.example",   "dg@casablanca.example",
    "presidence@tanger.example",      "cabinet@bmk.example",     "dgs@agadir.example",
    "info@laayoune.example",
};
#define N_INVITEES (sizeof invitees / sizeof invitees[0])

typedef struct {
    char path[64];
    ag_store *st;
    int64_t ids[N_INVITEES];
    char *tags[N_INVITEES];
} fx;

static fx f;

static int invitee(const char *address)
{
    for (size_t i = 0; i < N_INVITEES; i++)
        if (strcmp(invitees[i], address) == 0)
            return (int)i;
    fail_msg("%s is no invitee", address);
    return -1;
}

static char *read_file(const char *name)
{
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/integration/fixtures/mailin/%s", src ? src : "../..",
             name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *raw = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(raw, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return raw;
}

/* text with every `from` replaced by `to`; malloc'd. */
static char *replace(const char *text, const char *from, const char *to)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, from)); p += strlen(from))
        n++;
    char *out = calloc(1, strlen(text) + n * strlen(to) + 1);
    char *o = out;
    for (const char *p = text; *p;)
        if (strncmp(p, from, strlen(from)) == 0) {
            o += sprintf(o, "%s", to);
            p += strlen(from);
        } else {
            *o++ = *p++;
        }
    return out;
}

/* The fixture with {{TAG_ADDRESS}} replaced by the reply address of the
 * invitee its X-Fixture-Tag-Of header names. */
static char *fixture(const char *name)
{
    char *raw = read_file(name);
    const char *tag = ORGANIZER;
    const char *of = strstr(raw, "X-Fixture-Tag-Of: ");
    char who[128];
    if (of && sscanf(of + strlen("X-Fixture-Tag-Of: "), "%127s", who) == 1)
        tag = f.tags[invitee(who)];
    char *out = replace(raw, "{{TAG_ADDRESS}}", tag);
    free(raw);
    return out;
}

static ag_mailin_verdict judge(const char *name, const char **said)
{
    char *msg = fixture(name);
    ag_mailin_reply r;
    assert_int_equal(ag_mailin_parse(msg, strlen(msg), NULL, &r), 0);
    free(msg);
    ag_mailin_verdict v = ag_mailin_judge(f.st, &r, (int64_t)time(NULL), said);
    ag_mailin_reply_clear(&r);
    return v;
}

static size_t replies_of(const char *address, ag_store_rsvp_reply_row *last)
{
    ag_store_rsvp_reply_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(ag_store_rsvp_replies_of(f.st, f.ids[invitee(address)], &rows, &n, NULL), 0);
    if (n && last) {
        *last = rows[n - 1];
        last->partstat = strdup(rows[n - 1].partstat);
        last->via = strdup(rows[n - 1].via);
    }
    ag_store_rsvp_replies_free(rows, n);
    return n;
}

static void expect_row(const char *address, size_t count, const char *partstat, bool verified,
                       ag_store_reply_outcome outcome, int sequence)
{
    ag_store_rsvp_reply_row last = {0};
    assert_int_equal(replies_of(address, &last), count);
    assert_string_equal(last.partstat, partstat);
    assert_int_equal(last.verified, verified);
    assert_int_equal(last.outcome, outcome);
    assert_int_equal(last.sequence, sequence);
    assert_string_equal(last.via, "mail");
    free(last.partstat);
    free(last.via);
}

static void expect(const char *name, ag_mailin_verdict want)
{
    const char *said = NULL;
    ag_mailin_verdict v = judge(name, &said);
    if (v != want)
        fail_msg("%s: verdict %d (%s), expected %d", name, v, said ? said : "?", want);
    assert_non_null(said);
    assert_null(strchr(said, '@'));
}

/* Each client's reply through its reply address: verified, recorded. */
static void client_replies_are_verified(void **state)
{
    (void)state;
    static const struct {
        const char *file, *address, *partstat;
    } cases[] = {
        {"rfc6047-reply.eml", "secretariat@fes-meknes.example", "ACCEPTED"},
        {"rfc5546-reply-declined.eml", "bureau@oriental.example", "DECLINED"},
        {"outlook-accepted.eml", "contact@souss-massa.example", "ACCEPTED"},
        {"gmail-accepted.eml", "cabinet@rabat.example", "ACCEPTED"},
        {"thunderbird-tentative.eml", "dg@casablanca.example", "TENTATIVE"},
        {"apple-accepted-qp.eml", "presidence@tanger.example", "ACCEPTED"},
        {"request-echo-accepted.eml", "cabinet@bmk.example", "ACCEPTED"},
        {"rfc5546-delegated.eml", "dgs@agadir.example", "DELEGATED"},
        /* No calendar: the invitation's current SEQUENCE. */
        {"outlook-stripped-declined.eml", "com@marrakech.example", "DECLINED"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect(cases[i].file, AG_MAILIN_KEPT);
        expect_row(cases[i].address, 1, cases[i].partstat, true, AG_STORE_REPLY_RECORDED, 1);
    }
    ag_store_rsvp_reply_row last = {0};
    replies_of("com@marrakech.example", &last);
    struct tm tm = {.tm_year = 126, .tm_mon = 11, .tm_mday = 1, .tm_hour = 12};
    assert_int_equal(last.dtstamp, (int64_t)timegm(&tm)); /* its Date header */
    free(last.partstat);
    free(last.via);
}

static void stale_unverified_dropped_bounced(void **state)
{
    (void)state;
    expect("rfc6047-reply.eml", AG_MAILIN_KEPT);
    /* SEQUENCE 0 after the re-invitation at 1: kept as stale. */
    expect("stale-sequence.eml", AG_MAILIN_KEPT);
    expect_row("secretariat@fes-meknes.example", 2, "DECLINED", true, AG_STORE_REPLY_STALE, 0);
    /* No tag: matched by From, unverified. */
    expect("forged-from-untagged.eml", AG_MAILIN_KEPT);
    expect_row("info@laayoune.example", 1, "ACCEPTED", false, AG_STORE_REPLY_UNVERIFIED, 1);
    /* Nothing stored for these. */
    expect("rfc5546-delegate-accepts.eml", AG_MAILIN_DROPPED);
    expect("unknown-uid.eml", AG_MAILIN_DROPPED);
    expect("uninvited.eml", AG_MAILIN_DROPPED);
    expect("occurrence-only.eml", AG_MAILIN_DROPPED);
    expect("out-of-office.eml", AG_MAILIN_DROPPED);
    expect("rfc5546-counter.eml", AG_MAILIN_DROPPED);
    expect("malformed-ical.eml", AG_MAILIN_BOUNCED);
    expect("malformed-no-attendee.eml", AG_MAILIN_BOUNCED);
    assert_int_equal(replies_of("secretariat@fes-meknes.example", NULL), 2);
    assert_int_equal(replies_of("dgs@agadir.example", NULL), 0);
    assert_int_equal(replies_of("bureau@oriental.example", NULL), 0);
    assert_int_equal(replies_of("cabinet@rabat.example", NULL), 0);
}

/* A verified tag of one invitation does not vouch for another event's
 * reply, nor for another attendee: they fall back to From. */
static void tag_binds_event_and_attendee(void **state)
{
    (void)state;
    char *raw = fixture("rfc6047-reply.eml");
    /* From and ATTENDEE are another invitee of the same event. */
    char *msg = replace(raw, "secretariat@fes-meknes.example", "bureau@oriental.example");
    free(raw);
    ag_mailin_reply r;
    assert_int_equal(ag_mailin_parse(msg, strlen(msg), NULL, &r), 0);
    free(msg);
    const char *said;
    assert_int_equal(ag_mailin_judge(f.st, &r, (int64_t)time(NULL), &said), AG_MAILIN_KEPT);
    ag_mailin_reply_clear(&r);
    expect_row("bureau@oriental.example", 1, "ACCEPTED", false, AG_STORE_REPLY_UNVERIFIED, 1);
    assert_int_equal(replies_of("secretariat@fes-meknes.example", NULL), 0);
}

/* The envelope recipient the MTA gives counts like Delivered-To. */
static void envelope_recipient_carries_the_tag(void **state)
{
    (void)state;
    char *file = read_file("rfc6047-reply.eml");
    char *raw = replace(file, "{{TAG_ADDRESS}}", ORGANIZER);
    free(file);
    ag_mailin_reply r;
    assert_int_equal(ag_mailin_parse(raw, strlen(raw), f.tags[0], &r), 0);
    free(raw);
    const char *said;
    assert_int_equal(ag_mailin_judge(f.st, &r, (int64_t)time(NULL), &said), AG_MAILIN_KEPT);
    ag_mailin_reply_clear(&r);
    expect_row("secretariat@fes-meknes.example", 1, "ACCEPTED", true, AG_STORE_REPLY_RECORDED, 1);
}

/* Another process holding the write lock: the mail system retries. */
static void busy_store_asks_for_a_retry(void **state)
{
    (void)state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    ag_store_set_busy_timeout(f.st, 10);
    const char *said;
    assert_int_equal(judge("rfc6047-reply.eml", &said), AG_MAILIN_RETRY);
    assert_null(strchr(said, '@'));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_int_equal(judge("rfc6047-reply.eml", &said), AG_MAILIN_KEPT);
}

/* Every line the judge logs, for every fixture: no invitee's address,
 * nor any other address of the fixtures. */
static void log_names_no_address(void **state)
{
    (void)state;
    char log[] = "/tmp/agendad-mailin-log-XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    static const char *const files[] = {
        "rfc6047-reply.eml",     "stale-sequence.eml",  "forged-from-untagged.eml",
        "uninvited.eml",         "unknown-uid.eml",     "rfc5546-delegate-accepts.eml",
        "malformed-ical.eml",    "out-of-office.eml",   "outlook-stripped-declined.eml",
        "apple-accepted-qp.eml", "occurrence-only.eml", "rfc5546-counter.eml",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *said;
        judge(files[i], &said);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *fp = fdopen(fd, "r");
    fseek(fp, 0, SEEK_SET);
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, fp)) {
        lines++;
        assert_null(strchr(line, '@'));
        assert_non_null(strstr(line, "mail-in: "));
    }
    fclose(fp);
    unlink(log);
    assert_int_equal(lines, (int)(sizeof files / sizeof files[0])); /* one line each */
}

static int setup(void **state)
{
    (void)state;
    memset(&f, 0, sizeof f);
    temp_db_name(f.path, sizeof f.path, "mailin");
    char *err = NULL;
    if (ag_store_open(f.path, &f.st, &err) < 0)
        fail_msg("%s", err);
    for (size_t i = 0; i < N_INVITEES; i++) {
        ag_invitation iv = {.uid = UID,
                            .address = (char *)invitees[i],
                            .sequence = 0,
                            .created = (int64_t)time(NULL)};
        assert_int_equal(ag_store_invitation_add(f.st, &iv, &f.ids[i], NULL), 0);
        /* The event moved once: invited again at SEQUENCE 1. */
        assert_int_equal(ag_store_invitation_set(f.st, f.ids[i], 1, false, NULL), 0);
        assert_int_equal(ag_rsvp_reply_address(f.st, ORGANIZER, f.ids[i], &f.tags[i], NULL), 0);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ag_store_close(f.st);
    for (size_t i = 0; i < N_INVITEES; i++)
        free(f.tags[i]);
    temp_db_remove(f.path);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    ag_mailin_init();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    ag_mailin_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(client_replies_are_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_unverified_dropped_bounced, setup, teardown),
        cmocka_unit_test_setup_teardown(tag_binds_event_and_attendee, setup, teardown),
        cmocka_unit_test_setup_teardown(envelope_recipient_carries_the_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_store_asks_for_a_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(log_names_no_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
