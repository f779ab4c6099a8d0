/* Invitations (schema step 10): one row per (event, address) invited by
 * email (iMIP REQUEST), whose id names it in reply tags and one-click
 * links; and, per event, what its invitations last said, for the
 * scheduler. Addresses are stored lowercased and compared so. Errors as in
 * store.h: a negative AG_E* code with *err malloc'd. */
#ifndef AGENDAD_STORE_INVITATIONS_H
#define AGENDAD_STORE_INVITATIONS_H

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    int64_t id;
    char *uid;     /* the event's */
    char *address; /* lowercased */
    char *member;  /* member id; NULL for an extra address */
    char *lang;    /* "ar", "fr", or NULL: both */
    int sequence;  /* SEQUENCE of the last REQUEST sent (or to send) */
    int64_t created;
    bool cancelled; /* a CANCEL went (or goes) to this address */
} ag_invitation;

void ag_invitation_clear(ag_invitation *iv);

/* By id; *found false (out untouched) when there is none. */
int ag_store_invitation_get(ag_store *st, int64_t id, ag_invitation *out, bool *found, char **err);
/* By (event uid, address), the address compared in lowercase. */
int ag_store_invitation_find(ag_store *st, const char *uid, const char *address, ag_invitation *out,
                             bool *found, char **err);
/* Every invitation of event uid, sorted by member then address (*out
 * malloc'd, NULL when none; ag_store_invitations_free). */
int ag_store_invitations_of(ag_store *st, const char *uid, ag_invitation **out, size_t *n,
                            char **err);
void ag_store_invitations_free(ag_invitation *v, size_t n);

/* Adds the invitation of (iv->uid, iv->address) with iv's member, lang,
 * sequence and created; *id (may be NULL) its id. AG_EEXIST when that pair
 * has one already. Inside the caller's transaction or on its own. */
int ag_store_invitation_add(ag_store *st, const ag_invitation *iv, int64_t *id, char **err);
/* Sets sequence and cancelled of invitation id. */
int ag_store_invitation_set(ag_store *st, int64_t id, int sequence, bool cancelled, char **err);

/* What event uid's invitations last said (the scheduler's fingerprint of
 * time, place and status) and the SEQUENCE they were sent at; *fp NULL
 * when the event never sent any. */
int ag_store_invitation_state_get(ag_store *st, const char *uid, char **fp, int *sequence,
                                  char **err);
int ag_store_invitation_state_set(ag_store *st, const char *uid, const char *fp, int sequence,
                                  char **err);

#endif
