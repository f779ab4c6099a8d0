/* The email channel's MIME message (GMime), its words (the lead time in
 * each language) and its .ics in both languages (libical), and the JSON
 * body shared by the webhook and command channels (jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ics.h"
#include "mail.h"
#include "reminder_json.h"

#include <gmime/gmime.h>
#include <jansson.h>
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

static rem_text sample(void)
{
    rem_text t = {0};
    t.kind = "reminder";
    t.uid = "workshop-1";
    t.url = "http://agenda.test/events/workshop-1.ics";
    t.id = "42";
    t.address = "fes@members.test";
    t.member = "fes-meknes";
    t.sequence = 3;
    t.occurrence = 1775808000;
    t.occurrence_end = 1775818800;
    t.lead = 86400;
    t.tzid = "Africa/Casablanca";
    t.langs[0] = (rem_lang_text){.lang = "ar", .title = "ورشة \"الإعداد\"", .location = "فاس"};
    t.langs[1] = (rem_lang_text){.lang = "fr", .title = "Atelier", .location = NULL};
    t.n_langs = 2;
    return t;
}

static void json_body_has_the_documented_fields(void **state)
{
    (void)state;
    rem_text t = sample();
    char *s = rem_json(&t, "ar", true);
    assert_non_null(s);
    json_error_t e;
    json_t *doc = json_loads(s, 0, &e);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "42");
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "reminder");
    assert_string_equal(json_string_value(json_object_get(doc, "occurrence")),
                        "2026-04-10T08:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(doc, "lead_seconds")), 86400);
    json_t *ev = json_object_get(doc, "event");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ev, "title"), "ar")),
                        "ورشة \"الإعداد\"");
    assert_true(json_is_null(json_object_get(json_object_get(ev, "location"), "fr")));
    assert_int_equal(json_integer_value(json_object_get(ev, "sequence")), 3);
    json_t *rc = json_object_get(doc, "recipient");
    assert_string_equal(json_string_value(json_object_get(rc, "address")), "fes@members.test");
    assert_true(json_is_true(json_object_get(rc, "both_languages")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "urls"), "ics")),
                        t.url);
    json_decref(doc);
    free(s);
}

static void mime_message_is_well_formed(void **state)
{
    (void)state;
    rem_text t = sample();
    char *subject = rem_subject(&t), *text = rem_body_text(&t), *html = rem_body_html(&t);
    assert_non_null(strstr(html, "dir=\"rtl\""));
    assert_non_null(strstr(html, "&quot;")); /* the title's quotes are escaped */
    const char *ics = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n";
    rem_mail m = {.from = "RMCTO <agenda@rmcto.test>",
                  .to = "fes@members.test",
                  .subject = subject,
                  .message_id = "reminder-42@rmcto.test",
                  .date = 1775808000,
                  .text = text,
                  .html = html,
                  .ics = ics,
                  .ics_len = strlen(ics),
                  .cancel = true};
    size_t len;
    char *msg = rem_mail_build(&m, &len);
    assert_non_null(msg);
    assert_int_equal(strlen(msg), len);
    for (size_t i = 0; i < len; i++) {
        assert_true((unsigned char)msg[i] < 128); /* 7-bit: every part encoded */
        if (msg[i] == '\n')
            assert_true(i > 0 && msg[i - 1] == '\r');
    }
    assert_non_null(strstr(msg, "Subject: =?UTF-8?B?")); /* RFC 2047 */
    assert_non_null(strstr(msg, "Message-Id: <reminder-42@rmcto.test>"));
    assert_non_null(strstr(msg, "Date: Fri, 10 Apr 2026 08:00:00 +0000"));
    assert_non_null(strstr(msg, "To: fes@members.test"));
    assert_non_null(strstr(msg, "multipart/mixed"));
    assert_non_null(strstr(msg, "multipart/alternative"));
    assert_non_null(strstr(msg, "text/plain"));
    assert_non_null(strstr(msg, "text/html"));
    assert_non_null(strstr(msg, "text/calendar"));
    assert_non_null(strstr(msg, "method=CANCEL"));
    assert_non_null(strstr(msg, "cancel.ics"));
    free(msg);
    m.to = "not an address, nor another";
    assert_null(rem_mail_build(&m, &len));
    free(subject);
    free(text);
    free(html);
}

static const char *type_of(GMimeObject *o)
{
    static char buf[64];
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    snprintf(buf, sizeof buf, "%s/%s", g_mime_content_type_get_media_type(ct),
             g_mime_content_type_get_media_subtype(ct));
    return buf;
}

