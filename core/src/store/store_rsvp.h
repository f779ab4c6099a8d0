/* The state behind replies, one-click links and attendance (schema step 11,
 * store_migration_rsvp.h): HMAC keys, replies with what each did,
 * attendance, the form tokens already used. rsvp/ decides; what must be
 * decided in the same transaction as the write (whether a reply is stale,
 * whether a form was posted before) is decided here. Invitations are
 * invitations' rows (store_invitations.h). Every function returns 0 or a
 * negative AG_E* code with *err (malloc'd, the caller frees) when err is
 * not NULL. Addresses are personal data: no message here names one. */
#ifndef AGENDAD_STORE_RSVP_H
#define AGENDAD_STORE_RSVP_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

enum { AG_STORE_RSVP_KEY_BYTES = 32 };

typedef struct {
    int64_t id;
    unsigned char key[AG_STORE_RSVP_KEY_BYTES];
    int64_t created;
    int64_t retired; /* verifies until then; 0: not retired */
} ag_store_rsvp_key;

/* The signing key: the newest one not retired. When there is none (a new
 * database), fresh becomes it, in the same transaction, so that two
 * processes starting at once agree on one key. */
int ag_store_rsvp_key_current(ag_store *st, const unsigned char fresh[AG_STORE_RSVP_KEY_BYTES],
                              int64_t now, ag_store_rsvp_key *out, char **err);
/* The key id; *found false when there is none by that id. */
int ag_store_rsvp_key_get(ag_store *st, int64_t id, ag_store_rsvp_key *out, bool *found,
                          char **err);
/* Rotation, in one transaction: every key not retired yet gets retired =
 * retire_at, and fresh becomes the signing key (*id). */
int ag_store_rsvp_key_rotate(ag_store *st, const unsigned char fresh[AG_STORE_RSVP_KEY_BYTES],
                             int64_t now, int64_t retire_at, int64_t *id, char **err);
/* Every key, oldest first (key bytes included: do not print them). *out
 * malloc'd (NULL when none); the caller frees it. */
int ag_store_rsvp_keys(ag_store *st, ag_store_rsvp_key **out, size_t *n, char **err);

typedef enum {
    AG_STORE_REPLY_RECORDED,
    AG_STORE_REPLY_STALE,
    AG_STORE_REPLY_UNVERIFIED,
} ag_store_reply_outcome;

typedef struct {
    int64_t invitation;
    const char *partstat; /* ACCEPTED, TENTATIVE, DECLINED or DELEGATED */
    int sequence;
    int64_t dtstamp;
    const char *via; /* "mail" or "link" */
    bool verified;
    int64_t received_at;
    /* A form's nonce (one-click answers): the reply is taken only if the
     * nonce was never used, and uses it. NULL: none. */
    const char *form_nonce;
} ag_store_reply;

/* Adds the reply r and says what it did. Unverified: kept as such. Else
 * stale, and kept as such, when its SEQUENCE differs from the
 * invitation's (an older REQUEST's, or none ever sent), when the
 * invitation was cancelled, or when a reply recorded at that SEQUENCE has
 * a later DTSTAMP; else recorded. *found false (nothing written) when
 * there is no such invitation; *replayed true (nothing written) when
 * r->form_nonce was used already. */
int ag_store_rsvp_reply_add(ag_store *st, const ag_store_reply *r, ag_store_reply_outcome *outcome,
                            bool *found, bool *replayed, char **err);

/* Spends a form's nonce at now: *replayed true when it was spent before
 * (for forms that record no reply: the host's checklist). */
int ag_store_rsvp_nonce_use(ag_store *st, const char *nonce, int64_t now, bool *replayed,
                            char **err);

/* How many replies came by link for invitations of address since `since`
 * (all outcomes): the one-click rate limit. */
int ag_store_rsvp_link_replies_since(ag_store *st, const char *address, int64_t since, int *count,
                                     char **err);

/* One invitation and the answer that counts for it: the latest reply
 * recorded (so verified) at the invitation's SEQUENCE, if any. */
typedef struct {
    int64_t invitation;
    char *uid;
    char *address;
    char *member;   /* NULL for an extra address */
    char *partstat; /* NULL: no answer that counts */
    int sequence;
    bool cancelled;
    int64_t created;
} ag_store_rsvp_answer;

/* The invitations of event uid (NULL: of every event), sorted by uid,
 * member, address, with their answers. *out malloc'd; free with
 * ag_store_rsvp_answers_free. */
int ag_store_rsvp_answers(ag_store *st, const char *uid, ag_store_rsvp_answer **out, size_t *n,
                          char **err);
void ag_store_rsvp_answers_free(ag_store_rsvp_answer *v, size_t n);

/* Every reply of invitation id, oldest first (for audit and tests). */
typedef struct {
    char *partstat;
    int sequence;
    int64_t dtstamp;
    char *via;
    bool verified;
    ag_store_reply_outcome outcome;
    int64_t received_at;
} ag_store_rsvp_reply_row;
int ag_store_rsvp_replies_of(ag_store *st, int64_t invitation, ag_store_rsvp_reply_row **out,
                             size_t *n, char **err);
void ag_store_rsvp_replies_free(ag_store_rsvp_reply_row *v, size_t n);

/* One attendance mark: member (or "" for an address no member has) and
 * address ("" when the mark is for the member as a whole). */
typedef struct {
    const char *member;
    const char *address;
    bool present;
} ag_store_attendance_mark;

/* Sets marks[0..n) for the occurrence of uid that starts on the local date
 * occurrence ("YYYY-MM-DD") at instant at, replacing earlier marks of the
 * same (member, address), in one transaction. via: "cli" (the command line) or "link". */
int ag_store_rsvp_attendance_set(ag_store *st, const char *uid, const char *occurrence, int64_t at,
                                 const ag_store_attendance_mark *marks, size_t n, const char *via,
                                 int64_t now, char **err);

typedef struct {
    char *uid;
    char *occurrence;
    char *member;
    char *address; /* "" for the member as a whole */
    bool present;
    int64_t at;
    int64_t recorded_at;
} ag_store_attendance;

/* The marks of event uid (NULL: of every event), sorted by uid,
 * occurrence, member, address. Free with ag_store_rsvp_attendance_free. */
int ag_store_rsvp_attendance_of(ag_store *st, const char *uid, ag_store_attendance **out, size_t *n,
                                char **err);
void ag_store_rsvp_attendance_free(ag_store_attendance *v, size_t n);

/* The distinct event uids that have invitations, sorted; free each and
 * the array. */
int ag_store_rsvp_invited_uids(ag_store *st, char ***uids, size_t *n, char **err);

/* Retention, at most max rows per table per call so that the loop is
 * never held long: replies received before `before`, attendance of
 * occurrences that started before it, form tokens used before
 * tokens_before, keys retired before now; and the invitations of the
 * events uids[0..n) created before `before`, with their replies.
 * *deleted: rows deleted (max or more: call again). */
int ag_store_rsvp_purge(ag_store *st, int64_t before, int64_t tokens_before, int64_t now,
                        const char *const *uids, size_t n, size_t max, int *deleted, char **err);

#endif
