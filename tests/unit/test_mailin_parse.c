/* The mail-in parser on every reply fixture of
 * tests/integration/fixtures/mailin/ (README.md there says where each
 * shape comes from), and on the edges the fixtures do not show. */
#include "mailin.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAG "rsvp+t4g@reseau.example"
#define UID "2027-mailin-general-assembly"

/* The fixture's bytes with {{TAG_ADDRESS}} replaced by TAG; malloc'd. */
static char *fixture(const char *name, size_t *len)
{
    const char *src = getenv("AGENDAD_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/integration/fixtures/mailin/%s", src ? src : "../..",
             name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *raw = malloc((size_t)n + 1);
    assert_int_equal(fread(raw, 1, (size_t)n, f), (size_t)n);
    raw[n] = '\0';
    fclose(f);
    static const char ph[] = "{{TAG_ADDRESS}}";
    char *out = malloc((size_t)n * 2 + 64);
    char *o = out;
    for (const char *p = raw; *p;) {
        if (strncmp(p, ph, sizeof ph - 1) == 0) {
            o += sprintf(o, "%s", TAG);
            p += sizeof ph - 1;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    free(raw);
    *len = (size_t)(o - out);
    return out;
}

static void parse_fixture(const char *name, ag_mailin_reply *r)
{
    size_t len;
    char *msg = fixture(name, &len);
    assert_int_equal(ag_mailin_parse(msg, len, NULL, r), 0);
    free(msg);
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static bool has_recipient(const ag_mailin_reply *r, const char *a)
{
    for (size_t i = 0; i < r->n_recipients; i++)
        if (strcmp(r->recipients[i], a) == 0)
            return true;
    return false;
}

/* A REPLY for UID at sequence, stamped, whose one attendee answered. */
static void expect_reply(const char *name, const char *address, ag_mailin_partstat p, int sequence,
                         int64_t dtstamp)
{
    ag_mailin_reply r;
    parse_fixture(name, &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_string_equal(r.uid, UID);
    assert_int_equal(r.sequence, sequence);
    assert_int_equal(r.dtstamp, dtstamp);
    assert_int_equal(r.n_attendees, 1);
    const ag_mailin_attendee *a = ag_mailin_attendee_find(&r, address);
    assert_non_null(a);
    assert_int_equal(a->partstat, p);
    assert_string_equal(r.from, address);
    assert_true(has_recipient(&r, TAG));
    ag_mailin_reply_clear(&r);
}

static void rfc_replies(void **state)
{
    (void)state;
    expect_reply("rfc6047-reply.eml", "secretariat@fes-meknes.example", AG_MAILIN_ACCEPTED, 1,
                 utc(2026, 12, 1, 9, 0));
    expect_reply("rfc5546-reply-declined.eml", "bureau@oriental.example", AG_MAILIN_DECLINED, 1,
                 utc(2026, 12, 1, 10, 0));
}

/* Each client's shape: base64 in multipart/alternative (Outlook, Gmail),
 * 8bit beside an attached invite.ics (Thunderbird), quoted-printable with
 * the whole event and Arabic text (Apple), the REQUEST sent back. */
static void client_replies(void **state)
{
    (void)state;
    /* Outlook writes the address as the directory has it: compared lowercased. */
    expect_reply("outlook-accepted.eml", "contact@souss-massa.example", AG_MAILIN_ACCEPTED, 1,
                 utc(2026, 12, 1, 11, 0));
    expect_reply("gmail-accepted.eml", "cabinet@rabat.example", AG_MAILIN_ACCEPTED, 1,
                 utc(2026, 12, 1, 13, 0));
    expect_reply("thunderbird-tentative.eml", "dg@casablanca.example", AG_MAILIN_TENTATIVE, 1,
                 utc(2026, 12, 1, 14, 0));
    expect_reply("apple-accepted-qp.eml", "presidence@tanger.example", AG_MAILIN_ACCEPTED, 1,
                 utc(2026, 12, 1, 15, 0));
    expect_reply("request-echo-accepted.eml", "cabinet@bmk.example", AG_MAILIN_ACCEPTED, 1,
                 utc(2026, 12, 1, 16, 0));
}

static void outlook_without_calendar(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_fixture("outlook-stripped-declined.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_SUBJECT);
    assert_int_equal(r.subject_answer, AG_MAILIN_DECLINED);
    assert_int_equal(r.dtstamp, utc(2026, 12, 1, 12, 0)); /* the Date header */
    assert_null(r.uid);
    assert_string_equal(r.from, "com@marrakech.example");
    assert_true(has_recipient(&r, TAG));
    ag_mailin_reply_clear(&r);
}

static void delegation(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_fixture("rfc5546-delegated.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_int_equal(r.attendees[0].partstat, AG_MAILIN_DELEGATED);
    assert_string_equal(r.attendees[0].address, "dgs@agadir.example");
    assert_string_equal(r.attendees[0].delegated_to, "adjoint@agadir.example");
    assert_null(r.attendees[0].delegated_from);
    ag_mailin_reply_clear(&r);
    parse_fixture("rfc5546-delegate-accepts.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_int_equal(r.attendees[0].partstat, AG_MAILIN_ACCEPTED);
    assert_string_equal(r.attendees[0].address, "adjoint@agadir.example");
    assert_string_equal(r.attendees[0].delegated_from, "dgs@agadir.example");
    ag_mailin_reply_clear(&r);
}

/* What the judge tells apart later: these parse as plain replies. */
static void replies_judged_later(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_fixture("forged-from-untagged.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_int_equal(r.n_recipients, 1);
    assert_string_equal(r.recipients[0], "rsvp@reseau.example");
    ag_mailin_reply_clear(&r);
    parse_fixture("stale-sequence.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_int_equal(r.sequence, 0);
    assert_int_equal(r.attendees[0].partstat, AG_MAILIN_DECLINED);
    ag_mailin_reply_clear(&r);
    parse_fixture("unknown-uid.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_string_equal(r.uid, "no-such-event@elsewhere.example");
    ag_mailin_reply_clear(&r);
    parse_fixture("uninvited.eml", &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_string_equal(r.attendees[0].address, "stranger@elsewhere.example");
    assert_string_equal(r.from, "stranger@elsewhere.example");
    ag_mailin_reply_clear(&r);
}

static void expect_kind(const char *name, ag_mailin_kind kind)
{
    ag_mailin_reply r;
    parse_fixture(name, &r);
    assert_int_equal(r.kind, kind);
    assert_non_null(r.why);
    /* Said in a log line and a bounce: no address in it. */
    assert_null(strchr(r.why, '@'));
    ag_mailin_reply_clear(&r);
}

static void malformed_and_not_replies(void **state)
{
    (void)state;
    expect_kind("malformed-ical.eml", AG_MAILIN_MALFORMED);
    expect_kind("malformed-no-attendee.eml", AG_MAILIN_MALFORMED);
    expect_kind("out-of-office.eml", AG_MAILIN_NOT_REPLY);
    expect_kind("rfc5546-counter.eml", AG_MAILIN_NOT_REPLY);
    expect_kind("occurrence-only.eml", AG_MAILIN_NOT_REPLY);
}

static void parse_text(const char *msg, const char *envelope, ag_mailin_reply *r)
{
    assert_int_equal(ag_mailin_parse(msg, strlen(msg), envelope, r), 0);
}

/* The envelope recipient first, then Delivered-To (each), X-Original-To,
 * To (groups opened), Cc; each once, as written. */
static void recipients_in_order(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_text("Delivered-To: rsvp+A@x.example\n"
               "Delivered-To: rsvp@x.example\n"
               "X-Original-To: rsvp+B@x.example\n"
               "To: team: one@x.example, Rsvp+C@x.example;, rsvp+A@x.example\n"
               "Cc: \"Name\" <rsvp+D@x.example>\n"
               "From: someone@x.example\n"
               "Subject: hello\n\nbody\n",
               "rsvp+E@x.example", &r);
    const char *want[] = {"rsvp+E@x.example", "rsvp+A@x.example", "rsvp@x.example",
                          "rsvp+B@x.example", "one@x.example",    "Rsvp+C@x.example",
                          "rsvp+D@x.example"};
    assert_int_equal(r.n_recipients, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.n_recipients; i++)
        assert_string_equal(r.recipients[i], want[i]);
    assert_int_equal(r.kind, AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
}

/* French Outlook (a no-break space before the colon), and an answer's
 * subject on a message that answers nothing. */
static void subject_prefixes(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_text("From: a@x.example\nIn-Reply-To: <i@x>\n"
               "Subject: =?utf-8?Q?Accept=C3=A9=C2=A0:_R=C3=A9union?=\n\n\n",
               NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_SUBJECT);
    assert_int_equal(r.subject_answer, AG_MAILIN_ACCEPTED);
    assert_int_equal(r.dtstamp, 0); /* no Date */
    ag_mailin_reply_clear(&r);
    parse_text("From: a@x.example\nReferences: <i@x>\nSubject: Provisoire : R\n\n\n", NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_SUBJECT);
    assert_int_equal(r.subject_answer, AG_MAILIN_TENTATIVE);
    ag_mailin_reply_clear(&r);
    parse_text("From: a@x.example\nSubject: Accepted: R\n\n\n", NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
    parse_text("From: a@x.example\nIn-Reply-To: <i@x>\nSubject: Accepted R\n\n\n", NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
}

#define CAL_REPLY                                                                                  \
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"        \
    "UID:u1\r\nDTSTAMP:20261201T090000Z\r\n"                                                       \
    "ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:A@X.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

/* A forwarded message's calendar is someone else's answer. */
static void forwarded_reply_is_not_read(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_text("From: b@x.example\nMIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
               "Content-Type: message/rfc822\n\n"
               "From: a@x.example\nContent-Type: text/calendar; method=REPLY\n\n" CAL_REPLY
               "\n--b--\n",
               NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
    /* The same calendar as the message's own part, named only by its file
     * name, without a METHOD of the part's: read. SEQUENCE absent is 0. */
    parse_text("From: a@x.example\nMIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
               "Content-Type: application/octet-stream; name=reply.ics\n"
               "Content-Disposition: attachment; filename=reply.ics\n\n" CAL_REPLY "\n--b--\n",
               NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_string_equal(r.uid, "u1");
    assert_int_equal(r.sequence, 0);
    assert_string_equal(r.attendees[0].address, "a@x.example");
    ag_mailin_reply_clear(&r);
}

/* A malformed calendar and a good one: the good one counts. */
static void first_good_reply_wins(void **state)
{
    (void)state;
    ag_mailin_reply r;
    parse_text("From: a@x.example\nMIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
               "Content-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\nMETHOD:REPLY\n"
               "garbage\nEND:VCALENDAR\n\n--b\n"
               "Content-Type: text/calendar; method=REPLY\n\n" CAL_REPLY "\n--b--\n",
               NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_REPLY);
    assert_string_equal(r.uid, "u1");
    ag_mailin_reply_clear(&r);
}

/* A calendar part larger than AG_MAILIN_MAX_CALENDAR is not read. */
static void oversized_calendar_is_skipped(void **state)
{
    (void)state;
    size_t pad = AG_MAILIN_MAX_CALENDAR + 10;
    const char *head = "From: a@x.example\nContent-Type: text/calendar; method=REPLY\n\n";
    char *msg = malloc(strlen(head) + strlen(CAL_REPLY) + pad + 1);
    strcpy(msg, head);
    strcat(msg, CAL_REPLY);
    size_t at = strlen(msg);
    memset(msg + at, ' ', pad);
    msg[at + pad] = '\0';
    ag_mailin_reply r;
    parse_text(msg, NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
    free(msg);
}

static void garbage_and_empty(void **state)
{
    (void)state;
    ag_mailin_reply r;
    assert_int_equal(ag_mailin_parse("", 0, NULL, &r), 0);
    assert_true(r.kind == AG_MAILIN_MALFORMED || r.kind == AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
    /* A calendar cut short is malformed: bounced, not dropped. */
    parse_text("From: a@x.example\nContent-Type: text/calendar; method=REPLY\n\n"
               "BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:u1\n",
               NULL, &r);
    assert_int_equal(r.kind, AG_MAILIN_MALFORMED);
    ag_mailin_reply_clear(&r);
    const char bin[] = "\x00\xff\xfe\n\n\x01";
    assert_int_equal(ag_mailin_parse(bin, sizeof bin, NULL, &r), 0);
    assert_true(r.kind == AG_MAILIN_MALFORMED || r.kind == AG_MAILIN_NOT_REPLY);
    ag_mailin_reply_clear(&r);
}

static int setup(void **state)
{
    (void)state;
    ag_mailin_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ag_mailin_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_replies),
        cmocka_unit_test(client_replies),
        cmocka_unit_test(outlook_without_calendar),
        cmocka_unit_test(delegation),
        cmocka_unit_test(replies_judged_later),
        cmocka_unit_test(malformed_and_not_replies),
        cmocka_unit_test(recipients_in_order),
        cmocka_unit_test(subject_prefixes),
        cmocka_unit_test(forwarded_reply_is_not_read),
        cmocka_unit_test(first_good_reply_wins),
        cmocka_unit_test(oversized_calendar_is_skipped),
        cmocka_unit_test(garbage_and_empty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
