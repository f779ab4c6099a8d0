/* Replies: the signed reply address (ORGANIZER's plus-tag) and recording
 * what comes back, by mail or by link. */
#include "rsvp.h"
#include "rsvp_internal.h"

#include "clock.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 80 bits of MAC: a forger has one try per message, each checked. */
enum { TAG_MAC_BYTES = 10, TAG_MAC_CHARS = 16 };

static const char *const partstat_names[] = {
    [AG_RSVP_ACCEPTED] = "ACCEPTED",
    [AG_RSVP_TENTATIVE] = "TENTATIVE",
    [AG_RSVP_DECLINED] = "DECLINED",
    [AG_RSVP_DELEGATED] = "DELEGATED",
};

const char *ag_rsvp_partstat_name(ag_rsvp_partstat p)
{
    return (unsigned)p < sizeof partstat_names / sizeof partstat_names[0] ? partstat_names[p]
                                                                          : "DECLINED";
}

bool ag_rsvp_partstat_parse(const char *s, ag_rsvp_partstat *out)
{
    for (size_t i = 0; s && i < sizeof partstat_names / sizeof partstat_names[0]; i++)
        if (strcasecmp(s, partstat_names[i]) == 0) {
            *out = (ag_rsvp_partstat)i;
            return true;
        }
    return false;
}

/* The tag's MAC in base32: "<id>-<kid>-<mac>". */
static int tag_mac(const ag_store_rsvp_key *k, int64_t id, char out[TAG_MAC_CHARS + 1])
{
    char ids[24];
    snprintf(ids, sizeof ids, "%" PRId64, id);
    const char *parts[] = {"reply", ids};
    unsigned char mac[AG_SHA256_BYTES];
    int rc = ag_rsvp_mac(k, parts, 2, mac);
    if (rc == 0)
        ag_rsvp_b32(mac, TAG_MAC_BYTES, out);
    return rc;
}

int ag_rsvp_reply_address(ag_store *st, const char *organizer, int64_t invitation_id, char **out,
                          char **err)
{
    static const char what[] = "cannot make a reply address";
    *out = NULL;
    if (err)
        *err = NULL;
    const char *at = organizer ? strrchr(organizer, '@') : NULL;
    if (!at || at == organizer || !at[1] || memchr(organizer, '+', (size_t)(at - organizer)))
        return ag_rsvp_fail(err, AG_EINVAL, what,
                            "invitations.organizer must be a mailbox such as rsvp@example.org, "
                            "without a '+'");
    ag_store_rsvp_key k;
    char mac[TAG_MAC_CHARS + 1];
    int rc = ag_rsvp_signing_key(st, ag_clock_now(), &k, err);
    if (rc < 0)
        return rc;
    rc = tag_mac(&k, invitation_id, mac);
    if (rc == 0 && asprintf(out, "%.*s+%" PRId64 "-%" PRId64 "-%s%s", (int)(at - organizer),
                            organizer, invitation_id, k.id, mac, at) < 0) {
        *out = NULL;
        rc = AG_ENOMEM;
    }
    explicit_bzero(&k, sizeof k);
    return rc < 0 ? ag_rsvp_fail(err, rc, what, ag_strerror(rc)) : 0;
}

/* "<id>-<kid>-<mac>" of the local part's tag, lowercased into mac. */
static bool split_tag(const char *tag, size_t len, int64_t *id, int64_t *kid,
                      char mac[TAG_MAC_CHARS + 1])
{
    const char *d1 = memchr(tag, '-', len);
    const char *d2 = d1 ? memchr(d1 + 1, '-', len - (size_t)(d1 + 1 - tag)) : NULL;
    if (!d2 || !ag_rsvp_parse_int(tag, (size_t)(d1 - tag), id) ||
        !ag_rsvp_parse_int(d1 + 1, (size_t)(d2 - d1 - 1), kid))
        return false;
    size_t mlen = len - (size_t)(d2 + 1 - tag);
    if (mlen != TAG_MAC_CHARS)
        return false;
    for (size_t i = 0; i < mlen; i++)
        mac[i] = (char)tolower((unsigned char)d2[1 + i]);
    mac[mlen] = '\0';
    return true;
}

