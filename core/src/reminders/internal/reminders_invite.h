/* The invitations' part of the scheduler (reminders_invitations.c): what
 * each event's invitations call for at a rebuild, and what an invitation
 * needs when it is handed to its channel. */
#ifndef AGENDAD_REMINDERS_INVITE_H
#define AGENDAD_REMINDERS_INVITE_H

#include "config.h"
#include "store.h"
#include "store_outbox.h"

#include <stdbool.h>
#include <stdint.h>

/* The one channel invitations go through (doc/admin.md "Invitations"). */
#define AG_REMINDERS_INVITE_CHANNEL "email"

/* What decides an updated REQUEST: time (start, end, zone, rule and its
 * exceptions), place (location, online_url) and status. malloc'd. */
char *ag_reminders_invite_fingerprint(const ag_stored_event *se);

/* Inside the rebuild's transaction: queues what se's invitations call for
 * (the invitation of each address not invited yet, an updated REQUEST to
 * each after a change of time, place or status, a CANCEL to each when the
 * event is off or to an address no longer concerned), writing the
 * invitations before the outbox rows that send them. cev: the config's
 * event (NULL once removed). *queued += rows added. 0, or a negative AG_E*
 * code with *err. */
int ag_reminders_invite_event(ag_store *st, const ag_config *cfg, const ag_event *cev,
                              const ag_stored_event *se, int64_t now, size_t *queued, char **err);

/* What an invitation row needs to go out, looked up when it is handed to
 * the channel: the tagged reply address and, for a REQUEST, the three
 * one-click links (each malloc'd; ag_reminders_invite_clear). */
typedef struct {
    char *organizer, *accept, *tentative, *decline;
} ag_invite_links;
void ag_reminders_invite_clear(ag_invite_links *l);

typedef enum {
    AG_INVITE_SEND,       /* links filled */
    AG_INVITE_SUPERSEDED, /* a newer REQUEST or CANCEL went to that address since: drop it */
    AG_INVITE_GONE,       /* no such invitation or event any more: drop it */
} ag_invite_verdict;

/* For row (kind invite or invite-cancel) of event se (NULL when purged). 0
 * with *verdict, or a negative AG_E* code with *err. */
int ag_reminders_invite_links(ag_store *st, const ag_config *cfg, const ag_stored_event *se,
                              const ag_outbox_row *row, ag_invite_verdict *verdict,
                              ag_invite_links *out, char **err);

#endif
