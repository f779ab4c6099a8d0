/* One-click links and the confirmation forms they lead to.
 *
 *   link  <invitation>.<sequence>.<a|t|d>.<expires>.<key>.<mac>
 *         mac: HMAC over ("link", invitation, event uid, address,
 *         sequence, answer, expires), 128 bits in base64url, so that a
 *         link names the invitation, and is bound to its event, address
 *         and SEQUENCE without showing the address.
 *   form  <nonce>.<issued>.<key>.<mac>
 *         mac: HMAC over ("form", what it is bound to, nonce, issued);
 *         the nonce is spent when the form is posted. */
#include "rsvp.h"
#include "rsvp_internal.h"

#include "clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAC_BYTES = 16, MAC_CHARS = 22, NONCE_BYTES = 16, NONCE_CHARS = 22 };

static const struct {
    const char *word;
    char letter;
    ag_rsvp_partstat partstat;
} answers[] = {
    {"accept", 'a', AG_RSVP_ACCEPTED},
    {"tentative", 't', AG_RSVP_TENTATIVE},
    {"decline", 'd', AG_RSVP_DECLINED},
};

void ag_rsvp_link_info_clear(ag_rsvp_link_info *info)
{
    free(info->uid);
    *info = (ag_rsvp_link_info){0};
}

/* Splits s at '.' into exactly n fields (pointers into s, lengths). */
static bool split(const char *s, const char **f, size_t *len, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(s, '.');
        if ((dot != NULL) != (i + 1 < n))
            return false;
        f[i] = s;
        len[i] = dot ? (size_t)(dot - s) : strlen(s);
        s = dot ? dot + 1 : s;
    }
    return true;
}

