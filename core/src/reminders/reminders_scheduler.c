#include "reminders.h"

#include "clock.h"
#include "error.h"
#include "model_series.h"
#include "log.h"
#include "config_network.h"
#include "feed.h"
#include "reminders_invite.h"
#include "rsvp.h"
#include "store_invitations.h"
#include "store_outbox.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_IN_FLIGHT = 128,
    BATCH = 256,
    MISSED_LOOKBACK = 7 * 86400, /* older than this before a start is history, not "missed" */
    /* entry.lead of the reminders that an event's minutes are missing, at
     * documents.minutes_due after its end and at twice that. */
    LEAD_MINUTES_FIRST = 254,
    LEAD_MINUTES_SECOND = 255,
    /* An invitation waits this long for its channel to appear. */
    CHANNEL_WAIT = 600,
};

/* One (occurrence, lead time) of a live event; recipients are expanded only
 * when it falls due, so that the schedule stays small: 16 bytes, the
 * occurrence being due + the lead, the lead one of the event's (at most
 * AG_CFG_MAX_REMINDERS). */
typedef struct {
    int64_t due;
    uint32_t event; /* index into evs */
    uint8_t lead;   /* index into the event's reminders */
} entry;

/* An outcome a channel reported that the store refused (busy, full):
 * kept to be written with the next wake's transaction. */
typedef struct {
    int64_t id, next_attempt, done_at;
    ag_outbox_state state;
    int attempts;
    char *error;
} kept_outcome;

typedef struct sending sending;

struct ag_scheduler {
    uv_loop_t *loop;
    ag_store *st;
    ag_plugin_host *plugins;
    const ag_config *cfg;
    const ag_stored_event *evs;
    size_t n_evs;
    entry *entries; /* sorted by due */
    size_t n_entries;
    size_t n_minutes; /* of them, the checks of missing minutes */
    uv_timer_t timer;
    bool stopped;
    int64_t checked_until; /* every entry due at or before this is in the outbox */
    sending *in_flight;
    size_t n_in_flight;
    uint32_t rng;
    bool more;              /* the last dispatch left due rows behind (batch full) */
    int64_t saved_checked;  /* checked_until as last written to the store */
    size_t inserted;        /* rows the current wake added to the outbox */
    kept_outcome *outcomes; /* reported, not committed yet */
    size_t n_outcomes, cap_outcomes;
    /* Stopping: nothing new is handed out; drained runs once nothing is in
     * flight. Abandoned: the deadline passed, late outcomes are ignored and
     * their rows stay pending. */
    bool draining, abandoned;
    bool commit_failed;     /* the last wake's transaction did not commit */
    bool dispatching;       /* outcomes reported meanwhile are committed together after */
    bool rebuilt;           /* the next wake looks back over the grace period */
    int64_t channel_warned; /* when the log last said invitations wait for a channel */
    size_t invites_queued;  /* outbox rows the current rebuild's invitations added */
    void (*drained)(void *data);
    void *drained_data;
    ag_metric *m_deliveries, *m_state, *m_delay;
    char **channels_seen; /* channels given to the state gauge, to zero them */
    size_t n_channels_seen;
};

/* A reminder handed to a channel, alive until its done() call. */
struct sending {
    agendad_reminder r;
    ag_scheduler *s;
    ag_outbox_row row;
    char id[32], *url;
    ag_invite_links invite; /* an invitation's reply address and links */
    sending *next;
};

static int oom(char **err)
{
    *err = strdup("out of memory");
    return AG_ENOMEM;
}

/* ------------------------------------------------------------ the math */

int64_t ag_reminders_backoff(int attempt, int64_t initial, int64_t max, uint32_t rnd)
{
    int64_t d = initial;
    for (int i = 1; i < attempt && d < max; i++)
        d *= 2;
    if (d > max)
        d = max;
    int64_t half = d / 2;
    return d - half + (half > 0 ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
}

static bool push(int64_t **v, size_t *n, int64_t x)
{
    int64_t *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    g[(*n)++] = x;
    *v = g;
    return true;
}

static int series(const ag_event *ev, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    ag_series r;
    ag_series_walk w;
    int rc;
    if ((rc = ag_series_parse(ev, &r)) < 0 || (rc = ag_series_walk_begin(&w, ev, &r)) < 0)
        return rc;
    icaltimetype t;
    while (ag_series_walk_next(&w, &t)) {
        ag_datetime local = ag_tz_model_local(t);
        bool ok;
        int64_t at = ag_tz_to_utc(&local, ev->tzid, &ok);
        if (!ok) {
            rc = AG_EZONE;
            break;
        }
        if (at > to)
            break;
        if (at >= from && !push(out, n, at)) {
            rc = AG_ENOMEM;
            break;
        }
    }
    ag_series_walk_end(&w);
    return rc;
}

int ag_reminders_occurrences(const ag_event *ev, int64_t from, int64_t to, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int rc = ev->rrule ? series(ev, from, to, out, n) : 0;
    if (ev->rrule && rc == 0)
        return 0;
    if (ev->rrule) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rc;
    }
    bool ok;
    int64_t at = ag_tz_to_utc(&ev->start, ev->tzid, &ok);
    if (!ok)
        return AG_EZONE;
    if (at >= from && at <= to && !push(out, n, at))
        return AG_ENOMEM;
    return 0;
}

/* When the event's first occurrence ends: an all-day end is its last day,
 * inclusive. false for an unknown zone. */
static bool end_of(const ag_event *ev, int64_t *out)
{
    ag_datetime e = ev->end;
    if (e.is_date)
        ag_datetime_add_days(&e, 1);
    bool ok;
    *out = ag_tz_to_utc(&e, ev->tzid, &ok);
    return ok;
}

char *ag_reminders_fingerprint(const ag_stored_event *se)
{
    const ag_event *e = &se->ev;
    char *fp = NULL;
    char s[32], t[32];
    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d%s", e->start.year, e->start.month,
             e->start.day, e->start.hour, e->start.minute, e->start.second,
             e->start.is_date ? "D" : "");
    snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d%s", e->end.year, e->end.month, e->end.day,
             e->end.hour, e->end.minute, e->end.second, e->end.is_date ? "D" : "");
    if (asprintf(&fp, "%s|%s|%s|%s|%s|%s|%d", s, t, e->tzid, e->rrule ? e->rrule : "",
                 e->location.ar ? e->location.ar : "", e->location.fr ? e->location.fr : "",
                 (int)e->status) < 0)
        return NULL;
    return fp;
}

