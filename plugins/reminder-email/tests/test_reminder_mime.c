/* The email channel's MIME message (GMime) and the JSON body shared by the
 * webhook and command channels (jansson). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mail.h"
#include "reminder_json.h"

#include <jansson.h>
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