static int link_mac(const ag_store_rsvp_key *k, int64_t id, const ag_invitation *iv, int sequence,
                    char letter, int64_t expires, char out[MAC_CHARS + 1])
{
    char ids[24], seq[16], ans[2] = {letter, '\0'}, exp[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    snprintf(seq, sizeof seq, "%d", sequence);
    snprintf(exp, sizeof exp, "%" PRId64, expires);
    const char *parts[] = {"link", ids, iv->uid, iv->address, seq, ans, exp};
    unsigned char mac[AG_SHA256_BYTES];
    int rc = ag_rsvp_mac(k, parts, sizeof parts / sizeof parts[0], mac);
    if (rc == 0)
        ag_rsvp_b64url(mac, MAC_BYTES, out);
    return rc;
}

int ag_rsvp_link(ag_store *st, const char *base_url, const ag_invitation *iv, const char *answer,
                 int64_t expires, char **url, char **err)
{
    static const char what[] = "cannot make an rsvp link";
    *url = NULL;
    if (err)
        *err = NULL;
    char letter = 0;
    for (size_t i = 0; answer && i < sizeof answers / sizeof answers[0]; i++)
        if (strcmp(answer, answers[i].word) == 0)
            letter = answers[i].letter;
    if (!letter || !iv || !iv->uid || !iv->address)
        return ag_rsvp_fail(err, AG_EINVAL, what,
                            "the answer must be accept, tentative or decline");
    ag_store_rsvp_key k;
    char mac[MAC_CHARS + 1];
    int rc = ag_rsvp_signing_key(st, ag_clock_now(), &k, err);
    if (rc < 0)
        return rc;
    rc = link_mac(&k, iv->id, iv, iv->sequence, letter, expires, mac);
    if (rc == 0 &&
        asprintf(url, "%s/rsvp/%" PRId64 ".%d.%c.%" PRId64 ".%" PRId64 ".%s",
                 base_url ? base_url : "", iv->id, iv->sequence, letter, expires, k.id, mac) < 0) {
        *url = NULL;
        rc = AG_ENOMEM;
    }
    explicit_bzero(&k, sizeof k);
    return rc < 0 ? ag_rsvp_fail(err, rc, what, ag_strerror(rc)) : 0;
}

typedef struct {
    int64_t id, expires, kid;
    int64_t sequence;
    char letter;
    char mac[MAC_CHARS + 1];
} parsed_link;

static bool parse_link(const char *token, parsed_link *p)
{
    const char *f[6];
    size_t len[6];
    if (!token || strlen(token) > 128 || !split(token, f, len, 6))
        return false;
    if (!ag_rsvp_parse_int(f[0], len[0], &p->id) ||
        !ag_rsvp_parse_int(f[1], len[1], &p->sequence) || p->sequence > INT32_MAX || len[2] != 1 ||
        !ag_rsvp_parse_int(f[3], len[3], &p->expires) ||
        !ag_rsvp_parse_int(f[4], len[4], &p->kid) || len[5] != MAC_CHARS)
        return false;
    p->letter = f[2][0];
    memcpy(p->mac, f[5], MAC_CHARS);
    p->mac[MAC_CHARS] = '\0';
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        if (answers[i].letter == p->letter)
            return true;
    return false;
}

static ag_rsvp_partstat partstat_of(char letter)
{
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        if (answers[i].letter == letter)
            return answers[i].partstat;
    return AG_RSVP_DECLINED;
}

/* The verdict on a parsed link whose key and invitation were found. */
static int judge(const parsed_link *p, const ag_store_rsvp_key *k, const ag_invitation *iv,
                 int64_t now, ag_rsvp_verdict *verdict)
{
    char want[MAC_CHARS + 1];
    int rc = link_mac(k, p->id, iv, (int)p->sequence, p->letter, p->expires, want);
    if (rc < 0)
        return rc;
    if (!ag_const_equal(want, p->mac, MAC_CHARS))
        *verdict = AG_RSVP_TAMPERED;
    else if ((k->retired != 0 && now >= k->retired) || now >= p->expires)
        *verdict = AG_RSVP_EXPIRED;
    else if (iv->cancelled || p->sequence != iv->sequence)
        *verdict = AG_RSVP_OUTDATED;
    else
        *verdict = AG_RSVP_VALID;
    return 0;
}

/* The link's verdict, and its invitation (the caller clears it) when the
 * key and the invitation exist. */
static int check(ag_store *st, const char *token, int64_t now, parsed_link *p, ag_invitation *iv,
                 ag_rsvp_verdict *verdict, char **err)
{
    *verdict = AG_RSVP_TAMPERED;
    if (!parse_link(token, p))
        return 0;
    ag_store_rsvp_key k;
    bool key_found = false, found = false;
    int rc = ag_store_rsvp_key_get(st, p->kid, &k, &key_found, err);
    if (rc < 0 || !key_found)
        return rc;
    rc = ag_store_invitation_get(st, p->id, iv, &found, err);
    if (rc == 0 && !found && now >= p->expires)
        *verdict = AG_RSVP_EXPIRED; /* long gone, deleted after retention */
    else if (rc == 0 && found)
        rc = judge(p, &k, iv, now, verdict);
    explicit_bzero(&k, sizeof k);
    return rc < 0 ? ag_rsvp_fail(err, rc, "cannot check an rsvp link", ag_strerror(rc)) : 0;
}

int ag_rsvp_link_check(ag_store *st, const char *token, int64_t now, ag_rsvp_link_info *info,
                       ag_rsvp_verdict *verdict, char **err)
{
    *info = (ag_rsvp_link_info){0};
    if (err)
        *err = NULL;
    parsed_link p;
    ag_invitation iv = {0};
    int rc = check(st, token, now, &p, &iv, verdict, err);
    if (rc == 0 && *verdict == AG_RSVP_VALID) {
        *info = (ag_rsvp_link_info){.invitation = p.id,
                                    .sequence = (int)p.sequence,
                                    .answer = partstat_of(p.letter),
                                    .expires = p.expires,
                                    .uid = strdup(iv.uid)};
        if (!info->uid)
            rc = ag_rsvp_fail(err, AG_ENOMEM, "cannot check an rsvp link", "out of memory");
    }
    ag_invitation_clear(&iv);
    return rc;
}

/* ---- forms ---- */

static int form_mac(const ag_store_rsvp_key *k, const char *bound_to, const char *nonce,
                    int64_t issued, char out[MAC_CHARS + 1])
{
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, issued);
    const char *parts[] = {"form", bound_to, nonce, at};
    unsigned char mac[AG_SHA256_BYTES];
    int rc = ag_rsvp_mac(k, parts, 4, mac);
    if (rc == 0)
        ag_rsvp_b64url(mac, MAC_BYTES, out);
    return rc;
}

int ag_rsvp_form_token(ag_store *st, const char *bound_to, int64_t now, char **out, char **err)
{
    static const char what[] = "cannot make a form token";
    *out = NULL;
    if (err)
        *err = NULL;
    unsigned char raw[NONCE_BYTES];
    char nonce[NONCE_CHARS + 1], mac[MAC_CHARS + 1];
    int rc = ag_random_bytes(raw, sizeof raw);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, what, "no random bytes available from the system");
    ag_rsvp_b64url(raw, sizeof raw, nonce);
    ag_store_rsvp_key k;
    if ((rc = ag_rsvp_signing_key(st, now, &k, err)) < 0)
        return rc;
    rc = form_mac(&k, bound_to, nonce, now, mac);
    if (rc == 0 && asprintf(out, "%s.%" PRId64 ".%" PRId64 ".%s", nonce, now, k.id, mac) < 0) {
        *out = NULL;
        rc = AG_ENOMEM;
    }
    explicit_bzero(&k, sizeof k);
    return rc < 0 ? ag_rsvp_fail(err, rc, what, ag_strerror(rc)) : 0;
}

