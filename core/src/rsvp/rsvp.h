/* Replies to invitations (issue 14): signed reply addresses and one-click
 * links, replies recorded with what they did, the keys that sign them.
 *
 * Everything signed here is signed with HMAC-SHA-256 under a key kept in
 * the state database (rsvp_keys): the newest key not retired signs, and a
 * key verifies until it is retired. `agendad rsvp-key rotate` adds a new
 * key and retires the others after a grace period (AG_RSVP_KEY_GRACE by
 * default), so that links and reply addresses already sent keep working
 * that long. Signatures are compared in constant time.
 *
 * Addresses are personal data: nothing here logs or returns one in an
 * error message; ag_rsvp_address_hash gives what a log line may name.
 * Every function returns 0 or a negative AG_E* code with *err (malloc'd,
 * the caller frees) when err is not NULL. */
#ifndef AGENDAD_RSVP_H
#define AGENDAD_RSVP_H

#include "store.h"
#include "store_invitations.h"

#include <stdbool.h>
#include <stdint.h>

/* How long the keys a rotation replaces still verify: links are sent
 * weeks before their event, and a rotation should not break them. */
#define AG_RSVP_KEY_GRACE (60 * 86400)

/* "local+TAG@domain" from the organizer mailbox "local@domain": TAG names
 * the invitation and is signed (HMAC-SHA-256 with the current key,
 * truncated to 80 bits, lowercase base32: mail systems may change case).
 * *out malloc'd. AG_EINVAL when organizer is no local@domain. */
int ag_rsvp_reply_address(ag_store *st, const char *organizer, int64_t invitation_id, char **out,
                          char **err);
/* The invitation a reply address names, when its tag verifies (with a key
 * not retired); *valid false, and no error, for any other address (no tag,
 * a malformed or forged one, a retired key). Case-insensitive. */
int ag_rsvp_reply_address_parse(ag_store *st, const char *address, int64_t *invitation_id,
                                bool *valid, char **err);

/* One-click links for an invitation (base_url + "/rsvp/TOKEN"), answer in
 * {"accept", "tentative", "decline"}, bound to (event uid, address,
 * SEQUENCE), expiring at `expires` (the event's end). *url malloc'd.
 * AG_EINVAL for another answer. */
int ag_rsvp_link(ag_store *st, const char *base_url, const ag_invitation *iv, const char *answer,
                 int64_t expires, char **url, char **err);

typedef enum {
    AG_RSVP_ACCEPTED,
    AG_RSVP_TENTATIVE,
    AG_RSVP_DECLINED,
    AG_RSVP_DELEGATED
} ag_rsvp_partstat;
typedef enum {
    AG_RSVP_RECORDED,
    AG_RSVP_STALE,
    AG_RSVP_UNVERIFIED,
    AG_RSVP_UNKNOWN
} ag_rsvp_outcome;

/* "ACCEPTED", "TENTATIVE", "DECLINED", "DELEGATED". */
const char *ag_rsvp_partstat_name(ag_rsvp_partstat p);
/* The PARTSTAT value (case-insensitive); false for any other (NEEDS-ACTION
 * included: it is no answer). */
bool ag_rsvp_partstat_parse(const char *s, ag_rsvp_partstat *out);

/* Records a reply. verified: it came through the signed tag or a signed
 * link; an unverified reply is stored as such and never changes a public
 * tally. Stale (a SEQUENCE other than the invitation's, an invitation
 * cancelled since, or an older DTSTAMP at the same SEQUENCE than the one
 * recorded): stored as stale, changes nothing. AG_RSVP_UNKNOWN, nothing
 * stored: no such invitation. via: "mail" or "link". */
int ag_rsvp_record(ag_store *st, int64_t invitation_id, ag_rsvp_partstat p, int sequence,
                   int64_t dtstamp, bool verified, const char *via, int64_t now,
                   ag_rsvp_outcome *outcome, char **err);
/* A reply that matched only by From: (uid, address): stored unverified
 * when address was invited to uid, else AG_RSVP_UNKNOWN (nothing stored). */
int ag_rsvp_record_unverified(ag_store *st, const char *uid, const char *address,
                              ag_rsvp_partstat p, int sequence, int64_t dtstamp, int64_t now,
                              ag_rsvp_outcome *outcome, char **err);

/* ---- one-click answers ---- */

/* What a link or a form is worth, in the words its page says. */
typedef enum {
    AG_RSVP_VALID,
    AG_RSVP_TAMPERED,     /* malformed, or its signature does not verify */
    AG_RSVP_EXPIRED,      /* its event ended, its key was retired, its invitation is gone */
    AG_RSVP_OUTDATED,     /* the invitation was sent again (new SEQUENCE) or withdrawn */
    AG_RSVP_FORM_EXPIRED, /* the confirmation page was opened too long ago */
    AG_RSVP_REPLAYED,     /* this confirmation was posted already */
    AG_RSVP_RATE_LIMITED, /* too many answers for this address lately */
} ag_rsvp_verdict;

/* A confirmation form is valid this long after its page was served. */
#define AG_RSVP_FORM_TTL 3600
/* One-click answers recorded per address per rolling hour at most. */
#define AG_RSVP_RATE_PER_HOUR 10

typedef struct {
    int64_t invitation;
    int sequence;
    ag_rsvp_partstat answer;
    int64_t expires;
    char *uid; /* the invitation's event; malloc'd (ag_rsvp_link_info_clear) */
} ag_rsvp_link_info;
void ag_rsvp_link_info_clear(ag_rsvp_link_info *info);

/* What token (the part of a link after "/rsvp/") is worth at now; *info
 * filled when *verdict is AG_RSVP_VALID. */
int ag_rsvp_link_check(ag_store *st, const char *token, int64_t now, ag_rsvp_link_info *info,
                       ag_rsvp_verdict *verdict, char **err);

/* A single-use form token for a confirmation page of `bound_to` (a link's
 * token): a random nonce, the time, and an HMAC over them and bound_to.
 * Valid AG_RSVP_FORM_TTL seconds, once. *out malloc'd. */
int ag_rsvp_form_token(ag_store *st, const char *bound_to, int64_t now, char **out, char **err);
/* Whether form is a token ag_rsvp_form_token made for bound_to and still
 * valid at now (AG_RSVP_VALID, AG_RSVP_TAMPERED or AG_RSVP_FORM_EXPIRED;
 * whether it was used is told when it is used). *nonce (malloc'd) when
 * valid. */
int ag_rsvp_form_check(ag_store *st, const char *bound_to, const char *form, int64_t now,
                       char **nonce, ag_rsvp_verdict *verdict, char **err);

/* The POST of a confirmation page: checks the link and the form, the
 * address's rate, and records the link's answer (via "link", verified),
 * using the form's nonce in the same transaction. *outcome is set when
 * *verdict is AG_RSVP_VALID. */
int ag_rsvp_answer(ag_store *st, const char *token, const char *form, int64_t now,
                   ag_rsvp_verdict *verdict, ag_rsvp_outcome *outcome, char **err);

/* What a log line may name instead of an address: 16 hex digits of an
 * HMAC of the lowercased address under the signing key, the same for the
 * same address until the key is rotated, and no dictionary of addresses
 * reverses it without the key. Falls back to "????????????????" when the
 * key cannot be read. */
void ag_rsvp_address_hash(ag_store *st, const char *address, char out[17]);

/* Adds a new signing key; the keys it replaces verify until now + grace
 * (0: at once, for a key that leaked). *id: the new key's. */
int ag_rsvp_key_rotate(ag_store *st, int64_t now, int64_t grace, int64_t *id, char **err);

#endif
