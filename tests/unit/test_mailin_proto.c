/* The frame between `agendad mail-in` and the daemon: a head written is
 * read back, a head cut short waits, anything else is refused; the
 * verdict words and the exit codes the MTA acts on. */
#include "error.h"
#include "mailin_proto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void round_trip(void **state)
{
    (void)state;
    char buf[AG_MAILIN_MAX_HEAD];
    int n = ag_mailin_head_write(buf, sizeof buf, 1234, "rsvp+abc@x.example");
    assert_true(n > 0);
    size_t len = 0;
    char *rcpt = NULL;
    /* Every prefix short of the blank line waits for more. */
    for (int k = 0; k < n - 1; k++) {
        assert_int_equal(ag_mailin_head_read(buf, (size_t)k, &len, &rcpt), 0);
        assert_null(rcpt);
    }
    memcpy(buf + n, "From: x", 7); /* the message follows at once */
    assert_int_equal(ag_mailin_head_read(buf, (size_t)n + 7, &len, &rcpt), n);
    assert_int_equal(len, 1234);
    assert_string_equal(rcpt, "rsvp+abc@x.example");
    free(rcpt);
    /* No recipient, or one that cannot be a header line: none. */
    n = ag_mailin_head_write(buf, sizeof buf, 0, "a b@x\nInjected: 1");
    assert_int_equal(ag_mailin_head_read(buf, (size_t)n, &len, &rcpt), n);
    assert_int_equal(len, 0);
    assert_null(rcpt);
    assert_int_equal(ag_mailin_head_write(buf, 10, 1, NULL), AG_ERANGE);
}

static int read_text(const char *head)
{
    size_t len;
    char *rcpt = NULL;
    int rc = ag_mailin_head_read(head, strlen(head), &len, &rcpt);
    free(rcpt);
    return rc;
}

static void refused(void **state)
{
    (void)state;
    assert_int_equal(read_text("GET / HTTP/1.1\n\n"), AG_EINVAL);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 2\nLength: 1\n\n"), AG_EINVAL);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\n\n"), AG_EINVAL); /* no Length */
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\nLength: -1\n\n"), AG_EINVAL);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\nLength: 12x\n\n"), AG_EINVAL);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\nLength 12\n\n"), AG_EINVAL);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\nLength: 10485761\n\n"), AG_ERANGE);
    assert_int_equal(read_text("AGENDAD-MAIL-IN 1\nLength: 99999999999999999999999\n\n"),
                     AG_EINVAL);
    assert_true(read_text("AGENDAD-MAIL-IN 1\nLength: 10485760\nLater: x\n\n") > 0);
    /* A head that never ends is refused once it is too long to be one. */
    char *big = malloc(AG_MAILIN_MAX_HEAD + 1);
    memset(big, 'a', AG_MAILIN_MAX_HEAD);
    big[AG_MAILIN_MAX_HEAD] = '\0';
    assert_int_equal(read_text(big), AG_EINVAL);
    free(big);
    const char nul[] = "AGENDAD-MAIL-IN 1\nLength: 1\0\n\n";
    size_t len;
    char *rcpt = NULL;
    assert_int_equal(ag_mailin_head_read(nul, sizeof nul - 1, &len, &rcpt), AG_EINVAL);
}

static void verdicts(void **state)
{
    (void)state;
    assert_string_equal(ag_mailin_verdict_word(AG_MAILIN_KEPT), "OK");
    assert_string_equal(ag_mailin_verdict_word(AG_MAILIN_DROPPED), "OK");
    assert_string_equal(ag_mailin_verdict_word(AG_MAILIN_BOUNCED), "DATAERR");
    assert_string_equal(ag_mailin_verdict_word(AG_MAILIN_RETRY), "TEMPFAIL");
    assert_int_equal(ag_mailin_exit_code("OK recorded"), EX_OK);
    assert_int_equal(ag_mailin_exit_code("OK"), EX_OK);
    assert_int_equal(ag_mailin_exit_code("DATAERR the calendar is malformed"), EX_DATAERR);
    assert_int_equal(ag_mailin_exit_code("TEMPFAIL busy"), EX_TEMPFAIL);
    assert_int_equal(ag_mailin_exit_code("OKAY"), EX_TEMPFAIL);
    assert_int_equal(ag_mailin_exit_code(""), EX_TEMPFAIL);
    assert_int_equal(ag_mailin_exit_code("HTTP/1.1 400"), EX_TEMPFAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refused),
        cmocka_unit_test(verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