/* An invitation: Gmail's structure (mixed { alternative { plain, html,
 * calendar;method }, application/ics invite.ics }), Content-Class, From
 * named as the network (RFC 2047), Reply-To the tagged address, the links
 * in both bodies, in each language. */
static void invitation_mime_tree(void **state)
{
    (void)state;
    rem_text t = sample();
    t.kind = "invite";
    t.accept_url = "http://agenda.test/rsvp/1.0.a.9.1.AAA";
    t.tentative_url = "http://agenda.test/rsvp/1.0.t.9.1.BBB";
    t.decline_url = "http://agenda.test/rsvp/1.0.d.9.1.CCC";
    char *subject = rem_subject(&t), *text = rem_body_text(&t), *html = rem_body_html(&t);
    assert_non_null(strstr(subject, "دعوة: "));
    assert_non_null(strstr(subject, "Invitation : Atelier"));
    assert_non_null(strstr(text, "قبول: http://agenda.test/rsvp/1.0.a.9.1.AAA\n"));
    assert_non_null(strstr(text, "Refuser: http://agenda.test/rsvp/1.0.d.9.1.CCC\n"));
    assert_non_null(strstr(html, "href=\"http://agenda.test/rsvp/1.0.t.9.1.BBB\""));
    const char *ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n";
    rem_mail m = {.from = "rsvp@rmcto.test",
                  .from_name = "الشبكة المغربية",
                  .reply_to = "rsvp+1-1-abc@rmcto.test",
                  .to = "fes@members.test",
                  .subject = subject,
                  .message_id = "reminder-7-invite-0@rmcto.test",
                  .date = 1775808000,
                  .text = text,
                  .html = html,
                  .ics = ics,
                  .ics_len = strlen(ics),
                  .invitation = true};
    size_t len;
    char *raw = rem_mail_build(&m, &len);
    assert_non_null(raw);
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *p = g_mime_parser_new_with_stream(st);
    GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
    assert_non_null(msg);
    /* Among the message's own headers (GMime files Content-* under the
     * top part when it parses, so the text is read). */
    const char *cc = strstr(raw, "\r\nContent-Class: urn:content-classes:calendarmessage\r\n");
    assert_non_null(cc);
    assert_true(cc < strstr(raw, "\r\n\r\n"));
    InternetAddressList *from = g_mime_message_get_from(msg);
    InternetAddress *a = internet_address_list_get_address(from, 0);
    assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
                        "rsvp@rmcto.test");
    assert_string_equal(internet_address_get_name(a), "الشبكة المغربية");
    InternetAddressList *rt = g_mime_message_get_reply_to(msg);
    assert_string_equal(internet_address_mailbox_get_addr(
                            INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(rt, 0))),
                        "rsvp+1-1-abc@rmcto.test");
    GMimeObject *top = g_mime_message_get_mime_part(msg);
    assert_string_equal(type_of(top), "multipart/mixed");
    GMimeMultipart *mixed = GMIME_MULTIPART(top);
    assert_int_equal(g_mime_multipart_get_count(mixed), 2);
    GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
    assert_string_equal(type_of(alt), "multipart/alternative");
    assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(alt)), 3);
    static const char *const alts[] = {"text/plain", "text/html", "text/calendar"};
    for (int i = 0; i < 3; i++)
        assert_string_equal(type_of(g_mime_multipart_get_part(GMIME_MULTIPART(alt), i)), alts[i]);
    GMimeObject *cal = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 2);
    GMimeContentType *ct = g_mime_object_get_content_type(cal);
    assert_string_equal(g_mime_content_type_get_parameter(ct, "method"), "REQUEST");
    assert_null(g_mime_part_get_filename(GMIME_PART(cal)));
    GMimeObject *att = g_mime_multipart_get_part(mixed, 1);
    assert_string_equal(type_of(att), "application/ics");
    assert_string_equal(
        g_mime_content_type_get_parameter(g_mime_object_get_content_type(att), "name"),
        "invite.ics");
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(att)), "invite.ics");
    assert_string_equal(g_mime_object_get_disposition(att), "attachment");
    g_object_unref(msg);
    g_object_unref(p);
    g_object_unref(st);
    /* A CANCEL keeps the structure, its method said. */
    m.cancel = true;
    free(raw);
    raw = rem_mail_build(&m, &len);
    assert_non_null(strstr(raw, "method=CANCEL"));
    assert_null(strstr(raw, "method=REQUEST"));
    free(raw);
    free(subject);
    free(text);
    free(html);
}