/* ------------------------------------------------------------ recipients */

/* One address (or a member without one) and the channels that reach it. */
typedef struct {
    const char *member, *address;
    char *const *channels;
    size_t n_channels;
} recipient;

static bool add_recipient(recipient **v, size_t *n, recipient r)
{
    recipient *g = realloc(*v, (*n + 1) * sizeof *g);
    if (!g)
        return false;
    g[(*n)++] = r;
    *v = g;
    return true;
}

static void channels_of(const ag_config *cfg, const ag_event *cev, char *const **ch, size_t *n)
{
    if (cev && cev->n_reminder_channels) {
        *ch = cev->reminder_channels;
        *n = cev->n_reminder_channels;
    } else {
        *ch = cfg->settings.reminders.channels;
        *n = cfg->settings.reminders.n_channels;
    }
}

/* A member's own channels (members.yaml) win over the event's: the admin
 * said how that member is reached. Such a member without an address is
 * still reached on them (a webhook or a command needs none; the config
 * refuses email without emails). false on out of memory. */
static bool member_recipients(const ag_member *m, char *const *ev_ch, size_t n_ev_ch, recipient **v,
                              size_t *n)
{
    char *const *ch = m->has_reminder_channels ? m->reminder_channels : ev_ch;
    size_t n_ch = m->has_reminder_channels ? m->n_reminder_channels : n_ev_ch;
    bool ok = true;
    if (!n_ch)
        return ok;
    for (size_t j = 0; ok && j < m->n_emails; j++)
        ok = add_recipient(v, n, (recipient){m->id, m->emails[j], ch, n_ch});
    if (ok && !m->n_emails && m->has_reminder_channels)
        ok = add_recipient(v, n, (recipient){m->id, NULL, ch, n_ch});
    return ok;
}

/* Each contact address of each member concerned by the event (audience and
 * host), then the event's extra addresses. Borrowed from cfg. 0, or
 * AG_ENOMEM (nothing in *out): a recipient left out would never hear of the
 * event, without a word. */
static int recipients_of(const ag_config *cfg, const ag_event *cev, recipient **out, size_t *n_out)
{
    char *const *ch;
    size_t n_ch;
    channels_of(cfg, cev, &ch, &n_ch);
    recipient *v = NULL;
    size_t n = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < cfg->n_members; i++)
        if (ag_config_member_concerned(cfg, cev, cfg->members[i].id))
            ok = member_recipients(&cfg->members[i], ch, n_ch, &v, &n);
    for (size_t i = 0; ok && i < cev->n_reminder_extra; i++)
        ok = add_recipient(&v, &n, (recipient){NULL, cev->reminder_extra[i], ch, n_ch});
    if (!ok) {
        free(v);
        v = NULL;
        n = 0;
    }
    *out = v;
    *n_out = n;
    return ok ? 0 : AG_ENOMEM;
}

/* ------------------------------------------------------------ the outbox */

static const ag_reminder_settings *settings(const ag_scheduler *s)
{
    return &s->cfg->settings.reminders;
}

/* A change or cancellation notice on the invitations' channel to an address that holds an
 * invitation to the event would say again what the updated invitation or
 * its CANCEL says: the invitation speaks for it. A store error sends the
 * notice (twice rather than never). */
static bool told_by_invitation(ag_scheduler *s, const char *uid, const char *channel,
                               const char *address)
{
    if (!address || strcmp(channel, AG_REMINDERS_INVITE_CHANNEL) != 0)
        return false;
    ag_invitation iv = {0};
    bool found = false;
    char *err = NULL;
    if (ag_store_invitation_find(s->st, uid, address, &iv, &found, &err) < 0) {
        free(err);
        return false;
    }
    bool told = found && !iv.cancelled;
    if (found)
        ag_invitation_clear(&iv);
    return told;
}

/* Every (channel, recipient) row of one kind for one occurrence. */
static int queue_all(ag_scheduler *s, const ag_event *cev, ag_outbox_kind kind, int64_t occurrence,
                     int64_t lead, int seq, int64_t due, ag_outbox_state state, int64_t now,
                     char **err)
{
    recipient *rcpt;
    size_t n_rcpt;
    if (recipients_of(s->cfg, cev, &rcpt, &n_rcpt) < 0)
        return oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_rcpt; i++)
        for (size_t c = 0; rc == 0 && c < rcpt[i].n_channels; c++) {
            const char *ch = rcpt[i].channels[c];
            if (kind == AG_OUT_CHANGE && told_by_invitation(s, cev->uid, ch, rcpt[i].address))
                continue;
            ag_outbox_row row = {.kind = kind,
                                 .uid = cev->uid,
                                 .occurrence = occurrence,
                                 .lead = lead,
                                 .channel = (char *)ch,
                                 .member = (char *)rcpt[i].member,
                                 .address = (char *)rcpt[i].address,
                                 .seq = seq,
                                 .due = due,
                                 .state = state,
                                 .next_attempt = due > now ? due : now};
            bool added;
            rc = ag_store_outbox_insert(s->st, &row, now, &added, err);
            s->inserted += rc == 0 && added;
            if (rc == 0 && added && state == AG_OUT_MISSED)
                ag_log(AG_LOG_WARNING,
                       "reminder missed: %s %s %lld s before %lld for %s was due at %lld, "
                       "beyond the grace period",
                       ch, cev->uid, (long long)lead, (long long)occurrence,
                       rcpt[i].address ? rcpt[i].address : rcpt[i].member, (long long)due);
        }
    free(rcpt);
    return rc;
}

static const ag_event *config_event(const ag_scheduler *s, const char *uid)
{
    return ag_config_event(s->cfg, uid);
}

/* An event's host is reminded that its minutes are missing: its contacts
 * on its own channels, else the event's. Checked when due, so that minutes
 * listed meanwhile stop it. The row's occurrence is the last one's start,
 * its lead how long after the end it was due (first or second). */
