/* What a parsed message is worth, on the loop (the store is the loop's):
 * the signed tag in the address it came to says which invitation it
 * answers; without one, the From address can only make it unverified. */
#include "mailin.h"

#include "error.h"
#include "log.h"
#include "rsvp.h"
#include "store_invitations.h"

#include <stdlib.h>
#include <string.h>

/* One message's judgement, and the words of its log line. */
typedef struct {
    ag_store *st;
    const ag_mailin_reply *r;
    int64_t now;
    char who[17]; /* the hash of the address the line is about */
    ag_mailin_verdict verdict;
    const char *said;
} judgement;

static void hash_of(judgement *j, const char *address)
{
    if (address)
        ag_rsvp_address_hash(j->st, address, j->who);
    else
        strcpy(j->who, "-");
}

static ag_mailin_verdict drop(judgement *j, const char *why)
{
    ag_log(AG_LOG_NOTICE, "mail-in: dropped a message from %s: %s", j->who, why);
    j->said = why;
    return j->verdict = AG_MAILIN_DROPPED;
}

static ag_mailin_verdict retry(judgement *j, int rc, char *err)
{
    ag_log(AG_LOG_WARNING, "mail-in: a message from %s is left to the mail system to retry: %s",
           j->who, err ? err : ag_strerror(rc));
    free(err);
    j->said = "the state database is busy: try again later";
    return j->verdict = AG_MAILIN_RETRY;
}

static bool to_rsvp(ag_mailin_partstat p, ag_rsvp_partstat *out)
{
    static const ag_rsvp_partstat map[] = {
        [AG_MAILIN_ACCEPTED] = AG_RSVP_ACCEPTED,
        [AG_MAILIN_TENTATIVE] = AG_RSVP_TENTATIVE,
        [AG_MAILIN_DECLINED] = AG_RSVP_DECLINED,
        [AG_MAILIN_DELEGATED] = AG_RSVP_DELEGATED,
    };
    if (p == AG_MAILIN_NO_ANSWER || (unsigned)p >= sizeof map / sizeof map[0])
        return false;
    *out = map[p];
    return true;
}

/* The uid is ours (an invitation's) when the line names it: a reply's own
 * uid is the sender's text. */
static ag_mailin_verdict kept(judgement *j, const char *uid, ag_rsvp_partstat p, int sequence,
                              ag_rsvp_outcome o, const char *how)
{
    static const char *const said[] = {
        [AG_RSVP_RECORDED] = "recorded",
        [AG_RSVP_STALE] = "recorded as stale: it answers an older invitation",
        [AG_RSVP_UNVERIFIED] = "recorded as unverified: not sent to its reply address",
    };
    ag_log(AG_LOG_NOTICE, "mail-in: %s of %s to %s (SEQUENCE %d, %s): %s", ag_rsvp_partstat_name(p),
           j->who, uid, sequence, how,
           o == AG_RSVP_RECORDED ? "recorded"
           : o == AG_RSVP_STALE  ? "stale"
                                 : "unverified");
    j->said = said[o];
    return j->verdict = AG_MAILIN_KEPT;
}

/* The invitation of the first recipient whose tag verifies; *found false
 * when none does. */
static int tagged_invitation(judgement *j, ag_invitation *iv, bool *found, char **err)
{
    *found = false;
    for (size_t i = 0; i < j->r->n_recipients; i++) {
        int64_t id = 0;
        bool valid = false;
        int rc = ag_rsvp_reply_address_parse(j->st, j->r->recipients[i], &id, &valid, err);
        if (rc < 0)
            return rc;
        if (valid)
            return ag_store_invitation_get(j->st, id, iv, found, err);
    }
    return 0;
}

/* Matched by From only: unverified when From was invited to uid. */
static ag_mailin_verdict by_from(judgement *j, const char *uid, ag_mailin_partstat answer,
                                 int sequence, int64_t dtstamp)
{
    hash_of(j, j->r->from);
    ag_rsvp_partstat p;
    if (!to_rsvp(answer, &p))
        return drop(j, "its ATTENDEE gives no answer (PARTSTAT)");
    ag_rsvp_outcome o;
    char *err = NULL;
    int rc =
        ag_rsvp_record_unverified(j->st, uid, j->r->from, p, sequence, dtstamp, j->now, &o, &err);
    if (rc < 0)
        return retry(j, rc, err);
    if (o == AG_RSVP_UNKNOWN)
        return drop(j, "an unknown event, or a sender who was not invited to it");
    return kept(j, uid, p, sequence, o, "matched by From only");
}