static void check_lead(int64_t lead, const char *ar, const char *fr)
{
    char buf[128];
    rem_lead(lead, "ar", buf, sizeof buf);
    assert_string_equal(buf, ar);
    rem_lead(lead, "fr", buf, sizeof buf);
    assert_string_equal(buf, fr);
}

static void lead_in_words_in_each_language(void **state)
{
    (void)state;
    const int64_t m = 60, h = 3600, d = 86400;
    check_lead(1 * d, "يوم واحد", "1 jour");
    check_lead(2 * d, "يومين", "2 jours");
    check_lead(3 * d, "3 أيام", "3 jours");
    check_lead(10 * d, "10 أيام", "10 jours");
    check_lead(11 * d, "11 يومًا", "11 jours");
    check_lead(30 * d, "30 يومًا", "30 jours");
    check_lead(100 * d, "100 يوم", "100 jours");
    check_lead(103 * d, "103 أيام", "103 jours");
    check_lead(1 * h, "ساعة واحدة", "1 heure");
    check_lead(2 * h, "ساعتين", "2 heures");
    check_lead(5 * h, "5 ساعات", "5 heures");
    check_lead(12 * h, "12 ساعة", "12 heures");
    check_lead(1 * m, "دقيقة واحدة", "1 minute");
    check_lead(2 * m, "دقيقتين", "2 minutes");
    check_lead(5 * m, "5 دقائق", "5 minutes");
    check_lead(30 * m, "30 دقيقة", "30 minutes");
    /* Mixed: the largest unit and the next one, the rest dropped. */
    check_lead(d + 12 * h, "يوم واحد و12 ساعة", "1 jour et 12 heures");
    check_lead(2 * d + 2 * h, "يومين وساعتين", "2 jours et 2 heures");
    check_lead(d + 12 * h + 30 * m, "يوم واحد و12 ساعة", "1 jour et 12 heures");
    check_lead(d + 30 * m, "يوم واحد", "1 jour");
    check_lead(2 * h + 30 * m, "ساعتين و30 دقيقة", "2 heures et 30 minutes");
    check_lead(h + m + 59, "ساعة واحدة ودقيقة واحدة", "1 heure et 1 minute");
    check_lead(30, "أقل من دقيقة", "moins d'une minute");
    char buf[64];
    rem_ahead(d, "ar", buf, sizeof buf);
    assert_string_equal(buf, "بعد يوم واحد");
    rem_ahead(d, "fr", buf, sizeof buf);
    assert_string_equal(buf, "dans 1 jour");
    /* Cut short, never in the middle of a character. */
    for (size_t size = 1; size <= sizeof "ساعتين"; size++) {
        rem_lead(2 * h, "ar", buf, size);
        assert_true(strlen(buf) < size);
        assert_true(g_utf8_validate(buf, -1, NULL));
    }
}

/* The message's Subject as a reader sees it: RFC 2047 decoded. */
static char *decoded_subject(const char *msg, size_t len)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    char *subject = m ? strdup(g_mime_message_get_subject(m)) : NULL;
    if (m)
        g_object_unref(m);
    g_object_unref(p);
    g_object_unref(s);
    return subject;
}

static char *message_of(const rem_text *t, size_t *len)
{
    char *subject = rem_subject(t), *text = rem_body_text(t), *html = rem_body_html(t);
    rem_mail m = {.from = "agenda@rmcto.test",
                  .to = "fes@members.test",
                  .subject = subject,
                  .message_id = "reminder-42@rmcto.test",
                  .date = 1775808000,
                  .text = text,
                  .html = html};
    char *msg = rem_mail_build(&m, len);
    free(subject);
    free(text);
    free(html);
    return msg;
}