static int queue_minutes(ag_scheduler *s, const ag_stored_event *se, const ag_event *cev,
                         const entry *e, int64_t now, char **err)
{
    const ag_member *host = se->ev.host ? ag_config_member(s->cfg, se->ev.host) : NULL;
    int64_t first, last;
    if (!host || ag_event_document_count(&se->ev, AG_DOC_MINUTES) > 0 ||
        ag_feed_series_span(&se->ev, &first, &last) != 0)
        return 0;
    bool ok;
    int64_t start = ag_tz_to_utc(&se->ev.start, se->ev.tzid, &ok), end;
    if (!ok || !end_of(&se->ev, &end))
        return 0;
    int64_t delay = s->cfg->settings.minutes_due * (e->lead == LEAD_MINUTES_FIRST ? 1 : 2);
    char *const *ch;
    size_t n_ch;
    channels_of(s->cfg, cev, &ch, &n_ch);
    recipient *rcpt = NULL;
    size_t n_rcpt = 0;
    if (!member_recipients(host, ch, n_ch, &rcpt, &n_rcpt))
        return oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_rcpt; i++)
        for (size_t c = 0; rc == 0 && c < rcpt[i].n_channels; c++) {
            ag_outbox_row row = {.kind = AG_OUT_MINUTES,
                                 .uid = cev->uid,
                                 .occurrence = last - (end - start),
                                 .lead = delay,
                                 .channel = (char *)rcpt[i].channels[c],
                                 .member = (char *)rcpt[i].member,
                                 .address = (char *)rcpt[i].address,
                                 .due = e->due,
                                 .state = AG_OUT_PENDING,
                                 .next_attempt = now};
            bool added;
            rc = ag_store_outbox_insert(s->st, &row, now, &added, err);
            s->inserted += rc == 0 && added;
        }
    free(rcpt);
    return rc;
}

/* Entries due in (lower, now] go to the outbox, pending or missed. After a
 * rebuild, lower reaches back over the grace period, for reminders that a
 * reload made due in the past; otherwise it is where the last wake stopped,
 * so that a wake costs what fell due since, not the whole grace period. */
static int enqueue_due(ag_scheduler *s, int64_t now, char **err)
{
    int64_t grace = settings(s)->grace;
    int64_t lower = s->checked_until;
    if (s->rebuilt && now - grace < lower)
        lower = now - grace;
    size_t lo = 0, hi = s->n_entries;
    while (lo < hi) { /* first entry due after lower */
        size_t mid = lo + (hi - lo) / 2;
        if (s->entries[mid].due <= lower)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < s->n_entries && s->entries[i].due <= now; i++) {
        const entry *e = &s->entries[i];
        const ag_event *ev = &s->evs[e->event].ev;
        const ag_event *cev = config_event(s, ev->uid);
        if (!cev)
            continue;
        if (e->lead >= LEAD_MINUTES_FIRST) {
            int rc = queue_minutes(s, &s->evs[e->event], cev, e, now, err);
            if (rc < 0)
                return rc;
            continue;
        }
        int64_t lead = ev->reminders[e->lead];
        ag_outbox_state state = e->due >= now - grace ? AG_OUT_PENDING : AG_OUT_MISSED;
        int rc =
            queue_all(s, cev, AG_OUT_REMINDER, e->due + lead, lead, 0, e->due, state, now, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Written with the rows it covers, else at most once a check interval: an
 * older mark only makes the next start look again at entries that the
 * unique key keeps from being queued twice. */
static int save_checked(ag_scheduler *s, int64_t now, char **err)
{
    if (!s->inserted && now - s->saved_checked < settings(s)->check_interval)
        return 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)now);
    return ag_store_meta_set(s->st, "reminders_checked_until", buf, err);
}

static int load_checked(ag_scheduler *s, int64_t now)
{
    char *v = NULL;
    char *err = NULL;
    int rc = ag_store_meta_get(s->st, "reminders_checked_until", &v, &err);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s", err);
        free(err);
        return rc;
    }
    /* A first start remembers nothing as missed; a long stop only the
     * last week, so that old history never floods the log. */
    int64_t at = v ? strtoll(v, NULL, 10) : now;
    s->checked_until = at < now - MISSED_LOOKBACK ? now - MISSED_LOOKBACK : at;
    s->saved_checked = v ? at : INT64_MIN / 2; /* a first start writes it at once */
    free(v);
    return 0;
}

/* ------------------------------------------------------------ sending */

static void wake_soon(ag_scheduler *s);

/* Handed out and not committed yet: never hand it out again meanwhile. */
static bool in_flight(const ag_scheduler *s, int64_t id)
{
    for (const sending *x = s->in_flight; x; x = x->next)
        if (x->row.id == id)
            return true;
    for (size_t i = 0; i < s->n_outcomes; i++)
        if (s->outcomes[i].id == id)
            return true;
    return false;
}

static void unlink_sending(ag_scheduler *s, sending *x)
{
    for (sending **p = &s->in_flight; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            s->n_in_flight--;
            return;
        }
}

static void sending_free(sending *x)
{
    free(x->row.uid);
    free(x->row.channel);
    free(x->row.member);
    free(x->row.address);
    free(x->row.last_error);
    free(x->url);
    ag_reminders_invite_clear(&x->invite);
    free(x);
}

static const char *const outcome_names[] = {
    [AGENDAD_DELIVERED] = "delivered",
    [AGENDAD_FAILED_TEMPORARY] = "failed_temporary",
    [AGENDAD_FAILED_PERMANENT] = "failed_permanent",
};

static void count_delivery(ag_scheduler *s, const char *channel, agendad_delivery d)
{
    const char *v[] = {channel, outcome_names[d]};
    ag_metric_add(s->m_deliveries, v, 1);
}

static void keep_outcome(ag_scheduler *s, kept_outcome o);

/* Written at once, as its own transaction, so that the duplicate window
 * stays one commit long even when the loop is then held up (libcurl waits
 * for an SMTP server's last reply without returning to the loop). The
 * commit does not wait for the disk (store_outbox.h): outcomes cost no
 * fsync. Those reported while handing out a batch (a channel that answers
 * at once) are committed together right after it. When the store refuses,
 * the outcome waits in memory for the next wake's transaction, and its row
 * is not handed out meanwhile. */