int ag_rsvp_reply_address_parse(ag_store *st, const char *address, int64_t *invitation_id,
                                bool *valid, char **err)
{
    *valid = false;
    *invitation_id = 0;
    if (err)
        *err = NULL;
    const char *at = address ? strrchr(address, '@') : NULL;
    const char *plus = at ? memchr(address, '+', (size_t)(at - address)) : NULL;
    int64_t id, kid;
    char mac[TAG_MAC_CHARS + 1], want[TAG_MAC_CHARS + 1];
    if (!plus || !split_tag(plus + 1, (size_t)(at - plus - 1), &id, &kid, mac))
        return 0;
    ag_store_rsvp_key k;
    bool usable = false;
    int rc = ag_rsvp_verifying_key(st, kid, ag_clock_now(), &k, &usable, err);
    if (rc < 0 || !usable)
        return rc;
    rc = tag_mac(&k, id, want);
    explicit_bzero(&k, sizeof k);
    if (rc < 0)
        return ag_rsvp_fail(err, rc, "cannot check a reply address", ag_strerror(rc));
    if (ag_const_equal(mac, want, TAG_MAC_CHARS)) {
        *valid = true;
        *invitation_id = id;
    }
    return 0;
}

static ag_rsvp_outcome outcome_of(ag_store_reply_outcome o)
{
    switch (o) {
    case AG_STORE_REPLY_RECORDED:
        return AG_RSVP_RECORDED;
    case AG_STORE_REPLY_STALE:
        return AG_RSVP_STALE;
    default:
        return AG_RSVP_UNVERIFIED;
    }
}

int ag_rsvp_record(ag_store *st, int64_t invitation_id, ag_rsvp_partstat p, int sequence,
                   int64_t dtstamp, bool verified, const char *via, int64_t now,
                   ag_rsvp_outcome *outcome, char **err)
{
    *outcome = AG_RSVP_UNKNOWN;
    if (err)
        *err = NULL;
    if ((unsigned)p >= sizeof partstat_names / sizeof partstat_names[0] || !via ||
        (strcmp(via, "mail") != 0 && strcmp(via, "link") != 0))
        return ag_rsvp_fail(err, AG_EINVAL, "cannot record a reply",
                            "the answer or the way it came is not one agendad knows");
    ag_store_reply r = {.invitation = invitation_id,
                        .partstat = partstat_names[p],
                        .sequence = sequence,
                        .dtstamp = dtstamp,
                        .via = via,
                        .verified = verified,
                        .received_at = now};
    ag_store_reply_outcome o;
    bool found = false, replayed = false;
    int rc = ag_store_rsvp_reply_add(st, &r, &o, &found, &replayed, err);
    if (rc == 0 && found)
        *outcome = outcome_of(o);
    return rc;
}

int ag_rsvp_record_unverified(ag_store *st, const char *uid, const char *address,
                              ag_rsvp_partstat p, int sequence, int64_t dtstamp, int64_t now,
                              ag_rsvp_outcome *outcome, char **err)
{
    *outcome = AG_RSVP_UNKNOWN;
    if (err)
        *err = NULL;
    char *lower = strdup(address ? address : "");
    if (!lower)
        return ag_rsvp_fail(err, AG_ENOMEM, "cannot record a reply", "out of memory");
    for (char *c = lower; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    ag_invitation iv = {0};
    bool found = false;
    int rc = ag_store_invitation_find(st, uid, lower, &iv, &found, err);
    free(lower);
    if (rc == 0 && found)
        rc = ag_rsvp_record(st, iv.id, p, sequence, dtstamp, false, "mail", now, outcome, err);
    ag_invitation_clear(&iv);
    return rc;
}