static void reminder_says_how_far_ahead(void **state)
{
    (void)state;
    rem_text t = sample();
    char *subject = rem_subject(&t);
    assert_string_equal(subject, "تذكير، بعد يوم واحد: ورشة \"الإعداد\" | "
                                 "Rappel, dans 1 jour : Atelier");
    size_t len;
    char *msg = message_of(&t, &len);
    assert_non_null(msg);
    char *decoded = decoded_subject(msg, len);
    assert_non_null(decoded);
    assert_string_equal(decoded, subject);
    free(decoded);
    free(msg);
    free(subject);

    char *text = rem_body_text(&t);
    const char *ar = strstr(text, "\n\nيبدأ هذا الحدث بعد يوم واحد.\n");
    const char *fr = strstr(text, "\n\nCet événement commence dans 1 jour.\n");
    assert_non_null(ar);
    assert_non_null(fr);
    assert_true(ar < fr); /* each in its own language's part */
    free(text);
    char *html = rem_body_html(&t);
    assert_non_null(strstr(html, "</h2>\nيبدأ هذا الحدث بعد يوم واحد.<br>"));
    assert_non_null(strstr(html, "</h2>\nCet événement commence dans 1 jour.<br>"));
    free(html);

    t.lead = 2 * 3600 + 30 * 60;
    t.n_langs = 1;
    subject = rem_subject(&t);
    assert_string_equal(subject, "تذكير، بعد ساعتين و30 دقيقة: ورشة \"الإعداد\"");
    free(subject);
    t.langs[0] = t.langs[1];
    subject = rem_subject(&t);
    assert_string_equal(subject, "Rappel, dans 2 heures et 30 minutes : Atelier");
    free(subject);
}

static void notices_say_no_lead(void **state)
{
    (void)state;
    rem_text t = sample();
    t.kind = "cancel";
    t.lead = 0;
    char *subject = rem_subject(&t), *text = rem_body_text(&t);
    assert_string_equal(subject, "إلغاء: ورشة \"الإعداد\" | Annulé : Atelier");
    assert_null(strstr(text, "بعد"));
    assert_null(strstr(text, "dans"));
    free(subject);
    free(text);
}

static const char *description_of(icalcomponent *cal)
{
    icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    return p ? icalproperty_get_description(p) : NULL;
}

static void ics_in_both_languages(void **state)
{
    (void)state;
    const char *ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                      "METHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:workshop-1\r\n"
                      "DTSTAMP:20260401T000000Z\r\nDTSTART:20260410T080000Z\r\n"
                      "SUMMARY;LANGUAGE=fr:Atelier\r\n"
                      "DESCRIPTION;LANGUAGE=fr:Co-création\\, en salle.\\n\\nProgramme :\r\n"
                      " \\n09:30–10:00 Accueil\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    rem_lang_text fr = {.lang = "fr", .title = "Atelier", .description = "Co-création, en salle."};
    rem_lang_text ar = {.lang = "ar", .title = "ورشة", .description = "إعداد مشترك"};
    size_t len = 0;
    char *out = rem_ics_both_languages(ics, &fr, &ar, &len);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    icalcomponent *cal = icalparser_parse_string(out);
    assert_non_null(cal);
    icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
    assert_string_equal(icalcomponent_get_summary(ev), "Atelier");
    assert_string_equal(description_of(cal), "ورشة\nإعداد مشترك\n\nCo-création, en salle.\n\n"
                                             "Programme :\n09:30–10:00 Accueil");
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    assert_null(icalproperty_get_first_parameter(p, ICAL_LANGUAGE_PARAMETER));
    icalcomponent_free(cal);
    free(out);

    /* The other language missing: the host fell back to the first's text. */
    rem_lang_text fallback = {.lang = "ar", .title = "Atelier", .description = NULL};
    out = rem_ics_both_languages(ics, &fr, &fallback, &len);
    assert_string_equal(out, ics);
    free(out);

    /* No DESCRIPTION yet: the other language's title makes one. */
    const char *bare = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                       "BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260401T000000Z\r\n"
                       "DTSTART:20260410T080000Z\r\nSUMMARY:ورشة\r\nEND:VEVENT\r\n"
                       "END:VCALENDAR\r\n";
    rem_lang_text fr_only = {.lang = "fr", .title = "Atelier"};
    rem_lang_text ar_first = {.lang = "ar", .title = "ورشة"};
    out = rem_ics_both_languages(bare, &ar_first, &fr_only, &len);
    cal = icalparser_parse_string(out);
    assert_string_equal(description_of(cal), "Atelier");
    icalcomponent_free(cal);
    free(out);

    assert_null(rem_ics_both_languages("not a calendar", &fr, &ar, &len));
}

static int setup(void **state)
{
    (void)state;
    rem_mail_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rem_mail_shutdown();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_body_has_the_documented_fields),
        cmocka_unit_test(mime_message_is_well_formed),
        cmocka_unit_test(invitation_mime_tree),
        cmocka_unit_test(lead_in_words_in_each_language),
        cmocka_unit_test(reminder_says_how_far_ahead),
        cmocka_unit_test(notices_say_no_lead),
        cmocka_unit_test(ics_in_both_languages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