static void queue_outcome(ag_scheduler *s, kept_outcome o)
{
    char *err = NULL;
    if (s->dispatching) {
        keep_outcome(s, o);
        return;
    }
    if (ag_store_outbox_outcome(s->st, o.id, o.state, o.attempts, o.next_attempt, o.error,
                                o.done_at, &err) == 0)
        return;
    ag_log(AG_LOG_WARNING, "reminders: %s; trying again at the next wake", err);
    free(err);
    keep_outcome(s, o);
}

static void keep_outcome(ag_scheduler *s, kept_outcome o)
{
    if (s->n_outcomes == s->cap_outcomes) {
        size_t cap = s->cap_outcomes ? s->cap_outcomes * 2 : 64;
        kept_outcome *g = realloc(s->outcomes, cap * sizeof *g);
        if (g) {
            s->outcomes = g;
            s->cap_outcomes = cap;
        }
    }
    char *error = o.error ? strdup(o.error) : NULL;
    if (s->n_outcomes < s->cap_outcomes && (error || !o.error)) {
        o.error = error;
        s->outcomes[s->n_outcomes++] = o;
        return;
    }
    free(error);
    ag_log(AG_LOG_ERR,
           "reminders: out of memory: outcome of %lld lost (sent again after a restart)",
           (long long)o.id);
}

static bool invitation(const ag_outbox_row *row)
{
    return row->kind == AG_OUT_INVITE || row->kind == AG_OUT_INVITE_CANCEL;
}

/* Whom a log line names: an invitation's address only as a keyed hash
 * (addresses of invitees are personal data, doc/admin.md "Invitations"). */
static void who_of(ag_scheduler *s, const ag_outbox_row *row, char *buf, size_t size)
{
    if (!invitation(row) || !row->address) {
        snprintf(buf, size, "%s", row->address ? row->address : row->member);
        return;
    }
    char hash[17];
    ag_rsvp_address_hash(s->st, row->address, hash);
    snprintf(buf, size, "%s%saddress #%s", row->member ? row->member : "", row->member ? " " : "",
             hash);
}

static void log_outcome(ag_scheduler *s, const ag_outbox_row *row, ag_outbox_state state,
                        int attempts, const char *error)
{
    char who[320];
    who_of(s, row, who, sizeof who);
    if (state == AG_OUT_SENT)
        ag_log(AG_LOG_INFO, "%s %s of %s sent to %s", row->channel,
               ag_store_outbox_kind_name(row->kind), row->uid, who);
    else
        ag_log(state == AG_OUT_FAILED ? AG_LOG_ERR : AG_LOG_WARNING,
               "%s %s of %s to %s %s (attempt %d): %s", row->channel,
               ag_store_outbox_kind_name(row->kind), row->uid, who,
               state == AG_OUT_FAILED ? "failed for good" : "failed, will retry", attempts,
               error ? error : "no reason given");
}

static void record(ag_scheduler *s, const ag_outbox_row *row, agendad_delivery delivery,
                   const char *error)
{
    int64_t now = ag_clock_now();
    const ag_reminder_settings *rs = settings(s);
    int attempts = row->attempts + 1;
    ag_outbox_state state = AG_OUT_SENT;
    int64_t next = 0;
    if (delivery == AGENDAD_FAILED_PERMANENT ||
        (delivery == AGENDAD_FAILED_TEMPORARY && attempts >= rs->retry_attempts)) {
        state = AG_OUT_FAILED;
    } else if (delivery == AGENDAD_FAILED_TEMPORARY) {
        state = AG_OUT_PENDING;
        s->rng = s->rng * 1103515245u + 12345u;
        next = now + ag_reminders_backoff(attempts, rs->retry_initial, rs->retry_max, s->rng >> 8);
    }
    queue_outcome(s, (kept_outcome){.id = row->id,
                                    .next_attempt = next,
                                    .done_at = state == AG_OUT_PENDING ? 0 : now,
                                    .state = state,
                                    .attempts = attempts,
                                    .error = (char *)error});
    count_delivery(s, row->channel, delivery);
    log_outcome(s, row, state, attempts, error);
}

/* Writes the outcomes the store refused before, inside the wake's
 * transaction; the caller forgets them once it committed. */