int ag_rsvp_form_check(ag_store *st, const char *bound_to, const char *form, int64_t now,
                       char **nonce, ag_rsvp_verdict *verdict, char **err)
{
    *nonce = NULL;
    *verdict = AG_RSVP_TAMPERED;
    if (err)
        *err = NULL;
    const char *f[4];
    size_t len[4];
    int64_t issued, kid;
    if (!form || strlen(form) > 128 || !split(form, f, len, 4) || len[0] != NONCE_CHARS ||
        !ag_rsvp_parse_int(f[1], len[1], &issued) || !ag_rsvp_parse_int(f[2], len[2], &kid) ||
        len[3] != MAC_CHARS)
        return 0;
    char n[NONCE_CHARS + 1], want[MAC_CHARS + 1];
    memcpy(n, f[0], NONCE_CHARS);
    n[NONCE_CHARS] = '\0';
    ag_store_rsvp_key k;
    bool usable = false;
    int rc = ag_rsvp_verifying_key(st, kid, now, &k, &usable, err);
    if (rc < 0 || !usable)
        return rc;
    rc = form_mac(&k, bound_to, n, issued, want);
    explicit_bzero(&k, sizeof k);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, "cannot check a form token", ag_strerror(rc));
    if (!ag_const_equal(want, f[3], MAC_CHARS))
        return 0;
    /* A token from the future is a clock that went back: refused too. */
    if (issued > now + 60 || now - issued >= AG_RSVP_FORM_TTL) {
        *verdict = AG_RSVP_FORM_EXPIRED;
        return 0;
    }
    if (!(*nonce = strdup(n)))
        return ag_rsvp_fail(err, AG_ENOMEM, "cannot check a form token", "out of memory");
    *verdict = AG_RSVP_VALID;
    return 0;
}

static int record(ag_store *st, const parsed_link *p, const char *nonce, int64_t now,
                  ag_rsvp_verdict *verdict, ag_rsvp_outcome *outcome, char **err)
{
    ag_store_reply r = {.invitation = p->id,
                        .partstat = ag_rsvp_partstat_name(partstat_of(p->letter)),
                        .sequence = (int)p->sequence,
                        .dtstamp = now,
                        .via = "link",
                        .verified = true,
                        .received_at = now,
                        .form_nonce = nonce};
    ag_store_reply_outcome o;
    bool found = false, replayed = false;
    int rc = ag_store_rsvp_reply_add(st, &r, &o, &found, &replayed, err);
    if (rc < 0)
        return rc;
    if (!found)
        *verdict = AG_RSVP_EXPIRED; /* deleted between the check and now */
    else if (replayed)
        *verdict = AG_RSVP_REPLAYED;
    else
        *outcome = o == AG_STORE_REPLY_RECORDED ? AG_RSVP_RECORDED : AG_RSVP_STALE;
    return 0;
}

int ag_rsvp_answer(ag_store *st, const char *token, const char *form, int64_t now,
                   ag_rsvp_verdict *verdict, ag_rsvp_outcome *outcome, char **err)
{
    *outcome = AG_RSVP_UNKNOWN;
    if (err)
        *err = NULL;
    parsed_link p;
    ag_invitation iv = {0};
    char *nonce = NULL;
    int rc = check(st, token, now, &p, &iv, verdict, err);
    if (rc == 0 && *verdict == AG_RSVP_VALID)
        rc = ag_rsvp_form_check(st, token, form, now, &nonce, verdict, err);
    int count = 0;
    if (rc == 0 && *verdict == AG_RSVP_VALID)
        rc = ag_store_rsvp_link_replies_since(st, iv.address, now - 3600, &count, err);
    if (rc == 0 && *verdict == AG_RSVP_VALID && count >= AG_RSVP_RATE_PER_HOUR)
        *verdict = AG_RSVP_RATE_LIMITED;
    if (rc == 0 && *verdict == AG_RSVP_VALID)
        rc = record(st, &p, nonce, now, verdict, outcome, err);
    free(nonce);
    ag_invitation_clear(&iv);
    return rc;
}
