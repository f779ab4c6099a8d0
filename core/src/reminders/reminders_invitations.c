/* Invitations through the outbox (issue 14). Each event with invitations:
 * true invites each contact address of each member it concerns (audience
 * and host, as reminders do) and each of its extra addresses, once per
 * (event, SEQUENCE, address): the invitation row and the outbox row that
 * sends it are written in the rebuild's transaction, and the outbox's
 * unique key keeps a second rebuild (or a restart after kill -9) from
 * queueing it twice. invitation_events remembers what the last REQUEST
 * said, so that only a change of time, place or status re-invites. */
#include "reminders_invite.h"

#include "config_network.h"
#include "error.h"
#include "feed.h"
#include "log.h"
#include "rsvp.h"
#include "store_invitations.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int oom(char **err)
{
    *err = strdup("out of memory");
    return AG_ENOMEM;
}

static void put_dt(FILE *f, const ag_datetime *d)
{
    fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d%s", d->year, d->month, d->day, d->hour, d->minute,
            d->second, d->is_date ? "D" : "");
}

char *ag_reminders_invite_fingerprint(const ag_stored_event *se)
{
    const ag_event *e = &se->ev;
    char *fp = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&fp, &len);
    if (!f)
        return NULL;
    put_dt(f, &e->start);
    fputc('|', f);
    put_dt(f, &e->end);
    fprintf(f, "|%s|%s|", e->tzid ? e->tzid : "", e->rrule ? e->rrule : "");
    for (size_t i = 0; i < e->n_exdates; i++) {
        put_dt(f, &e->exdates[i]);
        fputc(',', f);
    }
    fprintf(f, "|%s|%s|%s|%d", e->location.ar ? e->location.ar : "",
            e->location.fr ? e->location.fr : "", e->online_url ? e->online_url : "",
            (int)e->status);
    return fclose(f) == 0 ? fp : (free(fp), NULL);
}

/* One address to invite, borrowed from the config. */
typedef struct {
    const char *member, *address, *lang;
} invitee;

typedef struct {
    invitee *v;
    size_t n;
} invitees;

static bool add(invitees *l, invitee x)
{
    invitee *g = realloc(l->v, (l->n + 1) * sizeof *g);
    if (!g)
        return false;
    g[l->n++] = x;
    l->v = g;
    return true;
}

/* Every contact address of the members cev concerns, then its extra
 * addresses; whatever their reminder channels say (those decide how a
 * member is reminded, not whether it is invited). */
static int invitees_of(const ag_config *cfg, const ag_event *cev, invitees *out)
{
    bool ok = true;
    for (size_t i = 0; ok && i < cfg->n_members; i++) {
        const ag_member *m = &cfg->members[i];
        if (!ag_config_member_concerned(cfg, cev, m->id))
            continue;
        for (size_t j = 0; ok && j < m->n_emails; j++)
            ok = add(out, (invitee){m->id, m->emails[j], m->language});
    }
    for (size_t i = 0; ok && i < cev->n_reminder_extra; i++)
        ok = add(out, (invitee){NULL, cev->reminder_extra[i], NULL});
    return ok ? 0 : AG_ENOMEM;
}

static bool listed(const invitees *l, const char *address)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i].address, address) == 0)
            return true;
    return false;
}

/* One event's invitations at one rebuild. */
typedef struct {
    ag_store *st;
    const ag_stored_event *se;
    int64_t now, occurrence;
    size_t *queued;
} run;

static int queue(run *r, ag_outbox_kind kind, const char *member, const char *address, int seq,
                 char **err)
{
    ag_outbox_row row = {.kind = kind,
                         .uid = r->se->ev.uid,
                         .occurrence = r->occurrence,
                         .channel = AG_REMINDERS_INVITE_CHANNEL,
                         .member = (char *)member,
                         .address = (char *)address,
                         .seq = seq,
                         .due = r->now,
                         .state = AG_OUT_PENDING,
                         .next_attempt = r->now};
    bool added = false;
    int rc = ag_store_outbox_insert(r->st, &row, r->now, &added, err);
    *r->queued += rc == 0 && added;
    return rc;
}

/* x invited at seq: a new invitation, or an updated one (a newer SEQUENCE,
 * or invited again after a cancellation). */
static int invite_one(run *r, const invitee *x, int seq, char **err)
{
    ag_invitation iv = {0};
    bool found = false;
    int rc = ag_store_invitation_find(r->st, r->se->ev.uid, x->address, &iv, &found, err);
    if (rc < 0)
        return rc;
    if (!found) {
        ag_invitation add_iv = {.uid = r->se->ev.uid,
                                .address = (char *)x->address,
                                .member = (char *)x->member,
                                .lang = (char *)x->lang,
                                .sequence = seq,
                                .created = r->now};
        rc = ag_store_invitation_add(r->st, &add_iv, NULL, err);
    } else if (iv.cancelled || iv.sequence < seq) {
        rc = ag_store_invitation_set(r->st, iv.id, seq, false, err);
    } else {
        ag_invitation_clear(&iv);
        return 0;
    }
    ag_invitation_clear(&iv);
    return rc < 0 ? rc : queue(r, AG_OUT_INVITE, x->member, x->address, seq, err);
}

/* Each invitation still standing that keep (NULL: none) does not list
 * gets a CANCEL at the event's SEQUENCE. */
static int cancel_others(run *r, const invitees *keep, char **err)
{
    ag_invitation *v;
    size_t n;
    int rc = ag_store_invitations_of(r->st, r->se->ev.uid, &v, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (v[i].cancelled || (keep && listed(keep, v[i].address)))
            continue;
        rc = ag_store_invitation_set(r->st, v[i].id, v[i].sequence, true, err);
        if (rc == 0)
            rc = queue(r, AG_OUT_INVITE_CANCEL, v[i].member, v[i].address, r->se->sequence, err);
    }
    ag_store_invitations_free(v, n);
    return rc;
}