static int write_outcomes(ag_scheduler *s, char **err)
{
    for (size_t i = 0; i < s->n_outcomes; i++) {
        const kept_outcome *o = &s->outcomes[i];
        int rc = ag_store_outbox_update(s->st, o->id, o->state, o->attempts, o->next_attempt,
                                        o->error, o->done_at, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void forget_outcomes(ag_scheduler *s)
{
    for (size_t i = 0; i < s->n_outcomes; i++)
        free(s->outcomes[i].error);
    s->n_outcomes = 0;
}

/* The outcomes of one batch, in one transaction that does not wait for
 * the disk; on failure they wait for the next wake's. */
static void commit_outcomes(ag_scheduler *s)
{
    if (!s->n_outcomes)
        return;
    char *err = NULL;
    int rc = ag_store_outbox_relaxed(s->st, true, &err);
    if (rc == 0 && (rc = ag_store_outbox_begin(s->st, &err)) == 0) {
        if ((rc = write_outcomes(s, &err)) == 0)
            rc = ag_store_outbox_commit(s->st, &err);
        else
            ag_store_outbox_rollback(s->st);
    }
    ag_store_outbox_relaxed(s->st, false, NULL);
    if (rc == 0) {
        forget_outcomes(s);
        return;
    }
    ag_log(AG_LOG_WARNING, "reminders: %s; trying again at the next wake", err);
    free(err);
}

static void on_done(agendad_reminder *r, agendad_delivery delivery, const char *error)
{
    sending *x = r->host_data;
    ag_scheduler *s = x->s;
    if (s) {
        unlink_sending(s, x);
        if (!s->abandoned) {
            record(s, &x->row, delivery, error);
            wake_soon(s);
        }
    }
    sending_free(x);
}

static const char *language_of(const ag_scheduler *s, const char *member, bool *both)
{
    const ag_member *m = member ? ag_config_member(s->cfg, member) : NULL;
    *both = !m || !m->language;
    return m && m->language ? m->language : s->cfg->settings.default_lang;
}

/* false when memory ran out for its event URL: a reminder must not go
 * out without it. */
static bool fill_reminder(ag_scheduler *s, sending *x)
{
    ag_outbox_row *row = &x->row;
    snprintf(x->id, sizeof x->id, "%lld", (long long)row->id);
    if (asprintf(&x->url, "%s/events/%s.ics", s->cfg->settings.base_url, row->uid) < 0) {
        x->url = NULL;
        return false;
    }
    agendad_reminder *r = &x->r;
    r->size = sizeof *r;
    r->event_uid = row->uid;
    r->occurrence = row->occurrence;
    r->lead_time = row->lead;
    r->recipient = row->member;
    r->language = language_of(s, row->member, &r->both_languages);
    r->done = on_done;
    r->host_data = x;
    r->kind = ag_store_outbox_kind_name(row->kind);
    r->address = row->address;
    r->sequence = row->seq;
    r->event_url = x->url;
    r->id = x->id;
    r->organizer = x->invite.organizer;
    r->rsvp_accept_url = x->invite.accept;
    r->rsvp_tentative_url = x->invite.tentative;
    r->rsvp_decline_url = x->invite.decline;
    if (row->kind == AG_OUT_MINUTES)
        r->lead_time = 0; /* the row's lead tells its first reminder from its second */
    return true;
}

/* Never attempted and already past the grace period: the daemon was down
 * when it was due (or crashed right after queueing it). */
static bool stale(const ag_scheduler *s, const ag_outbox_row *row, int64_t now)
{
    return row->kind == AG_OUT_REMINDER && row->attempts == 0 &&
           now - row->due > settings(s)->grace;
}

static void mark_missed(ag_scheduler *s, const ag_outbox_row *row, int64_t now)
{
    ag_log(AG_LOG_WARNING, "%s reminder of %s to %s missed: due at %lld, beyond the grace period",
           row->channel, row->uid, row->address ? row->address : row->member, (long long)row->due);
    queue_outcome(s, (kept_outcome){.id = row->id,
                                    .done_at = now,
                                    .state = AG_OUT_MISSED,
                                    .error = "due while stopped"});
}

/* How late the first attempt starts, from the precise clock: due times
 * are whole seconds. */
static void observe_delay(ag_scheduler *s, const ag_outbox_row *row)
{
    if (row->attempts)
        return;
    double late = ag_clock_now_precise() - (double)row->due;
    const char *v[] = {row->channel};
    ag_metric_observe(s->m_delay, v, late > 0 ? late : 0);
}

static const ag_stored_event *stored_event(const ag_scheduler *s, const char *uid)
{
    return ag_store_event_find(s->evs, s->n_evs, uid);
}

/* Invitations go through one channel alone: without it they stay
 * pending, tried again every CHANNEL_WAIT, the log saying why as often. */
static void wait_for_channel(ag_scheduler *s, const ag_outbox_row *row, int64_t now)
{
    if (now - s->channel_warned >= CHANNEL_WAIT) {
        s->channel_warned = now;
        ag_log(AG_LOG_WARNING,
               "invitations wait: no plugin provides the \"%s\" channel; "
               "they stay pending and are tried again every %d s",
               row->channel, CHANNEL_WAIT);
    }
    queue_outcome(s, (kept_outcome){.id = row->id,
                                    .next_attempt = now + CHANNEL_WAIT,
                                    .state = AG_OUT_PENDING,
                                    .attempts = row->attempts,
                                    .error = "no plugin provides this channel"});
}

static void drop_row(ag_scheduler *s, const ag_outbox_row *row, int64_t now, const char *why)
{
    ag_log(AG_LOG_INFO, "%s %s of %s dropped: %s", row->channel,
           ag_store_outbox_kind_name(row->kind), row->uid, why);
    queue_outcome(s, (kept_outcome){.id = row->id,
                                    .done_at = now,
                                    .state = AG_OUT_DROPPED,
                                    .attempts = row->attempts,
                                    .error = (char *)why});
}

/* An invitation's reply address and links, into *links; false when the
 * row was settled instead (dropped, waiting, or failed). */
static bool prepare_invitation(ag_scheduler *s, const ag_outbox_row *row, int64_t now,
                               ag_invite_links *links)
{
    if (!ag_plugins_channel(s->plugins, row->channel)) {
        wait_for_channel(s, row, now);
        return false;
    }
    ag_invite_verdict v;
    char *err = NULL;
    int rc =
        ag_reminders_invite_links(s->st, s->cfg, stored_event(s, row->uid), row, &v, links, &err);
    if (rc < 0) {
        record(s, row, rc == AG_EINVAL ? AGENDAD_FAILED_PERMANENT : AGENDAD_FAILED_TEMPORARY,
               err ? err : "out of memory");
        free(err);
        return false;
    }
    if (v == AG_INVITE_SEND)
        return true;
    drop_row(s, row, now,
             v == AG_INVITE_SUPERSEDED ? "a newer invitation or cancellation went to this address"
                                       : "the invitation or its event is gone");
    return false;
}

static void dispatch_row(ag_scheduler *s, ag_outbox_row *row, int64_t now)
{
    if (stale(s, row, now)) {
        mark_missed(s, row, now);
        return;
    }
    ag_invite_links links = {0};
    if (invitation(row) && !prepare_invitation(s, row, now, &links))
        return;
    const ag_plugin_channel *ch = ag_plugins_channel(s->plugins, row->channel);
    if (!ch) {
        record(s, row, AGENDAD_FAILED_PERMANENT, "no plugin provides this channel");
        return;
    }
    /* The row stays pending in the outbox: the next wake tries again. */
    sending *x = calloc(1, sizeof *x);
    if (!x) {
        ag_log(AG_LOG_ERR, "reminders: out of memory: reminder %lld waits for the next wake",
               (long long)row->id);
        ag_reminders_invite_clear(&links);
        return;
    }
    x->s = s;
    x->row = *row;
    x->invite = links;
    memset(row, 0, sizeof *row); /* x owns the strings now */
    if (!fill_reminder(s, x)) {
        ag_log(AG_LOG_ERR, "reminders: out of memory: reminder %lld waits for the next wake",
               (long long)x->row.id);
        sending_free(x);
        return;
    }
    x->next = s->in_flight;
    s->in_flight = x;
    s->n_in_flight++;
    observe_delay(s, &x->row);
    ag_plugins_channel_send(ch, &x->r);
}

static void dispatch(ag_scheduler *s, int64_t now)
{
    if (s->n_in_flight >= MAX_IN_FLIGHT)
        return;
    ag_outbox_row *rows;
    size_t n;
    char *err = NULL;
    size_t limit = BATCH + s->n_in_flight + s->n_outcomes;
    if (ag_store_outbox_due(s->st, now, limit, &rows, &n, &err) < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s", err);
        free(err);
        return;
    }
    s->more = n >= limit;
    s->dispatching = true;
    for (size_t i = 0; i < n && !s->draining && s->n_in_flight < MAX_IN_FLIGHT; i++)
        if (!in_flight(s, rows[i].id))
            dispatch_row(s, &rows[i], now);
    s->dispatching = false;
    ag_store_outbox_rows_free(rows, n);
    commit_outcomes(s);
}

/* ------------------------------------------------------------ the timer */

static void on_timer(uv_timer_t *t);

static void arm(ag_scheduler *s, int64_t now)
{
    if (s->stopped || s->draining)
        return;
    int64_t next = now + settings(s)->check_interval;
    size_t lo = 0, hi = s->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->entries[mid].due <= now)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_entries && s->entries[lo].due < next)
        next = s->entries[lo].due;
    int64_t retry;
    bool found;
    char *err = NULL;
    if (ag_store_outbox_next(s->st, &retry, &found, &err) < 0) {
        free(err);
    } else if (found && retry > now && retry < next) {
        next = retry;
    }
    uint64_t ms = ag_clock_ms_until(next);
    if (s->commit_failed && ms > 1000)
        ms = 1000; /* the outcomes wait in memory: try the store again soon */
    else if (!s->commit_failed && (s->n_outcomes || (s->more && s->n_in_flight < MAX_IN_FLIGHT)))
        ms = 0; /* outcomes reported meanwhile, or more due than one batch took */
    uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* One transaction per wake: the outcomes reported since the last one, then
 * what fell due (written before any send), then the "checked until" mark.
 * Nothing moves in memory unless it committed. */
static void commit_wake(ag_scheduler *s, int64_t now)
{
    char *err = NULL;
    s->inserted = 0;
    bool save = !s->draining;
    int rc = ag_store_outbox_begin(s->st, &err);
    if (rc == 0)
        rc = write_outcomes(s, &err);
    if (rc == 0 && save)
        rc = enqueue_due(s, now, &err);
    if (rc == 0 && save)
        rc = save_checked(s, now, &err);
    if (rc == 0) {
        rc = ag_store_outbox_commit(s->st, &err);
    } else {
        ag_store_outbox_rollback(s->st);
    }
    s->commit_failed = rc < 0;
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s; trying again at the next wake", err);
        free(err);
        return;
    }
    forget_outcomes(s);
    if (save) {
        if (s->inserted || now - s->saved_checked >= settings(s)->check_interval)
            s->saved_checked = now;
        s->checked_until = now;
        s->rebuilt = false;
    }
}

static void finish_drain(ag_scheduler *s)
{
    if (s->n_in_flight || !s->drained)
        return;
    void (*fn)(void *) = s->drained;
    s->drained = NULL;
    fn(s->drained_data);
}

static void run(ag_scheduler *s)
{
    if (s->stopped)
        return;
    int64_t now = ag_clock_now();
    if (s->cfg) /* outcomes exist only once a config gave something to send */
        commit_wake(s, now);
    if (s->draining)
        finish_drain(s);
    if (s->draining || !s->cfg)
        return;
    dispatch(s, now);
    arm(s, now);
}

static void on_timer(uv_timer_t *t)
{
    run(t->data);
}

/* Outcomes and retries are taken up on the next turn of the loop, never
 * inside a channel's call. */
static void wake_soon(ag_scheduler *s)
{
    if (!s->stopped)
        uv_timer_start(&s->timer, on_timer, 0, 0);
}

/* ------------------------------------------------------------ rebuild */

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    return (x->due > y->due) - (x->due < y->due);
}

