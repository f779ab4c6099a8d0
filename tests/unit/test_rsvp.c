/* rsvp/: reply addresses and one-click links that verify only as signed,
 * for their invitation, SEQUENCE and time; keys that rotate with a grace;
 * forms used once; replies recorded, stale or unverified as the contract
 * says; the per-address rate of one-click answers; retention. */
#include "error.h"
#include "rsvp.h"
#include "store.h"
#include "store_invitations.h"
#include "store_rsvp.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "temp_db.h"

#include "raw_sql.h"

#define NOW ((int64_t)time(NULL))
#define END (NOW + 30 * 86400)

typedef struct {
    char path[64];
    ag_store *st;
    int64_t inv, other;
} fx;

static int64_t add_invitation(ag_store *st, const char *uid, const char *address,
                              const char *member)
{
    ag_invitation iv = {.uid = (char *)uid,
                        .address = (char *)address,
                        .member = (char *)member,
                        .sequence = 0,
                        .created = NOW};
    int64_t id = 0;
    char *err = NULL;
    int rc = ag_store_invitation_add(st, &iv, &id, &err);
    if (rc < 0)
        fail_msg("%s", err);
    return id;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    temp_db_name(f->path, sizeof f->path, "rsvp");
    assert_int_equal(ag_store_open(f->path, &f->st, NULL), 0);
    f->inv = add_invitation(f->st, "ev-1@reseau.example", "Contact@Fes.example", "fes");
    f->other = add_invitation(f->st, "ev-1@reseau.example", "bureau@taza.example", "taza");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ag_store_close(f->st);
    temp_db_remove(f->path);
    free(f);
    return 0;
}

static ag_invitation get(fx *f, int64_t id)
{
    ag_invitation iv;
    bool found = false;
    assert_int_equal(ag_store_invitation_get(f->st, id, &iv, &found, NULL), 0);
    assert_true(found);
    return iv;
}

static void parse(fx *f, const char *address, bool valid, int64_t id)
{
    int64_t got = -1;
    bool ok = !valid;
    assert_int_equal(ag_rsvp_reply_address_parse(f->st, address, &got, &ok, NULL), 0);
    assert_int_equal(ok, valid);
    if (valid)
        assert_int_equal(got, id);
}

static void reply_address_round_trip(void **state)
{
    fx *f = *state;
    char *a = NULL;
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@reseau.example", f->inv, &a, NULL), 0);
    assert_true(strncmp(a, "rsvp+", 5) == 0);
    assert_non_null(strstr(a, "@reseau.example"));
    assert_null(strstr(a, "fes")); /* names no address, no member */
    parse(f, a, true, f->inv);
    /* Mail systems may change case. */
    char *upper = strdup(a);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    parse(f, upper, true, f->inv);
    free(upper);
    /* The same key signs again: the same address. */
    char *b = NULL;
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@reseau.example", f->inv, &b, NULL), 0);
    assert_string_equal(a, b);
    free(b);
    free(a);
}

static void reply_address_refuses_forgery(void **state)
{
    fx *f = *state;
    char *a = NULL;
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@reseau.example", f->inv, &a, NULL), 0);
    /* Another invitation's id under the same MAC. */
    char *forged = NULL;
    const char *dash = strchr(a, '-');
    assert_true(asprintf(&forged, "rsvp+%lld%s", (long long)f->other, dash) > 0);
    parse(f, forged, false, 0);
    free(forged);
    /* One character of the MAC changed. */
    char *t = strdup(a);
    char *at = strchr(t, '@');
    at[-1] = at[-1] == 'a' ? 'b' : 'a';
    parse(f, t, false, 0);
    free(t);
    parse(f, "rsvp@reseau.example", false, 0);
    parse(f, "rsvp+@reseau.example", false, 0);
    parse(f, "rsvp+1-1@reseau.example", false, 0);
    parse(f, "rsvp+1-99-aaaaaaaaaaaaaaaa@reseau.example", false, 0); /* no key 99 */
    parse(f, "no address at all", false, 0);
    free(a);
    char *err = NULL;
    assert_int_equal(ag_rsvp_reply_address(f->st, "no-domain", f->inv, &a, &err), AG_EINVAL);
    assert_non_null(err);
    free(err);
    assert_int_equal(ag_rsvp_reply_address(f->st, "a+b@x.example", f->inv, &a, NULL), AG_EINVAL);
}

