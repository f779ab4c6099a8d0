/* Replies to invitations that come back by email (`agendad mail-in`): one
 * RFC 5322 message read with GMime, its iMIP REPLY (RFC 6047, RFC 5546)
 * read with libical, and the addresses it was delivered to, where the
 * signed reply tag is. Parsing is a pure function of the bytes: it touches
 * no store and no global state but GMime's (ag_mailin_init), so that the
 * daemon runs it in libuv's pool, away from the loop.
 *
 * ag_mailin_judge then decides, on the loop, what the reply is worth and
 * records it through rsvp/. Addresses are personal data: its one log line
 * per message names an address only by rsvp's keyed hash. */
#ifndef AGENDAD_MAILIN_H
#define AGENDAD_MAILIN_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger messages are not replies: mail-in refuses them (EX_DATAERR). */
#define AG_MAILIN_MAX_MESSAGE (10u * 1024 * 1024)
/* Larger calendar parts are skipped unread. */
#define AG_MAILIN_MAX_CALENDAR (1024u * 1024)

/* GMime's process-wide tables, counted (a plugin in the same process may
 * hold them too). Call on the loop thread, before any parse. */
void ag_mailin_init(void);
void ag_mailin_shutdown(void);

typedef enum {
    AG_MAILIN_REPLY,     /* an iMIP REPLY: uid, sequence, dtstamp, attendees */
    AG_MAILIN_SUBJECT,   /* no calendar, but an Outlook "Accepted: ..." answer to a message */
    AG_MAILIN_NOT_REPLY, /* nothing to record (no calendar, another METHOD, ...): dropped */
    AG_MAILIN_MALFORMED, /* a calendar reply that cannot be read: bounced */
} ag_mailin_kind;

typedef enum {
    AG_MAILIN_NO_ANSWER, /* NEEDS-ACTION, a task's PARTSTAT, or none */
    AG_MAILIN_ACCEPTED,
    AG_MAILIN_TENTATIVE,
    AG_MAILIN_DECLINED,
    AG_MAILIN_DELEGATED,
} ag_mailin_partstat;

typedef struct {
    char *address; /* lowercased, without "mailto:" */
    ag_mailin_partstat partstat;
    char *delegated_to;   /* first DELEGATED-TO address, lowercased, or NULL */
    char *delegated_from; /* first DELEGATED-FROM address, lowercased, or NULL */
} ag_mailin_attendee;

typedef struct {
    ag_mailin_kind kind;
    /* NOT_REPLY, MALFORMED: why, in a few words without any address
     * (logged, and in a bounce); static storage. */
    const char *why;
    /* REPLY: the series' VEVENT (the one without RECURRENCE-ID). */
    char *uid;
    int sequence;    /* 0 when absent */
    int64_t dtstamp; /* REPLY: DTSTAMP; SUBJECT: the Date header (0 if none); Unix time */
    ag_mailin_attendee *attendees;
    size_t n_attendees;
    ag_mailin_partstat subject_answer; /* SUBJECT: the answer its prefix names */
    char *from;                        /* the From mailbox, lowercased, or NULL */
    /* Where the signed tag may be, in this order: the envelope recipient
     * given with the message, Delivered-To (every one), X-Original-To, To,
     * Cc. As written (a tag may be case-sensitive); duplicates dropped. */
    char **recipients;
    size_t n_recipients;
} ag_mailin_reply;

/* Reads msg (len bytes; need not be NUL-terminated). envelope_rcpt: the
 * recipient the MTA delivered to, or NULL. 0 with *out filled (free it with
 * ag_mailin_reply_clear), whatever the message holds; AG_ENOMEM. */
int ag_mailin_parse(const char *msg, size_t len, const char *envelope_rcpt, ag_mailin_reply *out);
void ag_mailin_reply_clear(ag_mailin_reply *r);

/* The attendee of r with this address (lowercased), or NULL. Borrowed. */
const ag_mailin_attendee *ag_mailin_attendee_find(const ag_mailin_reply *r, const char *address);

/* "ACCEPTED", "TENTATIVE", ...; static storage. */
const char *ag_mailin_partstat_name(ag_mailin_partstat p);

/* ------------------------------------------------------------ verdict */

typedef enum {
    AG_MAILIN_KEPT,    /* recorded (as current, stale or unverified): exit 0 */
    AG_MAILIN_DROPPED, /* nothing to record, or nobody it could be for: exit 0 */
    AG_MAILIN_BOUNCED, /* malformed: the MTA bounces it (EX_DATAERR) */
    AG_MAILIN_RETRY,   /* the store cannot take it now: the MTA retries (EX_TEMPFAIL) */
} ag_mailin_verdict;

/* Decides what r is worth and records it through rsvp:
 *   - a REPLY delivered to a reply address whose tag verifies, for that
 *     invitation's event, answered by the invited ATTENDEE: verified;
 *   - the delegate's own answer on the invitee's address: dropped (the
 *     invitee's DELEGATED counts, and attendance says who came);
 *   - otherwise the ATTENDEE that is the From address: unverified, when
 *     that address was invited to that event, else dropped;
 *   - Outlook's subject answer (no calendar) on a verified reply address
 *     from the invited address: verified, for the invitation's current
 *     SEQUENCE and stamped with the Date header; from anyone else as above;
 *   - malformed: bounced; anything else: dropped.
 * Logs one line, naming addresses only by ag_rsvp_address_hash. *said:
 * what to tell the sender (static, no address). */
ag_mailin_verdict ag_mailin_judge(ag_store *st, const ag_mailin_reply *r, int64_t now,
                                  const char **said);

#endif