static int64_t max_lead(const ag_event *ev)
{
    int64_t m = 0;
    for (size_t i = 0; i < ev->n_reminders; i++)
        if (ev->reminders[i] > m)
            m = ev->reminders[i];
    return m;
}

static bool add_entries(entry **v, size_t *n, size_t *cap, const ag_event *ev, uint32_t idx,
                        const int64_t *occ, size_t n_occ)
{
    for (size_t i = 0; i < n_occ; i++)
        for (size_t j = 0; j < ev->n_reminders; j++) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 1024;
                entry *g = realloc(*v, *cap * sizeof *g);
                if (!g)
                    return false;
                *v = g;
            }
            (*v)[(*n)++] = (entry){occ[i] - ev->reminders[j], idx, (uint8_t)j};
        }
    return true;
}

static bool push_entry(entry **v, size_t *n, size_t *cap, entry x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        entry *g = realloc(*v, *cap * sizeof *g);
        if (!g)
            return false;
        *v = g;
    }
    (*v)[(*n)++] = x;
    return true;
}

/* The two reminders that an event's minutes are missing, at minutes_due
 * after its last occurrence's end and at twice that, unless already older
 * than what a start looks back over. A series without an end has none. */
static bool add_minutes(const ag_scheduler *s, entry **v, size_t *n, size_t *cap, uint32_t idx,
                        int64_t now)
{
    const ag_event *ev = &s->evs[idx].ev;
    int64_t first, last, due = s->cfg->settings.minutes_due;
    if (!ev->host || ag_event_document_count(ev, AG_DOC_MINUTES) > 0 || due <= 0 ||
        ag_feed_series_span(ev, &first, &last) != 0)
        return true;
    if (last + due >= now - MISSED_LOOKBACK &&
        !push_entry(v, n, cap, (entry){last + due, idx, LEAD_MINUTES_FIRST}))
        return false;
    return last + 2 * due < now - MISSED_LOOKBACK ||
           push_entry(v, n, cap, (entry){last + 2 * due, idx, LEAD_MINUTES_SECOND});
}