/* A rotation keeps old addresses valid for the grace; a rotation without
 * grace (a leaked key) ends them at once. The new key signs. */
static void key_rotation(void **state)
{
    fx *f = *state;
    char *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@x.example", f->inv, &a, NULL), 0);
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(ag_rsvp_key_rotate(f->st, NOW, 3600, &id1, NULL), 0);
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@x.example", f->inv, &b, NULL), 0);
    assert_string_not_equal(a, b);
    parse(f, a, true, f->inv); /* within the grace */
    parse(f, b, true, f->inv);
    assert_int_equal(ag_rsvp_key_rotate(f->st, NOW, 0, &id2, NULL), 0);
    assert_true(id2 > id1);
    parse(f, a, true, f->inv); /* its grace was set by the first rotation */
    parse(f, b, false, 0);     /* retired at once */
    assert_int_equal(ag_rsvp_reply_address(f->st, "rsvp@x.example", f->inv, &c, NULL), 0);
    parse(f, c, true, f->inv);
    ag_store_rsvp_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(ag_store_rsvp_keys(f->st, &keys, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_true(keys[0].retired > NOW);
    assert_true(keys[1].retired <= NOW);
    assert_int_equal(keys[2].retired, 0);
    free(keys);
    free(a);
    free(b);
    free(c);
}

static char *link_for(fx *f, int64_t id, const char *answer, int64_t expires)
{
    ag_invitation iv = get(f, id);
    char *url = NULL;
    assert_int_equal(
        ag_rsvp_link(f->st, "https://agenda.example", &iv, answer, expires, &url, NULL), 0);
    ag_invitation_clear(&iv);
    const char *prefix = "https://agenda.example/rsvp/";
    assert_true(strncmp(url, prefix, strlen(prefix)) == 0);
    char *token = strdup(url + strlen(prefix));
    free(url);
    return token;
}

static ag_rsvp_verdict verdict_of(fx *f, const char *token, int64_t now)
{
    ag_rsvp_link_info info;
    ag_rsvp_verdict v;
    assert_int_equal(ag_rsvp_link_check(f->st, token, now, &info, &v, NULL), 0);
    ag_rsvp_link_info_clear(&info);
    return v;
}

static void links_verify(void **state)
{
    fx *f = *state;
    char *t = link_for(f, f->inv, "accept", END);
    assert_null(strchr(t, '@'));
    ag_rsvp_link_info info;
    ag_rsvp_verdict v;
    assert_int_equal(ag_rsvp_link_check(f->st, t, NOW, &info, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    assert_int_equal(info.invitation, f->inv);
    assert_int_equal(info.answer, AG_RSVP_ACCEPTED);
    assert_string_equal(info.uid, "ev-1@reseau.example");
    ag_rsvp_link_info_clear(&info);
    /* The answer, the invitation, the expiry, the MAC: each changed is
     * tampering. */
    char *x = strdup(t);
    *strstr(x, ".a.") = '\0';
    char *swapped = NULL;
    assert_true(asprintf(&swapped, "%s.d.%s", x, strstr(t, ".a.") + 3) > 0);
    assert_int_equal(verdict_of(f, swapped, NOW), AG_RSVP_TAMPERED);
    free(swapped);
    free(x);
    char *other = NULL;
    assert_true(asprintf(&other, "%lld%s", (long long)f->other, strchr(t, '.')) > 0);
    assert_int_equal(verdict_of(f, other, NOW), AG_RSVP_TAMPERED);
    free(other);
    x = strdup(t);
    x[strlen(x) - 1] = x[strlen(x) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(verdict_of(f, x, NOW), AG_RSVP_TAMPERED);
    free(x);
    assert_int_equal(verdict_of(f, "1.0.a.99.1", NOW), AG_RSVP_TAMPERED);
    assert_int_equal(verdict_of(f, "", NOW), AG_RSVP_TAMPERED);
    assert_int_equal(verdict_of(f, "../../etc", NOW), AG_RSVP_TAMPERED);
    /* Once the event ended. */
    assert_int_equal(verdict_of(f, t, END), AG_RSVP_EXPIRED);
    assert_int_equal(verdict_of(f, t, END - 1), AG_RSVP_VALID);
    /* Sent again at a new SEQUENCE: the old link is outdated, the new one
     * good; withdrawn: outdated too. */
    assert_int_equal(ag_store_invitation_set(f->st, f->inv, 1, false, NULL), 0);
    assert_int_equal(verdict_of(f, t, NOW), AG_RSVP_OUTDATED);
    char *t1 = link_for(f, f->inv, "decline", END);
    assert_int_equal(verdict_of(f, t1, NOW), AG_RSVP_VALID);
    assert_int_equal(ag_store_invitation_set(f->st, f->inv, 1, true, NULL), 0);
    assert_int_equal(verdict_of(f, t1, NOW), AG_RSVP_OUTDATED);
    free(t1);
    free(t);
    char *url = NULL;
    ag_invitation iv = get(f, f->inv);
    assert_int_equal(ag_rsvp_link(f->st, "", &iv, "maybe", END, &url, NULL), AG_EINVAL);
    ag_invitation_clear(&iv);
}

static void link_key_retired(void **state)
{
    fx *f = *state;
    char *t = link_for(f, f->inv, "tentative", END);
    int64_t id;
    assert_int_equal(ag_rsvp_key_rotate(f->st, NOW, 600, &id, NULL), 0);
    assert_int_equal(verdict_of(f, t, NOW), AG_RSVP_VALID);
    assert_int_equal(verdict_of(f, t, NOW + 600), AG_RSVP_EXPIRED);
    free(t);
}

static void forms_once_and_in_time(void **state)
{
    fx *f = *state;
    char *t = link_for(f, f->inv, "accept", END);
    char *form = NULL, *nonce = NULL;
    ag_rsvp_verdict v;
    assert_int_equal(ag_rsvp_form_token(f->st, t, NOW, &form, NULL), 0);
    assert_int_equal(ag_rsvp_form_check(f->st, t, form, NOW + 5, &nonce, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    assert_non_null(nonce);
    free(nonce);
    /* Another link's form, an old one, a changed one. */
    assert_int_equal(ag_rsvp_form_check(f->st, "other", form, NOW, &nonce, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_TAMPERED);
    assert_int_equal(ag_rsvp_form_check(f->st, t, form, NOW + AG_RSVP_FORM_TTL, &nonce, &v, NULL),
                     0);
    assert_int_equal(v, AG_RSVP_FORM_EXPIRED);
    char *x = strdup(form);
    x[0] = x[0] == 'A' ? 'B' : 'A';
    assert_int_equal(ag_rsvp_form_check(f->st, t, x, NOW, &nonce, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_TAMPERED);
    free(x);
    assert_int_equal(ag_rsvp_form_check(f->st, t, NULL, NOW, &nonce, &v, NULL), 0);
    assert_int_equal(v, AG_RSVP_TAMPERED);
    /* Posted: recorded; posted again: a replay, nothing more recorded. */
    ag_rsvp_outcome o;
    assert_int_equal(ag_rsvp_answer(f->st, t, form, NOW, &v, &o, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    assert_int_equal(o, AG_RSVP_RECORDED);
    assert_int_equal(ag_rsvp_answer(f->st, t, form, NOW, &v, &o, NULL), 0);
    assert_int_equal(v, AG_RSVP_REPLAYED);
    ag_store_rsvp_reply_row *rows;
    size_t n;
    assert_int_equal(ag_store_rsvp_replies_of(f->st, f->inv, &rows, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].via, "link");
    assert_true(rows[0].verified);
    ag_store_rsvp_replies_free(rows, n);
    free(form);
    free(t);
}

static const char *answer_of(fx *f, int64_t inv)
{
    static char buf[16];
    ag_store_rsvp_answer *a;
    size_t n;
    assert_int_equal(ag_store_rsvp_answers(f->st, "ev-1@reseau.example", &a, &n, NULL), 0);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (a[i].invitation == inv)
            snprintf(buf, sizeof buf, "%s", a[i].partstat ? a[i].partstat : "-");
    ag_store_rsvp_answers_free(a, n);
    return buf;
}

static ag_rsvp_outcome rec(fx *f, int64_t inv, ag_rsvp_partstat p, int seq, int64_t dtstamp,
                           bool verified)
{
    ag_rsvp_outcome o;
    assert_int_equal(ag_rsvp_record(f->st, inv, p, seq, dtstamp, verified, "mail", NOW, &o, NULL),
                     0);
    return o;
}

static void stale_and_unverified_change_nothing(void **state)
{
    fx *f = *state;
    assert_string_equal(answer_of(f, f->inv), "-");
    assert_int_equal(rec(f, f->inv, AG_RSVP_ACCEPTED, 0, 1000, true), AG_RSVP_RECORDED);
    assert_string_equal(answer_of(f, f->inv), "ACCEPTED");
    /* Older DTSTAMP at the same SEQUENCE: stale. */
    assert_int_equal(rec(f, f->inv, AG_RSVP_DECLINED, 0, 999, true), AG_RSVP_STALE);
    assert_string_equal(answer_of(f, f->inv), "ACCEPTED");
    /* Unverified (matched by From only). */
    assert_int_equal(rec(f, f->inv, AG_RSVP_DECLINED, 0, 2000, false), AG_RSVP_UNVERIFIED);
    ag_rsvp_outcome o;
    assert_int_equal(ag_rsvp_record_unverified(f->st, "ev-1@reseau.example", "CONTACT@fes.example",
                                               AG_RSVP_DECLINED, 0, 2001, NOW, &o, NULL),
                     0);
    assert_int_equal(o, AG_RSVP_UNVERIFIED);
    assert_string_equal(answer_of(f, f->inv), "ACCEPTED");
    assert_int_equal(ag_rsvp_record_unverified(f->st, "ev-1@reseau.example", "who@else.example",
                                               AG_RSVP_DECLINED, 0, 2001, NOW, &o, NULL),
                     0);
    assert_int_equal(o, AG_RSVP_UNKNOWN);
    /* Newer DTSTAMP: recorded. */
    assert_int_equal(rec(f, f->inv, AG_RSVP_TENTATIVE, 0, 1500, true), AG_RSVP_RECORDED);
    assert_string_equal(answer_of(f, f->inv), "TENTATIVE");
    /* Sent again at SEQUENCE 1: the old answer no longer counts, a reply
     * at 0 is stale, at 1 it counts. */
    assert_int_equal(ag_store_invitation_set(f->st, f->inv, 1, false, NULL), 0);
    assert_string_equal(answer_of(f, f->inv), "-");
    assert_int_equal(rec(f, f->inv, AG_RSVP_ACCEPTED, 0, 5000, true), AG_RSVP_STALE);
    assert_int_equal(rec(f, f->inv, AG_RSVP_ACCEPTED, 2, 5000, true), AG_RSVP_STALE);
    assert_string_equal(answer_of(f, f->inv), "-");
    assert_int_equal(rec(f, f->inv, AG_RSVP_DECLINED, 1, 10, true), AG_RSVP_RECORDED);
    assert_string_equal(answer_of(f, f->inv), "DECLINED");
    assert_int_equal(rec(f, 9999, AG_RSVP_DECLINED, 1, 10, true), AG_RSVP_UNKNOWN);
    /* Everything kept for audit. */
    ag_store_rsvp_reply_row *rows;
    size_t n;
    assert_int_equal(ag_store_rsvp_replies_of(f->st, f->inv, &rows, &n, NULL), 0);
    assert_int_equal(n, 8);
    assert_int_equal(rows[1].outcome, AG_STORE_REPLY_STALE);
    assert_int_equal(rows[2].outcome, AG_STORE_REPLY_UNVERIFIED);
    assert_false(rows[2].verified);
    ag_store_rsvp_replies_free(rows, n);
    assert_string_equal(answer_of(f, f->other), "-");
}

static void one_click_rate_per_address(void **state)
{
    fx *f = *state;
    char *t = link_for(f, f->inv, "accept", END);
    ag_rsvp_verdict v;
    ag_rsvp_outcome o;
    for (int i = 0; i <= AG_RSVP_RATE_PER_HOUR; i++) {
        char *form = NULL;
        assert_int_equal(ag_rsvp_form_token(f->st, t, NOW, &form, NULL), 0);
        assert_int_equal(ag_rsvp_answer(f->st, t, form, NOW, &v, &o, NULL), 0);
        assert_int_equal(v, i < AG_RSVP_RATE_PER_HOUR ? AG_RSVP_VALID : AG_RSVP_RATE_LIMITED);
        free(form);
    }
    /* Another address is not held back; an hour later this one is not. */
    char *t2 = link_for(f, f->other, "decline", END);
    char *form = NULL;
    assert_int_equal(ag_rsvp_form_token(f->st, t2, NOW, &form, NULL), 0);
    assert_int_equal(ag_rsvp_answer(f->st, t2, form, NOW, &v, &o, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    free(form);
    assert_int_equal(ag_rsvp_form_token(f->st, t, NOW + 3601, &form, NULL), 0);
    assert_int_equal(ag_rsvp_answer(f->st, t, form, NOW + 3601, &v, &o, NULL), 0);
    assert_int_equal(v, AG_RSVP_VALID);
    free(form);
    free(t2);
    free(t);
}

static void address_hash(void **state)
{
    fx *f = *state;
    char a[17], b[17], c[17];
    ag_rsvp_address_hash(f->st, "Contact@Fes.example", a);
    ag_rsvp_address_hash(f->st, "contact@fes.example", b);
    ag_rsvp_address_hash(f->st, "bureau@taza.example", c);
    assert_int_equal(strlen(a), 16);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_null(strchr(a, '@'));
}

static void retention_purges_bounded(void **state)
{
    fx *f = *state;
    assert_int_equal(rec(f, f->inv, AG_RSVP_ACCEPTED, 0, 10, true), AG_RSVP_RECORDED);
    ag_store_attendance_mark m[] = {{"fes", "", true}, {"taza", "", false}};
    assert_int_equal(ag_store_rsvp_attendance_set(f->st, "ev-1@reseau.example", "2025-01-10", 1000,
                                                  m, 2, "cli", NOW, NULL),
                     0);
    /* The outbox rows that mailed the invitation (one sent, one still to
     * send), and a reminder, which is not rsvp's to delete. */
    raw_exec(f->path, "INSERT INTO outbox (kind, uid, occurrence, lead, channel, recipient, "
                      "member, address, seq, due, state, next_attempt, created) VALUES "
                      "('invite', 'ev-1@reseau.example', 0, 0, 'email', 'fes', 'fes', "
                      "'contact@fes.example', 0, 5, 'sent', 5, 600),"
                      "('invite', 'ev-1@reseau.example', 0, 0, 'email', 'fes', 'fes', "
                      "'contact@fes.example', 1, 6, 'pending', 6, 600),"
                      "('reminder', 'ev-1@reseau.example', 0, 60, 'email', 'fes', 'fes', "
                      "'contact@fes.example', 0, 7, 'sent', 7, 600)");
    int deleted = 0;
    const char *uids[] = {"ev-1@reseau.example"};
    /* Nothing older than 500: nothing goes. */
    assert_int_equal(ag_store_rsvp_purge(f->st, 500, 0, NOW, uids, 1, 100, &deleted, NULL), 0);
    assert_int_equal(deleted, 0);
    /* Before 1001: the marks, one per call at most. */
    assert_int_equal(ag_store_rsvp_purge(f->st, 1001, 0, NOW, NULL, 0, 1, &deleted, NULL), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(ag_store_rsvp_purge(f->st, 1001, 0, NOW, NULL, 0, 1, &deleted, NULL), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM rsvp_attendance"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM rsvp_replies"), 1);
    /* Later than everything: the replies, and the invitations of the
     * event named, with theirs. */
    assert_int_equal(ag_store_rsvp_purge(f->st, NOW + 10, 0, NOW, uids, 1, 100, &deleted, NULL), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM rsvp_replies"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM invitations"), 0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox WHERE kind = 'invite' AND "
                                      "state = 'sent'"),
                     0);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reply_address_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(reply_address_refuses_forgery, setup, teardown),
        cmocka_unit_test_setup_teardown(key_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(links_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(link_key_retired, setup, teardown),
        cmocka_unit_test_setup_teardown(forms_once_and_in_time, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_and_unverified_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(one_click_rate_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(address_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_purges_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