static bool off(const ag_stored_event *se)
{
    return se->removed_at != 0 || se->ev.status == AG_STATUS_CANCELLED;
}

/* Whether the event (its last occurrence) is over at now, or cannot be
 * placed in time: then it invites no one. */
static bool over(const ag_event *e, int64_t now)
{
    int64_t first, last;
    return ag_feed_series_span(e, &first, &last) != 0 || last <= now;
}

/* The SEQUENCE the event invites at: the one of its last REQUEST, or the
 * event's own when time, place or status changed since (or never sent). */
static int invite_sequence(run *r, const char *fp, int *seq, char **err)
{
    char *old = NULL;
    int old_seq = 0;
    int rc = ag_store_invitation_state_get(r->st, r->se->ev.uid, &old, &old_seq, err);
    if (rc < 0)
        return rc;
    bool changed = !old || strcmp(old, fp) != 0;
    *seq = changed ? r->se->sequence : old_seq;
    if (old && changed)
        ag_log(AG_LOG_NOTICE, "invitations of %s: time, place or status changed, inviting again",
               r->se->ev.uid);
    free(old);
    return changed ? ag_store_invitation_state_set(r->st, r->se->ev.uid, fp, *seq, err) : 0;
}

static int invite_all(run *r, const ag_config *cfg, const ag_event *cev, const char *fp, char **err)
{
    int seq;
    int rc = invite_sequence(r, fp, &seq, err);
    if (rc < 0)
        return rc;
    invitees l = {0};
    if (invitees_of(cfg, cev, &l) < 0)
        return oom(err);
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        rc = invite_one(r, &l.v[i], seq, err);
    if (rc == 0)
        rc = cancel_others(r, &l, err);
    free(l.v);
    return rc;
}

/* The event is off: everyone invited hears it, whatever its invitations
 * flag says now (they hold the event in their calendars). */
static int cancel_all(run *r, const char *fp, char **err)
{
    char *old = NULL;
    int seq = 0;
    int rc = ag_store_invitation_state_get(r->st, r->se->ev.uid, &old, &seq, err);
    if (rc < 0 || !old)
        return rc; /* never invited anyone */
    if (strcmp(old, fp) != 0)
        rc = ag_store_invitation_state_set(r->st, r->se->ev.uid, fp, seq, err);
    free(old);
    return rc < 0 ? rc : cancel_others(r, NULL, err);
}

int ag_reminders_invite_event(ag_store *st, const ag_config *cfg, const ag_event *cev,
                              const ag_stored_event *se, int64_t now, size_t *queued, char **err)
{
    bool is_off = off(se);
    if (!is_off && !se->ev.invitations)
        return 0;
    bool ok;
    run r = {.st = st, .se = se, .now = now, .queued = queued};
    r.occurrence = ag_tz_to_utc(&se->ev.start, se->ev.tzid, &ok);
    if (!ok || over(&se->ev, now))
        return 0;
    char *fp = ag_reminders_invite_fingerprint(se);
    if (!fp)
        return oom(err);
    int rc = is_off || !cev ? cancel_all(&r, fp, err) : invite_all(&r, cfg, cev, fp, err);
    free(fp);
    return rc;
}

void ag_reminders_invite_clear(ag_invite_links *l)
{
    free(l->organizer);
    free(l->accept);
    free(l->tentative);
    free(l->decline);
    memset(l, 0, sizeof *l);
}

static int links(ag_store *st, const ag_config *cfg, const ag_stored_event *se,
                 const ag_invitation *iv, ag_invite_links *out, char **err)
{
    int64_t first, expires;
    if (ag_feed_series_span(&se->ev, &first, &expires) != 0)
        expires = 0;
    static const char *const answers[] = {"accept", "tentative", "decline"};
    char **urls[] = {&out->accept, &out->tentative, &out->decline};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < 3; i++)
        rc = ag_rsvp_link(st, cfg->settings.base_url, iv, answers[i], expires, urls[i], err);
    return rc;
}

int ag_reminders_invite_links(ag_store *st, const ag_config *cfg, const ag_stored_event *se,
                              const ag_outbox_row *row, ag_invite_verdict *verdict,
                              ag_invite_links *out, char **err)
{
    memset(out, 0, sizeof *out);
    *verdict = AG_INVITE_GONE;
    if (!se || !row->address)
        return 0;
    ag_invitation iv = {0};
    bool found = false;
    int rc = ag_store_invitation_find(st, row->uid, row->address, &iv, &found, err);
    if (rc < 0 || !found)
        return rc;
    bool request = row->kind == AG_OUT_INVITE;
    if (request ? iv.cancelled || iv.sequence != row->seq : !iv.cancelled) {
        *verdict = AG_INVITE_SUPERSEDED;
        ag_invitation_clear(&iv);
        return 0;
    }
    if (!cfg->settings.invitations_organizer) {
        ag_invitation_clear(&iv);
        *err = strdup("invitations.organizer is not set in agendad.yaml");
        return AG_EINVAL;
    }
    rc =
        ag_rsvp_reply_address(st, cfg->settings.invitations_organizer, iv.id, &out->organizer, err);
    if (rc == 0 && request)
        rc = links(st, cfg, se, &iv, out, err);
    ag_invitation_clear(&iv);
    if (rc < 0)
        ag_reminders_invite_clear(out);
    else
        *verdict = AG_INVITE_SEND;
    return rc;
}