static bool active(const ag_stored_event *se)
{
    return se->removed_at == 0 && se->ev.status != AG_STATUS_CANCELLED;
}

/* The event is off: pending reminders go, and whoever was reminded of an
 * occurrence still to come hears that it is cancelled. */
static int cancel_event(ag_scheduler *s, const ag_stored_event *se, int64_t now, char **err)
{
    int dropped;
    int rc = ag_store_outbox_drop(s->st, se->ev.uid, NULL, 0, now, &dropped, err);
    if (rc < 0)
        return rc;
    ag_outbox_row *rows;
    size_t n;
    if ((rc = ag_store_outbox_reminded(s->st, se->ev.uid, now, &rows, &n, err)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (told_by_invitation(s, se->ev.uid, rows[i].channel, rows[i].address))
            continue;
        ag_outbox_row notice = rows[i];
        notice.kind = AG_OUT_CANCEL;
        notice.lead = 0;
        notice.seq = se->sequence;
        notice.due = notice.next_attempt = now;
        notice.state = AG_OUT_PENDING;
        rc = ag_store_outbox_insert(s->st, &notice, now, NULL, err);
    }
    ag_store_outbox_rows_free(rows, n);
    if (dropped || n)
        ag_log(AG_LOG_NOTICE, "reminders of %s: event cancelled, %d pending dropped, %zu notified",
               se->ev.uid, dropped, n);
    return rc;
}

/* Time or place of a confirmed event changed: its audience hears of the
 * next occurrence's new details. Only events with reminders notify: giving
 * reminders is how an admin asks for mail about an event. */
static int change_event(ag_scheduler *s, const ag_stored_event *se, const int64_t *occ,
                        size_t n_occ, int64_t now, char **err)
{
    const ag_event *cev = config_event(s, se->ev.uid);
    if (!cev || se->ev.status != AG_STATUS_CONFIRMED || !se->ev.n_reminders)
        return 0;
    for (size_t i = 0; i < n_occ; i++)
        if (occ[i] > now) {
            ag_log(AG_LOG_NOTICE, "reminders of %s: time or place changed, notifying", se->ev.uid);
            return queue_all(s, cev, AG_OUT_CHANGE, occ[i], 0, se->sequence, now, AG_OUT_PENDING,
                             now, err);
        }
    return 0;
}

/* Compares the event with what the scheduler saw last time; queues the
 * notices that calls for and records the new fingerprint. */
static int reconcile_event(ag_scheduler *s, const ag_stored_event *se, const int64_t *occ,
                           size_t n_occ, int64_t now, char **err)
{
    char *old = NULL;
    bool was_live = false;
    char *fp = ag_reminders_fingerprint(se);
    if (!fp)
        return oom(err);
    int rc = ag_store_outbox_fingerprint_get(s->st, se->ev.uid, &old, &was_live, err);
    if (rc < 0) {
        free(fp);
        return rc;
    }
    bool live = active(se);
    if (!live && (was_live || !old)) {
        rc = cancel_event(s, se, now, err);
    } else if (live) {
        int dropped = 0;
        rc = ag_store_outbox_drop(s->st, se->ev.uid, occ, n_occ, now, &dropped, err);
        if (rc == 0 && old && was_live && strcmp(old, fp) != 0)
            rc = change_event(s, se, occ, n_occ, now, err);
    }
    if (rc == 0 && (!old || strcmp(old, fp) != 0 || was_live != live))
        rc = ag_store_outbox_fingerprint_set(s->st, se->ev.uid, fp, live, err);
    free(old);
    free(fp);
    return rc;
}

/* Occurrences relevant to reminders: from as far back as a still-pending
 * retry may reach, to the horizon plus the longest lead. */
static int event_entries(ag_scheduler *s, uint32_t idx, int64_t now, entry **v, size_t *n,
                         size_t *cap, char **err)
{
    const ag_stored_event *se = &s->evs[idx];
    int64_t lead = max_lead(&se->ev);
    int64_t *occ = NULL;
    size_t n_occ = 0;
    int rc = active(se) ? ag_reminders_occurrences(&se->ev, now - MISSED_LOOKBACK,
                                                   now + settings(s)->horizon + lead, &occ, &n_occ)
                        : 0;
    /* Without its occurrences the event would lose its reminders: memory
     * running out fails the rebuild instead (the old schedule stays). */
    if (rc == AG_ENOMEM)
        return oom(err);
    if (rc < 0)
        ag_log(AG_LOG_WARNING, "reminders of %s: cannot expand its occurrences", se->ev.uid);
    rc = reconcile_event(s, se, occ, n_occ, now, err);
    if (rc == 0)
        rc = ag_reminders_invite_event(s->st, s->cfg, config_event(s, se->ev.uid), se, now,
                                       &s->invites_queued, err);
    if (rc == 0 && active(se) && !add_entries(v, n, cap, &se->ev, idx, occ, n_occ))
        rc = oom(err);
    if (rc == 0 && active(se) && !add_minutes(s, v, n, cap, idx, now))
        rc = oom(err);
    free(occ);
    return rc;
}

void ag_reminders_rebuild(ag_scheduler *s, const ag_config *cfg, const ag_stored_event *evs,
                          size_t n)
{
    s->cfg = cfg;
    s->evs = evs;
    s->n_evs = n;
    int64_t now = ag_clock_now();
    uint64_t t0 = uv_hrtime();
    entry *v = NULL;
    size_t len = 0, cap = 0;
    char *err = NULL;
    s->invites_queued = 0;
    int rc = ag_store_outbox_begin(s->st, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = event_entries(s, (uint32_t)i, now, &v, &len, &cap, &err);
    if (rc == 0)
        rc = ag_store_outbox_commit(s->st, &err);
    else
        ag_store_outbox_rollback(s->st);
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s; schedule not rebuilt", err);
        free(err);
    } else if (s->invites_queued) {
        ag_log(AG_LOG_NOTICE, "invitations: %zu queued (new, updated or cancelled)",
               s->invites_queued);
    }
    if (len) {
        qsort(v, len, sizeof *v, cmp_entry);
        entry *fit = realloc(v, len * sizeof *v); /* the doubling's slack, up to half */
        v = fit ? fit : v;
    }
    size_t minutes = 0;
    for (size_t i = 0; i < len; i++)
        minutes += v[i].lead >= LEAD_MINUTES_FIRST;
    free(s->entries);
    s->entries = v;
    s->n_entries = len;
    s->n_minutes = minutes;
    s->rebuilt = true;
    ag_log(AG_LOG_INFO,
           "reminders: %zu scheduled (occurrence, lead time) pairs and %zu checks of missing "
           "minutes, rebuilt in %.1f ms",
           len - minutes, minutes, (double)(uv_hrtime() - t0) / 1e6);
    wake_soon(s);
}

/* ------------------------------------------------------------ lifecycle */

int ag_reminders_new(uv_loop_t *loop, ag_store *st, ag_plugin_host *plugins, ag_scheduler **out)
{
    ag_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return AG_ENOMEM;
    s->loop = loop;
    s->st = st;
    s->plugins = plugins;
    s->rng = (uint32_t)uv_hrtime();
    int rc = load_checked(s, ag_clock_now());
    if (rc < 0) {
        free(s);
        return rc;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    *out = s;
    return 0;
}

size_t ag_reminders_size(const ag_scheduler *s)
{
    return s->n_entries - s->n_minutes;
}

/* The last outcomes before the store closes. */
static void flush_outcomes(ag_scheduler *s)
{
    if (!s->n_outcomes)
        return;
    char *err = NULL;
    int rc = ag_store_outbox_begin(s->st, &err);
    if (rc == 0) {
        rc = write_outcomes(s, &err);
        if (rc == 0)
            rc = ag_store_outbox_commit(s->st, &err);
        else
            ag_store_outbox_rollback(s->st);
    }
    if (rc < 0) {
        ag_log(AG_LOG_ERR, "reminders: %s (those reminders are sent again after a restart)", err);
        free(err);
    }
    forget_outcomes(s);
}

void ag_reminders_drain(ag_scheduler *s, void (*drained)(void *data), void *data)
{
    if (!s || s->stopped || s->draining) {
        if (drained)
            drained(data);
        return;
    }
    s->draining = true;
    s->drained = drained;
    s->drained_data = data;
    if (s->n_in_flight)
        ag_log(AG_LOG_NOTICE, "reminders: waiting for %zu deliveries in flight", s->n_in_flight);
    wake_soon(s);
}

void ag_reminders_abandon(ag_scheduler *s)
{
    if (!s || s->abandoned)
        return;
    s->abandoned = true;
    s->drained = NULL;
    if (s->n_in_flight)
        ag_log(AG_LOG_WARNING,
               "reminders: %zu deliveries still in flight at the stop deadline stay pending "
               "(sent again at the next start)",
               s->n_in_flight);
}

void ag_reminders_stop(ag_scheduler *s)
{
    if (!s || s->stopped)
        return;
    flush_outcomes(s);
    s->stopped = true;
    uv_close((uv_handle_t *)&s->timer, NULL);
}

/* Called after the plugins' fini: no channel calls done() any more, so
 * what is still in flight is freed here; its rows stay pending. */
void ag_reminders_free(ag_scheduler *s)
{
    if (!s)
        return;
    while (s->in_flight) {
        sending *x = s->in_flight;
        s->in_flight = x->next;
        sending_free(x);
    }
    forget_outcomes(s);
    free(s->outcomes);
    for (size_t i = 0; i < s->n_channels_seen; i++)
        free(s->channels_seen[i]);
    free(s->channels_seen);
    free(s->entries);
    free(s);
}

/* ------------------------------------------------------------ metrics */

void ag_reminders_set_metrics(ag_scheduler *s, ag_metrics *m)
{
    static const char *const by_outcome[] = {"channel", "outcome", NULL};
    static const char *const by_state[] = {"state", "channel", NULL};
    static const char *const by_channel[] = {"channel", NULL};
    static const double delay_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1,     2.5,  5,     10,   30,  60,   300};
    s->m_deliveries = ag_metrics_counter(
        m, "agendad_reminder_deliveries_total",
        "Outcomes channels reported: delivered, failed_temporary (retried), failed_permanent.",
        by_outcome);
    s->m_state = ag_metrics_gauge(
        m, "agendad_reminders",
        "Outbox rows by state (pending, sent, failed, missed, dropped) and channel.", by_state);
    s->m_delay = ag_metrics_histogram(
        m, "agendad_reminder_delay_seconds",
        "From a reminder's due time to its handing to the channel (first attempt).", by_channel,
        delay_bounds, sizeof delay_bounds / sizeof delay_bounds[0]);
}

/* Every channel shown once gets all its states, 0 when none: a series
 * that vanished would read as "no data" rather than "none left". */
static void zero_states(ag_scheduler *s, const char *channel)
{
    for (int st = AG_OUT_PENDING; st < AG_OUT_ANY_; st++) {
        const char *v[] = {ag_store_outbox_state_name((ag_outbox_state)st), channel};
        ag_metric_set(s->m_state, v, 0);
    }
}

static bool remember_channel(ag_scheduler *s, const char *channel)
{
    for (size_t i = 0; i < s->n_channels_seen; i++)
        if (strcmp(s->channels_seen[i], channel) == 0)
            return true;
    char **g = realloc(s->channels_seen, (s->n_channels_seen + 1) * sizeof *g);
    if (!g)
        return false;
    s->channels_seen = g;
    if (!(g[s->n_channels_seen] = strdup(channel)))
        return false;
    s->n_channels_seen++;
    zero_states(s, channel);
    return true;
}

static void set_count(ag_outbox_state state, const char *channel, int64_t n, void *data)
{
    ag_scheduler *s = data;
    const char *v[] = {ag_store_outbox_state_name(state), channel};
    if (channel && remember_channel(s, channel))
        ag_metric_set(s->m_state, v, (double)n);
}

void ag_reminders_refresh_metrics(ag_scheduler *s)
{
    if (!s || !s->m_state)
        return;
    for (size_t i = 0; i < s->n_channels_seen; i++)
        zero_states(s, s->channels_seen[i]);
    char *err = NULL;
    if (ag_store_outbox_counts(s->st, set_count, s, &err) < 0) {
        ag_log(AG_LOG_WARNING, "reminders: %s", err);
        free(err);
    }
}