static ag_mailin_verdict verified(judgement *j, const ag_invitation *iv, ag_mailin_partstat answer,
                                  int sequence, int64_t dtstamp)
{
    hash_of(j, iv->address);
    ag_rsvp_partstat p;
    if (!to_rsvp(answer, &p))
        return drop(j, "its ATTENDEE gives no answer (PARTSTAT)");
    ag_rsvp_outcome o;
    char *err = NULL;
    int rc = ag_rsvp_record(j->st, iv->id, p, sequence, dtstamp, true, "mail", j->now, &o, &err);
    if (rc < 0)
        return retry(j, rc, err);
    if (o == AG_RSVP_UNKNOWN)
        return drop(j, "its invitation is gone");
    return kept(j, iv->uid, p, sequence, o, "through its reply address");
}

/* A delegate answering on the invitee's reply address. */
static bool delegate_of(const ag_mailin_reply *r, const char *address)
{
    for (size_t i = 0; i < r->n_attendees; i++)
        if (r->attendees[i].delegated_from && strcmp(r->attendees[i].delegated_from, address) == 0)
            return true;
    return false;
}

static ag_mailin_verdict judge_reply(judgement *j, const ag_invitation *iv)
{
    const ag_mailin_reply *r = j->r;
    if (iv && strcmp(iv->uid, r->uid) == 0) {
        const ag_mailin_attendee *a = ag_mailin_attendee_find(r, iv->address);
        if (a)
            return verified(j, iv, a->partstat, r->sequence, r->dtstamp);
        if (delegate_of(r, iv->address)) {
            hash_of(j, iv->address);
            return drop(j, "a delegate's answer (the invitee's own answer counts)");
        }
    }
    const ag_mailin_attendee *a = ag_mailin_attendee_find(r, r->from);
    if (!a) {
        hash_of(j, r->from);
        return drop(j, "no ATTENDEE of the reply is its sender");
    }
    return by_from(j, r->uid, a->partstat, r->sequence, r->dtstamp);
}

/* Outlook's answer without its calendar: it cannot say which REQUEST it
 * answers, so it counts for the invitation's current one. */
static ag_mailin_verdict judge_subject(judgement *j, const ag_invitation *iv)
{
    const ag_mailin_reply *r = j->r;
    int64_t stamp = r->dtstamp ? r->dtstamp : j->now;
    if (!iv) {
        hash_of(j, r->from);
        return drop(j, "an answer in the subject only, not sent to a reply address");
    }
    if (r->from && strcmp(r->from, iv->address) == 0)
        return verified(j, iv, r->subject_answer, iv->sequence, stamp);
    return by_from(j, iv->uid, r->subject_answer, iv->sequence, stamp);
}

ag_mailin_verdict ag_mailin_judge(ag_store *st, const ag_mailin_reply *r, int64_t now,
                                  const char **said)
{
    judgement j = {.st = st, .r = r, .now = now};
    hash_of(&j, r->from);
    if (r->kind == AG_MAILIN_MALFORMED) {
        ag_log(AG_LOG_NOTICE, "mail-in: bounced a message from %s: %s", j.who, r->why);
        *said = r->why;
        return AG_MAILIN_BOUNCED;
    }
    if (r->kind == AG_MAILIN_NOT_REPLY) {
        drop(&j, r->why);
        *said = j.said;
        return j.verdict;
    }
    ag_invitation iv = {0};
    bool found = false;
    char *err = NULL;
    int rc = tagged_invitation(&j, &iv, &found, &err);
    if (rc < 0)
        retry(&j, rc, err);
    else if (r->kind == AG_MAILIN_SUBJECT)
        judge_subject(&j, found ? &iv : NULL);
    else
        judge_reply(&j, found ? &iv : NULL);
    if (found)
        ag_invitation_clear(&iv);
    *said = j.said;
    return j.verdict;
}
